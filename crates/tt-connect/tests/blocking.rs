//! The blocking client's runtime lives on its own thread: it works from `spawn_blocking`, can
//! be dropped inside async code, and never uses connections another runtime drives. Over
//! loopback HTTP, with Zerodha as the broker.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "zerodha")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use time::macros::datetime;
use tt_connect::{ManualClock, Secret, Zerodha, ZerodhaConfig};
use tt_test_support::http::{Route, TestServer};
use tt_transport::{HttpConfig, RetryPolicy};

const PROFILE: &str = r#"{"status":"success","data":{"user_id":"TT0001","user_name":"T","email":"t@example.com","exchanges":["NSE"],"products":["CNC"],"order_types":["LIMIT"]}}"#;

fn server() -> TestServer {
    TestServer::start([("/user/profile", Route::ok(PROFILE))])
}

/// A logged-in Zerodha against `server`, with a session file of its own.
fn zerodha(server: &TestServer) -> Zerodha {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tt-connect-blocking-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let zerodha = Zerodha::new(
        ZerodhaConfig::new("key", "secret")
            .api_root(server.url(""))
            .session_file(dir.join("session.json"))
            .http(HttpConfig {
                response_timeout: Duration::from_secs(3),
                ..HttpConfig::default()
            })
            // One attempt: a retry on a fresh connection would hide a stuck one.
            .retry(RetryPolicy::none())
            .clock(Arc::new(ManualClock::new(
                datetime!(2026-11-24 10:00 +05:30),
            )))
            .without_rate_limits(),
    );
    zerodha
        .use_access_token("TT0001", Secret::new("token"))
        .unwrap();
    zerodha
}

#[tokio::test]
async fn the_blocking_client_works_from_spawn_blocking() {
    let server = server();
    let zerodha = zerodha(&server);
    let profile = tokio::task::spawn_blocking(move || {
        tt_connect::blocking::Client::new(zerodha)
            .unwrap()
            .profile()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(profile.user_id, "TT0001");
}

#[tokio::test]
async fn the_blocking_client_can_be_dropped_inside_async_code() {
    let server = server();
    let client = tt_connect::blocking::Client::new(zerodha(&server)).unwrap();
    drop(client);
    // The runtime went on its own thread; this one carries on.
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn the_blocking_client_never_uses_connections_another_runtime_drives() {
    let server = server();
    server.keep_connections_alive();
    let client = tt_connect::Client::new(zerodha(&server));
    client.profile().await.unwrap();
    // The async call left a pooled connection served by a task of this test's runtime, whose
    // only thread is about to block in the blocking client: that connection cannot move now.
    let blocking = tt_connect::blocking::Client::from_async(client).unwrap();
    let profile = blocking.profile().unwrap();
    assert_eq!(profile.user_id, "TT0001");
    assert_eq!(server.connections(), 2);
    drop(blocking);
}
