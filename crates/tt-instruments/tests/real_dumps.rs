//! The real Kite and Upstox dumps from `../shared/fixtures`, merged into one master.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::num::NonZeroU32;
use std::path::PathBuf;

use time::macros::date;
use tt_core::{Error, Instrument};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master, open_dump};
use tt_upstox::{Upstox, UpstoxConfig};
use tt_zerodha::{Zerodha, ZerodhaConfig};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("tt-instruments-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Contracts both dumps list (joined), those among them under different exchange tokens, and
/// rows sharing an exchange token with a different contract of the other broker.
const JOINED: u64 = 355;
const OTHER_EXCHANGE_TOKEN: u64 = 128;
const CONFLICTS: u64 = 10_808;

#[test]
fn kite_august_and_upstox_december_merge_without_false_joins() {
    let (Some(kite), Some(upstox)) = (
        tt_test_support::fixture("kite/instruments/nfo_bfo_2026-08.csv"),
        tt_test_support::fixture("upstox/instruments/complete_2025-12.json.gz"),
    ) else {
        return;
    };
    let dir = TempDir::new("real");
    let path = dir.0.join("instruments.db");
    let zerodha = Zerodha::new(ZerodhaConfig::new("k", "s"));
    let upstox_broker = Upstox::new(UpstoxConfig::new("k", "s", "http://127.0.0.1/cb"));
    let report = build_master(
        &path,
        vec![
            DumpInput {
                broker: &zerodha,
                reader: open_dump(&kite).unwrap(),
                source_name: kite.display().to_string(),
                dump_date: date!(2026 - 08 - 18),
            },
            DumpInput {
                broker: &upstox_broker,
                reader: open_dump(&upstox).unwrap(),
                source_name: upstox.display().to_string(),
                dump_date: date!(2025 - 12 - 09),
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    println!("{report}");

    println!(
        "joined {}, same contract under another exchange token {}, token conflicts {}",
        report.joins.joined, report.joins.other_exchange_token, report.joins.conflicts
    );
    assert_eq!(report.joins.joined, JOINED, "{report}");
    assert_eq!(
        report.joins.other_exchange_token, OTHER_EXCHANGE_TOKEN,
        "{report}"
    );
    assert_eq!(report.joins.conflicts, CONFLICTS, "{report}");

    let master = InstrumentMaster::open(&path).unwrap();
    let reliance = master.resolve_spec("NSE:RELIANCE").unwrap();
    assert_eq!(
        reliance.token("upstox").unwrap().token,
        "NSE_EQ|INE002A01018"
    );
    assert!(reliance.token("zerodha").is_none());
    assert_eq!(
        reliance.contract("upstox").unwrap().tick_size.to_string(),
        "0.1"
    );

    // Both dumps list this option under different exchange tokens: one contract, both tokens.
    let option: Instrument = "NFO:NIFTY:2026-09-29:23000:CE".parse().unwrap();
    let resolved = master.resolve(&option).unwrap();
    assert_eq!(resolved.token("upstox").unwrap().token, "NSE_FO|65898");
    let kite = master.token_for(&option, "zerodha").unwrap();
    assert_eq!(kite.token, format!("{}", 73903 * 256 + 2));
    assert_eq!(
        master.token_for(&option, "upstox").unwrap().token,
        "NSE_FO|65898"
    );

    let nifty_fut = master.resolve_spec("NFO:NIFTY:2026-08-25:FUT").unwrap();
    let kite_token = nifty_fut.token("zerodha").unwrap();
    assert_eq!(kite_token.token, "14866434");
    let back = master.instrument_for_token("zerodha", "14866434").unwrap();
    assert_eq!(back.instrument, nifty_fut.instrument);

    let kite_listing = master.listing("zerodha").unwrap();
    assert_eq!(kite_listing.len(), 39_941);
    assert!(
        kite_listing
            .iter()
            .all(|l| l.token.symbol.is_some() && l.token.exchange.is_some())
    );
    assert_eq!(master.listing("upstox").unwrap().len(), 108_110);

    // Upstox's `qty_multiplier` is stored with its contract; Kite's dump states none.
    let multiplier = |token: &str| {
        let gold = master.instrument_for_token("upstox", token).unwrap();
        master
            .contract(&gold.instrument, "upstox")
            .unwrap()
            .multiplier
            .map(NonZeroU32::get)
    };
    assert_eq!(multiplier("MCX_FO|454818"), Some(100), "GOLD FUT 02 APR 26");
    assert_eq!(
        multiplier("NCD_FO|7729"),
        Some(1000),
        "USDINR FUT 02 JAN 26"
    );
    assert_eq!(multiplier("NSE_EQ|INE002A01018"), Some(1), "RELIANCE");
    assert_eq!(nifty_fut.contract("zerodha").unwrap().multiplier, None);
    let gold = master.listing("upstox").unwrap();
    let gold = gold
        .iter()
        .find(|l| l.token.token == "MCX_FO|454818")
        .unwrap();
    assert_eq!(gold.contract.multiplier, NonZeroU32::new(100));

    // Two Upstox BSE debt rows share one symbol: resolving it for Upstox must fail, naming
    // both; Kite lists neither.
    let debt: Instrument = "BSE:875PFL26".parse().unwrap();
    match master.resolve_for(&debt, "upstox") {
        Err(Error::AmbiguousInstrument { candidates, .. }) => assert_eq!(candidates.len(), 2),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    assert!(matches!(
        master.resolve_for(&debt, "zerodha"),
        Err(Error::InstrumentNotFound {
            broker: Some("zerodha"),
            ..
        })
    ));
}
