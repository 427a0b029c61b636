//! The user and portfolio endpoints: profile, funds and margin, long-term holdings and
//! short-term positions, in Upstox's shapes (`exchange` plain in holdings, in segment form in
//! positions; products `D` and `I`).

use tt_core::{Amount, ProductType};

use super::wire::{self, UpstoxError};
use crate::account::margin::FundSegment;
use crate::account::{HoldingRecord, PositionRecord};
use crate::call::Call;
use crate::reply::Reply;
use crate::sim::{Inner, Sim};
use crate::universe::key_segment;
use crate::{KiteApp, SimBroker};

/// The exchanges a profile lists.
pub(crate) const EXCHANGES: &[&str] = &["NSE", "NFO", "BSE", "CDS", "BFO", "BCD", "MCX"];
/// The products a profile lists.
pub(crate) const PRODUCTS: &[&str] = &["D", "CO", "I", "MTF"];
/// The order types a profile lists.
pub(crate) const ORDER_TYPES: &[&str] = &["MARKET", "LIMIT", "SL", "SL-M"];

/// Upstox's `product` for one of the account's products: `D` for delivery and carry-forward
/// alike, `I` for intraday.
pub(crate) const fn product_code(product: ProductType) -> &'static str {
    match product {
        ProductType::Cnc | ProductType::Nrml => "D",
        ProductType::Mis => "I",
        ProductType::Mtf => "MTF",
        ProductType::Co => "CO",
        ProductType::Bo => "OCO",
    }
}

/// The user's profile, as `GET /v2/user/profile` and the token exchange show it.
pub(crate) fn profile_of(app: &KiteApp) -> wire::Profile<'_> {
    wire::Profile {
        email: &app.email,
        exchanges: EXCHANGES,
        products: PRODUCTS,
        broker: "UPSTOX",
        user_id: &app.user_id,
        user_name: &app.user_name,
        order_types: ORDER_TYPES,
        user_type: "individual",
        poa: false,
        is_active: true,
    }
}

/// `GET /v2/user/profile`.
pub(crate) fn profile(sim: &Sim) -> Reply {
    wire::success(&profile_of(&sim.app))
}

fn fund_segment(sim: &Sim, inner: &Inner, segment: FundSegment) -> wire::FundSegment {
    let (cash, used) = sim.funds(inner, SimBroker::Upstox, segment);
    wire::FundSegment {
        used_margin: used.debits(),
        payin_amount: Amount::ZERO,
        span_margin: used.span,
        adhoc_margin: Amount::ZERO,
        notional_cash: Amount::ZERO,
        available_margin: cash - used.debits(),
        exposure_margin: used.exposure,
    }
}

/// `GET /v2/user/get-funds-and-margin[?segment=SEC|COM]`: both segments unless one is asked for.
pub(crate) fn funds(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    let (equity, commodity) = match params.value("segment") {
        None => (true, true),
        Some("SEC") => (true, false),
        Some("COM") => (false, true),
        Some(other) => {
            return Err(UpstoxError::input(format!(
                "Invalid `segment` `{other}`: use SEC or COM."
            ))
            .at("segment", Some(other.into())));
        }
    };
    let (inner, _) = sim.current();
    Ok(wire::success(&wire::Funds {
        equity: equity.then(|| fund_segment(sim, &inner, FundSegment::Equity)),
        commodity: commodity.then(|| fund_segment(sim, &inner, FundSegment::Commodity)),
    }))
}

fn holding<'a>(sim: &'a Sim, inner: &Inner, record: &'a HoldingRecord) -> wire::Holding<'a> {
    let marks = sim.holding_marks(inner, record);
    let instrument = &record.instrument;
    let company = sim
        .universe
        .by_instrument(&instrument.instrument)
        .and_then(|l| l.name.as_deref())
        .unwrap_or(&instrument.tradingsymbol);
    wire::Holding {
        isin: &record.isin,
        cnc_used_quantity: 0,
        collateral_type: "WC",
        company_name: company,
        haircut: 0.0,
        product: "D",
        quantity: record.quantity,
        tradingsymbol: &instrument.tradingsymbol,
        trading_symbol: &instrument.tradingsymbol,
        last_price: marks.last,
        close_price: marks.close,
        pnl: marks.pnl,
        day_change: marks.day_change,
        day_change_percentage: marks.day_change_percentage,
        instrument_token: &instrument.token,
        average_price: record.average_price,
        collateral_quantity: 0,
        collateral_update_quantity: 0,
        t1_quantity: record.t1_quantity,
        exchange: instrument.exchange.code(),
    }
}

/// `GET /v2/portfolio/long-term-holdings`.
pub(crate) fn holdings(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let list: Vec<wire::Holding<'_>> = inner
        .upstox
        .account
        .holdings
        .iter()
        .map(|record| holding(sim, &inner, record))
        .collect();
    wire::success(&list)
}

pub(crate) fn position<'a>(
    sim: &Sim,
    inner: &Inner,
    record: &'a PositionRecord,
) -> wire::Position<'a> {
    let marks = sim.position_marks(inner, record);
    let instrument = &record.instrument;
    wire::Position {
        exchange: key_segment(&instrument.token),
        multiplier: f64::from(record.multiplier()),
        value: record.value(),
        pnl: marks.pnl,
        product: product_code(record.product),
        instrument_token: &instrument.token,
        average_price: record.average_price(),
        buy_value: record.buy_value,
        overnight_quantity: 0,
        day_buy_value: record.buy_value,
        day_buy_price: record.buy_price(),
        overnight_buy_amount: Amount::ZERO,
        overnight_buy_quantity: 0,
        day_buy_quantity: record.buy_quantity,
        day_sell_value: record.sell_value,
        day_sell_price: record.sell_price(),
        overnight_sell_amount: Amount::ZERO,
        overnight_sell_quantity: 0,
        day_sell_quantity: record.sell_quantity,
        quantity: record.net(),
        last_price: marks.last,
        unrealised: marks.unrealised,
        realised: marks.realised,
        sell_value: record.sell_value,
        tradingsymbol: &instrument.tradingsymbol,
        trading_symbol: &instrument.tradingsymbol,
        close_price: marks.close,
        buy_price: record.buy_price(),
        sell_price: record.sell_price(),
    }
}

/// `GET /v2/portfolio/short-term-positions`: the day's positions (the simulator has no
/// overnight carry, so every `overnight_` figure is zero).
pub(crate) fn positions(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let list: Vec<wire::Position<'_>> = inner
        .upstox
        .account
        .positions
        .iter()
        .map(|record| position(sim, &inner, record))
        .collect();
    wire::success(&list)
}
