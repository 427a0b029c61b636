//! The public BOD instrument files: `GET /market-quote/instruments/exchange/{file}.json.gz` for
//! `complete`, `NSE`, `BSE` and `MCX`, no authentication, served as `application/gzip` (the
//! body itself is gzip, not a `Content-Encoding`). Each is Upstox's JSON array of the instruments
//! the master lists for Upstox, keys sparse as in Upstox's files: `tick_size` in paise, `expiry`
//! in epoch milliseconds at 23:59:59 IST of the expiry day, `exchange_token` a string, no
//! `lot_size`/`tick_size`/`qty_multiplier` on indices.

use serde::Serialize;
use time::{OffsetDateTime, Time};
use tt_core::{IST, Instrument, Price};

use super::wire::UpstoxError;
use crate::SimBroker;
use crate::reply::{self, Reply};
use crate::sim::Sim;
use crate::universe::{Contract, Listing, option_code};

/// One instrument of the file, keys in Upstox's names.
#[derive(Debug, Serialize)]
struct Row<'a> {
    segment: &'a str,
    name: &'a str,
    exchange: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    isin: Option<&'a str>,
    instrument_type: &'static str,
    instrument_key: &'a str,
    exchange_token: &'a str,
    trading_symbol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lot_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minimum_lot: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    freeze_quantity: Option<f64>,
    /// In paise.
    #[serde(skip_serializing_if = "Option::is_none")]
    tick_size: Option<f64>,
    /// Epoch milliseconds, 23:59:59 IST of the expiry day.
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strike_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weekly: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    underlying_symbol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset_symbol: Option<&'a str>,
    /// Rupees per unit of quantity at price 1, a float as in Upstox's files.
    #[serde(skip_serializing_if = "Option::is_none")]
    qty_multiplier: Option<f64>,
}

/// The exchange a segment belongs to (`NSE_FO` is NSE's, `BCD_FO` BSE's).
fn exchange_of(segment: &str) -> &'static str {
    match segment
        .split_once('_')
        .map_or(segment, |(prefix, _)| prefix)
    {
        "BSE" | "BCD" => "BSE",
        "MCX" => "MCX",
        _ => "NSE",
    }
}

/// A price as paise, the unit of the file's `tick_size`.
fn paise(price: Price) -> f64 {
    price.to_f64() * 100.0
}

fn row<'a>(listing: &'a Listing, contract: &'a Contract) -> Row<'a> {
    let segment = contract.upstox_segment();
    let instrument = &listing.instrument;
    let tradable = instrument.is_tradable();
    let derivative = instrument.is_derivative();
    let instrument_type = match (instrument, instrument.option_terms()) {
        (Instrument::Equity(_), _) => "EQ",
        (Instrument::Index(_), _) => "INDEX",
        (_, Some((_, option))) => option_code(option),
        (_, None) => "FUT",
    };
    let expiry = instrument.expiry().map(|date| {
        let end = date
            .with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
            .assume_offset(IST);
        OffsetDateTime::unix_timestamp(end) * 1000
    });
    let root = instrument.symbol().as_str();
    Row {
        segment,
        name: match instrument {
            Instrument::Index(_) => root,
            _ => listing.name.as_deref().unwrap_or(root),
        },
        exchange: exchange_of(segment),
        isin: listing
            .isin
            .as_deref()
            .filter(|_| matches!(instrument, Instrument::Equity(_))),
        instrument_type,
        instrument_key: &contract.token,
        exchange_token: &listing.exchange_token,
        trading_symbol: &contract.symbol,
        lot_size: tradable.then_some(contract.lot),
        minimum_lot: derivative.then_some(contract.lot),
        freeze_quantity: contract.freeze.filter(|_| tradable).map(f64::from),
        tick_size: tradable.then(|| paise(contract.tick)),
        expiry,
        strike_price: derivative.then(|| {
            instrument
                .option_terms()
                .map_or(0.0, |(strike, _)| strike.to_f64())
        }),
        weekly: derivative.then_some(false),
        underlying_symbol: derivative.then_some(root),
        asset_symbol: derivative.then_some(root),
        qty_multiplier: tradable.then(|| f64::from(contract.multiplier)),
    }
}

/// `GET /market-quote/instruments/exchange/{complete|NSE|BSE|MCX}.json.gz`.
pub(crate) fn file(sim: &Sim, name: &str) -> Result<Reply, UpstoxError> {
    let only = match name {
        "complete.json.gz" => None,
        "NSE.json.gz" => Some("NSE"),
        "BSE.json.gz" => Some("BSE"),
        "MCX.json.gz" => Some("MCX"),
        _ => return Err(UpstoxError::not_found()),
    };
    let rows: Vec<Row<'_>> = sim
        .universe
        .listed_by(SimBroker::Upstox)
        .map(|(listing, contract)| row(listing, contract))
        .filter(|row| only.is_none_or(|exchange| row.exchange == exchange))
        .collect();
    let json = serde_json::to_vec(&rows)
        .map_err(|e| UpstoxError::rejected(format!("could not encode the file: {e}")))?;
    reply::compress(&json)
        .map(reply::gzip)
        .map_err(|e| UpstoxError::rejected(format!("could not compress the file: {e}")))
}
