//! The central REST path: retries for reads, at most once for orders, over loopback HTTP.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use tt_core::{ClientTag, Error, OrderAction};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_test_support::logs::CapturedLogs;
use tt_transport::{
    ApiClient, CallKind, HttpClient, HttpConfig, RateClass, RateLimiter, RawResponse,
    ResponseCheck, RetryPolicy,
};

/// A broker whose errors are any status from 400 up, named by their body; a success's body is
/// its order id.
#[derive(Clone)]
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

    fn order_id(&self, response: &RawResponse) -> Option<String> {
        Some(String::from_utf8_lossy(&response.body).into_owned())
    }
}

fn api(timeout: Duration) -> ApiClient {
    api_with(HttpConfig {
        response_timeout: timeout,
        ..HttpConfig::default()
    })
}

fn api_with(config: HttpConfig) -> ApiClient {
    let http = HttpClient::new(config).unwrap();
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
    };
    ApiClient::new("test", http, RateLimiter::unlimited(), retry)
}

/// A TCP listener on loopback that accepts connections and never says a word: a TLS handshake
/// to it hangs forever, as a black-holed host's would.
async fn silent_listener() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
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
    CallKind::Order(OrderAction::Place {
        tag: ClientTag::new(tag).unwrap(),
    })
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
            RateClass::Other,
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
            RateClass::Other,
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
            RateClass::Other,
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
            RateClass::OrderPlace,
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
            .call(
                RateClass::OrderPlace,
                order("t1"),
                post(&server.url(path)),
                &StatusCheck,
            )
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
            RateClass::OrderPlace,
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
            RateClass::OrderPlace,
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

#[tokio::test]
async fn an_order_that_gets_no_connection_in_time_is_a_retryable_network_error() {
    let port = silent_listener().await;
    let client = api_with(HttpConfig {
        connect_timeout: Duration::from_millis(300),
        response_timeout: Duration::from_secs(30),
        ..HttpConfig::default()
    });
    let started = Instant::now();
    let error = client
        .call(
            RateClass::OrderPlace,
            order("t4"),
            post(&format!("https://127.0.0.1:{port}/orders/regular")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error}");
    assert!(error.retryable());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn the_response_timer_does_not_run_while_connecting() {
    // The TLS handshake hangs past the response timeout: that is still connecting, so the order
    // provably never left, and the answer is a network error, never an unknown outcome.
    let port = silent_listener().await;
    let client = api_with(HttpConfig {
        connect_timeout: Duration::from_millis(800),
        response_timeout: Duration::from_millis(100),
        ..HttpConfig::default()
    });
    let error = client
        .call(
            RateClass::OrderPlace,
            order("t5"),
            post(&format!("https://127.0.0.1:{port}/orders/regular")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error}");
}

#[tokio::test]
async fn one_deadline_covers_the_whole_body() {
    // A byte every 50 ms never pauses for the 400 ms timeout, but the whole body would take 2 s.
    let server = TestServer::start([(
        "/orders",
        Route::ok(vec![b'x'; 40]).with(Behaviour::Trickle(Duration::from_millis(50))),
    )]);
    let started = Instant::now();
    let error = api(Duration::from_millis(400))
        .call(
            RateClass::Other,
            CallKind::Once,
            get(&server.url("/orders")),
            &StatusCheck,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn a_body_over_the_cap_is_an_error_naming_the_cap() {
    let server = TestServer::start([("/trades", Route::ok(vec![b'x'; 5000]))]);
    let error = api_with(HttpConfig {
        max_body_bytes: 4096,
        ..HttpConfig::default()
    })
    .call(
        RateClass::Other,
        CallKind::Read,
        get(&server.url("/trades")),
        &StatusCheck,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::MalformedResponse { .. }), "{error}");
    assert!(error.to_string().contains("4096-byte cap"), "{error}");
    assert!(!error.retryable());
}

#[tokio::test]
async fn an_order_answer_over_the_cap_is_an_unknown_outcome() {
    let server = TestServer::start([("/orders/regular", Route::ok(vec![b'x'; 5000]))]);
    let error = api_with(HttpConfig {
        max_body_bytes: 4096,
        ..HttpConfig::default()
    })
    .call(
        RateClass::OrderPlace,
        order("t6"),
        post(&server.url("/orders/regular")),
        &StatusCheck,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, Error::OrderOutcomeUnknown { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("4096-byte cap"), "{error}");
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_connecting() {
    let client = api(Duration::from_secs(5));
    for url in [
        "http://10.11.12.13/orders/regular?access_token=SECRET123",
        "http://api.kite.trade/orders/regular",
        "http://localhost.example.com/orders/regular",
        "http://[fe80::1]/orders/regular",
        "ftp://127.0.0.1/orders/regular",
    ] {
        let started = Instant::now();
        let error = client
            .call(RateClass::OrderPlace, order("t7"), post(url), &StatusCheck)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{url}: {error}");
        assert!(error.to_string().contains("loopback"), "{url}: {error}");
        assert!(!error.to_string().contains("SECRET123"), "{error}");
        assert!(started.elapsed() < Duration::from_millis(200), "{url}");
    }
}

#[tokio::test]
async fn plain_http_to_localhost_is_allowed() {
    let server = TestServer::start([("/profile", Route::ok("fine"))]);
    let url = server.url("/profile").replace("127.0.0.1", "localhost");
    let response = api(Duration::from_secs(5))
        .call(RateClass::Other, CallKind::Read, get(&url), &StatusCheck)
        .await
        .unwrap();
    assert_eq!(&response.body[..], b"fine");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_reported_not_waited_out() {
    let mut limited = Route::status(429, "slow down");
    limited
        .headers
        .push(("Retry-After".to_owned(), "3600".to_owned()));
    let server = TestServer::start([("/quote", limited)]);
    let client = api(Duration::from_secs(5));
    let call = client.call(
        RateClass::Quote,
        CallKind::Read,
        get(&server.url("/quote")),
        &StatusCheck,
    );
    let error = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("a read must not sleep out an hour's Retry-After")
        .unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_retry_after_within_the_cap_is_waited_out() {
    let mut limited = Route::status(429, "slow down");
    limited
        .headers
        .push(("Retry-After".to_owned(), "1".to_owned()));
    let server = TestServer::start([]);
    server.sequence("/quote", vec![limited, Route::ok("fine")]);
    let started = Instant::now();
    let response = api(Duration::from_secs(5))
        .call(
            RateClass::Quote,
            CallKind::Read,
            get(&server.url("/quote")),
            &StatusCheck,
        )
        .await
        .unwrap();
    assert_eq!(&response.body[..], b"fine");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn an_order_call_dropped_mid_flight_still_completes_and_logs_its_outcome() {
    let logs = CapturedLogs::global();
    let server = TestServer::start([(
        "/orders/regular",
        Route::ok("151220000000042").with(Behaviour::Stall(Duration::from_millis(500))),
    )]);
    let client = api(Duration::from_secs(5));
    let url = server.url("/orders/regular");
    let call = client.call(
        RateClass::OrderPlace,
        order("dropped1"),
        post(&url),
        &StatusCheck,
    );
    // The caller gives up while the server is still thinking.
    assert!(
        tokio::time::timeout(Duration::from_millis(150), call)
            .await
            .is_err()
    );
    assert_eq!(server.received().len(), 1, "the request had left");
    let line = logs
        .line_with(&["order call finished", "dropped1"], Duration::from_secs(5))
        .await;
    assert!(line.contains("tag=\"dropped1\""), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("order_id=\"151220000000042\""), "{line}");
}
