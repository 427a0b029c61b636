//! The simulator's shared core: the instruments, the app, the clock, and behind one lock the
//! account, the market, the sessions, the faults and the rate counters.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use tt_core::{Amount, Clock, Price};

use crate::account::Account;
use crate::book::Book;
use crate::fault::Faults;
use crate::market::Market;
use crate::rate::RateLimiter;
use crate::session::Sessions;
use crate::universe::Universe;
use crate::{KiteApp, SimConfig, SimError, state};

/// What a fresh (or reset) account starts with.
#[derive(Debug, Clone, Copy)]
struct Opening {
    equity_funds: Amount,
    commodity_funds: Amount,
    seed_holdings: usize,
}

/// Everything that changes, under one lock. Never held across an `await`.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) account: Account,
    pub(crate) market: Market,
    pub(crate) sessions: Sessions,
    pub(crate) faults: Faults,
    pub(crate) limiter: RateLimiter,
    /// The account, market or sessions changed since the state file was written.
    dirty: bool,
}

impl Inner {
    /// Notes that the saved state is out of date.
    pub(crate) fn touch(&mut self) {
        self.dirty = true;
    }
}

/// One simulator.
pub(crate) struct Sim {
    pub(crate) universe: Universe,
    pub(crate) app: KiteApp,
    clock: Arc<dyn Clock>,
    opening: Opening,
    state_file: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Sim {
    // The universe runs to a hundred thousand instruments: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("app", &self.app)
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Reads the master's listing and, when a state file exists, the saved account.
    pub(crate) fn new(config: &SimConfig) -> Result<Sim, SimError> {
        let universe = Universe::from_master(&config.master)?;
        if universe.is_empty() {
            return Err(SimError::EmptyMaster);
        }
        let now = config.clock.now();
        let opening = Opening {
            equity_funds: config.equity_funds,
            commodity_funds: config.commodity_funds,
            seed_holdings: config.seed_holdings,
        };
        let saved = match &config.state_file {
            Some(path) => state::load(path)?,
            None => None,
        };
        let (account, market, sessions) = match saved {
            Some(saved) => (
                saved.account,
                saved.market,
                Sessions::restored(saved.sessions, now),
            ),
            None => (
                fresh_account(&universe, opening, now),
                Market::opened_at(now.unix_timestamp()),
                Sessions::default(),
            ),
        };
        let sim = Sim {
            universe,
            app: config.app.clone(),
            clock: Arc::clone(&config.clock),
            opening,
            state_file: config.state_file.clone(),
            inner: Mutex::new(Inner {
                account,
                market,
                sessions,
                faults: Faults::default(),
                limiter: RateLimiter::new(config.rate_limits),
                dirty: true,
            }),
        };
        sim.persist();
        Ok(sim)
    }

    /// The current instant, from the configured clock.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The changing state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every mutation completes before the guard drops; a panicking request leaves a
        // consistent (if partly updated) account behind, so poisoning is not fatal here.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The changing state brought up to now (TTL orders that lapsed are cancelled), and now.
    pub(crate) fn current(&self) -> (MutexGuard<'_, Inner>, OffsetDateTime) {
        let now = self.now();
        let mut inner = self.lock();
        if self.book(&mut inner, now).expire_lapsed() {
            inner.touch();
        }
        (inner, now)
    }

    /// The last price of an instrument the account refers to, if still listed.
    pub(crate) fn last_price(&self, inner: &Inner, token: u32) -> Option<Price> {
        self.universe
            .by_token(token)
            .map(|listing| inner.market.last_price(listing))
    }

    /// The order book over `inner`, at `now`.
    pub(crate) fn book<'a>(&'a self, inner: &'a mut Inner, now: OffsetDateTime) -> Book<'a> {
        Book {
            account: &mut inner.account,
            market: &mut inner.market,
            universe: &self.universe,
            now,
            user_id: &self.app.user_id,
        }
    }

    /// Moves an instrument's price (given as Kite's `EXCHANGE:TRADINGSYMBOL` or the canonical
    /// text) and fills what the move reaches.
    pub(crate) fn set_price(&self, spec: &str, price: Price) -> Result<(), SimError> {
        let listing = self
            .universe
            .resolve(spec)
            .ok_or_else(|| SimError::UnknownInstrument(spec.to_owned()))?;
        let step = listing.price_step();
        let invalid = |reason: String| SimError::InvalidPrice {
            instrument: spec.to_owned(),
            price: price.to_string(),
            reason,
        };
        if !price.is_positive() {
            return Err(invalid("a price must be above zero".to_owned()));
        }
        if !price.is_multiple_of(step) {
            return Err(invalid(format!("it is not a multiple of the tick {step}")));
        }
        let (mut inner, now) = self.current();
        self.book(&mut inner, now).set_price(listing, price);
        inner.touch();
        Ok(())
    }

    /// The market opens: after-market orders go to the exchange.
    pub(crate) fn open_market(&self) {
        let (mut inner, now) = self.current();
        self.book(&mut inner, now).open_market();
        inner.touch();
    }

    /// Opens a session without the login page; returns its access token.
    pub(crate) fn open_session(&self) -> String {
        let now = self.now();
        let mut inner = self.lock();
        let session = inner.sessions.open(now);
        inner.touch();
        session.access_token
    }

    /// Puts the account, market and faults back to how a fresh simulator starts; sessions stay.
    pub(crate) fn reset(&self, inner: &mut Inner) {
        let now = self.now();
        inner.account = fresh_account(&self.universe, self.opening, now);
        inner.market = Market::opened_at(now.unix_timestamp());
        inner.faults.clear();
        inner.touch();
    }

    /// Writes the state file if anything changed since it was last written. A failure is
    /// reported on stderr and retried after the next change: the simulator keeps serving.
    pub(crate) fn persist(&self) {
        let Some(path) = &self.state_file else {
            return;
        };
        let mut inner = self.lock();
        if !inner.dirty {
            return;
        }
        match state::save(
            path,
            &inner.account,
            &inner.market,
            inner.sessions.open_sessions(),
        ) {
            Ok(()) => inner.dirty = false,
            Err(e) => eprintln!("tt-sim: {e}"),
        }
    }
}

fn fresh_account(universe: &Universe, opening: Opening, now: OffsetDateTime) -> Account {
    Account::opening(
        universe,
        opening.equity_funds,
        opening.commodity_funds,
        opening.seed_holdings,
        now,
    )
}
