//! Downloading Kite's instrument dump (`GET /instruments`).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::AsyncWrite;
use tt_core::{InstrumentSource, Secret};
use tt_instruments::{DumpFetcher, FetchedDump, MasterError, last_modified};
use tt_transport::{HttpClient, TransportError};

use crate::Zerodha;

/// Downloads Kite's full instrument dump for the instrument master's refresh.
///
/// Sends `X-Kite-Version: 3` and, when an access token is given, the
/// `Authorization: token api_key:access_token` header. The token never appears in errors.
#[derive(Debug, Clone)]
pub struct InstrumentDumpFetcher {
    zerodha: Arc<Zerodha>,
    access_token: Option<Secret>,
    http: HttpClient,
}

impl InstrumentDumpFetcher {
    /// A fetcher for `zerodha`'s app, with the session's access token if there is one.
    pub fn new(zerodha: Zerodha, access_token: Option<Secret>, http: HttpClient) -> Self {
        InstrumentDumpFetcher {
            zerodha: Arc::new(zerodha),
            access_token,
            http,
        }
    }

    fn url(&self) -> String {
        format!("{}/instruments", self.zerodha.config().root())
    }

    /// A request for the dump, with Kite's version and authorization headers.
    fn request(&self, method: http::Method) -> http::request::Builder {
        let mut request = http::Request::builder()
            .method(method)
            .uri(self.url())
            .header("X-Kite-Version", "3");
        if let Some(token) = &self.access_token {
            let key = self.zerodha.config().key();
            request = request.header("Authorization", format!("token {key}:{}", token.expose()));
        }
        request
    }

    /// The dump's `Last-Modified`, asked for with a `HEAD` first; `None` when the answer has
    /// none (or there is no answer: the download itself will say why).
    async fn ask_last_modified(&self) -> Option<time::OffsetDateTime> {
        let request = self
            .request(http::Method::HEAD)
            .body(Default::default())
            .ok()?;
        let response = self.http.send(request).await.ok()?;
        let header = response.headers.get(http::header::LAST_MODIFIED);
        last_modified(response.status, header.and_then(|h| h.to_str().ok()))
    }
}

#[async_trait]
impl DumpFetcher for InstrumentDumpFetcher {
    fn source(&self) -> Arc<dyn InstrumentSource> {
        self.zerodha.clone()
    }

    fn source_name(&self) -> String {
        self.url()
    }

    async fn fetch(
        &self,
        sink: &mut (dyn AsyncWrite + Unpin + Send),
        progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
    ) -> Result<FetchedDump, MasterError> {
        let failed = |message: String| MasterError::Download {
            broker: "zerodha".to_owned(),
            message,
        };
        let last_modified = self.ask_last_modified().await;
        let request = self
            .request(http::Method::GET)
            .body(())
            .map_err(|_| failed(format!("cannot build a request for {}", self.url())))?;
        self.http
            .download(request, sink, progress)
            .await
            .map(|bytes| FetchedDump {
                bytes,
                last_modified,
            })
            .map_err(|e| match e {
                TransportError::Status {
                    status: 403, url, ..
                } => failed(format!(
                    "{url}: HTTP 403: the access token was refused; log in again"
                )),
                other => failed(other.to_string()),
            })
    }
}
