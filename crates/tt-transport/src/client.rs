//! The pooled HTTP client.
//!
//! Every exchange has two phases with their own clocks. Getting a connection (DNS, TCP, TLS, or
//! a pooled one) must finish within [`HttpConfig::connect_timeout`]; a failure or a timeout there
//! means the request never left ([`TransportError::never_sent`]). The response clock starts only
//! once hyper hands the request to a connection, and one deadline,
//! [`HttpConfig::response_timeout`], then covers the headers and the whole body of a
//! [`HttpClient::send`]. Bodies are capped at [`HttpConfig::max_body_bytes`]. Connections are
//! pooled per tokio runtime.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{HttpConnector, capture_connection};
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::runtime;
use tokio::time::Instant;

use crate::TransportError;

/// Timeouts, the body cap and pool settings.
///
/// ```
/// use std::time::Duration;
/// use tt_transport::HttpConfig;
///
/// let config = HttpConfig {
///     connect_timeout: Duration::from_secs(2),
///     ..HttpConfig::default()
/// };
/// assert_eq!(config.response_timeout, Duration::from_secs(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait for a connection to send on: DNS, TCP and TLS together. Running out means
    /// the request never left, so even an order can be sent again.
    pub connect_timeout: Duration,
    /// Longest wait, from the moment the request is handed to a connection, for the complete
    /// response: headers and the whole body of a [`HttpClient::send`]. For a
    /// [`HttpClient::download`], the longest wait for the headers and for each piece of the body.
    pub response_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// The largest response body [`HttpClient::send`] reads; a longer one is
    /// [`TransportError::BodyTooLarge`]. Downloads stream to their sink and are not capped.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            // Kite's official clients wait 7 s.
            response_timeout: Duration::from_secs(7),
            pool_idle_timeout: Duration::from_secs(60),
            // A year of minute candles is a few MB; nothing a REST call answers comes near this.
            max_body_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Reports a download's progress: bytes so far, and the total when the server said.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

type Pool = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The pools made so far, with the runtime each serves (`None`: used outside any runtime).
type Pools = Arc<Mutex<Vec<(Option<runtime::Id>, Pool)>>>;

/// How many runtimes' pools one client keeps; beyond that the oldest is let go (its runtime has
/// most likely ended: programs run one or two).
const MAX_RUNTIME_POOLS: usize = 8;

/// The HTTP client. Cloning is cheap and shares the connection pools.
///
/// Each tokio runtime the client is used from gets a pool of its own. A pooled connection is
/// driven by a task on the runtime that opened it, so sharing one across runtimes would leave a
/// request from one runtime waiting on another that may be blocked or gone (the blocking
/// client's runtime and the program's own, say).
#[derive(Clone)]
pub struct HttpClient {
    connector: HttpsConnector<HttpConnector>,
    pools: Pools,
    config: HttpConfig,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client with verified TLS (ring, webpki roots).
    ///
    /// # Errors
    /// [`TransportError::Tls`] if the TLS configuration cannot be built.
    pub fn new(config: HttpConfig) -> Result<Self, TransportError> {
        let tls = tls_config()?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpClient {
            connector,
            pools: Arc::new(Mutex::new(Vec::new())),
            config,
        })
    }

    /// The pool of the runtime this is called on, made on first use.
    fn pool(&self) -> Pool {
        let runtime = runtime::Handle::try_current().ok().map(|h| h.id());
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, pool)) = pools.iter().find(|(id, _)| *id == runtime) {
            return pool.clone();
        }
        let pool = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(self.config.pool_idle_timeout)
            .build(self.connector.clone());
        if pools.len() >= MAX_RUNTIME_POOLS {
            pools.remove(0);
        }
        pools.push((runtime, pool.clone()));
        pool
    }

    /// GETs `request` and streams the body into `sink`, reporting progress; returns the number
    /// of bytes written. The body is stored as sent (a gzipped dump stays gzipped).
    ///
    /// # Errors
    /// [`TransportError::Status`] for a non-2xx answer (with the start of its body),
    /// [`TransportError::Timeout`] when the headers or any piece of the body are later than the
    /// response timeout, [`TransportError::ConnectTimeout`] when no connection came in time,
    /// [`TransportError::InsecureUrl`] for plain `http://` off loopback,
    /// [`TransportError::Connect`] / [`TransportError::Body`] for broken connections and failed
    /// writes.
    pub async fn download(
        &self,
        request: Request<()>,
        sink: &mut (dyn AsyncWrite + Unpin + Send),
        progress: Progress<'_>,
    ) -> Result<u64, TransportError> {
        let url = display_url(request.uri());
        let (parts, ()) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(Bytes::new()));
        let timeout = self.config.response_timeout;
        let (response, _) = self.start(request, &url).await?;
        let status = response.status();
        let total = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut body = response.into_body();
        if !status.is_success() {
            let mut text = Vec::new();
            while text.len() < 512 {
                match tokio::time::timeout(timeout, body.frame()).await {
                    Ok(Some(Ok(frame))) => {
                        if let Some(data) = frame.data_ref() {
                            text.extend_from_slice(data);
                        }
                    }
                    _ => break,
                }
            }
            // One line, white space folded: an HTML error page should not flood a log.
            let body: String = String::from_utf8_lossy(&text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(300)
                .collect();
            return Err(TransportError::Status {
                url,
                status: status.as_u16(),
                body,
            });
        }
        let mut written = 0u64;
        progress(0, total);
        // A download is a stream: the timeout is on each pause, not on the whole transfer.
        while let Some(data) =
            next_chunk(&mut body, Instant::now() + timeout, timeout, &url).await?
        {
            sink.write_all(&data)
                .await
                .map_err(|e| TransportError::Body {
                    url: url.clone(),
                    message: e.to_string(),
                })?;
            written += data.len() as u64;
            progress(written, total);
        }
        if let Some(total) = total
            && written != total
        {
            return Err(TransportError::Body {
                url,
                message: format!("got {written} of {total} bytes"),
            });
        }
        sink.flush().await.map_err(|e| TransportError::Body {
            url,
            message: e.to_string(),
        })?;
        Ok(written)
    }
}

impl HttpClient {
    /// Sends a request and waits for the response headers: first for a connection, within the
    /// connect timeout, then, from the moment the request is handed to that connection, within
    /// the response timeout. Returns the response and the deadline its body must also meet.
    async fn start(
        &self,
        mut request: Request<Full<Bytes>>,
        url: &str,
    ) -> Result<(http::Response<hyper::body::Incoming>, Instant), TransportError> {
        require_tls_off_loopback(request.uri(), url)?;
        let mut connection = capture_connection(&mut request);
        let response = self.pool().request(request);
        tokio::pin!(response);
        let connect_timeout = self.config.connect_timeout;
        let connect_deadline = tokio::time::sleep(connect_timeout);
        tokio::pin!(connect_deadline);
        // hyper-util records the connection on the request right before writing it: until then
        // nothing has been sent.
        let early = tokio::select! {
            biased;
            result = &mut response => Some(result),
            // A bool, so the watch guard never lives across an await.
            _ = async { connection.wait_for_connection_metadata().await.is_some() } => None,
            () = &mut connect_deadline => {
                if connection.connection_metadata().is_none() {
                    return Err(TransportError::ConnectTimeout {
                        url: url.to_owned(),
                        after: connect_timeout,
                    });
                }
                None
            }
        };
        let deadline = Instant::now() + self.config.response_timeout;
        let result = match early {
            Some(result) => result,
            None => tokio::time::timeout_at(deadline, &mut response)
                .await
                .map_err(|_| TransportError::Timeout {
                    url: url.to_owned(),
                    after: self.config.response_timeout,
                })?,
        };
        let response = result.map_err(|e| {
            if e.is_connect() {
                // Failed while connecting: the request never left.
                TransportError::Connect {
                    url: url.to_owned(),
                    message: error_chain(&e),
                }
            } else {
                TransportError::Dropped {
                    url: url.to_owned(),
                    message: error_chain(&e),
                }
            }
        })?;
        Ok((response, deadline))
    }

    /// Sends a request with a body and reads the whole response, all of it within one response
    /// deadline, at most [`HttpConfig::max_body_bytes`] of body. Any status is returned as a
    /// response: deciding what is an error is the caller's (the broker's) business.
    ///
    /// # Errors
    /// [`TransportError::InsecureUrl`], [`TransportError::Connect`] or
    /// [`TransportError::ConnectTimeout`] when the request never left;
    /// [`TransportError::Timeout`], [`TransportError::Dropped`], [`TransportError::Body`] or
    /// [`TransportError::BodyTooLarge`] when it may have been sent but no complete answer came
    /// back.
    pub async fn send(&self, request: Request<Bytes>) -> Result<RawResponse, TransportError> {
        let url = display_url(request.uri());
        let (parts, body) = request.into_parts();
        let (response, deadline) = self
            .start(Request::from_parts(parts, Full::new(body)), &url)
            .await?;
        let (parts, mut incoming) = response.into_parts();
        let limit = self.config.max_body_bytes;
        let too_large = || TransportError::BodyTooLarge {
            url: url.clone(),
            limit,
        };
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let timeout = self.config.response_timeout;
        while let Some(data) = next_chunk(&mut incoming, deadline, timeout, &url).await? {
            if body.len().saturating_add(data.len()) > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&data);
        }
        Ok(RawResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: Bytes::from(body),
        })
    }
}

/// Verified TLS: the ring provider (never the process default, which feature unification could
/// leave ambiguous) and Mozilla's roots compiled in. ALPN stays empty: the HTTPS connector sets
/// its own, and a WebSocket must not negotiate h2.
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Refuses plain `http://` to anything but this machine, before any connection: a typo in a
/// root URL must not send a token in clear. `https://` goes anywhere (certificates are always
/// verified); other schemes go nowhere.
fn require_tls_off_loopback(uri: &http::Uri, url: &str) -> Result<(), TransportError> {
    let refuse = |reason: &str| TransportError::InsecureUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => match uri.host() {
            Some(host) if is_loopback(host) => Ok(()),
            _ => Err(refuse(
                "plain http:// is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use https://",
            )),
        },
        _ => Err(refuse(
            "only https:// URLs (or http:// to loopback) are allowed",
        )),
    }
}

/// `localhost`, an address in 127.0.0.0/8, or `::1` (bracketed or not, as `Uri::host` gives it).
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => v6.is_loopback(),
        })
}

/// A complete response, whatever its status.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// The next piece of a response body, `None` at its end; it must come by `deadline` (`timeout`
/// is what the deadline was set from, for the message). Frames that carry no data (trailers) are
/// skipped.
async fn next_chunk(
    body: &mut hyper::body::Incoming,
    deadline: Instant,
    timeout: Duration,
    url: &str,
) -> Result<Option<Bytes>, TransportError> {
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .map_err(|_| TransportError::Timeout {
                url: url.to_owned(),
                after: timeout,
            })?;
        let Some(frame) = frame else {
            return Ok(None);
        };
        let frame = frame.map_err(|e| TransportError::Body {
            url: url.to_owned(),
            message: error_chain(&e),
        })?;
        if let Ok(data) = frame.into_data() {
            return Ok(Some(data));
        }
    }
}

/// A URL for messages: scheme, host, port and path, never the query or a `user:password@`
/// (either may hold a secret).
pub(crate) fn display_url(uri: &http::Uri) -> String {
    match (uri.scheme_str(), host_and_port(uri)) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}{}", uri.path()),
        _ => uri.path().to_owned(),
    }
}

/// The URL's host and port, without the `user:password@` an authority may carry.
pub(crate) fn host_and_port(uri: &http::Uri) -> Option<String> {
    let host = uri.host()?;
    Some(match uri.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// An error and its sources, joined: hyper's top-level messages alone say little.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_localhost_127_slash_8_and_ipv6_one() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.3.2.1",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "",
            "10.0.0.1",
            "128.0.0.1",
            "0.0.0.0",
            "[::2]",
            "localhost.example.com",
            "127.0.0.1.example.com",
            "api.kite.trade",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn a_url_in_a_message_has_neither_its_query_nor_its_userinfo() {
        let uri: http::Uri = "https://user:secret@api.example.com:8443/quote?token=abc"
            .parse()
            .unwrap();
        assert_eq!(display_url(&uri), "https://api.example.com:8443/quote");
    }

    #[test]
    fn only_https_goes_off_loopback() {
        let allowed = |url: &str| require_tls_off_loopback(&url.parse().unwrap(), url).is_ok();
        assert!(allowed("https://api.kite.trade/orders"));
        assert!(allowed("http://127.0.0.1:8080/orders"));
        assert!(allowed("http://[::1]:8080/orders"));
        assert!(!allowed("http://api.kite.trade/orders"));
        assert!(!allowed("ws://127.0.0.1/orders"));
        assert!(!allowed("/orders"));
    }
}
