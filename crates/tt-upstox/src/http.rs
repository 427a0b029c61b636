//! The HTTP plumbing onto the shared transport: Upstox's two hosts, its rate-limit buckets, one
//! request value per call, the headers every call carries (`Api-Version: 2.0` only where the v2
//! API wants it), and the session-expiry hook on `UDAPI100050` / HTTP 401.

use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tt_core::{ClientTag, Error, OrderAction, OrderChange, OrderId, Result};
use tt_transport::{ApiClient, CallKind, RateClass, RateLimit, RawResponse, form_body, request_to};

use crate::errors::{BROKER, UpstoxCheck};
use crate::{Upstox, transformer};

/// Upstox's order bucket (upstox-api §6): place, modify and cancel share one, so all three are
/// limited in one class (10/s, 500/min, 2000 per 30 minutes for unregistered algos).
pub(crate) const ORDER: RateClass = RateClass::OrderPlace;
/// Every other call: a standard API (50/s, 500/min, 2000 per 30 minutes). Upstox counts these
/// per API; limiting them all together, quotes included, errs on the side of fewer calls and
/// keeps within the limits however a gateway groups them.
pub(crate) const DEFAULT: RateClass = RateClass::Other;
/// Market quotes: a standard API like the rest, in the same bucket.
pub(crate) const QUOTE: RateClass = DEFAULT;

/// Where a call goes: single-order calls to the order root (`api-hft`), the rest to the API root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    Api,
    Orders,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Json(&'a serde_json::Value),
}

/// One call to Upstox: everything [`Upstox::send`] needs to build and send it.
pub(crate) struct UpstoxRequest<'a> {
    class: RateClass,
    kind: CallKind,
    host: Host,
    method: Method,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: Body<'a>,
    /// Sends `Api-Version: 2.0` (the v2 calls that require it; never the v3 ones).
    versioned: bool,
    check: &'a UpstoxCheck,
    authenticated: bool,
}

impl<'a> UpstoxRequest<'a> {
    /// An authenticated `GET` to the API root, retried on transient failures, without the
    /// `Api-Version` header (add it with [`UpstoxRequest::versioned`]).
    pub(crate) fn read(path: &'a str, check: &'a UpstoxCheck) -> Self {
        UpstoxRequest {
            class: DEFAULT,
            kind: CallKind::Read,
            host: Host::Api,
            method: Method::GET,
            path,
            query: &[],
            body: Body::None,
            versioned: false,
            check,
            authenticated: true,
        }
    }

    /// An authenticated order placement to the order root: sent at most once; an unknown
    /// outcome names `tag`.
    pub(crate) fn place(path: &'a str, tag: ClientTag, check: &'a UpstoxCheck) -> Self {
        UpstoxRequest {
            class: ORDER,
            kind: CallKind::Order(OrderAction::Place { tag }),
            host: Host::Orders,
            method: Method::POST,
            ..UpstoxRequest::read(path, check)
        }
    }

    /// An authenticated change to an existing order (`PUT` to modify, `DELETE` to cancel) to
    /// the order root: sent at most once, in the same bucket as placements (Upstox counts them
    /// together); an unknown outcome names the order and the change.
    pub(crate) fn change(
        path: &'a str,
        order_id: OrderId,
        change: OrderChange,
        check: &'a UpstoxCheck,
    ) -> Self {
        let method = match change {
            OrderChange::Modify(_) => Method::PUT,
            OrderChange::Cancel => Method::DELETE,
        };
        UpstoxRequest {
            class: ORDER,
            kind: CallKind::Order(OrderAction::Change { order_id, change }),
            host: Host::Orders,
            method,
            ..UpstoxRequest::read(path, check)
        }
    }

    /// A call about the session itself (the token exchange): sent once, unauthenticated.
    pub(crate) fn session(method: Method, path: &'a str, check: &'a UpstoxCheck) -> Self {
        UpstoxRequest {
            kind: CallKind::Once,
            method,
            authenticated: false,
            ..UpstoxRequest::read(path, check)
        }
    }

    /// The same call with another method.
    pub(crate) fn method(self, method: Method) -> Self {
        UpstoxRequest { method, ..self }
    }

    /// The same call sent once, not retried (a logout).
    pub(crate) fn once(self) -> Self {
        UpstoxRequest {
            kind: CallKind::Once,
            ..self
        }
    }

    /// The same call with `Api-Version: 2.0`.
    pub(crate) fn versioned(self) -> Self {
        UpstoxRequest {
            versioned: true,
            ..self
        }
    }

    /// The same call in another rate class.
    pub(crate) fn class(self, class: RateClass) -> Self {
        UpstoxRequest { class, ..self }
    }

    /// The same call with a query string.
    pub(crate) fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        UpstoxRequest { query, ..self }
    }

    /// The same call with a form body.
    pub(crate) fn form(self, form: &'a [(&'a str, &'a str)]) -> Self {
        UpstoxRequest {
            body: Body::Form(form),
            ..self
        }
    }

    /// The same call with a JSON body.
    pub(crate) fn json(self, json: &'a serde_json::Value) -> Self {
        UpstoxRequest {
            body: Body::Json(json),
            ..self
        }
    }
}

/// Upstox's published limits (upstox-api §6), per second, minute and half hour.
pub(crate) fn limits() -> [(RateClass, RateLimit); 2] {
    let n = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    let half_hour = Duration::from_secs(30 * 60);
    let standard = RateLimit::per_second(n(50))
        .and_per_minute(n(500))
        .and_per(half_hour, n(2000));
    let orders = RateLimit::per_second(n(10))
        .and_per_minute(n(500))
        .and_per(half_hour, n(2000));
    [(ORDER, orders), (DEFAULT, standard)]
}

impl Upstox {
    fn api(&self) -> Result<&ApiClient> {
        let config = &self.inner.config;
        let limits = config.rate_limited.then(limits);
        self.inner
            .api
            .get_or_build(BROKER, config.http, config.retry, limits)
    }

    /// Sends one request through the shared transport.
    pub(crate) async fn send(&self, call: UpstoxRequest<'_>) -> Result<RawResponse> {
        let UpstoxRequest {
            class,
            kind,
            host,
            method,
            path,
            query,
            body,
            versioned,
            check,
            authenticated,
        } = call;
        let config = &self.inner.config;
        let root = match host {
            Host::Api => config.root(),
            Host::Orders => config.orders_root(),
        };
        let mut request =
            request_to(method, root, path, query).header("Accept", "application/json");
        if versioned {
            request = request.header("Api-Version", "2.0");
        }
        if authenticated {
            let token = self.inner.session.access_token()?;
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        let body = match body {
            Body::None => Bytes::new(),
            Body::Form(form) => {
                request = request.header("Content-Type", "application/x-www-form-urlencoded");
                Bytes::from(form_body(form))
            }
            Body::Json(json) => {
                request = request.header("Content-Type", "application/json");
                Bytes::from(json.to_string())
            }
        };
        let request = request
            .body(body)
            .map_err(|_| Error::Config(format!("cannot build a request to {root}{path}")))?;
        let result = self.api()?.call(class, kind, request, check).await;
        // Only a call that sent the token can find it refused; a failed login ends no session.
        if authenticated {
            self.inner.session.watch(result)
        } else {
            result
        }
    }

    /// An authenticated read of Upstox's `data`, parsed into `T`.
    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        call: UpstoxRequest<'_>,
        what: &str,
    ) -> Result<T> {
        let check = call.check.clone();
        let response = self.send(call).await?;
        transformer::data(&response, what, &check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstoxs_published_limits_are_per_second_minute_and_half_hour() {
        let n = |n| NonZeroU32::new(n).unwrap();
        let half_hour = Duration::from_secs(1800);
        let limits = limits();
        let of = |class| {
            limits
                .iter()
                .find(|(c, _)| *c == class)
                .map(|(_, limit)| *limit)
                .unwrap()
        };
        let orders = of(ORDER);
        assert_eq!(
            (orders.per_second, orders.per_minute, orders.per_window),
            (n(10), Some(n(500)), Some((half_hour, n(2000))))
        );
        assert_eq!(QUOTE, DEFAULT, "quotes share the standard bucket");
        {
            let standard = of(DEFAULT);
            assert_eq!(
                (
                    standard.per_second,
                    standard.per_minute,
                    standard.per_window
                ),
                (n(50), Some(n(500)), Some((half_hour, n(2000))))
            );
        }
        // Modify and cancel are in the placements' bucket.
        let check = UpstoxCheck::read();
        let id = OrderId::new("1").unwrap();
        let cancel = UpstoxRequest::change("/v3/order/cancel", id, OrderChange::Cancel, &check);
        assert_eq!(cancel.class, ORDER);
        assert_eq!(cancel.host, Host::Orders);
    }
}
