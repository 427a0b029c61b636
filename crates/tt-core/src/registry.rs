//! Brokers that register themselves: a broker crate names a factory with [`register_broker!`](crate::register_broker),
//! and being linked into the program is all it takes for `tt_connect::Client::from_name` to
//! find it. There is no list of brokers to keep up to date anywhere.
//!
//! Registration rides on the `inventory` crate: each [`register_broker!`](crate::register_broker) leaves a static in the
//! broker crate's object code that the program collects before `main`. Like any linker-based
//! registry it needs the broker crate to be linked at all: a dependency the program never names
//! is dropped, so a program that uses a broker only by name writes `use the_broker_crate as _;`
//! once (tt-connect does that itself for the brokers its cargo features enable).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Clock, Login, MarketFeed, OnStale, Result, Secret, Trading};

/// An app's settings, in a shape every broker can be built from: credentials, the redirect URL
/// and where things live. Each broker's factory translates them into its own configuration.
///
/// `Debug` never shows the secret.
///
/// ```
/// use tt_core::BrokerSettings;
///
/// let settings = BrokerSettings::new("api_key", "hunter2").api_root("http://127.0.0.1:8765");
/// assert_eq!(settings.root(), Some("http://127.0.0.1:8765"));
/// assert!(!format!("{settings:?}").contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    api_key: String,
    api_secret: Secret,
    redirect_url: Option<String>,
    api_root: Option<String>,
    session_file: Option<PathBuf>,
    instrument_master: Option<PathBuf>,
    clock: Option<Arc<dyn Clock>>,
    on_stale: OnStale,
}

impl BrokerSettings {
    /// Settings with the app's API key (some brokers call it the client id) and secret.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<Secret>) -> Self {
        BrokerSettings {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            redirect_url: None,
            api_root: None,
            session_file: None,
            instrument_master: None,
            clock: None,
            on_stale: OnStale::Fail,
        }
    }

    /// The app's registered redirect URL, for brokers whose login needs it sent.
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

    /// Keeps the session in this file instead of the broker's default.
    #[must_use]
    pub fn session_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.session_file = Some(path.into());
        self
    }

    /// Reads the instrument master from this path instead of the cache directory.
    #[must_use]
    pub fn instrument_master(mut self, path: impl Into<PathBuf>) -> Self {
        self.instrument_master = Some(path.into());
        self
    }

    /// Reads the time from `clock` (session expiry, the trading day): for tests and replays.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// What an instrument master from an earlier trading day (IST) means for trading calls:
    /// [`OnStale::Fail`] (the default) refuses them until a refresh lands, [`OnStale::Warn`]
    /// logs and goes on.
    #[must_use]
    pub fn on_stale(mut self, on_stale: OnStale) -> Self {
        self.on_stale = on_stale;
        self
    }

    /// The app's API key.
    pub fn key(&self) -> &str {
        &self.api_key
    }

    /// The app's secret.
    pub fn secret(&self) -> &Secret {
        &self.api_secret
    }

    /// The redirect URL, if set.
    pub fn redirect(&self) -> Option<&str> {
        self.redirect_url.as_deref()
    }

    /// The root every call goes to instead of production, if set.
    pub fn root(&self) -> Option<&str> {
        self.api_root.as_deref()
    }

    /// The session file, if set.
    pub fn session_path(&self) -> Option<&Path> {
        self.session_file.as_deref()
    }

    /// The instrument master's path, if set.
    pub fn master_path(&self) -> Option<&Path> {
        self.instrument_master.as_deref()
    }

    /// The clock to read, if set (brokers default to the system clock).
    pub fn clock_source(&self) -> Option<&Arc<dyn Clock>> {
        self.clock.as_ref()
    }

    /// What a stale instrument master means (see [`BrokerSettings::on_stale`]).
    pub fn stale_policy(&self) -> OnStale {
        self.on_stale
    }
}

/// What a broker built by name offers: its REST operations, its login and its feed. Every type
/// that implements the three (and `Debug`) is one; a broker that does not stream implements
/// [`MarketFeed`] with nothing in it, and its feed is refused as unsupported.
pub trait RegisteredBroker: Trading + Login + MarketFeed + fmt::Debug {}

impl<B: Trading + Login + MarketFeed + fmt::Debug> RegisteredBroker for B {}

/// Builds a registered broker from an app's settings.
pub type BrokerFactory = fn(BrokerSettings) -> Result<Box<dyn RegisteredBroker>>;

/// One broker's entry in the registry: its name and its factory. Made by [`register_broker!`](crate::register_broker).
pub struct BrokerRegistration {
    name: &'static str,
    factory: BrokerFactory,
}

impl BrokerRegistration {
    /// An entry for the broker called `name` (lower case, as its `Broker::name` reports it).
    pub const fn new(name: &'static str, factory: BrokerFactory) -> Self {
        BrokerRegistration { name, factory }
    }

    /// The name the broker is registered under.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Builds the broker from `settings`.
    ///
    /// # Errors
    /// Whatever the broker's factory reports, typically [`crate::Error::Config`] for a setting
    /// it needs but lacks.
    pub fn build(&self, settings: BrokerSettings) -> Result<Box<dyn RegisteredBroker>> {
        (self.factory)(settings)
    }

    /// Every entry linked into this program, in no particular order.
    pub fn linked() -> impl Iterator<Item = &'static BrokerRegistration> {
        inventory::iter::<BrokerRegistration>()
    }
}

impl fmt::Debug for BrokerRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrokerRegistration")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

inventory::collect!(BrokerRegistration);

/// Registers a broker under a name, so that `tt_connect::Client::from_name(name, settings)`
/// builds it: the first argument is the name (lower case, as the broker's `Broker::name`
/// reports it), the second a function from [`BrokerSettings`] to `Result<YourBroker>`, where
/// the broker implements [`Trading`] and [`Login`].
///
/// Write it once, at module level, in the broker's crate. It takes effect when the crate is
/// linked into a program: a program that uses the broker only by name must still name the
/// crate once (`use my_broker as _;`), or the linker drops it.
///
/// ```ignore
/// tt_connect::register_broker!("mybroker", MyBroker::from_settings);
/// ```
#[macro_export]
macro_rules! register_broker {
    ($name:literal, $factory:path) => {
        $crate::__private::inventory::submit! {
            $crate::BrokerRegistration::new($name, |settings| {
                $factory(settings).map(|broker| {
                    ::std::boxed::Box::new(broker)
                        as ::std::boxed::Box<dyn $crate::RegisteredBroker>
                })
            })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_debug_hides_the_secret() {
        let text = format!("{:?}", BrokerSettings::new("key", "hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_registration_builds_through_its_factory() {
        fn refuse(settings: BrokerSettings) -> Result<Box<dyn RegisteredBroker>> {
            Err(crate::Error::Config(format!(
                "no broker for {}",
                settings.key()
            )))
        }
        let registration = BrokerRegistration::new("refusing", refuse);
        assert_eq!(registration.name(), "refusing");
        let err = registration
            .build(BrokerSettings::new("key1", "secret"))
            .unwrap_err();
        assert_eq!(err.to_string(), "configuration error: no broker for key1");
    }
}
