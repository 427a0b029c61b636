//! Kite's binary ticker frames through `stream::decode_ticks`: the real frames and mock packets
//! from `../shared/fixtures`, synthetic packets of every kind and segment divisor built from the
//! offsets in Kite's documentation, multi-packet frames, heartbeats and every layout error, and
//! properties over arbitrary and truncated input.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{DepthLevel, IST, Price, StreamMode, TickData};
use tt_zerodha::stream::{FrameError, decode_ticks};

/// TATAMOTORS on NSE, the token of the real frames.
const TATAMOTORS: u32 = 884_737;

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn at(seconds: i64) -> Option<OffsetDateTime> {
    Some(OffsetDateTime::from_unix_timestamp(seconds).unwrap())
}

/// The token of exchange token `exchange_token` in segment `segment`.
fn token(exchange_token: u32, segment: u8) -> u32 {
    (exchange_token << 8) | u32::from(segment)
}

/// A packet of big-endian words.
fn packet(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|word| word.to_be_bytes()).collect()
}

/// A frame holding `packets`, each with its length prefix.
fn frame(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut frame = u16::try_from(packets.len()).unwrap().to_be_bytes().to_vec();
    for packet in packets {
        frame.extend(u16::try_from(packet.len()).unwrap().to_be_bytes());
        frame.extend(packet);
    }
    frame
}

/// A 184-byte full packet: the 15 words after the token, then ten depth entries (quantity,
/// price, orders), bids first. Each entry's padding is set, to show it is skipped.
fn full_packet(token: u32, head: [u32; 15], depth: [(u32, u32, u16); 10]) -> Vec<u8> {
    let mut words = vec![token];
    words.extend(head);
    for (quantity, price, orders) in depth {
        words.extend([quantity, price, (u32::from(orders) << 16) | 0xBEEF]);
    }
    packet(&words)
}

/// The one tick of a one-packet frame.
fn only_tick(frame: &[u8]) -> (u32, TickData) {
    let mut ticks = decode_ticks(frame).unwrap();
    assert_eq!(ticks.len(), 1);
    ticks.remove(0)
}

fn level(price_text: &str, quantity: u64, orders: u32) -> DepthLevel {
    DepthLevel {
        price: price(price_text),
        quantity,
        orders,
    }
}

fn fixture(relative: &str) -> Option<Vec<u8>> {
    tt_test_support::fixture(relative).map(|path| std::fs::read(path).unwrap())
}

// --- the real frames (kiteconnectjs's captures, values from fixtures/SOURCES.md) ---

#[test]
fn decodes_every_value_of_the_real_full_frame() {
    let Some(frame) = fixture("kite/frames/fullMode_binary.packet") else {
        return;
    };
    let (token, tick) = only_tick(&frame);
    assert_eq!(token, TATAMOTORS);
    assert_eq!(tick.mode, StreamMode::Full);
    assert_eq!(tick.last_price, price("392.95"));
    assert_eq!(tick.last_quantity, Some(2));
    assert_eq!(tick.average_price, Some(price("403.07")));
    assert_eq!(tick.volume, Some(22_261_032));
    assert_eq!(tick.total_buy_quantity, Some(5_617));
    assert_eq!(tick.total_sell_quantity, Some(0));
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(
        (ohlc.open, ohlc.high, ohlc.low, ohlc.close),
        (price("420"), price("420.9"), price("390.1"), price("414.1"))
    );
    assert_eq!(tick.last_trade_time, at(1_655_375_264));
    assert_eq!(tick.open_interest, Some(0));
    assert_eq!(tick.oi_day_high, Some(0));
    assert_eq!(tick.oi_day_low, Some(0));
    assert_eq!(tick.exchange_time, at(1_655_378_328));
    assert_eq!(tick.exchange_time.unwrap().offset(), IST);
    let depth = tick.depth.unwrap();
    let empty = level("0", 0, 0);
    assert_eq!(
        &depth.bids[..],
        [level("392.95", 5_617, 30), empty, empty, empty, empty]
    );
    assert_eq!(&depth.asks[..], [empty; 5]);
    assert_eq!(tick.greeks, None);
    assert_eq!(tick.implied_volatility, None);
}

#[test]
fn the_real_ltp_and_quote_frames_agree_with_the_full_one() {
    let (Some(ltp), Some(quote), Some(full)) = (
        fixture("kite/frames/ltpMode_binary.packet"),
        fixture("kite/frames/quoteMode_binary.packet"),
        fixture("kite/frames/fullMode_binary.packet"),
    ) else {
        return;
    };
    let (_, full) = only_tick(&full);

    let (token, ltp) = only_tick(&ltp);
    assert_eq!(token, TATAMOTORS);
    assert_eq!(ltp.mode, StreamMode::Ltp);
    assert_eq!(ltp.last_price, full.last_price);
    assert_eq!((ltp.volume, ltp.ohlc, ltp.depth), (None, None, None));

    let (token, quote) = only_tick(&quote);
    assert_eq!(token, TATAMOTORS);
    assert_eq!(quote.mode, StreamMode::Quote);
    assert_eq!(
        TickData {
            mode: StreamMode::Full,
            last_trade_time: full.last_trade_time,
            open_interest: full.open_interest,
            oi_day_high: full.oi_day_high,
            oi_day_low: full.oi_day_low,
            exchange_time: full.exchange_time,
            depth: full.depth.clone(),
            ..quote.clone()
        },
        full,
        "the quote is the full tick without its last 140 bytes"
    );
    assert_eq!((quote.open_interest, quote.exchange_time), (None, None));
    assert_eq!(quote.depth, None);
}

// --- the mock packets (base64 of one packet, with decoded JSON twins) ---

/// Standard base64, padding optional; enough for the two mock packets.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        b'/' => 63,
        other => panic!("not base64: {other:?}"),
    };
    let digits: Vec<u32> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut bytes = Vec::new();
    for group in digits.chunks(4) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0, |bits, (i, digit)| bits | digit << (18 - 6 * i));
        let [_, a, b, c] = bits.to_be_bytes();
        bytes.extend(&[a, b, c][..group.len() - 1]);
    }
    bytes
}

/// A mock packet framed, and its JSON twin.
fn mock(name: &str) -> Option<(Vec<u8>, Value)> {
    let packet = fixture(&format!("kite/mocks/{name}.packet"))?;
    let json = fixture(&format!("kite/mocks/{name}.json"))?;
    let packet = base64(std::str::from_utf8(&packet).unwrap());
    Some((frame(&[packet]), serde_json::from_slice(&json).unwrap()))
}

fn json_price(value: &Value) -> Price {
    Price::from_f64(value.as_f64().unwrap()).unwrap()
}

fn json_count(value: &Value) -> Option<u64> {
    Some(value.as_u64().unwrap())
}

fn json_time(value: &Value) -> Option<OffsetDateTime> {
    Some(OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap())
}

/// The fields a quote and a full tick share, against the JSON twin (all but `change`, which
/// the clients compute and the mock gets wrong).
fn assert_quote_fields(token: u32, tick: &TickData, json: &Value) {
    assert_eq!(u64::from(token), json["instrument_token"].as_u64().unwrap());
    assert_eq!(tick.mode.as_str(), json["mode"].as_str().unwrap());
    assert_eq!(tick.last_price, json_price(&json["last_price"]));
    assert_eq!(tick.last_quantity, json_count(&json["last_quantity"]));
    assert_eq!(tick.average_price, Some(json_price(&json["average_price"])));
    assert_eq!(tick.volume, json_count(&json["volume"]));
    assert_eq!(tick.total_buy_quantity, json_count(&json["buy_quantity"]));
    assert_eq!(tick.total_sell_quantity, json_count(&json["sell_quantity"]));
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(ohlc.open, json_price(&json["ohlc"]["open"]));
    assert_eq!(ohlc.high, json_price(&json["ohlc"]["high"]));
    assert_eq!(ohlc.low, json_price(&json["ohlc"]["low"]));
    assert_eq!(ohlc.close, json_price(&json["ohlc"]["close"]));
}

#[test]
fn the_mock_quote_packet_decodes_to_its_json_twin() {
    let Some((frame, json)) = mock("ticker_quote") else {
        return;
    };
    let (token, tick) = only_tick(&frame);
    assert_quote_fields(token, &tick, &json);
    assert_eq!(tick.depth, None);
}

#[test]
fn the_mock_full_packet_decodes_to_its_json_twin() {
    let Some((frame, json)) = mock("ticker_full") else {
        return;
    };
    let (token, tick) = only_tick(&frame);
    assert_quote_fields(token, &tick, &json);
    assert_eq!(tick.last_trade_time, json_time(&json["last_trade_time"]));
    assert_eq!(tick.exchange_time, json_time(&json["timestamp"]));
    assert_eq!(tick.open_interest, json_count(&json["oi"]));
    assert_eq!(tick.oi_day_high, json_count(&json["oi_day_high"]));
    assert_eq!(tick.oi_day_low, json_count(&json["oi_day_low"]));
    let depth = tick.depth.unwrap();
    for (side, levels) in [("buy", &depth.bids), ("sell", &depth.asks)] {
        let expected: Vec<DepthLevel> = json["depth"][side]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| DepthLevel {
                price: json_price(&entry["price"]),
                quantity: entry["quantity"].as_u64().unwrap(),
                orders: u32::try_from(entry["orders"].as_u64().unwrap()).unwrap(),
            })
            .collect();
        assert_eq!(&levels[..], expected, "{side}");
    }
}

// --- synthetic packets: every kind and divisor ---

#[test]
fn every_segment_divides_prices_by_its_own_divisor() {
    // (segment, raw last price, the price it is)
    let cases = [
        (1, 123_456, "1234.56"),      // NSE
        (2, 2_450_005, "24500.05"),   // NFO
        (3, 837_612_500, "83.76125"), // CDS: seven decimals
        (4, 99_995, "999.95"),        // BSE
        (5, 7_000_000, "70000"),      // BFO
        (6, 837_650, "83.765"),       // BCD: four decimals
        (7, 6_543_210, "65432.1"),    // MCX: two decimals, like NSE
        (9, 2_415_065, "24150.65"),   // indices
        (3, u32::MAX, "429.4967295"), // the largest CDS price
        (1, u32::MAX, "42949672.95"), // the largest paise price
        (6, 1, "0.0001"),             // the smallest BCD price
    ];
    for (segment, raw, expected) in cases {
        let (token_read, tick) = only_tick(&frame(&[packet(&[token(77, segment), raw])]));
        assert_eq!(token_read, token(77, segment));
        assert_eq!(tick.last_price, price(expected), "segment {segment}");
    }
}

#[test]
fn an_ltp_packet_carries_the_last_price_alone() {
    let (token_read, tick) = only_tick(&frame(&[packet(&[token(3045, 1), 80_015])]));
    assert_eq!(token_read, token(3045, 1));
    let expected = TickData::new(StreamMode::Ltp, price("800.15"));
    assert_eq!(tick, expected);
}

#[test]
fn an_index_quote_packet_reads_high_low_open_close_in_that_order() {
    let nifty = token(1, 9);
    // last, high, low, open, close, change (ignored)
    let words = [
        nifty, 2_415_065, 2_420_000, 2_400_000, 2_410_000, 2_405_050, 999,
    ];
    let (_, tick) = only_tick(&frame(&[packet(&words)]));
    assert_eq!(tick.mode, StreamMode::Quote);
    assert_eq!(tick.last_price, price("24150.65"));
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(ohlc.open, price("24100"));
    assert_eq!(ohlc.high, price("24200"));
    assert_eq!(ohlc.low, price("24000"));
    assert_eq!(ohlc.close, price("24050.5"));
    assert_eq!(tick.change(), Some(price("100.15")));
    assert_eq!(
        (tick.volume, tick.exchange_time, tick.depth),
        (None, None, None)
    );
}

#[test]
fn an_index_full_packet_adds_the_exchange_timestamp() {
    let words = [
        token(1, 9),
        2_415_065,
        2_420_000,
        2_400_000,
        2_410_000,
        2_405_050,
        0,
    ];
    let (_, tick) = only_tick(&frame(&[packet(&[&words[..], &[1_655_378_328]].concat())]));
    assert_eq!(tick.mode, StreamMode::Full);
    assert_eq!(tick.ohlc.unwrap().high, price("24200"));
    assert_eq!(tick.ohlc.unwrap().open, price("24100"));
    assert_eq!(tick.exchange_time, at(1_655_378_328));
    assert_eq!(tick.last_trade_time, None);
    assert_eq!(tick.depth, None);
}

/// A tradable quote's 10 words after the token: last, last qty, average, volume, buy qty,
/// sell qty, open, high, low, close.
const QUOTE_WORDS: [u32; 10] = [
    837_612_500,
    3,
    837_500_000,
    1_200,
    400,
    500,
    836_000_000,
    838_000_000,
    835_000_000,
    836_500_000,
];

#[test]
fn a_quote_packet_reads_open_high_low_close_and_the_totals() {
    let words = [&[token(412_675, 3)][..], &QUOTE_WORDS].concat();
    let (_, tick) = only_tick(&frame(&[packet(&words)]));
    assert_eq!(tick.mode, StreamMode::Quote);
    assert_eq!(tick.last_price, price("83.76125"));
    assert_eq!(tick.last_quantity, Some(3));
    assert_eq!(tick.average_price, Some(price("83.75")));
    assert_eq!(tick.volume, Some(1_200));
    assert_eq!(tick.total_buy_quantity, Some(400));
    assert_eq!(tick.total_sell_quantity, Some(500));
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(
        (ohlc.open, ohlc.high, ohlc.low, ohlc.close),
        (price("83.6"), price("83.8"), price("83.5"), price("83.65"))
    );
    assert_eq!((tick.open_interest, tick.last_trade_time), (None, None));
    assert_eq!(tick.depth, None);
}

#[test]
fn a_quote_without_trades_has_no_average_price() {
    let mut words = [&[token(5, 1)][..], &QUOTE_WORDS].concat();
    words[3] = 0;
    let (_, tick) = only_tick(&frame(&[packet(&words)]));
    assert_eq!(tick.average_price, None);
}

/// A BCD (segment 6, four decimals) full packet: OI, timestamps and five distinct levels on
/// each side.
fn bcd_full_packet() -> Vec<u8> {
    let head = [
        837_650,
        10,
        837_600,
        5_000,
        100,
        200,
        836_000,
        838_000,
        835_000,
        836_500,
        1_655_375_264,
        12_000,
        12_500,
        11_000,
        1_655_378_328,
    ];
    let depth = [
        (10, 837_600, 1),
        (20, 837_500, 2),
        (30, 837_400, 3),
        (40, 837_300, 4),
        (0, 0, 0),
        (11, 837_700, 5),
        (21, 837_800, 6),
        (31, 837_900, 7),
        (41, 838_000, 8),
        (51, 838_100, u16::MAX),
    ];
    full_packet(token(9_001, 6), head, depth)
}

#[test]
fn a_full_packet_reads_open_interest_timestamps_and_five_levels_a_side() {
    let (token_read, tick) = only_tick(&frame(&[bcd_full_packet()]));
    assert_eq!(token_read, token(9_001, 6));
    assert_eq!(tick.mode, StreamMode::Full);
    assert_eq!(tick.last_price, price("83.765"));
    assert_eq!(tick.ohlc.unwrap().close, price("83.65"));
    assert_eq!(tick.open_interest, Some(12_000));
    assert_eq!(tick.oi_day_high, Some(12_500));
    assert_eq!(tick.oi_day_low, Some(11_000));
    assert_eq!(tick.last_trade_time, at(1_655_375_264));
    assert_eq!(tick.exchange_time, at(1_655_378_328));
    let depth = tick.depth.unwrap();
    assert_eq!(
        &depth.bids[..],
        [
            level("83.76", 10, 1),
            level("83.75", 20, 2),
            level("83.74", 30, 3),
            level("83.73", 40, 4),
            level("0", 0, 0),
        ]
    );
    assert_eq!(
        &depth.asks[..],
        [
            level("83.77", 11, 5),
            level("83.78", 21, 6),
            level("83.79", 31, 7),
            level("83.8", 41, 8),
            level("83.81", 51, 65_535),
        ]
    );
}

#[test]
fn zero_timestamps_are_absent() {
    let mut head = [0; 15];
    head[0] = 100;
    let (_, tick) = only_tick(&frame(&[full_packet(token(1, 7), head, [(0, 0, 0); 10])]));
    assert_eq!((tick.last_trade_time, tick.exchange_time), (None, None));
    assert_eq!(tick.open_interest, Some(0));
    assert_eq!(tick.depth.unwrap().bids.len(), 5);
}

// --- frames ---

/// One packet of every kind, in several segments.
fn mixed_packets() -> Vec<Vec<u8>> {
    vec![
        packet(&[token(1, 1), 100]),
        packet(&[token(2, 9), 200, 210, 190, 195, 198, 0]),
        bcd_full_packet(),
        packet(&[token(3, 9), 300, 310, 290, 295, 298, 0, 1_655_378_328]),
        packet(&[&[token(4, 3)][..], &QUOTE_WORDS].concat()),
        full_packet(token(5, 7), [7; 15], [(1, 2, 3); 10]),
        packet(&[token(6, 2), 600]),
    ]
}

#[test]
fn a_frame_of_many_packets_gives_every_tick_in_order() {
    let ticks = decode_ticks(&frame(&mixed_packets())).unwrap();
    let read: Vec<(u32, StreamMode)> = ticks.iter().map(|(t, tick)| (*t, tick.mode)).collect();
    assert_eq!(
        read,
        [
            (token(1, 1), StreamMode::Ltp),
            (token(2, 9), StreamMode::Quote),
            (token(9_001, 6), StreamMode::Full),
            (token(3, 9), StreamMode::Full),
            (token(4, 3), StreamMode::Quote),
            (token(5, 7), StreamMode::Full),
            (token(6, 2), StreamMode::Ltp),
        ]
    );
    assert_eq!(ticks[0].1.last_price, price("1"));
    assert_eq!(ticks[4].1.last_price, price("83.76125"));
    assert_eq!(ticks[6].1.last_price, price("6"));
}

#[test]
fn heartbeats_and_empty_frames_give_no_ticks() {
    for frame in [&[][..], &[0x00], &[0xFF], &[0, 0]] {
        assert_eq!(decode_ticks(frame), Ok(vec![]), "{frame:?}");
    }
}

#[test]
fn every_layout_error_names_what_and_where() {
    let ltp = packet(&[token(1, 1), 100]);
    let with = |head: &[u8], tail: &[u8]| [head, tail].concat();
    let cases = [
        (
            "a body past the end",
            with(&[0, 1, 0, 8], &ltp[..3]),
            FrameError::Truncated {
                packet: 0,
                offset: 4,
                needed: 8,
                available: 3,
            },
        ),
        (
            "a length prefix past the end",
            with(&[0, 2, 0, 8], &[&ltp[..], &[0]].concat()),
            FrameError::Truncated {
                packet: 1,
                offset: 12,
                needed: 2,
                available: 1,
            },
        ),
        (
            "an unknown length",
            with(&[0, 1, 0, 12], &[0; 12]),
            FrameError::UnknownLength {
                packet: 0,
                offset: 4,
                length: 12,
            },
        ),
        (
            "an empty packet",
            with(&[0, 2, 0, 8], &[&ltp[..], &[0, 0]].concat()),
            FrameError::UnknownLength {
                packet: 1,
                offset: 14,
                length: 0,
            },
        ),
        (
            "fewer packets than counted",
            with(&[0, 3, 0, 8], &ltp),
            FrameError::MissingPackets {
                promised: 3,
                found: 1,
                offset: 12,
            },
        ),
        (
            "bytes after the last packet",
            with(&[0, 1, 0, 8], &[&ltp[..], &[1, 2]].concat()),
            FrameError::TrailingBytes {
                packets: 1,
                offset: 12,
                count: 2,
            },
        ),
        (
            "bytes after a count of none",
            vec![0, 0, 9],
            FrameError::TrailingBytes {
                packets: 0,
                offset: 2,
                count: 1,
            },
        ),
    ];
    for (name, frame, error) in cases {
        assert_eq!(decode_ticks(&frame), Err(error), "{name}");
    }
}

#[test]
fn errors_read_as_sentences_with_their_offsets() {
    let cases = [
        (
            FrameError::Truncated {
                packet: 1,
                offset: 12,
                needed: 184,
                available: 40,
            },
            "packet 1 at byte 12 needs 184 bytes but the frame has 40 left",
        ),
        (
            FrameError::UnknownLength {
                packet: 0,
                offset: 4,
                length: 12,
            },
            "packet 0 at byte 4 is 12 bytes long, which is no Kite packet kind (8, 28, 32, 44 or 184)",
        ),
        (
            FrameError::MissingPackets {
                promised: 3,
                found: 1,
                offset: 12,
            },
            "the frame promises 3 packets but ends after 1, at byte 12",
        ),
        (
            FrameError::TrailingBytes {
                packets: 1,
                offset: 12,
                count: 2,
            },
            "2 bytes follow the frame's 1 packets, from byte 12",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
}

#[test]
fn every_truncation_of_a_valid_frame_is_an_error() {
    let frame = frame(&mixed_packets());
    for cut in 2..frame.len() {
        assert!(decode_ticks(&frame[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(decode_ticks(&frame).unwrap().len(), 7);
}

// --- properties ---

/// A packet of one of Kite's lengths with arbitrary bytes.
fn any_packet() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![8_usize, 28, 32, 44, 184])
        .prop_flat_map(|length| prop::collection::vec(any::<u8>(), length))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_ticks(&bytes);
    }

    #[test]
    fn arbitrary_packets_after_a_valid_header_never_panic(
        count in any::<u16>(),
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let _ = decode_ticks(&[&count.to_be_bytes()[..], &body].concat());
    }

    #[test]
    fn frames_of_valid_packets_give_one_tick_per_packet_with_its_token(
        packets in prop::collection::vec(any_packet(), 0..12),
    ) {
        let ticks = decode_ticks(&frame(&packets)).unwrap();
        prop_assert_eq!(ticks.len(), packets.len());
        for ((token, _), packet) in ticks.iter().zip(&packets) {
            prop_assert_eq!(token.to_be_bytes(), [packet[0], packet[1], packet[2], packet[3]]);
        }
    }

    #[test]
    fn every_truncation_of_a_random_frame_is_an_error(
        packets in prop::collection::vec(any_packet(), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let frame = frame(&packets);
        let cut = 2 + cut.index(frame.len() - 2);
        prop_assert!(decode_ticks(&frame[..cut]).is_err());
    }
}
