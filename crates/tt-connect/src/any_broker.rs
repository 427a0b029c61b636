//! Choosing a broker by name, for config-driven programs.

use tt_core::{Broker, Capabilities, Error, Result, Secret};

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
}

impl BrokerSettings {
    /// Settings with the app's API key (Upstox: client id) and secret.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        BrokerSettings {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            redirect_url: None,
            api_root: None,
        }
    }

    /// The app's registered redirect URL (required by Upstox).
    #[must_use]
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Sends every call to this root instead of the broker's production hosts (the local
    /// simulator, say).
    #[must_use]
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = Some(root.into());
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
                    config = config.api_root(root);
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
