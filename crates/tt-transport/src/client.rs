//! The pooled HTTP client.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::TransportError;

/// Timeouts and pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait to connect (TCP and TLS).
    pub connect_timeout: Duration,
    /// Longest wait for a response's headers, and for each piece of its body.
    pub response_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            // Kite's official clients wait 7 s.
            response_timeout: Duration::from_secs(7),
            pool_idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Reports a download's progress: bytes so far, and the total when the server said.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

/// The HTTP client. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
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
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .build(connector);
        Ok(HttpClient { client, config })
    }

    /// GETs `request` and streams the body into `sink`, reporting progress; returns the number
    /// of bytes written. The body is stored as sent (a gzipped dump stays gzipped).
    ///
    /// # Errors
    /// [`TransportError::Status`] for a non-2xx answer (with the start of its body),
    /// [`TransportError::Timeout`] when the headers or any piece of the body are later than the
    /// response timeout, [`TransportError::Connect`] / [`TransportError::Body`] for broken
    /// connections and failed writes.
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
        let response = self.start(request, &url).await?;
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
        while let Some(data) = next_chunk(&mut body, timeout, &url).await? {
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
    /// Sends a request and waits for the response headers, within the response timeout.
    async fn start(
        &self,
        request: Request<Full<Bytes>>,
        url: &str,
    ) -> Result<http::Response<hyper::body::Incoming>, TransportError> {
        let timeout = self.config.response_timeout;
        tokio::time::timeout(timeout, self.client.request(request))
            .await
            .map_err(|_| TransportError::Timeout {
                url: url.to_owned(),
                after: timeout,
            })?
            .map_err(|e| {
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
            })
    }

    /// Sends a request with a body and reads the whole response, each step within the response
    /// timeout. Any status is returned as a response: deciding what is an error is the caller's
    /// (the broker's) business.
    ///
    /// # Errors
    /// [`TransportError::Connect`] when the request never left; [`TransportError::Timeout`],
    /// [`TransportError::Dropped`] or [`TransportError::Body`] when it may have been sent but no
    /// complete answer came back.
    pub async fn send(&self, request: Request<Bytes>) -> Result<RawResponse, TransportError> {
        let url = display_url(request.uri());
        let (parts, body) = request.into_parts();
        let response = self
            .start(Request::from_parts(parts, Full::new(body)), &url)
            .await?;
        let (parts, mut incoming) = response.into_parts();
        let timeout = self.config.response_timeout;
        let mut body = Vec::new();
        while let Some(data) = next_chunk(&mut incoming, timeout, &url).await? {
            body.extend_from_slice(&data);
        }
        Ok(RawResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: Bytes::from(body),
        })
    }
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

/// A URL for messages: scheme, host and path, never the query (it may hold a token).
/// The next piece of a response body, `None` at its end; each piece must come within `timeout`.
/// Frames that carry no data (trailers) are skipped.
async fn next_chunk(
    body: &mut hyper::body::Incoming,
    timeout: Duration,
    url: &str,
) -> Result<Option<Bytes>, TransportError> {
    loop {
        let frame = tokio::time::timeout(timeout, body.frame())
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

fn display_url(uri: &http::Uri) -> String {
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}{}", uri.path()),
        _ => uri.path().to_owned(),
    }
}

/// An error and its sources, joined: hyper's top-level messages alone say little.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
