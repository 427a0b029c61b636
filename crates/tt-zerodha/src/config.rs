//! The settings of a Kite Connect app.

use tt_core::Secret;

/// Kite Connect's REST root.
pub const DEFAULT_API_ROOT: &str = "https://api.kite.trade";

/// Kite's login page.
pub const DEFAULT_LOGIN_URL: &str = "https://kite.zerodha.com/connect/login";

/// A Kite Connect app's credentials and endpoints.
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
}

impl ZerodhaConfig {
    /// An app with its API key and secret, talking to Kite's production hosts.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        ZerodhaConfig {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            api_root: DEFAULT_API_ROOT.to_owned(),
            login_url: DEFAULT_LOGIN_URL.to_owned(),
        }
    }

    /// Points REST calls elsewhere (the local simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = root.into().trim_end_matches('/').to_owned();
        self
    }

    /// Points the login page elsewhere.
    #[must_use]
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
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
}
