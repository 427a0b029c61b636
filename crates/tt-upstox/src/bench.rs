//! Entry points into the crate's JSON decoding for `benches/json.rs`, which times serde_json
//! against simd-json on the same bytes (issue 8 chose between them by these figures), and into
//! the market data feed's protobuf decoding for `benches/feed.rs`. Compiled only with the
//! non-default `bench-internals` feature; not part of the API and not kept stable.
//!
//! Each simd-json function takes a mutable buffer because simd-json rewrites its input while it
//! parses; callers that hold the bytes immutably (the reader's buffer, a response's `Bytes`)
//! must copy them first, and the benchmark times that copy as part of the simd-json path.

use std::collections::BTreeMap;
use std::io::BufRead;

use tt_core::DumpRows;

use crate::instruments::{self, Row, RowDecoder};
use crate::stream::feed;
use crate::stream::proto::{self, samples};
use crate::wire::{Envelope, OrderData, PlaceData, PositionData, QuotesData};

/// One of the large REST bodies, each read exactly as the crate reads it: the envelope with its
/// `data` in the crate's wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestBody {
    /// `GET /v2/order/retrieve-all`: a list of orders.
    OrderBook,
    /// `GET /v2/portfolio/short-term-positions`: a list of positions.
    Positions,
    /// `GET /v2/market-quote/quotes`: a map of full quotes.
    Quotes,
    /// `POST /v3/order/place`'s answer: a small body, for the per-call cost.
    PlaceReply,
}

/// Decodes `body` with serde_json; the number of rows (orders, positions or quotes) in `data`.
///
/// # Errors
/// serde_json's message when the body does not decode.
pub fn decode_rest_serde(kind: RestBody, body: &[u8]) -> Result<usize, String> {
    let text = |e: serde_json::Error| e.to_string();
    match kind {
        RestBody::OrderBook => serde_json::from_slice::<Envelope<Vec<OrderData>>>(body)
            .map(|e| rows(e.data.as_ref().map(Vec::len)))
            .map_err(text),
        RestBody::Positions => serde_json::from_slice::<Envelope<Vec<PositionData>>>(body)
            .map(|e| rows(e.data.as_ref().map(Vec::len)))
            .map_err(text),
        RestBody::Quotes => serde_json::from_slice::<Envelope<QuotesData>>(body)
            .map(|e| rows(e.data.as_ref().map(QuotesData::len)))
            .map_err(text),
        RestBody::PlaceReply => serde_json::from_slice::<Envelope<PlaceData>>(body)
            .map(|e| rows(e.data.and_then(|d| d.order_ids).as_ref().map(Vec::len)))
            .map_err(text),
    }
}

/// Decodes `body` with simd-json (rewriting it); the number of rows in `data`.
///
/// # Errors
/// simd-json's message when the body does not decode.
pub fn decode_rest_simd(kind: RestBody, body: &mut [u8]) -> Result<usize, String> {
    let text = |e: simd_json::Error| e.to_string();
    match kind {
        RestBody::OrderBook => simd_json::serde::from_slice::<Envelope<Vec<OrderData>>>(body)
            .map(|e| rows(e.data.as_ref().map(Vec::len)))
            .map_err(text),
        RestBody::Positions => simd_json::serde::from_slice::<Envelope<Vec<PositionData>>>(body)
            .map(|e| rows(e.data.as_ref().map(Vec::len)))
            .map_err(text),
        RestBody::Quotes => simd_json::serde::from_slice::<Envelope<QuotesData>>(body)
            .map(|e| rows(e.data.as_ref().map(QuotesData::len)))
            .map_err(text),
        RestBody::PlaceReply => simd_json::serde::from_slice::<Envelope<PlaceData>>(body)
            .map(|e| rows(e.data.and_then(|d| d.order_ids).as_ref().map(Vec::len)))
            .map_err(text),
    }
}

fn rows(count: Option<usize>) -> usize {
    count.unwrap_or_default()
}

/// Decodes `body` both ways and compares every decoded field (prices as `Price`s, so an inexact
/// float conversion shows as a difference); the number of rows on success.
///
/// # Errors
/// Either decoder's failure, or the first row the two decode differently.
pub fn rest_decodings_agree(kind: RestBody, body: &[u8]) -> Result<usize, String> {
    let serde_rows = rest_rows_serde(kind, body)?;
    let simd_rows = rest_rows_simd(kind, &mut body.to_vec())?;
    if serde_rows.len() != simd_rows.len() {
        return Err(format!(
            "serde_json read {} rows, simd-json {}",
            serde_rows.len(),
            simd_rows.len()
        ));
    }
    for (index, (a, b)) in serde_rows.iter().zip(&simd_rows).enumerate() {
        if a != b {
            return Err(format!(
                "row {index} differs:\n  serde_json {a}\n  simd-json  {b}"
            ));
        }
    }
    Ok(serde_rows.len())
}

/// Each row's `Debug` text, quotes in key order (a `HashMap`'s own order is random).
fn rest_rows_serde(kind: RestBody, body: &[u8]) -> Result<Vec<String>, String> {
    let text = |e: serde_json::Error| e.to_string();
    match kind {
        RestBody::OrderBook => serde_json::from_slice::<Envelope<Vec<OrderData>>>(body)
            .map(|e| debug_rows(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::Positions => serde_json::from_slice::<Envelope<Vec<PositionData>>>(body)
            .map(|e| debug_rows(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::Quotes => serde_json::from_slice::<Envelope<QuotesData>>(body)
            .map(|e| debug_quotes(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::PlaceReply => serde_json::from_slice::<Envelope<PlaceData>>(body)
            .map(|e| debug_rows(e.data.into_iter().collect()))
            .map_err(text),
    }
}

fn rest_rows_simd(kind: RestBody, body: &mut [u8]) -> Result<Vec<String>, String> {
    let text = |e: simd_json::Error| e.to_string();
    match kind {
        RestBody::OrderBook => simd_json::serde::from_slice::<Envelope<Vec<OrderData>>>(body)
            .map(|e| debug_rows(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::Positions => simd_json::serde::from_slice::<Envelope<Vec<PositionData>>>(body)
            .map(|e| debug_rows(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::Quotes => simd_json::serde::from_slice::<Envelope<QuotesData>>(body)
            .map(|e| debug_quotes(e.data.unwrap_or_default()))
            .map_err(text),
        RestBody::PlaceReply => simd_json::serde::from_slice::<Envelope<PlaceData>>(body)
            .map(|e| debug_rows(e.data.into_iter().collect()))
            .map_err(text),
    }
}

fn debug_rows<T: std::fmt::Debug>(rows: Vec<T>) -> Vec<String> {
    rows.iter().map(|row| format!("{row:?}")).collect()
}

fn debug_quotes(quotes: QuotesData) -> Vec<String> {
    let sorted: BTreeMap<_, _> = quotes.into_iter().collect();
    sorted
        .iter()
        .map(|(key, quote)| format!("{key}: {quote:?}"))
        .collect()
}

/// The BOD file's elements (one instrument object each), cut out as the parser cuts them.
///
/// # Errors
/// Why the file is not a JSON array of objects.
pub fn bod_objects(file: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    instruments::split_objects(file)
}

/// Decodes one instrument object into the parser's row type with serde_json, from the bytes in
/// place (as the parser does); the length of its `instrument_key`, so the work cannot be skipped.
///
/// # Errors
/// serde_json's message when the object is not an instrument row.
pub fn decode_bod_object_serde(object: &[u8]) -> Result<usize, String> {
    SerdeJsonRows
        .decode(object)
        .map(|row| row.instrument_key.len())
}

/// The simd-json decoder of instrument objects the parser uses: a scratch copy of each object
/// (simd-json rewrites its input) and simd-json's reusable parse buffers.
#[derive(Default)]
pub struct SimdJsonRows(instruments::SimdJsonRows);

impl std::fmt::Debug for SimdJsonRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimdJsonRows").finish_non_exhaustive()
    }
}

impl SimdJsonRows {
    /// A decoder with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`decode_bod_object_serde`] with simd-json, copying `object` into the scratch buffer
    /// first.
    ///
    /// # Errors
    /// simd-json's message when the object is not an instrument row.
    pub fn decode_bod_object(&mut self, object: &[u8]) -> Result<usize, String> {
        self.0.decode(object).map(|row| row.instrument_key.len())
    }
}

/// serde_json, straight from the reader's buffer: the decoder simd-json replaced.
struct SerdeJsonRows;

impl RowDecoder for SerdeJsonRows {
    fn decode<'b>(&'b mut self, object: &'b [u8]) -> Result<Row<'b>, String> {
        serde_json::from_slice(object).map_err(|e| e.to_string())
    }
}

/// The whole-file path users take (`InstrumentSource::parse_dump`), each object decoded by
/// serde_json.
pub fn parse_dump_serde<'a>(dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
    instruments::parse_dump_with(dump, SerdeJsonRows)
}

/// The same path with each object decoded by simd-json: `InstrumentSource::parse_dump` itself.
pub fn parse_dump_simd<'a>(dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
    instruments::parse_dump(dump)
}

/// A `live_feed` message of `count` full-mode feeds (options with five levels of depth, three
/// candles and greeks), encoded from the schema: the feed benchmark's realistic input.
pub fn feed_full_message(count: usize) -> Vec<u8> {
    samples::full_message(count)
}

/// A `live_feed` message of `count` LTPC feeds.
pub fn feed_ltpc_message(count: usize) -> Vec<u8> {
    samples::ltpc_message(count)
}

/// Decodes a feed message with the crate's decoder, each tick passed through
/// [`std::hint::black_box`]; the number of ticks.
///
/// # Errors
/// The decoder's message when the bytes do not decode.
pub fn decode_feed(message: &[u8]) -> Result<usize, String> {
    feed::decode_feed_response(message, |key, tick| {
        // By reference, as the Kite bench does: the tick is built in full either way; what a
        // consumer then does with it (moving it into an event) is the consumer's cost.
        std::hint::black_box((key, &tick));
    })
    .map(|m| m.feeds)
    .map_err(|e| e.to_string())
}

/// prost's derived decoding of the same message into the schema's types, without converting
/// anything to ticks: what the hand-written outer decoding replaced; the number of feeds.
///
/// # Errors
/// prost's message when the bytes do not decode.
pub fn decode_feed_prost_derive(message: &[u8]) -> Result<usize, String> {
    use prost::Message;

    proto::FeedResponse::decode(message)
        .map(|m| std::hint::black_box(m).feeds.len())
        .map_err(|e| e.to_string())
}
