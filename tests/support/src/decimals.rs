//! Decimal numbers as brokers write them in JSON, for the properties that check a float from a
//! JSON parser comes back as exactly the `Price` or `Amount` the broker wrote (tt-core's own
//! parser check, and tt-upstox's check of simd-json).

use proptest::prelude::*;

/// A decimal as a broker writes it: up to fifteen significant digits, up to eight of them after
/// the point, at most `max_whole_digits` before it, either sign (`-1234.5`, `0.00000001`).
pub fn broker_decimal(max_whole_digits: u32) -> impl Strategy<Value = String> {
    (1u32..=15, 0u32..=8, any::<bool>()).prop_flat_map(move |(digits, places, negative)| {
        let digits = digits.min(max_whole_digits + places).max(1);
        (0u64..10u64.pow(digits)).prop_map(move |mantissa| {
            let text = mantissa.to_string();
            let places = places as usize;
            let padded = format!("{text:0>width$}", width = places + 1);
            let (whole, fraction) = padded.split_at(padded.len() - places);
            let sign = if negative { "-" } else { "" };
            if fraction.is_empty() {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            }
        })
    })
}
