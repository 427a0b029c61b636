//! The master as a trading client holds it: never silently stale.
//!
//! A [`TradingMaster`] opens the master on first use, and a missing master is an error for that
//! call only: the next call tries again (a refresh may have built it since). On first use and
//! again at each IST day boundary it picks up a file a refresh renamed into place, then checks
//! the broker's dump date against the trading day: `on_stale = fail` (the default) refuses to go
//! on with yesterday's instruments, and keeps checking on every call until a refresh lands;
//! `warn` logs once a day and goes on.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use time::Date;
use tt_core::Clock;

use crate::{InstrumentMaster, MasterError, OnStale};

/// Where a [`TradingMaster`] reads the master from: what a broker's configuration holds.
#[derive(Debug, Clone)]
pub enum MasterSource {
    /// Opened from this path on first use.
    Path(PathBuf),
    /// Already open, shared with the program.
    Open(Arc<InstrumentMaster>),
}

#[derive(Debug, Default)]
struct State {
    master: Option<Arc<InstrumentMaster>>,
    /// The trading day the master was last found current for (or, with `warn`, last warned).
    checked_on: Option<Date>,
}

/// The instrument master for one broker's trading path: opened lazily, retried when missing,
/// reloaded after a refresh and checked against the IST trading day. See the module
/// documentation.
///
/// ```no_run
/// use std::sync::Arc;
/// use tt_core::SystemClock;
/// use tt_instruments::{OnStale, TradingMaster};
///
/// let master = TradingMaster::at_path("_cache/instruments.db", "zerodha", Arc::new(SystemClock))
///     .on_stale(OnStale::Warn);
/// let today = master.get()?; // opened, reloaded if refreshed, checked against today (IST)
/// # Ok::<(), tt_instruments::MasterError>(())
/// ```
#[derive(Debug)]
pub struct TradingMaster {
    source: MasterSource,
    broker: &'static str,
    clock: Arc<dyn Clock>,
    on_stale: OnStale,
    state: Mutex<State>,
}

impl TradingMaster {
    /// The master at `path`, for `broker`'s trading path, on the trading day `clock` says.
    pub fn at_path(path: impl Into<PathBuf>, broker: &'static str, clock: Arc<dyn Clock>) -> Self {
        TradingMaster::with_source(MasterSource::Path(path.into()), broker, clock)
    }

    /// A master the program already opened, checked the same way.
    pub fn open(
        master: Arc<InstrumentMaster>,
        broker: &'static str,
        clock: Arc<dyn Clock>,
    ) -> Self {
        TradingMaster::with_source(MasterSource::Open(master), broker, clock)
    }

    /// The master from `source`, for `broker`'s trading path, on the trading day `clock` says.
    pub fn with_source(source: MasterSource, broker: &'static str, clock: Arc<dyn Clock>) -> Self {
        TradingMaster {
            source,
            broker,
            clock,
            on_stale: OnStale::default(),
            state: Mutex::new(State::default()),
        }
    }

    /// Sets what a stale master means: `fail` (the default) or `warn`.
    #[must_use]
    pub fn on_stale(mut self, on_stale: OnStale) -> Self {
        self.on_stale = on_stale;
        self
    }

    /// The master, current for today (IST) or, with `on_stale = warn`, as current as it is.
    ///
    /// # Errors
    /// [`MasterError::Missing`] (or another open error) when there is no readable master yet;
    /// [`MasterError::OutOfDate`] when the broker's instruments are from an earlier trading
    /// day and `on_stale` is `fail`. Both are checked again on the next call.
    pub fn get(&self) -> Result<Arc<InstrumentMaster>, MasterError> {
        let today = self.clock.today_ist();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let master = match &state.master {
            Some(master) => Arc::clone(master),
            None => {
                let master = match &self.source {
                    MasterSource::Open(master) => Arc::clone(master),
                    MasterSource::Path(path) => Arc::new(InstrumentMaster::open(path)?),
                };
                state.master = Some(Arc::clone(&master));
                master
            }
        };
        if state.checked_on == Some(today) {
            return Ok(master);
        }
        // A new trading day, a first use, or stale so far: a refresh may have replaced the file.
        if let Err(error) = master.reload_if_changed() {
            tracing::warn!(%error, "keeping the instrument master already open");
        }
        match master.check_current(self.broker, today) {
            Ok(()) => {
                state.checked_on = Some(today);
                Ok(master)
            }
            Err(error) if self.on_stale == OnStale::Fail => Err(error),
            Err(error) => {
                tracing::warn!(%error, "on_stale = warn: trading on stale instruments");
                state.checked_on = Some(today);
                Ok(master)
            }
        }
    }
}
