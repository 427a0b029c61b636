//! Helpers the adapter's integration tests share.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure. Each test
// binary uses some of them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::macros::{date, datetime};
use tt_core::{InstrumentSource, ManualClock, Secret};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master};
use tt_test_support::http::{Route, TestServer};
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// Builds an instrument master in `dir` from `csv`, rows as Kite's dump lists them, dated
/// 2026-11-24, and opens it.
pub(crate) fn kite_master(dir: &Path, csv: &str) -> Arc<InstrumentMaster> {
    let parser = Zerodha::new(ZerodhaConfig::new("", ""));
    master(dir, &[(&parser, csv)])
}

/// Builds an instrument master in `dir` from several brokers' dumps (each its format and
/// text), merged in that order and dated 2026-11-24, and opens it.
pub(crate) fn master(dir: &Path, dumps: &[(&dyn InstrumentSource, &str)]) -> Arc<InstrumentMaster> {
    let inputs = dumps
        .iter()
        .map(|(broker, text)| DumpInput {
            broker: *broker,
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
            source_name: "test".into(),
            dump_date: date!(2026 - 11 - 24),
        })
        .collect();
    build_master(
        &dir.join("instruments.db"),
        inputs,
        &BuildOptions::default(),
    )
    .unwrap();
    Arc::new(InstrumentMaster::open(dir.join("instruments.db")).unwrap())
}

/// The settings of a Zerodha at `root` over `master`, its session file in `dir`, its clock
/// running from 10:00 IST on the master's day (so the master is current on any date).
pub(crate) fn config(root: &str, master: Arc<InstrumentMaster>, dir: &Path) -> ZerodhaConfig {
    ZerodhaConfig::new("api_key", "api_secret")
        .api_root(root)
        .instrument_master(master)
        .session_file(dir.join("session.json"))
        .clock(Arc::new(ManualClock::running(
            datetime!(2026-11-24 10:00 +05:30),
        )))
}

/// A Zerodha with `config`, logged in as `AB1234` with the token `access-token`.
pub(crate) fn log_in(config: ZerodhaConfig) -> Zerodha {
    let zerodha = Zerodha::new(config);
    zerodha
        .use_access_token("AB1234", Secret::new("access-token"))
        .unwrap();
    zerodha
}

/// A logged-in client, the loopback server it talks to, and a scratch directory removed on
/// drop.
pub(crate) struct Setup {
    pub(crate) dir: PathBuf,
    pub(crate) server: TestServer,
    pub(crate) zerodha: Zerodha,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A logged-in client over a master built from `dumps`, its REST root at a server answering
/// `routes`, its rate limiter off.
pub(crate) fn setup(
    name: &str,
    dumps: &[(&dyn InstrumentSource, &str)],
    routes: Vec<(&'static str, Route)>,
) -> Setup {
    let dir = std::env::temp_dir().join(format!("tt-zerodha-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let master = master(&dir, dumps);
    let server = TestServer::start(routes);
    let zerodha = log_in(config(&server.url(""), master, &dir).without_rate_limits());
    Setup {
        dir,
        server,
        zerodha,
    }
}

/// A single-threaded runtime for one test.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
