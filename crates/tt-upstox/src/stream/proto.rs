//! Upstox's market data feed v3 schema (`MarketDataFeedV3.proto`, package
//! `com.upstox.marketdatafeederv3udapi.rpc.proto`, proto3), written out by hand as prost
//! messages: no build script, no protoc, no generated file to keep in sync.
//!
//! Field numbers and types follow the published schema exactly (checked against the schema the
//! official SDKs compile in); field names are Rust's spelling of Upstox's (`bidAskQuote` is
//! `bid_ask_quote`). `feed` decodes the hot path of a `FeedResponse` itself and uses these
//! types for the small leaf messages and for `MarketInfo`; the tests and the benchmark encode
//! them to build frames, since no captured Upstox frames exist.

use std::collections::HashMap;

/// `google.protobuf.DoubleValue`: a double that can be absent (LTPC's `iep`).
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct DoubleValue {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
}

/// Last trade: price, time (epoch ms), quantity, previous close, and the pre-open indicative
/// equilibrium price.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct Ltpc {
    #[prost(double, tag = "1")]
    pub(crate) ltp: f64,
    /// Epoch milliseconds.
    #[prost(int64, tag = "2")]
    pub(crate) ltt: i64,
    #[prost(int64, tag = "3")]
    pub(crate) ltq: i64,
    /// The previous session's close.
    #[prost(double, tag = "4")]
    pub(crate) cp: f64,
    #[prost(message, optional, tag = "5")]
    pub(crate) iep: Option<DoubleValue>,
}

/// The depth levels of a full feed, bid and ask side by side, best first.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MarketLevel {
    #[prost(message, repeated, tag = "1")]
    pub(crate) bid_ask_quote: Vec<Quote>,
}

/// One candle per interval.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MarketOhlc {
    #[prost(message, repeated, tag = "1")]
    pub(crate) ohlc: Vec<Ohlc>,
}

/// One depth level: the bid and the ask at the same rank.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct Quote {
    #[prost(int64, tag = "1")]
    pub(crate) bid_q: i64,
    #[prost(double, tag = "2")]
    pub(crate) bid_p: f64,
    #[prost(int64, tag = "3")]
    pub(crate) ask_q: i64,
    #[prost(double, tag = "4")]
    pub(crate) ask_p: f64,
}

/// An option's greeks.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct OptionGreeks {
    #[prost(double, tag = "1")]
    pub(crate) delta: f64,
    #[prost(double, tag = "2")]
    pub(crate) theta: f64,
    #[prost(double, tag = "3")]
    pub(crate) gamma: f64,
    #[prost(double, tag = "4")]
    pub(crate) vega: f64,
    #[prost(double, tag = "5")]
    pub(crate) rho: f64,
}

/// One candle.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Ohlc {
    /// `1d`, `I1`, `I30`.
    #[prost(string, tag = "1")]
    pub(crate) interval: String,
    #[prost(double, tag = "2")]
    pub(crate) open: f64,
    #[prost(double, tag = "3")]
    pub(crate) high: f64,
    #[prost(double, tag = "4")]
    pub(crate) low: f64,
    #[prost(double, tag = "5")]
    pub(crate) close: f64,
    #[prost(int64, tag = "6")]
    pub(crate) vol: i64,
    /// The candle's start, epoch milliseconds.
    #[prost(int64, tag = "7")]
    pub(crate) ts: i64,
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum Type {
    InitialFeed = 0,
    LiveFeed = 1,
    MarketInfo = 2,
}

/// A tradable instrument's full feed.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MarketFullFeed {
    #[prost(message, optional, tag = "1")]
    pub(crate) ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub(crate) market_level: Option<MarketLevel>,
    #[prost(message, optional, tag = "3")]
    pub(crate) option_greeks: Option<OptionGreeks>,
    #[prost(message, optional, tag = "4")]
    pub(crate) market_ohlc: Option<MarketOhlc>,
    /// Average traded price.
    #[prost(double, tag = "5")]
    pub(crate) atp: f64,
    /// Volume traded today.
    #[prost(int64, tag = "6")]
    pub(crate) vtt: i64,
    #[prost(double, tag = "7")]
    pub(crate) oi: f64,
    #[prost(double, tag = "8")]
    pub(crate) iv: f64,
    /// Total buy quantity.
    #[prost(double, tag = "9")]
    pub(crate) tbq: f64,
    /// Total sell quantity.
    #[prost(double, tag = "10")]
    pub(crate) tsq: f64,
    /// Indicative equilibrium price (pre-open).
    #[prost(double, tag = "11")]
    pub(crate) iep: f64,
    #[prost(double, tag = "12")]
    pub(crate) rp: f64,
    /// Indicative equilibrium quantity.
    #[prost(int64, tag = "13")]
    pub(crate) ieq: i64,
    #[prost(int64, tag = "14")]
    pub(crate) iiq_total: i64,
    #[prost(int64, tag = "15")]
    pub(crate) iiq_m: i64,
    #[prost(bool, tag = "16")]
    pub(crate) cas_eligible: bool,
}

/// An index's full feed.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct IndexFullFeed {
    #[prost(message, optional, tag = "1")]
    pub(crate) ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub(crate) market_ohlc: Option<MarketOhlc>,
}

/// `FullFeed`: a tradable instrument's or an index's.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct FullFeed {
    #[prost(oneof = "FullFeedUnion", tags = "1, 2")]
    pub(crate) full_feed_union: Option<FullFeedUnion>,
}

/// `FullFeed.FullFeedUnion`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum FullFeedUnion {
    #[prost(message, tag = "1")]
    MarketFf(MarketFullFeed),
    #[prost(message, tag = "2")]
    IndexFf(IndexFullFeed),
}

/// The option-greeks mode's feed: the best bid and ask with greeks.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct FirstLevelWithGreeks {
    #[prost(message, optional, tag = "1")]
    pub(crate) ltpc: Option<Ltpc>,
    #[prost(message, optional, tag = "2")]
    pub(crate) first_depth: Option<Quote>,
    #[prost(message, optional, tag = "3")]
    pub(crate) option_greeks: Option<OptionGreeks>,
    #[prost(int64, tag = "4")]
    pub(crate) vtt: i64,
    #[prost(double, tag = "5")]
    pub(crate) oi: f64,
    #[prost(double, tag = "6")]
    pub(crate) iv: f64,
}

/// One instrument's update, and the mode it was subscribed in.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Feed {
    #[prost(oneof = "FeedUnion", tags = "1, 2, 3")]
    pub(crate) feed_union: Option<FeedUnion>,
    #[prost(enumeration = "RequestMode", tag = "4")]
    pub(crate) request_mode: i32,
}

/// `Feed.FeedUnion`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum FeedUnion {
    #[prost(message, tag = "1")]
    Ltpc(Ltpc),
    #[prost(message, tag = "2")]
    FullFeed(FullFeed),
    #[prost(message, tag = "3")]
    FirstLevelWithGreeks(FirstLevelWithGreeks),
}

/// The subscription mode; the schema calls the full mode `full_d5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum RequestMode {
    Ltpc = 0,
    FullD5 = 1,
    OptionGreeks = 2,
    FullD30 = 3,
}

/// A segment's trading phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum MarketStatus {
    PreOpenStart = 0,
    PreOpenEnd = 1,
    NormalOpen = 2,
    NormalClose = 3,
    ClosingStart = 4,
    ClosingEnd = 5,
}

/// The segments' phases, sent first on every connection.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MarketInfo {
    /// Keyed by segment (`NSE_EQ`, `MCX_INDEX`, `NSE_COM`...).
    #[prost(map = "string, enumeration(MarketStatus)", tag = "1")]
    pub(crate) segment_status: HashMap<String, i32>,
    #[prost(map = "string, message", tag = "2")]
    pub(crate) cas_market_status: HashMap<String, StatusInfo>,
    #[prost(map = "string, message", tag = "3")]
    pub(crate) pre_open_session_status: HashMap<String, StatusInfo>,
}

/// A session's status text and when it changed.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct StatusInfo {
    #[prost(string, tag = "1")]
    pub(crate) status: String,
    /// Epoch milliseconds.
    #[prost(int64, tag = "2")]
    pub(crate) updated_time: i64,
}

/// One WebSocket message from the feed.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct FeedResponse {
    #[prost(enumeration = "Type", tag = "1")]
    pub(crate) r#type: i32,
    /// Keyed by instrument key.
    #[prost(map = "string, message", tag = "2")]
    pub(crate) feeds: HashMap<String, Feed>,
    /// Epoch milliseconds.
    #[prost(int64, tag = "3")]
    pub(crate) current_ts: i64,
    /// Only on `market_info` messages.
    #[prost(message, optional, tag = "4")]
    pub(crate) market_info: Option<MarketInfo>,
}

/// Realistic frames built from the schema, for the tests and the benchmark (no captured Upstox
/// frames exist).
#[cfg(any(test, feature = "bench-internals"))]
pub(crate) mod samples {
    use prost::Message;

    use super::*;

    /// Epoch ms of 2025-12-01 10:15:00 IST.
    pub(crate) const TRADE_MS: i64 = 1_764_564_300_000;

    pub(crate) fn ltpc(ltp: f64) -> Ltpc {
        Ltpc {
            ltp,
            ltt: TRADE_MS,
            ltq: 25,
            cp: ltp - 12.35,
            iep: None,
        }
    }

    /// `levels` levels of depth around `ltp`, a tick (0.05) apart.
    pub(crate) fn market_level(ltp: f64, levels: usize) -> MarketLevel {
        MarketLevel {
            bid_ask_quote: (0..levels)
                .map(|i| {
                    let step = 0.05 * (i as f64 + 1.0);
                    Quote {
                        bid_q: 100 * (i as i64 + 1),
                        bid_p: ltp - step,
                        ask_q: 150 * (i as i64 + 1),
                        ask_p: ltp + step,
                    }
                })
                .collect(),
        }
    }

    pub(crate) fn candles(ltp: f64) -> MarketOhlc {
        let candle = |interval: &str, ts: i64| Ohlc {
            interval: interval.to_owned(),
            open: ltp - 10.0,
            high: ltp + 15.5,
            low: ltp - 20.25,
            close: ltp,
            vol: 123_456,
            ts,
        };
        MarketOhlc {
            ohlc: vec![
                candle("1d", TRADE_MS - 3_600_000),
                candle("I1", TRADE_MS - 60_000),
                candle("I30", TRADE_MS - 1_800_000),
            ],
        }
    }

    pub(crate) fn greeks() -> OptionGreeks {
        OptionGreeks {
            delta: 0.5123,
            theta: -12.75,
            gamma: 0.0012,
            vega: 8.31,
            rho: 0.42,
        }
    }

    /// A full-mode feed of an option with `levels` levels of depth.
    pub(crate) fn market_full_feed(ltp: f64, levels: usize) -> MarketFullFeed {
        MarketFullFeed {
            ltpc: Some(ltpc(ltp)),
            market_level: Some(market_level(ltp, levels)),
            option_greeks: Some(greeks()),
            market_ohlc: Some(candles(ltp)),
            atp: ltp - 1.25,
            vtt: 9_876_500,
            oi: 1_234_500.0,
            iv: 0.1834,
            tbq: 456_700.0,
            tsq: 345_600.0,
            ..MarketFullFeed::default()
        }
    }

    pub(crate) fn full_feed(feed: MarketFullFeed, mode: RequestMode) -> Feed {
        Feed {
            feed_union: Some(FeedUnion::FullFeed(FullFeed {
                full_feed_union: Some(FullFeedUnion::MarketFf(feed)),
            })),
            request_mode: mode as i32,
        }
    }

    pub(crate) fn ltpc_feed(ltp: f64) -> Feed {
        Feed {
            feed_union: Some(FeedUnion::Ltpc(ltpc(ltp))),
            request_mode: RequestMode::Ltpc as i32,
        }
    }

    /// An encoded `live_feed` message of `feeds`, keyed `NSE_FO|<40000 + i>`.
    pub(crate) fn live_feed(feeds: impl IntoIterator<Item = Feed>) -> Vec<u8> {
        FeedResponse {
            r#type: Type::LiveFeed as i32,
            feeds: feeds
                .into_iter()
                .enumerate()
                .map(|(i, feed)| (format!("NSE_FO|{}", 40_000 + i), feed))
                .collect(),
            current_ts: TRADE_MS + 350,
            market_info: None,
        }
        .encode_to_vec()
    }

    /// A `live_feed` message of `count` full feeds with five levels of depth.
    pub(crate) fn full_message(count: usize) -> Vec<u8> {
        live_feed((0..count).map(|i| {
            let ltp = 100.0 + i as f64 * 0.55;
            full_feed(market_full_feed(ltp, 5), RequestMode::FullD5)
        }))
    }

    /// A `live_feed` message of `count` LTPC feeds.
    pub(crate) fn ltpc_message(count: usize) -> Vec<u8> {
        live_feed((0..count).map(|i| ltpc_feed(2345.65 + i as f64 * 0.05)))
    }
}
