//! The frame decoder as the feed calls it, for `benches/stream.rs`: handing each tick to a
//! closure, so that the benchmark times decoding and not collecting. Behind the
//! `bench-internals` feature; not an API.

use tt_core::TickData;

use super::FrameError;

/// Decodes `frame`, handing each packet's token and data to `each`; see
/// [`decode_ticks`](super::decode_ticks).
///
/// # Errors
/// As [`decode_ticks`](super::decode_ticks).
pub fn decode_frame(frame: &[u8], each: impl FnMut(u32, TickData)) -> Result<usize, FrameError> {
    super::packet::decode_frame(frame, each)
}
