//! No access token or API secret in `Debug`, logs or errors, whatever happens.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use tt_core::{OrderId, Secret, Trading};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_test_support::logs::CapturedLogs;
use tt_zerodha::{Zerodha, ZerodhaConfig};

const API_SECRET: &str = "api-secret-0123456789";
const ACCESS_TOKEN: &str = "access-token-9876543210";

#[test]
fn secrets_never_reach_debug_logs_or_errors() {
    let session = format!(
        r#"{{"status":"success","data":{{"user_id":"TT0001","user_name":"T","access_token":"{ACCESS_TOKEN}","public_token":"p","refresh_token":"","login_time":"2099-01-01 09:00:00"}}}}"#
    );
    let server = TestServer::start([
        ("/session/token", Route::ok(session)),
        (
            "/user/profile",
            Route::status(
                403,
                r#"{"status":"error","message":"Incorrect `api_key` or `access_token`.","error_type":"TokenException"}"#,
            ),
        ),
        ("/orders", Route::ok("x").with(Behaviour::Drop)),
        (
            "/orders/1",
            Route::status(
                404,
                r#"{"status":"error","message":"Couldn't find that `order_id`.","error_type":"GeneralException"}"#,
            ),
        ),
    ]);
    let dir = std::env::temp_dir().join(format!("tt-secrets-{}", std::process::id()));
    let zerodha = Zerodha::new(
        ZerodhaConfig::new("api_key_1", API_SECRET)
            .api_root(server.url(""))
            .session_file(dir.join("session.json"))
            .instrument_master_path(dir.join("missing.db"))
            .without_rate_limits(),
    );
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    zerodha.on_session_expired(move |event| seen.lock().unwrap().push(event.clone()));

    let captured = CapturedLogs::default();
    let subscriber = captured.subscriber();
    let mut texts = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = rt
            .block_on(zerodha.complete_login("request-token-1"))
            .unwrap();
        texts.push(format!("{session:?}"));
        texts.push(format!("{zerodha:?}"));
        texts.push(format!("{:?}", zerodha.config()));
        texts.push(zerodha.login_url());
        let errors = [
            rt.block_on(zerodha.orders()).unwrap_err(),
            rt.block_on(zerodha.order_history(&OrderId::new("1").unwrap()))
                .unwrap_err(),
            rt.block_on(zerodha.profile()).unwrap_err(),
            // After the TokenException the session is gone: the next call refuses locally.
            rt.block_on(zerodha.profile()).unwrap_err(),
        ];
        for error in &errors {
            texts.push(error.to_string());
            texts.push(format!("{error:?}"));
        }
        assert!(
            matches!(errors[2], tt_core::Error::SessionExpired { .. }),
            "{}",
            errors[2]
        );
        zerodha
            .use_access_token("TT0001", Secret::new(ACCESS_TOKEN))
            .unwrap();
        texts.push(format!("{zerodha:?}"));
    });
    texts.push(captured.text());
    let everything = texts.join("\n");
    assert!(
        everything.contains("session started"),
        "logs were captured: {everything}"
    );
    assert!(!everything.contains(ACCESS_TOKEN), "{everything}");
    assert!(!everything.contains(API_SECRET), "{everything}");
    assert_eq!(ended.lock().unwrap().len(), 1);
    assert_eq!(ended.lock().unwrap()[0].user_id.as_deref(), Some("TT0001"));
    // The session file does hold the token, and only its owner may read it.
    tt_test_support::assert_owner_only(&dir.join("session.json"));
    let _ = std::fs::remove_dir_all(&dir);
}
