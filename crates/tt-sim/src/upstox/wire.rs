//! Upstox's wire format, written out: the success envelope (with `metadata.latency` on the v3
//! order calls), the error body with its `UDAPI` codes in both spellings, and one struct per
//! JSON object Upstox sends, fields named as its API documentation and official SDK models name
//! them. Prices are JSON numbers (see [`crate::money`]); order timestamps are naive IST text.

use http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use tt_core::{Amount, Price};

pub(crate) use crate::money::{amount, price};
pub(crate) use crate::quote::{Depth, Ohlc};
use crate::reply::{self, Reply};

/// Upstox's error codes the simulator sends.
pub(crate) mod code {
    /// The request is not supported (unknown path or method).
    pub(crate) const NOT_SUPPORTED: &str = "UDAPI10000";
    /// Too many requests (with HTTP 429).
    pub(crate) const TOO_MANY_REQUESTS: &str = "UDAPI10005";
    /// `instrument_key` missing.
    pub(crate) const KEY_REQUIRED: &str = "UDAPI1009";
    /// A valid `order_type` is required.
    pub(crate) const ORDER_TYPE_REQUIRED: &str = "UDAPI1004";
    /// `validity` is required.
    pub(crate) const VALIDITY_REQUIRED: &str = "UDAPI1007";
    /// `order_id` is required.
    pub(crate) const ORDER_ID_REQUIRED: &str = "UDAPI1023";
    /// An invalid `validity`.
    pub(crate) const INVALID_VALIDITY: &str = "UDAPI1055";
    /// An invalid `order_type`.
    pub(crate) const INVALID_ORDER_TYPE: &str = "UDAPI1056";
    /// An invalid instrument key.
    pub(crate) const INVALID_KEY: &str = "UDAPI1087";
    /// The order does not exist.
    pub(crate) const ORDER_NOT_FOUND: &str = "UDAPI100010";
    /// The `Api-Version` header is missing or not one Upstox serves.
    pub(crate) const API_VERSION: &str = "UDAPI100015";
    /// Invalid app credentials.
    pub(crate) const INVALID_CREDENTIALS: &str = "UDAPI100016";
    /// Invalid input.
    pub(crate) const INVALID_INPUT: &str = "UDAPI100038";
    /// The order is already cancelled, rejected or complete.
    pub(crate) const ORDER_FINISHED: &str = "UDAPI100040";
    /// More instrument keys than one call takes.
    pub(crate) const TOO_MANY_KEYS: &str = "UDAPI100043";
    /// The access token is invalid, expired or logged out.
    pub(crate) const INVALID_TOKEN: &str = "UDAPI100050";
    /// The client id or redirect URI is not the app's.
    pub(crate) const CLIENT_MISMATCH: &str = "UDAPI100068";
    /// Something went wrong: also what Upstox answers business rejections with, in prose.
    pub(crate) const GENERIC: &str = "UDAPI100500";
}

/// An Upstox error reply: HTTP status, code, message, and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpstoxError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    /// The request field at fault (`quantity`, `instrument_token`), where there is one.
    pub(crate) property_path: Option<String>,
    /// The value sent there.
    pub(crate) invalid_value: Option<Value>,
}

impl UpstoxError {
    /// An error with `status` and `code`.
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> UpstoxError {
        UpstoxError {
            status,
            code: code.to_owned(),
            message: message.into(),
            property_path: None,
            invalid_value: None,
        }
    }

    /// 400 with `code`.
    pub(crate) fn bad(code: &str, message: impl Into<String>) -> UpstoxError {
        UpstoxError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `UDAPI100038`: invalid input.
    pub(crate) fn input(message: impl Into<String>) -> UpstoxError {
        UpstoxError::bad(code::INVALID_INPUT, message)
    }

    /// 400 `UDAPI100500`: a business rejection, in prose.
    pub(crate) fn rejected(message: impl Into<String>) -> UpstoxError {
        UpstoxError::bad(code::GENERIC, message)
    }

    /// Names the request field at fault and the value sent there.
    pub(crate) fn at(mut self, property_path: &str, invalid_value: Option<Value>) -> UpstoxError {
        self.property_path = Some(property_path.to_owned());
        self.invalid_value = invalid_value;
        self
    }

    /// 401 `UDAPI100050`.
    pub(crate) fn invalid_token() -> UpstoxError {
        UpstoxError::new(
            StatusCode::UNAUTHORIZED,
            code::INVALID_TOKEN,
            "Invalid token used to access API",
        )
    }

    /// 400 `UDAPI100015`.
    pub(crate) fn api_version() -> UpstoxError {
        UpstoxError::bad(
            code::API_VERSION,
            "API Version does not exist: send the `Api-Version: 2.0` header",
        )
    }

    /// 429 `UDAPI10005`.
    pub(crate) fn rate_limited() -> UpstoxError {
        UpstoxError::new(
            StatusCode::TOO_MANY_REQUESTS,
            code::TOO_MANY_REQUESTS,
            "Too Many Request Sent",
        )
    }

    /// 400 `UDAPI100010` for an order id the book does not hold.
    pub(crate) fn order_not_found(order_id: &str) -> UpstoxError {
        UpstoxError::bad(code::ORDER_NOT_FOUND, "Order not found")
            .at("order_id", Some(Value::from(order_id)))
    }

    /// 400 `UDAPI1023`.
    pub(crate) fn order_id_required() -> UpstoxError {
        UpstoxError::bad(code::ORDER_ID_REQUIRED, "Order id is required").at("order_id", None)
    }

    /// 404 `UDAPI10000` for a path Upstox does not serve.
    pub(crate) fn not_found() -> UpstoxError {
        UpstoxError::new(
            StatusCode::NOT_FOUND,
            code::NOT_SUPPORTED,
            "This request is not supported by Upstox API",
        )
    }

    /// 405 `UDAPI10000` for a known path with the wrong method.
    pub(crate) fn method_not_allowed() -> UpstoxError {
        UpstoxError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            code::NOT_SUPPORTED,
            "This request is not supported by Upstox API: wrong method for this path",
        )
    }

    /// The error body.
    pub(crate) fn reply(&self) -> Reply {
        #[derive(Serialize)]
        struct Problem<'a> {
            error_code: &'a str,
            message: &'a str,
            property_path: Option<&'a str>,
            invalid_value: &'a Option<Value>,
            #[serde(rename = "errorCode")]
            error_code_camel: &'a str,
            #[serde(rename = "propertyPath")]
            property_path_camel: Option<&'a str>,
            #[serde(rename = "invalidValue")]
            invalid_value_camel: &'a Option<Value>,
        }
        #[derive(Serialize)]
        struct Body<'a> {
            status: &'static str,
            errors: [Problem<'a>; 1],
        }
        let path = self.property_path.as_deref();
        let body = serde_json::to_vec(&Body {
            status: "error",
            errors: [Problem {
                error_code: &self.code,
                message: &self.message,
                property_path: path,
                invalid_value: &self.invalid_value,
                error_code_camel: &self.code,
                property_path_camel: path,
                invalid_value_camel: &self.invalid_value,
            }],
        })
        .unwrap_or_default();
        reply::json(self.status, body)
    }
}

/// The reply of an injected fault: `error_type` is the `error_code` when it is an Upstox code
/// (`UDAPI...`), else the generic `UDAPI100500` (a Kite-style `NetworkException` means nothing
/// to an Upstox client).
pub(crate) fn fault_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    let code = if error_type.starts_with("UDAPI") {
        error_type
    } else {
        code::GENERIC
    };
    UpstoxError::new(status, code, message).reply()
}

#[derive(Serialize)]
struct Envelope<'a, T: ?Sized> {
    status: &'static str,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
}

/// The `metadata` of a v3 order call.
#[derive(Debug, Clone, Copy, Serialize)]
struct Metadata {
    /// Milliseconds the call took.
    latency: u64,
}

fn envelope<T: Serialize + ?Sized>(data: &T, metadata: Option<Metadata>) -> Reply {
    match serde_json::to_vec(&Envelope {
        status: "success",
        data,
        metadata,
    }) {
        Ok(body) => reply::json(StatusCode::OK, body),
        Err(e) => UpstoxError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::GENERIC,
            format!("could not encode the response: {e}"),
        )
        .reply(),
    }
}

/// `{"status":"success","data":...}` with 200.
pub(crate) fn success<T: Serialize + ?Sized>(data: &T) -> Reply {
    envelope(data, None)
}

/// `{"status":"success","data":...,"metadata":{"latency":N}}`: a v3 order call's answer.
pub(crate) fn success_with_latency<T: Serialize + ?Sized>(data: &T, latency_ms: u64) -> Reply {
    envelope(
        data,
        Some(Metadata {
            latency: latency_ms,
        }),
    )
}

/// `POST /v2/login/authorization/token`: flat, not in an envelope: the profile's fields and
/// the tokens.
#[derive(Debug, Serialize)]
pub(crate) struct Token<'a> {
    #[serde(flatten)]
    pub(crate) profile: Profile<'a>,
    pub(crate) access_token: &'a str,
    pub(crate) extended_token: &'a str,
}

/// `GET /v2/user/profile`.
#[derive(Debug, Serialize)]
pub(crate) struct Profile<'a> {
    pub(crate) email: &'a str,
    pub(crate) exchanges: &'static [&'static str],
    pub(crate) products: &'static [&'static str],
    pub(crate) broker: &'static str,
    pub(crate) user_id: &'a str,
    pub(crate) user_name: &'a str,
    pub(crate) order_types: &'static [&'static str],
    pub(crate) user_type: &'static str,
    pub(crate) poa: bool,
    pub(crate) is_active: bool,
}

/// One segment of `GET /v2/user/get-funds-and-margin`.
#[derive(Debug, Serialize)]
pub(crate) struct FundSegment {
    #[serde(serialize_with = "amount")]
    pub(crate) used_margin: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) payin_amount: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) span_margin: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) adhoc_margin: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) notional_cash: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) available_margin: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) exposure_margin: Amount,
}

/// `GET /v2/user/get-funds-and-margin`: the segments asked for.
#[derive(Debug, Serialize)]
pub(crate) struct Funds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) equity: Option<FundSegment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) commodity: Option<FundSegment>,
}

/// One entry of `GET /v2/portfolio/long-term-holdings`.
#[derive(Debug, Serialize)]
pub(crate) struct Holding<'a> {
    pub(crate) isin: &'a str,
    pub(crate) cnc_used_quantity: u64,
    pub(crate) collateral_type: &'a str,
    pub(crate) company_name: &'a str,
    pub(crate) haircut: f64,
    pub(crate) product: &'static str,
    pub(crate) quantity: u64,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) trading_symbol: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) close_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) pnl: Amount,
    #[serde(serialize_with = "price")]
    pub(crate) day_change: Price,
    pub(crate) day_change_percentage: f64,
    pub(crate) instrument_token: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) collateral_quantity: u64,
    pub(crate) collateral_update_quantity: u64,
    pub(crate) t1_quantity: u64,
    pub(crate) exchange: &'a str,
}

/// One entry of `GET /v2/portfolio/short-term-positions`.
#[derive(Debug, Serialize)]
pub(crate) struct Position<'a> {
    pub(crate) exchange: &'a str,
    pub(crate) multiplier: f64,
    #[serde(serialize_with = "amount")]
    pub(crate) value: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) pnl: Amount,
    pub(crate) product: &'static str,
    pub(crate) instrument_token: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) buy_value: Amount,
    pub(crate) overnight_quantity: i64,
    #[serde(serialize_with = "amount")]
    pub(crate) day_buy_value: Amount,
    #[serde(serialize_with = "price")]
    pub(crate) day_buy_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) overnight_buy_amount: Amount,
    pub(crate) overnight_buy_quantity: u64,
    pub(crate) day_buy_quantity: u64,
    #[serde(serialize_with = "amount")]
    pub(crate) day_sell_value: Amount,
    #[serde(serialize_with = "price")]
    pub(crate) day_sell_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) overnight_sell_amount: Amount,
    pub(crate) overnight_sell_quantity: u64,
    pub(crate) day_sell_quantity: u64,
    pub(crate) quantity: i64,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    #[serde(serialize_with = "amount")]
    pub(crate) unrealised: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) realised: Amount,
    #[serde(serialize_with = "amount")]
    pub(crate) sell_value: Amount,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) trading_symbol: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) close_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) buy_price: Price,
    #[serde(serialize_with = "price")]
    pub(crate) sell_price: Price,
}

/// An order, as the order book, `/v2/order/details` and each entry of `/v2/order/history`
/// show it.
#[derive(Debug, Serialize)]
pub(crate) struct Order<'a> {
    pub(crate) exchange: &'a str,
    pub(crate) product: &'static str,
    #[serde(serialize_with = "price")]
    pub(crate) price: Price,
    pub(crate) quantity: u32,
    pub(crate) status: &'static str,
    pub(crate) guid: Option<&'a str>,
    pub(crate) tag: Option<&'a str>,
    pub(crate) instrument_token: &'a str,
    pub(crate) placed_by: &'a str,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) trading_symbol: &'a str,
    pub(crate) order_type: &'static str,
    pub(crate) validity: &'static str,
    #[serde(serialize_with = "price")]
    pub(crate) trigger_price: Price,
    pub(crate) disclosed_quantity: u32,
    pub(crate) transaction_type: &'static str,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) filled_quantity: u32,
    pub(crate) pending_quantity: u32,
    pub(crate) status_message: Option<&'a str>,
    pub(crate) status_message_raw: Option<&'a str>,
    pub(crate) exchange_order_id: Option<&'a str>,
    pub(crate) parent_order_id: Option<&'a str>,
    pub(crate) order_id: &'a str,
    pub(crate) variety: &'static str,
    pub(crate) order_timestamp: &'a str,
    pub(crate) exchange_timestamp: Option<&'a str>,
    pub(crate) is_amo: bool,
    pub(crate) order_request_id: String,
    pub(crate) order_ref_id: Option<&'a str>,
}

/// One trade of `/v2/order/trades/get-trades-for-day` or `/v2/order/trades`.
#[derive(Debug, Serialize)]
pub(crate) struct Trade<'a> {
    pub(crate) exchange: &'a str,
    pub(crate) product: &'static str,
    pub(crate) tradingsymbol: &'a str,
    pub(crate) trading_symbol: &'a str,
    pub(crate) instrument_token: &'a str,
    pub(crate) order_type: &'static str,
    pub(crate) transaction_type: &'static str,
    pub(crate) quantity: u32,
    pub(crate) exchange_order_id: &'a str,
    pub(crate) order_id: &'a str,
    pub(crate) exchange_timestamp: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) trade_id: &'a str,
    pub(crate) order_ref_id: Option<&'a str>,
    pub(crate) order_timestamp: &'a str,
}

/// `{"order_id": ...}`: what v2 place and every modify and cancel answer.
#[derive(Debug, Serialize)]
pub(crate) struct OrderAck<'a> {
    pub(crate) order_id: &'a str,
}

/// `{"order_ids": [...]}`: what v3 place answers (one id per slice).
#[derive(Debug, Serialize)]
pub(crate) struct OrderIds<'a> {
    pub(crate) order_ids: &'a [String],
}

/// One instrument of `GET /v2/market-quote/quotes`.
#[derive(Debug, Serialize)]
pub(crate) struct Quote<'a> {
    pub(crate) ohlc: Ohlc,
    pub(crate) depth: Depth,
    /// ISO 8601 with `+05:30`.
    pub(crate) timestamp: String,
    pub(crate) instrument_token: &'a str,
    pub(crate) symbol: &'a str,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) volume: u64,
    #[serde(serialize_with = "price")]
    pub(crate) average_price: Price,
    pub(crate) oi: u64,
    #[serde(serialize_with = "price")]
    pub(crate) net_change: Price,
    pub(crate) total_buy_quantity: u64,
    pub(crate) total_sell_quantity: u64,
    #[serde(serialize_with = "price")]
    pub(crate) lower_circuit_limit: Price,
    #[serde(serialize_with = "price")]
    pub(crate) upper_circuit_limit: Price,
    /// Epoch milliseconds, as a string.
    pub(crate) last_trade_time: String,
    pub(crate) oi_day_high: u64,
    pub(crate) oi_day_low: u64,
}

/// One instrument of `GET /v2/market-quote/ohlc`.
#[derive(Debug, Serialize)]
pub(crate) struct OhlcQuote<'a> {
    pub(crate) ohlc: Ohlc,
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) instrument_token: &'a str,
}

/// One instrument of `GET /v2/market-quote/ltp`.
#[derive(Debug, Serialize)]
pub(crate) struct LtpQuote<'a> {
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) instrument_token: &'a str,
}

/// One instrument of `GET /v3/market-quote/ltp`.
#[derive(Debug, Serialize)]
pub(crate) struct LtpQuoteV3<'a> {
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) instrument_token: &'a str,
    pub(crate) ltq: u32,
    pub(crate) volume: u64,
    #[serde(serialize_with = "price")]
    pub(crate) cp: Price,
}

/// A candle of `GET /v3/market-quote/ohlc`: open, high, low, close, volume and start.
#[derive(Debug, Serialize)]
pub(crate) struct Candle {
    #[serde(flatten)]
    pub(crate) ohlc: Ohlc,
    pub(crate) volume: u64,
    /// The candle's start, epoch milliseconds.
    pub(crate) ts: i64,
}

/// One instrument of `GET /v3/market-quote/ohlc`.
#[derive(Debug, Serialize)]
pub(crate) struct OhlcQuoteV3<'a> {
    #[serde(serialize_with = "price")]
    pub(crate) last_price: Price,
    pub(crate) instrument_token: &'a str,
    pub(crate) prev_ohlc: Candle,
    pub(crate) live_ohlc: Candle,
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn error_bodies_carry_both_spellings() {
        let reply = UpstoxError::order_not_found("1").reply();
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
        let body = reply.into_body().collect().await.unwrap().to_bytes();
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "error");
        let problem = &json["errors"][0];
        assert_eq!(problem["error_code"], "UDAPI100010");
        assert_eq!(problem["errorCode"], "UDAPI100010");
        assert_eq!(problem["property_path"], "order_id");
        assert_eq!(problem["propertyPath"], "order_id");
        assert_eq!(problem["invalid_value"], "1");
        assert_eq!(problem["invalidValue"], "1");
    }
}
