//! Orders: the categorical terms of an order, its identifiers, its status, the request a
//! strategy builds, and the order and trade records a broker reports.

mod action;
mod id;
mod model;
mod record;
mod request;
mod status;

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use action::{OrderAction, OrderChange};
pub use id::{ClientTag, InvalidId, OrderId, TradeId};
pub use model::{Order, Trade};
pub use record::OrderRecord;
pub use request::{InvalidOrderReason, OrderModification, OrderRequest, OrderRequestBuilder};
pub use status::{OrderState, OrderStatus};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// Buy.
    #[serde(rename = "BUY")]
    Buy,
    /// Sell.
    #[serde(rename = "SELL")]
    Sell,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        })
    }
}

/// How an order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderType {
    /// Fill at the best available price.
    #[serde(rename = "MARKET")]
    Market,
    /// Fill at the limit price or better.
    #[serde(rename = "LIMIT")]
    Limit,
    /// Stop-loss limit: becomes a limit order once the trigger price trades.
    #[serde(rename = "SL")]
    StopLoss,
    /// Stop-loss market: becomes a market order once the trigger price trades.
    #[serde(rename = "SL-M")]
    StopLossMarket,
}

impl OrderType {
    /// The exchange code: `MARKET`, `LIMIT`, `SL`, `SL-M`.
    pub const fn code(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::StopLoss => "SL",
            OrderType::StopLossMarket => "SL-M",
        }
    }

    /// True for the types that carry a limit price (LIMIT, SL).
    pub const fn needs_price(self) -> bool {
        matches!(self, OrderType::Limit | OrderType::StopLoss)
    }

    /// True for the types that carry a trigger price (SL, SL-M).
    pub const fn needs_trigger(self) -> bool {
        matches!(self, OrderType::StopLoss | OrderType::StopLossMarket)
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// The product (margin treatment) of an order or position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProductType {
    /// Cash and carry: equity delivery.
    #[serde(rename = "CNC")]
    Cnc,
    /// Margin intraday square-off: closed by the broker before the session ends.
    #[serde(rename = "MIS")]
    Mis,
    /// Normal: carry-forward derivatives.
    #[serde(rename = "NRML")]
    Nrml,
    /// Margin trading facility: leveraged delivery.
    #[serde(rename = "MTF")]
    Mtf,
    /// Cover order: intraday with a compulsory stop-loss (a legacy product brokers still
    /// report on old orders and positions).
    #[serde(rename = "CO")]
    Co,
    /// Bracket order: intraday with target and stop-loss legs (discontinued; still reported).
    #[serde(rename = "BO")]
    Bo,
}

impl ProductType {
    /// The code: `CNC`, `MIS`, `NRML`, `MTF`, `CO`, `BO`.
    pub const fn code(self) -> &'static str {
        match self {
            ProductType::Cnc => "CNC",
            ProductType::Mis => "MIS",
            ProductType::Nrml => "NRML",
            ProductType::Mtf => "MTF",
            ProductType::Co => "CO",
            ProductType::Bo => "BO",
        }
    }
}

impl fmt::Display for ProductType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// How long an order stays live.
///
/// Text and JSON form: `DAY`, `IOC`, `TTL:<minutes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validity {
    /// Until the end of the session.
    Day,
    /// Immediate or cancel: whatever does not fill at once is cancelled.
    Ioc,
    /// Time to live: cancelled after the given number of minutes.
    Ttl {
        /// Minutes the order lives.
        minutes: NonZeroU16,
    },
}

/// A [`Validity`] without its TTL minutes, for capability matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValidityKind {
    /// [`Validity::Day`].
    #[serde(rename = "DAY")]
    Day,
    /// [`Validity::Ioc`].
    #[serde(rename = "IOC")]
    Ioc,
    /// [`Validity::Ttl`].
    #[serde(rename = "TTL")]
    Ttl,
}

impl Validity {
    /// The kind, without TTL minutes.
    pub const fn kind(self) -> ValidityKind {
        match self {
            Validity::Day => ValidityKind::Day,
            Validity::Ioc => ValidityKind::Ioc,
            Validity::Ttl { .. } => ValidityKind::Ttl,
        }
    }
}

impl fmt::Display for ValidityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            ValidityKind::Day => "DAY",
            ValidityKind::Ioc => "IOC",
            ValidityKind::Ttl => "TTL",
        })
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validity::Ttl { minutes } => write!(f, "TTL:{minutes}"),
            other => other.kind().fmt(f),
        }
    }
}

/// The text was not `DAY`, `IOC` or `TTL:<minutes>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a validity (expected DAY, IOC or TTL:<minutes>, minutes 1 to 65535)")]
pub struct UnknownValidity(pub String);

impl FromStr for Validity {
    type Err = UnknownValidity;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "DAY" => Ok(Validity::Day),
            "IOC" => Ok(Validity::Ioc),
            _ => text
                .strip_prefix("TTL:")
                .and_then(|m| m.parse::<NonZeroU16>().ok())
                .map(|minutes| Validity::Ttl { minutes })
                .ok_or_else(|| UnknownValidity(text.to_owned())),
        }
    }
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_text_round_trips() {
        for text in ["DAY", "IOC", "TTL:1", "TTL:390"] {
            assert_eq!(text.parse::<Validity>().unwrap().to_string(), text);
        }
        for bad in ["day", "TTL", "TTL:0", "TTL:-1", "TTL:70000", "GTC"] {
            assert!(bad.parse::<Validity>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Validity::Ttl {
            minutes: NonZeroU16::new(30).unwrap(),
        })
        .unwrap();
        assert_eq!(json, "\"TTL:30\"");
    }

    #[test]
    fn order_type_codes_match_the_exchange_vocabulary() {
        assert_eq!(
            serde_json::to_string(&OrderType::StopLossMarket).unwrap(),
            "\"SL-M\""
        );
        assert_eq!(OrderType::StopLoss.to_string(), "SL");
        assert!(OrderType::StopLoss.needs_price() && OrderType::StopLoss.needs_trigger());
        assert!(!OrderType::Market.needs_price() && !OrderType::Market.needs_trigger());
    }
}
