//! Kite's wire format, written out: the success and error envelopes, the error types with their
//! HTTP statuses, and one struct per JSON object Kite sends, fields named and ordered as in the
//! recorded responses (`kiteconnect-mocks`).
//!
//! Money is held exactly (`Price`, `Amount`) and written as a JSON *number*, as Kite does (see
//! [`crate::money`]).

use http::StatusCode;
use serde::Serialize;
use tt_core::{Amount, Price};

pub(crate) use crate::quote::{Depth, Ohlc};
use crate::reply::{self, Reply};

/// Kite's `error_type` values the simulator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorType {
    /// Session expired or invalid: 403.
    Token,
    /// Missing or bad parameters: 400.
    Input,
    /// An order operation the order's state does not allow.
    Order,
    /// Insufficient funds.
    Margin,
    /// Insufficient holdings for a sell.
    Holding,
    /// Rate limited (429), or the OMS unreachable.
    Network,
    /// Anything else (unknown order, unknown route).
    General,
}

impl ErrorType {
    /// The `error_type` text.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            ErrorType::Token => "TokenException",
            ErrorType::Input => "InputException",
            ErrorType::Order => "OrderException",
            ErrorType::Margin => "MarginException",
            ErrorType::Holding => "HoldingException",
            ErrorType::Network => "NetworkException",
            ErrorType::General => "GeneralException",
        }
    }
}

/// A Kite error response: status, `error_type` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KiteError {
    pub(crate) status: StatusCode,
    pub(crate) kind: ErrorType,
    pub(crate) message: String,
}

impl KiteError {
    fn new(status: StatusCode, kind: ErrorType, message: impl Into<String>) -> KiteError {
        KiteError {
            status,
            kind,
            message: message.into(),
        }
    }

    /// 400 `InputException`.
    pub(crate) fn input(message: impl Into<String>) -> KiteError {
        KiteError::new(StatusCode::BAD_REQUEST, ErrorType::Input, message)
    }

    /// 403 `TokenException`.
    pub(crate) fn token(message: impl Into<String>) -> KiteError {
        KiteError::new(StatusCode::FORBIDDEN, ErrorType::Token, message)
    }

    /// 400 `OrderException`.
    pub(crate) fn order(message: impl Into<String>) -> KiteError {
        KiteError::new(StatusCode::BAD_REQUEST, ErrorType::Order, message)
    }

    /// 400 `MarginException`.
    pub(crate) fn margin(message: impl Into<String>) -> KiteError {
        KiteError::new(StatusCode::BAD_REQUEST, ErrorType::Margin, message)
    }

    /// 400 `HoldingException`.
    pub(crate) fn holding(message: impl Into<String>) -> KiteError {
        KiteError::new(StatusCode::BAD_REQUEST, ErrorType::Holding, message)
    }

    /// 404 `GeneralException` for an order id the book does not hold.
    pub(crate) fn unknown_order() -> KiteError {
        KiteError::new(
            StatusCode::NOT_FOUND,
            ErrorType::General,
            "Couldn't find that `order_id`.",
        )
    }

    /// 429 `NetworkException`.
    pub(crate) fn rate_limited() -> KiteError {
        KiteError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::Network,
            "Too many requests",
        )
    }

    /// 404 `GeneralException` for a path Kite does not serve.
    pub(crate) fn route_not_found() -> KiteError {
        KiteError::new(StatusCode::NOT_FOUND, ErrorType::General, "Route not found")
    }

    /// 405 `GeneralException` for a known path with the wrong method.
    pub(crate) fn method_not_allowed() -> KiteError {
        KiteError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorType::General,
            "Method not allowed",
        )
    }

    /// The error envelope.
    pub(crate) fn reply(&self) -> Reply {
        error_reply(self.status, self.kind.name(), &self.message)
    }
}

/// `{"status":"error","message":...,"error_type":...,"data":null}` with `status`.
pub(crate) fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    #[derive(Serialize)]
    struct Envelope<'a> {
        status: &'static str,
        message: &'a str,
        error_type: &'a str,
        data: Option<()>,
    }
    let body = serde_json::to_vec(&Envelope {
        status: "error",
        message,
        error_type,
        data: None,
    })
    .unwrap_or_default();
    reply::json(status, body)
}

/// `{"status":"success","data":...}` with 200.
pub(crate) fn success<T: Serialize + ?Sized>(data: &T) -> Reply {
    #[derive(Serialize)]
    struct Envelope<'a, T: ?Sized> {
        status: &'static str,
        data: &'a T,
    }
    match serde_json::to_vec(&Envelope {
        status: "success",
        data,
    }) {
        Ok(body) => reply::json(StatusCode::OK, body),
        Err(e) => error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "GeneralException",
            &format!("could not encode the response: {e}"),
        ),
    }
}

pub(crate) use crate::money::{amount, price};

/// An empty JSON object (`meta`, `authorisation`).
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Empty {}

/// An order, as `GET /orders` and each entry of `GET /orders/{id}` show it.
#[derive(Debug, Serialize)]
pub(crate) struct Order<'a> {
    pub(crate) account_id: &'a str,
    pub(crate) placed_by: &'a str,
    pub(crate) order_id: &'a str,
    pub(crate) exchange_order_id: Option<&'a str>,
    pub(crate) parent_order_id: Option<&'a str>,
    pub(crate) status: &'a str,
    pub(crate) status_message: Option<&'a str>,
    pub(crate) status_message_raw: Option<&'a str>,
    pub(crate) order_timestamp: &'a str,
    pub(crate) exchange_update_timestamp: Option<&'a str>,
    pub(crate) exchange_timestamp: Option<&'a str>,
    pub(crate) variety: &'a str,
    pub(crate) modified: bool,
    pub(crate) exchange: &'a str,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) instrument_token: u32,
    pub(crate) order_type: &'a str,
    pub(crate) transaction_type: &'a str,
    pub(crate) validity: &'a str,
    pub(crate) validity_ttl: u32,
    pub(crate) product: &'a str,
    pub(crate) quantity: u32,
    pub(crate) disclosed_quantity: u32,
    #[serde(serialize_with = "price")]
    pub(crate) price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) trigger_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) filled_quantity: u32,
    pub(crate) pending_quantity: u32,
    pub(crate) cancelled_quantity: u32,
    pub(crate) market_protection: i32,
    pub(crate) meta: Empty,
    pub(crate) tag: Option<&'a str>,
    pub(crate) tags: Vec<&'a str>,
    pub(crate) guid: Option<&'a str>,
}

/// A fill, as `GET /trades` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct Trade<'a> {
    pub(crate) trade_id: &'a str,
    pub(crate) order_id: &'a str,
    pub(crate) exchange: &'a str,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) instrument_token: u32,
    pub(crate) product: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) quantity: u32,
    pub(crate) exchange_order_id: &'a str,
    pub(crate) transaction_type: &'a str,
    pub(crate) fill_timestamp: &'a str,
    /// Time of day only (`"09:16:39"`), as Kite's recorded tradebook has it.
    pub(crate) order_timestamp: &'a str,
    pub(crate) exchange_timestamp: &'a str,
}

/// One entry of `positions.net` or `positions.day`.
#[derive(Debug, Serialize)]
pub(crate) struct Position<'a> {
    pub(crate) tradingsymbol: &'a str,
    pub(crate) exchange: &'a str,
    pub(crate) instrument_token: u32,
    pub(crate) product: &'a str,
    pub(crate) quantity: i64,
    pub(crate) overnight_quantity: i64,
    pub(crate) multiplier: u32,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) close_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) value: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) pnl: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) m2m: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) unrealised: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) realised: Amount,
    pub(crate) buy_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) buy_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) buy_value: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) buy_m2m: Amount,
    pub(crate) sell_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) sell_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) sell_value: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) sell_m2m: Amount,
    pub(crate) day_buy_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) day_buy_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) day_buy_value: Amount,
    pub(crate) day_sell_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) day_sell_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) day_sell_value: Amount,
}

/// `GET /portfolio/positions`.
#[derive(Debug, Serialize)]
pub(crate) struct Positions<'a> {
    pub(crate) net: Vec<Position<'a>>,
    pub(crate) day: Vec<Position<'a>>,
}

/// The `mtf` block of a holding.
#[derive(Debug, Serialize)]
pub(crate) struct Mtf {
    pub(crate) quantity: u64,
    pub(crate) used_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) value: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) initial_margin: Amount,
}

/// One entry of `GET /portfolio/holdings`.
#[derive(Debug, Serialize)]
pub(crate) struct Holding<'a> {
    pub(crate) tradingsymbol: &'a str,
    pub(crate) exchange: &'a str,
    pub(crate) instrument_token: u32,
    pub(crate) isin: &'a str,
    pub(crate) product: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) price: Price,
    pub(crate) quantity: u64,
    pub(crate) used_quantity: u64,
    pub(crate) t1_quantity: u64,
    pub(crate) realised_quantity: u64,
    pub(crate) authorised_quantity: u64,
    pub(crate) authorised_date: &'a str,
    pub(crate) authorisation: Empty,
    pub(crate) opening_quantity: u64,
    pub(crate) short_quantity: u64,
    pub(crate) collateral_quantity: u64,
    pub(crate) collateral_type: &'a str,
    pub(crate) discrepancy: bool,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) close_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) pnl: Amount,
    #[serde(serialize_with = "price")]
    pub(crate) day_change: Price,
    pub(crate) day_change_percentage: f64,
    pub(crate) mtf: Mtf,
}

/// `available` of a margin segment.
#[derive(Debug, Serialize)]
pub(crate) struct Available {
    #[serde(serialize_with = "amount")]
    pub(crate) adhoc_margin: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) cash: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) opening_balance: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) live_balance: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) collateral: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) intraday_payin: Amount,
}

/// `utilised` of a margin segment (Kite's British spelling).
#[derive(Debug, Serialize)]
pub(crate) struct Utilised {
    #[serde(serialize_with = "amount")]
    pub(crate) debits: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) exposure: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) m2m_realised: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) m2m_unrealised: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) option_premium: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) payout: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) span: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) holding_sales: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) turnover: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) liquid_collateral: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) stock_collateral: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) delivery: Amount,
}

/// One margin segment (`GET /user/margins/equity`).
#[derive(Debug, Serialize)]
pub(crate) struct Segment {
    pub(crate) enabled: bool,
    #[serde(serialize_with = "amount")]
    pub(crate) net: Amount,
    pub(crate) available: Available,
    pub(crate) utilised: Utilised,
}

/// `GET /user/margins`.
#[derive(Debug, Serialize)]
pub(crate) struct Margins {
    pub(crate) equity: Segment,
    pub(crate) commodity: Segment,
}

/// The `meta` of a profile or session.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileMeta {
    pub(crate) demat_consent: &'static str,
}

/// `GET /user/profile`.
#[derive(Debug, Serialize)]
pub(crate) struct Profile<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) user_type: &'static str,
    pub(crate) email: &'a str,
    pub(crate) user_name: &'a str,
    pub(crate) user_shortname: &'a str,
    pub(crate) broker: &'static str,
    pub(crate) exchanges: &'static [&'static str],
    pub(crate) products: &'static [&'static str],
    pub(crate) order_types: &'static [&'static str],
    pub(crate) avatar_url: Option<&'a str>,
    pub(crate) meta: ProfileMeta,
}

/// `POST /session/token`.
#[derive(Debug, Serialize)]
pub(crate) struct Session<'a> {
    pub(crate) user_type: &'static str,
    pub(crate) email: &'a str,
    pub(crate) user_name: &'a str,
    pub(crate) user_shortname: &'a str,
    pub(crate) broker: &'static str,
    pub(crate) exchanges: &'static [&'static str],
    pub(crate) products: &'static [&'static str],
    pub(crate) order_types: &'static [&'static str],
    pub(crate) avatar_url: Option<&'a str>,
    pub(crate) user_id: &'a str,
    pub(crate) api_key: &'a str,
    pub(crate) access_token: &'a str,
    pub(crate) public_token: &'a str,
    pub(crate) enctoken: &'a str,
    pub(crate) refresh_token: &'static str,
    pub(crate) silo: &'static str,
    pub(crate) login_time: &'a str,
    pub(crate) meta: ProfileMeta,
}

/// `{"order_id": ...}`: what place, modify and cancel answer.
#[derive(Debug, Serialize)]
pub(crate) struct OrderAck<'a> {
    pub(crate) order_id: &'a str,
}

/// One instrument of `GET /quote`.
#[derive(Debug, Serialize)]
pub(crate) struct Quote {
    pub(crate) instrument_token: u32,
    pub(crate) timestamp: String,
    pub(crate) last_trade_time: String,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) last_quantity: u32,
    pub(crate) buy_quantity: u64,
    pub(crate) sell_quantity: u64,
    pub(crate) volume: u64,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) oi: u64,
    pub(crate) oi_day_high: u64,
    pub(crate) oi_day_low: u64,
    #[serde(serialize_with = "price")]
    pub(crate) net_change: Price,
    #[serde(serialize_with = "price")]
    pub(crate) lower_circuit_limit: Price,
    #[serde(serialize_with = "price")]
    pub(crate) upper_circuit_limit: Price,
    pub(crate) ohlc: Ohlc,
    pub(crate) depth: Depth,
}

/// One instrument of `GET /quote/ohlc`.
#[derive(Debug, Serialize)]
pub(crate) struct OhlcQuote {
    pub(crate) instrument_token: u32,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) ohlc: Ohlc,
}

/// One instrument of `GET /quote/ltp`.
#[derive(Debug, Serialize)]
pub(crate) struct LtpQuote {
    pub(crate) instrument_token: u32,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_has_kite_keys() {
        let reply = KiteError::unknown_order().reply();
        assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    }
}
