//! An order to Zerodha is checked against Kite's own lot and tick size, not another broker's.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Setup, rt};
use tt_core::{
    Broker, BrokerToken, Capabilities, ContractSpec, DumpRecord, DumpRows, Error, Instrument,
    InstrumentSource, OrderRequest, ProductType, Trading,
};
use tt_test_support::http::Route;
use tt_zerodha::{Zerodha, ZerodhaConfig};

const OPTION: &str = "NFO:NIFTY:2026-12-29:24000:CE";

/// Kite lists the option with a lot of 65.
const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,2026-12-29,24000,0.05,65,CE,NFO-OPT,NFO
";

/// Another broker listing the same option with a lot of 75 and a tick of 0.10.
struct OtherBroker(Capabilities);

impl Broker for OtherBroker {
    fn capabilities(&self) -> &Capabilities {
        &self.0
    }
}

impl InstrumentSource for OtherBroker {
    fn parse_dump<'a>(&self, _dump: Box<dyn std::io::BufRead + Send + 'a>) -> DumpRows<'a> {
        let record = DumpRecord {
            instrument: OPTION.parse().unwrap(),
            name: None,
            contract: ContractSpec {
                tick_size: "0.1".parse().unwrap(),
                lot_size: 75,
                freeze_quantity: None,
                multiplier: None,
            },
            isin: None,
            underlying: None,
            exchange_token: "48225".to_owned(),
            token: BrokerToken {
                token: "OTHER|48225".to_owned(),
                symbol: None,
                exchange: None,
            },
        };
        Box::new(std::iter::once(Ok(record)))
    }
}

fn setup(name: &str) -> Setup {
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    let other = OtherBroker(Capabilities::new("other"));
    common::setup(
        name,
        &[(&kite, KITE_CSV), (&other, "")],
        vec![(
            "/orders/regular",
            Route::ok(r#"{"status":"success","data":{"order_id":"151220000000000"}}"#),
        )],
    )
}

fn buy(quantity: u32, price: &str) -> OrderRequest {
    let option: Instrument = OPTION.parse().unwrap();
    OrderRequest::buy(option, quantity, ProductType::Nrml)
        .limit(price.parse().unwrap())
        .build()
        .unwrap()
}

#[test]
fn an_order_meeting_kites_lot_and_tick_goes_out_though_another_brokers_differ() {
    let setup = setup("kite-terms");
    // One Kite lot (65) at a Kite tick (0.05): neither is valid at the other broker.
    let id = rt()
        .block_on(setup.zerodha.place_order(&buy(65, "120.05")))
        .unwrap();
    assert_eq!(id.as_str(), "151220000000000");
}

#[test]
fn an_order_off_kites_lot_size_is_refused_before_the_network() {
    let setup = setup("kite-lot");
    // The other broker's lot (75) is not a multiple of Kite's (65).
    let error = rt()
        .block_on(setup.zerodha.place_order(&buy(75, "120.05")))
        .unwrap_err();
    assert!(matches!(error, Error::InvalidOrder { .. }), "{error}");
    assert!(setup.server.received().is_empty());
}
