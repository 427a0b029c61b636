//! Helpers the adapter's integration tests share: a small Upstox instrument master, a client
//! logged in against loopback servers, Upstox-shaped bodies.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure. Each test
// binary uses some of them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::macros::{date, datetime};
use tt_core::{InstrumentSource, ManualClock};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master};
use tt_test_support::http::{Route, TestServer};
use tt_upstox::{Upstox, UpstoxConfig};

pub(crate) const RELIANCE_KEY: &str = "NSE_EQ|INE002A01018";
pub(crate) const NHPC_KEY: &str = "NSE_EQ|INE848E01016";
pub(crate) const OPTION_KEY: &str = "NSE_FO|48225";
pub(crate) const CRUDE_KEY: &str = "MCX_FO|434855";

/// The option's canonical text.
pub(crate) const OPTION: &str = "NFO:NIFTY:2026-12-29:24000:CE";
/// The MCX future's canonical text.
pub(crate) const CRUDE: &str = "MCX:CRUDEOIL:2026-12-18:FUT";

/// Rows as Upstox's BOD file lists them (tick sizes in paise, expiries in epoch ms at
/// 23:59:59 IST): RELIANCE (tick 0.10), NHPC (tick 0.01), a NIFTY option (lot 75, tick 0.05)
/// and a CRUDEOIL future (lot 100, tick 1).
pub(crate) const UPSTOX_JSON: &str = r#"[
{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":10.0,"trading_symbol":"RELIANCE"},
{"segment":"NSE_EQ","name":"NHPC LTD","exchange":"NSE","isin":"INE848E01016","instrument_type":"EQ","instrument_key":"NSE_EQ|INE848E01016","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"17400","tick_size":1.0,"trading_symbol":"NHPC"},
{"weekly":false,"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":1798568999000,"instrument_type":"CE","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|48225","lot_size":75,"freeze_quantity":1800.0,"exchange_token":"48225","underlying_key":"NSE_INDEX|Nifty 50","tick_size":5.0,"underlying_type":"INDEX","trading_symbol":"NIFTY 24000 CE 29 DEC 26","strike_price":24000.0},
{"segment":"MCX_FO","name":"CRUDEOIL","exchange":"MCX","expiry":1797618599000,"instrument_type":"FUT","underlying_symbol":"CRUDEOIL","instrument_key":"MCX_FO|434855","lot_size":100,"freeze_quantity":10000.0,"exchange_token":"434855","tick_size":100.0,"underlying_type":"COM","trading_symbol":"CRUDEOIL FUT 18 DEC 26","strike_price":0.0}
]"#;

/// The Upstox parser (no network).
pub(crate) fn parser() -> Upstox {
    Upstox::new(UpstoxConfig::new("", "", ""))
}

/// One broker's dump text as a build input dated 2026-11-24.
fn dated<'a>(broker: &'a dyn InstrumentSource, text: &str) -> DumpInput<'a> {
    DumpInput {
        broker,
        reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
        source_name: "test".into(),
        dump_date: date!(2026 - 11 - 24),
    }
}

/// Builds an instrument master in `dir` from several brokers' dumps (each its format and
/// text), merged in that order, and opens it.
pub(crate) fn master(dir: &Path, dumps: &[(&dyn InstrumentSource, &str)]) -> Arc<InstrumentMaster> {
    let path = dir.join("instruments.db");
    let inputs = dumps.iter().map(|(broker, text)| dated(*broker, text));
    build_master(&path, inputs.collect(), &BuildOptions::default()).unwrap();
    Arc::new(InstrumentMaster::open(path).unwrap())
}

/// A master of [`UPSTOX_JSON`] alone.
pub(crate) fn upstox_master(dir: &Path) -> Arc<InstrumentMaster> {
    master(dir, &[(&parser(), UPSTOX_JSON)])
}

/// A fresh scratch directory, removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tt-upstox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clock running from 10:00 IST on the master's day, so the master is current whatever day
/// the test runs.
pub(crate) fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::running(datetime!(2026-11-24 10:00 +05:30)))
}

/// The settings of an Upstox at `root` (orders included) over `master`, its session file in
/// `dir`, on [`clock`].
pub(crate) fn config(root: &str, master: Arc<InstrumentMaster>, dir: &Path) -> UpstoxConfig {
    let app = UpstoxConfig::new("client-id", "client-secret", "http://127.0.0.1/callback");
    app.session_file(dir.join("session.json"))
        .instrument_master(master)
        .clock(clock())
        .api_root(root)
}

/// An Upstox with `config`, logged in as `AB1234` with the token `access-token`.
pub(crate) fn log_in(config: UpstoxConfig) -> Upstox {
    let upstox = Upstox::new(config);
    let session = upstox.use_access_token("AB1234", "access-token");
    assert!(session.is_ok(), "{session:?}");
    upstox
}

/// A logged-in client, the loopback server it talks to, and a scratch directory.
pub(crate) struct Setup {
    pub(crate) server: TestServer,
    pub(crate) upstox: Upstox,
    pub(crate) scratch: Scratch,
}

/// A logged-in client over [`UPSTOX_JSON`], every call to one server answering `routes`, its
/// rate limiter off.
pub(crate) fn setup(name: &str, routes: Vec<(&'static str, Route)>) -> Setup {
    let scratch = Scratch::new(name);
    let master = upstox_master(&scratch.0);
    let server = TestServer::start(routes);
    let upstox = log_in(config(&server.url(""), master, &scratch.0).rate_limited(false));
    Setup {
        server,
        upstox,
        scratch,
    }
}

/// `{"status":"success","data":<data>}`.
pub(crate) fn success(data: &str) -> String {
    format!(r#"{{"status":"success","data":{data}}}"#)
}

/// An Upstox error envelope with `code` under both its names.
pub(crate) fn failure(code: &str, message: &str) -> String {
    format!(
        r#"{{"status":"error","errors":[{{"errorCode":"{code}","message":"{message}","propertyPath":null,"invalidValue":null,"error_code":"{code}","property_path":null,"invalid_value":null}}]}}"#
    )
}

/// An order-book row for `order_id` on RELIANCE, with `status`.
pub(crate) fn order_row(order_id: &str, status: &str) -> String {
    format!(
        r#"{{"exchange":"NSE","product":"D","price":2850.1,"quantity":10,"status":"{status}","guid":null,"tag":"tt1","instrument_token":"NSE_EQ|INE002A01018","placed_by":"AB1234","tradingsymbol":"RELIANCE","trading_symbol":"RELIANCE","order_type":"LIMIT","validity":"DAY","trigger_price":0.0,"disclosed_quantity":0,"transaction_type":"BUY","average_price":0.0,"filled_quantity":0,"pending_quantity":10,"status_message":null,"status_message_raw":null,"exchange_order_id":"1300000025660919","parent_order_id":null,"order_id":"{order_id}","variety":"SIMPLE","order_timestamp":"2026-11-24 10:05:01","exchange_timestamp":"2026-11-24 10:05:02","is_amo":false,"order_request_id":"1","order_ref_id":"udapi-aqwsed14356"}}"#
    )
}

/// A single-threaded runtime for one test.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
