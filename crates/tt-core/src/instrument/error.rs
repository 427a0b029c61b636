//! Why an instrument could not be built or parsed.

use super::InstrumentKind;
use crate::Exchange;

/// An instrument failed validation at construction or in its canonical text form.
///
/// Every variant names the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstrumentError {
    /// The symbol was empty.
    #[error("symbol is empty")]
    EmptySymbol,
    /// The symbol is longer than allowed.
    #[error("symbol `{symbol}` is longer than {max} characters")]
    SymbolTooLong {
        /// The rejected symbol.
        symbol: String,
        /// The limit.
        max: usize,
    },
    /// The symbol holds a character no exchange symbol has.
    #[error("symbol `{symbol}` contains {character:?}{}", lower_case_hint(*.character))]
    InvalidSymbolChar {
        /// The rejected symbol.
        symbol: String,
        /// The first character that is not allowed.
        character: char,
    },
    /// An index name with leading, trailing or doubled spaces.
    #[error("index name `{0}` has leading, trailing or doubled spaces")]
    BadSpacing(String),
    /// The exchange does not list this kind of instrument.
    #[error("{} cannot be listed on {exchange} ({kind}s trade on {})", kind.article(), kind.exchanges_text())]
    ExchangeCannotList {
        /// The kind of instrument being built.
        kind: InstrumentKind,
        /// The exchange given.
        exchange: Exchange,
    },
    /// A strike that is zero, negative, NaN, infinite or not a decimal.
    #[error("strike must be a positive, finite number, got {0}")]
    InvalidStrike(String),
    /// The canonical text form could not be parsed.
    #[error("`{text}` is not an instrument: {reason}")]
    Malformed {
        /// The text given.
        text: String,
        /// What was wrong with it.
        reason: String,
    },
}

fn lower_case_hint(character: char) -> &'static str {
    if character.is_ascii_lowercase() {
        " (symbols are upper case)"
    } else {
        ""
    }
}
