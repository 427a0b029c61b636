//! Upstox's OAuth2 login: the authorization dialog's redirect with a single-use `code`, its
//! exchange for an access token (`POST /v2/login/authorization/token`, answered flat), logout,
//! and the `Authorization: Bearer` header every other call carries.

use serde_json::Value;

use super::portfolio;
use super::wire::{self, UpstoxError, code};
use crate::SimBroker;
use crate::call::Call;
use crate::form::{self, Form};
use crate::reply::{self, Reply};
use crate::sim::Sim;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
use serde::Serialize;

use crate::stream::session::{self as stream_session, Feed};
use crate::stream::{FeedKind, Registration, socket};

fn mismatch() -> UpstoxError {
    UpstoxError::bad(
        code::CLIENT_MISMATCH,
        "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.",
    )
}

fn required<'a>(params: &'a Form, name: &str) -> Result<&'a str, UpstoxError> {
    params
        .value(name)
        .ok_or_else(|| UpstoxError::input(format!("`{name}` is required.")).at(name, None))
}

/// `GET /v2/login/authorization/dialog?response_type=code&client_id=..&redirect_uri=..&state=..`:
/// the user "logs in" at once and is sent to the redirect URI with a fresh `code` (and the
/// `state`, when given).
pub(crate) fn dialog(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    if params.value("client_id") != Some(sim.app.api_key.as_str())
        || params.value("redirect_uri") != Some(sim.app.redirect_url.as_str())
    {
        return Err(mismatch());
    }
    let response_type = required(&params, "response_type")?;
    if response_type != "code" {
        return Err(UpstoxError::input("`response_type` must be `code`.")
            .at("response_type", Some(Value::from(response_type))));
    }
    let code = sim.lock().upstox.sessions.issue_request_token(sim.now());
    let mut location = sim.app.redirect_url.clone();
    location.push(if location.contains('?') { '&' } else { '?' });
    location.push_str("code=");
    location.push_str(&form::encode(&code));
    if let Some(state) = params.value("state") {
        location.push_str("&state=");
        location.push_str(&form::encode(state));
    }
    Ok(reply::redirect(&location))
}

/// `POST /v2/login/authorization/token`: exchanges a code for a session. The code is used up by
/// the attempt, whether or not it succeeds.
pub(crate) fn token(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let params = call.body_form().map_err(super::bad_encoding)?;
    let code_sent = required(&params, "code")?;
    let client_id = required(&params, "client_id")?;
    let client_secret = required(&params, "client_secret")?;
    let redirect_uri = required(&params, "redirect_uri")?;
    let grant_type = required(&params, "grant_type")?;
    let now = sim.now();
    let redeemable = sim.lock().upstox.sessions.consume(code_sent, now);
    if client_id != sim.app.api_key || redirect_uri != sim.app.redirect_url {
        return Err(mismatch());
    }
    if client_secret != sim.app.api_secret.expose() {
        return Err(UpstoxError::new(
            http::StatusCode::UNAUTHORIZED,
            code::INVALID_CREDENTIALS,
            "Invalid Credentials",
        ));
    }
    if grant_type != "authorization_code" {
        return Err(
            UpstoxError::input("`grant_type` must be `authorization_code`.")
                .at("grant_type", Some(Value::from(grant_type))),
        );
    }
    if !redeemable {
        return Err(UpstoxError::new(
            http::StatusCode::UNAUTHORIZED,
            code::INVALID_CREDENTIALS,
            "Invalid Credentials: the code is unknown, used or expired",
        )
        .at("code", Some(Value::from(code_sent))));
    }
    let session = sim.lock().upstox.sessions.open(now);
    let body = serde_json::to_vec(&wire::Token {
        profile: portfolio::profile_of(&sim.app),
        access_token: &session.access_token,
        extended_token: &session.public_token,
    })
    .unwrap_or_default();
    Ok(reply::json(http::StatusCode::OK, body))
}

/// Checks `Authorization: Bearer <access_token>`; answers the token.
pub(crate) fn authorize<'c>(sim: &Sim, call: &'c Call) -> Result<&'c str, UpstoxError> {
    let token = call
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(UpstoxError::invalid_token)?;
    check_token(sim, token)?;
    Ok(token)
}

/// Checks that `token` names an open session (REST's header and the feeds' handshakes both).
pub(crate) fn check_token(sim: &Sim, token: &str) -> Result<(), UpstoxError> {
    if !sim.lock().upstox.sessions.is_valid(token, sim.now()) {
        return Err(UpstoxError::invalid_token());
    }
    Ok(())
}

/// The session a feed handshake opens: the single-use `code` of the feed's authorize call
/// (from its `authorized_redirect_uri`), else the `Authorization: Bearer` header, as the
/// official SDK opens the feed directly. A used, unknown or lapsed code, a missing header and
/// a token that is no longer open are all refused with 401 `UDAPI100050`.
pub(crate) fn feed_session(
    sim: &Sim,
    kind: FeedKind,
    headers: &http::HeaderMap,
    params: &Form,
) -> Result<String, UpstoxError> {
    let token = match params.value("code") {
        Some(code) => sim
            .feeds
            .redeem_code(kind, code, sim.now())
            .ok_or_else(UpstoxError::invalid_token)?,
        None => headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(UpstoxError::invalid_token)?
            .to_owned(),
    };
    check_token(sim, &token)?;
    Ok(token)
}

/// `DELETE /v2/logout`: the token stops working.
pub(crate) fn logout(sim: &Sim, access_token: &str) -> Reply {
    sim.lock()
        .desk_mut(SimBroker::Upstox)
        .sessions
        .close(access_token);
    wire::success(&true)
}

/// The `authorized_redirect_uri` a feed's authorize call answers, in both spellings.
#[derive(Debug, Serialize)]
pub(crate) struct Authorized {
    pub(crate) authorized_redirect_uri: String,
    #[serde(rename = "authorizedRedirectUri")]
    pub(crate) authorized_redirect_uri_camel: String,
}

/// A feed's authorize call: a single-use code for the session of `access_token`, as the
/// WebSocket URI to open.
pub(crate) fn authorize_feed(
    sim: &Sim,
    access_token: &str,
    kind: FeedKind,
    path: &str,
    extra_query: &str,
) -> Reply {
    let code = sim.feeds.issue_code(kind, access_token, sim.now());
    let host = sim
        .addr
        .get()
        .map_or_else(|| "127.0.0.1".to_owned(), ToString::to_string);
    let uri = format!(
        "ws://{host}{path}?code={}{extra_query}",
        form::encode(&code)
    );
    wire::success(&Authorized {
        authorized_redirect_uri: uri.clone(),
        authorized_redirect_uri_camel: uri,
    })
}

/// A feed's WebSocket handshake: the session (a code or the Bearer header, else 401), the
/// socket's registration, and the upgrade to the feed `make` builds from the query.
pub(crate) fn open_feed<F: Feed>(
    sim: &Arc<Sim>,
    request: &mut Request<Incoming>,
    kind: FeedKind,
    make: impl FnOnce(&Form) -> F,
) -> Reply {
    let query = request.uri().query().unwrap_or("");
    let Ok(params) = Form::parse(query.as_bytes()) else {
        return UpstoxError::input("Invalid query encoding.").reply();
    };
    if let Err(refused) = feed_session(sim, kind, request.headers(), &params) {
        return refused.reply();
    }
    let Ok(link) = Registration::open(sim, kind) else {
        return UpstoxError::new(
            http::StatusCode::TOO_MANY_REQUESTS,
            code::TOO_MANY_REQUESTS,
            "Too many feed connections",
        )
        .reply();
    };
    let feed = make(&params);
    socket::upgrade(request, move |socket| {
        stream_session::run(socket, link, feed)
    })
}
