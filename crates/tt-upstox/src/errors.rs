//! Upstox's error map: which responses are errors, and which canonical error each is.
//!
//! Upstox answers errors with an HTTP status of 400 or more and the envelope
//! `{"status":"error","errors":[{"error_code":..,"message":..,"property_path":..}]}`; each error
//! object also carries the deprecated camelCase `errorCode`, which is read when `error_code` is
//! missing (the first error object decides). The status comes from the response:
//!
//! | error_code | HTTP | canonical error |
//! |---|---|---|
//! | `UDAPI10005`, or any code | 429 | `RateLimited` (with `Retry-After` when sent; Upstox documents none) |
//! | `UDAPI100016`, `UDAPI100067`, `UDAPI100068`, `UDAPI100073` | any | `Authentication` (bad credentials, extended-token misuse, client id or redirect URI, inactive app) |
//! | `UDAPI100050`, or any other code | 401 | `SessionExpired` (the session is dropped, the expiry hook fires) |
//! | `UDAPI100010` | any | `OrderNotFound` on a call about an order, else `Broker` |
//! | `UDAPI1004`, `UDAPI1007`, `UDAPI1010`, `UDAPI1023`, `UDAPI1055`, `UDAPI1056`, `UDAPI100036`, `UDAPI100038` (input errors) | 4xx | `InvalidOrder` on order calls, else `Broker` |
//! | `UDAPI100040` (the order is already cancelled, rejected or complete), `UDAPI100049` (order APIs restricted for the account) | any | `Order` |
//! | `UDAPI100500`, unknown codes, no code | any | `Broker` with the code, message and status |
//!
//! Upstox has no insufficient-funds code: a margin shortfall is a `rejected` order with the
//! reason in `status_message`, or a `UDAPI100500` with prose, which stays a `Broker` error.

use tt_core::{Error, InvalidOrderReason, OrderId};
use tt_transport::{RawResponse, ResponseCheck, retry_after};

use crate::wire::{ErrorBody, PlaceData};

/// The name errors carry.
pub(crate) const BROKER: &str = "upstox";

/// Input errors that, on an order call, mean the order itself was wrong.
const ORDER_INPUT_ERRORS: [&str; 8] = [
    "UDAPI1004",
    "UDAPI1007",
    "UDAPI1010",
    "UDAPI1023",
    "UDAPI1055",
    "UDAPI1056",
    "UDAPI100036",
    "UDAPI100038",
];

/// What the call was, so the same code can mean what it means there.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpstoxCheck {
    /// Place, modify or cancel.
    order_call: bool,
    /// The order the call was about, if any.
    order_id: Option<OrderId>,
}

impl UpstoxCheck {
    /// A call that is neither about an order nor changes one.
    pub(crate) fn read() -> UpstoxCheck {
        UpstoxCheck::default()
    }

    /// An order call: a placement (`None`) or a change of `order_id`.
    pub(crate) fn order_call(order_id: Option<OrderId>) -> UpstoxCheck {
        UpstoxCheck {
            order_call: true,
            order_id,
        }
    }

    /// A read about one order (its details, history, trades).
    pub(crate) fn about(order_id: &OrderId) -> UpstoxCheck {
        UpstoxCheck {
            order_call: false,
            order_id: Some(order_id.clone()),
        }
    }

    /// Maps a failed response (or a success status with an error envelope).
    pub(crate) fn map(&self, status: u16, response: &RawResponse, body: &ErrorBody) -> Error {
        let (code, message) = body.first();
        let message = message
            .filter(|m| !m.is_empty())
            .map_or_else(|| format!("HTTP {status}"), str::to_owned);
        if status == 429 || code == Some("UDAPI10005") {
            return Error::RateLimited {
                broker: BROKER,
                retry_after: retry_after(response),
            };
        }
        let code = code.unwrap_or_default();
        // Credentials refused (a login's, or an app's) are not a session ending, even on a 401.
        if let "UDAPI100016" | "UDAPI100067" | "UDAPI100068" | "UDAPI100073" = code {
            return Error::Authentication {
                broker: BROKER,
                message: format!("{code}: {message}"),
            };
        }
        if status == 401 || code == "UDAPI100050" {
            return Error::SessionExpired {
                broker: BROKER,
                message,
            };
        }
        match code {
            "UDAPI100010" => match &self.order_id {
                Some(order_id) => Error::OrderNotFound {
                    broker: BROKER,
                    order_id: order_id.clone(),
                },
                None => self.verbatim(status, code, message),
            },
            "UDAPI100040" | "UDAPI100049" => Error::Order {
                broker: BROKER,
                code: Some(code.to_owned()),
                message,
            },
            input if self.order_call && ORDER_INPUT_ERRORS.contains(&input) => {
                Error::InvalidOrder {
                    instrument: None,
                    reason: InvalidOrderReason::Rejected {
                        message: format!("{code}: {message}"),
                    },
                }
            }
            _ => self.verbatim(status, code, message),
        }
    }

    fn verbatim(&self, status: u16, code: &str, message: String) -> Error {
        Error::Broker {
            broker: BROKER,
            status: Some(status),
            code: if code.is_empty() {
                "no error code".to_owned()
            } else {
                code.to_owned()
            },
            message,
        }
    }
}

impl ResponseCheck for UpstoxCheck {
    fn check(&self, response: &RawResponse) -> Result<(), Error> {
        if response.status < 400 {
            return Ok(());
        }
        let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
        Err(self.map(response.status, response, &body))
    }

    /// The order id of an order call's success (`data.order_ids` of a placement, joined when
    /// there are several; `data.order_id` of a change), for the transport's outcome log.
    fn order_id(&self, response: &RawResponse) -> Option<String> {
        let envelope: crate::wire::Envelope<PlaceData> =
            serde_json::from_slice(&response.body).ok()?;
        let data = envelope.data?;
        match (data.order_ids, data.order_id) {
            (Some(ids), _) if !ids.is_empty() => Some(ids.join(",")),
            (_, id) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            headers: http::HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    fn error(code: &str) -> String {
        format!(
            r#"{{"status":"error","errors":[{{"errorCode":"{code}","message":"broker says no","propertyPath":null,"invalidValue":null,"error_code":"{code}","property_path":null,"invalid_value":null}}]}}"#
        )
    }

    fn check(check: &UpstoxCheck, status: u16, code: &str) -> Error {
        check.check(&response(status, &error(code))).unwrap_err()
    }

    #[test]
    fn every_documented_code_maps() {
        let read = UpstoxCheck::read();
        let order = UpstoxCheck::order_call(None);
        let id = OrderId::new("240108010918222").unwrap();
        let about = UpstoxCheck::about(&id);
        assert!(matches!(
            check(&read, 429, "UDAPI10005"),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            check(&read, 400, "UDAPI10005"),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            check(&read, 401, "UDAPI100050"),
            Error::SessionExpired { .. }
        ));
        assert!(matches!(
            check(&read, 401, "UDAPI100500"),
            Error::SessionExpired { .. }
        ));
        for code in ["UDAPI100016", "UDAPI100067", "UDAPI100068", "UDAPI100073"] {
            for status in [400, 401, 403] {
                assert!(
                    matches!(check(&read, status, code), Error::Authentication { .. }),
                    "{status} {code}"
                );
            }
        }
        match check(&about, 404, "UDAPI100010") {
            Error::OrderNotFound { order_id, .. } => assert_eq!(order_id, id),
            other => panic!("{other}"),
        }
        assert!(matches!(
            check(&read, 404, "UDAPI100010"),
            Error::Broker { .. }
        ));
        for code in ORDER_INPUT_ERRORS {
            assert!(
                matches!(check(&order, 400, code), Error::InvalidOrder { .. }),
                "{code}"
            );
            assert!(
                matches!(check(&read, 400, code), Error::Broker { .. }),
                "{code}"
            );
        }
        for code in ["UDAPI100040", "UDAPI100049"] {
            match check(&order, 400, code) {
                Error::Order {
                    code: Some(found), ..
                } => assert_eq!(found, code),
                other => panic!("{code}: {other}"),
            }
        }
        for code in ["UDAPI100500", "UDAPI999999"] {
            match check(&order, 500, code) {
                Error::Broker {
                    status: Some(500),
                    code: found,
                    message,
                    ..
                } => assert_eq!((found.as_str(), message.as_str()), (code, "broker says no")),
                other => panic!("{code}: {other}"),
            }
        }
    }

    #[test]
    fn the_deprecated_camel_case_code_is_read_when_the_snake_case_one_is_missing() {
        let camel = r#"{"status":"error","errors":[{"errorCode":"UDAPI100010","message":"Order not found"}]}"#;
        let id = OrderId::new("1").unwrap();
        assert!(matches!(
            UpstoxCheck::about(&id)
                .check(&response(400, camel))
                .unwrap_err(),
            Error::OrderNotFound { .. }
        ));
        // A bare object, as an unauthenticated call was seen to answer.
        let bare = r#"{"errorCode":"UDAPI100050","message":"Invalid token used to access API"}"#;
        match UpstoxCheck::read().check(&response(403, bare)).unwrap_err() {
            Error::SessionExpired { message, .. } => {
                assert_eq!(message, "Invalid token used to access API")
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn successes_pass_and_garbage_error_bodies_still_map() {
        assert!(UpstoxCheck::read().check(&response(200, "{}")).is_ok());
        match UpstoxCheck::read()
            .check(&response(502, "<html>bad gateway</html>"))
            .unwrap_err()
        {
            Error::Broker {
                status: Some(502),
                code,
                message,
                ..
            } => assert_eq!(
                (code.as_str(), message.as_str()),
                ("no error code", "HTTP 502")
            ),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn the_order_ids_of_a_success_are_read_for_the_outcome_log() {
        let check = UpstoxCheck::order_call(None);
        let placed = response(
            200,
            r#"{"status":"success","data":{"order_ids":["1","2"]},"metadata":{"latency":12}}"#,
        );
        assert_eq!(check.order_id(&placed).as_deref(), Some("1,2"));
        let changed = response(200, r#"{"status":"success","data":{"order_id":"9"}}"#);
        assert_eq!(check.order_id(&changed).as_deref(), Some("9"));
        assert_eq!(check.order_id(&response(400, &error("UDAPI1004"))), None);
    }
}
