//! The exchange segments an instrument trades on, in the NSE vocabulary both brokers share.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An exchange segment: where an instrument is listed and an order is routed.
///
/// The text form is the upper-case code (`NSE`, `NFO`, ...), used in the canonical instrument text
/// and in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Exchange {
    /// National Stock Exchange, cash market (equities, ETFs, NSE indices).
    #[serde(rename = "NSE")]
    Nse,
    /// BSE, cash market (equities, BSE indices).
    #[serde(rename = "BSE")]
    Bse,
    /// NSE futures and options.
    #[serde(rename = "NFO")]
    Nfo,
    /// BSE futures and options.
    #[serde(rename = "BFO")]
    Bfo,
    /// NSE currency derivatives.
    #[serde(rename = "CDS")]
    Cds,
    /// BSE currency derivatives.
    #[serde(rename = "BCD")]
    Bcd,
    /// Multi Commodity Exchange.
    #[serde(rename = "MCX")]
    Mcx,
}

impl Exchange {
    /// Every exchange, in declaration order.
    pub const ALL: [Exchange; 7] = [
        Exchange::Nse,
        Exchange::Bse,
        Exchange::Nfo,
        Exchange::Bfo,
        Exchange::Cds,
        Exchange::Bcd,
        Exchange::Mcx,
    ];

    /// The upper-case code: `"NSE"`, `"NFO"`, ...
    pub const fn code(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Bse => "BSE",
            Exchange::Nfo => "NFO",
            Exchange::Bfo => "BFO",
            Exchange::Cds => "CDS",
            Exchange::Bcd => "BCD",
            Exchange::Mcx => "MCX",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// The text was not one of the exchange codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown exchange `{0}` (expected one of NSE, BSE, NFO, BFO, CDS, BCD, MCX)")]
pub struct UnknownExchange(pub String);

impl FromStr for Exchange {
    type Err = UnknownExchange;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Exchange::ALL
            .into_iter()
            .find(|exchange| exchange.code() == code)
            .ok_or_else(|| UnknownExchange(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for exchange in Exchange::ALL {
            assert_eq!(exchange.code().parse::<Exchange>().unwrap(), exchange);
            let json = serde_json::to_string(&exchange).unwrap();
            assert_eq!(json, format!("\"{}\"", exchange.code()));
        }
    }

    #[test]
    fn unknown_codes_are_named_in_the_error() {
        let err = "nse".parse::<Exchange>().unwrap_err();
        assert!(err.to_string().contains("`nse`"));
        assert!("MF".parse::<Exchange>().is_err());
    }
}
