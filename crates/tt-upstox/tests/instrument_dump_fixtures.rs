//! Upstox's real BOD instrument files (from `../shared/fixtures`) through the parser.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::num::NonZeroU32;

use flate2::read::GzDecoder;
use tt_core::{DumpError, DumpRecord, InstrumentSource};
use tt_upstox::{Upstox, UpstoxConfig};

fn upstox() -> Upstox {
    Upstox::new(UpstoxConfig::new(
        "id",
        "secret",
        "http://127.0.0.1/callback",
    ))
}

fn parse_gz(relative: &str) -> Option<Vec<Result<DumpRecord, DumpError>>> {
    let path = tt_test_support::fixture(relative)?;
    let file = BufReader::new(GzDecoder::new(File::open(path).unwrap()));
    Some(upstox().parse_dump(Box::new(file)).collect())
}

#[test]
fn the_complete_file_parses_all_traded_segments() {
    let Some(rows) = parse_gz("upstox/instruments/complete_2025-12.json.gz") else {
        return;
    };
    assert_eq!(rows.len(), 126_978);
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut records = Vec::new();
    for row in rows {
        match row {
            Ok(record) => records.push(record),
            Err(DumpError::Row { reason, .. } | DumpError::Ignored { reason, .. }) => {
                let key = reason.split(':').next().unwrap_or_default().to_owned();
                *skipped.entry(key).or_default() += 1;
            }
            Err(corrupt) => panic!("{corrupt}"),
        }
    }
    // NSE's commodity segment is not one tt-connect trades; everything else must parse but
    // for the two BSE symbols with a space in them.
    assert_eq!(
        skipped.remove("segment `NSE_COM` is not one tt-connect trades"),
        Some(18_866)
    );
    let other: usize = skipped.values().sum();
    assert!(other <= 2, "unexpected skips: {skipped:?}");
    assert_eq!(records.len(), 126_978 - 18_866 - other);

    let reliance = records
        .iter()
        .find(|r| r.token.token == "NSE_EQ|INE002A01018")
        .unwrap();
    assert_eq!(reliance.instrument.to_string(), "NSE:RELIANCE");
    let nifty = records
        .iter()
        .find(|r| r.token.token == "NSE_INDEX|Nifty 50")
        .unwrap();
    assert_eq!(nifty.instrument.to_string(), "NSE:INDEX:NIFTY 50");

    // `qty_multiplier`: what one unit of quantity is worth at price 1.
    let multiplier = |key: &str| {
        records
            .iter()
            .find(|r| r.token.token == key)
            .unwrap()
            .contract
            .multiplier
            .map(NonZeroU32::get)
    };
    // GOLD FUT 02 APR 26: quoted per 10 g, a lot of 1 kg.
    assert_eq!(multiplier("MCX_FO|454818"), Some(100));
    // USDINR FUT 02 JAN 26: quoted per dollar, a lot of 1,000 dollars.
    assert_eq!(multiplier("NCD_FO|7729"), Some(1000));
    assert_eq!(multiplier("NSE_EQ|INE002A01018"), Some(1));
    // Indices state none.
    assert_eq!(multiplier("NSE_INDEX|Nifty 50"), None);
}

#[test]
fn the_nse_file_parses() {
    let Some(rows) = parse_gz("upstox/instruments/NSE_2025-11.json.gz") else {
        return;
    };
    assert_eq!(rows.len(), 75_424);
    assert!(
        rows.iter()
            .all(|r| !matches!(r, Err(DumpError::Corrupt { .. })))
    );
}

#[test]
fn the_sample_parses() {
    let Some(path) = tt_test_support::fixture("upstox/instruments/sample.json") else {
        return;
    };
    let rows: Vec<_> = upstox()
        .parse_dump(Box::new(BufReader::new(File::open(path).unwrap())))
        .collect();
    assert_eq!(rows.len(), 33);
    let parsed = rows.iter().filter(|r| r.is_ok()).count();
    // The sample's NSE_COM rows (4) are the only ones tt-connect does not trade.
    assert_eq!(parsed, 29, "{rows:#?}");
}
