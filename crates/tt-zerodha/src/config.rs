//! The settings of a Kite Connect app.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use tt_core::{BrokerSettings, Clock, Secret, SystemClock};
use tt_instruments::{InstrumentMaster, MasterSource, OnStale, TradingMaster};
use tt_transport::{HttpConfig, RetryPolicy};

/// Kite Connect's REST root.
pub const DEFAULT_API_ROOT: &str = "https://api.kite.trade";

/// Kite's login page.
pub const DEFAULT_LOGIN_URL: &str = "https://kite.zerodha.com/connect/login";

/// Kite's documented cap on orders per minute (10 a second is the other limit).
pub const DEFAULT_ORDERS_PER_MINUTE: u32 = 400;

/// A Kite Connect app's credentials, endpoints and client settings.
///
/// `Debug` never shows the API secret.
///
/// ```
/// use tt_zerodha::ZerodhaConfig;
///
/// let config = ZerodhaConfig::new("my_api_key", "my_api_secret")
///     .api_root("http://127.0.0.1:9000");
/// assert!(!format!("{config:?}").contains("my_api_secret"));
/// ```
#[derive(Debug, Clone)]
pub struct ZerodhaConfig {
    api_key: String,
    api_secret: Secret,
    api_root: String,
    login_url: String,
    pub(crate) session_file: PathBuf,
    pub(crate) master: MasterSource,
    pub(crate) http: HttpConfig,
    pub(crate) retry: RetryPolicy,
    pub(crate) orders_per_minute: NonZeroU32,
    pub(crate) rate_limited: bool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) on_stale: OnStale,
}

impl ZerodhaConfig {
    /// An app with its API key and secret, talking to Kite's production hosts, keeping its
    /// session in `session.json` and reading the instrument master from the cache directory
    /// (`$TT_CACHE_DIR`, else `_cache`).
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        ZerodhaConfig {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            api_root: DEFAULT_API_ROOT.to_owned(),
            login_url: DEFAULT_LOGIN_URL.to_owned(),
            session_file: tt_instruments::cache_dir().join("session.json"),
            master: MasterSource::Path(tt_instruments::default_master_path()),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
            // Invariant: the constant is not zero.
            orders_per_minute: NonZeroU32::new(DEFAULT_ORDERS_PER_MINUTE)
                .unwrap_or(NonZeroU32::MIN),
            rate_limited: true,
            clock: Arc::new(SystemClock),
            on_stale: OnStale::default(),
        }
    }

    /// The configuration a broker-neutral [`BrokerSettings`] stands for: its key and secret; its
    /// root for REST calls and, at `<root>/connect/login`, the login page (the simulator serves
    /// Kite's there); its session file, instrument master path and clock. Kite takes no redirect
    /// URL (the app's is registered in Kite's developer console), so that setting is unused.
    ///
    /// ```
    /// use tt_core::BrokerSettings;
    /// use tt_zerodha::ZerodhaConfig;
    ///
    /// let config = ZerodhaConfig::from_settings(
    ///     BrokerSettings::new("key", "secret").api_root("http://127.0.0.1:8765/"),
    /// );
    /// assert_eq!(config.root(), "http://127.0.0.1:8765");
    /// assert_eq!(config.login_page(), "http://127.0.0.1:8765/connect/login");
    /// ```
    pub fn from_settings(settings: BrokerSettings) -> Self {
        let mut config = ZerodhaConfig::new(settings.key(), settings.secret().clone());
        if let Some(root) = settings.root() {
            let root = root.trim_end_matches('/');
            config = config
                .login_url(format!("{root}/connect/login"))
                .api_root(root);
        }
        if let Some(path) = settings.session_path() {
            config = config.session_file(path);
        }
        if let Some(path) = settings.master_path() {
            config = config.instrument_master_path(path);
        }
        if let Some(clock) = settings.clock_source() {
            config = config.clock(Arc::clone(clock));
        }
        config.on_stale(settings.stale_policy())
    }

    /// Points REST calls elsewhere (the local simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = root.into().trim_end_matches('/').to_owned();
        self
    }

    /// Points the login page elsewhere (the simulator serves one at `<root>/connect/login`).
    #[must_use]
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// Keeps the session in this file instead of `<cache>/session.json`.
    #[must_use]
    pub fn session_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.session_file = path.into();
        self
    }

    /// Reads the instrument master from this path instead of the cache directory.
    #[must_use]
    pub fn instrument_master_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.master = MasterSource::Path(path.into());
        self
    }

    /// Uses an instrument master the program already opened.
    #[must_use]
    pub fn instrument_master(mut self, master: Arc<InstrumentMaster>) -> Self {
        self.master = MasterSource::Open(master);
        self
    }

    /// What an instrument master from an earlier trading day (IST) means for trading calls:
    /// [`OnStale::Fail`] (the default) refuses them until a refresh lands, [`OnStale::Warn`]
    /// logs and goes on. The master is checked when first opened and again at each IST day
    /// boundary; a refreshed file is picked up without a restart.
    #[must_use]
    pub fn on_stale(mut self, on_stale: OnStale) -> Self {
        self.on_stale = on_stale;
        self
    }

    /// Sets connect and response timeouts.
    #[must_use]
    pub fn http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    /// Sets how reads are retried (orders never are).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Caps orders per minute (default 400, Kite's documented limit).
    #[must_use]
    pub fn orders_per_minute(mut self, cap: NonZeroU32) -> Self {
        self.orders_per_minute = cap;
        self
    }

    /// Turns the client-side rate limiter off (for a simulator with its limits off).
    #[must_use]
    pub fn without_rate_limits(mut self) -> Self {
        self.rate_limited = false;
        self
    }

    /// Reads the time from `clock` (session expiry is 06:00 IST): for tests and replays.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The API key.
    pub fn key(&self) -> &str {
        &self.api_key
    }

    /// The API secret.
    pub fn secret(&self) -> &Secret {
        &self.api_secret
    }

    /// The REST root, without a trailing slash.
    pub fn root(&self) -> &str {
        &self.api_root
    }

    /// The login page.
    pub fn login_page(&self) -> &str {
        &self.login_url
    }

    /// The master as the trading path reads it: lazily opened, checked against the trading day
    /// on this config's clock.
    pub(crate) fn trading_master(&self, broker: &'static str) -> TradingMaster {
        TradingMaster::with_source(self.master.clone(), broker, Arc::clone(&self.clock))
            .on_stale(self.on_stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_stale_comes_from_the_broker_neutral_settings_and_fails_by_default() {
        let settings = || BrokerSettings::new("key", "secret");
        assert_eq!(
            ZerodhaConfig::from_settings(settings()).on_stale,
            OnStale::Fail
        );
        let warned = ZerodhaConfig::from_settings(settings().on_stale(OnStale::Warn));
        assert_eq!(warned.on_stale, OnStale::Warn);
    }
}
