//! Kite's login flow: the login page's redirect with a `request_token`, its exchange for an
//! access token (`POST /session/token`, checked by SHA-256 checksum), logout, and the
//! `Authorization` header every other call carries.

use http::StatusCode;
use sha2::{Digest, Sha256};

use super::wire::{self, KiteError, ProfileMeta};
use super::{bad_encoding, portfolio};
use crate::call::Call;
use crate::form;
use crate::reply::{self, Reply};
use crate::sim::Sim;

/// `GET /connect/login?v=3&api_key=...[&redirect_params=...]`: the user "logs in" at once and
/// is sent to the app's redirect URL with a fresh request token.
pub(crate) fn login_page(sim: &Sim, call: &Call) -> Reply {
    let Ok(params) = call.query_form() else {
        return reply::html(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The query string is not valid URL encoding.",
        );
    };
    if params.value("api_key") != Some(sim.app.api_key.as_str()) {
        return reply::html(
            StatusCode::BAD_REQUEST,
            "Invalid `api_key`",
            "The api_key is missing or is not of a known app.",
        );
    }
    if params.value("v").is_some_and(|v| v != "3") {
        return reply::html(
            StatusCode::BAD_REQUEST,
            "Invalid version",
            "This login page serves Kite Connect v3 (`v=3`).",
        );
    }
    let token = sim.lock().kite.sessions.issue_request_token(sim.now());
    let mut location = sim.app.redirect_url.clone();
    location.push(if location.contains('?') { '&' } else { '?' });
    location.push_str(&format!(
        "request_token={}&action=login&status=success",
        form::encode(&token)
    ));
    if let Some(extra) = params.value("redirect_params") {
        location.push('&');
        location.push_str(extra);
    }
    reply::redirect(&location)
}

/// `POST /session/token`: exchanges a request token for a session.
pub(crate) fn create(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let params = call.body_form().map_err(bad_encoding)?;
    let field = |name: &str| {
        params
            .value(name)
            .ok_or_else(|| KiteError::input(format!("Missing `{name}`.")))
    };
    let (api_key, request_token, checksum) = (
        field("api_key")?,
        field("request_token")?,
        field("checksum")?,
    );
    if api_key != sim.app.api_key {
        return Err(KiteError::token("Invalid `api_key`."));
    }
    let expected = hex::encode(
        Sha256::new()
            .chain_update(api_key)
            .chain_update(request_token)
            .chain_update(sim.app.api_secret.expose())
            .finalize(),
    );
    if checksum != expected {
        return Err(KiteError::token("Invalid `checksum`."));
    }
    let now = sim.now();
    let session = {
        let mut inner = sim.lock();
        if !inner.kite.sessions.is_redeemable(request_token, now) {
            return Err(KiteError::token("Token is invalid or has expired."));
        }
        inner.kite.sessions.redeem(request_token, now)
    };
    let app = &sim.app;
    Ok(wire::success(&wire::Session {
        user_type: "individual",
        email: &app.email,
        user_name: &app.user_name,
        user_shortname: &app.user_shortname,
        broker: "ZERODHA",
        exchanges: portfolio::EXCHANGES,
        products: portfolio::PRODUCTS,
        order_types: portfolio::ORDER_TYPES,
        avatar_url: None,
        user_id: &app.user_id,
        api_key: &app.api_key,
        access_token: &session.access_token,
        public_token: &session.public_token,
        enctoken: &session.enctoken,
        refresh_token: "",
        silo: "",
        login_time: &session.login_time,
        meta: ProfileMeta {
            demat_consent: "physical",
        },
    }))
}

/// `DELETE /session/token?api_key=...&access_token=...`: logs out; the token stops working.
/// Logging out a token that is already gone succeeds too.
pub(crate) fn delete(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let params = call.query_form().map_err(bad_encoding)?;
    if params.value("api_key") != Some(sim.app.api_key.as_str()) {
        return Err(KiteError::token("Invalid `api_key`."));
    }
    let access_token = params
        .value("access_token")
        .ok_or_else(|| KiteError::input("Missing `access_token`."))?;
    sim.lock().kite.sessions.close(access_token);
    Ok(wire::success(&true))
}

/// Checks `Authorization: token <api_key>:<access_token>`.
pub(crate) fn authorize(sim: &Sim, call: &Call) -> Result<(), KiteError> {
    let refused = || KiteError::token("Incorrect `api_key` or `access_token`.");
    let header = call.header("authorization").ok_or_else(refused)?;
    let credentials = header.strip_prefix("token ").ok_or_else(refused)?;
    let (api_key, access_token) = credentials.split_once(':').ok_or_else(refused)?;
    check_credentials(sim, api_key, access_token)
}

/// Checks that `api_key` is the app's and `access_token` an open session (REST's header and
/// the ticker's handshake both).
pub(crate) fn check_credentials(
    sim: &Sim,
    api_key: &str,
    access_token: &str,
) -> Result<(), KiteError> {
    if api_key != sim.app.api_key || !sim.lock().kite.sessions.is_valid(access_token, sim.now()) {
        return Err(KiteError::token("Incorrect `api_key` or `access_token`."));
    }
    Ok(())
}
