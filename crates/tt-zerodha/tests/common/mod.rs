//! Helpers the adapter's integration tests share.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use time::macros::{date, datetime};
use tt_core::{ManualClock, Secret};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master, open_dump};
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// Builds an instrument master in `dir` from `csv`, rows as Kite's dump lists them, dated
/// 2026-11-24, and opens it.
pub(crate) fn kite_master(dir: &Path, csv: &str) -> Arc<InstrumentMaster> {
    std::fs::write(dir.join("kite.csv"), csv).unwrap();
    let parser = Zerodha::new(ZerodhaConfig::new("", ""));
    build_master(
        &dir.join("instruments.db"),
        vec![DumpInput {
            broker: &parser,
            reader: open_dump(&dir.join("kite.csv")).unwrap(),
            source_name: "test".into(),
            dump_date: date!(2026 - 11 - 24),
        }],
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
