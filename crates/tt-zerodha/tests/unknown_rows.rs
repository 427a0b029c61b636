//! A row whose Kite token the instrument master does not know (a contract listed after the
//! master was built) comes back with Kite's token and symbol and no canonical instrument; the
//! rest of the holdings, positions, order book and trades come back as always.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Setup, rt};
use tt_core::{BrokerToken, Instrument, Trading};
use tt_test_support::http::Route;
use tt_test_support::logs::CapturedLogs;
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// The master knows INFY (Kite token 408065) only.
const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

const HOLDINGS: &str = r#"{"status":"success","data":[
 {"tradingsymbol":"INFY","exchange":"NSE","instrument_token":408065,"quantity":1,"average_price":1500,"last_price":1510},
 {"tradingsymbol":"NEWCO","exchange":"NSE","instrument_token":999999,"quantity":5,"average_price":100,"last_price":101}
]}"#;

const POSITIONS: &str = r#"{"status":"success","data":{"net":[
 {"tradingsymbol":"INFY","exchange":"NSE","instrument_token":408065,"product":"CNC","quantity":1,"average_price":1500,"last_price":1510},
 {"tradingsymbol":"NEWCO","exchange":"NSE","instrument_token":999999,"product":"MIS","quantity":-5,"average_price":100,"last_price":101}
],"day":[]}}"#;

const ORDERS: &str = r#"{"status":"success","data":[
 {"order_id":"1","status":"COMPLETE","exchange":"NSE","tradingsymbol":"INFY","instrument_token":408065,"order_type":"MARKET","transaction_type":"BUY","validity":"DAY","product":"CNC","quantity":1},
 {"order_id":"2","status":"OPEN","exchange":"NSE","tradingsymbol":"NEWCO","instrument_token":999999,"order_type":"LIMIT","transaction_type":"SELL","validity":"DAY","product":"MIS","quantity":5,"price":101}
]}"#;

const TRADES: &str = r#"{"status":"success","data":[
 {"trade_id":"T1","order_id":"1","exchange":"NSE","tradingsymbol":"INFY","instrument_token":408065,"product":"CNC","average_price":1500,"quantity":1,"transaction_type":"BUY"},
 {"trade_id":"T2","order_id":"2","exchange":"NSE","tradingsymbol":"NEWCO","instrument_token":999999,"product":"MIS","average_price":101,"quantity":5,"transaction_type":"SELL"}
]}"#;

fn setup(name: &str) -> Setup {
    // Installed before any test logs: see CapturedLogs::global.
    CapturedLogs::global();
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    common::setup(
        name,
        &[(&kite, KITE_CSV)],
        vec![
            ("/portfolio/holdings", Route::ok(HOLDINGS)),
            ("/portfolio/positions", Route::ok(POSITIONS)),
            ("/orders", Route::ok(ORDERS)),
            ("/trades", Route::ok(TRADES)),
        ],
    )
}

fn infy() -> Option<Instrument> {
    Some("NSE:INFY".parse().unwrap())
}

fn newco() -> BrokerToken {
    BrokerToken {
        token: "999999".to_owned(),
        symbol: Some("NEWCO".to_owned()),
        exchange: Some("NSE".to_owned()),
    }
}

#[test]
fn holdings_keep_a_row_the_master_does_not_know() {
    let setup = setup("holdings");
    let holdings = rt().block_on(setup.zerodha.holdings()).unwrap();
    assert_eq!(holdings.len(), 2);
    assert_eq!(holdings[0].instrument, infy());
    assert_eq!(holdings[1].instrument, None);
    assert_eq!(holdings[1].broker_token, newco());
    assert_eq!(holdings[1].quantity, 5);
}

#[test]
fn positions_keep_a_row_the_master_does_not_know() {
    let setup = setup("positions");
    let positions = rt().block_on(setup.zerodha.positions()).unwrap();
    assert_eq!(positions.net.len(), 2);
    assert_eq!(positions.net[0].instrument, infy());
    assert_eq!(positions.net[1].instrument, None);
    assert_eq!(positions.net[1].broker_token, newco());
    assert_eq!(positions.net[1].quantity, -5);
}

#[test]
fn the_order_book_keeps_a_row_the_master_does_not_know() {
    let setup = setup("orders");
    let orders = rt().block_on(setup.zerodha.orders()).unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].instrument, infy());
    assert_eq!(orders[1].instrument, None);
    assert_eq!(orders[1].broker_token, newco());
    assert_eq!(orders[1].id.as_str(), "2");
}

#[test]
fn trades_keep_a_row_the_master_does_not_know() {
    let setup = setup("trades");
    let trades = rt().block_on(setup.zerodha.trades()).unwrap();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[0].instrument, infy());
    assert_eq!(trades[1].instrument, None);
    assert_eq!(trades[1].broker_token, newco());
}

#[test]
fn a_row_the_master_does_not_know_is_logged_with_kites_token_and_symbol() {
    let setup = setup("logged");
    rt().block_on(setup.zerodha.holdings()).unwrap();
    let text = CapturedLogs::global().text();
    let line = text
        .lines()
        .find(|line| line.contains("not in the instrument master"))
        .unwrap_or_else(|| panic!("nothing logged: {text}"));
    assert!(line.contains("999999") && line.contains("NEWCO"), "{line}");
    assert!(!text.contains("408065"), "{text}");
}
