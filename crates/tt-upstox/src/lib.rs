//! Upstox (API v2/v3) for tt-connect.
//!
//! This crate owns everything Upstox-specific: its configuration, its capability matrix and (as
//! they land) its OAuth flow, request/response transformer with error map, and protobuf feed
//! decoder. Nothing outside it knows Upstox's field names. Users reach it through `tt-connect`
//! with the `upstox` feature.

mod capabilities;
mod config;
mod instruments;

use std::io::BufRead;

use tt_core::{Broker, Capabilities, DumpRows, InstrumentSource};

pub use capabilities::CAPABILITIES;
pub use config::{DEFAULT_API_ROOT, DEFAULT_ORDER_ROOT, UpstoxConfig};
pub use instruments::{DEFAULT_INSTRUMENTS_URL, InstrumentDumpFetcher};

/// The Upstox broker.
///
/// ```
/// use tt_core::{Broker, StreamMode};
/// use tt_upstox::{Upstox, UpstoxConfig};
///
/// let upstox = Upstox::new(UpstoxConfig::new("id", "secret", "http://127.0.0.1/callback"));
/// assert_eq!(upstox.name(), "upstox");
/// assert!(upstox.capabilities().verify_stream_mode(StreamMode::Quote).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Upstox {
    config: UpstoxConfig,
}

impl Upstox {
    /// An Upstox broker for the given app.
    pub fn new(config: UpstoxConfig) -> Self {
        Upstox { config }
    }

    /// The app's settings.
    pub fn config(&self) -> &UpstoxConfig {
        &self.config
    }
}

impl Broker for Upstox {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }
}

impl InstrumentSource for Upstox {
    /// Parses an Upstox BOD instrument file (`complete.json` or a per-exchange file).
    fn parse_dump<'a>(&self, dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
        instruments::parse_dump(dump)
    }
}
