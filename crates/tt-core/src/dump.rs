//! The broker-neutral record an instrument dump yields, one per row.
//!
//! Each broker crate parses its own dump format into [`DumpRecord`]s; the instrument master
//! merges them into one canonical instrument per contract. Broker-specific identifiers travel in
//! [`BrokerToken`] as opaque text, so the master never needs to know a broker's field names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ContractSpec, Instrument};

/// What a broker needs to trade and stream one instrument: its own token, and where the broker
/// addresses instruments by symbol, that symbol and exchange code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BrokerToken {
    /// The broker's token (Kite's `instrument_token`, Upstox's `instrument_key`).
    pub token: String,
    /// The broker's trading symbol, where orders are addressed by symbol.
    pub symbol: Option<String>,
    /// The broker's exchange code for the symbol, where it has one.
    pub exchange: Option<String>,
}

/// One usable row of a broker's instrument dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRecord {
    /// The canonical instrument.
    pub instrument: Instrument,
    /// The descriptive name (company name, or the underlying's name), where given.
    pub name: Option<String>,
    /// Tick size, lot size and freeze quantity.
    pub contract: ContractSpec,
    /// The ISIN of an equity, where given.
    pub isin: Option<String>,
    /// The spot instrument a derivative derives from, when it is an equity or an index
    /// (`NSE:RELIANCE`, `NSE:INDEX:NIFTY 50`), and whether the dump said so; `None` for
    /// commodities, currencies and cash rows.
    pub underlying: Option<Underlying>,
    /// The exchange's own token for the contract within its segment, used to join brokers' rows.
    pub exchange_token: String,
    /// The broker's identifiers.
    pub token: BrokerToken,
}

/// The spot instrument a derivative derives from, with how the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Underlying {
    /// The equity or index.
    pub spot: Instrument,
    /// Whether the dump named it or the parser inferred it.
    pub basis: UnderlyingBasis,
}

impl Underlying {
    /// An underlying the dump names explicitly (Upstox's `underlying_key` and
    /// `underlying_type`).
    pub fn stated(spot: Instrument) -> Underlying {
        Underlying {
            spot,
            basis: UnderlyingBasis::Stated,
        }
    }

    /// An underlying the parser inferred (from a name table, or a symbol shared with an equity).
    pub fn inferred(spot: Instrument) -> Underlying {
        Underlying {
            spot,
            basis: UnderlyingBasis::Inferred,
        }
    }
}

/// How a parser knows a derivative's underlying. When brokers' rows for one contract disagree,
/// a stated underlying wins over an inferred one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnderlyingBasis {
    /// The dump names it.
    Stated,
    /// The parser guessed it.
    Inferred,
}

/// A row or a whole dump that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// A well-formed row of a kind tt-connect does not trade (NSE's commodity segment, say). Not
    /// an error; reported and left out.
    #[error("line {line}: ignored: {reason}")]
    Ignored {
        /// 1-based line (or array element) number.
        line: u64,
        /// What kind of row it is.
        reason: String,
    },
    /// One row could not be used (a bad number, an invalid symbol); the rest of the dump is fine.
    #[error("line {line}: skipped: {reason}")]
    Row {
        /// 1-based line (or array element) number.
        line: u64,
        /// Why the row was skipped.
        reason: String,
    },
    /// The dump itself is broken (truncated, corrupt compression, not the expected format).
    /// Nothing from it may be used.
    #[error("line {line}: dump is corrupt: {reason}")]
    Corrupt {
        /// 1-based line (or array element) number where reading stopped.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for BrokerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.exchange, &self.symbol) {
            (Some(exchange), Some(symbol)) => write!(f, "{} ({exchange}:{symbol})", self.token),
            (None, Some(symbol)) => write!(f, "{} ({symbol})", self.token),
            _ => f.write_str(&self.token),
        }
    }
}

/// What to do when the instrument master is from an earlier trading day (IST) than today and
/// cannot be refreshed: the `on_stale` setting of brokers' configs and of a refresh.
///
/// ```
/// use tt_core::OnStale;
///
/// assert_eq!(OnStale::default(), OnStale::Fail);
/// assert_eq!("warn".parse::<OnStale>(), Ok(OnStale::Warn));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnStale {
    /// Refuse to go on with stale instruments (the default).
    #[default]
    Fail,
    /// Warn and go on with the stale instruments.
    Warn,
}

impl FromStr for OnStale {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "fail" => Ok(OnStale::Fail),
            "warn" => Ok(OnStale::Warn),
            other => Err(format!("on_stale must be `fail` or `warn`, not `{other}`")),
        }
    }
}
