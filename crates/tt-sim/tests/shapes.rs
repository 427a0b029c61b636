//! Every endpoint's response has the keys and JSON types of Kite's recorded response for it
//! (the shared fixtures' `kite/mocks/*.json`), nothing more and nothing less.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TestSim, assert_same_shape, mock, union_of_entries};
use serde_json::Value;

/// Fields only orders of other varieties carry (auction, and the terminal of a dealer).
const OTHER_VARIETIES: &[&str] = &["auction_number", "terminal_id"];

/// A simulator with one filled and one open order, one trade, one position.
async fn traded(name: &str) -> (TestSim, String, String) {
    let sim = TestSim::start(name).await;
    sim.set_price("NSE:INFY", "1500");
    let filled = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=2&product=MIS&tag=shape1")
        .await;
    let open = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1400&quantity=1&product=CNC")
        .await;
    (sim, filled, open)
}

fn compare(name: &str, ours: &Value) {
    if let Some(theirs) = mock(name) {
        assert_same_shape(name, ours, &theirs, &[]);
    }
}

#[tokio::test]
async fn profile_has_the_recorded_shape() {
    let sim = TestSim::start("shape-profile").await;
    compare("profile.json", &sim.kite.get("/user/profile").await.data());
}

#[tokio::test]
async fn margins_have_the_recorded_shape() {
    let (sim, _, _) = traded("shape-margins").await;
    let all = sim.kite.get("/user/margins").await.data();
    compare("margins.json", &all);
    compare(
        "margins_equity.json",
        &sim.kite.get("/user/margins/equity").await.data(),
    );
    compare(
        "margin_commodity.json",
        &sim.kite.get("/user/margins/commodity").await.data(),
    );
    assert!(all["equity"]["utilised"].get("utilised").is_none());
    sim.kite
        .get("/user/margins/crypto")
        .await
        .error(400, "InputException");
}

#[tokio::test]
async fn holdings_have_the_recorded_shape() {
    let sim = TestSim::start("shape-holdings").await;
    let holdings = sim.kite.get("/portfolio/holdings").await.data();
    assert_eq!(holdings.as_array().unwrap().len(), 3);
    compare("holdings.json", &holdings);
}

#[tokio::test]
async fn positions_have_the_recorded_shape() {
    let (sim, _, _) = traded("shape-positions").await;
    let positions = sim.kite.get("/portfolio/positions").await.data();
    assert_eq!(positions["net"].as_array().unwrap().len(), 1);
    assert_eq!(positions["day"].as_array().unwrap().len(), 1);
    compare("positions.json", &positions);
}

#[tokio::test]
async fn orders_carry_every_field_of_the_recorded_orderbook() {
    let (sim, _, _) = traded("shape-orders").await;
    let orders = sim.kite.get("/orders").await.data();
    assert_eq!(orders.as_array().unwrap().len(), 2);
    if let Some(recorded) = mock("orders.json") {
        let every_field = union_of_entries(&recorded);
        for order in orders.as_array().unwrap() {
            assert_same_shape("orders", order, &every_field, OTHER_VARIETIES);
        }
    }
}

#[tokio::test]
async fn order_history_entries_are_full_orders() {
    let (sim, filled, _) = traded("shape-history").await;
    let history = sim.kite.get(&format!("/orders/{filled}")).await.data();
    assert!(history.is_array());
    if let (Some(recorded), Some(info)) = (mock("orders.json"), mock("order_info.json")) {
        let every_field = union_of_entries(&recorded);
        for entry in history.as_array().unwrap() {
            assert_same_shape("history", entry, &every_field, OTHER_VARIETIES);
            for key in info[0].as_object().unwrap().keys() {
                assert!(entry.get(key).is_some(), "history entry lacks {key}");
            }
        }
    }
}

#[tokio::test]
async fn trades_have_the_recorded_shape() {
    let (sim, filled, open) = traded("shape-trades").await;
    compare("trades.json", &sim.kite.get("/trades").await.data());
    let trades = sim
        .kite
        .get(&format!("/orders/{filled}/trades"))
        .await
        .data();
    compare("order_trades.json", &trades);
    let none = sim.kite.get(&format!("/orders/{open}/trades")).await.data();
    assert_eq!(none, serde_json::json!([]));
}

#[tokio::test]
async fn order_acknowledgements_have_the_recorded_shape() {
    let sim = TestSim::start("shape-acks").await;
    let placed = sim
        .kite
        .post(
            "/orders/regular",
            "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1&quantity=1&product=CNC",
        )
        .await
        .data();
    compare("order_response.json", &placed);
    let id = placed["order_id"].as_str().unwrap();
    let modified = sim
        .kite
        .put(&format!("/orders/regular/{id}"), "price=2")
        .await
        .data();
    compare("order_modify.json", &modified);
    let cancelled = sim
        .kite
        .delete(&format!("/orders/regular/{id}"))
        .await
        .data();
    compare("order_cancel.json", &cancelled);
}

#[tokio::test]
async fn quotes_have_the_recorded_shapes() {
    let sim = TestSim::start("shape-quotes").await;
    for (path, name) in [
        ("/quote", "quote.json"),
        ("/quote/ohlc", "ohlc.json"),
        ("/quote/ltp", "ltp.json"),
    ] {
        let data = sim.kite.get(&format!("{path}?i=NSE:INFY")).await.data();
        if let Some(theirs) = mock(name) {
            assert_same_shape(name, &data["NSE:INFY"], &theirs["NSE:INFY"], &[]);
        }
        assert_eq!(data["NSE:INFY"]["instrument_token"], 408_065);
    }
}
