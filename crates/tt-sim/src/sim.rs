//! The simulator's shared core: the instruments, the app, the clock, and behind one lock each
//! broker's desk (account, sessions, rate counters), the market both brokers trade in, and the
//! faults.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use time::OffsetDateTime;
use tt_core::{Amount, Clock, Instrument, Price};

use crate::account::margin::{self, FundSegment, Utilisation};
use crate::account::{Account, HoldingRecord, PositionRecord};
use crate::book::Book;
use crate::fault::Faults;
use crate::market::Market;
use crate::rate::RateLimiter;
use crate::session::Sessions;
use crate::store::{SavedDesk, Store};
use crate::stream::{Control, Feeds, Published, StreamFault, updates, walk};
use crate::universe::{InstrumentRef, Listing, Universe};
use crate::{KiteApp, SimBroker, SimConfig, SimError};

/// What a fresh (or reset) account starts with, at every broker.
#[derive(Debug, Clone, Copy)]
struct Opening {
    equity_funds: Amount,
    commodity_funds: Amount,
    seed_holdings: usize,
}

/// One broker's side of the simulator: its account and order book, its sessions and its rate
/// counters.
#[derive(Debug)]
pub(crate) struct Desk {
    pub(crate) account: Account,
    pub(crate) sessions: Sessions,
    pub(crate) limiter: RateLimiter,
}

/// Everything that changes, under one lock. Never held across an `await`.
#[derive(Debug)]
pub(crate) struct Inner {
    /// Kite's desk.
    pub(crate) kite: Desk,
    /// Upstox's desk.
    pub(crate) upstox: Desk,
    pub(crate) market: Market,
    pub(crate) faults: Faults,
}

impl Inner {
    /// True when an account, the sessions or the market changed since they were saved.
    fn has_changes(&self) -> bool {
        self.market.has_changes()
            || SimBroker::ALL.into_iter().any(|broker| {
                let desk = self.desk(broker);
                desk.account.has_changes() || desk.sessions.open_sessions().has_changes()
            })
    }

    /// The store has every change.
    fn mark_saved(&mut self) {
        self.market.mark_saved();
        for broker in SimBroker::ALL {
            let desk = self.desk_mut(broker);
            desk.account.mark_saved();
            desk.sessions.mark_saved();
        }
    }

    /// The broker's desk.
    pub(crate) fn desk(&self, broker: SimBroker) -> &Desk {
        match broker {
            SimBroker::Kite => &self.kite,
            SimBroker::Upstox => &self.upstox,
        }
    }

    /// The broker's desk, to change.
    pub(crate) fn desk_mut(&mut self, broker: SimBroker) -> &mut Desk {
        match broker {
            SimBroker::Kite => &mut self.kite,
            SimBroker::Upstox => &mut self.upstox,
        }
    }
}

/// A holding's figures at the last price, as both brokers report them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HoldingMarks {
    pub(crate) last: Price,
    pub(crate) close: Price,
    pub(crate) pnl: Amount,
    pub(crate) day_change: Price,
    pub(crate) day_change_percentage: f64,
}

/// A position's figures at the last price, as both brokers report them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PositionMarks {
    pub(crate) last: Price,
    pub(crate) close: Price,
    pub(crate) pnl: Amount,
    pub(crate) realised: Amount,
    pub(crate) unrealised: Amount,
}

/// One simulator.
pub(crate) struct Sim {
    pub(crate) universe: Universe,
    pub(crate) app: KiteApp,
    clock: Arc<dyn Clock>,
    opening: Opening,
    reject_synchronously: bool,
    /// The state database, when one is configured. Locked after `inner`, never before.
    store: Option<Mutex<Store>>,
    inner: Mutex<Inner>,
    /// The live feed sockets. Their state is locked after `inner`, never before.
    pub(crate) feeds: Feeds,
    /// The address the simulator listens on, once bound (the feeds' authorized URLs name it).
    pub(crate) addr: OnceLock<SocketAddr>,
}

impl std::fmt::Debug for Sim {
    // The universe runs to a hundred thousand instruments: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("app", &self.app)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Reads the master's listings and, when a state database is configured, the saved
    /// accounts (creating the database when there is none).
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
        let store = config.state_file.as_deref().map(Store::open).transpose()?;
        let saved = match &store {
            Some(store) => store.load()?,
            None => None,
        };
        let limiter = |broker: SimBroker| {
            RateLimiter::new(
                config
                    .rate_limits
                    .get(broker.index())
                    .copied()
                    .unwrap_or_else(|| crate::RateLimits::of(broker)),
            )
        };
        let (kite, upstox, market) = match saved {
            Some(saved) => {
                let desk = |broker: SimBroker, saved: SavedDesk| Desk {
                    account: saved.account,
                    sessions: Sessions::restored(broker, saved.sessions, now),
                    limiter: limiter(broker),
                };
                (
                    desk(SimBroker::Kite, saved.kite),
                    desk(SimBroker::Upstox, saved.upstox),
                    saved.market,
                )
            }
            None => {
                let desk = |broker: SimBroker| Desk {
                    account: fresh_account(broker, &universe, opening, now),
                    sessions: Sessions::new(broker),
                    limiter: limiter(broker),
                };
                (
                    desk(SimBroker::Kite),
                    desk(SimBroker::Upstox),
                    Market::opened_at(now.unix_timestamp()),
                )
            }
        };
        let sim = Sim {
            universe,
            app: config.app.clone(),
            clock: Arc::clone(&config.clock),
            opening,
            reject_synchronously: config.reject_synchronously,
            store: store.map(Mutex::new),
            inner: Mutex::new(Inner {
                kite,
                upstox,
                market,
                faults: Faults::default(),
            }),
            feeds: Feeds::new(config.stream.clone()),
            addr: OnceLock::new(),
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
        for broker in SimBroker::ALL {
            self.book(&mut inner, broker, now).expire_lapsed();
        }
        (inner, now)
    }

    /// The last price of an instrument an account refers to, if still listed.
    pub(crate) fn last_price(&self, inner: &Inner, instrument: &Instrument) -> Option<Price> {
        self.universe
            .by_instrument(instrument)
            .map(|listing| inner.market.last_price(listing))
    }

    /// The last price and previous close of an instrument an account refers to; an instrument
    /// no longer listed is marked at `fallback`.
    pub(crate) fn marks(
        &self,
        inner: &Inner,
        instrument: &Instrument,
        fallback: Price,
    ) -> (Price, Price) {
        match self.universe.by_instrument(instrument) {
            Some(listing) => {
                let tape = inner.market.tape(listing);
                (tape.last, tape.close)
            }
            None => (fallback, fallback),
        }
    }

    /// The cash of one of the broker account's segments, and what its positions and open
    /// orders use of it.
    pub(crate) fn funds(
        &self,
        inner: &Inner,
        broker: SimBroker,
        segment: FundSegment,
    ) -> (Amount, Utilisation) {
        let account = &inner.desk(broker).account;
        let last = |i: &InstrumentRef| self.last_price(inner, &i.instrument);
        (
            margin::cash(account, segment),
            margin::utilisation(account, segment, &last),
        )
    }

    /// A holding marked to the market.
    pub(crate) fn holding_marks(&self, inner: &Inner, record: &HoldingRecord) -> HoldingMarks {
        let (last, close) = self.marks(inner, &record.instrument.instrument, record.average_price);
        let held = i64::try_from(record.total()).unwrap_or(i64::MAX);
        let day_change = last.checked_sub(close).unwrap_or(Price::ZERO);
        HoldingMarks {
            last,
            close,
            pnl: last * held - record.average_price * held,
            day_change,
            day_change_percentage: if close.is_positive() {
                day_change.to_f64() * 100.0 / close.to_f64()
            } else {
                0.0
            },
        }
    }

    /// A position marked to the market.
    pub(crate) fn position_marks(&self, inner: &Inner, record: &PositionRecord) -> PositionMarks {
        let (last, close) =
            self.marks(inner, &record.instrument.instrument, record.average_price());
        let pnl = record.pnl(last);
        let realised = record.realised();
        PositionMarks {
            last,
            close,
            pnl,
            realised,
            unrealised: pnl - realised,
        }
    }

    /// The broker's order book over `inner`, at `now`.
    pub(crate) fn book<'a>(
        &'a self,
        inner: &'a mut Inner,
        broker: SimBroker,
        now: OffsetDateTime,
    ) -> Book<'a> {
        let Inner {
            kite,
            upstox,
            market,
            ..
        } = inner;
        let desk = match broker {
            SimBroker::Kite => kite,
            SimBroker::Upstox => upstox,
        };
        Book {
            account: &mut desk.account,
            market,
            universe: &self.universe,
            now,
            user_id: &self.app.user_id,
            reject_synchronously: self.reject_synchronously,
        }
    }

    /// Moves an instrument's price (given as Kite's `EXCHANGE:TRADINGSYMBOL`, Upstox's
    /// instrument key or the canonical text) and fills what the move reaches in every book.
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
        self.move_price(&mut inner, listing, price, now);
        Ok(())
    }

    /// The one path every price move takes: the market trades at `price`, and every book
    /// fills what that reaches.
    fn move_price(&self, inner: &mut Inner, listing: &Listing, price: Price, now: OffsetDateTime) {
        inner.market.set_price(listing, price, now.unix_timestamp());
        for broker in SimBroker::ALL {
            self.book(inner, broker, now).price_moved(listing, price);
        }
    }

    /// The price walk's step: each listing (by universe index) moves by its number of ticks.
    pub(crate) fn walk_prices(&self, moves: &[(usize, i64)]) {
        let (mut inner, now) = self.current();
        for &(index, ticks) in moves {
            let Some(listing) = self.universe.get(index) else {
                continue;
            };
            let last = inner.market.last_price(listing);
            let price = walk::walked(last, listing.price_step(), ticks);
            if price != last {
                self.move_price(&mut inner, listing, price, now);
            }
        }
    }

    /// Throws `fault` at the broker's live feed sockets; for [`StreamFault::ExpireToken`]
    /// every session of the broker ends first, and so do its feed codes.
    pub(crate) fn stream_fault(&self, broker: SimBroker, fault: StreamFault) {
        if fault == StreamFault::ExpireToken {
            self.lock().desk_mut(broker).sessions.expire_all();
            self.feeds.forget_codes(broker);
            self.feeds.tell(broker, Control::SessionEnded);
            self.persist();
        } else {
            self.feeds.tell(broker, Control::Fault(fault));
        }
    }

    /// The market opens: after-market orders at every broker go to the exchange.
    pub(crate) fn open_market(&self) {
        let (mut inner, now) = self.current();
        for broker in SimBroker::ALL {
            self.book(&mut inner, broker, now).open_market();
        }
    }

    /// Opens a session at `broker` without the login page; returns its access token.
    pub(crate) fn open_session(&self, broker: SimBroker) -> String {
        let now = self.now();
        let mut inner = self.lock();
        let session = inner.desk_mut(broker).sessions.open(now);
        session.access_token
    }

    /// Puts the accounts, market and faults back to how a fresh simulator starts; sessions
    /// stay.
    pub(crate) fn reset(&self, inner: &mut Inner) {
        let now = self.now();
        for broker in SimBroker::ALL {
            inner.desk_mut(broker).account =
                fresh_account(broker, &self.universe, self.opening, now);
        }
        inner.market = Market::opened_at(now.unix_timestamp());
        inner.faults.clear();
        // Fresh books number their orders from the start again: what was published of the
        // old ones must not hide the new ones' updates.
        for published in &mut self.feeds.state().published {
            *published = Published::default();
        }
    }

    /// Writes what changed since the last successful write to the state database, in one
    /// transaction. A failure is reported on stderr and the changes are kept, so the next
    /// write (after the next request) saves them too: the simulator keeps serving.
    ///
    /// First, the feeds that carry order and position updates are told what changed.
    pub(crate) fn persist(&self) {
        let mut inner = self.lock();
        updates::publish(self, &inner);
        let Some(store) = &self.store else {
            return;
        };
        if !inner.has_changes() {
            return;
        }
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        match store.write(&inner) {
            Ok(()) => inner.mark_saved(),
            Err(e) => eprintln!("tt-sim: {e}"),
        }
    }
}

fn fresh_account(
    broker: SimBroker,
    universe: &Universe,
    opening: Opening,
    now: OffsetDateTime,
) -> Account {
    Account::opening(
        broker,
        universe,
        opening.equity_funds,
        opening.commodity_funds,
        opening.seed_holdings,
        now,
    )
}
