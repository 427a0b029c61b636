//! Kite's rate limits as the adapter applies them, over loopback HTTP in real time.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use tt_core::{Instrument, OrderId, OrderRequest, ProductType, Trading};
use tt_test_support::http::{Route, TestServer};

const MASTER_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

const PLACED: &str = r#"{"status":"success","data":{"order_id":"151220000000042"}}"#;

#[tokio::test]
async fn a_cancel_is_not_queued_behind_a_burst_of_placements() {
    let dir = std::env::temp_dir().join(format!("tt-zerodha-limits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let master = common::kite_master(&dir, MASTER_CSV);
    let server = TestServer::start([
        ("/orders/regular", Route::ok(PLACED)),
        ("/orders/regular/151220000000042", Route::ok(PLACED)),
    ]);
    // Kite's own limits: placing 10 a second.
    let zerodha = common::log_in(common::config(&server.url(""), master, &dir));
    let order = OrderRequest::buy(
        "NSE:INFY".parse::<Instrument>().unwrap(),
        1,
        ProductType::Cnc,
    )
    .limit("1500.05".parse().unwrap())
    .build()
    .unwrap();
    // One placement first, so the cancel's variety is known without a history call.
    let id = zerodha.place_order(&order).await.unwrap();
    let started = Instant::now();
    let burst: Vec<_> = (0..25)
        .map(|_| {
            let (zerodha, order) = (zerodha.clone(), order.clone());
            tokio::spawn(async move { zerodha.place_order(&order).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cancel_started = Instant::now();
    let cancelled = zerodha.cancel_order(&id).await.unwrap();
    assert_eq!(cancelled, OrderId::new("151220000000042").unwrap());
    assert!(
        cancel_started.elapsed() < Duration::from_millis(700),
        "the cancel waited {:?}",
        cancel_started.elapsed()
    );
    for placement in burst {
        placement.await.unwrap().unwrap();
    }
    // The burst itself kept to ten a second.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
