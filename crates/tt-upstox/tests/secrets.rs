//! No access token or client secret in `Debug`, logs or errors, whatever happens.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use tt_core::{OrderId, Trading};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_test_support::logs::CapturedLogs;
use tt_upstox::{Upstox, UpstoxConfig};

const CLIENT_SECRET: &str = "client-secret-0123456789";
const ACCESS_TOKEN: &str = "access-token-9876543210";
const CODE: &str = "one-time-code-5555";

#[test]
fn secrets_never_reach_debug_logs_or_errors() {
    let token = format!(
        r#"{{"email":"a@b.in","user_id":"AB1234","user_name":"A B","broker":"UPSTOX","access_token":"{ACCESS_TOKEN}","extended_token":null}}"#
    );
    let server = TestServer::start([
        ("/v2/login/authorization/token", Route::ok(token)),
        (
            "/v2/user/profile",
            Route::status(
                401,
                r#"{"status":"error","errors":[{"errorCode":"UDAPI100050","message":"Invalid token used to access API","error_code":"UDAPI100050"}]}"#,
            ),
        ),
        (
            "/v2/order/retrieve-all",
            Route::ok("x").with(Behaviour::Drop),
        ),
        (
            "/v2/order/history",
            Route::status(
                404,
                r#"{"status":"error","errors":[{"error_code":"UDAPI100010","message":"Order not found"}]}"#,
            ),
        ),
    ]);
    let dir = std::env::temp_dir().join(format!("tt-upstox-secrets-{}", std::process::id()));
    let upstox = Upstox::new(
        UpstoxConfig::new("client-id-1", CLIENT_SECRET, "http://127.0.0.1/callback")
            .api_root(server.url(""))
            .session_file(dir.join("session.json"))
            .instrument_master_path(dir.join("missing.db"))
            .rate_limited(false),
    );
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    upstox.on_session_expired(move |event| seen.lock().unwrap().push(event.clone()));

    let captured = CapturedLogs::default();
    let subscriber = captured.subscriber();
    let mut texts: Vec<String> = tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = rt.block_on(upstox.complete_login(CODE)).unwrap();
        let mut rendered = vec![
            format!("{session:?}"),
            format!("{upstox:?}"),
            format!("{:?}", upstox.config()),
            upstox.login_url(),
        ];
        let dropped = rt.block_on(upstox.orders()).unwrap_err();
        let not_found = rt
            .block_on(upstox.order_history(&OrderId::new("1").unwrap()))
            .unwrap_err();
        let refused = rt.block_on(upstox.profile()).unwrap_err();
        assert!(
            matches!(refused, tt_core::Error::SessionExpired { .. }),
            "{refused}"
        );
        // After UDAPI100050 the session is gone: the next call refuses locally.
        let local = rt.block_on(upstox.profile()).unwrap_err();
        for error in [dropped, not_found, refused, local] {
            rendered.push(error.to_string());
            rendered.push(format!("{error:?}"));
        }
        upstox.use_access_token("AB1234", ACCESS_TOKEN).unwrap();
        rendered.push(format!("{upstox:?}"));
        rendered
    });
    texts.push(captured.text());
    let everything = texts.join("\n");
    assert!(
        everything.contains("session started"),
        "logs were captured: {everything}"
    );
    for secret in [ACCESS_TOKEN, CLIENT_SECRET, CODE] {
        assert!(!everything.contains(secret), "{secret}: {everything}");
    }
    assert_eq!(ended.lock().unwrap().len(), 1);
    assert_eq!(ended.lock().unwrap()[0].user_id.as_deref(), Some("AB1234"));
    // The session file does hold the token, and only its owner may read it.
    tt_test_support::assert_owner_only(&dir.join("session.json"));
    let stored = std::fs::read_to_string(dir.join("session.json")).unwrap();
    assert!(stored.contains("\"upstox:client-id-1\""), "{stored}");
    let _ = std::fs::remove_dir_all(&dir);
}
