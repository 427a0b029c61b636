//! The instruments the simulator lists and trades: the master's Kite listing, indexed by Kite's
//! `EXCHANGE:TRADINGSYMBOL`, by `instrument_token` and by canonical instrument, each with the
//! reference price it opens at.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tt_core::{Exchange, Instrument, InstrumentKind, OptionType, Price};
use tt_instruments::InstrumentMaster;

use crate::SimError;

/// One instrument as Kite lists it.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// Kite's `instrument_token`.
    pub(crate) token: u32,
    /// The exchange's own token.
    pub(crate) exchange_token: String,
    /// The exchange.
    pub(crate) exchange: Exchange,
    /// Kite's `tradingsymbol`.
    pub(crate) tradingsymbol: String,
    /// The company, index or underlying name.
    pub(crate) name: Option<String>,
    /// The canonical instrument.
    pub(crate) instrument: Instrument,
    /// Price step (zero for indices).
    pub(crate) tick: Price,
    /// Quantity step (zero for indices).
    pub(crate) lot: u32,
    /// The ISIN, where the master knows it.
    pub(crate) isin: Option<String>,
    /// Yesterday's close: where the price starts until someone sets it.
    pub(crate) reference_price: Price,
}

impl Listing {
    /// The parts of the listing an order, trade or position keeps with it.
    pub(crate) fn key(&self) -> InstrumentRef {
        InstrumentRef {
            token: self.token,
            exchange: self.exchange,
            tradingsymbol: self.tradingsymbol.clone(),
            kind: self.instrument.kind(),
            strike: self.instrument.option_terms().map(|(strike, _)| strike),
        }
    }

    /// The step prices move in: the tick, or five paise for an index (whose tick is zero).
    pub(crate) fn price_step(&self) -> Price {
        if self.tick.is_positive() {
            self.tick
        } else {
            Price::from_mantissa(5_000_000).unwrap_or(Price::ZERO)
        }
    }

    /// Kite's `instrument_type` and `segment` columns.
    pub(crate) fn kite_type_and_segment(&self) -> (&'static str, String) {
        let code = self.exchange.code();
        let option_type = |option: OptionType| match option {
            OptionType::Call => "CE",
            OptionType::Put => "PE",
        };
        match &self.instrument {
            Instrument::Index(_) => ("EQ", "INDICES".to_owned()),
            Instrument::Equity(_) => ("EQ", code.to_owned()),
            Instrument::Future(_) => ("FUT", format!("{code}-FUT")),
            other => match other.option_terms() {
                Some((_, option)) => (option_type(option), format!("{code}-OPT")),
                None => ("FUT", format!("{code}-FUT")),
            },
        }
    }
}

/// What an order, trade, position or holding remembers of its instrument, so it can be shown
/// and margined even if a later master no longer lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstrumentRef {
    /// Kite's `instrument_token`.
    pub(crate) token: u32,
    /// The exchange.
    pub(crate) exchange: Exchange,
    /// Kite's `tradingsymbol`.
    pub(crate) tradingsymbol: String,
    /// Equity, future, option, ...
    pub(crate) kind: InstrumentKind,
    /// The strike of an option.
    pub(crate) strike: Option<Price>,
}

/// Every instrument of the master's Kite listing.
#[derive(Debug)]
pub(crate) struct Universe {
    listings: Vec<Listing>,
    by_symbol: HashMap<(Exchange, String), usize>,
    by_token: HashMap<u32, usize>,
    by_instrument: HashMap<Instrument, usize>,
}

impl Universe {
    /// Reads the master's Kite listing. Rows whose token is not a number or that have no
    /// tradingsymbol cannot be addressed through Kite and are left out.
    pub(crate) fn from_master(master: &InstrumentMaster) -> Result<Universe, SimError> {
        let listed = master.listing("zerodha").map_err(SimError::Master)?;
        let mut listings = Vec::with_capacity(listed.len());
        for row in listed {
            let (Ok(token), Some(tradingsymbol)) =
                (row.token.token.parse::<u32>(), row.token.symbol)
            else {
                continue;
            };
            let exchange = row
                .token
                .exchange
                .as_deref()
                .and_then(|code| code.parse::<Exchange>().ok())
                .unwrap_or_else(|| row.instrument.exchange());
            let mut listing = Listing {
                token,
                exchange_token: row.exchange_token,
                exchange,
                tradingsymbol,
                name: row.name,
                instrument: row.instrument,
                tick: row.contract.tick_size,
                lot: row.contract.lot_size,
                isin: row.isin,
                reference_price: Price::ZERO,
            };
            listing.reference_price = reference_price(&listing);
            listings.push(listing);
        }
        Ok(Universe::new(listings))
    }

    fn new(listings: Vec<Listing>) -> Universe {
        let mut by_symbol = HashMap::with_capacity(listings.len());
        let mut by_token = HashMap::with_capacity(listings.len());
        let mut by_instrument = HashMap::with_capacity(listings.len());
        for (index, listing) in listings.iter().enumerate() {
            by_symbol
                .entry((listing.exchange, listing.tradingsymbol.clone()))
                .or_insert(index);
            by_token.entry(listing.token).or_insert(index);
            by_instrument
                .entry(listing.instrument.clone())
                .or_insert(index);
        }
        Universe {
            listings,
            by_symbol,
            by_token,
            by_instrument,
        }
    }

    /// Every listing, in the master's order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Listing> {
        self.listings.iter()
    }

    /// True when nothing is listed.
    pub(crate) fn is_empty(&self) -> bool {
        self.listings.is_empty()
    }

    /// The instrument Kite calls `tradingsymbol` on `exchange`.
    pub(crate) fn by_symbol(&self, exchange: Exchange, tradingsymbol: &str) -> Option<&Listing> {
        self.by_symbol
            .get(&(exchange, tradingsymbol.to_owned()))
            .and_then(|&i| self.listings.get(i))
    }

    /// The instrument with Kite's `instrument_token`.
    pub(crate) fn by_token(&self, token: u32) -> Option<&Listing> {
        self.by_token
            .get(&token)
            .and_then(|&i| self.listings.get(i))
    }

    /// `NSE:INFY` as Kite's quote and order APIs name instruments.
    pub(crate) fn by_kite_key(&self, key: &str) -> Option<&Listing> {
        let (exchange, tradingsymbol) = key.split_once(':')?;
        self.by_symbol(exchange.parse().ok()?, tradingsymbol)
    }

    /// Kite's `EXCHANGE:TRADINGSYMBOL`, else the canonical text (`NFO:NIFTY:2026-12-29:FUT`).
    pub(crate) fn resolve(&self, spec: &str) -> Option<&Listing> {
        self.by_kite_key(spec).or_else(|| {
            let instrument: Instrument = spec.parse().ok()?;
            self.by_instrument
                .get(&instrument)
                .and_then(|&i| self.listings.get(i))
        })
    }
}

/// FNV-1a: a fixed, platform-independent hash, so an instrument's derived values are the same
/// in every run and on every machine.
pub(crate) fn stable_hash(token: u32, salt: u8) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in token.to_le_bytes().into_iter().chain([salt]) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A plausible previous close for an instrument, derived from its token alone: equities ₹50 to
/// ₹5,000, indices 5,000 to 60,000, futures ₹100 to ₹30,000, options ₹1 to ₹500, currency
/// futures ₹60 to ₹100 and currency options ₹0.05 to ₹2, rounded to the tick.
fn reference_price(listing: &Listing) -> Price {
    // Ranges in paise.
    let (low, high): (i64, i64) = match &listing.instrument {
        Instrument::Equity(_) => (5_000, 500_000),
        Instrument::Index(_) => (500_000, 6_000_000),
        Instrument::Future(_) => (10_000, 3_000_000),
        Instrument::Option(_) => (100, 50_000),
        Instrument::Currency(_) if listing.instrument.option_terms().is_some() => (5, 200),
        Instrument::Currency(_) => (6_000, 10_000),
    };
    let span = u64::try_from(high - low).unwrap_or(1).max(1);
    let offset = i64::try_from(stable_hash(listing.token, 0) % span).unwrap_or(0);
    let step = listing.price_step();
    Price::from_scaled(low + offset, 100)
        .and_then(|p| p.round_to_tick(step))
        .filter(|p| p.is_positive())
        .unwrap_or(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_core::Equity;

    fn listing(token: u32, tick: &str) -> Listing {
        let mut listing = Listing {
            token,
            exchange_token: (token / 256).to_string(),
            exchange: Exchange::Nse,
            tradingsymbol: "ABC".to_owned(),
            name: None,
            instrument: Equity::new(Exchange::Nse, "ABC").unwrap().into(),
            tick: tick.parse().unwrap(),
            lot: 1,
            isin: None,
            reference_price: Price::ZERO,
        };
        listing.reference_price = reference_price(&listing);
        listing
    }

    #[test]
    fn reference_prices_are_deterministic_on_tick_and_in_range() {
        for token in [1, 256, 408_065, 738_561, 4_294_967_295] {
            let a = listing(token, "0.05");
            let b = listing(token, "0.05");
            assert_eq!(a.reference_price, b.reference_price);
            assert!(a.reference_price.is_multiple_of(a.tick));
            assert!(a.reference_price >= "50".parse().unwrap());
            assert!(a.reference_price <= "5000".parse().unwrap());
        }
        assert_ne!(
            listing(408_065, "0.05").reference_price,
            listing(738_561, "0.05").reference_price
        );
    }

    #[test]
    fn kite_keys_and_canonical_text_both_resolve() {
        let universe = Universe::new(vec![listing(408_065, "0.05")]);
        assert_eq!(
            universe.by_kite_key("NSE:ABC").map(|l| l.token),
            Some(408_065)
        );
        assert_eq!(universe.resolve("NSE:ABC").map(|l| l.token), Some(408_065));
        assert!(universe.by_kite_key("BSE:ABC").is_none());
        assert!(universe.by_kite_key("XYZ:ABC").is_none());
        assert!(universe.by_kite_key("ABC").is_none());
        assert_eq!(
            universe.by_token(408_065).map(|l| l.tradingsymbol.as_str()),
            Some("ABC")
        );
    }
}
