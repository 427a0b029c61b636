//! Upstox's JSON, as it arrives: the envelope and one struct per response object, with Upstox's
//! own field names. Nothing here leaves the crate; `transformer` turns it into tt-core models.
//!
//! Prices and amounts are read straight into [`Price`] / [`Amount`]: their `Deserialize` takes
//! the `f64` the JSON decoder read (serde_json for small bodies, simd-json for large ones; see
//! `transformer`) and converts it with `Price::from_f64`, which gives back exactly the number
//! Upstox wrote (tt-core's `money` module proves it with a property test through serde_json, and
//! `transformer`'s tests run the same property through simd-json); no binary float outlives the
//! parse. Some of Upstox's quote prices are
//! single-precision values written out in full (`52.04999923706055`): they keep eight decimal
//! places (`52.04999924`), as a `Price` holds any price. Quantities are integers, as Upstox's
//! own SDK models them. Every field a response may omit or send as `null` is an `Option` (serde
//! reads a missing one as `None`).
//! Timestamps stay text here, in each endpoint's own unit (documented on the field), and are
//! converted in `transformer`.

use std::collections::HashMap;

use serde::Deserialize;
use tt_core::{Amount, DepthLevel, Ohlc, Price, Secret};

/// `{"status":"success","data":...,"metadata":...}` or `{"status":"error","errors":[...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) status: Option<String>,
    pub(crate) data: Option<T>,
    #[serde(default)]
    pub(crate) errors: Vec<ErrorObject>,
}

/// One entry of `errors`: the code under both its names (snake_case, and the deprecated
/// camelCase the official SDK still reads).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorObject {
    pub(crate) error_code: Option<String>,
    #[serde(default, rename = "errorCode")]
    pub(crate) error_code_deprecated: Option<String>,
    pub(crate) message: Option<String>,
}

impl ErrorObject {
    fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .or(self.error_code_deprecated.as_deref())
            .filter(|c| !c.is_empty())
    }
}

/// The body of a failed call: the `errors` list, or (as seen on a 401) one bare error object.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) errors: Vec<ErrorObject>,
    #[serde(flatten)]
    pub(crate) bare: ErrorObject,
}

impl ErrorBody {
    /// The first error's code and message.
    pub(crate) fn first(&self) -> (Option<&str>, Option<&str>) {
        match self.errors.first() {
            Some(first) => (first.code(), first.message.as_deref()),
            None => (self.bare.code(), self.bare.message.as_deref()),
        }
    }
}

/// `POST /v2/login/authorization/token`'s answer: flat, not wrapped in `data`. `Debug` shows
/// no token.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) user_id: String,
    pub(crate) access_token: Secret,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProfileData {
    pub(crate) user_id: String,
    pub(crate) user_name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) exchanges: Option<Vec<String>>,
    pub(crate) products: Option<Vec<String>>,
    pub(crate) order_types: Option<Vec<String>>,
}

/// One segment of `GET /v2/user/get-funds-and-margin`.
#[derive(Debug, Deserialize)]
pub(crate) struct SegmentMargin {
    pub(crate) used_margin: Option<Amount>,
    pub(crate) available_margin: Option<Amount>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FundsData {
    pub(crate) equity: Option<SegmentMargin>,
    pub(crate) commodity: Option<SegmentMargin>,
}

/// A row's symbol: `trading_symbol`, or its deprecated duplicate `tradingsymbol`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SymbolFields {
    pub(crate) trading_symbol: Option<String>,
    pub(crate) tradingsymbol: Option<String>,
}

impl SymbolFields {
    pub(crate) fn symbol(&self) -> &str {
        self.trading_symbol
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.tradingsymbol.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct HoldingData {
    #[serde(flatten)]
    pub(crate) symbol: SymbolFields,
    /// Plain form (`NSE`).
    pub(crate) exchange: String,
    /// The instrument key (`NSE_EQ|INE002A01018`).
    pub(crate) instrument_token: String,
    pub(crate) isin: Option<String>,
    pub(crate) quantity: i64,
    pub(crate) t1_quantity: Option<i64>,
    pub(crate) average_price: Price,
    pub(crate) last_price: Price,
    pub(crate) close_price: Option<Price>,
    pub(crate) pnl: Option<Amount>,
}

/// One row of `GET /v2/portfolio/short-term-positions`: the position so far (`quantity`,
/// `buy_value`, `sell_value`, `pnl`...) with today's trades (`day_*`) and the carried-in part
/// (`overnight_*`) apart.
#[derive(Debug, Deserialize)]
pub(crate) struct PositionData {
    #[serde(flatten)]
    pub(crate) symbol: SymbolFields,
    /// Segment form (`NSE_EQ`) or plain (`NSE`): both seen.
    pub(crate) exchange: String,
    pub(crate) instrument_token: String,
    pub(crate) product: String,
    pub(crate) quantity: i64,
    pub(crate) multiplier: Option<f64>,
    pub(crate) average_price: Option<Price>,
    pub(crate) last_price: Option<Price>,
    pub(crate) close_price: Option<Price>,
    pub(crate) pnl: Option<Amount>,
    pub(crate) realised: Option<Amount>,
    pub(crate) unrealised: Option<Amount>,
    pub(crate) buy_value: Option<Amount>,
    pub(crate) sell_value: Option<Amount>,
    pub(crate) overnight_quantity: Option<i64>,
    pub(crate) overnight_buy_quantity: Option<u64>,
    pub(crate) overnight_sell_quantity: Option<u64>,
    pub(crate) day_buy_quantity: Option<u64>,
    pub(crate) day_sell_quantity: Option<u64>,
    pub(crate) day_buy_value: Option<Amount>,
    pub(crate) day_sell_value: Option<Amount>,
    pub(crate) day_buy_price: Option<Price>,
    pub(crate) day_sell_price: Option<Price>,
}

/// An order as the order book, `/v2/order/details` and `/v2/order/history` list it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrderData {
    pub(crate) order_id: String,
    #[serde(flatten)]
    pub(crate) symbol: SymbolFields,
    /// Plain form (`NSE`, `NFO`).
    pub(crate) exchange: String,
    pub(crate) instrument_token: String,
    pub(crate) product: String,
    pub(crate) order_type: String,
    pub(crate) transaction_type: String,
    pub(crate) validity: String,
    /// Lower-case text (`open`, `after market order req received`).
    pub(crate) status: Option<String>,
    pub(crate) status_message: Option<String>,
    pub(crate) exchange_order_id: Option<String>,
    pub(crate) quantity: u32,
    pub(crate) filled_quantity: Option<u32>,
    pub(crate) pending_quantity: Option<u32>,
    pub(crate) disclosed_quantity: Option<u32>,
    pub(crate) price: Option<Price>,
    pub(crate) trigger_price: Option<Price>,
    pub(crate) average_price: Option<Price>,
    pub(crate) tag: Option<String>,
    pub(crate) is_amo: Option<bool>,
    /// `"YYYY-MM-DD HH:MM:SS"`, IST.
    pub(crate) order_timestamp: Option<String>,
    /// `"YYYY-MM-DD HH:MM:SS"`, IST.
    pub(crate) exchange_timestamp: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TradeData {
    pub(crate) trade_id: String,
    pub(crate) order_id: String,
    pub(crate) exchange_order_id: Option<String>,
    #[serde(flatten)]
    pub(crate) symbol: SymbolFields,
    pub(crate) exchange: String,
    pub(crate) instrument_token: String,
    pub(crate) product: String,
    pub(crate) transaction_type: String,
    pub(crate) quantity: u32,
    pub(crate) average_price: Price,
    /// `"YYYY-MM-DD HH:MM:SS"`, IST.
    pub(crate) exchange_timestamp: Option<String>,
    /// `"YYYY-MM-DD HH:MM:SS"`, IST.
    pub(crate) order_timestamp: Option<String>,
}

/// The `data` of an order call's success: `order_ids` for a v3 placement (an array even for one
/// order, several when sliced), `order_id` for a modification or cancellation.
#[derive(Debug, Deserialize)]
pub(crate) struct PlaceData {
    pub(crate) order_ids: Option<Vec<String>>,
    pub(crate) order_id: Option<String>,
}

/// A quote's `depth`: five levels a side. Upstox's levels (`{quantity, price, orders}`) and
/// its `ohlc` (`{open, high, low, close}`) carry tt-core's own field names, so they are read
/// straight into [`DepthLevel`] and [`Ohlc`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DepthData {
    pub(crate) buy: Vec<DepthLevel>,
    pub(crate) sell: Vec<DepthLevel>,
}

/// One value of `/v2/market-quote/quotes`, `/ohlc` or `/ltp` (the latter two carry fewer
/// fields).
#[derive(Debug, Deserialize)]
pub(crate) struct QuoteData {
    /// The instrument key the quote is for: how a quote is matched to what was asked.
    pub(crate) instrument_token: String,
    pub(crate) last_price: Option<Price>,
    pub(crate) volume: Option<u64>,
    pub(crate) average_price: Option<Price>,
    pub(crate) oi: Option<f64>,
    #[serde(default)]
    pub(crate) oi_day_high: Option<f64>,
    #[serde(default)]
    pub(crate) oi_day_low: Option<f64>,
    pub(crate) total_buy_quantity: Option<f64>,
    pub(crate) total_sell_quantity: Option<f64>,
    pub(crate) ohlc: Option<Ohlc>,
    pub(crate) depth: Option<DepthData>,
    /// ISO 8601 with the offset (`2023-10-19T13:19:40.286+05:30`).
    pub(crate) timestamp: Option<String>,
    /// Epoch milliseconds, as a string (`"1697701779797"`).
    pub(crate) last_trade_time: Option<String>,
}

/// `/v2/market-quote/*` data: keyed `NSE_EQ:NHPC` (segment and trading symbol), not by the
/// instrument key asked for.
pub(crate) type QuotesData = HashMap<String, QuoteData>;

/// A `holding` update of the portfolio stream: a holding row's fields less the prices of the
/// day (`last_price`, `close_price`, `pnl` are not sent), plus the collateral fields.
// Read by the portfolio stream's translation, which comes with its connection code.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub(crate) struct HoldingUpdateData {
    #[serde(flatten)]
    pub(crate) symbol: SymbolFields,
    /// Plain form (`NSE`).
    pub(crate) exchange: String,
    /// The instrument key (`NSE_EQ|INE002A01018`).
    pub(crate) instrument_token: String,
    pub(crate) instrument_key: Option<String>,
    pub(crate) isin: Option<String>,
    pub(crate) product: Option<String>,
    pub(crate) quantity: i64,
    pub(crate) t1_quantity: Option<i64>,
    pub(crate) average_price: Price,
    pub(crate) company_name: Option<String>,
    pub(crate) cnc_used_quantity: Option<i64>,
    pub(crate) collateral_quantity: Option<i64>,
    pub(crate) collateral_update_quantity: Option<i64>,
    pub(crate) collateral_type: Option<String>,
    pub(crate) haircut: Option<f64>,
}

/// A `gtt_order` update of the portfolio stream.
// Read by the portfolio stream's translation, which comes with its connection code.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub(crate) struct GttOrderUpdateData {
    /// `GTT-CU25270200024002`.
    pub(crate) gtt_order_id: String,
    /// `SINGLE` or `MULTIPLE`.
    #[serde(rename = "type")]
    pub(crate) gtt_type: Option<String>,
    /// Segment form (`NSE_EQ`).
    pub(crate) exchange: Option<String>,
    /// The instrument key.
    pub(crate) instrument_token: Option<String>,
    pub(crate) quantity: Option<u32>,
    pub(crate) product: Option<String>,
    /// Epoch microseconds.
    pub(crate) expires_at: Option<i64>,
    /// Epoch microseconds.
    pub(crate) created_at: Option<i64>,
    #[serde(default)]
    pub(crate) rules: Vec<GttRuleData>,
}

/// One rule of a GTT order: its leg, trigger and the order it placed, if any.
// Read by the portfolio stream's translation, which comes with its connection code.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
pub(crate) struct GttRuleData {
    /// `ENTRY`, `TARGET`, `STOPLOSS`.
    pub(crate) strategy: Option<String>,
    pub(crate) status: Option<String>,
    /// `ABOVE`, `BELOW`, `IMMEDIATE`.
    pub(crate) trigger_type: Option<String>,
    pub(crate) trigger_price: Option<Price>,
    pub(crate) transaction_type: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) order_id: Option<String>,
    pub(crate) trailing_gap: Option<f64>,
}
