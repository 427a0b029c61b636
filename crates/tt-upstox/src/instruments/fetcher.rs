//! Downloading Upstox's BOD instrument file (public, no auth).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::AsyncWrite;
use tt_core::InstrumentSource;
use tt_instruments::{DumpFetcher, FetchedDump, MasterError, last_modified};
use tt_transport::HttpClient;

use crate::Upstox;

/// Upstox's complete BOD instrument file (every exchange), gzipped JSON.
pub const DEFAULT_INSTRUMENTS_URL: &str =
    "https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz";

/// Downloads Upstox's instrument file for the instrument master's refresh.
#[derive(Debug, Clone)]
pub struct InstrumentDumpFetcher {
    upstox: Arc<Upstox>,
    url: String,
    http: HttpClient,
}

impl InstrumentDumpFetcher {
    /// A fetcher for the complete file at its public address.
    pub fn new(upstox: Upstox, http: HttpClient) -> Self {
        InstrumentDumpFetcher {
            upstox: Arc::new(upstox),
            url: DEFAULT_INSTRUMENTS_URL.to_owned(),
            http,
        }
    }

    /// Downloads from `url` instead (a per-exchange file, or the local simulator).
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// The file's `Last-Modified`, asked for with a `HEAD` first; `None` when the answer has
    /// none (or there is no answer: the download itself will say why).
    async fn ask_last_modified(&self) -> Option<time::OffsetDateTime> {
        let request = http::Request::head(&self.url)
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
        self.upstox.clone()
    }

    fn source_name(&self) -> String {
        self.url.clone()
    }

    async fn fetch(
        &self,
        sink: &mut (dyn AsyncWrite + Unpin + Send),
        progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
    ) -> Result<FetchedDump, MasterError> {
        let failed = |message: String| MasterError::Download {
            broker: "upstox".to_owned(),
            message,
        };
        let last_modified = self.ask_last_modified().await;
        let request = http::Request::get(&self.url)
            .header("Accept", "application/gzip, application/json")
            .body(())
            .map_err(|_| failed(format!("`{}` is not a URL", self.url)))?;
        self.http
            .download(request, sink, progress)
            .await
            .map(|bytes| FetchedDump {
                bytes,
                last_modified,
            })
            .map_err(|e| failed(e.to_string()))
    }
}
