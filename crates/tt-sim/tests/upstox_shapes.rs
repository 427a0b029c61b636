//! Upstox's response shapes: profile, funds, holdings, positions, quotes (keyed by
//! `SEGMENT:SYMBOL`, ISO timestamps, epoch-ms trade times) and the gzip BOD instrument file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::BothSim;
use serde_json::Value;

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn funds_answer_both_segments_or_the_one_asked_for() {
    let sim = BothSim::start("upstox-shapes-funds").await;
    let both = sim.upstox.get("/v2/user/get-funds-and-margin").await.data();
    assert_eq!(keys(&both), ["commodity", "equity"]);
    let equity = &both["equity"];
    assert_eq!(
        keys(equity),
        [
            "adhoc_margin",
            "available_margin",
            "exposure_margin",
            "notional_cash",
            "payin_amount",
            "span_margin",
            "used_margin"
        ]
    );
    assert_eq!(equity["available_margin"], 1_000_000);
    let sec = sim
        .upstox
        .get("/v2/user/get-funds-and-margin?segment=SEC")
        .await
        .data();
    assert_eq!(keys(&sec), ["equity"]);
    let com = sim
        .upstox
        .get("/v2/user/get-funds-and-margin?segment=COM")
        .await
        .data();
    assert_eq!(keys(&com), ["commodity"]);
    sim.upstox
        .get("/v2/user/get-funds-and-margin?segment=FNO")
        .await
        .upstox_error(400, "UDAPI100038");
}

#[tokio::test]
async fn holdings_are_seeded_from_what_upstox_lists() {
    let sim = BothSim::start("upstox-shapes-holdings").await;
    let holdings = sim
        .upstox
        .get("/v2/portfolio/long-term-holdings")
        .await
        .data();
    let holdings = holdings.as_array().unwrap();
    // The first three NSE equities Upstox lists (M&M is Kite's alone, TATAMOTORS Upstox's).
    let symbols: Vec<&str> = holdings
        .iter()
        .map(|h| h["trading_symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["RELIANCE", "INFY", "SBIN"]);
    let first = &holdings[0];
    assert_eq!(first["instrument_token"], "NSE_EQ|INE002A01018");
    assert_eq!(first["tradingsymbol"], "RELIANCE");
    assert_eq!(first["isin"], "INE002A01018");
    assert_eq!(first["exchange"], "NSE");
    assert_eq!(first["product"], "D");
    assert_eq!(first["quantity"], 10);
    for key in [
        "cnc_used_quantity",
        "collateral_type",
        "company_name",
        "haircut",
        "last_price",
        "close_price",
        "pnl",
        "day_change",
        "day_change_percentage",
        "average_price",
        "collateral_quantity",
        "collateral_update_quantity",
        "t1_quantity",
    ] {
        assert!(first.get(key).is_some(), "{key}: {first}");
    }
    // Kite's account opens the same way among Kite's instruments.
    let kite = sim.kite.get("/portfolio/holdings").await.data();
    assert_eq!(kite.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn positions_carry_the_segment_and_day_figures() {
    let sim = BothSim::start("upstox-shapes-positions").await;
    sim.set_price("NSE_FO|51714", "24000");
    sim.upstox
        .place_one(r#"{"instrument_token":"NSE_FO|51714","quantity":75,"product":"D","validity":"DAY","order_type":"MARKET","transaction_type":"BUY","price":0,"trigger_price":0,"disclosed_quantity":0,"is_amo":false}"#)
        .await;
    sim.set_price("NSE_FO|51714", "24010");
    let positions = sim
        .upstox
        .get("/v2/portfolio/short-term-positions")
        .await
        .data();
    let position = &positions[0];
    assert_eq!(position["exchange"], "NSE_FO");
    assert_eq!(position["instrument_token"], "NSE_FO|51714");
    assert_eq!(position["trading_symbol"], "NIFTY FUT 29 DEC 26");
    assert_eq!(position["product"], "D");
    assert_eq!(position["multiplier"], 1.0);
    assert_eq!(position["quantity"], 75);
    assert_eq!(position["day_buy_quantity"], 75);
    assert_eq!(position["day_buy_price"], 24000);
    assert_eq!(position["overnight_quantity"], 0);
    assert_eq!(position["pnl"], 750);
    for key in [
        "value",
        "buy_value",
        "day_buy_value",
        "overnight_buy_amount",
        "overnight_buy_quantity",
        "day_sell_value",
        "day_sell_price",
        "overnight_sell_amount",
        "overnight_sell_quantity",
        "day_sell_quantity",
        "last_price",
        "unrealised",
        "realised",
        "sell_value",
        "tradingsymbol",
        "close_price",
        "buy_price",
        "sell_price",
        "average_price",
    ] {
        assert!(position.get(key).is_some(), "{key}: {position}");
    }
}

#[tokio::test]
async fn quotes_are_keyed_by_segment_and_symbol() {
    let sim = BothSim::start("upstox-shapes-quotes").await;
    sim.set_price("NSE:INFY", "1490.5");
    let data = sim
        .upstox
        .get("/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE009A01021,NSE_INDEX%7CNifty%2050")
        .await
        .data();
    assert_eq!(keys(&data), ["NSE_EQ:INFY", "NSE_INDEX:NIFTY 50"]);
    let quote = &data["NSE_EQ:INFY"];
    assert_eq!(quote["instrument_token"], "NSE_EQ|INE009A01021");
    assert_eq!(quote["symbol"], "INFY");
    assert_eq!(quote["last_price"], 1490.5);
    assert_eq!(quote["timestamp"], "2026-11-24T09:30:00.000+05:30");
    // The last trade: when the price was set, 09:30 IST, in epoch milliseconds as text.
    assert_eq!(quote["last_trade_time"], "1795492800000");
    assert_eq!(quote["depth"]["buy"].as_array().unwrap().len(), 5);
    assert_eq!(quote["depth"]["sell"][0]["price"], 1490.5);
    for key in [
        "ohlc",
        "volume",
        "average_price",
        "oi",
        "net_change",
        "total_buy_quantity",
        "total_sell_quantity",
        "lower_circuit_limit",
        "upper_circuit_limit",
        "oi_day_high",
        "oi_day_low",
    ] {
        assert!(quote.get(key).is_some(), "{key}: {quote}");
    }
    // The Python SDK sends the deprecated `symbol` parameter.
    let ltp = sim
        .upstox
        .get("/v2/market-quote/ltp?symbol=NSE_EQ%7CINE009A01021")
        .await
        .data();
    assert_eq!(
        ltp,
        serde_json::json!({"NSE_EQ:INFY": {"last_price": 1490.5, "instrument_token": "NSE_EQ|INE009A01021"}})
    );
    let ohlc = sim
        .upstox
        .get("/v2/market-quote/ohlc?instrument_key=NSE_EQ%7CINE009A01021&interval=1d")
        .await
        .data();
    assert_eq!(
        keys(&ohlc["NSE_EQ:INFY"]),
        ["instrument_token", "last_price", "ohlc"]
    );
    let v3 = sim
        .upstox
        .get("/v3/market-quote/ltp?instrument_key=NSE_EQ%7CINE009A01021")
        .await
        .data();
    assert_eq!(
        keys(&v3["NSE_EQ:INFY"]),
        ["cp", "instrument_token", "last_price", "ltq", "volume"]
    );
    let v3 = sim
        .upstox
        .get("/v3/market-quote/ohlc?instrument_key=NSE_EQ%7CINE009A01021&interval=1d")
        .await
        .data();
    assert_eq!(v3["NSE_EQ:INFY"]["live_ohlc"]["close"], 1490.5);
    assert_eq!(
        keys(&v3["NSE_EQ:INFY"]["prev_ohlc"]),
        ["close", "high", "low", "open", "ts", "volume"]
    );
}

#[tokio::test]
async fn quote_keys_are_checked() {
    let sim = BothSim::start("upstox-shapes-quote-keys").await;
    sim.upstox
        .get("/v2/market-quote/ltp")
        .await
        .upstox_error(400, "UDAPI1009");
    sim.upstox
        .get("/v2/market-quote/ltp?instrument_key=INFY")
        .await
        .upstox_error(400, "UDAPI1087");
    let many = (0..501)
        .map(|i| format!("NSE_EQ%7CX{i}"))
        .collect::<Vec<_>>()
        .join(",");
    sim.upstox
        .get(&format!("/v2/market-quote/quotes?instrument_key={many}"))
        .await
        .upstox_error(400, "UDAPI100043");
    // A well-formed key Upstox does not list fails the call, naming it.
    let error = sim
        .upstox
        .get("/v2/market-quote/ltp?instrument_key=NSE_EQ%7CINE009A01021,NSE_EQ%7CNOSUCHISIN")
        .await
        .upstox_error(400, "UDAPI1087");
    assert_eq!(error["invalid_value"], "NSE_EQ|NOSUCHISIN");
    // Five hundred keys are taken.
    let five_hundred = vec!["NSE_EQ%7CINE009A01021"; 500].join(",");
    let data = sim
        .upstox
        .get(&format!(
            "/v2/market-quote/quotes?instrument_key={five_hundred}"
        ))
        .await
        .data();
    assert_eq!(keys(&data), ["NSE_EQ:INFY"]);
}

#[tokio::test]
async fn the_instrument_file_is_gzip_json_of_what_upstox_lists() {
    let sim = BothSim::start("upstox-shapes-file").await;
    let answer = common::instrument_file(sim.handle.addr(), "complete.json.gz").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/gzip"));
    assert!(answer.header("content-encoding").is_none());
    let json = common::gunzip(&answer.body);
    let rows: Vec<Value> = serde_json::from_slice(&json).unwrap();
    let find = |key: &str| {
        rows.iter()
            .find(|r| r["instrument_key"] == key)
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    assert_eq!(rows.len(), 7);
    let reliance = find("NSE_EQ|INE002A01018");
    assert_eq!(reliance["segment"], "NSE_EQ");
    assert_eq!(reliance["exchange"], "NSE");
    assert_eq!(reliance["isin"], "INE002A01018");
    assert_eq!(reliance["instrument_type"], "EQ");
    assert_eq!(reliance["exchange_token"], "2885");
    assert_eq!(reliance["trading_symbol"], "RELIANCE");
    assert_eq!(reliance["lot_size"], 1);
    // Paise.
    assert_eq!(reliance["tick_size"], 5.0);
    assert_eq!(reliance["qty_multiplier"], 1.0);
    let call = find("NSE_FO|48225");
    assert_eq!(call["instrument_type"], "CE");
    assert_eq!(call["exchange"], "NSE");
    assert_eq!(call["expiry"], 1_798_568_999_000_i64);
    assert_eq!(call["strike_price"], 24000.0);
    assert_eq!(call["lot_size"], 75);
    assert_eq!(call["underlying_symbol"], "NIFTY");
    let index = find("NSE_INDEX|Nifty 50");
    assert_eq!(index["instrument_type"], "INDEX");
    assert!(index.get("lot_size").is_none() && index.get("tick_size").is_none());
    assert!(index.get("qty_multiplier").is_none());
    // Only Kite lists M&M: it is not in Upstox's file.
    assert!(rows.iter().all(|r| r["trading_symbol"] != "M&M"));

    let mcx = common::instrument_file(sim.handle.addr(), "MCX.json.gz").await;
    assert_eq!(mcx.status, 200);
    common::instrument_file(sim.handle.addr(), "NOPE.json.gz")
        .await
        .upstox_error(404, "UDAPI10000");
}
