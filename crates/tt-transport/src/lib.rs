//! The one HTTP client layer every broker shares.
//!
//! hyper 1 over rustls (ring provider, Mozilla's roots compiled in; certificates are always
//! verified), pooled keep-alive connections, and timeouts on connecting, on the response
//! headers and on every pause in a body. Plain `http://` is accepted for loopback use (the local
//! simulator). No broker knowledge lives here: brokers build requests and interpret responses.

mod client;
mod error;

pub use client::{HttpClient, HttpConfig, Progress};
pub use error::TransportError;
