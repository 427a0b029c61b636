//! Upstox's two streams: the market data feed v3 (protobuf `FeedResponse` frames, JSON
//! subscription requests) and the portfolio stream (JSON order, position, holding and GTT
//! updates). The modules here are the pure wire parts: decoding frames (`feed`, `portfolio`),
//! the schema (`proto`), and the client's requests with Upstox's subscription limits
//! (`request`); `protocol` runs them on tt-transport's feed engine (authorize, subscriptions,
//! events) and is where `Upstox` implements `MarketFeed`.

pub(crate) mod feed;
mod portfolio;
pub(crate) mod proto;
mod protocol;
mod request;

pub use feed::{FeedDecodeError, decode_ticks};
