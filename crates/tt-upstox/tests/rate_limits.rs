//! Upstox's rate limits as the adapter applies them, over loopback HTTP in real time: place,
//! modify and cancel share one bucket of 10 a second; reads have their own.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Scratch, config, log_in, success, upstox_master};
use tt_core::{OrderId, OrderRequest, ProductType, Trading};
use tt_test_support::http::{Route, TestServer};

const PLACED: &str = r#"{"status":"success","data":{"order_ids":["1"]},"metadata":{"latency":2}}"#;
const CANCELLED: &str = r#"{"status":"success","data":{"order_id":"1"},"metadata":{"latency":2}}"#;

#[tokio::test]
async fn orders_share_one_bucket_and_reads_do_not_wait_behind_it() {
    let scratch = Scratch::new("limits");
    let master = upstox_master(&scratch.0);
    let server = TestServer::start([
        ("/v3/order/place", Route::ok(PLACED)),
        ("/v3/order/cancel", Route::ok(CANCELLED)),
        ("/v2/order/retrieve-all", Route::ok(success("[]"))),
    ]);
    // Upstox's own limits (on by default).
    let upstox = log_in(config(&server.url(""), master, &scratch.0));
    assert!(upstox.config().is_rate_limited());
    let order = OrderRequest::buy("NSE:RELIANCE".parse().unwrap(), 1, ProductType::Cnc)
        .limit("2850.1".parse().unwrap())
        .build()
        .unwrap();
    let started = Instant::now();
    let burst: Vec<_> = (0..10)
        .map(|_| {
            let (upstox, order) = (upstox.clone(), order.clone());
            tokio::spawn(async move { upstox.place_order(&order).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A read is not an order: it goes at once.
    let read_started = Instant::now();
    upstox.orders().await.unwrap();
    assert!(read_started.elapsed() < Duration::from_millis(500));
    // The eleventh order call in the second, a cancel, waits for the bucket.
    upstox
        .cancel_order(&OrderId::new("1").unwrap())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    for placement in burst {
        placement.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn without_rate_limits_a_burst_goes_at_once() {
    let scratch = Scratch::new("unlimited");
    let master = upstox_master(&scratch.0);
    let server = TestServer::start([("/v3/order/cancel", Route::ok(CANCELLED))]);
    let upstox = log_in(config(&server.url(""), master, &scratch.0).without_rate_limits());
    let started = Instant::now();
    for _ in 0..15 {
        upstox
            .cancel_order(&OrderId::new("1").unwrap())
            .await
            .unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
