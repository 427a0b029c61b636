//! Upstox's OAuth2 login over loopback HTTP: the dialog URL, the code exchange (a flat answer,
//! sent once), the session saved and reused, its 03:30 IST expiry, logout, and the session
//! ending when Upstox refuses the token.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use common::{Scratch, config, failure, rt, success, upstox_master};
use time::macros::datetime;
use tt_core::{Error, Login, ManualClock, RedirectParams, Trading};
use tt_test_support::http::{Route, TestServer};
use tt_upstox::{Upstox, UpstoxConfig};

/// The token endpoint's answer: flat, as Upstox's documentation shows it.
const TOKEN: &str = r#"{"email":"a@b.in","exchanges":["NSE","NFO","BSE","CDS","BFO","BCD"],"products":["D","CO","I"],"broker":"UPSTOX","user_id":"AB1234","user_name":"A B","order_types":["MARKET","LIMIT","SL","SL-M"],"user_type":"individual","poa":false,"is_active":true,"access_token":"tok-from-code","extended_token":null}"#;

const PROFILE: &str = r#"{"email":"a@b.in","exchanges":["NSE","NFO"],"products":["D","I"],"broker":"UPSTOX","user_id":"AB1234","user_name":"A B","order_types":["MARKET","LIMIT"],"user_type":"individual","poa":false,"is_active":true}"#;

fn upstox_at(server: &TestServer, scratch: &Scratch, clock: Arc<ManualClock>) -> Upstox {
    let master = upstox_master(&scratch.0);
    Upstox::new(
        config(&server.url(""), master, &scratch.0)
            .clock(clock)
            .rate_limited(false),
    )
}

#[test]
fn the_login_url_is_the_authorization_dialog_on_the_api_root() {
    let upstox = Upstox::new(
        UpstoxConfig::new("my client", "s3cr3t", "https://app.example/cb")
            .api_root("http://127.0.0.1:9/"),
    );
    assert_eq!(
        upstox.login_url(),
        "http://127.0.0.1:9/v2/login/authorization/dialog?response_type=code&client_id=my%20client&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"
    );
    assert_eq!(
        upstox.login_url_with_state("xyz"),
        format!("{}&state=xyz", upstox.login_url())
    );
    assert_eq!(Login::login_url(&upstox), upstox.login_url());
    let production = Upstox::new(UpstoxConfig::new("id", "s", "https://app.example/cb"));
    assert!(
        production
            .login_url()
            .starts_with("https://api.upstox.com/v2/login/authorization/dialog?")
    );
}

#[test]
fn the_code_exchange_posts_the_form_once_and_reads_the_flat_answer() {
    let scratch = Scratch::new("exchange");
    let server = TestServer::start([("/v2/login/authorization/token", Route::ok(TOKEN))]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let upstox = upstox_at(&server, &scratch, clock);
    let redirect =
        RedirectParams::from_url("http://127.0.0.1/callback?code=c0de%2B1&state=s").unwrap();
    let session = rt()
        .block_on(Login::complete_login(&upstox, &redirect))
        .unwrap();
    assert_eq!(session.user_id, "AB1234");
    assert_eq!(session.login_time, datetime!(2026-11-24 09:15 +05:30));
    assert_eq!(session.expires_at, datetime!(2026-11-25 03:30 +05:30));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, "/v2/login/authorization/token");
    assert_eq!(
        call.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(call.header("accept"), Some("application/json"));
    assert_eq!(call.header("api-version"), Some("2.0"));
    assert_eq!(call.header("authorization"), None);
    assert_eq!(
        call.body,
        "code=c0de%2B1&client_id=client-id&client_secret=client-secret&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&grant_type=authorization_code"
    );
}

#[test]
fn a_failed_code_exchange_is_not_retried() {
    let scratch = Scratch::new("exchange-once");
    let server = TestServer::start([(
        "/v2/login/authorization/token",
        Route::status(500, failure("UDAPI100500", "Something went wrong")),
    )]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let upstox = upstox_at(&server, &scratch, clock);
    let error = rt().block_on(upstox.complete_login("c0de")).unwrap_err();
    assert!(matches!(error, Error::Broker { .. }), "{error}");
    assert_eq!(server.received().len(), 1, "the single-use code went once");
    assert!(upstox.session().is_none());
}

#[test]
fn a_refused_code_is_an_authentication_error() {
    let scratch = Scratch::new("refused");
    let server = TestServer::start([(
        "/v2/login/authorization/token",
        Route::status(400, failure("UDAPI100016", "Invalid Credentials")),
    )]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let upstox = upstox_at(&server, &scratch, clock);
    let error = rt().block_on(upstox.complete_login("c0de")).unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
    // A redirect without a code never reaches Upstox.
    let error = rt()
        .block_on(Login::complete_login(
            &upstox,
            &RedirectParams::from_pairs([("state", "s")]),
        ))
        .unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_login_refused_with_http_401_ends_no_session() {
    let scratch = Scratch::new("refused-401");
    let server = TestServer::start([(
        "/v2/login/authorization/token",
        Route::status(401, failure("UDAPI100016", "Invalid Credentials")),
    )]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let upstox = upstox_at(&server, &scratch, clock);
    let fired = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&fired);
    upstox.on_session_expired(move |_| *seen.lock().unwrap() += 1);
    let error = rt().block_on(upstox.complete_login("c0de")).unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
    assert_eq!(*fired.lock().unwrap(), 0);
}

#[test]
fn a_saved_session_is_reused_by_a_new_handle_until_half_past_three_ist() {
    let scratch = Scratch::new("reuse");
    let server = TestServer::start([
        ("/v2/login/authorization/token", Route::ok(TOKEN)),
        ("/v2/user/profile", Route::ok(success(PROFILE))),
    ]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let first = upstox_at(&server, &scratch, Arc::clone(&clock));
    rt().block_on(first.complete_login("c0de")).unwrap();

    // Another program (a new handle on the same session file) reuses it without logging in.
    let second = upstox_at(&server, &scratch, Arc::clone(&clock));
    let session = second.session().unwrap();
    assert_eq!(session.expires_at, datetime!(2026-11-25 03:30 +05:30));
    let profile = rt().block_on(second.profile()).unwrap();
    assert_eq!(profile.user_id, "AB1234");
    let call = server.received().pop().unwrap();
    assert_eq!(call.header("authorization"), Some("Bearer tok-from-code"));

    // At 03:30 IST the next day it is gone, the hook fires, and nothing is sent.
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    second.on_session_expired(move |event| seen.lock().unwrap().push(event.clone()));
    clock.set(datetime!(2026-11-25 03:30 +05:30));
    let sent = server.received().len();
    let error = rt().block_on(second.profile()).unwrap_err();
    assert!(matches!(error, Error::SessionExpired { .. }), "{error}");
    assert_eq!(server.received().len(), sent);
    assert_eq!(ended.lock().unwrap().len(), 1);
    assert_eq!(ended.lock().unwrap()[0].user_id.as_deref(), Some("AB1234"));
    assert!(second.session().is_none());
    // A third handle finds nothing saved either.
    assert!(upstox_at(&server, &scratch, clock).session().is_none());
}

#[test]
fn a_token_made_at_half_past_two_dies_at_half_past_three_the_same_day() {
    let scratch = Scratch::new("early");
    let server = TestServer::start([("/v2/login/authorization/token", Route::ok(TOKEN))]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 02:30 +05:30)));
    let upstox = upstox_at(&server, &scratch, clock);
    let session = rt().block_on(upstox.complete_login("c0de")).unwrap();
    assert_eq!(session.expires_at, datetime!(2026-11-24 03:30 +05:30));
}

#[test]
fn logout_deletes_the_session_at_upstox_with_the_api_version_and_forgets_it() {
    let scratch = Scratch::new("logout");
    let server = TestServer::start([("/v2/logout", Route::ok(success("true")))]);
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
    let upstox = upstox_at(&server, &scratch, Arc::clone(&clock));
    upstox
        .use_access_token("AB1234", tt_core::Secret::new("tok"))
        .unwrap();
    rt().block_on(Login::logout(&upstox)).unwrap();
    let call = server.received().pop().unwrap();
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("DELETE", "/v2/logout")
    );
    assert_eq!(call.header("api-version"), Some("2.0"));
    assert_eq!(call.header("authorization"), Some("Bearer tok"));
    assert!(upstox.session().is_none());
    assert!(upstox_at(&server, &scratch, clock).session().is_none());
    // Logged out already: nothing to send.
    rt().block_on(upstox.logout()).unwrap();
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_refused_token_ends_the_session_and_fires_the_hook() {
    for (status, code) in [
        (401, "UDAPI100050"),
        (401, "UDAPI100500"),
        (400, "UDAPI100050"),
    ] {
        let scratch = Scratch::new("refused-token");
        let server = TestServer::start([(
            "/v2/user/profile",
            Route::status(status, failure(code, "Invalid token used to access API")),
        )]);
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:15 +05:30)));
        let upstox = upstox_at(&server, &scratch, Arc::clone(&clock));
        upstox
            .use_access_token("AB1234", tt_core::Secret::new("tok"))
            .unwrap();
        let ended = Arc::new(Mutex::new(0));
        let seen = Arc::clone(&ended);
        Login::on_session_expired(
            &upstox,
            Arc::new(move |_: &tt_core::SessionEnded| *seen.lock().unwrap() += 1),
        );
        let error = rt().block_on(upstox.profile()).unwrap_err();
        assert!(
            matches!(error, Error::SessionExpired { .. }),
            "{status} {code}: {error}"
        );
        assert_eq!(*ended.lock().unwrap(), 1, "{status} {code}");
        assert!(Login::session(&upstox).is_none());
        assert!(upstox_at(&server, &scratch, clock).session().is_none());
    }
}
