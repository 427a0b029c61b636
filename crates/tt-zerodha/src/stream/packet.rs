//! Kite's binary ticker frames: a u16 packet count, then each packet as a u16 length and that
//! many bytes, all big-endian. A packet's kind is its length (8 ltp, 28 index quote, 32 index
//! full, 44 quote, 184 full with five levels of depth), never the mode that was asked for, and
//! its prices are integers to divide by its segment's divisor (the low byte of its token).
//!
//! Decoding is the feed's hot path, so it allocates nothing per packet: each packet is read
//! as a fixed array of big-endian words (one bounds check per packet, none per field) and its
//! depth goes into [`tt_core::DepthSide`]'s inline storage. A frame is checked whole before any
//! packet is handed out, so a damaged frame is skipped whole rather than half-delivered.

use time::{Date, OffsetDateTime, Time};
use tt_core::{Depth, DepthLevel, DepthSide, IST, Ohlc, Price, StreamMode, TickData};

/// Bytes of a packet-count or packet-length prefix.
const PREFIX: usize = 2;
/// Packet lengths, by kind.
const LTP: usize = 8;
const INDEX_QUOTE: usize = 28;
const INDEX_FULL: usize = 32;
const QUOTE: usize = 44;
const FULL: usize = 184;

/// Price divisors by segment (`instrument_token & 0xFF`): NSE currency (3) quotes to seven
/// decimals, BSE currency (6) to four, every other segment (MCX included) to two.
const CDS_SEGMENT: u8 = 3;
const BCD_SEGMENT: u8 = 6;
const CDS_DIVISOR: i64 = 10_000_000;
const BCD_DIVISOR: i64 = 10_000;
const PAISE_DIVISOR: i64 = 100;

/// IST's offset in seconds: Kite's timestamps are read straight into IST wall time.
const IST_SECONDS: i64 = IST.whole_seconds() as i64;

/// What was wrong with a binary ticker frame, and where. Offsets count bytes from the start of
/// the frame; packets count from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A packet (or its length prefix) runs past the end of the frame.
    #[error(
        "packet {packet} at byte {offset} needs {needed} bytes but the frame has {available} left"
    )]
    Truncated {
        /// The packet's position in the frame.
        packet: u16,
        /// Where its length prefix (when `needed` is 2) or its body starts.
        offset: usize,
        /// Bytes it needs from there.
        needed: usize,
        /// Bytes the frame has from there.
        available: usize,
    },
    /// A packet's length is none of Kite's packet kinds (8, 28, 32, 44 or 184 bytes).
    #[error(
        "packet {packet} at byte {offset} is {length} bytes long, \
         which is no Kite packet kind (8, 28, 32, 44 or 184)"
    )]
    UnknownLength {
        /// The packet's position in the frame.
        packet: u16,
        /// Where its body starts.
        offset: usize,
        /// Its length.
        length: u16,
    },
    /// The frame ends at a packet boundary before the number of packets its header promises.
    #[error("the frame promises {promised} packets but ends after {found}, at byte {offset}")]
    MissingPackets {
        /// The packet count in the frame's header.
        promised: u16,
        /// Packets actually present.
        found: u16,
        /// Where the frame ends.
        offset: usize,
    },
    /// Bytes follow the last packet the header counts.
    #[error("{count} bytes follow the frame's {packets} packets, from byte {offset}")]
    TrailingBytes {
        /// The packet count in the frame's header.
        packets: u16,
        /// Where the surplus starts.
        offset: usize,
        /// How many bytes are surplus.
        count: usize,
    },
}

/// Decodes a binary frame, handing each packet's instrument token and data to `each` in frame
/// order, and returns the number of packets. A frame under two bytes is a heartbeat: `Ok(0)`.
///
/// The whole frame's layout (count, lengths, packet kinds, no surplus) is checked before the
/// first packet is handed out, so on an error `each` has not been called. Past the layout
/// nothing can fail: every field is a u32, and every u32 price scales exactly.
///
/// # Errors
/// A [`FrameError`] naming what was wrong and its byte offset.
pub(crate) fn decode_frame(
    frame: &[u8],
    mut each: impl FnMut(u32, TickData),
) -> Result<usize, FrameError> {
    if frame.len() < PREFIX {
        return Ok(0);
    }
    let mut packets: usize = 0;
    for packet in Packets::new(frame) {
        let packet = packet?;
        if !matches!(
            packet.body.len(),
            LTP | INDEX_QUOTE | INDEX_FULL | QUOTE | FULL
        ) {
            return Err(packet.unknown_length());
        }
        packets += 1;
    }
    let mut clock = IstClock::new();
    for packet in Packets::new(frame) {
        decode_packet(packet?, &mut clock, &mut each)?;
    }
    Ok(packets)
}

/// Decodes a binary ticker frame into each packet's instrument token and data, in frame order.
/// A frame under two bytes is a heartbeat and gives no ticks.
///
/// This is what the feed does with every binary frame, for tools that inspect captured
/// frames (`tt decode`). Prices are exact: the wire's integers divided by the segment's
/// divisor (10^7 for NSE currency, 10^4 for BSE currency, 100 otherwise), never through a
/// float.
///
/// ```
/// use tt_core::StreamMode;
///
/// // One ltp packet: TATAMOTORS (token 884737, NSE) at 392.95.
/// let frame = [0, 1, 0, 8, 0, 0x0d, 0x80, 0x01, 0, 0, 0x99, 0x7f];
/// let ticks = tt_zerodha::stream::decode_ticks(&frame)?;
/// assert_eq!(ticks.len(), 1);
/// let (token, tick) = &ticks[0];
/// assert_eq!(*token, 884737);
/// assert_eq!(tick.mode, StreamMode::Ltp);
/// assert_eq!(tick.last_price.to_string(), "392.95");
/// # Ok::<(), tt_zerodha::stream::FrameError>(())
/// ```
///
/// # Errors
/// A [`FrameError`] naming what was wrong with the frame and its byte offset; no ticks are
/// returned from a frame with an error.
pub fn decode_ticks(frame: &[u8]) -> Result<Vec<(u32, TickData)>, FrameError> {
    let mut ticks = Vec::new();
    decode_frame(frame, |token, data| ticks.push((token, data)))?;
    Ok(ticks)
}

/// One packet's body, where it is in its frame.
#[derive(Clone, Copy)]
struct PacketSlice<'a> {
    /// Its position among the frame's packets.
    index: u16,
    /// Where its body starts in the frame.
    offset: usize,
    body: &'a [u8],
}

impl PacketSlice<'_> {
    fn unknown_length(self) -> FrameError {
        FrameError::UnknownLength {
            packet: self.index,
            offset: self.offset,
            // The length was read from a u16 prefix, so it always fits.
            length: u16::try_from(self.body.len()).unwrap_or(u16::MAX),
        }
    }
}

/// The packets of a frame, then one error if the frame does not end exactly after the last
/// one its header counts.
struct Packets<'a> {
    rest: &'a [u8],
    /// Offset of `rest` in the frame.
    offset: usize,
    promised: u16,
    found: u16,
    done: bool,
}

impl<'a> Packets<'a> {
    fn new(frame: &'a [u8]) -> Packets<'a> {
        match frame.split_first_chunk::<PREFIX>() {
            Some((count, rest)) => Packets {
                rest,
                offset: PREFIX,
                promised: u16::from_be_bytes(*count),
                found: 0,
                done: false,
            },
            // A heartbeat: no packets.
            None => Packets {
                rest: &[],
                offset: frame.len(),
                promised: 0,
                found: 0,
                done: true,
            },
        }
    }

    fn fail(&mut self, error: FrameError) -> Option<Result<PacketSlice<'a>, FrameError>> {
        self.done = true;
        Some(Err(error))
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<PacketSlice<'a>, FrameError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.found == self.promised {
            self.done = true;
            if self.rest.is_empty() {
                return None;
            }
            return self.fail(FrameError::TrailingBytes {
                packets: self.promised,
                offset: self.offset,
                count: self.rest.len(),
            });
        }
        let Some((length, body)) = self.rest.split_first_chunk::<PREFIX>() else {
            let error = if self.rest.is_empty() {
                FrameError::MissingPackets {
                    promised: self.promised,
                    found: self.found,
                    offset: self.offset,
                }
            } else {
                FrameError::Truncated {
                    packet: self.found,
                    offset: self.offset,
                    needed: PREFIX,
                    available: self.rest.len(),
                }
            };
            return self.fail(error);
        };
        let length = usize::from(u16::from_be_bytes(*length));
        let start = self.offset + PREFIX;
        let Some((packet, rest)) = body.split_at_checked(length) else {
            return self.fail(FrameError::Truncated {
                packet: self.found,
                offset: start,
                needed: length,
                available: body.len(),
            });
        };
        self.rest = rest;
        self.offset = start + length;
        let index = self.found;
        self.found += 1;
        Some(Ok(PacketSlice {
            index,
            offset: start,
            body: packet,
        }))
    }
}

/// Decodes one packet and hands it to `each`. Only a length no kind has fails, which the
/// frame's check has already ruled out.
///
/// Handing the tick on from here, rather than returning it up the calls, lets the compiler
/// build it where `each` takes it instead of copying its ~600 bytes at every level.
#[inline]
fn decode_packet(
    packet: PacketSlice<'_>,
    clock: &mut IstClock,
    each: &mut impl FnMut(u32, TickData),
) -> Result<(), FrameError> {
    // The token is big-endian, so its low byte, the segment, is the packet's fourth byte.
    match packet.body.get(3) {
        Some(&CDS_SEGMENT) => decode_scaled::<CDS_DIVISOR>(packet, clock, each),
        Some(&BCD_SEGMENT) => decode_scaled::<BCD_DIVISOR>(packet, clock, each),
        _ => decode_scaled::<PAISE_DIVISOR>(packet, clock, each),
    }
}

/// Decodes one packet of a segment whose prices divide by `D`, by its length. `D` is a
/// constant so that each price's scaling compiles to one multiplication.
#[inline]
fn decode_scaled<const D: i64>(
    packet: PacketSlice<'_>,
    clock: &mut IstClock,
    each: &mut impl FnMut(u32, TickData),
) -> Result<(), FrameError> {
    // Each conversion to a fixed array is a length comparison, the most frequent kinds first.
    // Every arm hands its tick on itself: merging the arms' ticks into one value first would
    // copy each tick once more.
    let body = packet.body;
    if let Ok(full) = body.try_into() {
        decode_full::<D>(full, clock, each);
    } else if let Ok(quote) = <&[u8; QUOTE]>::try_from(body) {
        let (token, data) = tradable_quote::<D>(words(quote), StreamMode::Quote);
        each(token, data);
    } else if let Ok(ltp) = body.try_into() {
        let (token, data) = decode_ltp::<D>(ltp);
        each(token, data);
    } else if let Ok(index_full) = body.try_into() {
        let (token, data) = decode_index_full::<D>(index_full, clock);
        each(token, data);
    } else if let Ok(index) = <&[u8; INDEX_QUOTE]>::try_from(body) {
        let (token, data) = index_quote::<D>(words(index), StreamMode::Quote);
        each(token, data);
    } else {
        return Err(packet.unknown_length());
    }
    Ok(())
}

/// The price of a raw integer in a segment whose prices divide by `D`.
#[inline]
fn price<const D: i64>(raw: u32) -> Price {
    const {
        assert!(
            Price::from_scaled(u32::MAX as i64, D).is_some(),
            "every u32 price scales under the divisor"
        )
    };
    // The assertion proves at compile time that the largest u32 scales, so every other one
    // does too and the default is never taken.
    Price::from_scaled(i64::from(raw), D).unwrap_or(Price::ZERO)
}

/// OHLC from its four raw prices.
#[inline]
fn ohlc<const D: i64>(open: u32, high: u32, low: u32, close: u32) -> Ohlc {
    Ohlc {
        open: price::<D>(open),
        high: price::<D>(high),
        low: price::<D>(low),
        close: price::<D>(close),
    }
}

/// One side of the depth from its 3-word entries: quantity, price, and the order count in the
/// high half of the third word (its low half is padding). Every entry is kept, empty ones
/// too, as Kite's own clients do. Collected rather than pushed: collecting is generic, so it
/// is compiled here with the levels' sizes known, where `DepthSide::push` would be a call
/// into tt-core per level; five levels fit the side's inline storage.
#[inline]
fn depth_side<'a, const D: i64>(entries: impl Iterator<Item = &'a [u32; 3]>) -> DepthSide {
    let mut levels = [DepthLevel {
        price: Price::ZERO,
        quantity: 0,
        orders: 0,
    }; 5];
    for (level, &[quantity, raw_price, orders]) in levels.iter_mut().zip(entries) {
        *level = DepthLevel {
            price: price::<D>(raw_price),
            quantity: u64::from(quantity),
            orders: orders >> 16,
        };
    }
    DepthSide::from(levels)
}

/// A packet of `N` bytes as its `W` big-endian words. One pass the compiler turns into byte
/// swaps with no bounds check, after which every field is a word by position.
#[inline]
fn words<const N: usize, const W: usize>(packet: &[u8; N]) -> [u32; W] {
    split_words::<N, W, 0>(packet).0
}

/// A packet of `N` bytes as its first `A` big-endian words and the `B` after them, so that a
/// longer packet can hand its head to the decoder of the shorter kind it extends.
#[inline]
fn split_words<const N: usize, const A: usize, const B: usize>(
    packet: &[u8; N],
) -> ([u32; A], [u32; B]) {
    const { assert!(N == 4 * (A + B), "a packet is a whole number of words") };
    let (mut head, mut tail) = ([0; A], [0; B]);
    let mut chunks = packet.as_chunks::<4>().0.iter();
    for (word, chunk) in head.iter_mut().zip(&mut chunks) {
        *word = u32::from_be_bytes(*chunk);
    }
    for (word, chunk) in tail.iter_mut().zip(chunks) {
        *word = u32::from_be_bytes(*chunk);
    }
    (head, tail)
}

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Turns Kite's epoch-seconds timestamps into IST times, remembering the last day's date and
/// the last two times made: the packets of a frame nearly always share their exchange
/// timestamp and mostly their last trade's second, and finding a day's date is most of the
/// cost of a conversion.
struct IstClock {
    /// The IST day (days since 1970-01-01 in IST) whose date `date` is; -1 before the first.
    day: i64,
    date: Date,
    /// The last two conversions (0 seconds marks an empty slot: 0 is never converted).
    recent: [(u32, OffsetDateTime); 2],
    /// The slot the next conversion replaces.
    next: usize,
}

impl IstClock {
    fn new() -> IstClock {
        IstClock {
            day: -1,
            date: Date::MIN,
            recent: [(0, OffsetDateTime::UNIX_EPOCH); 2],
            next: 0,
        }
    }

    /// The time `seconds` after the epoch, in IST; 0 (Kite's "none") is `None`.
    #[inline]
    fn at(&mut self, seconds: u32) -> Option<OffsetDateTime> {
        if seconds == 0 {
            return None;
        }
        if let Some(&(_, known)) = self.recent.iter().find(|(s, _)| *s == seconds) {
            return Some(known);
        }
        let converted = self.convert(seconds)?;
        if let Some(slot) = self.recent.get_mut(self.next) {
            *slot = (seconds, converted);
        }
        self.next = 1 - self.next;
        Some(converted)
    }

    /// A conversion not remembered.
    fn convert(&mut self, seconds: u32) -> Option<OffsetDateTime> {
        let local = i64::from(seconds) + IST_SECONDS;
        let (day, second) = (local / DAY, local % DAY);
        if day != self.day {
            // Every u32 count (up to the year 2106) is within `time`'s range, so `ok()?`
            // drops nothing.
            self.date = OffsetDateTime::from_unix_timestamp(day * DAY).ok()?.date();
            self.day = day;
        }
        let part = |value: i64| u8::try_from(value).ok();
        let time = Time::from_hms(
            part(second / 3600)?,
            part(second / 60 % 60)?,
            part(second % 60)?,
        )
        .ok()?;
        Some(OffsetDateTime::new_in_offset(self.date, time, IST))
    }
}

/// Kite's "no trades yet" average is 0, read as no average (as the REST quote reads it).
#[inline]
fn average<const D: i64>(raw: u32) -> Option<Price> {
    (raw != 0).then(|| price::<D>(raw))
}

/// A tick of `mode` at `last_price` with nothing else known yet.
#[inline]
fn tick(mode: StreamMode, last_price: Price) -> TickData {
    TickData::new(mode, last_price)
}

/// An 8-byte packet: token and last price.
#[inline]
fn decode_ltp<const D: i64>(packet: &[u8; LTP]) -> (u32, TickData) {
    let [token, last_price] = words(packet);
    (token, tick(StreamMode::Ltp, price::<D>(last_price)))
}

/// The 28 bytes of an index packet, the full one's first: last price, then high, low, open,
/// close (in that order), then a change the clients recompute and this ignores.
#[inline]
fn index_quote<const D: i64>(
    [token, last_price, high, low, open, close, _change]: [u32; INDEX_QUOTE / 4],
    mode: StreamMode,
) -> (u32, TickData) {
    let data = TickData {
        ohlc: Some(ohlc::<D>(open, high, low, close)),
        ..tick(mode, price::<D>(last_price))
    };
    (token, data)
}

/// A 32-byte index full packet: the quote's fields and the exchange's timestamp.
#[inline]
fn decode_index_full<const D: i64>(
    packet: &[u8; INDEX_FULL],
    clock: &mut IstClock,
) -> (u32, TickData) {
    let (quote, [exchange_time]) = split_words(packet);
    let (token, data) = index_quote::<D>(quote, StreamMode::Full);
    let data = TickData {
        exchange_time: clock.at(exchange_time),
        ..data
    };
    (token, data)
}

/// The 44 bytes a tradable quote and full packet share, the full one's first.
#[inline]
fn tradable_quote<const D: i64>(
    [
        token,
        last_price,
        last_quantity,
        average_price,
        volume,
        buy,
        sell,
        open,
        high,
        low,
        close,
    ]: [u32; QUOTE / 4],
    mode: StreamMode,
) -> (u32, TickData) {
    let data = TickData {
        last_quantity: Some(u64::from(last_quantity)),
        average_price: average::<D>(average_price),
        volume: Some(u64::from(volume)),
        total_buy_quantity: Some(u64::from(buy)),
        total_sell_quantity: Some(u64::from(sell)),
        ohlc: Some(ohlc::<D>(open, high, low, close)),
        ..tick(mode, price::<D>(last_price))
    };
    (token, data)
}

/// Levels on each side of a full packet's depth.
const LEVELS: usize = 5;

/// A 184-byte tradable full packet: the quote's fields, last trade time, open interest and
/// its day range, the exchange's timestamp, then five bids and five asks. Handed to `each`
/// from here: returning the tick, filled in place, would copy it twice more.
#[inline(always)]
fn decode_full<const D: i64>(
    packet: &[u8; FULL],
    clock: &mut IstClock,
    each: &mut impl FnMut(u32, TickData),
) {
    let (
        quote,
        [
            last_trade_time,
            open_interest,
            oi_day_high,
            oi_day_low,
            exchange_time,
            depth @ ..,
        ],
    ): (_, [u32; (FULL - QUOTE) / 4]) = split_words(packet);
    let (token, quote) = tradable_quote::<D>(quote, StreamMode::Full);
    let (entries, _) = depth.as_chunks::<3>();
    each(
        token,
        TickData {
            last_trade_time: clock.at(last_trade_time),
            open_interest: Some(u64::from(open_interest)),
            oi_day_high: Some(u64::from(oi_day_high)),
            oi_day_low: Some(u64::from(oi_day_low)),
            exchange_time: clock.at(exchange_time),
            depth: Some(Depth {
                bids: depth_side::<D>(entries.iter().take(LEVELS)),
                asks: depth_side::<D>(entries.iter().skip(LEVELS)),
            }),
            ..quote
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of one packet of big-endian `words`.
    fn one_packet_frame(words: &[u32]) -> Vec<u8> {
        let body: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut frame = vec![0, 1];
        frame.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&body);
        frame
    }

    #[test]
    fn words_are_read_big_endian_in_order() {
        let packet = [0x00, 0x0d, 0x80, 0x01, 0x00, 0x00, 0x99, 0x7f];
        assert_eq!(words::<8, 2>(&packet), [884_737, 39_295]);
    }

    #[test]
    fn timestamps_are_the_same_instant_in_ist_and_zero_is_none() {
        let mut clock = IstClock::new();
        let read = clock.at(1_655_378_328).unwrap();
        assert_eq!(
            read,
            OffsetDateTime::from_unix_timestamp(1_655_378_328).unwrap()
        );
        assert_eq!(read.offset(), IST);
        assert_eq!((read.hour(), read.minute(), read.second()), (16, 48, 48));
        assert_eq!(clock.at(0), None);
        assert!(clock.at(u32::MAX).is_some());
    }

    proptest::proptest! {
        #[test]
        fn the_clock_agrees_with_time_across_days(seconds in proptest::collection::vec(1..=u32::MAX, 1..20)) {
            // One clock for the whole sequence, as in a frame, so its remembered day and its
            // remembered times are used and replaced (each value comes again, as a frame's
            // shared timestamps do).
            let mut clock = IstClock::new();
            for s in seconds.iter().flat_map(|&s| [s, s.saturating_add(1), s, s.saturating_sub(1).max(1), s]) {
                let expected = OffsetDateTime::from_unix_timestamp(i64::from(s)).unwrap().to_offset(IST);
                let read = clock.at(s).unwrap();
                proptest::prop_assert_eq!(read, expected);
                proptest::prop_assert_eq!((read.date(), read.time(), read.offset()), (expected.date(), expected.time(), IST));
            }
        }
    }

    #[test]
    fn prices_scale_exactly_up_to_the_largest_u32() {
        let cases = [
            (price::<CDS_DIVISOR>(u32::MAX), "429.4967295"),
            (price::<BCD_DIVISOR>(u32::MAX), "429496.7295"),
            (price::<PAISE_DIVISOR>(u32::MAX), "42949672.95"),
            (price::<PAISE_DIVISOR>(1), "0.01"),
            (price::<CDS_DIVISOR>(0), "0"),
        ];
        for (read, expected) in cases {
            assert_eq!(read.to_string(), expected);
        }
    }

    #[test]
    fn a_frame_with_a_layout_error_hands_out_no_packet() {
        // A good ltp packet, then one of an unknown length.
        let mut frame = vec![0, 2, 0, 8, 0, 0, 1, 1, 0, 0, 0, 100, 0, 2, 1, 2];
        let mut handed_out = 0;
        let result = decode_frame(&frame, |_, _| handed_out += 1);
        assert_eq!(
            result,
            Err(FrameError::UnknownLength {
                packet: 1,
                offset: 14,
                length: 2
            })
        );
        assert_eq!(handed_out, 0);

        frame.truncate(12);
        frame[1] = 1;
        assert_eq!(decode_frame(&frame, |_, _| handed_out += 1), Ok(1));
        assert_eq!(handed_out, 1);
    }

    #[test]
    fn heartbeats_and_empty_frames_hand_out_nothing() {
        for frame in [&[][..], &[0], &[0, 0]] {
            let result = decode_frame(frame, |_, _| panic!("no packet in {frame:?}"));
            assert_eq!(result, Ok(0), "{frame:?}");
        }
    }

    #[test]
    fn the_segment_picks_the_divisor() {
        let cases = [
            (1, "123456.78"),
            (2, "123456.78"),
            (CDS_SEGMENT, "1.2345678"),
            (4, "123456.78"),
            (5, "123456.78"),
            (BCD_SEGMENT, "1234.5678"),
            (7, "123456.78"),
            (8, "123456.78"),
            (9, "123456.78"),
        ];
        for (segment, price) in cases {
            let frame = one_packet_frame(&[(1234 << 8) | u32::from(segment), 12_345_678]);
            let mut seen = Vec::new();
            decode_frame(&frame, |_, tick| seen.push(tick.last_price.to_string())).unwrap();
            assert_eq!(seen, [price], "segment {segment}");
        }
    }

    #[test]
    fn the_packet_length_picks_the_mode() {
        let cases = [
            (LTP, StreamMode::Ltp),
            (INDEX_QUOTE, StreamMode::Quote),
            (INDEX_FULL, StreamMode::Full),
            (QUOTE, StreamMode::Quote),
            (FULL, StreamMode::Full),
        ];
        for (length, mode) in cases {
            let mut words = vec![0; length / 4];
            words[0] = (256 << 8) | 9;
            let mut modes = Vec::new();
            decode_frame(&one_packet_frame(&words), |_, tick| modes.push(tick.mode)).unwrap();
            assert_eq!(modes, [mode], "{length}-byte packet");
        }
    }
}
