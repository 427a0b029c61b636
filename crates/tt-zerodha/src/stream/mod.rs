//! Kite's WebSocket ticker: its binary market-data frames (`packet`) and its JSON text
//! messages and requests (`message`), decoded and encoded without any I/O; `protocol` runs
//! them on tt-transport's feed engine and is where `Zerodha` implements `MarketFeed`.

mod message;
mod packet;
mod protocol;

pub use packet::{FrameError, decode_ticks};

/// The frame decoder for `benches/stream.rs`; not an API.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
