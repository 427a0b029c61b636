//! The builder methods every broker's configuration shares, written once.
//!
//! A broker crate's config (`ZerodhaConfig`, `UpstoxConfig`) holds the same client settings
//! beside its own credentials and hosts: the session file, where the instrument master comes
//! from and what a stale one means, HTTP timeouts, the read retry policy, whether the
//! client-side rate limiter is on, and the clock. [`broker_config_methods!`] writes their
//! setters (and the trading path's [`crate::TradingMaster`]) into the broker's own `impl`, so
//! every broker offers the same methods with the same meaning and none is copied.

/// Writes the shared builder methods into a broker config's `impl` block.
///
/// The struct must have these fields: `session_file: PathBuf`, `master: MasterSource`,
/// `http: tt_transport::HttpConfig`, `retry: tt_transport::RetryPolicy`,
/// `rate_limited: bool`, `clock: Arc<dyn tt_core::Clock>`, `on_stale: OnStale`; the broker
/// crate must depend on `tt-core` and `tt-transport`. It gets `session_file`,
/// `instrument_master_path`, `instrument_master`, `on_stale`, `http`, `retry`,
/// `rate_limited`, `without_rate_limits`, `clock` and `is_rate_limited`, and, crate-private,
/// `with_common_settings` (the shared part of `from_settings`) and `trading_master`.
#[macro_export]
macro_rules! broker_config_methods {
    () => {
        /// Keeps the session in this file instead of `<cache>/session.json` (one file for every
        /// broker: entries are keyed by broker and account).
        #[must_use]
        pub fn session_file(mut self, path: impl Into<::std::path::PathBuf>) -> Self {
            self.session_file = path.into();
            self
        }

        /// Reads the instrument master from this path instead of the cache directory.
        #[must_use]
        pub fn instrument_master_path(mut self, path: impl Into<::std::path::PathBuf>) -> Self {
            self.master = $crate::MasterSource::Path(path.into());
            self
        }

        /// Uses an instrument master the program already opened.
        #[must_use]
        pub fn instrument_master(
            mut self,
            master: ::std::sync::Arc<$crate::InstrumentMaster>,
        ) -> Self {
            self.master = $crate::MasterSource::Open(master);
            self
        }

        /// What an instrument master from an earlier trading day (IST) means for trading calls:
        /// [`OnStale::Fail`](tt_core::OnStale::Fail) (the default) refuses them until a refresh
        /// lands, [`OnStale::Warn`](tt_core::OnStale::Warn) logs and goes on. The master is
        /// checked when first opened and again at each IST day boundary; a refreshed file is
        /// picked up without a restart.
        #[must_use]
        pub fn on_stale(mut self, on_stale: $crate::OnStale) -> Self {
            self.on_stale = on_stale;
            self
        }

        /// Sets connect and response timeouts.
        #[must_use]
        pub fn http(mut self, http: ::tt_transport::HttpConfig) -> Self {
            self.http = http;
            self
        }

        /// Sets how reads are retried (orders never are).
        #[must_use]
        pub fn retry(mut self, retry: ::tt_transport::RetryPolicy) -> Self {
            self.retry = retry;
            self
        }

        /// Turns the client-side rate limiter on (the default: the broker's published limits)
        /// or off (for a simulator with its limits off).
        #[must_use]
        pub fn rate_limited(mut self, on: bool) -> Self {
            self.rate_limited = on;
            self
        }

        /// Turns the client-side rate limiter off: `rate_limited(false)`.
        #[must_use]
        pub fn without_rate_limits(self) -> Self {
            self.rate_limited(false)
        }

        /// Reads the time from `clock` (session expiry, the trading day): for tests and
        /// replays.
        #[must_use]
        pub fn clock(mut self, clock: ::std::sync::Arc<dyn ::tt_core::Clock>) -> Self {
            self.clock = clock;
            self
        }

        /// Whether the client-side rate limiter is on.
        pub fn is_rate_limited(&self) -> bool {
            self.rate_limited
        }

        /// The broker-neutral settings' session file, instrument master path, clock and
        /// stale-master policy applied to this config.
        fn with_common_settings(mut self, settings: &::tt_core::BrokerSettings) -> Self {
            if let Some(path) = settings.session_path() {
                self.session_file = path.to_owned();
            }
            if let Some(path) = settings.master_path() {
                self.master = $crate::MasterSource::Path(path.to_owned());
            }
            if let Some(clock) = settings.clock_source() {
                self.clock = ::std::sync::Arc::clone(clock);
            }
            self.on_stale = settings.stale_policy();
            self
        }

        /// The master as the trading path reads it: lazily opened, checked against the trading
        /// day on this config's clock.
        pub(crate) fn trading_master(&self, broker: &'static str) -> $crate::TradingMaster {
            $crate::TradingMaster::with_source(
                self.master.clone(),
                broker,
                ::std::sync::Arc::clone(&self.clock),
            )
            .on_stale(self.on_stale)
        }
    };
}
