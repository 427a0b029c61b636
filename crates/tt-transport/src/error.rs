//! Transport failures, with the URL and never a header value (headers carry credentials).

use std::time::Duration;

/// A request failed below the level of a broker's own errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The request could not be built (a bad URL or header).
    #[error("invalid request to {url}: {message}")]
    InvalidRequest {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// TLS could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// Plain `http://` to a host other than this machine, or a scheme that is not HTTP: refused
    /// before any connection, so no credential goes out in clear.
    #[error("refusing {url}: {reason}")]
    InsecureUrl {
        /// The URL.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// No connection could be made (DNS, TCP or TLS failed): the request never left.
    #[error("{url}: connection failed: {message}")]
    Connect {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The connection broke after the request may have been sent, before a complete response.
    #[error("{url}: connection dropped: {message}")]
    Dropped {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// No connection within the connect timeout (DNS, TCP and TLS together): the request never
    /// left.
    #[error("{url}: no connection within {after:?}")]
    ConnectTimeout {
        /// The URL.
        url: String,
        /// The connect timeout that elapsed.
        after: Duration,
    },
    /// The request was sent, but the complete response (or, in a download, the next piece of
    /// it) did not come within the response timeout.
    #[error("{url}: no complete response within {after:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The response body is longer than the configured cap.
    #[error("{url}: the response body exceeds the {limit}-byte cap (HttpConfig::max_body_bytes)")]
    BodyTooLarge {
        /// The URL.
        url: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body broke off or could not be stored.
    #[error("{url}: reading the response failed: {message}")]
    Body {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
}

impl TransportError {
    /// True when the request certainly never reached the server (it was refused, or failed or
    /// timed out while connecting): the only failures after which an order can be sent again
    /// without asking the broker.
    pub fn never_sent(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::ConnectTimeout { .. }
                | TransportError::InvalidRequest { .. }
                | TransportError::InsecureUrl { .. }
                | TransportError::Tls(_)
        )
    }

    /// True when trying again later may succeed: connection failures, timeouts, 429 and 5xx.
    pub fn retryable(&self) -> bool {
        match self {
            TransportError::Connect { .. }
            | TransportError::ConnectTimeout { .. }
            | TransportError::Dropped { .. }
            | TransportError::Timeout { .. }
            | TransportError::Body { .. } => true,
            TransportError::Status { status, .. } => *status == 429 || *status >= 500,
            TransportError::InvalidRequest { .. }
            | TransportError::InsecureUrl { .. }
            | TransportError::BodyTooLarge { .. }
            | TransportError::Tls(_) => false,
        }
    }
}
