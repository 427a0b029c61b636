//! Contract multipliers: a currency future's quantity is in lots of 1,000 units of the
//! currency, so its value, profit and loss and margin are price × quantity × 1,000, and both
//! brokers' positions say `multiplier` 1000. An MCX future's multiplier is the one Upstox's
//! dump states (`qty_multiplier`): gold is quoted per 10 g and traded per kilogram, ×100, at
//! Kite too, whose dump states none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{KITE_CSV, Kite, NOW, TempDir, UpstoxClient, build_both};
use serde_json::{Value, json};
use tt_core::{Amount, ManualClock};
use tt_sim::{RateLimits, SimBroker, SimConfig, SimHandle, Simulator};

/// Upstox's rows of the USDINR December future (NSE's currency segment), which the master
/// joins with Kite's `CDS:USDINR26DECFUT`, and of the MCX gold December future, which it joins
/// with Kite's `MCX:GOLD26DECFUT` (its `qty_multiplier` as in Upstox's December 2025 file).
const UPSTOX_ROWS: &str = r#"[
{"weekly":false,"segment":"NCD_FO","name":"USDINR","exchange":"NSE","expiry":1798568999000,"instrument_type":"FUT","asset_symbol":"USDINR","underlying_symbol":"USDINR","instrument_key":"NCD_FO|1612","lot_size":1,"freeze_quantity":10000.0,"exchange_token":"1612","minimum_lot":1,"tick_size":0.25,"asset_type":"CUR","underlying_type":"CUR","trading_symbol":"USDINR FUT 29 DEC 26","strike_price":0.0,"qty_multiplier":1000.0},
{"segment":"MCX_FO","name":"GOLD","exchange":"MCX","expiry":1796495399000,"instrument_type":"FUT","asset_symbol":"GOLD","underlying_symbol":"GOLD","instrument_key":"MCX_FO|437000","lot_size":1,"freeze_quantity":10.0,"exchange_token":"437000","asset_key":"MCX_COM|114","underlying_key":"MCX_COM|114","tick_size":100.0,"asset_type":"COM","underlying_type":"COM","trading_symbol":"GOLD FUT 05 DEC 26","strike_price":0.0,"price_quote_unit":"GRMS","qty_multiplier":100.0}
]"#;

async fn start(dir: &TempDir) -> (SimHandle, Kite, UpstoxClient) {
    let master = build_both(&dir.path("instruments.db"), KITE_CSV, UPSTOX_ROWS);
    let sim = Simulator::start(
        SimConfig::new(master)
            .rate_limits(RateLimits::UNLIMITED)
            // ₹20,00,000, for a kilogram of gold.
            .commodity_funds(Amount::from_rupees(2_000_000))
            .clock(Arc::new(ManualClock::new(NOW))),
    )
    .await
    .unwrap();
    let kite = Kite {
        addr: sim.addr(),
        api_key: sim.app().api_key.clone(),
        access_token: sim.open_session(),
    };
    let upstox = UpstoxClient {
        addr: sim.addr(),
        access_token: sim.open_session_for(SimBroker::Upstox),
    };
    (sim, kite, upstox)
}

/// The row of `rows` whose `field` is `symbol`.
fn find(rows: &Value, field: &str, symbol: &str) -> Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|p| p[field] == symbol)
        .unwrap_or_else(|| panic!("no {symbol} in {rows}"))
        .clone()
}

#[tokio::test]
async fn a_currency_futures_value_pnl_and_margin_are_per_thousand_units() {
    let dir = TempDir::new("multipliers-kite");
    let (sim, kite, _) = start(&dir).await;
    sim.set_price("CDS:USDINR26DECFUT", "83.2575".parse().unwrap())
        .unwrap();
    let id = kite
        .place("exchange=CDS&tradingsymbol=USDINR26DECFUT&transaction_type=BUY&order_type=MARKET&quantity=1&product=NRML")
        .await;
    assert_eq!(kite.order(&id).await["average_price"], 83.2575);
    sim.set_price("CDS:USDINR26DECFUT", "83.5".parse().unwrap())
        .unwrap();

    let positions = kite.get("/portfolio/positions").await.data();
    let position = find(&positions["net"], "tradingsymbol", "USDINR26DECFUT");
    assert_eq!(position["multiplier"], 1000);
    assert_eq!(position["quantity"], 1);
    assert_eq!(position["average_price"], 83.2575);
    assert_eq!(position["buy_price"], 83.2575);
    assert_eq!(position["buy_value"], 83257.5);
    assert_eq!(position["value"], -83257.5);
    // (83.50 - 83.2575) × 1 × 1,000.
    assert_eq!(position["pnl"], 242.5);
    assert_eq!(position["unrealised"], 242.5);

    // Futures margin: 10% span and 5% exposure of the value, 83,257.50.
    let equity = kite.get("/user/margins/equity").await.data();
    assert_eq!(equity["utilised"]["span"], 8325.75);
    assert_eq!(equity["utilised"]["exposure"], 4162.875);
}

#[tokio::test]
async fn upstox_positions_carry_the_multiplier_too() {
    let dir = TempDir::new("multipliers-upstox");
    let (sim, _, upstox) = start(&dir).await;
    sim.set_price("NCD_FO|1612", "83.25".parse().unwrap())
        .unwrap();
    let order = json!({
        "instrument_token": "NCD_FO|1612", "quantity": 2, "product": "D", "validity": "DAY",
        "price": 0, "order_type": "MARKET", "transaction_type": "SELL",
        "disclosed_quantity": 0, "trigger_price": 0, "is_amo": false
    });
    upstox.place_one(&order.to_string()).await;
    sim.set_price("NCD_FO|1612", "83".parse().unwrap()).unwrap();

    let positions = upstox
        .get("/v2/portfolio/short-term-positions")
        .await
        .data();
    let position = find(&positions, "instrument_token", "NCD_FO|1612");
    assert_eq!(position["multiplier"], 1000.0);
    assert_eq!(position["quantity"], -2);
    assert_eq!(position["sell_value"], 166500);
    assert_eq!(position["sell_price"], 83.25);
    // Short 2,000 USD from 83.25 to 83.00.
    assert_eq!(position["pnl"], 500);

    let funds = upstox.get("/v2/user/get-funds-and-margin").await.data();
    // 10% span and 5% exposure of 1,66,500.
    assert_eq!(funds["equity"]["span_margin"], 16650);
    assert_eq!(funds["equity"]["exposure_margin"], 8325);
}

#[tokio::test]
async fn an_mcx_futures_value_pnl_and_margin_use_the_stated_multiplier_at_kite() {
    let dir = TempDir::new("multipliers-gold-kite");
    let (sim, kite, _) = start(&dir).await;
    sim.set_price("MCX:GOLD26DECFUT", "76000".parse().unwrap())
        .unwrap();
    kite.place("exchange=MCX&tradingsymbol=GOLD26DECFUT&transaction_type=BUY&order_type=MARKET&quantity=1&product=NRML")
        .await;
    sim.set_price("MCX:GOLD26DECFUT", "76500".parse().unwrap())
        .unwrap();

    let positions = kite.get("/portfolio/positions").await.data();
    let gold = find(&positions["net"], "tradingsymbol", "GOLD26DECFUT");
    assert_eq!(gold["multiplier"], 100);
    assert_eq!(gold["quantity"], 1);
    assert_eq!(gold["buy_value"], 7_600_000.0);
    assert_eq!(gold["value"], -7_600_000.0);
    // (76,500 - 76,000) per 10 g × 100 (one kilogram).
    assert_eq!(gold["pnl"], 50_000.0);

    // 10% span and 5% exposure of 76,00,000, from the commodity segment.
    let commodity = kite.get("/user/margins/commodity").await.data();
    assert_eq!(commodity["utilised"]["span"], 760_000.0);
    assert_eq!(commodity["utilised"]["exposure"], 380_000.0);
}

#[tokio::test]
async fn an_mcx_futures_value_pnl_and_margin_use_the_stated_multiplier_at_upstox() {
    let dir = TempDir::new("multipliers-gold-upstox");
    let (sim, _, upstox) = start(&dir).await;
    sim.set_price("MCX_FO|437000", "76000".parse().unwrap())
        .unwrap();
    let order = json!({
        "instrument_token": "MCX_FO|437000", "quantity": 1, "product": "D", "validity": "DAY",
        "price": 0, "order_type": "MARKET", "transaction_type": "SELL",
        "disclosed_quantity": 0, "trigger_price": 0, "is_amo": false
    });
    upstox.place_one(&order.to_string()).await;
    sim.set_price("MCX_FO|437000", "75500".parse().unwrap())
        .unwrap();

    let positions = upstox
        .get("/v2/portfolio/short-term-positions")
        .await
        .data();
    let gold = find(&positions, "instrument_token", "MCX_FO|437000");
    assert_eq!(gold["multiplier"], 100.0);
    assert_eq!(gold["quantity"], -1);
    assert_eq!(gold["sell_value"], 7_600_000);
    // Short one kilogram from 76,000 to 75,500 per 10 g.
    assert_eq!(gold["pnl"], 50_000);

    let funds = upstox.get("/v2/user/get-funds-and-margin").await.data();
    assert_eq!(funds["commodity"]["span_margin"], 760_000);
    assert_eq!(funds["commodity"]["exposure_margin"], 380_000);
}

#[tokio::test]
async fn the_upstox_instrument_file_states_the_multiplier() {
    let dir = TempDir::new("multipliers-file");
    let (sim, _, _) = start(&dir).await;
    let answer = common::instrument_file(sim.addr(), "MCX.json.gz").await;
    let rows: Vec<Value> = serde_json::from_slice(&common::gunzip(&answer.body)).unwrap();
    let gold = find(&Value::Array(rows), "instrument_key", "MCX_FO|437000");
    assert_eq!(gold["qty_multiplier"], 100.0);
}
