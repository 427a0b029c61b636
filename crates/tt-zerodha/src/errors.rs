//! Kite's error map: which responses are errors, and which canonical error each is.
//!
//! Kite answers errors with an HTTP status of 400 or more and the envelope
//! `{"status":"error","message":...,"error_type":...}`. The status comes from the response, never
//! from a table (the official clients' tables disagree). Every documented `error_type` is mapped:
//!
//! | error_type | HTTP | canonical error |
//! |---|---|---|
//! | any | 429 | `RateLimited` (with `Retry-After` when sent) |
//! | `TokenException` | 403 | `SessionExpired` (the session is dropped, the expiry hook fires) |
//! | `PermissionException`, `UserException`, `TwoFAException` | 403 | `Authentication` |
//! | `InputException` | 400 | `InvalidOrder` on order calls, else `Broker` |
//! | `OrderException` | 4xx | `Order` |
//! | `MarginException` | 4xx | `InsufficientFunds` |
//! | `HoldingException` | 4xx | `Order` (not enough holdings to sell) |
//! | `GeneralException` (or none) | 404 on an order | `OrderNotFound` |
//! | `NetworkException`, `DataException`, `GeneralException`, unknown | any | `Broker` with the code, message and status |

use tt_core::{Error, InvalidOrderReason, OrderId};
use tt_transport::{RawResponse, ResponseCheck, retry_after};

use crate::wire::ErrorBody;

/// The name errors carry.
pub(crate) const BROKER: &str = "zerodha";

/// What the call was, so the same `error_type` can mean what it means there.
#[derive(Debug, Clone, Default)]
pub(crate) struct KiteCheck {
    /// Place, modify or cancel.
    pub(crate) order_call: bool,
    /// The order the call was about, if any.
    pub(crate) order_id: Option<OrderId>,
}

impl KiteCheck {
    pub(crate) fn read() -> KiteCheck {
        KiteCheck::default()
    }

    pub(crate) fn order_call(order_id: Option<OrderId>) -> KiteCheck {
        KiteCheck {
            order_call: true,
            order_id,
        }
    }

    pub(crate) fn about(order_id: &OrderId) -> KiteCheck {
        KiteCheck {
            order_call: false,
            order_id: Some(order_id.clone()),
        }
    }

    /// Maps a failed response (or a success status with an error envelope).
    pub(crate) fn map(
        &self,
        response: &RawResponse,
        error_type: Option<&str>,
        message: Option<&str>,
    ) -> Error {
        let status = response.status;
        let message = message
            .filter(|m| !m.is_empty())
            .map_or_else(|| format!("HTTP {status}"), str::to_owned);
        if status == 429 {
            return Error::RateLimited {
                broker: BROKER,
                retry_after: retry_after(response),
            };
        }
        let code = error_type.unwrap_or("GeneralException");
        if let (404, Some(order_id), "GeneralException" | "InputException" | "OrderException") =
            (status, &self.order_id, code)
        {
            return Error::OrderNotFound {
                broker: BROKER,
                order_id: order_id.clone(),
            };
        }
        match code {
            "TokenException" => Error::SessionExpired {
                broker: BROKER,
                message,
            },
            "PermissionException" | "PermissionError" | "UserException" | "TwoFAException" => {
                Error::Authentication {
                    broker: BROKER,
                    message,
                }
            }
            "InputException" if self.order_call => Error::InvalidOrder {
                instrument: None,
                reason: InvalidOrderReason::Rejected { message },
            },
            "OrderException" | "HoldingException" => Error::Order {
                broker: BROKER,
                code: Some(code.to_owned()),
                message,
            },
            "MarginException" => Error::InsufficientFunds {
                broker: BROKER,
                message,
            },
            _ => Error::Broker {
                broker: BROKER,
                status: Some(status),
                code: code.to_owned(),
                message,
            },
        }
    }
}

impl ResponseCheck for KiteCheck {
    fn check(&self, response: &RawResponse) -> Result<(), Error> {
        if response.status < 400 {
            return Ok(());
        }
        let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
        Err(self.map(
            response,
            body.error_type.as_deref(),
            body.message.as_deref(),
        ))
    }

    /// `data.order_id` of an order call's success, for the transport's outcome log.
    fn order_id(&self, response: &RawResponse) -> Option<String> {
        let envelope: crate::wire::Envelope<crate::wire::OrderIdData> =
            serde_json::from_slice(&response.body).ok()?;
        envelope.data?.order_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, error_type: &str, message: &str) -> RawResponse {
        RawResponse {
            status,
            headers: http::HeaderMap::new(),
            body: Bytes::from(format!(
                r#"{{"status":"error","message":"{message}","error_type":"{error_type}","data":null}}"#
            )),
        }
    }

    fn check(check: &KiteCheck, status: u16, error_type: &str) -> Error {
        check
            .check(&response(status, error_type, "broker says no"))
            .unwrap_err()
    }

    #[test]
    fn the_order_id_of_a_success_is_read_for_the_outcome_log() {
        let success = RawResponse {
            status: 200,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(
                br#"{"status":"success","data":{"order_id":"151220000000000"}}"#,
            ),
        };
        let check = KiteCheck::order_call(None);
        assert_eq!(check.order_id(&success).as_deref(), Some("151220000000000"));
        assert_eq!(check.order_id(&response(400, "InputException", "no")), None);
    }

    #[test]
    fn every_documented_error_type_maps() {
        let read = KiteCheck::read();
        let order = KiteCheck::order_call(None);
        assert!(matches!(
            check(&read, 403, "TokenException"),
            Error::SessionExpired { .. }
        ));
        for t in [
            "PermissionException",
            "PermissionError",
            "UserException",
            "TwoFAException",
        ] {
            assert!(
                matches!(check(&read, 403, t), Error::Authentication { .. }),
                "{t}"
            );
        }
        assert!(matches!(
            check(&order, 400, "InputException"),
            Error::InvalidOrder { .. }
        ));
        assert!(matches!(
            check(&read, 400, "InputException"),
            Error::Broker { .. }
        ));
        assert!(matches!(
            check(&order, 400, "OrderException"),
            Error::Order { .. }
        ));
        assert!(matches!(
            check(&order, 400, "HoldingException"),
            Error::Order { .. }
        ));
        assert!(matches!(
            check(&order, 400, "MarginException"),
            Error::InsufficientFunds { .. }
        ));
        for t in [
            "NetworkException",
            "DataException",
            "GeneralException",
            "SomethingNew",
        ] {
            match check(&read, 502, t) {
                Error::Broker {
                    status: Some(502),
                    code,
                    message,
                    ..
                } => {
                    assert_eq!((code.as_str(), message.as_str()), (t, "broker says no"));
                }
                other => panic!("{t}: {other}"),
            }
        }
        assert!(matches!(
            check(&read, 429, "NetworkException"),
            Error::RateLimited { .. }
        ));
        let id = OrderId::new("151220000000000").unwrap();
        assert!(matches!(
            check(&KiteCheck::about(&id), 404, "GeneralException"),
            Error::OrderNotFound { .. }
        ));
    }

    #[test]
    fn successes_pass_and_garbage_error_bodies_still_map() {
        assert!(KiteCheck::read().check(&response(200, "", "")).is_ok());
        let garbage = RawResponse {
            status: 500,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(b"<html>oops</html>"),
        };
        match KiteCheck::read().check(&garbage).unwrap_err() {
            Error::Broker {
                status: Some(500),
                code,
                message,
                ..
            } => {
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("GeneralException", "HTTP 500")
                );
            }
            other => panic!("{other}"),
        }
    }
}
