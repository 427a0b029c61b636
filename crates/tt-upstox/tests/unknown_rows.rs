//! A row whose Upstox instrument key the master does not know (a contract listed after the
//! master was built) comes back with Upstox's key and symbol and no canonical instrument, and is
//! logged; the rest of the holdings, positions, order book and trades come back as always.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{RELIANCE_KEY, order_row, rt, setup, success};
use tt_core::{BrokerToken, Instrument, Trading};
use tt_test_support::http::Route;
use tt_test_support::logs::CapturedLogs;

const NEW_KEY: &str = "NSE_EQ|INE999Z01011";

fn known_and_new(known: &str) -> String {
    let new = known
        .replace(RELIANCE_KEY, NEW_KEY)
        .replace("\"RELIANCE\"", "\"NEWCO\"");
    format!("[{known},{new}]")
}

#[test]
fn rows_the_master_does_not_know_are_kept_without_an_instrument_and_logged() {
    CapturedLogs::global();
    let holding = r#"{"isin":"INE002A01018","product":"D","quantity":5,"tradingsymbol":"RELIANCE","trading_symbol":"RELIANCE","last_price":2912.35,"close_price":2897.2,"pnl":1.0,"instrument_token":"NSE_EQ|INE002A01018","average_price":2794.0,"t1_quantity":0,"exchange":"NSE"}"#;
    let position = r#"{"exchange":"NSE","multiplier":1.0,"pnl":0,"product":"I","instrument_token":"NSE_EQ|INE002A01018","average_price":2900.0,"quantity":-5,"last_price":2912.35,"day_sell_quantity":5,"day_sell_value":14500.0,"day_sell_price":2900.0,"tradingsymbol":"RELIANCE","trading_symbol":"RELIANCE"}"#;
    let trade = r#"{"exchange":"NSE","product":"D","tradingsymbol":"RELIANCE","trading_symbol":"RELIANCE","instrument_token":"NSE_EQ|INE002A01018","order_type":"MARKET","transaction_type":"BUY","quantity":5,"exchange_order_id":"1","order_id":"2","exchange_timestamp":"2026-11-24 10:05:02","average_price":2794.0,"trade_id":"3","order_ref_id":"x","order_timestamp":"2026-11-24 10:05:01"}"#;
    let s = setup(
        "unknown-rows",
        vec![
            (
                "/v2/portfolio/long-term-holdings",
                Route::ok(success(&known_and_new(holding))),
            ),
            (
                "/v2/portfolio/short-term-positions",
                Route::ok(success(&known_and_new(position))),
            ),
            (
                "/v2/order/retrieve-all",
                Route::ok(success(&known_and_new(&order_row("1", "open")))),
            ),
            (
                "/v2/order/trades/get-trades-for-day",
                Route::ok(success(&known_and_new(trade))),
            ),
        ],
    );
    let reliance: Option<Instrument> = Some("NSE:RELIANCE".parse().unwrap());
    let newco = BrokerToken {
        token: NEW_KEY.to_owned(),
        symbol: Some("NEWCO".to_owned()),
        exchange: Some("NSE".to_owned()),
    };
    let rt = rt();
    let holdings = rt.block_on(s.upstox.holdings()).unwrap();
    assert_eq!(
        (&holdings[0].instrument, &holdings[1].instrument),
        (&reliance, &None)
    );
    assert_eq!(
        (&holdings[1].broker_token, holdings[1].quantity),
        (&newco, 5)
    );
    let positions = rt.block_on(s.upstox.positions()).unwrap();
    assert_eq!(positions.net[1].instrument, None);
    assert_eq!(positions.net[1].broker_token, newco);
    assert_eq!(positions.day[1].quantity, -5);
    let orders = rt.block_on(s.upstox.orders()).unwrap();
    assert_eq!(
        (&orders[0].instrument, &orders[1].instrument),
        (&reliance, &None)
    );
    assert_eq!(orders[1].broker_token, newco);
    let trades = rt.block_on(s.upstox.trades()).unwrap();
    assert_eq!(
        (&trades[0].instrument, &trades[1].instrument),
        (&reliance, &None)
    );

    let text = CapturedLogs::global().text();
    let line = text
        .lines()
        .find(|line| line.contains("not in the instrument master") && line.contains(NEW_KEY))
        .unwrap_or_else(|| panic!("nothing logged: {text}"));
    assert!(line.contains("NEWCO") && line.contains("upstox"), "{line}");
}
