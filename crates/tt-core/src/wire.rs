//! Reading a broker's JSON values into tt-core's types, at the parse boundary, the same way for
//! every broker: exact prices from JSON floats, whole numbers that must be whole, and the order
//! terms every Indian broker spells alike. A value that does not fit is an
//! [`Error::MalformedResponse`] naming the broker, the field and the value, never a default.

use crate::{Amount, Error, OrderType, Price, Side};

/// Reads one broker's wire values, naming it in every error.
///
/// Prices arrive as the `f64` `serde_json` read; [`Price::from_f64`] gives back exactly the
/// number the broker wrote (see the `money` module's property test), so no binary float
/// survives past this point.
///
/// ```
/// use tt_core::{Side, WireReader};
///
/// const READ: WireReader = WireReader::new("upstox");
/// assert_eq!(READ.price(52.05, "last_price")?.to_string(), "52.05");
/// assert_eq!(READ.side("SELL")?, Side::Sell);
/// assert!(READ.count(Some(1.5), "quantity").unwrap_err().to_string().contains("quantity"));
/// # Ok::<(), tt_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WireReader {
    broker: &'static str,
}

impl WireReader {
    /// A reader for `broker`'s responses.
    pub const fn new(broker: &'static str) -> WireReader {
        WireReader { broker }
    }

    /// The error for a value or response that could not be read.
    pub fn malformed(&self, what: &str, detail: impl std::fmt::Display) -> Error {
        Error::MalformedResponse {
            broker: self.broker,
            what: what.to_owned(),
            detail: detail.to_string(),
        }
    }

    /// A price.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] for a value that is not finite or out of range.
    pub fn price(&self, value: f64, field: &str) -> Result<Price, Error> {
        Price::from_f64(value).map_err(|e| self.malformed(field, e))
    }

    /// A price field where the broker writes 0 (or nothing) for "none": an order's price,
    /// trigger, average.
    ///
    /// # Errors
    /// As [`WireReader::price`].
    pub fn optional_price(&self, value: Option<f64>, field: &str) -> Result<Option<Price>, Error> {
        match value {
            None => Ok(None),
            Some(0.0) => Ok(None),
            Some(v) => self.price(v, field).map(Some),
        }
    }

    /// An amount of money; absent is zero.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] for a value that is not finite or out of range.
    pub fn amount(&self, value: Option<f64>, field: &str) -> Result<Amount, Error> {
        Amount::from_f64(value.unwrap_or(0.0)).map_err(|e| self.malformed(field, e))
    }

    /// A whole number (a signed quantity), sent as a JSON number that may be a float.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] for a fraction or a value beyond ±9·10^15.
    pub fn whole(&self, value: f64, field: &str) -> Result<i64, Error> {
        if value.fract() != 0.0 || value.abs() > 9.0e15 {
            return Err(self.malformed(field, format!("{value} is not a whole number")));
        }
        // Checked above: whole and well inside i64.
        Ok(value as i64)
    }

    /// A count that fits `u32` (an order's quantities); absent is zero.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] for a fraction, a negative or too large a value.
    pub fn count(&self, value: Option<f64>, field: &str) -> Result<u32, Error> {
        let n = self.whole(value.unwrap_or(0.0), field)?;
        u32::try_from(n).map_err(|_| self.malformed(field, format!("{n} is not a count")))
    }

    /// A count that fits `u64` (volumes, open interest); absent is zero.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] for a fraction or a negative value.
    pub fn unsigned(&self, value: Option<f64>, field: &str) -> Result<u64, Error> {
        let n = self.whole(value.unwrap_or(0.0), field)?;
        u64::try_from(n).map_err(|_| self.malformed(field, format!("{n} is not a count")))
    }

    /// `transaction_type`: `BUY` or `SELL`.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] naming any other value.
    pub fn side(&self, text: &str) -> Result<Side, Error> {
        match text {
            "BUY" => Ok(Side::Buy),
            "SELL" => Ok(Side::Sell),
            other => Err(self.malformed("transaction_type", format!("unknown value `{other}`"))),
        }
    }

    /// `order_type`: `MARKET`, `LIMIT`, `SL`, `SL-M`.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] naming any other value.
    pub fn order_type(&self, text: &str) -> Result<OrderType, Error> {
        match text {
            "MARKET" => Ok(OrderType::Market),
            "LIMIT" => Ok(OrderType::Limit),
            "SL" => Ok(OrderType::StopLoss),
            "SL-M" => Ok(OrderType::StopLossMarket),
            other => Err(self.malformed("order_type", format!("unknown value `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: WireReader = WireReader::new("alpha");

    #[test]
    fn zero_prices_are_none_and_fractions_are_not_counts() {
        assert_eq!(READ.optional_price(Some(0.0), "price").unwrap(), None);
        assert_eq!(READ.optional_price(None, "price").unwrap(), None);
        assert_eq!(
            READ.optional_price(Some(101.05), "price")
                .unwrap()
                .map(|p| p.to_string()),
            Some("101.05".to_owned())
        );
        assert!(READ.count(Some(-1.0), "quantity").is_err());
        assert!(READ.whole(2.5, "quantity").is_err());
        assert_eq!(READ.unsigned(None, "volume").unwrap(), 0);
        assert!(READ.price(f64::NAN, "last_price").is_err());
    }

    #[test]
    fn unknown_terms_are_named() {
        let error = READ.order_type("ICEBERG").unwrap_err().to_string();
        assert!(
            error.contains("alpha") && error.contains("order_type: unknown value `ICEBERG`"),
            "{error}"
        );
        assert_eq!(READ.order_type("SL-M").unwrap(), OrderType::StopLossMarket);
        assert!(READ.side("HOLD").is_err());
    }
}
