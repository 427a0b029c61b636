//! A `place_order` whose caller gives up while the request is in flight still completes, and its
//! outcome (the tag and Kite's order id) is logged for reconciliation. Over loopback HTTP.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use tt_core::{ClientTag, Instrument, OrderRequest, ProductType, Trading};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_test_support::logs::CapturedLogs;

const MASTER_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

#[tokio::test]
async fn a_place_order_dropped_mid_flight_still_completes_and_logs_its_order_id() {
    let logs = CapturedLogs::global();
    let dir = std::env::temp_dir().join(format!("tt-zerodha-dropped-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let master = common::kite_master(&dir, MASTER_CSV);
    // Kite takes half a second to answer.
    let server = TestServer::start([(
        "/orders/regular",
        Route::ok(r#"{"status":"success","data":{"order_id":"151220000000042"}}"#)
            .with(Behaviour::Stall(Duration::from_millis(500))),
    )]);
    let zerodha =
        common::log_in(common::config(&server.url(""), master, &dir).without_rate_limits());
    let infy: Instrument = "NSE:INFY".parse().unwrap();
    let order = OrderRequest::buy(infy, 10, ProductType::Cnc)
        .limit("1500.05".parse().unwrap())
        .tag(ClientTag::new("droppedplace1").unwrap())
        .build()
        .unwrap();

    // The caller stops waiting after 150 ms.
    let gave_up = tokio::time::timeout(Duration::from_millis(150), zerodha.place_order(&order))
        .await
        .is_err();
    assert!(gave_up);
    assert_eq!(server.received().len(), 1, "the order had left");

    let line = logs
        .line_with(
            &["order call finished", "droppedplace1"],
            Duration::from_secs(5),
        )
        .await;
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("order_id=\"151220000000042\""), "{line}");
    assert!(!line.contains("access-token"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
