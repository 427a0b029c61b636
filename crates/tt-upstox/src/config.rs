//! The settings of an Upstox app.

use tt_core::Secret;

/// Upstox's REST root.
pub const DEFAULT_API_ROOT: &str = "https://api.upstox.com";

/// Upstox's root for single-order calls (place, modify, cancel).
pub const DEFAULT_ORDER_ROOT: &str = "https://api-hft.upstox.com";

/// An Upstox app's credentials and endpoints.
///
/// `Debug` never shows the client secret.
///
/// ```
/// use tt_upstox::UpstoxConfig;
///
/// let config = UpstoxConfig::new("client_id", "s3cr3t", "http://127.0.0.1/callback");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// ```
#[derive(Debug, Clone)]
pub struct UpstoxConfig {
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    api_root: String,
    order_root: String,
}

impl UpstoxConfig {
    /// An app with its client id (API key), secret and registered redirect URI, talking to
    /// Upstox's production hosts.
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
        }
    }

    /// Points every call (REST and orders) at one root (the local simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        let root = root.into().trim_end_matches('/').to_owned();
        self.order_root.clone_from(&root);
        self.api_root = root;
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
    pub fn order_root(&self) -> &str {
        &self.order_root
    }
}
