//! The one place every broker REST call goes through: rate limit, send, check, retry or not.
//!
//! A broker supplies only a [`ResponseCheck`] (is this response an error, and which canonical
//! error is it: its error map). Reads retry with backoff on network failures, timeouts, 429 and
//! 5xx. Place, modify and cancel ([`CallKind::Order`]) are sent at most once: when the request
//! may have left and no definite answer came back (a timeout after sending, a dropped
//! connection, a 5xx, an unreadable body) the result is [`Error::OrderOutcomeUnknown`] with the
//! order's tag, for the caller to reconcile.
//!
//! Calls are logged with `tracing` at debug level: method, path (never the query), status,
//! timing and the order's tag. Headers and bodies, which carry credentials, are never logged.

use bytes::Bytes;
use http::Request;
use tt_core::{ClientTag, Error};

use crate::{HttpClient, RateLimiter, RawResponse, RetryPolicy, TransportError};

/// Decides whether a response is a success and, if not, which canonical error it is.
pub trait ResponseCheck: Send + Sync {
    /// `Ok(())` for a success; otherwise the canonical error for this response.
    ///
    /// # Errors
    /// The broker's error mapped onto [`Error`].
    fn check(&self, response: &RawResponse) -> Result<(), Error>;
}

/// Whether a call may be repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    /// An idempotent read: retried with backoff.
    Read,
    /// A call that must not be repeated but places nothing (a login, a logout): sent once,
    /// failures reported as they are.
    Once,
    /// Place, modify or cancel: never retried; an unknown outcome carries the order's tag.
    Order {
        /// The order's client tag.
        tag: ClientTag,
    },
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
    /// # Errors
    /// The broker's mapped error; [`Error::RateLimited`], [`Error::Network`] or [`Error::Timeout`]
    /// after the retries of a read; [`Error::OrderOutcomeUnknown`] for an order call that may
    /// have reached the broker without a definite answer.
    pub async fn call(
        &self,
        class: &str,
        kind: CallKind,
        request: Request<Bytes>,
        check: &dyn ResponseCheck,
    ) -> Result<RawResponse, Error> {
        match kind {
            CallKind::Read => self.read(class, request, check).await,
            CallKind::Once => {
                self.limiter.acquire(class).await;
                match self.http.send(request).await {
                    Ok(response) => check.check(&response).map(|()| response),
                    Err(error) => Err(self.transport_error(error)),
                }
            }
            CallKind::Order { tag } => self.order(class, request, check, tag).await,
        }
    }

    async fn read(
        &self,
        class: &str,
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
                    let wait =
                        retry_after(&response).unwrap_or_else(|| self.retry.backoff(attempt));
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
                Err(error) => return Err(self.transport_error(error)),
            }
        }
    }

    async fn order(
        &self,
        class: &str,
        request: Request<Bytes>,
        check: &dyn ResponseCheck,
        tag: ClientTag,
    ) -> Result<RawResponse, Error> {
        self.limiter.acquire(class).await;
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let started = std::time::Instant::now();
        let result = self.http.send(request).await;
        tracing::debug!(
            broker = self.broker,
            %method,
            path = %path,
            tag = tag.as_str(),
            status = result.as_ref().ok().map(|r| r.status),
            elapsed = ?started.elapsed(),
            "order call"
        );
        match result {
            Ok(response) if response.status >= 500 => Err(Error::OrderOutcomeUnknown {
                broker: self.broker,
                tag,
                reason: format!("the broker answered HTTP {}", response.status),
            }),
            Ok(response) => check.check(&response).map(|()| response),
            // Failed while connecting: the order certainly did not leave.
            Err(error) if error.never_sent() => Err(self.transport_error(error)),
            Err(error) => Err(Error::OrderOutcomeUnknown {
                broker: self.broker,
                tag,
                reason: error.to_string(),
            }),
        }
    }

    fn transport_error(&self, error: TransportError) -> Error {
        match error {
            TransportError::Timeout { after, .. } => Error::Timeout {
                broker: self.broker,
                after,
            },
            other => Error::Network {
                broker: self.broker,
                message: other.to_string(),
            },
        }
    }
}

fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The wait a 429 or 503 asks for, in whole seconds (the only form brokers send).
pub fn retry_after(response: &RawResponse) -> Option<std::time::Duration> {
    response
        .headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(std::time::Duration::from_secs)
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
