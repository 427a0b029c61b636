//! Kite's real instrument dumps (from `../shared/fixtures`) through the parser.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::io::BufReader;

use tt_core::{DumpRecord, InstrumentSource};
use tt_zerodha::{Zerodha, ZerodhaConfig};

fn parse(relative: &str) -> Option<Vec<Result<DumpRecord, tt_core::DumpError>>> {
    let path = tt_test_support::fixture(relative)?;
    let zerodha = Zerodha::new(ZerodhaConfig::new("key", "secret"));
    let file = BufReader::new(File::open(path).unwrap());
    Some(zerodha.parse_dump(Box::new(file)).collect())
}

fn segment_id(exchange: &str) -> u64 {
    match exchange {
        "NSE" => 1,
        "NFO" => 2,
        "CDS" => 3,
        "BSE" => 4,
        "BFO" => 5,
        "BCD" => 6,
        "MCX" => 7,
        other => panic!("unexpected exchange {other}"),
    }
}

#[test]
fn every_row_of_the_real_nfo_bfo_dump_parses() {
    let Some(rows) = parse("kite/instruments/nfo_bfo_2026-08.csv") else {
        return;
    };
    assert_eq!(rows.len(), 39_941);
    let records: Vec<DumpRecord> = rows.into_iter().map(Result::unwrap).collect();
    let options = records
        .iter()
        .filter(|r| r.instrument.option_terms().is_some())
        .count();
    assert_eq!(options, 35_043 + 4_246);
    for r in &records {
        // instrument_token = exchange_token * 256 + segment id, on every row.
        let token: u64 = r.token.token.parse().unwrap();
        let exchange_token: u64 = r.exchange_token.parse().unwrap();
        let exchange = r.token.exchange.as_deref().unwrap();
        assert_eq!(
            token,
            exchange_token * 256 + segment_id(exchange),
            "{}",
            r.instrument
        );
        assert!(r.contract.tick_size.is_positive() && r.contract.lot_size > 0);
        assert!(
            r.underlying.is_some(),
            "{} has no spot underlying",
            r.instrument
        );
    }
    let nifty = records
        .iter()
        .find(|r| r.token.symbol.as_deref() == Some("NIFTY26AUGFUT"))
        .unwrap();
    assert_eq!(nifty.instrument.to_string(), "NFO:NIFTY:2026-08-25:FUT");
    assert_eq!(
        (
            nifty.contract.lot_size,
            nifty.contract.tick_size.to_string()
        ),
        (65, "0.1".into())
    );
}

#[test]
fn the_mock_dumps_parse_with_old_style_rows() {
    for file in [
        "kite/mocks/instruments_all.csv",
        "kite/mocks/instruments_nse.csv",
    ] {
        let Some(rows) = parse(file) else { return };
        assert_eq!(rows.len(), 99, "{file}");
        for row in rows {
            let record = row.unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!record.token.token.is_empty());
        }
    }
}
