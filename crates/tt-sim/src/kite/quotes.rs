//! Market quotes: `/quote` (full), `/quote/ohlc` and `/quote/ltp`, for instruments given as
//! repeated `i=EXCHANGE:TRADINGSYMBOL`, keyed by the text exactly as requested. Unknown
//! instruments are left out.

use std::collections::BTreeMap;

use super::bad_encoding;
use super::wire::{self, KiteError};
use crate::call::Call;
use crate::market::Tape;
use crate::quote::{self, ohlc};
use crate::reply::Reply;
use crate::sim::Sim;
use crate::stamp;
use crate::universe::{Contract, Listing};

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

fn full_quote(listing: &Listing, tape: Tape, now: time::OffsetDateTime) -> wire::Quote {
    let token = listing.kite.as_ref().map_or(0, Contract::kite_token);
    let quote = quote::snapshot(listing, tape);
    let tape = &quote.tape;
    wire::Quote {
        instrument_token: token,
        timestamp: stamp::ist_timestamp(now),
        last_trade_time: time::OffsetDateTime::from_unix_timestamp(tape.last_trade_unix)
            .map(stamp::ist_timestamp)
            .unwrap_or_default(),
        last_price: tape.last,
        last_quantity: tape.last_quantity,
        buy_quantity: quote.buy_quantity,
        sell_quantity: quote.sell_quantity,
        volume: tape.volume,
        average_price: quote.average_price,
        oi: quote.oi,
        oi_day_high: quote.oi_day_high,
        oi_day_low: quote.oi_day_low,
        net_change: quote.net_change,
        lower_circuit_limit: quote.lower_circuit_limit,
        upper_circuit_limit: quote.upper_circuit_limit,
        ohlc: ohlc(tape),
        depth: quote.depth,
    }
}

/// `GET /quote`.
pub(crate) fn full(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let now = sim.now();
    let quotes: BTreeMap<String, wire::Quote> = requested(sim, call, FULL_LIMIT)?
        .into_iter()
        .map(|(key, listing, tape)| (key, full_quote(listing, tape, now)))
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
                    instrument_token: listing.kite.as_ref().map_or(0, Contract::kite_token),
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
                    instrument_token: listing.kite.as_ref().map_or(0, Contract::kite_token),
                    last_price: tape.last,
                },
            )
        })
        .collect();
    Ok(wire::success(&quotes))
}
