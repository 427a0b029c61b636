//! What a full quote of an instrument says, broker-neutral: the tape, five levels of depth on
//! each side, open interest, the average price and the circuit limits, all derived from the
//! market and the instrument's seed so they are the same in every run. Each broker's quote
//! endpoint writes it in its own shape; the OHLC and depth objects, which both brokers write
//! with the same keys, are written from here.

use serde::Serialize;
use tt_core::{Price, Side};

use crate::market::Tape;
use crate::money::price;
use crate::universe::{Listing, stable_hash};

/// Open, high, low and close: the `ohlc` object of both brokers' quotes.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Ohlc {
    #[serde(serialize_with = "price")]
    pub(crate) open: Price,
    #[serde(serialize_with = "price")]
    pub(crate) high: Price,
    #[serde(serialize_with = "price")]
    pub(crate) low: Price,
    #[serde(serialize_with = "price")]
    pub(crate) close: Price,
}

/// The day's open, high, low and previous close.
pub(crate) fn ohlc(tape: &Tape) -> Ohlc {
    Ohlc {
        open: tape.open,
        high: tape.high,
        low: tape.low,
        close: tape.close,
    }
}

/// One level of market depth (`price`, `quantity`, `orders` in both brokers' quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Level {
    #[serde(serialize_with = "price")]
    pub(crate) price: Price,
    pub(crate) quantity: u64,
    pub(crate) orders: u32,
}

/// Five bids and five offers, best first: the `depth` object of both brokers' full quotes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Depth {
    pub(crate) buy: Vec<Level>,
    pub(crate) sell: Vec<Level>,
}

/// A full quote.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// The day so far.
    pub(crate) tape: Tape,
    /// Five bids and five offers.
    pub(crate) depth: Depth,
    /// Units bid in all (the book beyond the five levels included).
    pub(crate) buy_quantity: u64,
    /// Units offered in all.
    pub(crate) sell_quantity: u64,
    /// The day's volume-weighted average (zero for an index).
    pub(crate) average_price: Price,
    /// Open interest (derivatives).
    pub(crate) oi: u64,
    /// The day's highest open interest.
    pub(crate) oi_day_high: u64,
    /// The day's lowest open interest.
    pub(crate) oi_day_low: u64,
    /// Last price less the previous close.
    pub(crate) net_change: Price,
    /// The lower price band (zero for an index).
    pub(crate) lower_circuit_limit: Price,
    /// The upper price band (zero for an index).
    pub(crate) upper_circuit_limit: Price,
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

/// The `rank`-th best level (from 0) of one side of `listing`'s book around `last`: bids one
/// tick apart below the last price, offers from it upwards. The first five are what every
/// quote shows; deeper ones (Upstox's 30-level feed) come from the same rule, with seeds of
/// their own so the first five stay what they always were.
pub(crate) fn level(listing: &Listing, last: Price, side: Side, rank: u8) -> Level {
    if !listing.instrument.is_tradable() {
        return Level {
            price: Price::ZERO,
            quantity: 0,
            orders: 0,
        };
    }
    let step = listing.price_step();
    let lot = u64::from(listing.lot().max(1));
    let side_number: u8 = match side {
        Side::Buy => 0,
        Side::Sell => 1,
    };
    let salt = if rank < 5 {
        10 + side_number * 5 + rank
    } else {
        100u8
            .saturating_add(side_number.saturating_mul(30))
            .saturating_add(rank)
    };
    let seed = stable_hash(listing.seed, salt);
    let steps = i64::from(rank);
    Level {
        price: match side {
            Side::Buy => offset(last, step, -(steps + 1)),
            Side::Sell => offset(last, step, steps),
        },
        quantity: (seed % 50 + 1) * lot,
        orders: u32::try_from(seed % 9 + 1).unwrap_or(1),
    }
}

/// The full quote of `listing` whose day so far is `tape`.
pub(crate) fn snapshot(listing: &Listing, tape: Tape) -> Snapshot {
    let step = listing.price_step();
    let lot = u64::from(listing.lot().max(1));
    let tradable = listing.instrument.is_tradable();
    let buy: Vec<Level> = (0..5)
        .map(|n| level(listing, tape.last, Side::Buy, n))
        .collect();
    let sell: Vec<Level> = (0..5)
        .map(|n| level(listing, tape.last, Side::Sell, n))
        .collect();
    let derivative = listing.instrument.is_derivative();
    let oi = if derivative && tradable {
        (stable_hash(listing.seed, 3) % 100_000 + 100) * lot
    } else {
        0
    };
    let typical = Price::from_mantissa(
        (tape.high.mantissa() + tape.low.mantissa() + tape.last.mantissa()) / 3,
    )
    .and_then(|p| p.round_to_tick(step))
    .unwrap_or(tape.last);
    let band = if derivative { 40 } else { 20 };
    let limit = |percent: i64| {
        if tradable {
            scaled(tape.close, percent, step)
        } else {
            Price::ZERO
        }
    };
    Snapshot {
        buy_quantity: buy.iter().map(|l| l.quantity).sum::<u64>() * 20,
        sell_quantity: sell.iter().map(|l| l.quantity).sum::<u64>() * 20,
        depth: Depth { buy, sell },
        average_price: if tradable { typical } else { Price::ZERO },
        oi,
        oi_day_high: oi + oi / 20,
        oi_day_low: oi - oi / 20,
        net_change: tape.last.checked_sub(tape.close).unwrap_or(Price::ZERO),
        lower_circuit_limit: limit(100 - band),
        upper_circuit_limit: limit(100 + band),
        tape,
    }
}
