//! Typed instruments, validated at construction, with one canonical text form.
//!
//! | kind | text |
//! |---|---|
//! | equity | `NSE:RELIANCE`, `BSE:M&M` |
//! | index | `NSE:INDEX:NIFTY 50` |
//! | future | `NFO:NIFTY:2026-12-29:FUT` |
//! | option | `NFO:NIFTY:2026-12-29:24000:CE` |
//! | currency | `CDS:USDINR:2026-12-29:FUT`, `CDS:USDINR:2026-12-29:83.25:CE` |
//!
//! `Display` writes it and `FromStr` reads it back to an equal value; the CLI, config files, logs
//! and JSON all use it.

mod contract;
mod error;
mod symbol;
mod text;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;

pub use contract::{
    Currency, CurrencyContract, Equity, Future, Index, IntoStrike, OptionContract, OptionType,
};
pub use error::InstrumentError;
pub use symbol::Symbol;

use crate::{Exchange, Price};

/// Any tradable or streamable instrument.
///
/// ```
/// use tt_core::{Exchange, Instrument};
///
/// let option: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse()?;
/// assert_eq!(option.exchange(), Exchange::Nfo);
/// assert_eq!(option.symbol().as_str(), "NIFTY");
/// assert_eq!(option.to_string(), "NFO:NIFTY:2026-12-29:24000:CE");
/// # Ok::<(), tt_core::InstrumentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Instrument {
    /// A share or ETF.
    Equity(Equity),
    /// A market index.
    Index(Index),
    /// An index, stock or commodity future.
    Future(Future),
    /// An index, stock or commodity option.
    Option(OptionContract),
    /// A currency future or option.
    Currency(Currency),
}

/// The kind of an [`Instrument`], without its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstrumentKind {
    /// [`Equity`].
    Equity,
    /// [`Index`].
    Index,
    /// [`Future`].
    Future,
    /// [`OptionContract`].
    Option,
    /// [`Currency`].
    Currency,
}

impl InstrumentKind {
    /// The exchanges that list this kind.
    pub const fn exchanges(self) -> &'static [Exchange] {
        match self {
            InstrumentKind::Equity => &[Exchange::Nse, Exchange::Bse],
            InstrumentKind::Index => &[Exchange::Nse, Exchange::Bse, Exchange::Mcx],
            InstrumentKind::Future | InstrumentKind::Option => {
                &[Exchange::Nfo, Exchange::Bfo, Exchange::Mcx]
            }
            InstrumentKind::Currency => &[Exchange::Cds, Exchange::Bcd],
        }
    }

    pub(crate) fn article(self) -> &'static str {
        match self {
            InstrumentKind::Equity => "an equity",
            InstrumentKind::Index => "an index",
            InstrumentKind::Future => "a future",
            InstrumentKind::Option => "an option",
            InstrumentKind::Currency => "a currency contract",
        }
    }

    pub(crate) fn exchanges_text(self) -> String {
        let codes: Vec<&str> = self.exchanges().iter().map(|e| e.code()).collect();
        match codes.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl fmt::Display for InstrumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            InstrumentKind::Equity => "equity",
            InstrumentKind::Index => "index",
            InstrumentKind::Future => "future",
            InstrumentKind::Option => "option",
            InstrumentKind::Currency => "currency contract",
        })
    }
}

impl Instrument {
    /// The exchange it is listed on.
    pub fn exchange(&self) -> Exchange {
        match self {
            Instrument::Equity(i) => i.exchange(),
            Instrument::Index(i) => i.exchange(),
            Instrument::Future(i) => i.exchange(),
            Instrument::Option(i) => i.exchange(),
            Instrument::Currency(i) => i.exchange(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> InstrumentKind {
        match self {
            Instrument::Equity(_) => InstrumentKind::Equity,
            Instrument::Index(_) => InstrumentKind::Index,
            Instrument::Future(_) => InstrumentKind::Future,
            Instrument::Option(_) => InstrumentKind::Option,
            Instrument::Currency(_) => InstrumentKind::Currency,
        }
    }

    /// The ticker of an equity, the name of an index, or the underlying (pair) of a derivative.
    pub fn symbol(&self) -> &Symbol {
        match self {
            Instrument::Equity(i) => i.symbol(),
            Instrument::Index(i) => i.name(),
            Instrument::Future(i) => i.underlying(),
            Instrument::Option(i) => i.underlying(),
            Instrument::Currency(i) => i.pair(),
        }
    }

    /// The expiry of a derivative; `None` for equities and indices.
    pub fn expiry(&self) -> core::option::Option<Date> {
        match self {
            Instrument::Equity(_) | Instrument::Index(_) => None,
            Instrument::Future(i) => Some(i.expiry()),
            Instrument::Option(i) => Some(i.expiry()),
            Instrument::Currency(i) => Some(i.expiry()),
        }
    }

    /// The strike and type of an option (including currency options).
    pub fn option_terms(&self) -> core::option::Option<(Price, OptionType)> {
        match self {
            Instrument::Option(i) => Some((i.strike(), i.option_type())),
            Instrument::Currency(i) => match i.contract() {
                CurrencyContract::Option {
                    strike,
                    option_type,
                } => Some((strike, option_type)),
                CurrencyContract::Future => None,
            },
            _ => None,
        }
    }

    /// True for futures and options, currency ones included.
    pub fn is_derivative(&self) -> bool {
        matches!(
            self,
            Instrument::Future(_) | Instrument::Option(_) | Instrument::Currency(_)
        )
    }

    /// True for instruments an order can be placed on (everything but an index).
    pub fn is_tradable(&self) -> bool {
        !matches!(self, Instrument::Index(_))
    }
}

impl From<Equity> for Instrument {
    fn from(i: Equity) -> Self {
        Instrument::Equity(i)
    }
}

impl From<Index> for Instrument {
    fn from(i: Index) -> Self {
        Instrument::Index(i)
    }
}

impl From<Future> for Instrument {
    fn from(i: Future) -> Self {
        Instrument::Future(i)
    }
}

impl From<OptionContract> for Instrument {
    fn from(i: OptionContract) -> Self {
        Instrument::Option(i)
    }
}

impl From<Currency> for Instrument {
    fn from(i: Currency) -> Self {
        Instrument::Currency(i)
    }
}

impl Serialize for Instrument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Instrument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The trading terms of one contract, from the instrument master: what a valid order on it
/// looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContractSpec {
    /// The price step; every order price is a multiple of it.
    pub tick_size: Price,
    /// The lot; every order quantity is a multiple of it (1 for equities).
    pub lot_size: u32,
    /// The exchange's largest quantity in one order, where known.
    pub freeze_quantity: core::option::Option<u32>,
    /// The value in rupees of one unit of quantity at price 1, where the broker states it:
    /// what price × quantity is multiplied by into a value, a profit or loss or a margin
    /// (1,000 for a USDINR future quoted per dollar; 100 for MCX gold quoted per 10 g and
    /// traded per kilogram). `None` when the broker's listing does not say (Kite's dump never
    /// does); a reader then falls back on the exchange's rule.
    #[serde(default)]
    pub multiplier: core::option::Option<core::num::NonZeroU32>,
}
