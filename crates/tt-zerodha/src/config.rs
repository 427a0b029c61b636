//! The settings of a Kite Connect app.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use tt_core::{BrokerSettings, Clock, Secret, SystemClock};
use tt_instruments::{MasterSource, OnStale};
use tt_transport::{HttpConfig, RetryPolicy};

/// Kite Connect's REST root.
pub const DEFAULT_API_ROOT: &str = "https://api.kite.trade";

/// Kite's ticker (WebSocket) root.
pub const DEFAULT_TICKER_ROOT: &str = "wss://ws.kite.trade";

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
    ticker_root: String,
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
            ticker_root: DEFAULT_TICKER_ROOT.to_owned(),
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
        config.with_common_settings(&settings)
    }

    /// Points REST calls elsewhere (the local simulator, say). A plain `http://` root (the
    /// simulator, which serves Kite's ticker on its own address) also points the ticker at
    /// `ws://` there; otherwise the ticker stays where it was ([`ZerodhaConfig::ticker_root`]
    /// moves it).
    ///
    /// ```
    /// use tt_zerodha::ZerodhaConfig;
    ///
    /// let config = ZerodhaConfig::new("key", "secret").api_root("http://127.0.0.1:8765/");
    /// assert_eq!(config.ticker(), "ws://127.0.0.1:8765");
    /// ```
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = root.into().trim_end_matches('/').to_owned();
        if let Some(address) = self.api_root.strip_prefix("http://") {
            self.ticker_root = format!("ws://{address}");
        }
        self
    }

    /// Points the ticker (WebSocket) elsewhere; default `wss://ws.kite.trade`.
    #[must_use]
    pub fn ticker_root(mut self, root: impl Into<String>) -> Self {
        self.ticker_root = root.into().trim_end_matches('/').to_owned();
        self
    }

    /// Points the login page elsewhere (the simulator serves one at `<root>/connect/login`).
    #[must_use]
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// Caps orders per minute (default 400, Kite's documented limit).
    #[must_use]
    pub fn orders_per_minute(mut self, cap: NonZeroU32) -> Self {
        self.orders_per_minute = cap;
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

    /// The ticker root, without a trailing slash.
    pub fn ticker(&self) -> &str {
        &self.ticker_root
    }

    /// The login page.
    pub fn login_page(&self) -> &str {
        &self.login_url
    }

    tt_instruments::broker_config_methods!();
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
