//! The instruments the simulator lists and trades: one listing per canonical instrument, with
//! each broker's contract where the master has that broker's row (Kite's `instrument_token`,
//! exchange and `tradingsymbol`; Upstox's `instrument_key` and `trading_symbol`; each with its
//! own tick and lot, and the contract's multiplier), indexed by each broker's names and by canonical instrument, each with the
//! reference price it opens at. An instrument only one broker lists is tradable only there.

use std::collections::HashMap;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use time::Date;
use tt_core::{Exchange, Instrument, InstrumentKind, OptionType, Price};
use tt_instruments::{InstrumentMaster, Listed};

use crate::{SimBroker, SimError};

/// One broker's listing of an instrument: how that broker names it and what an order to it
/// must meet.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    /// Kite's `instrument_token` (digits), or Upstox's `instrument_key` (`NSE_EQ|INE002A01018`).
    pub(crate) token: String,
    /// Kite's `tradingsymbol`, or Upstox's `trading_symbol`.
    pub(crate) symbol: String,
    /// The exchange as this broker's orders name it (`NSE`, `NFO`, `MCX`, ...).
    pub(crate) exchange: Exchange,
    /// Price step (zero for indices).
    pub(crate) tick: Price,
    /// Quantity step (zero for indices).
    pub(crate) lot: u32,
    /// The exchange's largest quantity in one order, where the broker gives it.
    pub(crate) freeze: Option<u32>,
    /// Rupees one unit of quantity is worth at price 1: what a price is multiplied by (with
    /// the quantity) into a value, a profit or loss and a margin. The master's, where a broker
    /// states it, else [`contract_multiplier`].
    pub(crate) multiplier: u32,
}

/// The multiplier of a contract whose broker states none, by its exchange: 1,000 for
/// currency derivatives (CDS, BCD), quoted per unit of a currency and traded in lots of a
/// thousand units (Kite's CDS lot size is 1, a lot of 1,000 USD), and 1 everywhere else.
///
/// MCX contracts have multipliers of their own (100 for gold quoted per 10 g and traded per
/// kilogram), which no exchange-wide rule gives: the simulator takes them from the master,
/// where Upstox's dump states them, and values a commodity nobody states one for at 1.
pub(crate) const fn contract_multiplier(exchange: Exchange) -> u32 {
    match exchange {
        Exchange::Cds | Exchange::Bcd => 1_000,
        Exchange::Nse | Exchange::Bse | Exchange::Nfo | Exchange::Bfo | Exchange::Mcx => 1,
    }
}

/// A contract's multiplier: the one its broker states, else the exchange's rule.
fn multiplier_of(stated: Option<NonZeroU32>, exchange: Exchange) -> u32 {
    stated.map_or(contract_multiplier(exchange), NonZeroU32::get)
}

impl Contract {
    /// Kite's numeric `instrument_token` (only rows with a numeric token are listed for Kite).
    pub(crate) fn kite_token(&self) -> u32 {
        self.token.parse().unwrap_or_default()
    }

    /// The segment an Upstox instrument key starts with (`NSE_EQ` of `NSE_EQ|INE002A01018`).
    pub(crate) fn upstox_segment(&self) -> &str {
        key_segment(&self.token)
    }
}

/// The segment an Upstox instrument key starts with (`NSE_EQ` of `NSE_EQ|INE002A01018`).
pub(crate) fn key_segment(key: &str) -> &str {
    key.split_once('|').map_or(key, |(segment, _)| segment)
}

/// One instrument, with each broker's contract for it.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// The canonical instrument.
    pub(crate) instrument: Instrument,
    /// The exchange's own token.
    pub(crate) exchange_token: String,
    /// The company, index or underlying name.
    pub(crate) name: Option<String>,
    /// The ISIN, where the master knows it.
    pub(crate) isin: Option<String>,
    /// Kite's listing, when Kite lists it.
    pub(crate) kite: Option<Contract>,
    /// Upstox's listing, when Upstox lists it.
    pub(crate) upstox: Option<Contract>,
    /// What the derived values (reference price, volume, depth) are computed from: Kite's
    /// token where Kite lists the instrument (so Kite's figures are what they always were),
    /// else a hash of the instrument.
    pub(crate) seed: u32,
    /// Yesterday's close: where the price starts until someone sets it.
    pub(crate) reference_price: Price,
}

impl Listing {
    /// The broker's contract, if the broker lists the instrument.
    pub(crate) fn contract(&self, broker: SimBroker) -> Option<&Contract> {
        match broker {
            SimBroker::Kite => self.kite.as_ref(),
            SimBroker::Upstox => self.upstox.as_ref(),
        }
    }

    /// The contract the market's prices step by: Kite's, else Upstox's.
    fn market_contract(&self) -> Option<&Contract> {
        self.kite.as_ref().or(self.upstox.as_ref())
    }

    /// The lot the market's derived quantities come in.
    pub(crate) fn lot(&self) -> u32 {
        self.market_contract().map_or(0, |c| c.lot)
    }

    /// The parts of the listing an order, trade or position at `broker` keeps with it; `None`
    /// when the broker does not list the instrument.
    pub(crate) fn key(&self, broker: SimBroker) -> Option<InstrumentRef> {
        let contract = self.contract(broker)?;
        Some(InstrumentRef {
            instrument: self.instrument.clone(),
            token: contract.token.clone(),
            exchange: contract.exchange,
            tradingsymbol: contract.symbol.clone(),
            kind: self.instrument.kind(),
            strike: self.instrument.option_terms().map(|(strike, _)| strike),
            multiplier: contract.multiplier,
        })
    }

    /// The step the market's prices move in: the tick, or five paise for an index (whose tick
    /// is zero).
    pub(crate) fn price_step(&self) -> Price {
        step_of(self.market_contract().map_or(Price::ZERO, |c| c.tick))
    }

    /// Kite's `instrument_type` and `segment` columns.
    pub(crate) fn kite_type_and_segment(&self, exchange: Exchange) -> (&'static str, String) {
        let code = exchange.code();
        match &self.instrument {
            Instrument::Index(_) => ("EQ", "INDICES".to_owned()),
            Instrument::Equity(_) => ("EQ", code.to_owned()),
            Instrument::Future(_) => ("FUT", format!("{code}-FUT")),
            other => match other.option_terms() {
                Some((_, option)) => (option_code(option), format!("{code}-OPT")),
                None => ("FUT", format!("{code}-FUT")),
            },
        }
    }
}

/// `CE` or `PE`, as both brokers write an option's type.
pub(crate) const fn option_code(option: OptionType) -> &'static str {
    match option {
        OptionType::Call => "CE",
        OptionType::Put => "PE",
    }
}

/// A contract's tick, or five paise where it has none (an index).
pub(crate) fn step_of(tick: Price) -> Price {
    if tick.is_positive() {
        tick
    } else {
        Price::from_mantissa(5_000_000).unwrap_or(Price::ZERO)
    }
}

/// What an order, trade, position or holding remembers of its instrument, so it can be shown
/// and margined even if a later master no longer lists it. Each broker's account keeps that
/// broker's names for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstrumentRef {
    /// The canonical instrument: what the account is keyed by.
    pub(crate) instrument: Instrument,
    /// The broker's token (Kite's `instrument_token` digits, Upstox's `instrument_key`).
    pub(crate) token: String,
    /// The exchange.
    pub(crate) exchange: Exchange,
    /// The broker's trading symbol.
    pub(crate) tradingsymbol: String,
    /// Equity, future, option, ...
    pub(crate) kind: InstrumentKind,
    /// The strike of an option.
    pub(crate) strike: Option<Price>,
    /// The contract's multiplier (see [`Contract::multiplier`]).
    #[serde(default = "one")]
    pub(crate) multiplier: u32,
}

const fn one() -> u32 {
    1
}

impl InstrumentRef {
    /// `units` of quantity in units of the underlying: what a price multiplies into a value.
    pub(crate) fn underlying_units(&self, units: u64) -> i64 {
        i64::try_from(units.saturating_mul(u64::from(self.multiplier.max(1)))).unwrap_or(i64::MAX)
    }

    /// Kite's numeric `instrument_token`.
    pub(crate) fn kite_token(&self) -> u32 {
        self.token.parse().unwrap_or_default()
    }
}

/// Every instrument the master lists for Kite or Upstox.
#[derive(Debug)]
pub(crate) struct Universe {
    listings: Vec<Listing>,
    by_kite_symbol: HashMap<(Exchange, String), usize>,
    /// Kite's numeric `instrument_token`, as the ticker names instruments.
    by_kite_token: HashMap<u32, usize>,
    by_upstox_key: HashMap<String, usize>,
    by_instrument: HashMap<Instrument, usize>,
}

/// The master's name of each broker.
const KITE_MASTER_NAME: &str = "zerodha";
const UPSTOX_MASTER_NAME: &str = "upstox";

impl Universe {
    /// Reads the master's Kite and Upstox listings and joins them by canonical instrument.
    /// Kite rows whose token is not a number or that have no tradingsymbol, and Upstox rows
    /// whose key is not `SEGMENT|ID`, cannot be addressed through that broker and are left out.
    pub(crate) fn from_master(master: &InstrumentMaster) -> Result<Universe, SimError> {
        let kite = master.listing(KITE_MASTER_NAME).map_err(SimError::Master)?;
        let upstox = master
            .listing(UPSTOX_MASTER_NAME)
            .map_err(SimError::Master)?;
        let mut listings: Vec<Listing> = Vec::with_capacity(kite.len().max(upstox.len()));
        let mut by_instrument: HashMap<Instrument, usize> = HashMap::new();
        for row in kite {
            let (Ok(token), Some(tradingsymbol)) =
                (row.token.token.parse::<u32>(), row.token.symbol.clone())
            else {
                continue;
            };
            let exchange = row
                .token
                .exchange
                .as_deref()
                .and_then(|code| code.parse::<Exchange>().ok())
                .unwrap_or_else(|| row.instrument.exchange());
            let contract = Contract {
                token: token.to_string(),
                symbol: tradingsymbol,
                exchange,
                tick: row.contract.tick_size,
                lot: row.contract.lot_size,
                freeze: row.contract.freeze_quantity,
                multiplier: multiplier_of(row.contract.multiplier, exchange),
            };
            if by_instrument.contains_key(&row.instrument) {
                continue;
            }
            by_instrument.insert(row.instrument.clone(), listings.len());
            let mut listing = listing_of(row, token);
            listing.kite = Some(contract);
            listings.push(listing);
        }
        for row in upstox {
            if !row.token.token.contains('|') {
                continue;
            }
            let contract = Contract {
                token: row.token.token.clone(),
                symbol: row
                    .token
                    .symbol
                    .clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| upstox_trading_symbol(&row.instrument)),
                exchange: row.instrument.exchange(),
                tick: row.contract.tick_size,
                lot: row.contract.lot_size,
                freeze: row.contract.freeze_quantity,
                multiplier: multiplier_of(row.contract.multiplier, row.instrument.exchange()),
            };
            match by_instrument.get(&row.instrument).copied() {
                Some(index) => {
                    if let Some(listing) = listings.get_mut(index)
                        && listing.upstox.is_none()
                    {
                        if listing.isin.is_none() {
                            listing.isin.clone_from(&row.isin);
                        }
                        // The multiplier is the exchange contract's, whoever lists it: Kite's
                        // dump states none, so Kite's listing takes the one Upstox states.
                        if let (Some(kite), Some(stated)) =
                            (listing.kite.as_mut(), row.contract.multiplier)
                        {
                            kite.multiplier = stated.get();
                        }
                        listing.upstox = Some(contract);
                    }
                }
                None => {
                    by_instrument.insert(row.instrument.clone(), listings.len());
                    let seed = fold(&row.token.token);
                    let mut listing = listing_of(row, seed);
                    listing.upstox = Some(contract);
                    listings.push(listing);
                }
            }
        }
        for listing in &mut listings {
            listing.reference_price = reference_price(listing);
        }
        Ok(Universe::new(listings))
    }

    fn new(listings: Vec<Listing>) -> Universe {
        let mut by_kite_symbol = HashMap::with_capacity(listings.len());
        let mut by_kite_token = HashMap::with_capacity(listings.len());
        let mut by_upstox_key = HashMap::with_capacity(listings.len());
        let mut by_instrument = HashMap::with_capacity(listings.len());
        for (index, listing) in listings.iter().enumerate() {
            if let Some(kite) = &listing.kite {
                by_kite_symbol
                    .entry((kite.exchange, kite.symbol.clone()))
                    .or_insert(index);
                by_kite_token.entry(kite.kite_token()).or_insert(index);
            }
            if let Some(upstox) = &listing.upstox {
                by_upstox_key.entry(upstox.token.clone()).or_insert(index);
            }
            by_instrument
                .entry(listing.instrument.clone())
                .or_insert(index);
        }
        Universe {
            listings,
            by_kite_symbol,
            by_kite_token,
            by_upstox_key,
            by_instrument,
        }
    }

    /// Every listing the broker lists, with the broker's contract, in the master's order
    /// (Kite's rows first, then those only Upstox lists).
    pub(crate) fn listed_by(
        &self,
        broker: SimBroker,
    ) -> impl Iterator<Item = (&Listing, &Contract)> {
        self.listings
            .iter()
            .filter_map(move |l| l.contract(broker).map(|c| (l, c)))
    }

    /// True when nothing is listed.
    pub(crate) fn is_empty(&self) -> bool {
        self.listings.is_empty()
    }

    fn at(&self, index: Option<&usize>) -> Option<&Listing> {
        index.and_then(|&i| self.listings.get(i))
    }

    /// The instrument Kite calls `tradingsymbol` on `exchange`.
    pub(crate) fn by_symbol(&self, exchange: Exchange, tradingsymbol: &str) -> Option<&Listing> {
        self.at(self
            .by_kite_symbol
            .get(&(exchange, tradingsymbol.to_owned())))
    }

    /// The listing at `index` (as [`Universe::kite_token_index`] and
    /// [`Universe::upstox_key_index`] answer): the feeds keep indices, not borrows.
    pub(crate) fn get(&self, index: usize) -> Option<&Listing> {
        self.listings.get(index)
    }

    /// Where the instrument with Kite's `instrument_token` is, as the ticker names it.
    pub(crate) fn kite_token_index(&self, token: u32) -> Option<usize> {
        self.by_kite_token.get(&token).copied()
    }

    /// Where the instrument with Upstox's `instrument_key` is, as the feed names it.
    pub(crate) fn upstox_key_index(&self, key: &str) -> Option<usize> {
        self.by_upstox_key.get(key).copied()
    }

    /// The instrument with Upstox's `instrument_key`.
    pub(crate) fn by_upstox_key(&self, key: &str) -> Option<&Listing> {
        self.at(self.by_upstox_key.get(key))
    }

    /// The canonical instrument's listing.
    pub(crate) fn by_instrument(&self, instrument: &Instrument) -> Option<&Listing> {
        self.at(self.by_instrument.get(instrument))
    }

    /// `NSE:INFY` as Kite's quote and order APIs name instruments.
    pub(crate) fn by_kite_key(&self, key: &str) -> Option<&Listing> {
        let (exchange, tradingsymbol) = key.split_once(':')?;
        self.by_symbol(exchange.parse().ok()?, tradingsymbol)
    }

    /// Kite's `EXCHANGE:TRADINGSYMBOL`, Upstox's instrument key, else the canonical text
    /// (`NFO:NIFTY:2026-12-29:FUT`).
    pub(crate) fn resolve(&self, spec: &str) -> Option<&Listing> {
        self.by_kite_key(spec)
            .or_else(|| self.by_upstox_key(spec))
            .or_else(|| self.by_instrument(&spec.parse().ok()?))
    }
}

/// The broker-neutral parts of a listing; contracts and reference price are filled in after.
fn listing_of(row: Listed, seed: u32) -> Listing {
    Listing {
        instrument: row.instrument,
        exchange_token: row.exchange_token,
        name: row.name,
        isin: row.isin,
        kite: None,
        upstox: None,
        seed,
        reference_price: Price::ZERO,
    }
}

/// `29 DEC 26`, as Upstox's trading symbols write an expiry.
fn upstox_expiry(date: Date) -> String {
    let month = match u8::from(date.month()) {
        1 => "JAN",
        2 => "FEB",
        3 => "MAR",
        4 => "APR",
        5 => "MAY",
        6 => "JUN",
        7 => "JUL",
        8 => "AUG",
        9 => "SEP",
        10 => "OCT",
        11 => "NOV",
        _ => "DEC",
    };
    format!(
        "{:02} {month} {:02}",
        date.day(),
        date.year().rem_euclid(100)
    )
}

/// Upstox's `trading_symbol` for an instrument whose master row does not carry it: the ticker
/// of an equity, the name of an index, and the spaced form of a derivative
/// (`NIFTY FUT 29 DEC 26`, `NIFTY 24000 CE 29 DEC 26`).
fn upstox_trading_symbol(instrument: &Instrument) -> String {
    let root = instrument.symbol().as_str();
    let expiry = instrument.expiry().map(upstox_expiry).unwrap_or_default();
    match (instrument, instrument.option_terms()) {
        (Instrument::Equity(_) | Instrument::Index(_), _) => root.to_owned(),
        (_, Some((strike, option))) => {
            format!("{root} {strike} {} {expiry}", option_code(option))
        }
        (_, None) => format!("{root} FUT {expiry}"),
    }
}

/// FNV-1a of `text`, folded to 32 bits: the seed of an instrument only Upstox lists.
fn fold(text: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    u32::try_from(hash % (1 << 32)).unwrap_or_default()
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

/// A plausible previous close for an instrument, derived from its seed alone: equities ₹50 to
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
    let offset = i64::try_from(stable_hash(listing.seed, 0) % span).unwrap_or(0);
    let step = listing.price_step();
    Price::from_scaled(low + offset, 100)
        .and_then(|p| p.round_to_tick(step))
        .filter(|p| p.is_positive())
        .unwrap_or(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use tt_core::{Equity, OptionContract};

    fn listing(token: u32, tick: &str) -> Listing {
        let mut listing = Listing {
            instrument: Equity::new(Exchange::Nse, "ABC").unwrap().into(),
            exchange_token: (token / 256).to_string(),
            name: None,
            isin: None,
            kite: Some(Contract {
                token: token.to_string(),
                symbol: "ABC".to_owned(),
                exchange: Exchange::Nse,
                tick: tick.parse().unwrap(),
                lot: 1,
                freeze: None,
                multiplier: 1,
            }),
            upstox: None,
            seed: token,
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
            assert!(a.reference_price.is_multiple_of(a.price_step()));
            assert!(a.reference_price >= "50".parse().unwrap());
            assert!(a.reference_price <= "5000".parse().unwrap());
        }
        assert_ne!(
            listing(408_065, "0.05").reference_price,
            listing(738_561, "0.05").reference_price
        );
    }

    #[test]
    fn kite_keys_upstox_keys_and_canonical_text_resolve() {
        let mut one = listing(408_065, "0.05");
        one.upstox = Some(Contract {
            token: "NSE_EQ|INE000A01000".to_owned(),
            symbol: "ABC".to_owned(),
            exchange: Exchange::Nse,
            tick: "0.05".parse().unwrap(),
            lot: 1,
            freeze: None,
            multiplier: 1,
        });
        let universe = Universe::new(vec![one]);
        let token = |l: Option<&Listing>| l.and_then(|l| l.kite.as_ref()).map(Contract::kite_token);
        assert_eq!(token(universe.by_kite_key("NSE:ABC")), Some(408_065));
        assert_eq!(token(universe.resolve("NSE:ABC")), Some(408_065));
        assert_eq!(
            token(universe.resolve("NSE_EQ|INE000A01000")),
            Some(408_065)
        );
        assert!(universe.by_kite_key("BSE:ABC").is_none());
        assert!(universe.by_kite_key("XYZ:ABC").is_none());
        assert!(universe.by_kite_key("ABC").is_none());
        assert_eq!(
            universe
                .by_kite_key("NSE:ABC")
                .and_then(|l| l.upstox.as_ref())
                .map(Contract::upstox_segment),
            Some("NSE_EQ")
        );
    }

    #[test]
    fn upstox_symbols_of_derivatives_are_spaced() {
        let option: Instrument = OptionContract::new(
            Exchange::Nfo,
            "NIFTY",
            date!(2026 - 12 - 29),
            24_000,
            OptionType::Call,
        )
        .unwrap()
        .into();
        assert_eq!(upstox_trading_symbol(&option), "NIFTY 24000 CE 29 DEC 26");
    }
}
