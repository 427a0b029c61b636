//! The user and portfolio endpoints: profile, margins, holdings, positions.

use tt_core::{Amount, Price};

use super::wire::{self, KiteError};
use crate::SimBroker;
use crate::account::margin::FundSegment;
use crate::account::{HoldingRecord, PositionRecord};
use crate::reply::Reply;
use crate::sim::{Inner, Sim};

/// The exchanges a profile lists (as `profile.json`).
pub(crate) const EXCHANGES: &[&str] = &["NSE", "NFO", "BFO", "CDS", "BSE", "MCX", "BCD", "MF"];
/// The products a profile lists.
pub(crate) const PRODUCTS: &[&str] = &["CNC", "NRML", "MIS", "BO", "CO"];
/// The order types a profile lists.
pub(crate) const ORDER_TYPES: &[&str] = &["MARKET", "LIMIT", "SL", "SL-M"];

/// `GET /user/profile`.
pub(crate) fn profile(sim: &Sim) -> Reply {
    let app = &sim.app;
    wire::success(&wire::Profile {
        user_id: &app.user_id,
        user_type: "individual",
        email: &app.email,
        user_name: &app.user_name,
        user_shortname: &app.user_shortname,
        broker: "ZERODHA",
        exchanges: EXCHANGES,
        products: PRODUCTS,
        order_types: ORDER_TYPES,
        avatar_url: None,
        meta: wire::ProfileMeta {
            demat_consent: "physical",
        },
    })
}

fn segment(sim: &Sim, inner: &Inner, segment: FundSegment) -> wire::Segment {
    let (cash, used) = sim.funds(inner, SimBroker::Kite, segment);
    let net = cash - used.debits();
    wire::Segment {
        enabled: true,
        net,
        available: wire::Available {
            adhoc_margin: Amount::ZERO,
            cash,
            opening_balance: cash,
            live_balance: net,
            collateral: Amount::ZERO,
            intraday_payin: Amount::ZERO,
        },
        utilised: wire::Utilised {
            debits: used.debits(),
            exposure: used.exposure,
            m2m_realised: used.m2m_realised,
            m2m_unrealised: used.m2m_unrealised,
            option_premium: used.option_premium,
            payout: Amount::ZERO,
            span: used.span,
            holding_sales: used.holding_sales,
            turnover: Amount::ZERO,
            liquid_collateral: Amount::ZERO,
            stock_collateral: Amount::ZERO,
            delivery: used.delivery,
        },
    }
}

/// `GET /user/margins`.
pub(crate) fn margins(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    wire::success(&wire::Margins {
        equity: segment(sim, &inner, FundSegment::Equity),
        commodity: segment(sim, &inner, FundSegment::Commodity),
    })
}

/// `GET /user/margins/{equity|commodity}`.
pub(crate) fn segment_margins(sim: &Sim, name: &str) -> Result<Reply, KiteError> {
    let which = match name {
        "equity" => FundSegment::Equity,
        "commodity" => FundSegment::Commodity,
        other => {
            return Err(KiteError::input(format!(
                "Invalid segment `{other}`: use `equity` or `commodity`."
            )));
        }
    };
    let (inner, _) = sim.current();
    Ok(wire::success(&segment(sim, &inner, which)))
}

fn holding<'a>(sim: &Sim, inner: &Inner, record: &'a HoldingRecord) -> wire::Holding<'a> {
    let marks = sim.holding_marks(inner, record);
    wire::Holding {
        tradingsymbol: &record.instrument.tradingsymbol,
        exchange: record.instrument.exchange.code(),
        instrument_token: record.instrument.kite_token(),
        isin: &record.isin,
        product: "CNC",
        price: Price::ZERO,
        quantity: record.quantity,
        used_quantity: 0,
        t1_quantity: record.t1_quantity,
        realised_quantity: record.quantity,
        authorised_quantity: 0,
        authorised_date: &record.authorised_date,
        authorisation: wire::Empty {},
        opening_quantity: record.opening_quantity,
        short_quantity: 0,
        collateral_quantity: 0,
        collateral_type: "",
        discrepancy: false,
        average_price: record.average_price,
        last_price: marks.last,
        close_price: marks.close,
        pnl: marks.pnl,
        day_change: marks.day_change,
        day_change_percentage: marks.day_change_percentage,
        mtf: wire::Mtf {
            quantity: 0,
            used_quantity: 0,
            average_price: Price::ZERO,
            value: Amount::ZERO,
            initial_margin: Amount::ZERO,
        },
    }
}

/// `GET /portfolio/holdings`.
pub(crate) fn holdings(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let list: Vec<wire::Holding<'_>> = inner
        .kite
        .account
        .holdings
        .iter()
        .map(|record| holding(sim, &inner, record))
        .collect();
    wire::success(&list)
}

fn position<'a>(sim: &Sim, inner: &Inner, record: &'a PositionRecord) -> wire::Position<'a> {
    let marks = sim.position_marks(inner, record);
    let (last, close, pnl, realised) = (marks.last, marks.close, marks.pnl, marks.realised);
    wire::Position {
        tradingsymbol: &record.instrument.tradingsymbol,
        exchange: record.instrument.exchange.code(),
        instrument_token: record.instrument.kite_token(),
        product: record.product.code(),
        quantity: record.net(),
        overnight_quantity: 0,
        multiplier: record.multiplier(),
        average_price: record.average_price(),
        close_price: close,
        last_price: last,
        value: record.value(),
        pnl,
        m2m: pnl,
        unrealised: marks.unrealised,
        realised,
        buy_quantity: record.buy_quantity,
        buy_price: record.buy_price(),
        buy_value: record.buy_value,
        buy_m2m: record.buy_value,
        sell_quantity: record.sell_quantity,
        sell_price: record.sell_price(),
        sell_value: record.sell_value,
        sell_m2m: record.sell_value,
        day_buy_quantity: record.buy_quantity,
        day_buy_price: record.buy_price(),
        day_buy_value: record.buy_value,
        day_sell_quantity: record.sell_quantity,
        day_sell_price: record.sell_price(),
        day_sell_value: record.sell_value,
    }
}

/// `GET /portfolio/positions`: every position is a day position (the simulator has no
/// overnight carry), so `net` and `day` list the same entries.
pub(crate) fn positions(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let list = || -> Vec<wire::Position<'_>> {
        inner
            .kite
            .account
            .positions
            .iter()
            .map(|record| position(sim, &inner, record))
            .collect()
    };
    wire::success(&wire::Positions {
        net: list(),
        day: list(),
    })
}
