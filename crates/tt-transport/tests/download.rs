//! Downloads over real loopback HTTP.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;
use std::time::Duration;

use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_transport::{HttpClient, HttpConfig, TransportError};

fn client(timeout: Duration) -> HttpClient {
    HttpClient::new(HttpConfig {
        response_timeout: timeout,
        ..HttpConfig::default()
    })
    .unwrap()
}

async fn download(client: &HttpClient, url: &str) -> (Result<u64, TransportError>, Vec<u8>) {
    let request = http::Request::get(url)
        .header("x-test", "1")
        .body(())
        .unwrap();
    let mut sink = Vec::new();
    let result = client.download(request, &mut sink, &|_, _| {}).await;
    (result, sink)
}

#[tokio::test]
async fn streams_the_body_and_reports_progress() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let server = TestServer::start([("/dump", Route::ok(body.clone()))]);
    let seen = Mutex::new(Vec::new());
    let request = http::Request::get(server.url("/dump"))
        .header("x-test", "1")
        .body(())
        .unwrap();
    let mut sink = Vec::new();
    let written = client(Duration::from_secs(5))
        .download(request, &mut sink, &|done, total| {
            seen.lock().unwrap().push((done, total))
        })
        .await
        .unwrap();
    assert_eq!(written, 200_000);
    assert_eq!(sink, body);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.first(), Some(&(0, Some(200_000))));
    assert_eq!(seen.last(), Some(&(200_000, Some(200_000))));
    assert_eq!(
        server.received()[0]
            .headers
            .iter()
            .find(|(n, _)| n == "x-test")
            .map(|(_, v)| v.as_str()),
        Some("1")
    );
}

#[tokio::test]
async fn error_statuses_carry_the_body_and_say_if_retrying_helps() {
    let server = TestServer::start([
        (
            "/forbidden",
            Route::status(403, r#"{"status":"error","error_type":"TokenException"}"#),
        ),
        ("/busy", Route::status(503, "maintenance")),
    ]);
    let client = client(Duration::from_secs(5));
    let (result, _) = download(&client, &server.url("/forbidden")).await;
    match result {
        Err(e @ TransportError::Status { status: 403, .. }) => {
            assert!(e.to_string().contains("TokenException"));
            assert!(!e.retryable());
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    let (result, _) = download(&client, &server.url("/busy")).await;
    assert!(result.unwrap_err().retryable());
}

#[tokio::test]
async fn a_stalled_server_is_a_timeout() {
    let server = TestServer::start([(
        "/slow",
        Route::ok("late").with(Behaviour::Stall(Duration::from_secs(3))),
    )]);
    let (result, _) = download(&client(Duration::from_millis(200)), &server.url("/slow")).await;
    assert!(
        matches!(result, Err(TransportError::Timeout { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_not_a_short_file() {
    let server = TestServer::start([(
        "/cut",
        Route::ok(vec![7u8; 10_000]).with(Behaviour::CutShort),
    )]);
    let (result, _) = download(&client(Duration::from_secs(5)), &server.url("/cut")).await;
    assert!(
        matches!(result, Err(TransportError::Body { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (result, _) = download(
        &client(Duration::from_secs(5)),
        &format!("http://127.0.0.1:{port}/x"),
    )
    .await;
    match result {
        Err(e @ TransportError::Connect { .. }) => assert!(e.retryable()),
        other => panic!("expected a connection error, got {other:?}"),
    }
}
