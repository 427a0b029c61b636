//! The central REST path: retries for reads, at most once for orders, over loopback HTTP.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;
use tt_core::{ClientTag, Error};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_transport::{
    ApiClient, CallKind, HttpClient, HttpConfig, RateLimiter, RawResponse, ResponseCheck,
    RetryPolicy,
};

/// A broker whose errors are any status from 400 up, named by their body.
struct StatusCheck;

impl ResponseCheck for StatusCheck {
    fn check(&self, response: &RawResponse) -> Result<(), Error> {
        match response.status {
            429 => Err(Error::RateLimited {
                broker: "test",
                retry_after: None,
            }),
            status if status >= 400 => Err(Error::Broker {
                broker: "test",
                status: Some(status),
                code: "TestError".into(),
                message: String::from_utf8_lossy(&response.body).into_owned(),
            }),
            _ => Ok(()),
        }
    }
}

fn api(timeout: Duration) -> ApiClient {
    let http = HttpClient::new(HttpConfig {
        response_timeout: timeout,
        ..HttpConfig::default()
    })
    .unwrap();
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    ApiClient::new("test", http, RateLimiter::unlimited(), retry)
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

fn post(url: &str) -> http::Request<Bytes> {
    http::Request::post(url)
        .body(Bytes::from_static(b"quantity=1"))
        .unwrap()
}

fn order(tag: &str) -> CallKind {
    CallKind::Order {
        tag: ClientTag::new(tag).unwrap(),
    }
}

#[tokio::test]
async fn reads_retry_through_5xx_and_429() {
    let server = TestServer::start([]);
    server.sequence(
        "/profile",
        vec![
            Route::status(503, "down"),
            Route::status(429, "slow down"),
            Route::ok("fine"),
        ],
    );
    let response = api(Duration::from_secs(5))
        .call(
            "default",
            CallKind::Read,
            get(&server.url("/profile")),
            &StatusCheck,
        )
        .await
        .unwrap();
    assert_eq!(&response.body[..], b"fine");
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn reads_give_up_after_the_last_attempt_with_the_mapped_error() {
    let server = TestServer::start([("/profile", Route::status(502, "bad gateway"))]);
    let error = api(Duration::from_secs(5))
        .call(
            "default",
            CallKind::Read,
            get(&server.url("/profile")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Broker {
                status: Some(502),
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn reads_retry_dropped_connections_then_report_a_network_error() {
    let server = TestServer::start([("/orders", Route::ok("x").with(Behaviour::Drop))]);
    let error = api(Duration::from_secs(5))
        .call(
            "default",
            CallKind::Read,
            get(&server.url("/orders")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error}");
    assert!(error.retryable());
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn an_order_is_sent_once_and_a_5xx_is_an_unknown_outcome() {
    let server = TestServer::start([("/orders/regular", Route::status(503, "oms down"))]);
    let error = api(Duration::from_secs(5))
        .call(
            "order",
            order("tag503"),
            post(&server.url("/orders/regular")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    match error {
        Error::OrderOutcomeUnknown { tag, .. } => assert_eq!(tag.as_str(), "tag503"),
        other => panic!("expected an unknown outcome, got {other}"),
    }
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_dropped_or_stalled_order_is_an_unknown_outcome_never_retried() {
    let server = TestServer::start([
        ("/drop", Route::ok("x").with(Behaviour::Drop)),
        (
            "/stall",
            Route::ok("x").with(Behaviour::Stall(Duration::from_secs(2))),
        ),
        (
            "/cut",
            Route::ok(vec![b'x'; 1000]).with(Behaviour::CutShort),
        ),
    ]);
    let client = api(Duration::from_millis(300));
    for path in ["/drop", "/stall", "/cut"] {
        let error = client
            .call("order", order("t1"), post(&server.url(path)), &StatusCheck)
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::OrderOutcomeUnknown { .. }),
            "{path}: {error}"
        );
        assert!(!error.retryable(), "{path}");
    }
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn a_refused_connection_means_the_order_never_left() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = api(Duration::from_secs(5))
        .call(
            "order",
            order("t2"),
            post(&format!(
                "http://127.0.0.1:{port}/orders/regular?access_token=SECRET123"
            )),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error}");
    assert!(!error.to_string().contains("SECRET123"), "{error}");
}

#[tokio::test]
async fn a_definite_rejection_of_an_order_is_the_mapped_error() {
    let server = TestServer::start([("/orders/regular", Route::status(400, "bad price"))]);
    let error = api(Duration::from_secs(5))
        .call(
            "order",
            order("t3"),
            post(&server.url("/orders/regular")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Broker {
                status: Some(400),
                ..
            }
        ),
        "{error}"
    );
}
