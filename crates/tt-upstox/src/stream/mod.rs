//! Upstox's two streams: the market data feed v3 (protobuf `FeedResponse` frames, JSON
//! subscription requests) and the portfolio stream (JSON order, position, holding and GTT
//! updates). The modules here are the pure wire parts: decoding frames (`feed`, `portfolio`),
//! the schema (`proto`), and the client's requests with Upstox's subscription limits
//! (`request`).

pub(crate) mod feed;
// `portfolio` and `request` serve the connection code that comes next; until it does, only
// their tests call them.
#[allow(dead_code)]
mod portfolio;
pub(crate) mod proto;
#[allow(dead_code)]
mod request;

pub use feed::{FeedDecodeError, decode_ticks};
