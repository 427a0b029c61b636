//! Validated symbol text: equity tickers, derivative underlyings and index names.

use std::fmt;
use std::sync::Arc;

use super::InstrumentError;

/// The longest symbol or index name accepted.
const MAX_LEN: usize = 40;

/// A ticker or underlying as the exchange writes it (`RELIANCE`, `M&M`, `BAJAJ-AUTO`, `USDINR`).
///
/// Upper-case ASCII letters, digits and `& - _ .`; at most 40 characters. Cloning is cheap (the
/// text is shared), so ticks and orders can carry instruments without copying strings.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol(Arc<str>);

impl Symbol {
    /// Validates a ticker or underlying symbol.
    ///
    /// # Errors
    /// [`InstrumentError::EmptySymbol`], [`InstrumentError::SymbolTooLong`] or
    /// [`InstrumentError::InvalidSymbolChar`] (which names the character, and says symbols are
    /// upper case when the character is a lower-case letter).
    pub fn new(text: &str) -> Result<Symbol, InstrumentError> {
        check_text(text, |c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '&' | '-' | '_' | '.')
        })?;
        Ok(Symbol(Arc::from(text)))
    }

    /// Validates an index name as the exchange publishes it, upper case, spaces allowed
    /// (`NIFTY 50`, `NIFTY MID SELECT`, `INDIA VIX`).
    ///
    /// # Errors
    /// As [`Symbol::new`]; also [`InstrumentError::BadSpacing`] for leading, trailing or doubled
    /// spaces.
    pub fn index_name(text: &str) -> Result<Symbol, InstrumentError> {
        check_text(text, |c| {
            c.is_ascii_uppercase()
                || c.is_ascii_digit()
                || matches!(
                    c,
                    ' ' | '&' | '-' | '_' | '.' | '/' | '(' | ')' | '%' | '+' | '\''
                )
        })?;
        if text.starts_with(' ') || text.ends_with(' ') || text.contains("  ") {
            return Err(InstrumentError::BadSpacing(text.to_owned()));
        }
        Ok(Symbol(Arc::from(text)))
    }

    /// The symbol text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_text(text: &str, allowed: impl Fn(char) -> bool) -> Result<(), InstrumentError> {
    if text.is_empty() {
        return Err(InstrumentError::EmptySymbol);
    }
    if text.len() > MAX_LEN {
        return Err(InstrumentError::SymbolTooLong {
            symbol: text.to_owned(),
            max: MAX_LEN,
        });
    }
    if let Some(bad) = text.chars().find(|&c| !allowed(c)) {
        return Err(InstrumentError::InvalidSymbolChar {
            symbol: text.to_owned(),
            character: bad,
        });
    }
    Ok(())
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
