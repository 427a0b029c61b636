//! Upstox's market data feed v3 messages (`FeedResponse`, protobuf) to tt-core ticks and market
//! statuses.
//!
//! Every message on the hot path (`FeedResponse`, its `map<string, Feed>` entries, `Feed`,
//! `FullFeed`, `MarketFullFeed`, `IndexFullFeed`, `FirstLevelWithGreeks`, `MarketLevel`,
//! `Quote`, `MarketOHLC`, `OHLC`, `LTPC`, `OptionGreeks`) is read field by field, with
//! one-byte keys and varints read in place and prost's encoding primitives for the rest,
//! straight into a [`TickData`]: an instrument key is borrowed from the frame, a candle's
//! interval is compared in place (an intraday candle is passed over whole), and depth levels go
//! into buffers one message shares, so a five-level full feed costs no heap allocation. prost's
//! derived decoding would build a `HashMap` with a `String` per key, a `String` per candle and
//! two `Vec`s per feed before any conversion, and takes about twice as long doing only that
//! (`benches/feed.rs` times both). Only the rare `MarketInfo` goes through the derived code in
//! `proto`. Wire semantics are protobuf's: a field seen twice takes its last value (a message
//! merges), a oneof takes its last arm, unknown fields are skipped.
//!
//! How a feed becomes a [`TickData`]:
//!
//! - mode: `requestMode` when the feed carries one (`ltpc`, `full_d5`, `option_greeks`,
//!   `full_d30`); otherwise the arm: `ltpc` is [`StreamMode::Ltp`], `fullFeed` is
//!   [`StreamMode::Full`] (or [`StreamMode::FullDepth30`] past five levels a side),
//!   `firstLevelWithGreeks` is [`StreamMode::OptionGreeks`]. A proto3 encoder never writes a
//!   zero enum, so `ltpc` subscriptions usually arrive without one.
//! - `ltpc`: `ltp` is the last price, `ltt` the last trade time (0 is none), `ltq` the last
//!   quantity (0 is none). `cp`, the previous close, has no field of its own in a tick: in the
//!   full modes it is the close of [`Ohlc`] (which tt-core defines as the previous session's
//!   close); in `ltpc` mode, with no open, high or low to go with it, it is dropped. `iep`
//!   (the pre-open indicative price) has no tick field either and is not read.
//! - OHLC: open, high and low of the `1d` candle, close `cp`; no `1d` candle, no OHLC. The
//!   intraday candles (`I1`, `I30`) are skipped.
//! - depth: each `bidAskQuote` is one level of each side (`bidP`/`bidQ` a bid,
//!   `askP`/`askQ` an ask), best first; a side's level with price and quantity both zero (the
//!   padding of a thin book) is left out. Upstox sends no order counts: `orders` is 0.
//!   `option_greeks` mode's `firstDepth` is a one-level depth.
//! - `atp` is the average price (0 is none), `vtt` the volume, `oi` the open interest, `tbq` /
//!   `tsq` the totals, `iv` the implied volatility (0 is none), `optionGreeks` the greeks
//!   (when sent). Upstox streams no day range of open interest and no exchange timestamp
//!   (`currentTs` is Upstox's send time, reported in [`FeedMessage`]).
//! - Prices are exact ([`Price::from_f64`]: the decimal the double prints as); a non-finite or
//!   out-of-range price, a negative or fractional quantity, or an epoch beyond a date's range
//!   is an error naming the field and the instrument key.

use std::fmt;

use prost::Message as _;
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};
use prost::{DecodeError, UnknownEnumValue};
use time::OffsetDateTime;
use tt_core::{
    Depth, DepthLevel, DepthSide, Exchange, Greeks, MarketPhase, MarketSegment, MarketStatus, Ohlc,
    Price, PriceError, StreamMode, TickData,
};

use super::proto;

/// Depth levels a side in the five-level full mode; more means `full_d30`.
const FULL_LEVELS: usize = 5;

/// What kind of message a `FeedResponse` was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageKind {
    /// The snapshot after a subscription.
    InitialFeed,
    /// An incremental update.
    LiveFeed,
    /// The segments' trading phases (first on every connection).
    MarketInfo,
}

/// A decoded message's envelope; its ticks went to the caller's closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedMessage {
    /// What the message was.
    pub(crate) kind: MessageKind,
    /// When Upstox sent it (`currentTs`, epoch ms; 0 is none).
    pub(crate) current_ts: Option<OffsetDateTime>,
    /// Ticks handed to the closure.
    pub(crate) feeds: usize,
    /// Feeds with no data at all (no oneof arm set), skipped.
    pub(crate) empty_feeds: usize,
    /// The phases of the segments tt-core names, sorted by segment.
    pub(crate) statuses: Vec<MarketStatus>,
    /// Segments with no [`Exchange`] (`NSE_COM`, ...), sorted, their phases not reported.
    pub(crate) unknown_segments: Vec<String>,
}

/// Why a feed message could not be decoded.
///
/// Ticks decoded before the failing feed have already been handed over; a message is
/// otherwise all or nothing. Retrying the same bytes cannot help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedDecodeError {
    /// The bytes are not a well-formed protobuf message of the schema (truncated, a wrong
    /// wire type for a field, a bad varint).
    #[error("upstox feed: malformed protobuf in {at}{}: {source}", for_key(.instrument_key))]
    Protobuf {
        /// The message or field being read.
        at: &'static str,
        /// The feed being read, if inside one.
        instrument_key: Option<String>,
        /// prost's description.
        source: DecodeError,
    },
    /// A length-delimited field runs past the end of its enclosing message.
    #[error(
        "upstox feed: {at}{} declares {declared} bytes but only {remaining} remain",
        for_key(.instrument_key)
    )]
    Truncated {
        /// The message or field being read.
        at: &'static str,
        /// The feed being read, if inside one.
        instrument_key: Option<String>,
        /// The length the field declares.
        declared: u64,
        /// What is left of the enclosing message.
        remaining: usize,
    },
    /// An instrument key or segment name is not UTF-8.
    #[error("upstox feed: {at} is not UTF-8")]
    NotUtf8 {
        /// The field.
        at: &'static str,
    },
    /// An enum field holds a value the schema does not define.
    #[error("upstox feed: {field} = {value} is not a known value{}", for_key(.instrument_key))]
    UnknownEnum {
        /// The field (`type`, `requestMode`, `segmentStatus[NSE_EQ]`...).
        field: String,
        /// The value sent.
        value: i32,
        /// The feed it was in, if any.
        instrument_key: Option<String>,
    },
    /// A price is not finite or out of a price's range.
    #[error("upstox feed: {field} of {instrument_key}: {source}")]
    Price {
        /// The field (`ltpc.ltp`, `bidAskQuote.bidP`...).
        field: &'static str,
        /// The feed it was in.
        instrument_key: String,
        /// Why it does not convert.
        source: PriceError,
    },
    /// A quantity is negative, fractional or not finite.
    #[error("upstox feed: {field} of {instrument_key} is {value}, not a quantity")]
    Quantity {
        /// The field (`vtt`, `oi`, `tbq`...).
        field: &'static str,
        /// The feed it was in.
        instrument_key: String,
        /// The value sent, as text.
        value: String,
    },
    /// An epoch-millisecond timestamp beyond the range of a date.
    #[error("upstox feed: {field}{} = {millis} ms is not a time", for_key(.instrument_key))]
    Timestamp {
        /// The field (`ltpc.ltt`, `currentTs`).
        field: &'static str,
        /// The feed it was in, if any.
        instrument_key: Option<String>,
        /// The value sent.
        millis: i64,
    },
}

/// What the decoder's functions return: the error boxed, so that the `Ok` path (every field
/// of every feed) moves a pointer-sized error slot rather than the whole error.
type Decoded<T> = Result<T, Box<FeedDecodeError>>;

fn for_key(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!(" of {k}")).unwrap_or_default()
}

/// A wire-level failure, before it is given its place in the message.
enum WireError {
    Prost(DecodeError),
    Truncated { declared: u64, remaining: usize },
}

impl From<DecodeError> for WireError {
    fn from(error: DecodeError) -> WireError {
        WireError::Prost(error)
    }
}

impl WireError {
    fn at(self, at: &'static str, instrument_key: Option<&str>) -> FeedDecodeError {
        let instrument_key = instrument_key.map(str::to_owned);
        match self {
            WireError::Prost(source) => FeedDecodeError::Protobuf {
                at,
                instrument_key,
                source,
            },
            WireError::Truncated {
                declared,
                remaining,
            } => FeedDecodeError::Truncated {
                at,
                instrument_key,
                declared,
                remaining,
            },
        }
    }
}

/// The next field's tag and wire type. Every field number in the schema fits a one-byte key,
/// read here without a call; a longer key (or a malformed one) goes through prost.
#[inline(always)]
fn next_field(buf: &mut &[u8]) -> Result<(u32, WireType), WireError> {
    if let Some((&byte, rest)) = buf.split_first() {
        // Below 0x80 a varint is its one byte; a tag of 0 is prost's error to report.
        if (0x08..0x80).contains(&byte) {
            let wire_type = WireType::try_from(u64::from(byte & 0x07))?;
            *buf = rest;
            return Ok((u32::from(byte >> 3), wire_type));
        }
    }
    Ok(decode_key(buf)?)
}

/// A varint, read in place; a malformed one (unterminated, or past 64 bits) is left to prost,
/// which describes it.
#[inline(always)]
fn read_varint(buf: &mut &[u8]) -> Result<u64, WireError> {
    // One byte (every length of a feed's messages but the feed's own, quantities below 128)
    // and two bytes cover nearly every varint of a feed; they are read without the loop.
    match **buf {
        [low, ref rest @ ..] if low < 0x80 => {
            *buf = rest;
            return Ok(u64::from(low));
        }
        [low, high, ref rest @ ..] if high < 0x80 => {
            *buf = rest;
            return Ok(u64::from(low & 0x7f) | u64::from(high) << 7);
        }
        _ => {}
    }
    let mut value = 0u64;
    for (i, &byte) in buf.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            // The tenth byte may carry only the 64th bit.
            if i == 9 && byte > 1 {
                break;
            }
            *buf = buf.get(i + 1..).unwrap_or_default();
            return Ok(value);
        }
    }
    Ok(decode_varint(buf)?)
}

#[inline(always)]
fn expect(actual: WireType, expected: WireType) -> Result<(), WireError> {
    if actual == expected {
        Ok(())
    } else {
        wrong_wire_type(actual, expected)
    }
}

/// prost's description of a wire type mismatch, built out of line: no feed Upstox sends has one.
#[cold]
#[inline(never)]
fn wrong_wire_type(actual: WireType, expected: WireType) -> Result<(), WireError> {
    Ok(prost::encoding::check_wire_type(expected, actual)?)
}

#[inline(always)]
fn double(buf: &mut &[u8], wire_type: WireType) -> Result<f64, WireError> {
    expect(wire_type, WireType::SixtyFourBit)?;
    let (bytes, rest) = buf.split_first_chunk::<8>().ok_or(WireError::Truncated {
        declared: 8,
        remaining: buf.len(),
    })?;
    *buf = rest;
    Ok(f64::from_le_bytes(*bytes))
}

/// An `int64` (or an enum, which protobuf also sends as a varint).
#[inline(always)]
fn varint(buf: &mut &[u8], wire_type: WireType) -> Result<i64, WireError> {
    expect(wire_type, WireType::Varint)?;
    // protobuf's int64 is the varint's 64 bits, two's complement.
    Ok(read_varint(buf)? as i64)
}

/// An enum: protobuf keeps the low 32 bits of the varint.
fn enumeration(buf: &mut &[u8], wire_type: WireType) -> Result<i32, WireError> {
    varint(buf, wire_type).map(|v| v as i32)
}

#[inline(always)]
fn delimited<'a>(buf: &mut &'a [u8], wire_type: WireType) -> Result<&'a [u8], WireError> {
    expect(wire_type, WireType::LengthDelimited)?;
    let declared = read_varint(buf)?;
    let remaining = buf.len();
    let (field, rest) = usize::try_from(declared)
        .ok()
        .and_then(|len| buf.split_at_checked(len))
        .ok_or(WireError::Truncated {
            declared,
            remaining,
        })?;
    *buf = rest;
    Ok(field)
}

/// Skips a field the decoder does not read; groups (which the schema has none of) go through
/// prost.
#[inline]
fn skip(buf: &mut &[u8], tag: u32, wire_type: WireType) -> Result<(), WireError> {
    match wire_type {
        WireType::Varint => read_varint(buf).map(drop),
        WireType::SixtyFourBit => double(buf, wire_type).map(drop),
        WireType::LengthDelimited => delimited(buf, wire_type).map(drop),
        _ => Ok(skip_field(wire_type, tag, buf, DecodeContext::default())?),
    }
}

/// A varint field with the one-byte key `key`, if it is the next field: `Some(None)` when it is
/// not, `None` when it is but its varint is malformed. For the in-order fast paths below.
#[inline(always)]
fn leading_varint(buf: &mut &[u8], key: u8) -> Option<Option<u64>> {
    match **buf {
        [first, ref rest @ ..] if first == key => {
            let mut rest = rest;
            let value = read_varint(&mut rest).ok()?;
            *buf = rest;
            Some(Some(value))
        }
        _ => Some(None),
    }
}

/// A `double` field with the one-byte key `key`, likewise: `None` when it is cut short.
#[inline(always)]
fn leading_double(buf: &mut &[u8], key: u8) -> Option<Option<f64>> {
    match **buf {
        [first, ref rest @ ..] if first == key => {
            let (bytes, rest) = rest.split_first_chunk::<8>()?;
            *buf = rest;
            Some(Some(f64::from_le_bytes(*bytes)))
        }
        _ => Some(None),
    }
}

/// Reads a message's fields in wire order: `field` reads the value of each field it knows
/// from the buffer and says so (`true`); the others are skipped.
#[inline]
fn read_fields<'a>(
    bytes: &'a [u8],
    wire: &impl Fn(WireError) -> FeedDecodeError,
    mut field: impl FnMut(&mut &'a [u8], u32, WireType) -> Decoded<bool>,
) -> Decoded<()> {
    let mut buf = bytes;
    while !buf.is_empty() {
        let (tag, wire_type) = next_field(&mut buf).map_err(wire)?;
        if !field(&mut buf, tag, wire_type)? {
            skip(&mut buf, tag, wire_type).map_err(wire)?;
        }
    }
    Ok(())
}

/// An epoch in milliseconds; 0 is none.
fn epoch_millis(
    millis: i64,
    field: &'static str,
    key: Option<&str>,
) -> Decoded<Option<OffsetDateTime>> {
    if millis == 0 {
        return Ok(None);
    }
    // Whole seconds, then the milliseconds: i64 arithmetic, no 128-bit division.
    OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .and_then(|t| t.replace_millisecond(millis.rem_euclid(1000) as u16))
        .map(Some)
        .map_err(|_| {
            Box::new(FeedDecodeError::Timestamp {
                field,
                instrument_key: key.map(str::to_owned),
                millis,
            })
        })
}

/// Decodes one `FeedResponse` message, handing each instrument's tick to `each` with its
/// instrument key (borrowed from `bytes`) as it is read.
///
/// A key Upstox repeats in one message is handed over twice, in wire order. A `market_info`
/// message comes back with its statuses and no ticks.
///
/// # Errors
/// [`FeedDecodeError`] naming what was wrong and where, for malformed protobuf, an enum value
/// the schema lacks, or a price, quantity or timestamp that does not convert. Ticks before the
/// failing feed have been handed over already.
pub(crate) fn decode_feed_response(
    bytes: &[u8],
    mut each: impl FnMut(&str, TickData),
) -> Result<FeedMessage, FeedDecodeError> {
    let mut message = FeedMessage {
        kind: MessageKind::InitialFeed,
        current_ts: None,
        feeds: 0,
        empty_feeds: 0,
        statuses: Vec::new(),
        unknown_segments: Vec::new(),
    };
    let mut levels = Levels::default();
    let wire = |e: WireError| e.at("FeedResponse", None);
    read_fields(bytes, &wire, |buf, tag, wire_type| {
        match tag {
            1 => {
                let value = enumeration(buf, wire_type).map_err(wire)?;
                message.kind = message_kind(value)?;
            }
            2 => {
                let (key, feed) = map_entry(delimited(buf, wire_type).map_err(wire)?)?;
                if decode_feed(key, feed, &mut levels, |tick| each(key, tick))? {
                    message.feeds += 1;
                } else {
                    message.empty_feeds += 1;
                }
            }
            3 => {
                let millis = varint(buf, wire_type).map_err(wire)?;
                message.current_ts = epoch_millis(millis, "currentTs", None)?;
            }
            4 => {
                let info = delimited(buf, wire_type).map_err(wire)?;
                (message.statuses, message.unknown_segments) = market_info(info)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })
    .map_err(|e| *e)?;
    Ok(message)
}

fn message_kind(value: i32) -> Decoded<MessageKind> {
    match proto::Type::try_from(value) {
        Ok(proto::Type::InitialFeed) => Ok(MessageKind::InitialFeed),
        Ok(proto::Type::LiveFeed) => Ok(MessageKind::LiveFeed),
        Ok(proto::Type::MarketInfo) => Ok(MessageKind::MarketInfo),
        Err(UnknownEnumValue(value)) => Err(Box::new(FeedDecodeError::UnknownEnum {
            field: "type".to_owned(),
            value,
            instrument_key: None,
        })),
    }
}

/// A `feeds` map entry: its key (`1`, borrowed) and its `Feed`'s bytes (`2`), in either order;
/// a missing one is protobuf's default (an empty key, an empty feed).
fn map_entry(entry: &[u8]) -> Decoded<(&str, &[u8])> {
    let mut key: &[u8] = &[];
    let mut feed: &[u8] = &[];
    let wire = |e: WireError| e.at("FeedResponse.feeds entry", None);
    read_fields(entry, &wire, |buf, tag, wire_type| {
        match tag {
            1 => key = delimited(buf, wire_type).map_err(wire)?,
            2 => feed = delimited(buf, wire_type).map_err(wire)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let key = std::str::from_utf8(key).map_err(|_| FeedDecodeError::NotUtf8 {
        at: "an instrument key",
    })?;
    Ok((key, feed))
}

/// Which arm of `Feed.FeedUnion` (and `FullFeed.FullFeedUnion`) was set last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    None,
    Ltpc,
    MarketFull,
    IndexFull,
    FirstLevel,
}

/// The depth levels of the feed being read, in buffers one message's feeds share, so that
/// only a message's first feed allocates for them. Converted level by level as they are
/// read; copied into the tick's inline sides in one go at the end.
#[derive(Default)]
struct Levels {
    bids: Vec<DepthLevel>,
    asks: Vec<DepthLevel>,
    /// `bidAskQuote`s read, padding included.
    sent: usize,
}

impl Levels {
    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.sent = 0;
    }
}

/// A feed's values as they are read, before the arm and mode decide which make the tick.
struct FeedParts<'k, 's> {
    key: &'k str,
    arm: Arm,
    request_mode: Option<i32>,
    ltpc: proto::Ltpc,
    levels: &'s mut Levels,
    greeks: Option<proto::OptionGreeks>,
    /// Open, high, low of the `1d` candle.
    day: Option<(Price, Price, Price)>,
    atp: f64,
    vtt: i64,
    oi: f64,
    iv: f64,
    tbq: f64,
    tsq: f64,
}

impl<'k, 's> FeedParts<'k, 's> {
    fn new(key: &'k str, levels: &'s mut Levels) -> FeedParts<'k, 's> {
        levels.clear();
        FeedParts {
            key,
            arm: Arm::None,
            request_mode: None,
            ltpc: proto::Ltpc::default(),
            levels,
            greeks: None,
            day: None,
            atp: 0.0,
            vtt: 0,
            oi: 0.0,
            iv: 0.0,
            tbq: 0.0,
            tsq: 0.0,
        }
    }

    /// Starts arm `arm`: a oneof's new arm replaces what an earlier one set.
    fn enter(&mut self, arm: Arm) {
        if self.arm != arm && self.arm != Arm::None {
            self.ltpc = proto::Ltpc::default();
            self.levels.clear();
            self.greeks = None;
            self.day = None;
            (self.atp, self.vtt, self.oi, self.iv, self.tbq, self.tsq) =
                (0.0, 0, 0.0, 0.0, 0.0, 0.0);
        }
        self.arm = arm;
    }

    /// The error for a wire failure inside this feed, in message `at`.
    fn wire(&self, at: &'static str) -> impl Fn(WireError) -> FeedDecodeError + use<'k> {
        let key = self.key;
        move |e| e.at(at, Some(key))
    }

    /// Sixteen a full feed: the conversion is inlined here, the error built out of line.
    #[inline(always)]
    fn price(&self, value: f64, field: &'static str) -> Decoded<Price> {
        match Price::from_f64(value) {
            Ok(price) => Ok(price),
            Err(source) => Err(self.price_error(field, source)),
        }
    }

    #[cold]
    #[inline(never)]
    fn price_error(&self, field: &'static str, source: PriceError) -> Box<FeedDecodeError> {
        Box::new(FeedDecodeError::Price {
            field,
            instrument_key: self.key.to_owned(),
            source,
        })
    }

    #[cold]
    #[inline(never)]
    fn quantity_error(
        &self,
        field: &'static str,
        value: impl fmt::Display,
    ) -> Box<FeedDecodeError> {
        Box::new(FeedDecodeError::Quantity {
            field,
            instrument_key: self.key.to_owned(),
            value: value.to_string(),
        })
    }

    #[inline(always)]
    fn count(&self, value: i64, field: &'static str) -> Decoded<u64> {
        u64::try_from(value).map_err(|_| self.quantity_error(field, value))
    }

    /// A quantity Upstox sends as a double (`oi`, `tbq`, `tsq`): whole and not negative.
    #[inline(always)]
    fn whole(&self, value: f64, field: &'static str) -> Decoded<u64> {
        // Below 2^53 every whole double converts exactly; quantities are far smaller.
        if value >= 0.0 && value.fract() == 0.0 && value <= 9.0e15 {
            Ok(value as u64)
        } else {
            Err(self.quantity_error(field, value))
        }
    }

    /// Merges an `LTPC` (read here, not by prost: it is in every feed). `iep` is skipped.
    fn merge_ltpc(&mut self, bytes: &[u8]) -> Decoded<()> {
        // A partly done fast path leaves only values the full reading below sets again.
        if merge_in_order_ltpc(&mut self.ltpc, bytes).is_some() {
            return Ok(());
        }
        let wire = self.wire("LTPC");
        let ltpc = &mut self.ltpc;
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => ltpc.ltp = double(buf, wire_type).map_err(&wire)?,
                2 => ltpc.ltt = varint(buf, wire_type).map_err(&wire)?,
                3 => ltpc.ltq = varint(buf, wire_type).map_err(&wire)?,
                4 => ltpc.cp = double(buf, wire_type).map_err(&wire)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    /// A `Quote` (read here, not by prost: a full feed has one a level).
    #[inline]
    fn quote(&self, bytes: &[u8]) -> Decoded<proto::Quote> {
        if let Some(quote) = in_order_quote(bytes) {
            return Ok(quote);
        }
        let wire = self.wire("Quote");
        let mut quote = proto::Quote::default();
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => quote.bid_q = varint(buf, wire_type).map_err(&wire)?,
                2 => quote.bid_p = double(buf, wire_type).map_err(&wire)?,
                3 => quote.ask_q = varint(buf, wire_type).map_err(&wire)?,
                4 => quote.ask_p = double(buf, wire_type).map_err(&wire)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(quote)
    }

    /// Merges an `OptionGreeks`.
    fn merge_greeks(&mut self, bytes: &[u8]) -> Decoded<()> {
        // As for the LTPC: a partly done fast path is redone in full.
        if merge_in_order_greeks(self.greeks.get_or_insert_default(), bytes).is_some() {
            return Ok(());
        }
        let wire = self.wire("OptionGreeks");
        let greeks = self.greeks.get_or_insert_default();
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => greeks.delta = double(buf, wire_type).map_err(&wire)?,
                2 => greeks.theta = double(buf, wire_type).map_err(&wire)?,
                3 => greeks.gamma = double(buf, wire_type).map_err(&wire)?,
                4 => greeks.vega = double(buf, wire_type).map_err(&wire)?,
                5 => greeks.rho = double(buf, wire_type).map_err(&wire)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    /// One `bidAskQuote`: a level of each side, where it is not all zero (the padding of a
    /// thin book).
    fn push_quote(&mut self, quote: &proto::Quote) -> Decoded<()> {
        self.levels.sent += 1;
        if quote.bid_p != 0.0 || quote.bid_q != 0 {
            let level = DepthLevel {
                price: self.price(quote.bid_p, "bidAskQuote.bidP")?,
                quantity: self.count(quote.bid_q, "bidAskQuote.bidQ")?,
                orders: 0,
            };
            self.levels.bids.push(level);
        }
        if quote.ask_p != 0.0 || quote.ask_q != 0 {
            let level = DepthLevel {
                price: self.price(quote.ask_p, "bidAskQuote.askP")?,
                quantity: self.count(quote.ask_q, "bidAskQuote.askQ")?,
                orders: 0,
            };
            self.levels.asks.push(level);
        }
        Ok(())
    }

    fn market_level(&mut self, bytes: &[u8]) -> Decoded<()> {
        let wire = self.wire("MarketLevel");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            if tag != 1 {
                return Ok(false);
            }
            let quote = delimited(buf, wire_type).map_err(&wire)?;
            let quote = self.quote(quote)?;
            self.push_quote(&quote)?;
            Ok(true)
        })
    }

    fn market_ohlc(&mut self, bytes: &[u8]) -> Decoded<()> {
        let wire = self.wire("MarketOHLC");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            if tag != 1 {
                return Ok(false);
            }
            self.candle(delimited(buf, wire_type).map_err(&wire)?)?;
            Ok(true)
        })
    }

    /// One `OHLC`; only the `1d` candle is kept, its prices converted.
    fn candle(&mut self, bytes: &[u8]) -> Decoded<()> {
        // An intraday candle (`I1`, `I30`) is not read: one that opens with its interval, as
        // encoders write it, is passed over whole once the interval is seen not to be `1d`,
        // like a field the decoder does not know.
        if let [0x0a, len, rest @ ..] = bytes
            && *len < 0x80
            && let Some(interval) = rest.get(..usize::from(*len))
            && interval != b"1d"
        {
            return Ok(());
        }
        let (mut interval, mut open, mut high, mut low): (&[u8], f64, f64, f64) =
            (&[], 0.0, 0.0, 0.0);
        let wire = self.wire("OHLC");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => interval = delimited(buf, wire_type).map_err(&wire)?,
                2 => open = double(buf, wire_type).map_err(&wire)?,
                3 => high = double(buf, wire_type).map_err(&wire)?,
                4 => low = double(buf, wire_type).map_err(&wire)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        if interval == b"1d" {
            self.day = Some((
                self.price(open, "ohlc[1d].open")?,
                self.price(high, "ohlc[1d].high")?,
                self.price(low, "ohlc[1d].low")?,
            ));
        }
        Ok(())
    }

    fn market_full_feed(&mut self, bytes: &[u8]) -> Decoded<()> {
        self.enter(Arm::MarketFull);
        let wire = self.wire("MarketFullFeed");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => self.merge_ltpc(delimited(buf, wire_type).map_err(&wire)?)?,
                2 => self.market_level(delimited(buf, wire_type).map_err(&wire)?)?,
                3 => self.merge_greeks(delimited(buf, wire_type).map_err(&wire)?)?,
                4 => self.market_ohlc(delimited(buf, wire_type).map_err(&wire)?)?,
                5 => self.atp = double(buf, wire_type).map_err(&wire)?,
                6 => self.vtt = varint(buf, wire_type).map_err(&wire)?,
                7 => self.oi = double(buf, wire_type).map_err(&wire)?,
                8 => self.iv = double(buf, wire_type).map_err(&wire)?,
                9 => self.tbq = double(buf, wire_type).map_err(&wire)?,
                10 => self.tsq = double(buf, wire_type).map_err(&wire)?,
                // iep, rp, ieq, iiqTotal, iiqM, casEligible: pre-open and auction values a
                // tick has no field for.
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    fn index_full_feed(&mut self, bytes: &[u8]) -> Decoded<()> {
        self.enter(Arm::IndexFull);
        let wire = self.wire("IndexFullFeed");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => self.merge_ltpc(delimited(buf, wire_type).map_err(&wire)?)?,
                2 => self.market_ohlc(delimited(buf, wire_type).map_err(&wire)?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    fn full_feed(&mut self, bytes: &[u8]) -> Decoded<()> {
        let wire = self.wire("FullFeed");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => self.market_full_feed(delimited(buf, wire_type).map_err(&wire)?)?,
                2 => self.index_full_feed(delimited(buf, wire_type).map_err(&wire)?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    fn first_level(&mut self, bytes: &[u8]) -> Decoded<()> {
        self.enter(Arm::FirstLevel);
        let wire = self.wire("FirstLevelWithGreeks");
        read_fields(bytes, &wire, |buf, tag, wire_type| {
            match tag {
                1 => self.merge_ltpc(delimited(buf, wire_type).map_err(&wire)?)?,
                2 => {
                    let quote = delimited(buf, wire_type).map_err(&wire)?;
                    let quote = self.quote(quote)?;
                    // A repeated firstDepth is one level still (protobuf would merge it).
                    self.levels.clear();
                    self.push_quote(&quote)?;
                }
                3 => self.merge_greeks(delimited(buf, wire_type).map_err(&wire)?)?,
                4 => self.vtt = varint(buf, wire_type).map_err(&wire)?,
                5 => self.oi = double(buf, wire_type).map_err(&wire)?,
                6 => self.iv = double(buf, wire_type).map_err(&wire)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }

    /// Hands the tick these parts make to `hand_on`; `false` (and no tick) for a feed with no
    /// arm set.
    ///
    /// The tick (some 560 bytes) is built in the call that hands it on, so that it is written
    /// once, where the closure takes it, rather than returned and copied on the way.
    #[inline]
    fn hand_on(&self, hand_on: impl FnOnce(TickData)) -> Decoded<bool> {
        let mode = match self.request_mode {
            Some(value) => match proto::RequestMode::try_from(value) {
                Ok(proto::RequestMode::Ltpc) => StreamMode::Ltp,
                Ok(proto::RequestMode::FullD5) => StreamMode::Full,
                Ok(proto::RequestMode::OptionGreeks) => StreamMode::OptionGreeks,
                Ok(proto::RequestMode::FullD30) => StreamMode::FullDepth30,
                Err(UnknownEnumValue(value)) => {
                    return Err(Box::new(FeedDecodeError::UnknownEnum {
                        field: "requestMode".to_owned(),
                        value,
                        instrument_key: Some(self.key.to_owned()),
                    }));
                }
            },
            None => match self.arm {
                Arm::None => return Ok(false),
                Arm::Ltpc => StreamMode::Ltp,
                Arm::MarketFull | Arm::IndexFull if self.levels.sent > FULL_LEVELS => {
                    StreamMode::FullDepth30
                }
                Arm::MarketFull | Arm::IndexFull => StreamMode::Full,
                Arm::FirstLevel => StreamMode::OptionGreeks,
            },
        };
        if self.arm == Arm::None {
            return Ok(false);
        }
        let ltpc = self.ltpc;
        let (market, index, first) = (
            self.arm == Arm::MarketFull,
            self.arm == Arm::IndexFull,
            self.arm == Arm::FirstLevel,
        );
        let ohlc = match self.day {
            Some((open, high, low)) if market || index => Some(Ohlc {
                open,
                high,
                low,
                close: self.price(ltpc.cp, "ltpc.cp")?,
            }),
            _ => None,
        };
        let traded = market || first;
        hand_on(TickData {
            mode,
            last_price: self.price(ltpc.ltp, "ltpc.ltp")?,
            last_quantity: Some(self.count(ltpc.ltq, "ltpc.ltq")?).filter(|q| *q != 0),
            average_price: market
                .then(|| self.price(self.atp, "atp"))
                .transpose()?
                .filter(|p| *p != Price::ZERO),
            volume: traded.then(|| self.count(self.vtt, "vtt")).transpose()?,
            total_buy_quantity: market.then(|| self.whole(self.tbq, "tbq")).transpose()?,
            total_sell_quantity: market.then(|| self.whole(self.tsq, "tsq")).transpose()?,
            ohlc,
            open_interest: traded.then(|| self.whole(self.oi, "oi")).transpose()?,
            oi_day_high: None,
            oi_day_low: None,
            last_trade_time: epoch_millis(ltpc.ltt, "ltpc.ltt", Some(self.key))?,
            exchange_time: None,
            // Slice copies: up to five levels are one copy into the sides' inline storage.
            depth: traded.then(|| Depth {
                bids: DepthSide::from(self.levels.bids.as_slice()),
                asks: DepthSide::from(self.levels.asks.as_slice()),
            }),
            greeks: self.greeks.filter(|_| traded).map(|g| Greeks {
                delta: g.delta,
                theta: g.theta,
                gamma: g.gamma,
                vega: g.vega,
                rho: g.rho,
            }),
            implied_volatility: Some(self.iv).filter(|iv| traded && *iv != 0.0),
        });
        Ok(true)
    }
}

// The fast paths of the small messages a full feed has many of. An encoder writes a message's
// fields once each, in field-number order, leaving out zeros; a message written so is read
// here with a compare a field and no loop. Anything else (a field repeated or out of order, an
// unknown field, a wrong wire type, bytes cut short) gives `None`, and the caller reads the
// message again field by field, which also describes any error: the result is the same either
// way.

/// A `Quote` written in field order.
#[inline(always)]
fn in_order_quote(bytes: &[u8]) -> Option<proto::Quote> {
    let mut buf = bytes;
    let mut quote = proto::Quote::default();
    // int64 fields are the varint's 64 bits, two's complement.
    if let Some(bid_q) = leading_varint(&mut buf, 0x08)? {
        quote.bid_q = bid_q as i64;
    }
    if let Some(bid_p) = leading_double(&mut buf, 0x11)? {
        quote.bid_p = bid_p;
    }
    if let Some(ask_q) = leading_varint(&mut buf, 0x18)? {
        quote.ask_q = ask_q as i64;
    }
    if let Some(ask_p) = leading_double(&mut buf, 0x21)? {
        quote.ask_p = ask_p;
    }
    buf.is_empty().then_some(quote)
}

/// Merges an `LTPC` written in field order (without `iep`) into `ltpc`.
#[inline(always)]
fn merge_in_order_ltpc(ltpc: &mut proto::Ltpc, bytes: &[u8]) -> Option<()> {
    let mut buf = bytes;
    if let Some(ltp) = leading_double(&mut buf, 0x09)? {
        ltpc.ltp = ltp;
    }
    if let Some(ltt) = leading_varint(&mut buf, 0x10)? {
        ltpc.ltt = ltt as i64;
    }
    if let Some(ltq) = leading_varint(&mut buf, 0x18)? {
        ltpc.ltq = ltq as i64;
    }
    if let Some(cp) = leading_double(&mut buf, 0x21)? {
        ltpc.cp = cp;
    }
    buf.is_empty().then_some(())
}

/// Merges an `OptionGreeks` written in field order into `greeks`.
#[inline(always)]
fn merge_in_order_greeks(greeks: &mut proto::OptionGreeks, bytes: &[u8]) -> Option<()> {
    let mut buf = bytes;
    for (key, value) in [
        (0x09, &mut greeks.delta),
        (0x11, &mut greeks.theta),
        (0x19, &mut greeks.gamma),
        (0x21, &mut greeks.vega),
        (0x29, &mut greeks.rho),
    ] {
        if let Some(read) = leading_double(&mut buf, key)? {
            *value = read;
        }
    }
    buf.is_empty().then_some(())
}

/// Hands one `Feed`'s tick to `hand_on`; `false` (and no tick) when it carries no data.
#[inline]
fn decode_feed(
    key: &str,
    bytes: &[u8],
    levels: &mut Levels,
    hand_on: impl FnOnce(TickData),
) -> Decoded<bool> {
    let mut parts = FeedParts::new(key, levels);
    let wire = parts.wire("Feed");
    read_fields(bytes, &wire, |buf, tag, wire_type| {
        match tag {
            1 => {
                parts.enter(Arm::Ltpc);
                parts.merge_ltpc(delimited(buf, wire_type).map_err(&wire)?)?;
            }
            2 => parts.full_feed(delimited(buf, wire_type).map_err(&wire)?)?,
            3 => parts.first_level(delimited(buf, wire_type).map_err(&wire)?)?,
            4 => parts.request_mode = Some(enumeration(buf, wire_type).map_err(&wire)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    parts.hand_on(hand_on)
}

/// `MarketInfo`'s segment phases: those of tt-core's segments, and the names of the rest.
fn market_info(bytes: &[u8]) -> Decoded<(Vec<MarketStatus>, Vec<String>)> {
    let info = proto::MarketInfo::decode(bytes).map_err(|source| FeedDecodeError::Protobuf {
        at: "MarketInfo",
        instrument_key: None,
        source,
    })?;
    let mut statuses = Vec::with_capacity(info.segment_status.len());
    let mut unknown = Vec::new();
    for (name, value) in info.segment_status {
        let phase = match proto::MarketStatus::try_from(value) {
            Ok(proto::MarketStatus::PreOpenStart) => MarketPhase::PreOpenStart,
            Ok(proto::MarketStatus::PreOpenEnd) => MarketPhase::PreOpenEnd,
            Ok(proto::MarketStatus::NormalOpen) => MarketPhase::NormalOpen,
            Ok(proto::MarketStatus::NormalClose) => MarketPhase::NormalClose,
            Ok(proto::MarketStatus::ClosingStart) => MarketPhase::ClosingStart,
            Ok(proto::MarketStatus::ClosingEnd) => MarketPhase::ClosingEnd,
            Err(UnknownEnumValue(value)) => {
                return Err(Box::new(FeedDecodeError::UnknownEnum {
                    field: format!("segmentStatus[{name}]"),
                    value,
                    instrument_key: None,
                }));
            }
        };
        match segment(&name) {
            Some(segment) => statuses.push(MarketStatus { segment, phase }),
            None => unknown.push(name),
        }
    }
    statuses.sort_by_key(|s| (s.segment.exchange, s.segment.index));
    unknown.sort();
    Ok((statuses, unknown))
}

/// A segment name as tt-core's segment; `None` for segments with no [`Exchange`] (`NSE_COM`,
/// `BSE_COM`, ...).
fn segment(name: &str) -> Option<MarketSegment> {
    let (exchange, index) = match name {
        "NSE_EQ" => (Exchange::Nse, false),
        "NSE_FO" => (Exchange::Nfo, false),
        "NSE_INDEX" => (Exchange::Nse, true),
        "BSE_EQ" => (Exchange::Bse, false),
        "BSE_FO" => (Exchange::Bfo, false),
        "BSE_INDEX" => (Exchange::Bse, true),
        "MCX_FO" => (Exchange::Mcx, false),
        "MCX_INDEX" => (Exchange::Mcx, true),
        "NCD_FO" => (Exchange::Cds, false),
        "BCD_FO" => (Exchange::Bcd, false),
        _ => return None,
    };
    Some(MarketSegment { exchange, index })
}

/// Decodes one binary message of Upstox's market data feed v3 (a protobuf `FeedResponse`)
/// into its ticks, each with its instrument key, in wire order: what `tt decode` prints.
///
/// A `market_info` message (segment phases) and a message without feeds give no ticks. Tick
/// fields follow the rules of the feed decoder: exact prices, the previous close as the close
/// of the `1d` OHLC, no order counts in depth.
///
/// ```
/// // Feed "NSE_EQ|INE002A01018" an LTPC with ltp 2345.65, as protobuf bytes.
/// let ltpc = [&[0x09][..], &2345.65f64.to_le_bytes()].concat();
/// let feed = [&[0x0a, ltpc.len() as u8][..], &ltpc].concat();
/// let key = b"NSE_EQ|INE002A01018";
/// let entry = [&[0x0a, key.len() as u8][..], key, &[0x12, feed.len() as u8], &feed].concat();
/// let message = [&[0x08, 0x01, 0x12, entry.len() as u8][..], &entry].concat();
///
/// let ticks = tt_upstox::stream::decode_ticks(&message)?;
/// assert_eq!(ticks[0].0, "NSE_EQ|INE002A01018");
/// assert_eq!(ticks[0].1.last_price.to_string(), "2345.65");
/// # Ok::<(), tt_upstox::stream::FeedDecodeError>(())
/// ```
///
/// # Errors
/// [`FeedDecodeError`] for bytes that are not such a message, an enum value the schema lacks,
/// or a price, quantity or timestamp that does not convert.
pub fn decode_ticks(message: &[u8]) -> Result<Vec<(String, TickData)>, FeedDecodeError> {
    let mut ticks = Vec::new();
    let message = decode_feed_response(message, |key, tick| ticks.push((key.to_owned(), tick)))?;
    if message.kind == MessageKind::MarketInfo {
        ticks.clear();
    }
    Ok(ticks)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::collections::HashMap;

    use proptest::prelude::*;
    use prost::Message;
    use time::macros::datetime;

    use super::*;
    use crate::stream::proto::samples::{self, TRADE_MS};
    use crate::stream::proto::{
        DoubleValue, Feed, FeedResponse, FeedUnion, FirstLevelWithGreeks, FullFeed, FullFeedUnion,
        IndexFullFeed, Ltpc, MarketFullFeed, MarketInfo, MarketLevel, MarketOhlc, Quote,
        RequestMode, StatusInfo, Type,
    };

    const KEY: &str = "NSE_FO|43885";

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn encode(kind: Type, feeds: Vec<(&str, Feed)>) -> Vec<u8> {
        FeedResponse {
            r#type: kind as i32,
            feeds: feeds.into_iter().map(|(k, f)| (k.to_owned(), f)).collect(),
            current_ts: TRADE_MS + 350,
            market_info: None,
        }
        .encode_to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<(FeedMessage, Vec<(String, TickData)>), FeedDecodeError> {
        let mut ticks = Vec::new();
        let message = decode_feed_response(bytes, |key, tick| ticks.push((key.to_owned(), tick)))?;
        Ok((message, ticks))
    }

    /// The one tick of a live feed holding `feed` under [`KEY`].
    fn tick_of(feed: Feed) -> TickData {
        let (message, mut ticks) = decode(&encode(Type::LiveFeed, vec![(KEY, feed)])).unwrap();
        assert_eq!((message.feeds, ticks.len()), (1, 1));
        let (key, tick) = ticks.remove(0);
        assert_eq!(key, KEY);
        tick
    }

    fn error_of(feed: Feed) -> FeedDecodeError {
        decode(&encode(Type::LiveFeed, vec![(KEY, feed)])).unwrap_err()
    }

    fn ltpc(ltp: f64, cp: f64) -> Ltpc {
        Ltpc {
            ltp,
            ltt: TRADE_MS,
            ltq: 75,
            cp,
            iep: None,
        }
    }

    fn feed(arm: FeedUnion, mode: Option<RequestMode>) -> Feed {
        Feed {
            feed_union: Some(arm),
            request_mode: mode.map_or(0, |m| m as i32),
        }
    }

    fn market(full: MarketFullFeed) -> FeedUnion {
        FeedUnion::FullFeed(FullFeed {
            full_feed_union: Some(FullFeedUnion::MarketFf(full)),
        })
    }

    fn quote(bid_p: f64, bid_q: i64, ask_p: f64, ask_q: i64) -> Quote {
        Quote {
            bid_q,
            bid_p,
            ask_q,
            ask_p,
        }
    }

    fn level(p: &str, quantity: u64) -> DepthLevel {
        DepthLevel {
            price: price(p),
            quantity,
            orders: 0,
        }
    }

    fn trade_time() -> OffsetDateTime {
        datetime!(2025-12-01 10:15:00 +05:30)
    }

    #[test]
    fn an_ltpc_feed_is_an_ltp_tick_with_exact_price_time_and_quantity() {
        let tick = tick_of(feed(FeedUnion::Ltpc(ltpc(2345.65, 2333.3)), None));
        assert_eq!(
            tick,
            TickData {
                mode: StreamMode::Ltp,
                last_price: price("2345.65"),
                last_quantity: Some(75),
                average_price: None,
                volume: None,
                total_buy_quantity: None,
                total_sell_quantity: None,
                // cp has nowhere to go without open, high and low
                ohlc: None,
                open_interest: None,
                oi_day_high: None,
                oi_day_low: None,
                last_trade_time: Some(trade_time()),
                exchange_time: None,
                depth: None,
                greeks: None,
                implied_volatility: None,
            }
        );
    }

    #[test]
    fn a_full_feed_has_five_levels_the_day_candle_with_the_previous_close_and_greeks() {
        let full = MarketFullFeed {
            ltpc: Some(ltpc(152.35, 148.1)),
            market_level: Some(MarketLevel {
                bid_ask_quote: vec![
                    quote(152.3, 750, 152.4, 1500),
                    quote(152.25, 75, 152.45, 150),
                    quote(152.2, 225, 152.5, 300),
                    quote(152.15, 300, 152.55, 75),
                    quote(152.1, 1050, 152.6, 450),
                ],
            }),
            option_greeks: Some(samples::greeks()),
            market_ohlc: Some(MarketOhlc {
                ohlc: vec![
                    samples::candles(152.35).ohlc[1].clone(),
                    crate::stream::proto::Ohlc {
                        interval: "1d".to_owned(),
                        open: 149.0,
                        high: 160.05,
                        low: 140.5,
                        close: 152.35,
                        vol: 1_234_500,
                        ts: TRADE_MS - 3_600_000,
                    },
                ],
            }),
            atp: 151.87,
            vtt: 1_234_500,
            oi: 987_600.0,
            iv: 0.1834,
            tbq: 45_600.0,
            tsq: 51_975.0,
            iep: 150.0,
            ..MarketFullFeed::default()
        };
        let tick = tick_of(feed(market(full), Some(RequestMode::FullD5)));
        assert_eq!(tick.mode, StreamMode::Full);
        assert_eq!(tick.last_price, price("152.35"));
        assert_eq!(
            tick.ohlc,
            Some(Ohlc {
                open: price("149"),
                high: price("160.05"),
                low: price("140.5"),
                close: price("148.1"),
            })
        );
        assert_eq!(tick.change(), Some(price("4.25")));
        assert_eq!(tick.average_price, Some(price("151.87")));
        assert_eq!(tick.volume, Some(1_234_500));
        assert_eq!(tick.open_interest, Some(987_600));
        assert_eq!(
            (tick.total_buy_quantity, tick.total_sell_quantity),
            (Some(45_600), Some(51_975))
        );
        assert_eq!(tick.implied_volatility, Some(0.1834));
        let greeks = tick.greeks.unwrap();
        assert_eq!((greeks.delta, greeks.theta), (0.5123, -12.75));
        let depth = tick.depth.unwrap();
        assert_eq!(
            depth.bids.to_vec(),
            vec![
                level("152.3", 750),
                level("152.25", 75),
                level("152.2", 225),
                level("152.15", 300),
                level("152.1", 1050)
            ]
        );
        assert_eq!(depth.asks.len(), 5);
        assert_eq!(depth.asks[0], level("152.4", 1500));
        assert_eq!(depth.asks[4], level("152.6", 450));
    }

    #[test]
    fn a_full_d30_feed_has_thirty_levels_a_side() {
        let full = samples::market_full_feed(2345.65, 30);
        for mode in [Some(RequestMode::FullD30), None] {
            let tick = tick_of(feed(market(full.clone()), mode));
            assert_eq!(tick.mode, StreamMode::FullDepth30, "{mode:?}");
            let depth = tick.depth.unwrap();
            assert_eq!((depth.bids.len(), depth.asks.len()), (30, 30));
            assert_eq!(depth.bids[29], level("2344.15", 3000));
            assert_eq!(depth.asks[29], level("2347.15", 4500));
        }
    }

    #[test]
    fn an_index_feed_has_its_last_price_and_day_candle_only() {
        let index = IndexFullFeed {
            ltpc: Some(Ltpc {
                ltq: 0,
                ..ltpc(24_568.3, 24_500.15)
            }),
            market_ohlc: Some(samples::candles(24_568.3)),
        };
        let arm = FeedUnion::FullFeed(FullFeed {
            full_feed_union: Some(FullFeedUnion::IndexFf(index)),
        });
        let tick = tick_of(feed(arm, Some(RequestMode::FullD5)));
        assert_eq!(tick.mode, StreamMode::Full);
        assert_eq!(tick.last_price, price("24568.3"));
        assert_eq!(tick.last_quantity, None);
        assert_eq!(
            tick.ohlc,
            Some(Ohlc {
                open: price("24558.3"),
                high: price("24583.8"),
                low: price("24548.05"),
                close: price("24500.15"),
            })
        );
        assert_eq!(
            (tick.depth, tick.volume, tick.open_interest, tick.greeks),
            (None, None, None, None)
        );
    }

    #[test]
    fn an_option_greeks_feed_has_the_best_level_greeks_volume_oi_and_iv() {
        let first = FirstLevelWithGreeks {
            ltpc: Some(ltpc(85.05, 90.0)),
            first_depth: Some(quote(85.0, 1125, 85.1, 675)),
            option_greeks: Some(samples::greeks()),
            vtt: 2_500_000,
            oi: 1_500_000.0,
            iv: 0.2045,
        };
        let tick = tick_of(feed(FeedUnion::FirstLevelWithGreeks(first), None));
        assert_eq!(tick.mode, StreamMode::OptionGreeks);
        assert_eq!(tick.last_price, price("85.05"));
        let depth = tick.depth.unwrap();
        assert_eq!(depth.bids.to_vec(), vec![level("85", 1125)]);
        assert_eq!(depth.asks.to_vec(), vec![level("85.1", 675)]);
        assert_eq!(tick.volume, Some(2_500_000));
        assert_eq!(tick.open_interest, Some(1_500_000));
        assert_eq!(tick.implied_volatility, Some(0.2045));
        assert_eq!(tick.greeks.map(|g| g.rho), Some(0.42));
        assert_eq!((tick.ohlc, tick.average_price), (None, None));
    }

    #[test]
    fn the_mode_comes_from_request_mode_else_from_the_arm() {
        let ltp = FeedUnion::Ltpc(ltpc(10.0, 9.0));
        let full = market(samples::market_full_feed(10.0, 5));
        let greeks = FeedUnion::FirstLevelWithGreeks(FirstLevelWithGreeks::default());
        let cases = [
            (ltp.clone(), None, StreamMode::Ltp),
            (full.clone(), None, StreamMode::Full),
            (greeks.clone(), None, StreamMode::OptionGreeks),
            (full.clone(), Some(RequestMode::FullD5), StreamMode::Full),
            (full, Some(RequestMode::FullD30), StreamMode::FullDepth30),
            (
                greeks,
                Some(RequestMode::OptionGreeks),
                StreamMode::OptionGreeks,
            ),
            (ltp, Some(RequestMode::FullD30), StreamMode::FullDepth30),
        ];
        for (arm, mode, expected) in cases {
            assert_eq!(tick_of(feed(arm, mode)).mode, expected, "{mode:?}");
        }
    }

    #[test]
    fn initial_and_live_feeds_are_told_apart() {
        let one = || vec![(KEY, samples::ltpc_feed(100.0))];
        let cases = [
            (Type::InitialFeed, MessageKind::InitialFeed),
            (Type::LiveFeed, MessageKind::LiveFeed),
        ];
        for (kind, expected) in cases {
            let (message, ticks) = decode(&encode(kind, one())).unwrap();
            assert_eq!(message.kind, expected);
            assert_eq!(
                message.current_ts,
                Some(trade_time() + time::Duration::milliseconds(350))
            );
            assert_eq!(ticks.len(), 1);
        }
        // proto3 writes no zero enum: a message without `type` is an initial feed.
        let (message, _) = decode(&[]).unwrap();
        assert_eq!(message.kind, MessageKind::InitialFeed);
        assert_eq!((message.feeds, message.current_ts), (0, None));
    }

    #[test]
    fn every_feed_of_a_message_is_handed_over_with_its_key() {
        let bytes = samples::full_message(100);
        let (message, ticks) = decode(&bytes).unwrap();
        assert_eq!((message.kind, message.feeds), (MessageKind::LiveFeed, 100));
        let mut keys: Vec<_> = ticks.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 100);
        assert!(ticks.iter().all(|(_, t)| t.mode == StreamMode::Full));
    }

    #[test]
    fn an_ltpc_message_hands_over_every_feed_in_ltp_mode() {
        let (message, ticks) = decode(&samples::ltpc_message(50)).unwrap();
        assert_eq!(
            (message.feeds, message.empty_feeds, ticks.len()),
            (50, 0, 50)
        );
        assert!(
            ticks
                .iter()
                .all(|(_, t)| t.mode == StreamMode::Ltp && t.depth.is_none())
        );
    }

    fn market_info_message(segments: &[(&str, i32)]) -> Vec<u8> {
        FeedResponse {
            r#type: Type::MarketInfo as i32,
            feeds: HashMap::new(),
            current_ts: TRADE_MS,
            market_info: Some(MarketInfo {
                segment_status: segments
                    .iter()
                    .map(|(s, v)| ((*s).to_owned(), *v))
                    .collect(),
                cas_market_status: HashMap::from([(
                    "NSE_EQ".to_owned(),
                    StatusInfo {
                        status: "CAS_CLOSED".to_owned(),
                        updated_time: TRADE_MS,
                    },
                )]),
                pre_open_session_status: HashMap::new(),
            }),
        }
        .encode_to_vec()
    }

    #[test]
    fn market_info_lists_known_segments_and_names_unknown_ones() {
        use crate::stream::proto::MarketStatus as Wire;
        let bytes = market_info_message(&[
            ("NSE_EQ", Wire::NormalOpen as i32),
            ("NSE_FO", Wire::NormalOpen as i32),
            ("NSE_INDEX", Wire::NormalOpen as i32),
            ("BSE_EQ", Wire::PreOpenStart as i32),
            ("BSE_FO", Wire::PreOpenEnd as i32),
            ("BSE_INDEX", Wire::NormalClose as i32),
            ("MCX_FO", Wire::ClosingStart as i32),
            ("MCX_INDEX", Wire::ClosingEnd as i32),
            ("NCD_FO", Wire::NormalClose as i32),
            ("BCD_FO", Wire::NormalClose as i32),
            ("NSE_COM", Wire::NormalOpen as i32),
            ("US_EQ", Wire::NormalClose as i32),
        ]);
        let (message, ticks) = decode(&bytes).unwrap();
        assert_eq!(message.kind, MessageKind::MarketInfo);
        assert!(ticks.is_empty());
        let status = |exchange, index, phase| MarketStatus {
            segment: MarketSegment { exchange, index },
            phase,
        };
        assert_eq!(
            message.statuses,
            vec![
                status(Exchange::Nse, false, MarketPhase::NormalOpen),
                status(Exchange::Nse, true, MarketPhase::NormalOpen),
                status(Exchange::Bse, false, MarketPhase::PreOpenStart),
                status(Exchange::Bse, true, MarketPhase::NormalClose),
                status(Exchange::Nfo, false, MarketPhase::NormalOpen),
                status(Exchange::Bfo, false, MarketPhase::PreOpenEnd),
                status(Exchange::Cds, false, MarketPhase::NormalClose),
                status(Exchange::Bcd, false, MarketPhase::NormalClose),
                status(Exchange::Mcx, false, MarketPhase::ClosingStart),
                status(Exchange::Mcx, true, MarketPhase::ClosingEnd),
            ]
        );
        assert_eq!(message.unknown_segments, vec!["NSE_COM", "US_EQ"]);
        assert_eq!(decode_ticks(&bytes).unwrap(), vec![]);
    }

    #[test]
    fn an_unknown_segment_phase_is_an_error_naming_the_segment() {
        let error = decode(&market_info_message(&[("NSE_EQ", 9)])).unwrap_err();
        assert_eq!(
            error,
            FeedDecodeError::UnknownEnum {
                field: "segmentStatus[NSE_EQ]".to_owned(),
                value: 9,
                instrument_key: None
            }
        );
    }

    #[test]
    fn the_iep_wrapper_is_a_nested_message_and_leaves_the_tick_alone() {
        let with_iep = Ltpc {
            iep: Some(DoubleValue { value: 2340.5 }),
            ..ltpc(2345.65, 2333.3)
        };
        // Field 5, length-delimited (0x2a), holding field 1 as a double (0x09): the wrapper.
        let bytes = with_iep.encode_to_vec();
        let wrapper = [&[0x2a, 0x09, 0x09][..], &2340.5f64.to_le_bytes()].concat();
        assert!(bytes.ends_with(&wrapper), "{bytes:02x?}");
        let tick = tick_of(feed(FeedUnion::Ltpc(with_iep), None));
        assert_eq!(tick.last_price, price("2345.65"));
        assert_eq!(
            tick,
            tick_of(feed(FeedUnion::Ltpc(ltpc(2345.65, 2333.3)), None))
        );
    }

    #[test]
    fn zero_timestamps_and_quantities_are_none() {
        let quiet = Ltpc {
            ltp: 0.0,
            ltt: 0,
            ltq: 0,
            cp: 0.0,
            iep: None,
        };
        let tick = tick_of(feed(FeedUnion::Ltpc(quiet), None));
        assert_eq!(
            (tick.last_trade_time, tick.last_quantity, tick.last_price),
            (None, None, Price::ZERO)
        );
        let message = FeedResponse {
            current_ts: 0,
            ..FeedResponse::default()
        };
        let (message, _) = decode(&message.encode_to_vec()).unwrap();
        assert_eq!(message.current_ts, None);
    }

    #[test]
    fn prices_come_back_as_the_decimals_upstox_wrote() {
        let cases = [
            (2345.65, "2345.65"),
            (0.05, "0.05"),
            (152.35, "152.35"),
            (52.04999923706055, "52.04999924"),
            (12_345_678.9, "12345678.9"),
            (-1.25, "-1.25"),
        ];
        for (ltp, expected) in cases {
            let tick = tick_of(feed(FeedUnion::Ltpc(ltpc(ltp, 0.0)), None));
            assert_eq!(tick.last_price, price(expected), "{ltp}");
        }
    }

    #[test]
    fn padding_levels_of_a_thin_book_are_left_out() {
        let full = MarketFullFeed {
            ltpc: Some(ltpc(10.0, 9.5)),
            market_level: Some(MarketLevel {
                bid_ask_quote: vec![
                    quote(9.95, 100, 10.05, 200),
                    quote(9.9, 50, 0.0, 0),
                    quote(0.0, 0, 0.0, 0),
                ],
            }),
            ..MarketFullFeed::default()
        };
        let depth = tick_of(feed(market(full), None)).depth.unwrap();
        assert_eq!(
            depth.bids.to_vec(),
            vec![level("9.95", 100), level("9.9", 50)]
        );
        assert_eq!(depth.asks.to_vec(), vec![level("10.05", 200)]);
    }

    #[test]
    fn a_feed_without_data_is_counted_not_handed_over() {
        let empty = Feed {
            feed_union: None,
            request_mode: RequestMode::FullD5 as i32,
        };
        let bytes = encode(
            Type::LiveFeed,
            vec![
                (KEY, empty),
                ("NSE_EQ|INE002A01018", samples::ltpc_feed(1.0)),
            ],
        );
        let (message, ticks) = decode(&bytes).unwrap();
        assert_eq!((message.feeds, message.empty_feeds, ticks.len()), (1, 1, 1));
        assert_eq!(ticks[0].0, "NSE_EQ|INE002A01018");
    }

    #[test]
    fn a_later_oneof_arm_replaces_an_earlier_one() {
        // Two encodings back to back are one message merged: the second arm wins whole.
        let first = feed(market(samples::market_full_feed(10.0, 5)), None).encode_to_vec();
        let second = feed(FeedUnion::Ltpc(ltpc(11.0, 9.0)), None).encode_to_vec();
        let mut ticks = Vec::new();
        let handed_on = decode_feed(
            KEY,
            &[first, second].concat(),
            &mut Levels::default(),
            |tick| ticks.push(tick),
        )
        .unwrap();
        assert!(handed_on);
        let tick = ticks.pop().unwrap();
        assert_eq!(tick.mode, StreamMode::Ltp);
        assert_eq!(tick.last_price, price("11"));
        assert_eq!((tick.depth, tick.volume), (None, None));
    }

    #[test]
    fn values_that_do_not_convert_are_errors_naming_the_field_and_key() {
        let bad_ltpc = |ltpc: Ltpc| feed(FeedUnion::Ltpc(ltpc), None);
        let bad_full = |full: MarketFullFeed| feed(market(full), None);
        let base = samples::market_full_feed(10.0, 5);
        let cases = [
            (bad_ltpc(ltpc(f64::NAN, 0.0)), "ltpc.ltp of NSE_FO|43885"),
            (bad_ltpc(ltpc(1.0e12, 0.0)), "ltpc.ltp of NSE_FO|43885"),
            (
                bad_ltpc(Ltpc {
                    ltq: -5,
                    ..ltpc(1.0, 0.0)
                }),
                "ltpc.ltq of NSE_FO|43885 is -5",
            ),
            (
                bad_ltpc(Ltpc {
                    ltt: i64::MAX,
                    ..ltpc(1.0, 0.0)
                }),
                "ltpc.ltt of NSE_FO|43885",
            ),
            (
                bad_full(MarketFullFeed {
                    oi: 12.5,
                    ..base.clone()
                }),
                "oi of NSE_FO|43885 is 12.5",
            ),
            (
                bad_full(MarketFullFeed {
                    tbq: -1.0,
                    ..base.clone()
                }),
                "tbq of NSE_FO|43885 is -1",
            ),
            (
                bad_full(MarketFullFeed {
                    vtt: -1,
                    ..base.clone()
                }),
                "vtt of NSE_FO|43885 is -1",
            ),
            (
                bad_full(MarketFullFeed {
                    atp: f64::INFINITY,
                    ..base.clone()
                }),
                "atp of NSE_FO|43885",
            ),
            (
                bad_full(MarketFullFeed {
                    market_level: Some(MarketLevel {
                        bid_ask_quote: vec![quote(f64::NAN, 1, 10.0, 1)],
                    }),
                    ..base
                }),
                "bidAskQuote.bidP of NSE_FO|43885",
            ),
            (
                Feed {
                    feed_union: Some(FeedUnion::Ltpc(ltpc(1.0, 0.0))),
                    request_mode: 7,
                },
                "requestMode = 7",
            ),
        ];
        for (feed, expected) in cases {
            let error = error_of(feed).to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    #[test]
    fn an_unknown_message_type_is_an_error() {
        let bytes = FeedResponse {
            r#type: 3,
            ..FeedResponse::default()
        }
        .encode_to_vec();
        assert_eq!(
            decode(&bytes).unwrap_err(),
            FeedDecodeError::UnknownEnum {
                field: "type".to_owned(),
                value: 3,
                instrument_key: None
            }
        );
    }

    #[test]
    fn malformed_protobuf_says_where() {
        let cases: [(&[u8], &str); 4] = [
            // feeds (2) declaring 100 bytes with 1 left
            (
                &[0x12, 0x64, 0x00],
                "FeedResponse declares 100 bytes but only 1 remain",
            ),
            // type (1) sent as a double
            (
                &[0x09, 0, 0, 0, 0, 0, 0, 0, 0],
                "malformed protobuf in FeedResponse",
            ),
            // a varint that never ends
            (&[0x18, 0xff, 0xff], "malformed protobuf in FeedResponse"),
            // an entry whose feed holds an LTPC (1) as a varint
            (
                &[0x12, 0x06, 0x0a, 0x01, b'K', 0x12, 0x01, 0x08],
                "malformed protobuf in Feed of K",
            ),
        ];
        for (bytes, expected) in cases {
            let error = decode(bytes).unwrap_err().to_string();
            assert!(error.contains(expected), "{bytes:02x?}: {error}");
        }
        let not_utf8 = [0x12, 0x03, 0x0a, 0x01, 0xff];
        assert_eq!(
            decode(&not_utf8).unwrap_err(),
            FeedDecodeError::NotUtf8 {
                at: "an instrument key"
            }
        );
    }

    #[test]
    fn decode_ticks_gives_owned_keys_in_wire_order() {
        let bytes = encode(
            Type::InitialFeed,
            vec![("NSE_INDEX|Nifty Bank", samples::ltpc_feed(51_234.5))],
        );
        let ticks = decode_ticks(&bytes).unwrap();
        assert_eq!(ticks.len(), 1);
        assert_eq!(ticks[0].0, "NSE_INDEX|Nifty Bank");
        assert_eq!(ticks[0].1.last_price, price("51234.5"));
    }

    /// Decimals as a broker writes prices: up to 7 integer digits and 2 decimals.
    fn broker_price() -> impl Strategy<Value = (f64, Price)> {
        (0u64..10_000_000, 0u64..100).prop_map(|(rupees, paise)| {
            let text = format!("{rupees}.{paise:02}");
            (text.parse().unwrap(), price(&text))
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_feed_response(&bytes, |_, _| {});
        }

        #[test]
        fn corrupted_messages_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        ) {
            let mut bytes = samples::full_message(3);
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            let _ = decode_feed_response(&bytes, |_, _| {});
        }

        #[test]
        fn full_feed_prices_come_back_exactly(
            (ltp, expected) in broker_price(),
            levels in 0usize..32,
        ) {
            let tick = tick_of(feed(market(samples::market_full_feed(ltp, levels)), None));
            prop_assert_eq!(tick.last_price, expected);
            let depth = tick.depth.unwrap();
            prop_assert!(depth.bids.len() <= levels && depth.asks.len() == levels);
            let mode = if levels > 5 { StreamMode::FullDepth30 } else { StreamMode::Full };
            prop_assert_eq!(tick.mode, mode);
        }
    }

    #[test]
    fn every_truncation_of_a_message_never_panics() {
        let mut message = samples::full_message(4);
        message.extend(market_info_message(&[("NSE_EQ", 2), ("NSE_COM", 3)]));
        message.extend(encode(
            Type::LiveFeed,
            vec![(
                KEY,
                feed(
                    FeedUnion::FirstLevelWithGreeks(FirstLevelWithGreeks {
                        first_depth: Some(quote(1.0, 1, 1.1, 1)),
                        ..FirstLevelWithGreeks::default()
                    }),
                    Some(RequestMode::OptionGreeks),
                ),
            )],
        ));
        assert!(decode(&message).is_ok());
        for end in 0..message.len() {
            let _ = decode(&message[..end]);
        }
    }
}
