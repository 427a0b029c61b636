//! Downloading Upstox's BOD instrument file (public, no auth).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::AsyncWrite;
use tt_core::InstrumentSource;
use tt_instruments::{DumpFetcher, MasterError};
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
    ) -> Result<u64, MasterError> {
        let failed = |message: String| MasterError::Download {
            broker: "upstox".to_owned(),
            message,
        };
        let request = http::Request::get(&self.url)
            .header("Accept", "application/gzip, application/json")
            .body(())
            .map_err(|_| failed(format!("`{}` is not a URL", self.url)))?;
        self.http
            .download(request, sink, progress)
            .await
            .map_err(|e| failed(e.to_string()))
    }
}
