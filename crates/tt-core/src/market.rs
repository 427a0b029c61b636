//! Market data: ticks with depth, stream modes, and the events a feed delivers.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Instrument, Order, Price};

/// How much data a subscription streams per instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamMode {
    /// Last traded price only.
    Ltp,
    /// Price, volume, OHLC and totals, without depth.
    Quote,
    /// Everything, with five levels of market depth.
    Full,
}

impl fmt::Display for StreamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            StreamMode::Ltp => "ltp",
            StreamMode::Quote => "quote",
            StreamMode::Full => "full",
        })
    }
}

/// How much a REST quote carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteDetail {
    /// Last price only (the returned ticks are in [`StreamMode::Ltp`]).
    Ltp,
    /// Last price and OHLC ([`StreamMode::Quote`]).
    Ohlc,
    /// Everything, depth included ([`StreamMode::Full`]).
    Full,
}

impl QuoteDetail {
    /// The mode the returned ticks carry.
    ///
    /// ```
    /// use tt_core::{QuoteDetail, StreamMode};
    ///
    /// assert_eq!(QuoteDetail::Ohlc.stream_mode(), StreamMode::Quote);
    /// ```
    pub const fn stream_mode(self) -> StreamMode {
        match self {
            QuoteDetail::Ltp => StreamMode::Ltp,
            QuoteDetail::Ohlc => StreamMode::Quote,
            QuoteDetail::Full => StreamMode::Full,
        }
    }
}

/// Open, high, low and close of the session; `close` is the previous session's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ohlc {
    /// Session open.
    pub open: Price,
    /// Session high.
    pub high: Price,
    /// Session low.
    pub low: Price,
    /// Previous session's close.
    pub close: Price,
}

/// One price level of the order book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthLevel {
    /// The price.
    pub price: Price,
    /// Total quantity at the price.
    pub quantity: u64,
    /// Number of orders at the price.
    pub orders: u32,
}

/// Market depth: best bids and asks, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    /// Buy side, highest price first.
    pub bids: Vec<DepthLevel>,
    /// Sell side, lowest price first.
    pub asks: Vec<DepthLevel>,
}

/// One market-data update for one instrument. Fields a mode does not carry are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// The instrument.
    pub instrument: Instrument,
    /// The mode this tick was streamed in.
    pub mode: StreamMode,
    /// Last traded price.
    pub last_price: Price,
    /// Last traded quantity.
    pub last_quantity: Option<u64>,
    /// Volume-weighted average price of the session.
    pub average_price: Option<Price>,
    /// Volume traded in the session.
    pub volume: Option<u64>,
    /// Total quantity bid.
    pub total_buy_quantity: Option<u64>,
    /// Total quantity offered.
    pub total_sell_quantity: Option<u64>,
    /// Session OHLC.
    pub ohlc: Option<Ohlc>,
    /// Open interest (derivatives).
    pub open_interest: Option<u64>,
    /// Time of the last trade.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_trade_time: Option<OffsetDateTime>,
    /// The exchange's timestamp for this update.
    #[serde(with = "time::serde::rfc3339::option")]
    pub exchange_time: Option<OffsetDateTime>,
    /// Market depth (full mode).
    pub depth: Option<Depth>,
}

impl Tick {
    /// Change from the previous close, in rupees, when the close is known and not zero.
    pub fn change(&self) -> Option<Price> {
        let close = self.ohlc?.close;
        if close == Price::ZERO {
            return None;
        }
        self.last_price.checked_sub(close)
    }
}

/// What a market feed delivers: data, order updates, and the connection's own life, so a
/// consumer always knows when a gap happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// A market-data update.
    Tick(Tick),
    /// An update to one of the account's orders.
    OrderUpdate(Order),
    /// The connection dropped; reconnect attempt `attempt` is starting. Ticks may be missed.
    Reconnecting {
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// The connection is back and subscriptions are restored.
    Reconnected,
}
