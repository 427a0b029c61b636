//! The one place every broker REST call goes through: rate limit, send, check, retry or not.
//!
//! A broker supplies only a [`ResponseCheck`] (is this response an error, and which canonical
//! error is it: its error map). Reads retry with backoff on network failures, timeouts, 429 and
//! 5xx. Place, modify and cancel ([`CallKind::Order`]) are sent at most once: when the request
//! may have left and no definite answer came back (a timeout after sending, a dropped
//! connection, a 5xx, an unreadable or oversized body) the result is
//! [`Error::OrderOutcomeUnknown`] with the order's tag, for the caller to reconcile. A request
//! that provably never left (refused before connecting, no connection within the connect
//! timeout) is a retryable [`Error::Network`] instead.
//!
//! An order call, once past the rate limiter, runs on its own tokio task: if the caller's future
//! is dropped or times out while the request is in flight, the exchange still completes and its
//! outcome (the order id or the error, with the tag) is logged, so it can be reconciled.
//!
//! Calls are logged with `tracing`: reads at debug level, order outcomes at info (method, path
//! (never the query), status, timing, the order's tag and the broker's order id). Headers and
//! bodies, which carry credentials, are never logged.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use tracing::Instrument;
use tt_core::{Error, OrderAction};

use crate::{
    HttpClient, HttpConfig, RateClass, RateLimit, RateLimiter, RawResponse, RetryPolicy,
    TransportError,
};

/// Decides whether a response is a success and, if not, which canonical error it is.
pub trait ResponseCheck: Send + Sync {
    /// `Ok(())` for a success; otherwise the canonical error for this response.
    ///
    /// # Errors
    /// The broker's error mapped onto [`Error`].
    fn check(&self, response: &RawResponse) -> Result<(), Error>;

    /// The broker's order id in a successful order call's response, for the log line that
    /// records every order outcome. `None` (the default) when the broker's answer names none.
    fn order_id(&self, response: &RawResponse) -> Option<String> {
        let _ = response;
        None
    }
}

/// Whether a call may be repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    /// An idempotent read: retried with backoff.
    Read,
    /// A call that must not be repeated but places nothing (a login, a logout): sent once,
    /// failures reported as they are.
    Once,
    /// Place, modify or cancel: never retried; an unknown outcome carries what was asked (the
    /// placement's tag, or the changed order's id and the change).
    Order(OrderAction),
}

/// One broker's REST client: the shared HTTP client with the broker's rate limits and retry
/// policy.
#[derive(Debug)]
pub struct ApiClient {
    broker: &'static str,
    http: HttpClient,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl ApiClient {
    /// A client for `broker` (named in errors).
    pub fn new(
        broker: &'static str,
        http: HttpClient,
        limiter: RateLimiter,
        retry: RetryPolicy,
    ) -> Self {
        ApiClient {
            broker,
            http,
            limiter,
            retry,
        }
    }

    /// Sends a call of rate-limit `class` and returns the successful response.
    ///
    /// An order call completes on its own task once it has passed the rate limiter, so
    /// dropping this future does not cancel the exchange: its outcome is still logged (see the
    /// module docs). That is why `check` is cloned into the call.
    ///
    /// # Errors
    /// The broker's mapped error; [`Error::RateLimited`], [`Error::Network`] or [`Error::Timeout`]
    /// after the retries of a read; [`Error::Network`] for a request that never left (retryable,
    /// even for an order); [`Error::Config`] for a plain `http://` URL to a host other than
    /// loopback; [`Error::MalformedResponse`] for a body over the size cap;
    /// [`Error::OrderOutcomeUnknown`] for an order call that may have reached the broker without
    /// a definite answer.
    pub async fn call<C>(
        &self,
        class: RateClass,
        kind: CallKind,
        request: Request<Bytes>,
        check: &C,
    ) -> Result<RawResponse, Error>
    where
        C: ResponseCheck + Clone + 'static,
    {
        match kind {
            CallKind::Read => self.read(class, request, check).await,
            CallKind::Once => {
                self.limiter.acquire(class).await;
                let (method, path) = (request.method().clone(), request.uri().path().to_owned());
                match self.http.send(request).await {
                    Ok(response) => check.check(&response).map(|()| response),
                    Err(error) => Err(transport_error(self.broker, &method, &path, error)),
                }
            }
            CallKind::Order(action) => {
                self.limiter.acquire(class).await;
                let exchange = OrderExchange {
                    broker: self.broker,
                    http: self.http.clone(),
                    check: check.clone(),
                    action,
                };
                exchange.run_detached(request).await
            }
        }
    }

    async fn read(
        &self,
        class: RateClass,
        request: Request<Bytes>,
        check: &dyn ResponseCheck,
    ) -> Result<RawResponse, Error> {
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.limiter.acquire(class).await;
            let last = attempt >= attempts;
            match self.http.send(copy(&request)).await {
                Ok(response) if retryable_status(response.status) && !last => {
                    let wait = match retry_after(&response) {
                        // Asked to wait longer than we would: report it rather than stall.
                        Some(asked) if asked > self.retry.max_retry_after => {
                            tracing::debug!(broker = self.broker, %method, path = %path, status = response.status, ?asked, "retry-after beyond the cap; not retrying");
                            return check.check(&response).map(|()| response);
                        }
                        Some(asked) => asked,
                        None => self.retry.backoff(attempt),
                    };
                    tokio::time::sleep(wait).await;
                }
                Ok(response) => {
                    tracing::debug!(broker = self.broker, %method, path = %path, status = response.status, attempt, "read call");
                    return check.check(&response).map(|()| response);
                }
                Err(error) if error.retryable() && !last => {
                    let wait = self.retry.backoff(attempt);
                    tracing::debug!(broker = self.broker, %method, path = %path, %error, attempt, ?wait, "retrying a read");
                    tokio::time::sleep(wait).await;
                }
                Err(error) => return Err(transport_error(self.broker, &method, &path, error)),
            }
        }
    }
}

/// A broker's [`ApiClient`], built on first use (building one loads the TLS roots) and shared
/// by every clone of the broker's handle. A failure to build is kept and reported by each call.
#[derive(Debug, Default)]
pub struct LazyApiClient(OnceLock<Result<ApiClient, String>>);

impl LazyApiClient {
    /// Nothing built yet.
    pub fn new() -> Self {
        LazyApiClient(OnceLock::new())
    }

    /// The client, built on the first call with `http` and `retry`, and the broker's rate
    /// `limits` (`None`: no client-side limiter, for a simulator with its limits off).
    ///
    /// # Errors
    /// [`Error::Config`] when the HTTP client cannot be built.
    pub fn get_or_build<L>(
        &self,
        broker: &'static str,
        http: HttpConfig,
        retry: RetryPolicy,
        limits: Option<L>,
    ) -> Result<&ApiClient, Error>
    where
        L: IntoIterator<Item = (RateClass, RateLimit)>,
    {
        self.0
            .get_or_init(|| {
                let client = HttpClient::new(http).map_err(|e| e.to_string())?;
                let limiter = limits.map_or_else(RateLimiter::unlimited, RateLimiter::new);
                Ok(ApiClient::new(broker, client, limiter, retry))
            })
            .as_ref()
            .map_err(|e| Error::Config(format!("{broker} HTTP client: {e}")))
    }
}

/// One order call's exchange, owning everything it needs so it can finish on its own task.
struct OrderExchange<C> {
    broker: &'static str,
    http: HttpClient,
    check: C,
    action: OrderAction,
}

impl<C: ResponseCheck + 'static> OrderExchange<C> {
    /// Runs the exchange on its own task and waits for it. Dropping the returned future leaves
    /// the task running to the end of the exchange (the response deadline bounds it), and its
    /// outcome is logged either way. Outside a tokio runtime it runs in place.
    async fn run_detached(self, request: Request<Bytes>) -> Result<RawResponse, Error> {
        let (broker, action) = (self.broker, self.action.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.run(request).await;
        };
        let task = runtime.spawn(self.run(request).instrument(tracing::Span::current()));
        match task.await {
            Ok(result) => result,
            // The task panicked or its runtime shut down mid-exchange: nothing says the order
            // did not reach the broker.
            Err(failure) => Err(action.outcome_unknown(
                broker,
                format!("the task sending the order stopped: {failure}"),
            )),
        }
    }

    async fn run(self, request: Request<Bytes>) -> Result<RawResponse, Error> {
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let started = std::time::Instant::now();
        let result = self.http.send(request).await;
        let status = result.as_ref().ok().map(|r| r.status);
        let outcome = match result {
            Ok(response) if response.status >= 500 => Err(self.action.clone().outcome_unknown(
                self.broker,
                format!("the broker answered HTTP {}", response.status),
            )),
            Ok(response) => self.check.check(&response).map(|()| response),
            // Refused or failed while connecting: the order certainly did not leave.
            Err(error) if error.never_sent() => {
                Err(transport_error(self.broker, &method, &path, error))
            }
            Err(error) => Err(self
                .action
                .clone()
                .outcome_unknown(self.broker, error.to_string())),
        };
        let order_id = outcome
            .as_ref()
            .ok()
            .and_then(|response| self.check.order_id(response));
        let error = outcome.as_ref().err().map(ToString::to_string);
        let (tag, change) = match &self.action {
            OrderAction::Place { tag } => (Some(tag.as_str()), None),
            OrderAction::Change { .. } => (None, Some(self.action.to_string())),
        };
        tracing::info!(
            broker = self.broker,
            %method,
            path = %path,
            tag,
            change = change.as_deref(),
            status,
            order_id = order_id.as_deref(),
            error = error.as_deref(),
            elapsed = ?started.elapsed(),
            "order call finished"
        );
        outcome
    }
}

/// A transport failure as the public error. Only failures before sending are network errors
/// an order may retry; a refused URL is a configuration mistake.
fn transport_error(
    broker: &'static str,
    method: &Method,
    path: &str,
    error: TransportError,
) -> Error {
    match error {
        TransportError::Timeout { after, .. } => Error::Timeout { broker, after },
        TransportError::InsecureUrl { .. } => Error::Config(format!("{broker}: {error}")),
        TransportError::BodyTooLarge { .. } => Error::MalformedResponse {
            broker,
            what: format!("response to {method} {path}"),
            detail: error.to_string(),
        },
        other => Error::Network {
            broker,
            message: other.to_string(),
        },
    }
}

fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The wait a 429 or 503 asks for, in whole seconds (the only form brokers send).
pub fn retry_after(response: &RawResponse) -> Option<Duration> {
    response
        .headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A copy of a request, for a retry (`http::Request` is not `Clone`).
fn copy(request: &Request<Bytes>) -> Request<Bytes> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}
