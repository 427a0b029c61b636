//! Zerodha (Kite Connect v3) for tt-connect.
//!
//! This crate owns everything Kite-specific, in the modules every broker crate has:
//! configuration (`config`), the capability matrix (`capabilities`), the login checksum and the
//! session file (`auth`), the live session and its expiry (`session`), the HTTP plumbing onto
//! the shared transport (`http`), the REST operations (`trading`), Kite's JSON (`wire`) and its
//! translation to tt-core models (`transformer`), the error map (`errors`), and the instrument
//! dump (`instruments`). Nothing outside it knows Kite's field names. Users reach it through
//! `tt-connect` with the `zerodha` feature. It registers itself as `"zerodha"`, so
//! `tt_connect::Client::from_name("zerodha", settings)` builds it, and implements tt-core's
//! `Login`, so a program holding any broker logs in to Kite the same way.
//!
//! ```no_run
//! use tt_zerodha::{Zerodha, ZerodhaConfig};
//!
//! # async fn run(request_token: &str) -> Result<(), tt_core::Error> {
//! let zerodha = Zerodha::new(ZerodhaConfig::new("api_key", "api_secret"));
//! println!("log in at {}", zerodha.login_url());
//! // ... the browser comes back to the app's redirect URL with ?request_token=...
//! zerodha.complete_login(request_token).await?; // saved, and reused until 06:00 IST
//! # Ok(())
//! # }
//! ```

mod auth;
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

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};

use tt_core::{Broker, BrokerSettings, Capabilities, DumpRows, Error, InstrumentSource, Result};
use tt_instruments::{InstrumentMaster, TradingMaster};
use tt_transport::{LazyApiClient, SessionKeeper, SessionStore};

pub use capabilities::CAPABILITIES;
pub use config::{
    DEFAULT_API_ROOT, DEFAULT_LOGIN_URL, DEFAULT_ORDERS_PER_MINUTE, DEFAULT_TICKER_ROOT,
    ZerodhaConfig,
};
pub use instruments::InstrumentDumpFetcher;
/// Re-exported from tt-core, where every broker's login shares them.
pub use tt_core::{SessionEnded, SessionInfo};

/// The Zerodha broker: a handle, cheap to clone, sharing one session and connection pool.
///
/// ```
/// use tt_core::{Broker, Exchange};
/// use tt_zerodha::{Zerodha, ZerodhaConfig};
///
/// let zerodha = Zerodha::new(ZerodhaConfig::new("key", "secret"));
/// assert_eq!(zerodha.name(), "zerodha");
/// assert!(zerodha.capabilities().verify_segment(Exchange::Mcx).is_ok());
/// ```
#[derive(Clone)]
pub struct Zerodha {
    inner: Arc<Inner>,
}

struct Inner {
    config: ZerodhaConfig,
    api: LazyApiClient,
    /// Opened on first use; a missing one is retried, a stale one checked at each IST day.
    master: TradingMaster,
    /// The session, in memory and in the session file under `zerodha:<api key>`.
    session: SessionKeeper,
    /// Order id to variety (`regular`, `amo`), learned when placing or reading an order.
    varieties: Mutex<HashMap<String, &'static str>>,
}

impl std::fmt::Debug for Zerodha {
    /// The session as held in memory: formatting never reads the session file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let session = self.inner.session.held();
        f.debug_struct("Zerodha")
            .field("config", &self.inner.config)
            .field("session", &session)
            .finish_non_exhaustive()
    }
}

impl Zerodha {
    /// A Zerodha broker for the given app. Nothing is opened or sent until first use.
    pub fn new(config: ZerodhaConfig) -> Self {
        let session = SessionKeeper::new(
            errors::BROKER,
            config.key(),
            SessionStore::new(config.session_file.clone()),
            Arc::clone(&config.clock),
            auth::expiry_after,
        );
        let master = config.trading_master(errors::BROKER);
        Zerodha {
            inner: Arc::new(Inner {
                config,
                api: LazyApiClient::new(),
                master,
                session,
                varieties: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A Zerodha broker from broker-neutral settings (see [`ZerodhaConfig::from_settings`]):
    /// the factory `Client::from_name("zerodha", settings)` calls.
    ///
    /// # Errors
    /// None today; the signature is the registry's, for settings a later version may refuse.
    pub fn from_settings(settings: BrokerSettings) -> Result<Self> {
        Ok(Zerodha::new(ZerodhaConfig::from_settings(settings)))
    }

    /// The app's settings.
    pub fn config(&self) -> &ZerodhaConfig {
        &self.inner.config
    }

    /// The instrument master, opened on first use and current for today (IST), or as the
    /// config's `on_stale` allows.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no master yet (the next call tries again) or, with
    /// `on_stale = fail`, when Kite's instruments in it are from an earlier trading day.
    pub fn instrument_master(&self) -> Result<Arc<InstrumentMaster>> {
        self.inner.master.get().map_err(Error::from)
    }
}

// Linking this crate is all it takes for `Client::from_name("zerodha", settings)` to find it.
tt_core::register_broker!("zerodha", Zerodha::from_settings);

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
