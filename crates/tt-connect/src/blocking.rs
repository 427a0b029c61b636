//! A blocking client for programs without an async runtime.
//!
//! [`Client`] owns a single-threaded tokio runtime and the async [`crate::Client`], and runs each
//! call to completion on it. The operations themselves are written once, on the async client;
//! the blocking methods are generated from the same declarations, so the two can never drift.
//!
//! ```
//! use tt_connect::blocking::Client;
//! use tt_connect::{BrokerSettings, Error};
//!
//! # #[cfg(not(feature = "upstox"))] fn main() {}
//! # #[cfg(feature = "upstox")]
//! # fn main() -> Result<(), Error> {
//! let client = Client::from_name("upstox", BrokerSettings::new("key", "secret")
//!     .redirect_url("http://127.0.0.1/callback"))?;
//! assert_eq!(client.name(), "upstox");
//! # Ok(())
//! # }
//! ```

use std::future::Future;

use tokio::runtime::{Handle, Runtime};
use tt_core::{Broker, Capabilities, Error, OrderModification, OrderRequest, Result};

use crate::{AnyBroker, BrokerSettings};

/// The blocking client. Must not be used from inside an async runtime (its calls would block
/// the runtime's thread); there they fail with [`Error::Config`] instead of panicking.
#[derive(Debug)]
pub struct Client<B> {
    inner: crate::Client<B>,
    runtime: Runtime,
}

impl<B: Broker> Client<B> {
    /// A blocking client for a typed broker value.
    ///
    /// # Errors
    /// [`Error::Config`] if the runtime cannot be started.
    pub fn new(broker: B) -> Result<Self> {
        Self::from_async(crate::Client::new(broker))
    }

    /// A blocking client sharing the broker of an async one.
    ///
    /// # Errors
    /// [`Error::Config`] if the runtime cannot be started.
    pub fn from_async(inner: crate::Client<B>) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::Config(format!("cannot start the blocking client's runtime: {e}"))
            })?;
        Ok(Client { inner, runtime })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client<B> {
        &self.inner
    }

    /// The broker.
    pub fn broker(&self) -> &B {
        self.inner.broker()
    }

    /// The broker's name.
    pub fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// The broker's capability matrix.
    pub fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    /// See [`crate::Client::check_order`].
    ///
    /// # Errors
    /// [`Error::UnsupportedFeature`] naming the first unsupported term.
    pub fn check_order(&self, order: &OrderRequest) -> Result<()> {
        self.inner.check_order(order)
    }

    /// See [`crate::Client::check_modification`].
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] or [`Error::UnsupportedFeature`].
    pub fn check_modification(&self, change: &OrderModification) -> Result<()> {
        self.inner.check_modification(change)
    }

    /// Runs any async client call to completion: the one place the blocking client blocks.
    ///
    /// # Errors
    /// The call's own error, or [`Error::Config`] when called from inside an async runtime.
    pub fn run<'a, T, F>(&'a self, call: impl FnOnce(&'a crate::Client<B>) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        if Handle::try_current().is_ok() {
            return Err(Error::Config(
                "the blocking client was called from inside an async runtime; use the async \
                 tt_connect::Client there"
                    .to_owned(),
            ));
        }
        self.runtime.block_on(call(&self.inner))
    }
}

impl Client<AnyBroker> {
    /// A blocking client for a broker chosen by name; see [`crate::Client::from_name`].
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown or compiled-out broker, or missing settings.
    pub fn from_name(name: &str, settings: BrokerSettings) -> Result<Self> {
        Self::from_async(crate::Client::from_name(name, settings)?)
    }
}
