//! The instrument dump: `GET /instruments` and `GET /instruments/{exchange}`, the instruments
//! the master lists for Kite as Kite's API writes its CSV (name quoted, whole numbers bare, empty expiry for
//! cash instruments, indices with tick and lot 0 in segment `INDICES`).

use std::fmt::Write;

use tt_core::{Exchange, Price};

use super::wire::KiteError;
use crate::SimBroker;
use crate::call::Call;
use crate::reply::{self, Reply};
use crate::sim::Sim;
use crate::universe::{Contract, Listing};

/// The dump's header: Kite's columns, in Kite's order.
const HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n";

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        quoted(text)
    } else {
        text.to_owned()
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn row(out: &mut String, listing: &Listing, contract: &Contract) {
    let (instrument_type, segment) = listing.kite_type_and_segment(contract.exchange);
    let index = !listing.instrument.is_tradable();
    let (tick, lot) = if index {
        (Price::ZERO, 0)
    } else {
        (contract.tick, contract.lot)
    };
    let strike = listing
        .instrument
        .option_terms()
        .map_or(Price::ZERO, |(strike, _)| strike);
    let expiry = listing
        .instrument
        .expiry()
        .map(|d| d.to_string())
        .unwrap_or_default();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{},{},{},{},0,{},{},{},{},{},{},{}",
        contract.token,
        field(&listing.exchange_token),
        field(&contract.symbol),
        quoted(listing.name.as_deref().unwrap_or("")),
        expiry,
        strike,
        tick,
        lot,
        instrument_type,
        segment,
        contract.exchange.code(),
    );
}

/// The dump of every instrument, or of one exchange's.
pub(crate) fn dump(sim: &Sim, call: &Call, exchange: Option<&str>) -> Result<Reply, KiteError> {
    let only = match exchange {
        None => None,
        Some(code) => Some(
            code.parse::<Exchange>()
                .map_err(|_| KiteError::input(format!("Invalid `exchange` `{code}`.")))?,
        ),
    };
    let mut out = String::from(HEADER);
    for (listing, contract) in sim
        .universe
        .listed_by(SimBroker::Kite)
        .filter(|(_, c)| only.is_none_or(|e| c.exchange == e))
    {
        row(&mut out, listing, contract);
    }
    Ok(reply::csv(out, call.accepts_gzip()))
}
