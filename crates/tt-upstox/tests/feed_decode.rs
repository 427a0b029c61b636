//! `tt_upstox::stream::decode_ticks` on frames assembled byte by byte from the published field
//! numbers, independently of the crate's own schema types: a check that those types carry the
//! right numbers and wire types.
#![allow(clippy::unwrap_used)]

use time::macros::datetime;
use tt_core::{Price, StreamMode};
use tt_upstox::stream::{FeedDecodeError, decode_ticks};

/// A field key: the field number and the wire type.
fn key(field: u8, wire_type: u8) -> u8 {
    (field << 3) | wire_type
}

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn double(field: u8, value: f64) -> Vec<u8> {
    [&[key(field, 1)][..], &value.to_le_bytes()].concat()
}

fn int(field: u8, value: u64) -> Vec<u8> {
    [vec![key(field, 0)], varint(value)].concat()
}

fn message(field: u8, body: &[u8]) -> Vec<u8> {
    [
        vec![key(field, 2)],
        varint(body.len() as u64),
        body.to_vec(),
    ]
    .concat()
}

/// LTPC: ltp (1, double), ltt (2, int64), ltq (3, int64), cp (4, double).
fn ltpc(ltp: f64) -> Vec<u8> {
    [
        double(1, ltp),
        int(2, 1_764_564_300_000),
        int(3, 50),
        double(4, 2333.3),
    ]
    .concat()
}

/// FeedResponse: type (1), feeds (2, map entries of key 1 and Feed 2), currentTs (3).
fn response(kind: u64, entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = int(1, kind);
    for (instrument, feed) in entries {
        let entry = [message(1, instrument.as_bytes()), message(2, feed)].concat();
        out.extend(message(2, &entry));
    }
    out.extend(int(3, 1_764_564_300_350));
    out
}

#[test]
fn a_hand_assembled_ltpc_frame_decodes_through_the_public_api() {
    // Feed: ltpc is arm 1.
    let feed = message(1, &ltpc(2345.65));
    let ticks = decode_ticks(&response(1, &[("NSE_EQ|INE002A01018", feed)])).unwrap();
    assert_eq!(ticks.len(), 1);
    let (instrument, tick) = &ticks[0];
    assert_eq!(instrument, "NSE_EQ|INE002A01018");
    assert_eq!(tick.mode, StreamMode::Ltp);
    assert_eq!(tick.last_price, "2345.65".parse::<Price>().unwrap());
    assert_eq!(tick.last_quantity, Some(50));
    assert_eq!(
        tick.last_trade_time,
        Some(datetime!(2025-12-01 10:15:00 +05:30))
    );
}

#[test]
fn a_hand_assembled_full_frame_has_depth_ohlc_and_totals() {
    // Quote: bidQ 1, bidP 2, askQ 3, askP 4; MarketLevel.bidAskQuote 1.
    let quote = [int(1, 75), double(2, 152.3), int(3, 150), double(4, 152.4)].concat();
    // OHLC: interval 1, open 2, high 3, low 4, close 5, vol 6, ts 7; MarketOHLC.ohlc 1.
    let candle = [
        message(1, b"1d"),
        double(2, 149.0),
        double(3, 160.05),
        double(4, 140.5),
        double(5, 152.35),
        int(6, 1000),
        int(7, 1_764_560_700_000),
    ]
    .concat();
    // MarketFullFeed: ltpc 1, marketLevel 2, marketOHLC 4, atp 5, vtt 6, oi 7, iv 8, tbq 9, tsq 10.
    let market = [
        message(1, &ltpc(152.35)),
        message(2, &message(1, &quote)),
        message(4, &message(1, &candle)),
        double(5, 151.87),
        int(6, 123_456),
        double(7, 9_750.0),
        double(8, 0.21),
        double(9, 4_500.0),
        double(10, 5_250.0),
    ]
    .concat();
    // Feed: fullFeed is arm 2 (FullFeed.marketFF 1), requestMode 4 = full_d5 (1).
    let feed = [message(2, &message(1, &market)), int(4, 1)].concat();
    let ticks = decode_ticks(&response(0, &[("NSE_FO|43885", feed)])).unwrap();
    let tick = &ticks[0].1;
    let price = |text: &str| text.parse::<Price>().unwrap();
    assert_eq!(tick.mode, StreamMode::Full);
    let depth = tick.depth.as_ref().unwrap();
    assert_eq!(
        (depth.bids[0].price, depth.bids[0].quantity),
        (price("152.3"), 75)
    );
    assert_eq!(
        (depth.asks[0].price, depth.asks[0].quantity),
        (price("152.4"), 150)
    );
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(
        (ohlc.open, ohlc.high, ohlc.low, ohlc.close),
        (
            price("149"),
            price("160.05"),
            price("140.5"),
            price("2333.3")
        )
    );
    assert_eq!(tick.average_price, Some(price("151.87")));
    assert_eq!(
        (tick.volume, tick.open_interest, tick.implied_volatility),
        (Some(123_456), Some(9_750), Some(0.21))
    );
    assert_eq!(
        (tick.total_buy_quantity, tick.total_sell_quantity),
        (Some(4_500), Some(5_250))
    );
}

#[test]
fn a_market_info_frame_gives_no_ticks() {
    // MarketInfo.segmentStatus (1): entries of key 1 and enum value 2 (NORMAL_OPEN).
    let entry = [message(1, b"NSE_EQ"), int(2, 2)].concat();
    let frame = [int(1, 2), message(4, &message(1, &entry))].concat();
    assert_eq!(decode_ticks(&frame).unwrap(), vec![]);
}

#[test]
fn a_bad_price_names_the_instrument() {
    let feed = message(1, &ltpc(f64::NAN));
    let error = decode_ticks(&response(1, &[("NSE_EQ|INE002A01018", feed)])).unwrap_err();
    assert!(matches!(error, FeedDecodeError::Price { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("ltpc.ltp of NSE_EQ|INE002A01018"),
        "{error}"
    );
}
