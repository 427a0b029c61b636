//! The HTTP plumbing onto the shared transport: Kite's rate-limit classes, one request value
//! per call, the headers every call carries, and the session-expiry hook on `TokenException`.

use std::num::NonZeroU32;

use bytes::Bytes;
use http::Method;
use tt_core::{ClientTag, Error, OrderAction, OrderChange, OrderId, Result};
use tt_transport::{ApiClient, CallKind, RateClass, RateLimit, RawResponse, form_body, request_to};

use crate::errors::{BROKER, KiteCheck};
use crate::{Zerodha, transformer};

/// Kite's rate-limit classes (kite-api §7): quotes 1/s, historical 3/s, placing orders 10/s (and
/// a cap per minute), everything else 10/s. Modifying and cancelling are limited apart from
/// placing (10/s), so a cancel never waits behind a burst of placements.
pub(crate) const QUOTE: RateClass = RateClass::Quote;
const ORDER: RateClass = RateClass::OrderPlace;
const ORDER_CHANGE: RateClass = RateClass::OrderChange;
pub(crate) const DEFAULT: RateClass = RateClass::Other;

/// One call to Kite: everything [`Zerodha::send`] needs to build and send it.
pub(crate) struct KiteRequest<'a> {
    class: RateClass,
    kind: CallKind,
    method: Method,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    form: Option<&'a [(&'a str, String)]>,
    check: &'a KiteCheck,
    authenticated: bool,
}

impl<'a> KiteRequest<'a> {
    /// An authenticated `GET`, retried on transient failures, in the default rate class.
    pub(crate) fn read(path: &'a str, check: &'a KiteCheck) -> Self {
        KiteRequest {
            class: DEFAULT,
            kind: CallKind::Read,
            method: Method::GET,
            path,
            query: &[],
            form: None,
            check,
            authenticated: true,
        }
    }

    /// An authenticated order placement: sent at most once, in the placement rate class; an
    /// unknown outcome names `tag`.
    pub(crate) fn place(path: &'a str, tag: ClientTag, check: &'a KiteCheck) -> Self {
        KiteRequest {
            class: ORDER,
            kind: CallKind::Order(OrderAction::Place { tag }),
            method: Method::POST,
            ..KiteRequest::read(path, check)
        }
    }

    /// An authenticated change to an existing order (`PUT` to modify, `DELETE` to cancel):
    /// sent at most once, in its own rate class so it never waits behind a burst of
    /// placements; an unknown outcome names the order and the change.
    pub(crate) fn change(
        path: &'a str,
        order_id: OrderId,
        change: OrderChange,
        check: &'a KiteCheck,
    ) -> Self {
        let method = match change {
            OrderChange::Modify(_) => Method::PUT,
            OrderChange::Cancel => Method::DELETE,
        };
        KiteRequest {
            class: ORDER_CHANGE,
            kind: CallKind::Order(OrderAction::Change { order_id, change }),
            method,
            ..KiteRequest::read(path, check)
        }
    }

    /// How the answer is checked.
    pub(crate) fn check(&self) -> &'a KiteCheck {
        self.check
    }

    /// What this call asks, if it is an order call.
    pub(crate) fn action(&self) -> Option<&OrderAction> {
        match &self.kind {
            CallKind::Order(action) => Some(action),
            CallKind::Read | CallKind::Once => None,
        }
    }

    /// A call about the session itself (the token exchange, logout): sent once, without the
    /// `Authorization` header.
    pub(crate) fn session(method: Method, path: &'a str, check: &'a KiteCheck) -> Self {
        KiteRequest {
            kind: CallKind::Once,
            method,
            authenticated: false,
            ..KiteRequest::read(path, check)
        }
    }

    /// The same call in another rate class.
    pub(crate) fn class(self, class: RateClass) -> Self {
        KiteRequest { class, ..self }
    }

    /// The same call with a query string.
    pub(crate) fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        KiteRequest { query, ..self }
    }

    /// The same call with a form body.
    pub(crate) fn form(self, form: &'a [(&'a str, String)]) -> Self {
        KiteRequest {
            form: Some(form),
            ..self
        }
    }
}

/// Kite's limits per class (the module's doc says which).
fn limits(orders_per_minute: NonZeroU32) -> [(RateClass, RateLimit); 5] {
    let n = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    [
        (QUOTE, RateLimit::per_second(n(1))),
        (RateClass::Historical, RateLimit::per_second(n(3))),
        (
            ORDER,
            RateLimit::per_second(n(10)).and_per_minute(orders_per_minute),
        ),
        (ORDER_CHANGE, RateLimit::per_second(n(10))),
        (DEFAULT, RateLimit::per_second(n(10))),
    ]
}

impl Zerodha {
    fn api(&self) -> Result<&ApiClient> {
        let config = &self.inner.config;
        let limits = config
            .rate_limited
            .then(|| limits(config.orders_per_minute));
        self.inner
            .api
            .get_or_build(BROKER, config.http, config.retry, limits)
    }

    /// Sends one request through the shared transport.
    pub(crate) async fn send(&self, call: KiteRequest<'_>) -> Result<RawResponse> {
        let KiteRequest {
            class,
            kind,
            method,
            path,
            query,
            form,
            check,
            authenticated,
        } = call;
        let config = &self.inner.config;
        let mut request =
            request_to(method, config.root(), path, query).header("X-Kite-Version", "3");
        if authenticated {
            let token = self.inner.session.access_token()?;
            request = request.header(
                "Authorization",
                format!("token {}:{}", config.key(), token.expose()),
            );
        }
        let body = match form {
            Some(form) => {
                request = request.header("Content-Type", "application/x-www-form-urlencoded");
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Bytes::from(form_body(&pairs))
            }
            None => Bytes::new(),
        };
        let request = request.body(body).map_err(|_| {
            Error::Config(format!("cannot build a request to {}{path}", config.root()))
        })?;
        let result = self.api()?.call(class, kind, request, check).await;
        self.inner.session.watch(result)
    }

    /// An authenticated read of Kite's `data`, parsed into `T`.
    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        call: KiteRequest<'_>,
        what: &str,
    ) -> Result<T> {
        let check = call.check.clone();
        let response = self.send(call).await?;
        transformer::data(&response, what, &check)
    }
}
