//! Opening a WebSocket: TCP (no delay), verified TLS for `wss://` (plain `ws://` only to
//! loopback, as for `http://`), the HTTP/1.1 upgrade with the broker's headers, all within one
//! connect deadline. A refused upgrade keeps its status and body, so a broker can tell an
//! expired token from a passing failure.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{FragmentCollectorRead, Role, WebSocket, WebSocketRead, WebSocketWrite};
use http::header::{CONNECTION, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

use crate::client::{display_url, error_chain, host_and_port, is_loopback, tls_config};

/// The largest refusal body kept for a message.
const MAX_REFUSAL_BODY: usize = 4096;

/// The largest message a feed accepts (a Kite frame of 3,000 full packets is ~560 kB).
const MAX_MESSAGE: usize = 16 << 20;

/// Where to open a socket: the URL (`wss://`, or `ws://` to loopback) and any headers the
/// broker wants on the upgrade (an `Authorization`, a version).
#[derive(Clone)]
pub struct WsTarget {
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl std::fmt::Debug for WsTarget {
    /// The URL without its query (it may hold a token) and the header names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.display_url();
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("WsTarget")
            .field("url", &url)
            .field("headers", &names)
            .finish()
    }
}

impl WsTarget {
    /// A target at `url`.
    pub fn new(url: impl Into<String>) -> WsTarget {
        WsTarget {
            url: url.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the upgrade request; a value that is not valid header text is marked
    /// sensitive either way and refused when connecting.
    ///
    /// # Errors
    /// [`WsError::InvalidRequest`] for a name or value that is not valid in a header.
    pub fn header(mut self, name: &str, value: &str) -> Result<WsTarget, WsError> {
        let invalid = || WsError::InvalidRequest {
            url: self.display_url(),
            message: format!("invalid header {name}"),
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        value.set_sensitive(true);
        self.headers.push((name, value));
        Ok(self)
    }

    /// The URL without its query or any `user:password@`, for messages.
    pub fn display_url(&self) -> String {
        self.url
            .parse::<Uri>()
            .map(|uri| display_url(&uri))
            .unwrap_or_else(|_| "<invalid url>".to_owned())
    }
}

/// Why a socket could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The URL or a header is not usable.
    #[error("invalid WebSocket request to {url}: {message}")]
    InvalidRequest {
        /// The URL, without its query.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// Plain `ws://` to a host beyond this machine, or another scheme.
    #[error("refusing {url}: {reason}")]
    Insecure {
        /// The URL, without its query.
        url: String,
        /// Why.
        reason: String,
    },
    /// TCP, TLS or the upgrade exchange failed.
    #[error("{url}: WebSocket connection failed: {message}")]
    Connect {
        /// The URL, without its query.
        url: String,
        /// What failed.
        message: String,
    },
    /// Nothing connected within the deadline.
    #[error("{url}: no WebSocket connection within {after:?}")]
    Timeout {
        /// The URL, without its query.
        url: String,
        /// The deadline.
        after: Duration,
    },
    /// The server answered the upgrade with something other than 101.
    #[error("{url}: WebSocket upgrade refused with HTTP {status}: {body}")]
    Refused {
        /// The URL, without its query.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body (the broker's error message).
        body: String,
    },
}

impl WsError {
    /// True when the server refused the credentials (HTTP 401 or 403): reconnecting with the
    /// same ones can only fail again.
    pub fn is_auth_refusal(&self) -> bool {
        matches!(self, WsError::Refused { status, .. } if *status == 401 || *status == 403)
    }
}

/// An open socket's read side, collecting fragments into whole messages.
pub(crate) type WsRead = FragmentCollectorRead<ReadHalf<TokioIo<Upgraded>>>;
/// An open socket's write side.
pub(crate) type WsWrite = WebSocketWrite<WriteHalf<TokioIo<Upgraded>>>;

/// Opens a socket to `target` within `timeout`.
pub(crate) async fn connect(
    target: &WsTarget,
    timeout: Duration,
) -> Result<(WsRead, WsWrite), WsError> {
    let url = target.display_url();
    let upgrade = tokio::time::timeout(timeout, open(target, &url));
    let ws = upgrade.await.map_err(|_| WsError::Timeout {
        url: url.clone(),
        after: timeout,
    })??;
    let (read, write): (WebSocketRead<_>, WebSocketWrite<_>) = ws.split(tokio::io::split);
    Ok((FragmentCollectorRead::new(read), write))
}

async fn open(target: &WsTarget, url: &str) -> Result<WebSocket<TokioIo<Upgraded>>, WsError> {
    let invalid = |message: &str| WsError::InvalidRequest {
        url: url.to_owned(),
        message: message.to_owned(),
    };
    let uri: Uri = target.url.parse().map_err(|_| invalid("not a URL"))?;
    let host = uri.host().ok_or_else(|| invalid("no host"))?.to_owned();
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") if is_loopback(&host) => false,
        Some("ws") => {
            return Err(WsError::Insecure {
                url: url.to_owned(),
                reason: "plain ws:// is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use wss://".to_owned(),
            });
        }
        _ => {
            return Err(WsError::Insecure {
                url: url.to_owned(),
                reason: "only wss:// URLs (or ws:// to loopback) are allowed".to_owned(),
            });
        }
    };
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let bare_host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host)
        .to_owned();
    let failed = |e: &(dyn std::error::Error + 'static)| WsError::Connect {
        url: url.to_owned(),
        message: error_chain(e),
    };
    let tcp = TcpStream::connect((bare_host.as_str(), port))
        .await
        .map_err(|e| failed(&e))?;
    // Ticks are small and latency is the point.
    tcp.set_nodelay(true).map_err(|e| failed(&e))?;

    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = host_and_port(&uri).unwrap_or_else(|| host.clone());
    let mut request = Request::builder()
        .method("GET")
        .uri(path)
        .header(HOST, authority)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "upgrade")
        .header(SEC_WEBSOCKET_KEY, fastwebsockets::handshake::generate_key())
        .header("Sec-WebSocket-Version", "13")
        .body(Empty::<Bytes>::new())
        .map_err(|_| invalid("the request could not be built"))?;
    request.headers_mut().extend(target.headers.iter().cloned());

    if secure {
        let mut tls = tls_config().map_err(|e| failed(&e))?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let server = rustls::pki_types::ServerName::try_from(bare_host.clone())
            .map_err(|_| invalid("the host is not a valid TLS server name"))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(server, tcp)
            .await
            .map_err(|e| failed(&e))?;
        upgrade(stream, request, url).await
    } else {
        upgrade(tcp, request, url).await
    }
}

/// The `Sec-WebSocket-Accept` a server must answer `request`'s key with (RFC 6455 §4.2.2),
/// computed by fastwebsockets' own server side (its SHA-1 and base64), so this crate needs
/// neither.
fn expected_accept(request: &Request<Empty<Bytes>>) -> Option<HeaderValue> {
    let key = request.headers().get(SEC_WEBSOCKET_KEY)?;
    let mut probe = Request::builder()
        .header(SEC_WEBSOCKET_KEY, key)
        .header("Sec-WebSocket-Version", "13")
        .body(())
        .ok()?;
    let (answer, _) = fastwebsockets::upgrade::upgrade(&mut probe).ok()?;
    answer.headers().get(SEC_WEBSOCKET_ACCEPT).cloned()
}

/// The HTTP/1.1 upgrade, driven here rather than by fastwebsockets' helper so a refusal keeps
/// its status and body and the connection task prints nothing.
async fn upgrade<S>(
    stream: S,
    request: Request<Empty<Bytes>>,
    url: &str,
) -> Result<WebSocket<TokioIo<Upgraded>>, WsError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let failed = |e: &(dyn std::error::Error + 'static)| WsError::Connect {
        url: url.to_owned(),
        message: error_chain(e),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(&e))?;
    // The connection's own error surfaces as the response's or the upgrade's.
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    let accept = expected_accept(&request);
    let mut response = sender.send_request(request).await.map_err(|e| failed(&e))?;
    let status = response.status().as_u16();
    if status != 101 {
        let body = Limited::new(response.into_body(), MAX_REFUSAL_BODY)
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        return Err(WsError::Refused {
            url: url.to_owned(),
            status,
            body,
        });
    }
    // RFC 6455 §4.1: a 101 without the key's accept is not a WebSocket (a proxy's or a
    // cache's answer, say), and the connection fails.
    if accept.is_none() || response.headers().get(SEC_WEBSOCKET_ACCEPT) != accept.as_ref() {
        return Err(WsError::Connect {
            url: url.to_owned(),
            message: "the upgrade's answer has no valid Sec-WebSocket-Accept".to_owned(),
        });
    }
    let upgraded = hyper::upgrade::on(&mut response)
        .await
        .map_err(|e| failed(&e))?;
    let mut ws = WebSocket::after_handshake(TokioIo::new(upgraded), Role::Client);
    ws.set_max_message_size(MAX_MESSAGE);
    // The feed answers pings itself: a server's ping then reaches it and counts as life.
    ws.set_auto_pong(false);
    ws.set_auto_close(true);
    Ok(ws)
}
