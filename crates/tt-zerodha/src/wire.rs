//! Kite's JSON, as it arrives: the envelope and one struct per response object, with Kite's own
//! field names. Nothing here leaves the crate; `transformer` turns it into tt-core models.
//!
//! Every field a response may omit or send as `null` is optional (the mocks omit several), and
//! numbers Kite may send as floats (quantities, in the Go client) are read as floats.
//!
//! Prices and amounts are read as `f64` here and become `Price`/`Amount` in `transformer` through
//! `Price::from_f64`/`Amount::from_f64`. That path gives back exactly the number Kite wrote for
//! anything of at most eight decimals and fifteen significant digits: tt-core's `money` module
//! says why and proves it with a property test through `serde_json`.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use tt_core::Secret;

/// `{"status":"success","data":...}` or `{"status":"error","message":...,"error_type":...}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) status: String,
    pub(crate) data: Option<T>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) error_type: Option<String>,
}

/// The error envelope alone (for bodies of failed requests).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) error_type: Option<String>,
}

/// An instrument token, which Kite sends as a number (or, defensively, a string).
fn token_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Token {
        Number(u64),
        Text(String),
    }
    Ok(match Token::deserialize(deserializer)? {
        Token::Number(n) => n.to_string(),
        Token::Text(t) => t,
    })
}

/// `POST /session/token`'s data. `Debug` shows no token.
#[derive(Debug, Deserialize)]
pub(crate) struct SessionData {
    pub(crate) user_id: String,
    pub(crate) access_token: Secret,
    #[serde(default)]
    pub(crate) login_time: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProfileData {
    pub(crate) user_id: String,
    #[serde(default)]
    pub(crate) user_name: Option<String>,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) exchanges: Vec<String>,
    #[serde(default)]
    pub(crate) products: Vec<String>,
    #[serde(default)]
    pub(crate) order_types: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Available {
    #[serde(default)]
    pub(crate) opening_balance: Option<f64>,
    #[serde(default)]
    pub(crate) collateral: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Utilised {
    #[serde(default)]
    pub(crate) debits: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SegmentMargins {
    #[serde(default)]
    pub(crate) enabled: Option<bool>,
    pub(crate) net: f64,
    #[serde(default)]
    pub(crate) available: Available,
    #[serde(default)]
    pub(crate) utilised: Utilised,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MarginsData {
    #[serde(default)]
    pub(crate) equity: Option<SegmentMargins>,
    #[serde(default)]
    pub(crate) commodity: Option<SegmentMargins>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HoldingData {
    pub(crate) tradingsymbol: String,
    pub(crate) exchange: String,
    #[serde(deserialize_with = "token_text")]
    pub(crate) instrument_token: String,
    #[serde(default)]
    pub(crate) isin: Option<String>,
    pub(crate) quantity: f64,
    #[serde(default)]
    pub(crate) t1_quantity: Option<f64>,
    pub(crate) average_price: f64,
    pub(crate) last_price: f64,
    #[serde(default)]
    pub(crate) close_price: Option<f64>,
    #[serde(default)]
    pub(crate) pnl: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PositionData {
    pub(crate) tradingsymbol: String,
    pub(crate) exchange: String,
    #[serde(deserialize_with = "token_text")]
    pub(crate) instrument_token: String,
    pub(crate) product: String,
    pub(crate) quantity: f64,
    #[serde(default)]
    pub(crate) overnight_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) multiplier: Option<f64>,
    pub(crate) average_price: f64,
    pub(crate) last_price: f64,
    #[serde(default)]
    pub(crate) close_price: Option<f64>,
    #[serde(default)]
    pub(crate) pnl: Option<f64>,
    #[serde(default)]
    pub(crate) realised: Option<f64>,
    #[serde(default)]
    pub(crate) unrealised: Option<f64>,
    #[serde(default)]
    pub(crate) buy_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) buy_value: Option<f64>,
    #[serde(default)]
    pub(crate) sell_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) sell_value: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PositionsData {
    #[serde(default)]
    pub(crate) net: Vec<PositionData>,
    #[serde(default)]
    pub(crate) day: Vec<PositionData>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrderData {
    pub(crate) order_id: String,
    #[serde(default)]
    pub(crate) exchange_order_id: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) status_message: Option<String>,
    #[serde(default)]
    pub(crate) order_timestamp: Option<String>,
    #[serde(default)]
    pub(crate) exchange_update_timestamp: Option<String>,
    #[serde(default)]
    pub(crate) exchange_timestamp: Option<String>,
    #[serde(default)]
    pub(crate) variety: Option<String>,
    pub(crate) exchange: String,
    pub(crate) tradingsymbol: String,
    #[serde(deserialize_with = "token_text")]
    pub(crate) instrument_token: String,
    pub(crate) order_type: String,
    pub(crate) transaction_type: String,
    pub(crate) validity: String,
    #[serde(default)]
    pub(crate) validity_ttl: Option<f64>,
    pub(crate) product: String,
    pub(crate) quantity: f64,
    #[serde(default)]
    pub(crate) disclosed_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) price: Option<f64>,
    #[serde(default)]
    pub(crate) trigger_price: Option<f64>,
    #[serde(default)]
    pub(crate) average_price: Option<f64>,
    #[serde(default)]
    pub(crate) filled_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) pending_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) cancelled_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) tag: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TradeData {
    pub(crate) trade_id: String,
    pub(crate) order_id: String,
    #[serde(default)]
    pub(crate) exchange_order_id: Option<String>,
    pub(crate) exchange: String,
    pub(crate) tradingsymbol: String,
    #[serde(deserialize_with = "token_text")]
    pub(crate) instrument_token: String,
    pub(crate) product: String,
    pub(crate) average_price: f64,
    pub(crate) quantity: f64,
    pub(crate) transaction_type: String,
    #[serde(default)]
    pub(crate) fill_timestamp: Option<String>,
    #[serde(default)]
    pub(crate) exchange_timestamp: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrderIdData {
    #[serde(default)]
    pub(crate) order_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OhlcData {
    pub(crate) open: f64,
    pub(crate) high: f64,
    pub(crate) low: f64,
    pub(crate) close: f64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DepthEntry {
    pub(crate) price: f64,
    pub(crate) quantity: f64,
    pub(crate) orders: f64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DepthData {
    #[serde(default)]
    pub(crate) buy: Vec<DepthEntry>,
    #[serde(default)]
    pub(crate) sell: Vec<DepthEntry>,
}

/// One entry of `/quote`, `/quote/ohlc` or `/quote/ltp` (the latter two carry fewer fields).
#[derive(Debug, Deserialize)]
pub(crate) struct QuoteData {
    pub(crate) last_price: f64,
    #[serde(default)]
    pub(crate) last_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) average_price: Option<f64>,
    #[serde(default)]
    pub(crate) volume: Option<f64>,
    #[serde(default)]
    pub(crate) buy_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) sell_quantity: Option<f64>,
    #[serde(default)]
    pub(crate) oi: Option<f64>,
    #[serde(default)]
    pub(crate) oi_day_high: Option<f64>,
    #[serde(default)]
    pub(crate) oi_day_low: Option<f64>,
    #[serde(default)]
    pub(crate) ohlc: Option<OhlcData>,
    #[serde(default)]
    pub(crate) depth: Option<DepthData>,
    #[serde(default)]
    pub(crate) timestamp: Option<String>,
    #[serde(default)]
    pub(crate) last_trade_time: Option<String>,
}

/// `/quote*` data: keyed by the `EXCHANGE:SYMBOL` the request named.
pub(crate) type QuotesData = HashMap<String, QuoteData>;
