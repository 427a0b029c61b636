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
    if !sim.lock().upstox.sessions.is_valid(token, sim.now()) {
        return Err(UpstoxError::invalid_token());
    }
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
