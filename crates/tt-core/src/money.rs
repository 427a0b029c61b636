//! Exact money: [`Price`] for per-unit prices and tick sizes, [`Amount`] for totals.
//!
//! Both are fixed-point decimals with eight places after the point, so every price the brokers
//! send (Kite's currency ticks go down to seven places) is held exactly and sums never drift the
//! way binary floating point does. Prices arriving as JSON floats are rounded to eight places once,
//! at the parse boundary, and exact from then on.
//!
//! A JSON reader hands a float over as the `f64` nearest the number's text. From that `f64`,
//! [`Price::from_f64`] and [`Amount::from_f64`] give back exactly the number the broker wrote
//! whenever it had at most eight decimals and fifteen significant digits (every real price does):
//! below 10^7 the scaled value stays under 2^53 and both roundings together are off by less than
//! half a unit, and above it the shortest text of the `f64` is the broker's own text, since two
//! fifteen-digit decimals are always further apart than one `f64` step. Both rest on the reader
//! rounding the text to the nearest `f64`, which `serde_json` does for these numbers (a
//! significand of at most fifteen digits and a power of ten of at most eight are both exact
//! `f64`s, so its one division rounds once). A property test below checks the whole path
//! through `serde_json`, the parser the adapters use; a faster parser must pass it before it
//! replaces that one.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of decimal places every [`Price`] and [`Amount`] carries.
pub const DECIMALS: u32 = 8;

/// `10^DECIMALS`: the mantissa of one rupee.
const SCALE: i64 = 100_000_000;

/// The largest magnitude a [`Price`] may hold, in rupees. No listed instrument comes near it, and
/// it leaves room to add prices together without overflowing the `i64` mantissa.
const PRICE_LIMIT_RUPEES: i64 = 10_000_000_000;

/// Why a text or a float could not become a [`Price`] or an [`Amount`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// The input was NaN or infinite.
    #[error("price must be a finite number, got {0}")]
    NotFinite(String),
    /// The input is beyond the range a price can hold.
    #[error("price {0} is out of range (at most 10,000,000,000 in magnitude)")]
    OutOfRange(String),
    /// The text has more than eight decimal places.
    #[error("price {0} has more than 8 decimal places")]
    TooPrecise(String),
    /// The text is not a plain decimal number such as `1022.5` or `-0.05`.
    #[error("`{0}` is not a decimal number (expected digits with an optional sign and point)")]
    Malformed(String),
}

/// A per-unit price (or a tick size) in rupees, exact to eight decimal places.
///
/// `Price` is `Copy`, compares and hashes by value (`24000` equals `24000.00`), prints without
/// trailing zeros, and serialises as a JSON string (`"1022.5"`) so no JSON reader can round it.
/// It deliberately has no `+`/`-` operators: totals are [`Amount`]s (`price * quantity`), and the
/// checked methods cover the rare price arithmetic (tick rounding, differences).
///
/// ```
/// use tt_core::Price;
///
/// let price: Price = "1022.50".parse()?;
/// let tick: Price = "0.05".parse()?;
/// assert!(price.is_multiple_of(tick));
/// assert_eq!(price.to_string(), "1022.5");
/// assert_eq!((price * 3_u32).to_string(), "3067.5");
/// # Ok::<(), tt_core::PriceError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(i64);

impl Price {
    /// Zero rupees.
    pub const ZERO: Price = Price(0);

    /// The price with the given mantissa, in units of 10^-8 rupee.
    ///
    /// Returns `None` beyond the supported range.
    pub const fn from_mantissa(mantissa: i64) -> Option<Price> {
        if mantissa > PRICE_LIMIT_RUPEES * SCALE || mantissa < -PRICE_LIMIT_RUPEES * SCALE {
            None
        } else {
            Some(Price(mantissa))
        }
    }

    /// The mantissa, in units of 10^-8 rupee.
    pub const fn mantissa(self) -> i64 {
        self.0
    }

    /// A price given as an integer count of `1/divisor` rupee, as binary market feeds send them
    /// (Kite: paise with divisor 100, CDS with divisor 10,000,000).
    ///
    /// Exact whenever `divisor` divides 10^8 (every power of ten up to 10^8 does). Returns `None`
    /// for a zero divisor, a divisor that does not divide 10^8, or a value out of range.
    pub const fn from_scaled(value: i64, divisor: i64) -> Option<Price> {
        if divisor <= 0 || SCALE % divisor != 0 {
            return None;
        }
        match value.checked_mul(SCALE / divisor) {
            Some(mantissa) => Price::from_mantissa(mantissa),
            None => None,
        }
    }

    /// A whole number of rupees.
    ///
    /// # Errors
    /// [`PriceError::OutOfRange`] beyond ±10^10.
    pub fn from_rupees(rupees: i64) -> Result<Price, PriceError> {
        rupees
            .checked_mul(SCALE)
            .and_then(Price::from_mantissa)
            .ok_or_else(|| PriceError::OutOfRange(rupees.to_string()))
    }

    /// Converts a float from a broker's JSON, rounding to eight decimal places (half away from
    /// zero). Float noise such as `99725.05000000002` becomes `99725.05`.
    ///
    /// # Errors
    /// [`PriceError::NotFinite`] for NaN or infinity, [`PriceError::OutOfRange`] beyond ±10^10.
    // Inlined into the feed decoders (sixteen prices a full Upstox feed): the common case is a
    // multiplication, a conversion and two compares, and the rest is out of line.
    #[inline]
    pub fn from_f64(value: f64) -> Result<Price, PriceError> {
        // NaN fails the comparison and so takes the slow path too.
        if value.abs() < 1.0e7 {
            // Below 10^7 rupees the scaled value stays under 2^53, where f64 holds integers
            // exactly, so one multiplication and a rounding is exact to the eighth place.
            Ok(Price(round_scaled(value)))
        } else {
            Price::from_large_f64(value)
        }
    }

    /// [`Price::from_f64`] at and above 10^7 rupees, and for NaN and infinities.
    #[cold]
    #[inline(never)]
    fn from_large_f64(value: f64) -> Result<Price, PriceError> {
        if !value.is_finite() {
            return Err(PriceError::NotFinite(value.to_string()));
        }
        if value.abs() > PRICE_LIMIT_RUPEES as f64 {
            return Err(PriceError::OutOfRange(value.to_string()));
        }
        // Larger magnitudes go through the shortest decimal text of the float, which is
        // exactly what the broker wrote.
        parse_decimal(&value.to_string(), true).and_then(|m| {
            i64::try_from(m)
                .ok()
                .and_then(Price::from_mantissa)
                .ok_or_else(|| PriceError::OutOfRange(value.to_string()))
        })
    }

    /// The nearest `f64`, for analytics and display only; never feed it back into order prices.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// True for a price above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True when this price is a whole number of `tick`s. A tick that is not positive divides
    /// nothing.
    pub const fn is_multiple_of(self, tick: Price) -> bool {
        tick.0 > 0 && self.0 % tick.0 == 0
    }

    /// This price rounded to the nearest multiple of `tick` (halves round away from zero), or
    /// `None` when `tick` is not positive.
    pub fn round_to_tick(self, tick: Price) -> Option<Price> {
        if tick.0 <= 0 {
            return None;
        }
        let remainder = self.0 % tick.0;
        let down = self.0 - remainder;
        let rounded = if remainder.abs() * 2 >= tick.0 {
            down + remainder.signum() * tick.0
        } else {
            down
        };
        Price::from_mantissa(rounded)
    }

    /// `self + other`, or `None` out of range.
    pub const fn checked_add(self, other: Price) -> Option<Price> {
        match self.0.checked_add(other.0) {
            Some(m) => Price::from_mantissa(m),
            None => None,
        }
    }

    /// `self - other`, or `None` out of range.
    pub const fn checked_sub(self, other: Price) -> Option<Price> {
        match self.0.checked_sub(other.0) {
            Some(m) => Price::from_mantissa(m),
            None => None,
        }
    }
}

impl TryFrom<f64> for Price {
    type Error = PriceError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Price::from_f64(value)
    }
}

impl FromStr for Price {
    type Err = PriceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mantissa = parse_decimal(text, false)?;
        i64::try_from(mantissa)
            .ok()
            .and_then(Price::from_mantissa)
            .ok_or_else(|| PriceError::OutOfRange(text.to_owned()))
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(f, i128::from(self.0))
    }
}

impl fmt::Debug for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Price({self})")
    }
}

impl Mul<i64> for Price {
    type Output = Amount;

    /// Price times a (signed) quantity is exact: the product always fits an [`Amount`].
    fn mul(self, quantity: i64) -> Amount {
        Amount(i128::from(self.0) * i128::from(quantity))
    }
}

impl Mul<u32> for Price {
    type Output = Amount;

    fn mul(self, quantity: u32) -> Amount {
        Amount(i128::from(self.0) * i128::from(quantity))
    }
}

impl Neg for Price {
    type Output = Price;

    fn neg(self) -> Price {
        // The range is symmetric, so negation never leaves it.
        Price(-self.0)
    }
}

/// A sum of money in rupees (funds, P&L, order value), exact to eight decimal places.
///
/// Unlike [`Price`], amounts add, subtract and sum freely: the 128-bit mantissa cannot overflow
/// for any sum of real money.
///
/// ```
/// use tt_core::{Amount, Price};
///
/// let fill: Price = "101.05".parse()?;
/// let total: Amount = [fill * 10_i64, fill * 5_i64].into_iter().sum();
/// assert_eq!(total.to_string(), "1515.75");
/// # Ok::<(), tt_core::PriceError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i128);

impl Amount {
    /// Zero rupees.
    pub const ZERO: Amount = Amount(0);

    /// The amount with the given mantissa, in units of 10^-8 rupee.
    pub const fn from_mantissa(mantissa: i128) -> Amount {
        Amount(mantissa)
    }

    /// The mantissa, in units of 10^-8 rupee.
    pub const fn mantissa(self) -> i128 {
        self.0
    }

    /// A whole number of rupees.
    pub const fn from_rupees(rupees: i64) -> Amount {
        Amount(rupees as i128 * SCALE as i128)
    }

    /// Converts a float from a broker's JSON, rounding to eight decimal places.
    ///
    /// # Errors
    /// [`PriceError::NotFinite`] for NaN or infinity, [`PriceError::OutOfRange`] beyond ±10^20.
    #[inline]
    pub fn from_f64(value: f64) -> Result<Amount, PriceError> {
        if value.abs() < 1.0e7 {
            // Exact below 2^53 after scaling; see `Price::from_f64`.
            Ok(Amount(i128::from(round_scaled(value))))
        } else {
            Amount::from_large_f64(value)
        }
    }

    /// [`Amount::from_f64`] at and above 10^7 rupees, and for NaN and infinities.
    #[cold]
    #[inline(never)]
    fn from_large_f64(value: f64) -> Result<Amount, PriceError> {
        if !value.is_finite() {
            return Err(PriceError::NotFinite(value.to_string()));
        }
        if value.abs() > 1.0e20 {
            return Err(PriceError::OutOfRange(value.to_string()));
        }
        parse_decimal(&value.to_string(), true).map(Amount)
    }

    /// The nearest `f64`, for analytics and display only.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }
}

impl From<Price> for Amount {
    fn from(price: Price) -> Amount {
        Amount(i128::from(price.0))
    }
}

impl TryFrom<f64> for Amount {
    type Error = PriceError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Amount::from_f64(value)
    }
}

impl FromStr for Amount {
    type Err = PriceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_decimal(text, false).map(Amount)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(f, self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

impl Add for Amount {
    type Output = Amount;

    fn add(self, other: Amount) -> Amount {
        Amount(self.0 + other.0)
    }
}

impl Sub for Amount {
    type Output = Amount;

    fn sub(self, other: Amount) -> Amount {
        Amount(self.0 - other.0)
    }
}

impl AddAssign for Amount {
    fn add_assign(&mut self, other: Amount) {
        self.0 += other.0;
    }
}

impl SubAssign for Amount {
    fn sub_assign(&mut self, other: Amount) {
        self.0 -= other.0;
    }
}

impl Neg for Amount {
    type Output = Amount;

    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

/// `(value * 10^8).round()` as an integer, for `|value| < 10^7`, without calling libm's `round`
/// (baseline x86-64 has no rounding instruction, so `f64::round` is a call that is never
/// inlined).
///
/// Exactly `f64::round` (halves away from zero) on the scaled value: it is below 2^53 in
/// magnitude, so its truncation is an `i64` that converts back exactly, and their difference,
/// the scaled value's fraction, is exact too (below 1 in magnitude the truncation is 0, and
/// above it is at least half the value, where a subtraction is exact). Comparing that fraction
/// with ±0.5 is then the rounding itself.
#[inline]
fn round_scaled(value: f64) -> i64 {
    let scaled = value * SCALE as f64;
    // Truncates toward zero; in range, as |scaled| < 2^53.
    let whole = scaled as i64;
    let fraction = scaled - whole as f64;
    if fraction >= 0.5 {
        whole + 1
    } else if fraction <= -0.5 {
        whole - 1
    } else {
        whole
    }
}

/// Parses `[-+]digits[.digits]` into a mantissa at eight places. With `round`, extra places are
/// rounded half away from zero (used for the decimal text of floats); without, they are an error.
fn parse_decimal(text: &str, round: bool) -> Result<i128, PriceError> {
    let malformed = || PriceError::Malformed(text.to_owned());
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (unsigned, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(malformed());
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let whole = whole.trim_start_matches('0');
    // 10^20 rupees at eight places is 29 digits, comfortably inside i128.
    if whole.len() > 20 {
        return Err(PriceError::OutOfRange(text.to_owned()));
    }
    let mut mantissa: i128 = 0;
    for b in whole.bytes() {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    let places = DECIMALS as usize;
    let kept = fraction.get(..places.min(fraction.len())).unwrap_or("");
    for i in 0..places {
        let digit = kept.as_bytes().get(i).map_or(0, |b| b - b'0');
        mantissa = mantissa * 10 + i128::from(digit);
    }
    let extra = fraction.get(places..).unwrap_or("");
    if extra.bytes().any(|b| b != b'0') {
        if !round {
            return Err(PriceError::TooPrecise(text.to_owned()));
        }
        if extra.as_bytes().first().is_some_and(|&b| b >= b'5') {
            mantissa += 1;
        }
    }
    Ok(if negative { -mantissa } else { mantissa })
}

/// Writes a mantissa at eight places as the shortest exact decimal: `24000`, `1022.5`, `-0.0025`.
fn write_decimal(f: &mut fmt::Formatter<'_>, mantissa: i128) -> fmt::Result {
    let scale = i128::from(SCALE);
    let sign = if mantissa < 0 { "-" } else { "" };
    let magnitude = mantissa.unsigned_abs();
    let whole = magnitude / scale as u128;
    let mut fraction = magnitude % scale as u128;
    if fraction == 0 {
        return f.pad(&format!("{sign}{whole}"));
    }
    let mut width = DECIMALS as usize;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    f.pad(&format!("{sign}{whole}.{fraction:0width$}"))
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts a decimal string (exact) or a JSON number (floats rounded to eight places).
struct DecimalVisitor<T>(std::marker::PhantomData<T>);

trait DecimalTarget: FromStr<Err = PriceError> + Sized {
    fn from_float(value: f64) -> Result<Self, PriceError>;
    fn from_integer(value: i128) -> Result<Self, PriceError>;
}

impl DecimalTarget for Price {
    fn from_float(value: f64) -> Result<Self, PriceError> {
        Price::from_f64(value)
    }
    fn from_integer(value: i128) -> Result<Self, PriceError> {
        i64::try_from(value)
            .map_err(|_| PriceError::OutOfRange(value.to_string()))
            .and_then(Price::from_rupees)
    }
}

impl DecimalTarget for Amount {
    fn from_float(value: f64) -> Result<Self, PriceError> {
        Amount::from_f64(value)
    }
    fn from_integer(value: i128) -> Result<Self, PriceError> {
        value
            .checked_mul(i128::from(SCALE))
            .map(Amount)
            .ok_or_else(|| PriceError::OutOfRange(value.to_string()))
    }
}

impl<T: DecimalTarget> Visitor<'_> for DecimalVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a decimal string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        T::from_float(value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        T::from_integer(i128::from(value)).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::from_integer(i128::from(value)).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor(std::marker::PhantomData))
    }
}

/// True when `quantity` is a whole number of lots of `lot_size`. A lot size of zero (indices in
/// some dumps) divides nothing.
pub const fn is_lot_multiple(quantity: u32, lot_size: u32) -> bool {
    lot_size > 0 && quantity.is_multiple_of(lot_size)
}

#[cfg(test)]
mod wire_float_tests {
    use super::*;
    use proptest::prelude::*;
    use tt_test_support::decimals::broker_decimal;

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn a_json_float_price_comes_back_exactly(text in broker_decimal(10)) {
            let float: f64 = serde_json::from_str(&text).unwrap();
            let exact: Price = text.parse().unwrap();
            prop_assert_eq!(Price::from_f64(float), Ok(exact), "{}", text);
        }

        #[test]
        fn a_json_float_amount_comes_back_exactly(text in broker_decimal(15)) {
            let float: f64 = serde_json::from_str(&text).unwrap();
            let exact: Amount = text.parse().unwrap();
            prop_assert_eq!(Amount::from_f64(float), Ok(exact), "{}", text);
        }
    }

    #[test]
    fn the_edges_of_both_paths_come_back_exactly() {
        // Either side of 10^7, where `from_f64` changes method, the smallest step, the top of
        // the range, and float noise from Kite's mocks (rounded to eight places).
        for (json, expected) in [
            ("9999999.99999999", "9999999.99999999"),
            ("-9999999.99999999", "-9999999.99999999"),
            ("10000000.0000001", "10000000.0000001"),
            ("1234567.12345678", "1234567.12345678"),
            ("0.00000001", "0.00000001"),
            ("9999999999.99999", "9999999999.99999"),
            ("10000000000", "10000000000"),
            ("99725.05000000002", "99725.05"),
        ] {
            let float: f64 = serde_json::from_str(json).unwrap();
            assert_eq!(Price::from_f64(float), Ok(price(expected)), "{json}");
        }
    }
}

#[cfg(test)]
mod fast_rounding_tests {
    use super::*;
    use proptest::prelude::*;

    /// `Price::from_f64` as it was before the rounding avoided libm: the specification the
    /// fast path must match for every input.
    fn reference_price(value: f64) -> Result<Price, PriceError> {
        if !value.is_finite() {
            return Err(PriceError::NotFinite(value.to_string()));
        }
        if value.abs() > PRICE_LIMIT_RUPEES as f64 {
            return Err(PriceError::OutOfRange(value.to_string()));
        }
        if value.abs() < 1.0e7 {
            Ok(Price((value * SCALE as f64).round() as i64))
        } else {
            parse_decimal(&value.to_string(), true).and_then(|m| {
                i64::try_from(m)
                    .ok()
                    .and_then(Price::from_mantissa)
                    .ok_or_else(|| PriceError::OutOfRange(value.to_string()))
            })
        }
    }

    /// `Amount::from_f64` as it was, likewise.
    fn reference_amount(value: f64) -> Result<Amount, PriceError> {
        if !value.is_finite() {
            return Err(PriceError::NotFinite(value.to_string()));
        }
        if value.abs() > 1.0e20 {
            return Err(PriceError::OutOfRange(value.to_string()));
        }
        if value.abs() < 1.0e7 {
            Ok(Amount((value * SCALE as f64).round() as i128))
        } else {
            parse_decimal(&value.to_string(), true).map(Amount)
        }
    }

    fn agrees(value: f64) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            Price::from_f64(value),
            reference_price(value),
            "{:e}",
            value
        );
        prop_assert_eq!(
            Amount::from_f64(value),
            reference_amount(value),
            "{:e}",
            value
        );
        Ok(())
    }

    /// The doubles next to `value`, a few steps either way: where a rounding would go wrong.
    fn neighbours(value: f64) -> impl Iterator<Item = f64> {
        let bits = value.to_bits();
        (0..=4_u64).flat_map(move |step| {
            [
                f64::from_bits(bits.wrapping_add(step)),
                f64::from_bits(bits.wrapping_sub(step)),
            ]
        })
    }

    /// Doubles of every kind: any bit pattern (NaNs, infinities, subnormals, huge), a price
    /// range, and exact halves of the eighth place with the doubles around them.
    fn any_double() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            -2.0e10..2.0e10_f64,
            -1.0e7..1.0e7_f64,
            -1.0..1.0_f64,
            (-1_000_000_000_000_000_i64..1_000_000_000_000_000_i64)
                .prop_map(|units| (units as f64 + 0.5) / SCALE as f64),
            (-10_000_000_i64..10_000_000, 0..1000_i64)
                .prop_map(|(whole, cents)| whole as f64 + cents as f64 / 1000.0 + 0.000_000_005),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50_000))]

        #[test]
        fn the_fast_rounding_agrees_with_libm_round_everywhere(value in any_double()) {
            for v in neighbours(value) {
                agrees(v)?;
            }
        }
    }

    #[test]
    fn the_fast_rounding_agrees_on_the_edges() {
        let mut edges = vec![
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::from_bits(1 | 1 << 63),
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            1e-9,
            -1e-9,
            5e-9,
            -5e-9,
            4.999_999_999_999_999e-9,
            1.5e-8,
            2.5e-8,
            0.000_000_015,
            0.000_000_025,
            1.005,
            2.675,
            1.125,
            -1.125,
            99725.05000000002,
            52.04999923706055,
            9_999_999.999_999_995,
            9.2e10,
            -9.2e10,
            1e7,
            -1e7,
            1e10,
            -1e10,
            1e10 + 1e-5,
            1e20,
            1e21,
            9_007_199_254_740_992.0 / SCALE as f64,
            0.49999999999999994 / SCALE as f64,
        ];
        for whole in [0.0, 1.0, 7.0, 99.0, 1022.0, 24000.0, 99725.0, 9_999_999.0] {
            for thousandths in [5.0, 15.0, 25.0, 125.0, 995.0] {
                edges.push(whole + thousandths / 1000.0);
                edges.push(-(whole + thousandths / 1000.0));
            }
        }
        for value in edges {
            for v in neighbours(value) {
                agrees(v).unwrap();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn prints_shortest_exact_decimal() {
        for (input, shown) in [
            ("24000", "24000"),
            ("24000.00", "24000"),
            ("1022.50", "1022.5"),
            ("83.25", "83.25"),
            ("0.0025", "0.0025"),
            ("0.0000001", "0.0000001"),
            ("-0.05", "-0.05"),
            ("+7", "7"),
            (".5", "0.5"),
            ("0", "0"),
        ] {
            assert_eq!(price(input).to_string(), shown, "{input}");
        }
    }

    #[test]
    fn rejects_malformed_and_too_precise_text() {
        for bad in [
            "", "-", ".", "1e5", "1,000", "12.3.4", " 1", "abc", "--1", "NaN",
        ] {
            assert!(
                matches!(bad.parse::<Price>(), Err(PriceError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "1.000000001".parse::<Price>(),
            Err(PriceError::TooPrecise(_))
        ));
        assert_eq!(price("1.000000000"), price("1"));
        assert!(matches!(
            "10000000001".parse::<Price>(),
            Err(PriceError::OutOfRange(_))
        ));
    }

    #[test]
    fn float_noise_rounds_to_eight_places() {
        assert_eq!(
            Price::from_f64(99725.05000000002).unwrap(),
            price("99725.05")
        );
        assert_eq!(
            Price::from_f64(52.04999923706055).unwrap(),
            price("52.04999924")
        );
        assert_eq!(Price::from_f64(0.1 + 0.2).unwrap(), price("0.3"));
        assert_eq!(Price::from_f64(-161.05).unwrap(), price("-161.05"));
        assert_eq!(
            Price::from_f64(123456789.125).unwrap(),
            price("123456789.125")
        );
    }

    #[test]
    fn non_finite_floats_are_errors() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                Price::from_f64(bad),
                Err(PriceError::NotFinite(_))
            ));
            assert!(matches!(
                Amount::from_f64(bad),
                Err(PriceError::NotFinite(_))
            ));
        }
        assert!(matches!(
            Price::from_f64(1e11),
            Err(PriceError::OutOfRange(_))
        ));
    }

    #[test]
    fn scaled_integers_from_feeds_are_exact() {
        assert_eq!(Price::from_scaled(39295, 100).unwrap(), price("392.95"));
        assert_eq!(
            Price::from_scaled(832_500_000, 10_000_000).unwrap(),
            price("83.25")
        );
        assert_eq!(
            Price::from_scaled(832_525, 10_000).unwrap(),
            price("83.2525")
        );
        assert_eq!(Price::from_scaled(1, 0), None);
        assert_eq!(Price::from_scaled(1, 3), None);
    }

    #[test]
    fn tenths_added_many_times_do_not_drift() {
        let tenth = Amount::from(price("0.1"));
        let total: Amount = std::iter::repeat_n(tenth, 1_000_000).sum();
        assert_eq!(total, Amount::from_rupees(100_000));
    }

    #[test]
    fn tick_size_multiples() {
        assert!(price("1022.55").is_multiple_of(price("0.05")));
        assert!(!price("1022.53").is_multiple_of(price("0.05")));
        assert!(price("83.2525").is_multiple_of(price("0.0025")));
        assert!(!price("83.2526").is_multiple_of(price("0.0025")));
        assert!(price("-0.10").is_multiple_of(price("0.05")));
        assert!(!price("1").is_multiple_of(Price::ZERO));
    }

    #[test]
    fn rounds_to_nearest_tick() {
        let tick = price("0.05");
        assert_eq!(price("1022.53").round_to_tick(tick), Some(price("1022.55")));
        assert_eq!(price("1022.52").round_to_tick(tick), Some(price("1022.5")));
        assert_eq!(
            price("1022.525").round_to_tick(tick),
            Some(price("1022.55"))
        );
        assert_eq!(price("-1.02").round_to_tick(tick), Some(price("-1")));
        assert_eq!(price("-1.03").round_to_tick(tick), Some(price("-1.05")));
        assert_eq!(price("1").round_to_tick(Price::ZERO), None);
    }

    #[test]
    fn lot_multiples() {
        assert!(is_lot_multiple(150, 75));
        assert!(!is_lot_multiple(100, 75));
        assert!(!is_lot_multiple(0, 0));
        assert!(is_lot_multiple(0, 25));
    }

    #[test]
    fn price_times_quantity_is_an_exact_amount() {
        assert_eq!((price("161.05") * 1000_i64).to_string(), "161050");
        assert_eq!((price("0.0025") * -3_i64).to_string(), "-0.0075");
        let huge = price("9999999999.99999999") * i64::MAX;
        assert!(huge > Amount::ZERO);
    }

    #[test]
    fn serde_writes_strings_and_reads_numbers_or_strings() {
        assert_eq!(
            serde_json::to_string(&price("1022.5")).unwrap(),
            "\"1022.5\""
        );
        let from_number: Price = serde_json::from_str("99725.05000000002").unwrap();
        assert_eq!(from_number, price("99725.05"));
        let from_int: Price = serde_json::from_str("72").unwrap();
        assert_eq!(from_int, price("72"));
        let from_text: Amount = serde_json::from_str("\"-12.5\"").unwrap();
        assert_eq!(from_text.to_string(), "-12.5");
        assert!(serde_json::from_str::<Price>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Price>("true").is_err());
    }

    #[test]
    fn amount_from_large_float_keeps_its_decimals() {
        assert_eq!(
            Amount::from_f64(12345678901.5).unwrap().to_string(),
            "12345678901.5"
        );
    }
}
