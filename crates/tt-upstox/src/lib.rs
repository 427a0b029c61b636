//! Upstox (API v2 and v3) for tt-connect.
//!
//! This crate owns everything Upstox-specific, in the modules every broker crate has:
//! configuration (`config`), the capability matrix (`capabilities`), the OAuth2 dialog URL,
//! code exchange and 03:30 IST expiry (`auth`), the live session and its expiry (`session`),
//! the HTTP plumbing onto the shared transport with Upstox's two hosts and its `Api-Version`
//! header (`http`), the REST operations (`trading`), Upstox's JSON (`wire`) and its translation
//! to tt-core models (`transformer`), the error map (`errors`), and the instrument dump
//! (`instruments`). Nothing outside it knows Upstox's field names. Users reach it through
//! `tt-connect` with the `upstox` feature. It registers itself as `"upstox"`, so
//! `tt_connect::Client::from_name("upstox", settings)` builds it, and implements tt-core's
//! `Login`, so a program holding any broker logs in to Upstox the same way.
//!
//! ```no_run
//! use tt_upstox::{Upstox, UpstoxConfig};
//!
//! # async fn run(code: &str) -> Result<(), tt_core::Error> {
//! let upstox = Upstox::new(UpstoxConfig::new("client_id", "client_secret", "https://app/cb"));
//! println!("log in at {}", upstox.login_url());
//! // ... the browser comes back to the app's redirect URI with ?code=...
//! upstox.complete_login(code).await?; // saved, and reused until 03:30 IST
//! # Ok(())
//! # }
//! ```

mod auth;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
mod capabilities;
mod config;
mod errors;
mod http;
mod instruments;
mod session;
pub mod stream;
mod trading;
mod transformer;
mod wire;

use std::io::BufRead;
use std::sync::Arc;

use tt_core::{Broker, BrokerSettings, Capabilities, DumpRows, Error, InstrumentSource, Result};
use tt_instruments::{InstrumentMaster, TradingMaster};
use tt_transport::{LazyApiClient, SessionKeeper, SessionStore};

pub use capabilities::CAPABILITIES;
pub use config::{DEFAULT_API_ROOT, DEFAULT_ORDER_ROOT, UpstoxConfig};
pub use instruments::{DEFAULT_INSTRUMENTS_URL, InstrumentDumpFetcher};
/// Re-exported from tt-core, where every broker's login shares them.
pub use tt_core::{SessionEnded, SessionInfo};

/// The Upstox broker: a handle, cheap to clone, sharing one session and connection pool.
///
/// ```
/// use tt_core::{Broker, StreamMode};
/// use tt_upstox::{Upstox, UpstoxConfig};
///
/// let upstox = Upstox::new(UpstoxConfig::new("id", "secret", "http://127.0.0.1/callback"));
/// assert_eq!(upstox.name(), "upstox");
/// assert!(upstox.capabilities().verify_stream_mode(StreamMode::Quote).is_err());
/// ```
#[derive(Clone)]
pub struct Upstox {
    inner: Arc<Inner>,
}

struct Inner {
    config: UpstoxConfig,
    api: LazyApiClient,
    /// Opened on first use; a missing one is retried, a stale one checked at each IST day.
    master: TradingMaster,
    /// The session, in memory and in the session file under `upstox:<client id>`.
    session: SessionKeeper,
}

impl std::fmt::Debug for Upstox {
    /// The session as held in memory: formatting never reads the session file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstox")
            .field("config", &self.inner.config)
            .field("session", &self.inner.session.held())
            .finish_non_exhaustive()
    }
}

impl Upstox {
    /// An Upstox broker for the given app. Nothing is opened or sent until first use.
    pub fn new(config: UpstoxConfig) -> Self {
        let session = SessionKeeper::new(
            errors::BROKER,
            config.client_id(),
            SessionStore::new(config.session_file.clone()),
            Arc::clone(&config.clock),
            auth::expiry_after,
        );
        let master = config.trading_master(errors::BROKER);
        Upstox {
            inner: Arc::new(Inner {
                config,
                api: LazyApiClient::new(),
                master,
                session,
            }),
        }
    }

    /// An Upstox broker from broker-neutral settings (see [`UpstoxConfig::from_settings`]):
    /// the factory `Client::from_name("upstox", settings)` calls.
    ///
    /// # Errors
    /// None today; the signature is the registry's, for settings a later version may refuse.
    pub fn from_settings(settings: BrokerSettings) -> Result<Self> {
        Ok(Upstox::new(UpstoxConfig::from_settings(settings)))
    }

    /// The app's settings.
    pub fn config(&self) -> &UpstoxConfig {
        &self.inner.config
    }

    /// The instrument master, opened on first use and current for today (IST), or as the
    /// config's `on_stale` allows.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no master yet (the next call tries again) or, with
    /// `on_stale = fail`, when Upstox's instruments in it are from an earlier trading day.
    pub fn instrument_master(&self) -> Result<Arc<InstrumentMaster>> {
        self.inner.master.get().map_err(Error::from)
    }
}

// Linking this crate is all it takes for `Client::from_name("upstox", settings)` to find it.
tt_core::register_broker!("upstox", Upstox::from_settings);

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
