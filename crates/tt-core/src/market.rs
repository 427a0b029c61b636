//! Market data: ticks with depth, stream modes, and the events a feed delivers.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;

use smallvec::SmallVec;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Instrument, Price};

/// How much data a subscription streams per instrument. Brokers offer different sets (see
/// [`crate::Capabilities::stream_modes`]); a mode a broker lacks is refused before connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamMode {
    /// Last traded price (with Upstox: also the last trade's time and quantity and the
    /// previous close).
    Ltp,
    /// Price, volume, OHLC and totals, without depth.
    Quote,
    /// Everything, with five levels of market depth.
    Full,
    /// The best bid and offer with an option's greeks, volume, open interest and implied
    /// volatility.
    OptionGreeks,
    /// Everything, with thirty levels of market depth.
    FullDepth30,
}

impl StreamMode {
    /// The mode's lower-case name, as `Display` and serde write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            StreamMode::Ltp => "ltp",
            StreamMode::Quote => "quote",
            StreamMode::Full => "full",
            StreamMode::OptionGreeks => "option_greeks",
            StreamMode::FullDepth30 => "full_depth30",
        }
    }
}

impl fmt::Display for StreamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for StreamMode {
    type Err = UnknownStreamMode;

    /// Reads a mode's name (`ltp`, `quote`, `full`, `option_greeks`, `full_depth30`).
    fn from_str(text: &str) -> Result<StreamMode, UnknownStreamMode> {
        [
            StreamMode::Ltp,
            StreamMode::Quote,
            StreamMode::Full,
            StreamMode::OptionGreeks,
            StreamMode::FullDepth30,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == text)
        .ok_or_else(|| UnknownStreamMode(text.to_owned()))
    }
}

/// A stream mode's name that is none of [`StreamMode`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stream mode {0:?} (expected ltp, quote, full, option_greeks or full_depth30)")]
pub struct UnknownStreamMode(pub String);

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

/// The levels of one side of the book, best first. Up to five are held inline, so a
/// full-mode tick needs no heap allocation for its depth; deeper books (thirty levels) spill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DepthSide(SmallVec<[DepthLevel; 5]>);

impl DepthSide {
    /// No levels.
    pub const fn new() -> DepthSide {
        DepthSide(SmallVec::new_const())
    }

    /// Adds the next (worse) level.
    #[inline]
    pub fn push(&mut self, level: DepthLevel) {
        self.0.push(level);
    }
}

impl Deref for DepthSide {
    type Target = [DepthLevel];

    fn deref(&self) -> &[DepthLevel] {
        &self.0
    }
}

impl FromIterator<DepthLevel> for DepthSide {
    fn from_iter<I: IntoIterator<Item = DepthLevel>>(levels: I) -> DepthSide {
        DepthSide(levels.into_iter().collect())
    }
}

impl From<[DepthLevel; 5]> for DepthSide {
    /// Five levels, held inline: the way a decoder builds a side without a heap allocation.
    #[inline]
    fn from(levels: [DepthLevel; 5]) -> DepthSide {
        DepthSide(SmallVec::from_buf(levels))
    }
}

impl From<&[DepthLevel]> for DepthSide {
    /// A copy of `levels`: one copy into the inline storage for up to five, a heap allocation
    /// past that. The way a decoder that reads levels into a buffer of its own builds a side.
    #[inline]
    fn from(levels: &[DepthLevel]) -> DepthSide {
        DepthSide(SmallVec::from_slice(levels))
    }
}

impl From<Vec<DepthLevel>> for DepthSide {
    fn from(levels: Vec<DepthLevel>) -> DepthSide {
        DepthSide(SmallVec::from_vec(levels))
    }
}

impl<'a> IntoIterator for &'a DepthSide {
    type Item = &'a DepthLevel;
    type IntoIter = std::slice::Iter<'a, DepthLevel>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Market depth: best bids and asks, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    /// Buy side, highest price first.
    pub bids: DepthSide,
    /// Sell side, lowest price first.
    pub asks: DepthSide,
}

/// An option's sensitivities as the broker computes them. Plain floating point: these are
/// model outputs, not money.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Greeks {
    /// Change in premium per rupee of the underlying.
    pub delta: f64,
    /// Change in premium per day.
    pub theta: f64,
    /// Change in delta per rupee of the underlying.
    pub gamma: f64,
    /// Change in premium per point of volatility.
    pub vega: f64,
    /// Change in premium per point of interest rate.
    pub rho: f64,
}

/// One market-data update for one instrument: the contract and the broker's token, and the
/// [`TickData`] itself, which a tick reads like its own fields (`tick.last_price`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// The instrument.
    pub instrument: Instrument,
    /// The broker's token for it (Kite's `instrument_token` in decimal, Upstox's
    /// `instrument_key`), shared with the subscription so a tick costs no allocation for it.
    pub token: Arc<str>,
    /// The market data.
    #[serde(flatten)]
    pub data: TickData,
}

impl Tick {
    /// A tick of `instrument` (the broker's `token`) carrying `data`.
    pub fn new(instrument: Instrument, token: Arc<str>, data: TickData) -> Tick {
        Tick {
            instrument,
            token,
            data,
        }
    }
}

impl Deref for Tick {
    type Target = TickData;

    fn deref(&self) -> &TickData {
        &self.data
    }
}

impl DerefMut for Tick {
    fn deref_mut(&mut self) -> &mut TickData {
        &mut self.data
    }
}

/// What a feed (or a quote) says of one instrument, as decoded from the wire before its token
/// is matched to a contract. Fields a mode (or the broker) does not carry are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TickData {
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
    /// The session's highest open interest.
    pub oi_day_high: Option<u64>,
    /// The session's lowest open interest.
    pub oi_day_low: Option<u64>,
    /// Time of the last trade.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_trade_time: Option<OffsetDateTime>,
    /// The exchange's timestamp for this update.
    #[serde(with = "time::serde::rfc3339::option")]
    pub exchange_time: Option<OffsetDateTime>,
    /// Market depth (full modes; the best level alone in [`StreamMode::OptionGreeks`]).
    pub depth: Option<Depth>,
    /// An option's greeks, where the broker streams them.
    pub greeks: Option<Greeks>,
    /// An option's implied volatility, where the broker streams it.
    pub implied_volatility: Option<f64>,
}

impl TickData {
    /// A tick in `mode` at `last_price` with nothing else known yet: what a decoder starts from
    /// and fills in as the wire carries more.
    #[inline]
    pub const fn new(mode: StreamMode, last_price: Price) -> TickData {
        TickData {
            mode,
            last_price,
            last_quantity: None,
            average_price: None,
            volume: None,
            total_buy_quantity: None,
            total_sell_quantity: None,
            ohlc: None,
            open_interest: None,
            oi_day_high: None,
            oi_day_low: None,
            last_trade_time: None,
            exchange_time: None,
            depth: None,
            greeks: None,
            implied_volatility: None,
        }
    }

    /// Change from the previous close, in rupees, when the close is known and not zero.
    pub fn change(&self) -> Option<Price> {
        let close = self.ohlc?.close;
        if close == Price::ZERO {
            return None;
        }
        self.last_price.checked_sub(close)
    }
}
