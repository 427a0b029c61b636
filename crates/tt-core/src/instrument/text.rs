//! The canonical text form: `Display` writes it, `FromStr` reads it.

use std::fmt;
use std::str::FromStr;

use time::Date;
use time::macros::format_description;

use super::{
    Currency, CurrencyContract, Equity, Future, Index, Instrument, InstrumentError, OptionContract,
    OptionType,
};
use crate::{Exchange, Price};

const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Writes an expiry as `YYYY-MM-DD`.
struct Expiry(Date);

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl fmt::Display for Equity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.exchange(), self.symbol())
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:INDEX:{}", self.exchange(), self.name())
    }
}

impl fmt::Display for Future {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (exchange, underlying) = (self.exchange(), self.underlying());
        write!(f, "{exchange}:{underlying}:{}:FUT", Expiry(self.expiry()))
    }
}

impl fmt::Display for OptionContract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (exchange, underlying) = (self.exchange(), self.underlying());
        let (strike, option_type) = (self.strike(), self.option_type());
        write!(
            f,
            "{exchange}:{underlying}:{}:{strike}:{option_type}",
            Expiry(self.expiry())
        )
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (exchange, pair, expiry) = (self.exchange(), self.pair(), Expiry(self.expiry()));
        match self.contract() {
            CurrencyContract::Future => write!(f, "{exchange}:{pair}:{expiry}:FUT"),
            CurrencyContract::Option {
                strike,
                option_type,
            } => write!(f, "{exchange}:{pair}:{expiry}:{strike}:{option_type}"),
        }
    }
}

impl fmt::Display for Instrument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instrument::Equity(i) => i.fmt(f),
            Instrument::Index(i) => i.fmt(f),
            Instrument::Future(i) => i.fmt(f),
            Instrument::Option(i) => i.fmt(f),
            Instrument::Currency(i) => i.fmt(f),
        }
    }
}

impl FromStr for Instrument {
    type Err = InstrumentError;

    /// Parses the canonical text form. Errors name the text and what was wrong with it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = |reason: String| InstrumentError::Malformed {
            text: text.to_owned(),
            reason,
        };
        let parts: Vec<&str> = text.split(':').collect();
        let exchange: Exchange = parts
            .first()
            .copied()
            .unwrap_or_default()
            .parse()
            .map_err(|e: crate::exchange::UnknownExchange| malformed(e.to_string()))?;
        let is_currency = matches!(exchange, Exchange::Cds | Exchange::Bcd);
        match parts.as_slice() {
            [_, symbol] => Ok(Equity::new(exchange, symbol)?.into()),
            [_, "INDEX", name] => Ok(Index::new(exchange, name)?.into()),
            [_, other, _] => Err(malformed(format!(
                "three parts make an index, written EXCHANGE:INDEX:NAME, not `{other}`"
            ))),
            [_, underlying, expiry, "FUT"] => {
                let expiry = parse_expiry(expiry).map_err(malformed)?;
                if is_currency {
                    Ok(Currency::future(exchange, underlying, expiry)?.into())
                } else {
                    Ok(Future::new(exchange, underlying, expiry)?.into())
                }
            }
            [_, _, _, other] => Err(malformed(format!(
                "four parts make a future, ending in FUT, not `{other}`"
            ))),
            [_, underlying, expiry, strike, option_type] => {
                let expiry = parse_expiry(expiry).map_err(malformed)?;
                let strike: Price = strike
                    .parse()
                    .map_err(|_| InstrumentError::InvalidStrike((*strike).to_owned()))?;
                let option_type = match *option_type {
                    "CE" => OptionType::Call,
                    "PE" => OptionType::Put,
                    other => {
                        return Err(malformed(format!(
                            "option type must be CE or PE, not `{other}`"
                        )));
                    }
                };
                if is_currency {
                    Ok(Currency::option(exchange, underlying, expiry, strike, option_type)?.into())
                } else {
                    Ok(
                        OptionContract::new(exchange, underlying, expiry, strike, option_type)?
                            .into(),
                    )
                }
            }
            _ => Err(malformed(format!(
                "expected 2 to 5 parts separated by `:`, found {}",
                parts.len()
            ))),
        }
    }
}

fn parse_expiry(text: &str) -> Result<Date, String> {
    Date::parse(text, DATE_FORMAT)
        .map_err(|e| format!("expiry `{text}` is not a YYYY-MM-DD date ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstrumentKind;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn canonical_examples_round_trip() {
        for text in [
            "NSE:RELIANCE",
            "BSE:M&M",
            "NSE:BAJAJ-AUTO",
            "NSE:INDEX:NIFTY 50",
            "BSE:INDEX:SENSEX",
            "NFO:NIFTY:2026-12-29:FUT",
            "MCX:GOLD:2026-12-05:FUT",
            "NFO:NIFTY:2026-12-29:24000:CE",
            "NFO:RELIANCE:2026-12-29:1022.5:PE",
            "BFO:SENSEX:2026-12-24:85000:CE",
            "CDS:USDINR:2026-12-29:FUT",
            "CDS:USDINR:2026-12-29:83.25:CE",
            "BCD:EURINR:2026-12-29:90.0025:PE",
        ] {
            let instrument: Instrument = text.parse().unwrap();
            assert_eq!(instrument.to_string(), text);
        }
    }

    #[test]
    fn strikes_print_without_trailing_zeros() {
        let i: Instrument = "NFO:NIFTY:2026-12-29:24000.00:CE".parse().unwrap();
        assert_eq!(i.to_string(), "NFO:NIFTY:2026-12-29:24000:CE");
        let i: Instrument = "CDS:USDINR:2026-12-29:83.2500:PE".parse().unwrap();
        assert_eq!(i.to_string(), "CDS:USDINR:2026-12-29:83.25:PE");
    }

    #[test]
    fn currency_exchanges_parse_to_currency_contracts() {
        let i: Instrument = "CDS:USDINR:2026-12-29:FUT".parse().unwrap();
        assert_eq!(i.kind(), InstrumentKind::Currency);
        let i: Instrument = "NFO:NIFTY:2026-12-29:FUT".parse().unwrap();
        assert_eq!(i.kind(), InstrumentKind::Future);
    }

    #[test]
    fn malformed_text_names_the_problem() {
        for (text, needle) in [
            ("", "unknown exchange"),
            ("XYZ:RELIANCE", "unknown exchange `XYZ`"),
            ("NSE:", "symbol is empty"),
            ("NSE:reliance", "upper case"),
            ("NSE:IDX:NIFTY 50", "EXCHANGE:INDEX:NAME"),
            ("NFO:NIFTY:2026-12-29:FUTURE", "ending in FUT"),
            ("NFO:NIFTY:2026-13-29:FUT", "not a YYYY-MM-DD"),
            ("NFO:NIFTY:29-12-2026:FUT", "not a YYYY-MM-DD"),
            ("NFO:NIFTY:2026-12-29:24000:XX", "CE or PE"),
            ("NFO:NIFTY:2026-12-29:abc:CE", "strike must be"),
            ("NFO:NIFTY:2026-12-29:0:CE", "strike must be"),
            ("NFO:NIFTY:2026-12-29:-100:CE", "strike must be"),
            ("NFO:NIFTY:2026-12-29:24000:CE:X", "found 6"),
            (
                "NSE:NIFTY:2026-12-29:FUT",
                "a future cannot be listed on NSE",
            ),
            ("NFO:RELIANCE", "an equity cannot be listed on NFO"),
            (
                "NSE:NIFTY:2026-12-29:24000:CE",
                "an option cannot be listed on NSE",
            ),
            ("NFO:INDEX:NIFTY 50", "an index cannot be listed on NFO"),
        ] {
            let err = text.parse::<Instrument>().unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn serde_uses_the_canonical_text() {
        let i = Instrument::from(
            OptionContract::new(
                Exchange::Nfo,
                "NIFTY",
                date!(2026 - 12 - 29),
                24000,
                OptionType::Call,
            )
            .unwrap(),
        );
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(json, "\"NFO:NIFTY:2026-12-29:24000:CE\"");
        assert_eq!(serde_json::from_str::<Instrument>(&json).unwrap(), i);
        assert!(serde_json::from_str::<Instrument>("\"NSE:bad sym\"").is_err());
    }

    fn symbol() -> impl Strategy<Value = String> {
        "[A-Z][A-Z0-9&_.-]{0,19}"
    }

    fn index_name() -> impl Strategy<Value = String> {
        "[A-Z0-9]{1,8}( [A-Z0-9&/()%+.-]{1,8}){0,3}"
    }

    fn expiry() -> impl Strategy<Value = Date> {
        (2000i32..2100, 1u16..=366).prop_filter_map("valid ordinal", |(year, day)| {
            Date::from_ordinal_date(year, day).ok()
        })
    }

    fn strike() -> impl Strategy<Value = Price> {
        (1i64..=10_000_000_000_000_000).prop_map(|m| Price::from_mantissa(m).unwrap())
    }

    fn option_type() -> impl Strategy<Value = OptionType> {
        prop_oneof![Just(OptionType::Call), Just(OptionType::Put)]
    }

    fn instrument() -> impl Strategy<Value = Instrument> {
        let pick = |list: &'static [Exchange]| proptest::sample::select(list);
        prop_oneof![
            (pick(&[Exchange::Nse, Exchange::Bse]), symbol())
                .prop_map(|(e, s)| Equity::new(e, &s).unwrap().into()),
            (
                pick(&[Exchange::Nse, Exchange::Bse, Exchange::Mcx]),
                index_name()
            )
                .prop_map(|(e, s)| Index::new(e, &s).unwrap().into()),
            (
                pick(&[Exchange::Nfo, Exchange::Bfo, Exchange::Mcx]),
                symbol(),
                expiry()
            )
                .prop_map(|(e, s, d)| Future::new(e, &s, d).unwrap().into()),
            (
                pick(&[Exchange::Nfo, Exchange::Bfo, Exchange::Mcx]),
                symbol(),
                expiry(),
                strike(),
                option_type()
            )
                .prop_map(|(e, s, d, k, t)| OptionContract::new(e, &s, d, k, t).unwrap().into()),
            (pick(&[Exchange::Cds, Exchange::Bcd]), symbol(), expiry())
                .prop_map(|(e, s, d)| Currency::future(e, &s, d).unwrap().into()),
            (
                pick(&[Exchange::Cds, Exchange::Bcd]),
                symbol(),
                expiry(),
                strike(),
                option_type()
            )
                .prop_map(|(e, s, d, k, t)| Currency::option(e, &s, d, k, t).unwrap().into()),
        ]
    }

    proptest! {
        #[test]
        fn display_then_parse_gives_the_same_instrument(i in instrument()) {
            let text = i.to_string();
            let parsed: Instrument = text.parse().unwrap();
            prop_assert_eq!(&parsed, &i);
            prop_assert_eq!(parsed.to_string(), text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,60}") {
            if let Ok(i) = text.parse::<Instrument>() {
                // Whatever parses prints to a form that parses back to the same value.
                prop_assert_eq!(i.to_string().parse::<Instrument>().unwrap(), i);
            }
        }
    }
}
