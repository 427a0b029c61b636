//! The client's instrument master is never silently stale: checked against the IST trading day
//! when opened and at each day boundary, and a missing one is retried, not remembered.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::Date;
use time::macros::{date, datetime};
use tt_core::{ManualClock, OnStale};
use tt_instruments::{BuildOptions, DumpInput, build_master};
use tt_zerodha::{Zerodha, ZerodhaConfig};

const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("tt-zerodha-fresh-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn master(&self) -> PathBuf {
        self.0.join("instruments.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn build(path: &Path, dump_date: Date) {
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    build_master(
        path,
        vec![DumpInput {
            broker: &kite,
            reader: Box::new(Cursor::new(KITE_CSV.as_bytes().to_vec())),
            source_name: "memory".to_owned(),
            dump_date,
        }],
        &BuildOptions::default(),
    )
    .unwrap();
}

fn client(dir: &TempDir, clock: &Arc<ManualClock>) -> ZerodhaConfig {
    ZerodhaConfig::new("api_key", "api_secret")
        .instrument_master_path(dir.master())
        .session_file(dir.0.join("session.json"))
        .clock(Arc::clone(clock) as Arc<dyn tt_core::Clock>)
}

#[test]
fn a_missing_master_is_opened_on_a_later_call_not_remembered_as_an_error() {
    let dir = TempDir::new("missing");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 10:00 +05:30)));
    let zerodha = Zerodha::new(client(&dir, &clock));
    let error = zerodha.instrument_master().unwrap_err();
    assert!(
        error.to_string().contains("no instrument master"),
        "{error}"
    );
    build(&dir.master(), date!(2026 - 11 - 24));
    assert!(zerodha.instrument_master().is_ok());
}

#[test]
fn the_master_is_checked_again_at_the_ist_day_boundary() {
    let dir = TempDir::new("boundary");
    build(&dir.master(), date!(2026 - 11 - 24));
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 23:59 +05:30)));
    let zerodha = Zerodha::new(client(&dir, &clock));
    assert!(zerodha.instrument_master().is_ok());
    clock.set(datetime!(2026-11-25 00:00 +05:30));
    let error = zerodha.instrument_master().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("from 2026-11-24, not today (2026-11-25 IST)"),
        "{error}"
    );
    // A refresh lands: the same client picks it up without a restart.
    build(&dir.master(), date!(2026 - 11 - 25));
    assert!(zerodha.instrument_master().is_ok());
}

#[test]
fn on_stale_warn_trades_on_a_stale_master() {
    let dir = TempDir::new("warn");
    build(&dir.master(), date!(2026 - 11 - 24));
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 10:00 +05:30)));
    let zerodha = Zerodha::new(client(&dir, &clock).on_stale(OnStale::Warn));
    assert!(zerodha.instrument_master().is_ok());
}
