//! The simulated market: each instrument's last price and the day's open, high, low, close and
//! volume. An instrument nobody has touched trades at its reference price; setting a price
//! records a trade there. There is one market for every broker: the price is the exchange's,
//! so an instrument both brokers list trades at the same price through either.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tt_core::{Instrument, Price};

use crate::universe::{Listing, stable_hash};

/// One instrument's trading day so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tape {
    /// Last traded price.
    pub(crate) last: Price,
    /// The day's open.
    pub(crate) open: Price,
    /// The day's high.
    pub(crate) high: Price,
    /// The day's low.
    pub(crate) low: Price,
    /// The previous session's close.
    pub(crate) close: Price,
    /// Shares or contracts traded today.
    pub(crate) volume: u64,
    /// Quantity of the last trade.
    pub(crate) last_quantity: u32,
    /// When the last trade happened (Unix seconds).
    pub(crate) last_trade_unix: i64,
}

impl Tape {
    /// The tape of an untouched instrument: everything at its reference price, and a volume
    /// derived from its seed so quotes look alive.
    fn fresh(listing: &Listing, opened_unix: i64) -> Tape {
        let price = listing.reference_price;
        let tradable = listing.instrument.is_tradable();
        let lot = u64::from(listing.lot().max(1));
        Tape {
            last: price,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: if tradable {
                (stable_hash(listing.seed, 1) % 500_000 + 1_000) * lot
            } else {
                0
            },
            last_quantity: if tradable { listing.lot().max(1) } else { 0 },
            last_trade_unix: opened_unix,
        }
    }
}

/// Every instrument's tape, by canonical instrument; only touched instruments are kept, and
/// those touched since the market was last saved are noted.
#[derive(Debug, Clone)]
pub(crate) struct Market {
    tapes: BTreeMap<Instrument, Tape>,
    opened_unix: i64,
    changed: BTreeSet<Instrument>,
    /// Opened afresh (a new simulator, a reset): it replaces whatever the store holds.
    replaces: bool,
}

impl Market {
    /// A market where nothing has traded since `opened_unix`.
    pub(crate) fn opened_at(opened_unix: i64) -> Market {
        Market {
            tapes: BTreeMap::new(),
            opened_unix,
            changed: BTreeSet::new(),
            replaces: true,
        }
    }

    /// The market as the store holds it.
    pub(crate) fn restored(opened_unix: i64, tapes: BTreeMap<Instrument, Tape>) -> Market {
        Market {
            tapes,
            opened_unix,
            changed: BTreeSet::new(),
            replaces: false,
        }
    }

    /// True when every stored tape must go (and the opening be written) before the changed
    /// tapes are.
    pub(crate) fn replaces(&self) -> bool {
        self.replaces
    }

    /// True when something changed since the market was last saved.
    pub(crate) fn has_changes(&self) -> bool {
        self.replaces || !self.changed.is_empty()
    }

    /// The tapes changed since the market was last saved.
    pub(crate) fn changed(&self) -> impl Iterator<Item = (&Instrument, &Tape)> {
        self.changed
            .iter()
            .filter_map(|instrument| Some((instrument, self.tapes.get(instrument)?)))
    }

    /// The store has every change.
    pub(crate) fn mark_saved(&mut self) {
        self.changed.clear();
        self.replaces = false;
    }

    /// When the day's trading began (Unix seconds).
    pub(crate) fn opened_unix(&self) -> i64 {
        self.opened_unix
    }

    /// The instrument's tape.
    pub(crate) fn tape(&self, listing: &Listing) -> Tape {
        self.tapes
            .get(&listing.instrument)
            .cloned()
            .unwrap_or_else(|| Tape::fresh(listing, self.opened_unix))
    }

    /// The instrument's last traded price.
    pub(crate) fn last_price(&self, listing: &Listing) -> Price {
        self.tapes
            .get(&listing.instrument)
            .map_or(listing.reference_price, |tape| tape.last)
    }

    /// Moves the instrument's price to `price` (a trade at that price), widening the day's
    /// range.
    pub(crate) fn set_price(&mut self, listing: &Listing, price: Price, now_unix: i64) {
        let opened = self.opened_unix;
        let tape = self
            .tapes
            .entry(listing.instrument.clone())
            .or_insert_with(|| Tape::fresh(listing, opened));
        tape.last = price;
        tape.high = tape.high.max(price);
        tape.low = tape.low.min(price);
        tape.last_trade_unix = now_unix;
        self.note_change(&listing.instrument);
    }

    /// Records a trade of `quantity` at the last price: an account's fill, or one of the
    /// feeds' ticks (each tick is a trade, so the day's volume grows with every one). Answers
    /// the tape after it.
    pub(crate) fn record_trade(&mut self, listing: &Listing, quantity: u32, now_unix: i64) -> Tape {
        let opened = self.opened_unix;
        let tape = self
            .tapes
            .entry(listing.instrument.clone())
            .or_insert_with(|| Tape::fresh(listing, opened));
        tape.volume += u64::from(quantity);
        tape.last_quantity = quantity;
        tape.last_trade_unix = now_unix;
        let after = tape.clone();
        self.note_change(&listing.instrument);
        after
    }

    /// Notes the instrument's tape as changed since the last save (the feeds trade every
    /// streamed instrument each tick: no copy of the key when it is noted already).
    fn note_change(&mut self, instrument: &Instrument) {
        if !self.changed.contains(instrument) {
            self.changed.insert(instrument.clone());
        }
    }
}
