//! The five typed instruments. Each constructor validates, so a value that exists is tradable
//! in shape: the right exchange for its kind, a clean symbol, a positive strike.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use super::{InstrumentError, InstrumentKind, Symbol};
use crate::{Exchange, Price};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OptionType {
    /// A call option, `CE` on Indian exchanges.
    #[serde(rename = "CE")]
    Call,
    /// A put option, `PE` on Indian exchanges.
    #[serde(rename = "PE")]
    Put,
}

impl OptionType {
    /// The exchange code: `"CE"` or `"PE"`.
    pub const fn code(self) -> &'static str {
        match self {
            OptionType::Call => "CE",
            OptionType::Put => "PE",
        }
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// Anything that can be given as an option strike: a [`Price`], an integer, a float or decimal
/// text. Conversion checks that the strike is positive and finite.
pub trait IntoStrike {
    /// Converts and validates the strike.
    ///
    /// # Errors
    /// [`InstrumentError::InvalidStrike`] for zero, negative, NaN, infinite or malformed input.
    fn into_strike(self) -> Result<Price, InstrumentError>;
}

fn positive(price: Price) -> Result<Price, InstrumentError> {
    if price.is_positive() {
        Ok(price)
    } else {
        Err(InstrumentError::InvalidStrike(price.to_string()))
    }
}

impl IntoStrike for Price {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        positive(self)
    }
}

impl IntoStrike for f64 {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        Price::from_f64(self)
            .map_err(|_| InstrumentError::InvalidStrike(self.to_string()))
            .and_then(positive)
    }
}

impl IntoStrike for i64 {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        Price::from_rupees(self)
            .map_err(|_| InstrumentError::InvalidStrike(self.to_string()))
            .and_then(positive)
    }
}

impl IntoStrike for i32 {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        i64::from(self).into_strike()
    }
}

impl IntoStrike for u32 {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        i64::from(self).into_strike()
    }
}

impl IntoStrike for &str {
    fn into_strike(self) -> Result<Price, InstrumentError> {
        self.parse::<Price>()
            .map_err(|_| InstrumentError::InvalidStrike(self.to_owned()))
            .and_then(positive)
    }
}

fn check_exchange(kind: InstrumentKind, exchange: Exchange) -> Result<(), InstrumentError> {
    if kind.exchanges().contains(&exchange) {
        Ok(())
    } else {
        Err(InstrumentError::ExchangeCannotList { kind, exchange })
    }
}

/// A share (or ETF) on a cash market: `NSE:RELIANCE`, `BSE:M&M`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Equity {
    exchange: Exchange,
    symbol: Symbol,
}

impl Equity {
    /// An equity on NSE or BSE.
    ///
    /// ```
    /// use tt_core::{Equity, Exchange};
    ///
    /// let reliance = Equity::new(Exchange::Nse, "RELIANCE")?;
    /// assert_eq!(reliance.to_string(), "NSE:RELIANCE");
    /// assert!(Equity::new(Exchange::Nfo, "RELIANCE").is_err());
    /// # Ok::<(), tt_core::InstrumentError>(())
    /// ```
    ///
    /// # Errors
    /// An exchange other than NSE or BSE, or an invalid symbol.
    pub fn new(exchange: Exchange, symbol: &str) -> Result<Equity, InstrumentError> {
        check_exchange(InstrumentKind::Equity, exchange)?;
        Ok(Equity {
            exchange,
            symbol: Symbol::new(symbol)?,
        })
    }

    /// The exchange.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The ticker.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }
}

/// A market index, not tradable itself but streamed and used as an underlying:
/// `NSE:INDEX:NIFTY 50`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Index {
    exchange: Exchange,
    name: Symbol,
}

impl Index {
    /// An index on NSE, BSE or MCX, named as the exchange publishes it, in upper case.
    ///
    /// ```
    /// use tt_core::{Exchange, Index};
    ///
    /// let nifty = Index::new(Exchange::Nse, "NIFTY 50")?;
    /// assert_eq!(nifty.to_string(), "NSE:INDEX:NIFTY 50");
    /// assert!(Index::new(Exchange::Nse, "Nifty 50").is_err());
    /// # Ok::<(), tt_core::InstrumentError>(())
    /// ```
    ///
    /// # Errors
    /// An exchange that lists no indices, or an invalid name.
    pub fn new(exchange: Exchange, name: &str) -> Result<Index, InstrumentError> {
        check_exchange(InstrumentKind::Index, exchange)?;
        Ok(Index {
            exchange,
            name: Symbol::index_name(name)?,
        })
    }

    /// The exchange.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The index name.
    pub fn name(&self) -> &Symbol {
        &self.name
    }
}

/// An index, stock or commodity future: `NFO:NIFTY:2026-12-29:FUT`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Future {
    exchange: Exchange,
    underlying: Symbol,
    expiry: Date,
}

impl Future {
    /// A future on NFO, BFO or MCX. Currency futures are [`Currency`] contracts.
    ///
    /// ```
    /// use tt_core::{Exchange, Future};
    /// use time::macros::date;
    ///
    /// let fut = Future::new(Exchange::Nfo, "NIFTY", date!(2026 - 12 - 29))?;
    /// assert_eq!(fut.to_string(), "NFO:NIFTY:2026-12-29:FUT");
    /// # Ok::<(), tt_core::InstrumentError>(())
    /// ```
    ///
    /// # Errors
    /// An exchange that lists no such futures, or an invalid underlying symbol.
    pub fn new(
        exchange: Exchange,
        underlying: &str,
        expiry: Date,
    ) -> Result<Future, InstrumentError> {
        check_exchange(InstrumentKind::Future, exchange)?;
        Ok(Future {
            exchange,
            underlying: Symbol::new(underlying)?,
            expiry,
        })
    }

    /// The exchange.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The underlying's symbol (`NIFTY`, `RELIANCE`, `GOLD`).
    pub fn underlying(&self) -> &Symbol {
        &self.underlying
    }

    /// The expiry date.
    pub fn expiry(&self) -> Date {
        self.expiry
    }
}

/// An index, stock or commodity option: `NFO:NIFTY:2026-12-29:24000:CE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OptionContract {
    exchange: Exchange,
    underlying: Symbol,
    expiry: Date,
    strike: Price,
    option_type: OptionType,
}

impl OptionContract {
    /// An option on NFO, BFO or MCX. Currency options are [`Currency`] contracts.
    ///
    /// ```
    /// use tt_core::{Exchange, OptionContract, OptionType};
    /// use time::macros::date;
    ///
    /// let call = OptionContract::new(Exchange::Nfo, "NIFTY", date!(2026 - 12 - 29), 24000, OptionType::Call)?;
    /// assert_eq!(call.to_string(), "NFO:NIFTY:2026-12-29:24000:CE");
    /// assert!(OptionContract::new(Exchange::Nfo, "NIFTY", date!(2026 - 12 - 29), 0, OptionType::Put).is_err());
    /// # Ok::<(), tt_core::InstrumentError>(())
    /// ```
    ///
    /// # Errors
    /// An exchange that lists no such options, an invalid underlying, or a strike that is not
    /// positive and finite.
    pub fn new(
        exchange: Exchange,
        underlying: &str,
        expiry: Date,
        strike: impl IntoStrike,
        option_type: OptionType,
    ) -> Result<OptionContract, InstrumentError> {
        check_exchange(InstrumentKind::Option, exchange)?;
        Ok(OptionContract {
            exchange,
            underlying: Symbol::new(underlying)?,
            expiry,
            strike: strike.into_strike()?,
            option_type,
        })
    }

    /// The exchange.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The underlying's symbol.
    pub fn underlying(&self) -> &Symbol {
        &self.underlying
    }

    /// The expiry date.
    pub fn expiry(&self) -> Date {
        self.expiry
    }

    /// The strike price.
    pub fn strike(&self) -> Price {
        self.strike
    }

    /// Call or put.
    pub fn option_type(&self) -> OptionType {
        self.option_type
    }
}

/// What a [`Currency`] contract is: a future, or an option with its strike and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CurrencyContract {
    /// A currency future.
    Future,
    /// A currency option.
    Option {
        /// The strike price (currency pairs quote to four places, e.g. `83.25`).
        strike: Price,
        /// Call or put.
        option_type: OptionType,
    },
}

/// A currency future or option on CDS or BCD: `CDS:USDINR:2026-12-29:FUT`,
/// `CDS:USDINR:2026-12-29:83.25:CE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    exchange: Exchange,
    pair: Symbol,
    expiry: Date,
    contract: CurrencyContract,
}

impl Currency {
    /// A currency future on CDS or BCD.
    ///
    /// # Errors
    /// An exchange other than CDS or BCD, or an invalid pair symbol.
    pub fn future(
        exchange: Exchange,
        pair: &str,
        expiry: Date,
    ) -> Result<Currency, InstrumentError> {
        check_exchange(InstrumentKind::Currency, exchange)?;
        Ok(Currency {
            exchange,
            pair: Symbol::new(pair)?,
            expiry,
            contract: CurrencyContract::Future,
        })
    }

    /// A currency option on CDS or BCD.
    ///
    /// ```
    /// use tt_core::{Currency, Exchange, OptionType};
    /// use time::macros::date;
    ///
    /// let call = Currency::option(Exchange::Cds, "USDINR", date!(2026 - 12 - 29), "83.25", OptionType::Call)?;
    /// assert_eq!(call.to_string(), "CDS:USDINR:2026-12-29:83.25:CE");
    /// # Ok::<(), tt_core::InstrumentError>(())
    /// ```
    ///
    /// # Errors
    /// An exchange other than CDS or BCD, an invalid pair symbol, or a strike that is not
    /// positive and finite.
    pub fn option(
        exchange: Exchange,
        pair: &str,
        expiry: Date,
        strike: impl IntoStrike,
        option_type: OptionType,
    ) -> Result<Currency, InstrumentError> {
        check_exchange(InstrumentKind::Currency, exchange)?;
        Ok(Currency {
            exchange,
            pair: Symbol::new(pair)?,
            expiry,
            contract: CurrencyContract::Option {
                strike: strike.into_strike()?,
                option_type,
            },
        })
    }

    /// The exchange.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The currency pair (`USDINR`).
    pub fn pair(&self) -> &Symbol {
        &self.pair
    }

    /// The expiry date.
    pub fn expiry(&self) -> Date {
        self.expiry
    }

    /// Future or option.
    pub fn contract(&self) -> CurrencyContract {
        self.contract
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const EXPIRY: Date = date!(2026 - 12 - 29);

    fn err_text<T: fmt::Debug>(result: Result<T, InstrumentError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn equities_only_list_on_cash_markets() {
        assert!(Equity::new(Exchange::Nse, "RELIANCE").is_ok());
        assert!(Equity::new(Exchange::Bse, "M&M").is_ok());
        for exchange in [
            Exchange::Nfo,
            Exchange::Bfo,
            Exchange::Cds,
            Exchange::Bcd,
            Exchange::Mcx,
        ] {
            let text = err_text(Equity::new(exchange, "RELIANCE"));
            assert!(
                text.contains(&format!("an equity cannot be listed on {exchange}")),
                "{text}"
            );
            assert!(text.contains("NSE or BSE"), "{text}");
        }
    }

    #[test]
    fn indices_list_on_nse_bse_and_mcx() {
        assert!(Index::new(Exchange::Nse, "NIFTY 50").is_ok());
        assert!(Index::new(Exchange::Bse, "SENSEX").is_ok());
        assert!(Index::new(Exchange::Mcx, "MCXBULLDEX").is_ok());
        assert!(Index::new(Exchange::Nfo, "NIFTY 50").is_err());
    }

    #[test]
    fn index_names_are_upper_case_and_single_spaced() {
        assert!(err_text(Index::new(Exchange::Nse, "Nifty 50")).contains("upper case"));
        for bad in [" NIFTY 50", "NIFTY 50 ", "NIFTY  50"] {
            assert!(matches!(
                Index::new(Exchange::Nse, bad),
                Err(InstrumentError::BadSpacing(_))
            ));
        }
        assert!(matches!(
            Index::new(Exchange::Nse, "NIFTY:50"),
            Err(InstrumentError::InvalidSymbolChar { character: ':', .. })
        ));
    }

    #[test]
    fn futures_and_options_list_on_derivative_segments_only() {
        for exchange in [Exchange::Nfo, Exchange::Bfo, Exchange::Mcx] {
            assert!(Future::new(exchange, "NIFTY", EXPIRY).is_ok());
            assert!(
                OptionContract::new(exchange, "NIFTY", EXPIRY, 24000, OptionType::Call).is_ok()
            );
        }
        for exchange in [Exchange::Nse, Exchange::Bse, Exchange::Cds, Exchange::Bcd] {
            assert!(err_text(Future::new(exchange, "NIFTY", EXPIRY)).contains("a future cannot"));
            let text = err_text(OptionContract::new(
                exchange,
                "NIFTY",
                EXPIRY,
                24000,
                OptionType::Put,
            ));
            assert!(
                text.contains(&format!("an option cannot be listed on {exchange}")),
                "{text}"
            );
        }
    }

    #[test]
    fn currency_contracts_list_on_cds_and_bcd_only() {
        assert!(Currency::future(Exchange::Cds, "USDINR", EXPIRY).is_ok());
        assert!(
            Currency::option(Exchange::Bcd, "USDINR", EXPIRY, "83.25", OptionType::Call).is_ok()
        );
        for exchange in [Exchange::Nse, Exchange::Nfo, Exchange::Mcx] {
            assert!(
                err_text(Currency::future(exchange, "USDINR", EXPIRY))
                    .contains("a currency contract cannot be listed")
            );
        }
    }

    #[test]
    fn strikes_must_be_positive_and_finite() {
        let bad: [Result<OptionContract, InstrumentError>; 8] = [
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, 0, OptionType::Call),
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, -5, OptionType::Call),
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, f64::NAN, OptionType::Call),
            OptionContract::new(
                Exchange::Nfo,
                "NIFTY",
                EXPIRY,
                f64::INFINITY,
                OptionType::Call,
            ),
            OptionContract::new(
                Exchange::Nfo,
                "NIFTY",
                EXPIRY,
                f64::NEG_INFINITY,
                OptionType::Call,
            ),
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, -0.05, OptionType::Call),
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, "abc", OptionType::Call),
            OptionContract::new(
                Exchange::Nfo,
                "NIFTY",
                EXPIRY,
                Price::ZERO,
                OptionType::Call,
            ),
        ];
        for result in bad {
            assert!(
                matches!(result, Err(InstrumentError::InvalidStrike(_))),
                "{result:?}"
            );
        }
        let nan = err_text(OptionContract::new(
            Exchange::Nfo,
            "NIFTY",
            EXPIRY,
            f64::NAN,
            OptionType::Put,
        ));
        assert!(nan.contains("NaN"), "{nan}");
        assert!(matches!(
            Currency::option(Exchange::Cds, "USDINR", EXPIRY, 0.0, OptionType::Put),
            Err(InstrumentError::InvalidStrike(_))
        ));
        let ok =
            OptionContract::new(Exchange::Nfo, "NIFTY", EXPIRY, 1022.5, OptionType::Put).unwrap();
        assert_eq!(ok.strike().to_string(), "1022.5");
    }

    #[test]
    fn symbols_are_validated() {
        assert!(matches!(
            Equity::new(Exchange::Nse, ""),
            Err(InstrumentError::EmptySymbol)
        ));
        assert!(matches!(
            Equity::new(Exchange::Nse, &"A".repeat(41)),
            Err(InstrumentError::SymbolTooLong { .. })
        ));
        for (bad, character) in [
            ("RELIANCE EQ", ' '),
            ("NSE:X", ':'),
            ("INFY\n", '\n'),
            ("ÄBC", 'Ä'),
        ] {
            match Equity::new(Exchange::Nse, bad) {
                Err(InstrumentError::InvalidSymbolChar { character: c, .. }) => {
                    assert_eq!(c, character)
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert!(err_text(Future::new(Exchange::Nfo, "nifty", EXPIRY)).contains("upper case"));
        assert!(Equity::new(Exchange::Nse, "BAJAJ-AUTO").is_ok());
        assert!(Equity::new(Exchange::Nse, "NIFTYBEES").is_ok());
    }
}
