//! Market quotes: `/quote` (full), `/quote/ohlc` and `/quote/ltp`, for instruments given as
//! repeated `i=EXCHANGE:TRADINGSYMBOL`, keyed by the text exactly as requested. Unknown
//! instruments are left out.

use std::collections::BTreeMap;

use tt_core::Price;

use super::bad_encoding;
use super::wire::{self, KiteError};
use crate::call::Call;
use crate::market::Tape;
use crate::reply::Reply;
use crate::sim::Sim;
use crate::stamp;
use crate::universe::{Listing, stable_hash};

/// Instruments per `/quote` call.
const FULL_LIMIT: usize = 500;
/// Instruments per `/quote/ohlc` or `/quote/ltp` call.
const SHORT_LIMIT: usize = 1000;

/// The requested keys that name a listed instrument, each with its listing and tape.
fn requested<'s>(
    sim: &'s Sim,
    call: &Call,
    limit: usize,
) -> Result<Vec<(String, &'s Listing, Tape)>, KiteError> {
    let params = call.query_form().map_err(bad_encoding)?;
    let mut keys: Vec<&str> = params.all("i").filter(|k| !k.is_empty()).collect();
    if keys.is_empty() {
        return Err(KiteError::input(
            "Missing `i`: name instruments as i=EXCHANGE:TRADINGSYMBOL.",
        ));
    }
    if keys.len() > limit {
        return Err(KiteError::input(format!(
            "Too many instruments: at most {limit} per request, got {}.",
            keys.len()
        )));
    }
    keys.sort_unstable();
    keys.dedup();
    let (inner, _) = sim.current();
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let listing = sim.universe.by_kite_key(key)?;
            Some((key.to_owned(), listing, inner.market.tape(listing)))
        })
        .collect())
}

fn ohlc(tape: &Tape) -> wire::Ohlc {
    wire::Ohlc {
        open: tape.open,
        high: tape.high,
        low: tape.low,
        close: tape.close,
    }
}

/// `price` moved by `steps` ticks (never below one tick).
fn offset(price: Price, step: Price, steps: i64) -> Price {
    Price::from_mantissa(price.mantissa() + step.mantissa() * steps)
        .filter(|p| p.is_positive())
        .unwrap_or(step)
}

/// `price * percent / 100`, rounded to `step`.
fn scaled(price: Price, percent: i64, step: Price) -> Price {
    Price::from_mantissa(price.mantissa() / 100 * percent)
        .and_then(|p| p.round_to_tick(step))
        .unwrap_or(price)
}

fn full_quote(listing: &Listing, tape: &Tape, now: time::OffsetDateTime) -> wire::Quote {
    let step = listing.price_step();
    let tradable = listing.instrument.is_tradable();
    let level = |side: u8, n: u8| -> wire::DepthLevel {
        if !tradable {
            return wire::DepthLevel {
                price: Price::ZERO,
                quantity: 0,
                orders: 0,
            };
        }
        let seed = stable_hash(listing.token, 10 + side * 5 + n);
        let lots = seed % 50 + 1;
        let steps = i64::from(n);
        wire::DepthLevel {
            price: if side == 0 {
                offset(tape.last, step, -(steps + 1))
            } else {
                offset(tape.last, step, steps)
            },
            quantity: lots * u64::from(listing.lot.max(1)),
            orders: u32::try_from(seed % 9 + 1).unwrap_or(1),
        }
    };
    let buy: Vec<wire::DepthLevel> = (0..5).map(|n| level(0, n)).collect();
    let sell: Vec<wire::DepthLevel> = (0..5).map(|n| level(1, n)).collect();
    let derivative = listing.instrument.is_derivative();
    let oi = if derivative && tradable {
        (stable_hash(listing.token, 3) % 100_000 + 100) * u64::from(listing.lot.max(1))
    } else {
        0
    };
    let typical = Price::from_mantissa(
        (tape.high.mantissa() + tape.low.mantissa() + tape.last.mantissa()) / 3,
    )
    .and_then(|p| p.round_to_tick(step))
    .unwrap_or(tape.last);
    let band = if derivative { 40 } else { 20 };
    wire::Quote {
        instrument_token: listing.token,
        timestamp: stamp::ist_timestamp(now),
        last_trade_time: time::OffsetDateTime::from_unix_timestamp(tape.last_trade_unix)
            .map(stamp::ist_timestamp)
            .unwrap_or_default(),
        last_price: tape.last,
        last_quantity: tape.last_quantity,
        buy_quantity: buy.iter().map(|l| l.quantity).sum::<u64>() * 20,
        sell_quantity: sell.iter().map(|l| l.quantity).sum::<u64>() * 20,
        volume: tape.volume,
        average_price: if tradable { typical } else { Price::ZERO },
        oi,
        oi_day_high: oi + oi / 20,
        oi_day_low: oi - oi / 20,
        net_change: tape.last.checked_sub(tape.close).unwrap_or(Price::ZERO),
        lower_circuit_limit: if tradable {
            scaled(tape.close, 100 - band, step)
        } else {
            Price::ZERO
        },
        upper_circuit_limit: if tradable {
            scaled(tape.close, 100 + band, step)
        } else {
            Price::ZERO
        },
        ohlc: ohlc(tape),
        depth: wire::Depth { buy, sell },
    }
}

/// `GET /quote`.
pub(crate) fn full(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let now = sim.now();
    let quotes: BTreeMap<String, wire::Quote> = requested(sim, call, FULL_LIMIT)?
        .into_iter()
        .map(|(key, listing, tape)| (key, full_quote(listing, &tape, now)))
        .collect();
    Ok(wire::success(&quotes))
}

/// `GET /quote/ohlc`.
pub(crate) fn ohlc_quotes(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let quotes: BTreeMap<String, wire::OhlcQuote> = requested(sim, call, SHORT_LIMIT)?
        .into_iter()
        .map(|(key, listing, tape)| {
            (
                key,
                wire::OhlcQuote {
                    instrument_token: listing.token,
                    last_price: tape.last,
                    ohlc: ohlc(&tape),
                },
            )
        })
        .collect();
    Ok(wire::success(&quotes))
}

/// `GET /quote/ltp`.
pub(crate) fn ltp(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let quotes: BTreeMap<String, wire::LtpQuote> = requested(sim, call, SHORT_LIMIT)?
        .into_iter()
        .map(|(key, listing, tape)| {
            (
                key,
                wire::LtpQuote {
                    instrument_token: listing.token,
                    last_price: tape.last,
                },
            )
        })
        .collect();
    Ok(wire::success(&quotes))
}
