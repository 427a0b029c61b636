//! Connections are pooled per tokio runtime, over loopback HTTP.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use tt_test_support::http::{Route, TestServer};
use tt_transport::{HttpClient, HttpConfig};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

#[test]
fn a_second_runtime_never_waits_on_a_connection_the_first_one_drives() {
    let server = TestServer::start([("/profile", Route::ok("fine"))]);
    server.keep_connections_alive();
    let client = HttpClient::new(HttpConfig {
        response_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    })
    .unwrap();
    let first = runtime();
    let response = first.block_on(client.send(get(&server.url("/profile"))));
    assert_eq!(&response.unwrap().body[..], b"fine");
    // `first` still exists, but nothing drives it now: a connection its task serves is stuck.
    let second = runtime();
    let response = second.block_on(client.send(get(&server.url("/profile"))));
    assert_eq!(&response.unwrap().body[..], b"fine");
    assert_eq!(server.connections(), 2);
    // Within one runtime the connection is reused.
    let response = second.block_on(client.send(get(&server.url("/profile"))));
    assert_eq!(&response.unwrap().body[..], b"fine");
    assert_eq!(server.connections(), 2);
}
