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
    /// No connection, or it broke before a response arrived.
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
    /// No response, or a pause in the body, longer than the timeout.
    #[error("{url}: no data for {after:?}")]
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
    /// True when the request certainly never reached the server (it failed while connecting):
    /// the only failure after which an order can be sent again without asking the broker.
    pub fn never_sent(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::InvalidRequest { .. }
                | TransportError::Tls(_)
        )
    }

    /// True when trying again later may succeed: connection failures, timeouts, 429 and 5xx.
    pub fn retryable(&self) -> bool {
        match self {
            TransportError::Connect { .. }
            | TransportError::Dropped { .. }
            | TransportError::Timeout { .. }
            | TransportError::Body { .. } => true,
            TransportError::Status { status, .. } => *status == 429 || *status >= 500,
            TransportError::InvalidRequest { .. } | TransportError::Tls(_) => false,
        }
    }
}
