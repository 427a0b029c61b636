//! Market quotes: v2 `quotes` (full), `ltp` and `ohlc`, and v3 `ltp` and `ohlc`, for instruments
//! given as a comma list of instrument keys in `instrument_key` (or the deprecated `symbol`,
//! which the Python SDK still sends), at most 500. The answer is keyed `SEGMENT:TRADING_SYMBOL`
//! (`NSE_EQ:INFY`), not by the key asked for; each value's `instrument_token` is the key.
//! A key that is not one Upstox lists fails the call with `UDAPI1087`, naming the key.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::wire::{self, UpstoxError, code};
use crate::call::Call;
use crate::market::Tape;
use crate::quote::{self, ohlc};
use crate::reply::Reply;
use crate::sim::Sim;
use crate::stamp;
use crate::universe::{Contract, Listing};

/// Instrument keys per call.
const MAX_KEYS: usize = 500;

/// One instrument asked for: its answer key, listing, Upstox contract and tape.
struct Asked<'s> {
    key: String,
    listing: &'s Listing,
    contract: &'s Contract,
    tape: Tape,
}

/// The listed instruments the call asks for.
fn requested<'s>(sim: &'s Sim, call: &Call) -> Result<Vec<Asked<'s>>, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    let list = params
        .value("instrument_key")
        .or_else(|| params.value("symbol"))
        .ok_or_else(|| {
            UpstoxError::bad(code::KEY_REQUIRED, "instrument_key is required.")
                .at("instrument_key", None)
        })?;
    let mut keys: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return Err(
            UpstoxError::bad(code::KEY_REQUIRED, "instrument_key is required.")
                .at("instrument_key", None),
        );
    }
    if keys.len() > MAX_KEYS {
        return Err(UpstoxError::bad(
            code::TOO_MANY_KEYS,
            format!(
                "Too many instrument keys: at most {MAX_KEYS} per request, got {}.",
                keys.len()
            ),
        )
        .at("instrument_key", None));
    }
    keys.sort_unstable();
    keys.dedup();
    let (inner, _) = sim.current();
    keys.into_iter()
        .map(|key| {
            let (listing, contract) = super::listed(sim, key, "instrument_key")?;
            Ok(Asked {
                key: format!("{}:{}", contract.upstox_segment(), contract.symbol),
                listing,
                contract,
                tape: inner.market.tape(listing),
            })
        })
        .collect()
}

fn full_quote<'s>(asked: &Asked<'s>, now: OffsetDateTime) -> wire::Quote<'s> {
    let quote = quote::snapshot(asked.listing, asked.tape.clone());
    let tape = &quote.tape;
    let last_trade = OffsetDateTime::from_unix_timestamp(tape.last_trade_unix)
        .map(stamp::epoch_millis)
        .unwrap_or_default();
    wire::Quote {
        ohlc: ohlc(tape),
        depth: quote.depth,
        timestamp: stamp::ist_iso(now),
        instrument_token: &asked.contract.token,
        symbol: &asked.contract.symbol,
        last_price: tape.last,
        volume: tape.volume,
        average_price: quote.average_price,
        oi: quote.oi,
        net_change: quote.net_change,
        total_buy_quantity: quote.buy_quantity,
        total_sell_quantity: quote.sell_quantity,
        lower_circuit_limit: quote.lower_circuit_limit,
        upper_circuit_limit: quote.upper_circuit_limit,
        last_trade_time: last_trade.to_string(),
        oi_day_high: quote.oi_day_high,
        oi_day_low: quote.oi_day_low,
    }
}

/// Answers each asked instrument with `shape`.
fn answer<'s, T: serde::Serialize>(
    sim: &'s Sim,
    call: &Call,
    shape: impl Fn(&Asked<'s>) -> T,
) -> Result<Reply, UpstoxError> {
    let quotes: BTreeMap<String, T> = requested(sim, call)?
        .iter()
        .map(|asked| (asked.key.clone(), shape(asked)))
        .collect();
    Ok(wire::success(&quotes))
}

/// `GET /v2/market-quote/quotes`.
pub(crate) fn full(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let now = sim.now();
    answer(sim, call, |asked| full_quote(asked, now))
}

/// `GET /v2/market-quote/ohlc` (the `interval` is accepted; every interval answers the day).
pub(crate) fn ohlc_v2(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    answer(sim, call, |asked| wire::OhlcQuote {
        ohlc: ohlc(&asked.tape),
        last_price: asked.tape.last,
        instrument_token: &asked.contract.token,
    })
}

/// `GET /v2/market-quote/ltp`.
pub(crate) fn ltp_v2(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    answer(sim, call, |asked| wire::LtpQuote {
        last_price: asked.tape.last,
        instrument_token: &asked.contract.token,
    })
}

/// `GET /v3/market-quote/ltp`.
pub(crate) fn ltp_v3(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    answer(sim, call, |asked| wire::LtpQuoteV3 {
        last_price: asked.tape.last,
        instrument_token: &asked.contract.token,
        ltq: asked.tape.last_quantity,
        volume: asked.tape.volume,
        cp: asked.tape.close,
    })
}

/// `GET /v3/market-quote/ohlc`: yesterday's candle (flat at the close) and today's so far.
pub(crate) fn ohlc_v3(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let opened = sim.lock().market.opened_unix();
    // Midnight IST (UTC+05:30) of the trading day.
    let day_start = opened - (opened + 19_800).rem_euclid(86_400);
    answer(sim, call, |asked| {
        let tape = &asked.tape;
        wire::OhlcQuoteV3 {
            last_price: tape.last,
            instrument_token: &asked.contract.token,
            prev_ohlc: wire::Candle {
                ohlc: quote::Ohlc {
                    open: tape.close,
                    high: tape.close,
                    low: tape.close,
                    close: tape.close,
                },
                volume: 0,
                ts: (day_start - 86_400) * 1000,
            },
            live_ohlc: wire::Candle {
                ohlc: quote::Ohlc {
                    close: tape.last,
                    ..ohlc(tape)
                },
                volume: tape.volume,
                ts: day_start * 1000,
            },
        }
    })
}
