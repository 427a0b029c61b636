//! The one public error type of the SDK.
//!
//! Adapters and the lower crates have their own error enums where their failure modes differ;
//! all of them become an [`Error`] at the boundary. Every variant says what failed, with which
//! input, and [`Error::retryable`] says whether trying again can help. No variant ever holds an
//! access token, an API secret or a request signature.

use std::fmt;
use std::time::Duration;

use crate::{ClientTag, InstrumentError, InvalidOrderReason, OrderChange, OrderId};

/// Everything that can go wrong in tt-connect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials were refused (a wrong API key or secret, a bad checksum, a forbidden call).
    #[error("{broker}: authentication failed: {message}")]
    Authentication {
        /// The broker.
        broker: &'static str,
        /// The broker's explanation.
        message: String,
    },
    /// The session's access token expired or was invalidated; the user must log in again.
    #[error("{broker}: session expired, log in again: {message}")]
    SessionExpired {
        /// The broker.
        broker: &'static str,
        /// The broker's explanation.
        message: String,
    },
    /// The broker's rate limit was hit.
    #[error("{broker}: rate limited{}", RetryAfter(*.retry_after))]
    RateLimited {
        /// The broker.
        broker: &'static str,
        /// How long the broker asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The account lacks the margin or cash for the order.
    #[error("{broker}: insufficient funds: {message}")]
    InsufficientFunds {
        /// The broker.
        broker: &'static str,
        /// The broker's explanation.
        message: String,
    },
    /// No instrument matches the spec (in the master, or on this broker).
    #[error("instrument not found: {spec}{}", OnBroker(*.broker))]
    InstrumentNotFound {
        /// The instrument or token looked up.
        spec: String,
        /// The broker it was looked up for, if one.
        broker: Option<&'static str>,
    },
    /// More than one instrument matches the spec; nothing is ever resolved by first match.
    #[error("ambiguous instrument {spec}: matches {}", .candidates.join(", "))]
    AmbiguousInstrument {
        /// The spec looked up.
        spec: String,
        /// The instruments it matches.
        candidates: Vec<String>,
    },
    /// An instrument failed validation.
    #[error("invalid instrument: {0}")]
    InvalidInstrument(#[from] InstrumentError),
    /// The broker does not support the segment, order type, product, validity or stream mode.
    /// Raised before any network call.
    #[error("{broker} does not support {feature}")]
    UnsupportedFeature {
        /// The broker.
        broker: &'static str,
        /// What it does not support, e.g. `MCX segment`.
        feature: String,
    },
    /// A subscription would pass the broker's streaming limits (instruments per connection,
    /// connections, instruments per mode). Raised before anything is sent; the feed keeps its
    /// previous subscriptions.
    #[error("{broker}: subscription limit: {limit} allows {allowed}, {requested} asked")]
    SubscriptionLimit {
        /// The broker.
        broker: &'static str,
        /// Which limit, e.g. `instruments per connection × 3 connections`.
        limit: String,
        /// How many it allows.
        allowed: usize,
        /// How many the subscription would make.
        requested: usize,
    },
    /// The broker refused an order operation for a business reason (holdings, order state).
    #[error("{broker}: order error{}: {message}", Code(.code))]
    Order {
        /// The broker.
        broker: &'static str,
        /// The broker's error code, where it gave one.
        code: Option<String>,
        /// The broker's explanation.
        message: String,
    },
    /// The order's parameters break a rule; checked locally before any network call where
    /// possible.
    #[error("invalid order{}: {reason}", ForInstrument(.instrument))]
    InvalidOrder {
        /// The instrument, in canonical text, where known.
        instrument: Option<String>,
        /// The rule broken, with the values.
        reason: InvalidOrderReason,
    },
    /// The order id is not in the broker's order book.
    #[error("{broker}: order {order_id} not found")]
    OrderNotFound {
        /// The broker.
        broker: &'static str,
        /// The id looked up.
        order_id: OrderId,
    },
    /// A place, modify or cancel request may have reached the broker, but no definite answer came
    /// back (a timeout after sending, a dropped connection, a 5xx, an unreadable reply). It was
    /// not retried. Look the order up by its tag before doing anything else.
    #[error(
        "{broker}: outcome of the order tagged {tag} is unknown ({reason}); reconcile by tag before retrying"
    )]
    OrderOutcomeUnknown {
        /// The broker.
        broker: &'static str,
        /// The order's client tag.
        tag: ClientTag,
        /// What happened instead of an answer.
        reason: String,
    },
    /// A modification or cancellation may or may not have reached the broker (a timeout after
    /// sending, a dropped connection, a 5xx). Never retry blindly: the order's history shows
    /// whether the change took (`Client::reconcile_change` in tt-connect reads it).
    #[error(
        "{broker}: outcome of the {change} of order {order_id} is unknown ({reason}); read the order's history before retrying"
    )]
    OrderChangeOutcomeUnknown {
        /// The broker.
        broker: &'static str,
        /// The order that was to change.
        order_id: OrderId,
        /// What was asked.
        change: OrderChange,
        /// What happened instead of an answer.
        reason: String,
    },
    /// A broker error with no canonical meaning, kept verbatim.
    #[error("{broker}: {code}{}: {message}", HttpStatus(*.status))]
    Broker {
        /// The broker.
        broker: &'static str,
        /// The HTTP status, when there was a response.
        status: Option<u16>,
        /// The broker's error code or type.
        code: String,
        /// The broker's message.
        message: String,
    },
    /// The broker sent something we could not read: malformed JSON, a truncated packet, an
    /// unknown enum value.
    #[error("{broker}: malformed {what}: {detail}")]
    MalformedResponse {
        /// The broker.
        broker: &'static str,
        /// What was being read, e.g. `order book response`, `full-mode tick`.
        what: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The connection failed before a response (refused, reset, DNS, TLS).
    #[error("{broker}: network error: {message}")]
    Network {
        /// The broker.
        broker: &'static str,
        /// What failed.
        message: String,
    },
    /// No response within the timeout.
    #[error("{broker}: no response within {after:?}")]
    Timeout {
        /// The broker.
        broker: &'static str,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The SDK was set up wrongly: an unknown or compiled-out broker, a missing setting.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// True when the same call may succeed if tried again later: rate limits, network failures
    /// and timeouts. Never true for [`Error::OrderOutcomeUnknown`]: reconcile first.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tt_core::Error;
    ///
    /// let limited = Error::RateLimited { broker: "zerodha", retry_after: None };
    /// assert!(limited.retryable());
    /// let expired = Error::SessionExpired { broker: "zerodha", message: "token expired".into() };
    /// assert!(!expired.retryable());
    /// ```
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Network { .. } | Error::Timeout { .. }
        )
    }

    /// True for the order family: [`Error::Order`], [`Error::InvalidOrder`],
    /// [`Error::OrderNotFound`] (the design's `OrderError` and its subclasses).
    pub fn is_order_error(&self) -> bool {
        matches!(
            self,
            Error::Order { .. } | Error::InvalidOrder { .. } | Error::OrderNotFound { .. }
        )
    }

    /// True when the user must (re-)authenticate: [`Error::Authentication`] or
    /// [`Error::SessionExpired`].
    pub fn is_auth_error(&self) -> bool {
        matches!(
            self,
            Error::Authentication { .. } | Error::SessionExpired { .. }
        )
    }
}

struct RetryAfter(Option<Duration>);

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(after) => write!(f, ", retry after {after:?}"),
            None => Ok(()),
        }
    }
}

struct OnBroker(Option<&'static str>);

impl fmt::Display for OnBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(broker) => write!(f, " on {broker}"),
            None => Ok(()),
        }
    }
}

struct Code<'a>(&'a Option<String>);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(code) => write!(f, " {code}"),
            None => Ok(()),
        }
    }
}

struct ForInstrument<'a>(&'a Option<String>);

impl fmt::Display for ForInstrument<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(instrument) => write!(f, " for {instrument}"),
            None => Ok(()),
        }
    }
}

struct HttpStatus(Option<u16>);

impl fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, " (HTTP {status})"),
            None => Ok(()),
        }
    }
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn all_variants() -> Vec<(Error, bool)> {
        let broker = "zerodha";
        vec![
            (
                Error::Authentication {
                    broker,
                    message: "bad checksum".into(),
                },
                false,
            ),
            (
                Error::SessionExpired {
                    broker,
                    message: "token expired".into(),
                },
                false,
            ),
            (
                Error::RateLimited {
                    broker,
                    retry_after: Some(Duration::from_secs(1)),
                },
                true,
            ),
            (
                Error::RateLimited {
                    broker,
                    retry_after: None,
                },
                true,
            ),
            (
                Error::InsufficientFunds {
                    broker,
                    message: "margin short".into(),
                },
                false,
            ),
            (
                Error::InstrumentNotFound {
                    spec: "NSE:NOPE".into(),
                    broker: Some(broker),
                },
                false,
            ),
            (
                Error::AmbiguousInstrument {
                    spec: "NSE:IDEA".into(),
                    candidates: vec!["a".into(), "b".into()],
                },
                false,
            ),
            (
                Error::InvalidInstrument(InstrumentError::EmptySymbol),
                false,
            ),
            (
                Error::UnsupportedFeature {
                    broker,
                    feature: "MCX segment".into(),
                },
                false,
            ),
            (
                Error::Order {
                    broker,
                    code: Some("OrderException".into()),
                    message: "x".into(),
                },
                false,
            ),
            (
                Error::InvalidOrder {
                    instrument: None,
                    reason: InvalidOrderReason::ZeroQuantity,
                },
                false,
            ),
            (
                Error::OrderNotFound {
                    broker,
                    order_id: OrderId::new("1").unwrap(),
                },
                false,
            ),
            (
                Error::OrderOutcomeUnknown {
                    broker,
                    tag: ClientTag::new("t1").unwrap(),
                    reason: "timed out after sending".into(),
                },
                false,
            ),
            (
                Error::OrderChangeOutcomeUnknown {
                    broker,
                    order_id: OrderId::new("1").unwrap(),
                    change: OrderChange::Cancel,
                    reason: "timed out after sending".into(),
                },
                false,
            ),
            (
                Error::Broker {
                    broker,
                    status: Some(502),
                    code: "NetworkException".into(),
                    message: "OMS down".into(),
                },
                false,
            ),
            (
                Error::MalformedResponse {
                    broker,
                    what: "order book".into(),
                    detail: "expected array".into(),
                },
                false,
            ),
            (
                Error::Network {
                    broker,
                    message: "connection reset".into(),
                },
                true,
            ),
            (
                Error::Timeout {
                    broker,
                    after: Duration::from_secs(7),
                },
                true,
            ),
            (Error::Config("unknown broker".into()), false),
        ]
    }

    #[test]
    fn retryability_per_variant() {
        for (error, retryable) in all_variants() {
            assert_eq!(error.retryable(), retryable, "{error}");
        }
    }

    #[test]
    fn families() {
        let errors = all_variants();
        let orders: Vec<_> = errors.iter().filter(|(e, _)| e.is_order_error()).collect();
        assert_eq!(orders.len(), 3);
        let auth: Vec<_> = errors.iter().filter(|(e, _)| e.is_auth_error()).collect();
        assert_eq!(auth.len(), 2);
    }

    #[test]
    fn messages_say_what_failed() {
        let e = Error::UnsupportedFeature {
            broker: "zerodha",
            feature: "MCX segment".into(),
        };
        assert_eq!(e.to_string(), "zerodha does not support MCX segment");
        let e = Error::RateLimited {
            broker: "upstox",
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(e.to_string(), "upstox: rate limited, retry after 2s");
        let e = Error::Broker {
            broker: "zerodha",
            status: Some(502),
            code: "NetworkException".into(),
            message: "OMS down".into(),
        };
        assert_eq!(
            e.to_string(),
            "zerodha: NetworkException (HTTP 502): OMS down"
        );
        let e = Error::OrderOutcomeUnknown {
            broker: "zerodha",
            tag: ClientTag::new("abc").unwrap(),
            reason: "connection dropped".into(),
        };
        assert!(e.to_string().contains("tagged abc"));
        let e = Error::OrderChangeOutcomeUnknown {
            broker: "zerodha",
            order_id: OrderId::new("151220000000042").unwrap(),
            change: OrderChange::Cancel,
            reason: "connection dropped".into(),
        };
        assert!(
            e.to_string()
                .contains("cancellation of order 151220000000042 is unknown"),
            "{e}"
        );
        let e = Error::AmbiguousInstrument {
            spec: "NSE:IDEA".into(),
            candidates: vec!["NSE:IDEA".into(), "NSE:IDEA-BE".into()],
        };
        assert_eq!(
            e.to_string(),
            "ambiguous instrument NSE:IDEA: matches NSE:IDEA, NSE:IDEA-BE"
        );
        for (error, _) in all_variants() {
            assert!(!error.to_string().is_empty());
        }
    }
}
