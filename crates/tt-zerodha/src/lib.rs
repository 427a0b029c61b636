//! Zerodha (Kite Connect v3) for tt-connect.
//!
//! This crate owns everything Kite-specific: its configuration, its capability matrix and (as
//! they land) its auth, request/response transformer with error map, and ticker decoder. Nothing
//! outside it knows Kite's field names. Users reach it through `tt-connect` with the `zerodha`
//! feature.

mod capabilities;
mod config;
mod instruments;

use std::io::BufRead;

use tt_core::{Broker, Capabilities, DumpRows, InstrumentSource};

pub use capabilities::CAPABILITIES;
pub use config::{DEFAULT_API_ROOT, DEFAULT_LOGIN_URL, ZerodhaConfig};
pub use instruments::InstrumentDumpFetcher;

/// The Zerodha broker.
///
/// ```
/// use tt_core::{Broker, Exchange};
/// use tt_zerodha::{Zerodha, ZerodhaConfig};
///
/// let zerodha = Zerodha::new(ZerodhaConfig::new("key", "secret"));
/// assert_eq!(zerodha.name(), "zerodha");
/// assert!(zerodha.capabilities().verify_segment(Exchange::Mcx).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Zerodha {
    config: ZerodhaConfig,
}

impl Zerodha {
    /// A Zerodha broker for the given app.
    pub fn new(config: ZerodhaConfig) -> Self {
        Zerodha { config }
    }

    /// The app's settings.
    pub fn config(&self) -> &ZerodhaConfig {
        &self.config
    }
}

impl Broker for Zerodha {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }
}

impl InstrumentSource for Zerodha {
    /// Parses Kite's instrument CSV (either the API's formatting or pykiteconnect's rewrite).
    fn parse_dump<'a>(&self, dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
        instruments::parse_dump(dump)
    }
}
