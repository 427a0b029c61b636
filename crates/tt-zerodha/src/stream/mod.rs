//! Kite's WebSocket ticker: its binary market-data frames (`packet`) and its JSON text
//! messages and requests (`message`), decoded and encoded without any I/O.

// Until the ticker connection calls them, only the unit tests do.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the ticker connection in this module will call them"
    )
)]
mod message;
mod packet;

pub use packet::{FrameError, decode_ticks};

/// The frame decoder for `benches/stream.rs`; not an API.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
