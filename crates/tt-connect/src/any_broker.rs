//! Choosing a broker by name, for config-driven programs.

use tt_core::{
    Broker, Capabilities, Error, Funds, Holding, Instrument, Order, OrderId, OrderModification,
    OrderRequest, Positions, Profile, QuoteDetail, Result, Secret, Tick, Trade, Trading,
    async_trait,
};

/// Every broker tt-connect can build by name, compiled in or not, with its cargo feature.
const KNOWN_BROKERS: [(&str, &str); 2] = [("zerodha", "zerodha"), ("upstox", "upstox")];

/// The names of the brokers compiled into this build.
pub const AVAILABLE_BROKERS: &[&str] = &[
    #[cfg(feature = "zerodha")]
    "zerodha",
    #[cfg(feature = "upstox")]
    "upstox",
];

/// An app's settings, in a shape every broker can be built from.
///
/// `Debug` never shows the secret.
#[derive(Debug, Clone)]
#[cfg_attr(not(any(feature = "zerodha", feature = "upstox")), allow(dead_code))]
pub struct BrokerSettings {
    api_key: String,
    api_secret: Secret,
    redirect_url: Option<String>,
    api_root: Option<String>,
    session_file: Option<std::path::PathBuf>,
    instrument_master: Option<std::path::PathBuf>,
}

impl BrokerSettings {
    /// Settings with the app's API key (Upstox: client id) and secret.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        BrokerSettings {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            redirect_url: None,
            api_root: None,
            session_file: None,
            instrument_master: None,
        }
    }

    /// The app's registered redirect URL (required by Upstox).
    #[must_use]
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Sends every call, the login page included, to this root instead of the broker's
    /// production hosts (the local simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = Some(root.into());
        self
    }

    /// Keeps the session in this file instead of `<cache>/session.json`.
    #[must_use]
    pub fn session_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.session_file = Some(path.into());
        self
    }

    /// Reads the instrument master from this path instead of `<cache>/instruments.db`.
    #[must_use]
    pub fn instrument_master(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.instrument_master = Some(path.into());
        self
    }
}

/// One of the brokers compiled into this build, chosen at run time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyBroker {
    /// Zerodha (Kite Connect v3).
    #[cfg(feature = "zerodha")]
    Zerodha(tt_zerodha::Zerodha),
    /// Upstox (API v2/v3).
    #[cfg(feature = "upstox")]
    Upstox(tt_upstox::Upstox),
}

impl AnyBroker {
    /// Builds the broker named `name` (case-insensitive) from `settings`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown name, for a broker whose cargo feature is not enabled
    /// (naming the feature), or for settings the broker needs but lacks.
    #[cfg_attr(
        not(any(feature = "zerodha", feature = "upstox")),
        allow(unused_variables)
    )]
    pub fn from_name(name: &str, settings: BrokerSettings) -> Result<AnyBroker> {
        let wanted = name.trim().to_ascii_lowercase();
        match wanted.as_str() {
            #[cfg(feature = "zerodha")]
            "zerodha" => {
                let mut config =
                    tt_zerodha::ZerodhaConfig::new(settings.api_key, settings.api_secret);
                if let Some(root) = settings.api_root {
                    let root = root.trim_end_matches('/').to_owned();
                    config = config
                        .login_url(format!("{root}/connect/login"))
                        .api_root(root);
                }
                if let Some(path) = settings.session_file {
                    config = config.session_file(path);
                }
                if let Some(path) = settings.instrument_master {
                    config = config.instrument_master_path(path);
                }
                Ok(AnyBroker::Zerodha(tt_zerodha::Zerodha::new(config)))
            }
            #[cfg(feature = "upstox")]
            "upstox" => {
                let redirect = settings.redirect_url.ok_or_else(|| {
                    Error::Config(
                        "upstox needs the app's registered redirect URL \
                         (BrokerSettings::redirect_url)"
                            .to_owned(),
                    )
                })?;
                let mut config =
                    tt_upstox::UpstoxConfig::new(settings.api_key, settings.api_secret, redirect);
                if let Some(root) = settings.api_root {
                    config = config.api_root(root);
                }
                Ok(AnyBroker::Upstox(tt_upstox::Upstox::new(config)))
            }
            other => Err(unavailable(name, other)),
        }
    }
}

fn unavailable(given: &str, wanted: &str) -> Error {
    match KNOWN_BROKERS.iter().find(|(broker, _)| *broker == wanted) {
        Some((broker, feature)) => Error::Config(format!(
            "broker `{broker}` is not compiled into this build; enable the cargo feature \
             `{feature}` of tt-connect"
        )),
        None => Error::Config(format!(
            "unknown broker `{given}`; known brokers: {}",
            KNOWN_BROKERS.map(|(broker, _)| broker).join(", ")
        )),
    }
}

/// What a built-in broker without a REST adapter in this version answers.
#[cfg(feature = "upstox")]
fn rest_not_built(broker: &'static str) -> Error {
    Error::UnsupportedFeature {
        broker,
        feature: "trading over REST in this version of tt-connect (its adapter lands later)"
            .to_owned(),
    }
}

/// Forwards a [`Trading`] call to the broker inside.
macro_rules! forward {
    ($self:ident, $name:ident($($arg:expr),*)) => {{
        // Used by every build, whichever brokers it has.
        let _ = ($(&$arg,)*);
        // Dereferenced so the match stays exhaustive when no broker feature is enabled.
        match *$self {
            #[cfg(feature = "zerodha")]
            AnyBroker::Zerodha(ref broker) => broker.$name($($arg),*).await,
            #[cfg(feature = "upstox")]
            AnyBroker::Upstox(_) => Err(rest_not_built("upstox")),
        }
    }};
}

#[async_trait]
impl Trading for AnyBroker {
    async fn profile(&self) -> Result<Profile> {
        forward!(self, profile())
    }

    async fn funds(&self) -> Result<Funds> {
        forward!(self, funds())
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        forward!(self, holdings())
    }

    async fn positions(&self) -> Result<Positions> {
        forward!(self, positions())
    }

    async fn orders(&self) -> Result<Vec<Order>> {
        forward!(self, orders())
    }

    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        forward!(self, order_history(order_id))
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        forward!(self, place_order(order))
    }

    async fn modify_order(
        &self,
        order_id: &OrderId,
        change: &OrderModification,
    ) -> Result<OrderId> {
        forward!(self, modify_order(order_id, change))
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        forward!(self, cancel_order(order_id))
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        forward!(self, trades())
    }

    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        forward!(self, order_trades(order_id))
    }

    async fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Result<Vec<Tick>> {
        forward!(self, quotes(instruments, detail))
    }
}

impl Broker for AnyBroker {
    fn capabilities(&self) -> &Capabilities {
        // Dereferenced so the match stays exhaustive when no broker feature is enabled.
        match *self {
            #[cfg(feature = "zerodha")]
            AnyBroker::Zerodha(ref broker) => broker.capabilities(),
            #[cfg(feature = "upstox")]
            AnyBroker::Upstox(ref broker) => broker.capabilities(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BrokerSettings {
        BrokerSettings::new("key", "secret").redirect_url("http://127.0.0.1/callback")
    }

    #[test]
    fn unknown_names_list_the_known_brokers() {
        let err = AnyBroker::from_name("angel", settings()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: unknown broker `angel`; known brokers: zerodha, upstox"
        );
    }

    #[cfg(feature = "zerodha")]
    #[test]
    fn zerodha_by_name() {
        let broker = AnyBroker::from_name("Zerodha", settings()).unwrap();
        assert_eq!(broker.name(), "zerodha");
        assert!(AVAILABLE_BROKERS.contains(&"zerodha"));
    }

    #[cfg(feature = "upstox")]
    #[test]
    fn upstox_by_name_needs_a_redirect_url() {
        let broker = AnyBroker::from_name("upstox", settings()).unwrap();
        assert_eq!(broker.name(), "upstox");
        let err = AnyBroker::from_name("upstox", BrokerSettings::new("k", "s")).unwrap_err();
        assert!(err.to_string().contains("redirect URL"), "{err}");
    }

    #[cfg(not(feature = "upstox"))]
    #[test]
    fn compiled_out_upstox_names_its_feature() {
        let err = AnyBroker::from_name("upstox", settings()).unwrap_err();
        assert!(
            err.to_string()
                .contains("enable the cargo feature `upstox`"),
            "{err}"
        );
    }

    #[cfg(not(feature = "zerodha"))]
    #[test]
    fn compiled_out_zerodha_names_its_feature() {
        let err = AnyBroker::from_name("zerodha", settings()).unwrap_err();
        assert!(
            err.to_string()
                .contains("enable the cargo feature `zerodha`"),
            "{err}"
        );
    }

    #[test]
    fn settings_debug_hides_the_secret() {
        let text = format!("{:?}", BrokerSettings::new("key", "hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
