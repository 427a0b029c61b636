//! Upstox's market data feed v3 schema (`MarketDataFeedV3.proto`, package
//! `com.upstox.marketdatafeederv3udapi.rpc.proto`), written out by hand as prost messages from
//! the field table of Upstox's published schema: no build script, no protoc. Only what the
//! simulator sends is here, field numbers and types exactly as the schema has them, so Upstox's
//! own generated classes decode what it writes.
//!
//! This file depends on nothing but `prost`, so the integration tests include it as it is and
//! decode the simulator's frames with the very same definitions.

#![allow(missing_docs, unreachable_pub)]

use std::collections::HashMap;

/// Last traded price, time, quantity and the previous close.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Ltpc {
    #[prost(double, tag = "1")]
    pub ltp: f64,
    /// Last trade time, epoch milliseconds.
    #[prost(int64, tag = "2")]
    pub ltt: i64,
    #[prost(int64, tag = "3")]
    pub ltq: i64,
    /// Previous session's close.
    #[prost(double, tag = "4")]
    pub cp: f64,
}

/// Market depth, best first.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketLevel {
    #[prost(message, repeated, tag = "1")]
    pub bid_ask_quote: Vec<Quote>,
}

/// Candles, one per interval.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketOhlc {
    #[prost(message, repeated, tag = "1")]
    pub ohlc: Vec<Ohlc>,
}

/// One level of depth: the bid and the ask at that rank.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Quote {
    #[prost(int64, tag = "1")]
    pub bid_q: i64,
    #[prost(double, tag = "2")]
    pub bid_p: f64,
    #[prost(int64, tag = "3")]
    pub ask_q: i64,
    #[prost(double, tag = "4")]
    pub ask_p: f64,
}

/// An option's greeks.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct OptionGreeks {
    #[prost(double, tag = "1")]
    pub delta: f64,
    #[prost(double, tag = "2")]
    pub theta: f64,
    #[prost(double, tag = "3")]
    pub gamma: f64,
    #[prost(double, tag = "4")]
    pub vega: f64,
    #[prost(double, tag = "5")]
    pub rho: f64,
}

/// One candle.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ohlc {
    /// `1d`, `I1`, `I30`.
    #[prost(string, tag = "1")]
    pub interval: String,
    #[prost(double, tag = "2")]
    pub open: f64,
    #[prost(double, tag = "3")]
    pub high: f64,
    #[prost(double, tag = "4")]
    pub low: f64,
    #[prost(double, tag = "5")]
    pub close: f64,
    #[prost(int64, tag = "6")]
    pub vol: i64,
    /// Candle start, epoch milliseconds.
    #[prost(int64, tag = "7")]
    pub ts: i64,
}

/// `full` (`full_d5`) and `full_d30` of a tradable instrument.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketFullFeed {
    #[prost(message, optional, tag = "1")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub market_level: Option<MarketLevel>,
    #[prost(message, optional, tag = "3")]
    pub option_greeks: Option<OptionGreeks>,
    #[prost(message, optional, tag = "4")]
    pub market_ohlc: Option<MarketOhlc>,
    /// Average traded price.
    #[prost(double, tag = "5")]
    pub atp: f64,
    /// Volume traded today.
    #[prost(int64, tag = "6")]
    pub vtt: i64,
    #[prost(double, tag = "7")]
    pub oi: f64,
    #[prost(double, tag = "8")]
    pub iv: f64,
    /// Total buy quantity.
    #[prost(double, tag = "9")]
    pub tbq: f64,
    /// Total sell quantity.
    #[prost(double, tag = "10")]
    pub tsq: f64,
}

/// `full` of an index.
#[derive(Clone, PartialEq, prost::Message)]
pub struct IndexFullFeed {
    #[prost(message, optional, tag = "1")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub market_ohlc: Option<MarketOhlc>,
}

/// `full` of either kind.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FullFeed {
    #[prost(oneof = "FullFeedUnion", tags = "1, 2")]
    pub full_feed_union: Option<FullFeedUnion>,
}

/// `FullFeed.FullFeedUnion`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum FullFeedUnion {
    #[prost(message, tag = "1")]
    MarketFf(MarketFullFeed),
    #[prost(message, tag = "2")]
    IndexFf(IndexFullFeed),
}

/// `option_greeks` mode.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct FirstLevelWithGreeks {
    #[prost(message, optional, tag = "1")]
    pub ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub first_depth: Option<Quote>,
    #[prost(message, optional, tag = "3")]
    pub option_greeks: Option<OptionGreeks>,
    #[prost(int64, tag = "4")]
    pub vtt: i64,
    #[prost(double, tag = "5")]
    pub oi: f64,
    #[prost(double, tag = "6")]
    pub iv: f64,
}

/// One instrument's update.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Feed {
    #[prost(oneof = "FeedUnion", tags = "1, 2, 3")]
    pub feed_union: Option<FeedUnion>,
    #[prost(enumeration = "RequestMode", tag = "4")]
    pub request_mode: i32,
}

/// `Feed.FeedUnion`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum FeedUnion {
    #[prost(message, tag = "1")]
    Ltpc(Ltpc),
    #[prost(message, tag = "2")]
    FullFeed(FullFeed),
    #[prost(message, tag = "3")]
    FirstLevelWithGreeks(FirstLevelWithGreeks),
}

/// `FeedResponse.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Type {
    InitialFeed = 0,
    LiveFeed = 1,
    MarketInfo = 2,
}

/// The mode a feed was subscribed in (the schema calls `full` `full_d5`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum RequestMode {
    Ltpc = 0,
    FullD5 = 1,
    OptionGreeks = 2,
    FullD30 = 3,
}

/// A segment's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MarketStatus {
    PreOpenStart = 0,
    PreOpenEnd = 1,
    NormalOpen = 2,
    NormalClose = 3,
    ClosingStart = 4,
    ClosingEnd = 5,
}

/// Every segment's state, keyed by segment (`NSE_EQ`, `MCX_FO`, ...).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketInfo {
    #[prost(map = "string, enumeration(MarketStatus)", tag = "1")]
    pub segment_status: HashMap<String, i32>,
}

/// One message of the feed.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedResponse {
    #[prost(enumeration = "Type", tag = "1")]
    pub r#type: i32,
    /// Keyed by instrument key.
    #[prost(map = "string, message", tag = "2")]
    pub feeds: HashMap<String, Feed>,
    /// Epoch milliseconds.
    #[prost(int64, tag = "3")]
    pub current_ts: i64,
    #[prost(message, optional, tag = "4")]
    pub market_info: Option<MarketInfo>,
}
