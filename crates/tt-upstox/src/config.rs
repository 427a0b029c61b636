//! The settings of an Upstox app.

use std::path::PathBuf;
use std::sync::Arc;

use tt_core::{BrokerSettings, Clock, Secret, SystemClock};
use tt_instruments::{MasterSource, OnStale};
use tt_transport::{HttpConfig, RetryPolicy};

/// Upstox's REST root.
pub const DEFAULT_API_ROOT: &str = "https://api.upstox.com";

/// Upstox's root for single-order calls (place, modify, cancel).
pub const DEFAULT_ORDER_ROOT: &str = "https://api-hft.upstox.com";

/// An Upstox app's credentials, endpoints and client settings.
///
/// `Debug` never shows the client secret.
///
/// ```
/// use tt_upstox::UpstoxConfig;
///
/// let config = UpstoxConfig::new("client_id", "s3cr3t", "http://127.0.0.1/callback")
///     .api_root("http://127.0.0.1:9000");
/// assert_eq!(config.orders_root(), "http://127.0.0.1:9000");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Debug, Clone)]
pub struct UpstoxConfig {
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    api_root: String,
    order_root: String,
    pub(crate) session_file: PathBuf,
    pub(crate) master: MasterSource,
    pub(crate) http: HttpConfig,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limited: bool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) on_stale: OnStale,
}

impl UpstoxConfig {
    /// An app with its client id (API key), secret and registered redirect URI, talking to
    /// Upstox's production hosts, keeping its session in `session.json` and reading the
    /// instrument master from the cache directory (`$TT_CACHE_DIR`, else `_cache`).
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        UpstoxConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            api_root: DEFAULT_API_ROOT.to_owned(),
            order_root: DEFAULT_ORDER_ROOT.to_owned(),
            session_file: tt_instruments::cache_dir().join("session.json"),
            master: MasterSource::Path(tt_instruments::default_master_path()),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
            rate_limited: true,
            clock: Arc::new(SystemClock),
            on_stale: OnStale::default(),
        }
    }

    /// The configuration a broker-neutral [`BrokerSettings`] stands for: its key (Upstox's
    /// client id), secret and redirect URL (empty when unset: Upstox then refuses the login);
    /// its root for every call, orders included (the simulator serves both); its session file,
    /// instrument master path, clock and stale-master policy.
    ///
    /// ```
    /// use tt_core::BrokerSettings;
    /// use tt_upstox::UpstoxConfig;
    ///
    /// let config = UpstoxConfig::from_settings(
    ///     BrokerSettings::new("id", "secret")
    ///         .redirect_url("http://127.0.0.1/cb")
    ///         .api_root("http://127.0.0.1:8765/"),
    /// );
    /// assert_eq!(config.root(), "http://127.0.0.1:8765");
    /// assert_eq!(config.orders_root(), "http://127.0.0.1:8765");
    /// assert_eq!(config.redirect_uri(), "http://127.0.0.1/cb");
    /// ```
    pub fn from_settings(settings: BrokerSettings) -> Self {
        let mut config = UpstoxConfig::new(
            settings.key(),
            settings.secret().clone(),
            settings.redirect().unwrap_or_default(),
        );
        if let Some(root) = settings.root() {
            config = config.api_root(root);
        }
        config.with_common_settings(&settings)
    }

    /// Points every call (REST and orders) at one root (the local simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        let root = root.into().trim_end_matches('/').to_owned();
        self.order_root.clone_from(&root);
        self.api_root = root;
        self
    }

    /// Points only the single-order calls (place, modify, cancel) elsewhere; set it after
    /// [`UpstoxConfig::api_root`], which sets both.
    #[must_use]
    pub fn order_root(mut self, root: impl Into<String>) -> Self {
        self.order_root = root.into().trim_end_matches('/').to_owned();
        self
    }

    /// The client id (API key).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    /// The registered redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The REST root, without a trailing slash.
    pub fn root(&self) -> &str {
        &self.api_root
    }

    /// The root for single-order calls, without a trailing slash.
    pub fn orders_root(&self) -> &str {
        &self.order_root
    }

    tt_instruments::broker_config_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_root_can_be_moved_apart_from_the_api_root() {
        let config = UpstoxConfig::new("id", "secret", "http://127.0.0.1/cb")
            .api_root("http://127.0.0.1:1/")
            .order_root("http://127.0.0.1:2/");
        assert_eq!(config.root(), "http://127.0.0.1:1");
        assert_eq!(config.orders_root(), "http://127.0.0.1:2");
        let defaults = UpstoxConfig::new("id", "secret", "");
        assert_eq!(
            (defaults.root(), defaults.orders_root()),
            (DEFAULT_API_ROOT, DEFAULT_ORDER_ROOT)
        );
    }

    #[test]
    fn on_stale_comes_from_the_broker_neutral_settings_and_fails_by_default() {
        let settings = || BrokerSettings::new("key", "secret");
        assert_eq!(
            UpstoxConfig::from_settings(settings()).on_stale,
            OnStale::Fail
        );
        let warned = UpstoxConfig::from_settings(settings().on_stale(OnStale::Warn));
        assert_eq!(warned.on_stale, OnStale::Warn);
    }
}
