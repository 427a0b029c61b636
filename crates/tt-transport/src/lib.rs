//! The one HTTP and WebSocket client layer every broker shares.
//!
//! hyper 1 over rustls (ring provider, Mozilla's roots compiled in; certificates are always
//! verified), pooled keep-alive connections, a connect timeout (DNS, TCP, TLS) apart from one
//! response deadline that starts once the request is on the wire, and a cap on response bodies.
//! Plain `http://` is accepted only to loopback hosts (the local simulator) and refused anywhere
//! else before connecting. No broker knowledge lives here: brokers build requests and interpret
//! responses.
//!
//! [`ApiClient`] is the one path every REST call takes: the broker's [`RateLimiter`], the
//! [`RetryPolicy`] for reads, never a retry for orders, and the broker's [`ResponseCheck`].
//! Error messages carry URLs without their query strings, so no token in a query can leak.
//!
//! [`open_feed`] runs a broker's streaming protocol ([`FeedProtocol`]) over WebSockets
//! (fastwebsockets; `wss://` with the same verified TLS, `ws://` only to loopback): sockets
//! that reconnect with backoff and replay their subscriptions, a stall watchdog, the
//! subscription registry spread over the broker's sockets, and a bounded event buffer that
//! reports what a slow consumer missed.
//!
//! [`SessionKeeper`] keeps a broker's login session (in memory and in the shared, locked, 0600
//! session file) until it expires or the broker refuses it, the same way for every broker.

mod api;
mod client;
mod encoding;
mod error;
mod feed;
mod rate_limit;
mod retry;
mod session;
mod ws;

pub use api::{ApiClient, CallKind, LazyApiClient, ResponseCheck, retry_after};
pub use client::{HttpClient, HttpConfig, Progress, RawResponse};
pub use encoding::{form_body, percent_encode, request_to};
pub use error::TransportError;
pub use feed::{
    FeedLayout, FeedProtocol, Incoming, Outgoing, SocketProtocol, Subscription, SubscriptionKey,
    open_feed,
};
pub use rate_limit::{RateClass, RateLimit, RateLimiter};
pub use retry::RetryPolicy;
pub use session::{Session, SessionKeeper, SessionStore};
pub use ws::{WsError, WsTarget};
