//! The order endpoints: placing (v2 and v3, with v3's `slice`), modifying and cancelling (v2 and
//! v3; JSON bodies, validated as Upstox validates them), the order book, an order's latest state
//! and its history, and the trades.

use std::time::Instant;

use serde_json::{Map, Value};
use tt_core::{OrderType, Price, ProductType, Side};

use super::Version;
use super::portfolio::product_code;
use super::wire::{self, UpstoxError, code};
use crate::SimBroker;
use crate::account::TradeRecord;
use crate::account::margin::rupees;
use crate::account::order::{OrderState, Terms, Validity, Variety};
use crate::book::{Action, NewOrder, Refusal, RejectionText, crossed_trigger_message};
use crate::call::Call;
use crate::checks::{self, TermsProblem, is_cash, normalised, product_allowed};
use crate::reply::Reply;
use crate::sim::{Inner, Sim};
use crate::universe::Contract;

/// The most slices one v3 placement may become.
const MAX_SLICES: u32 = 25;

/// A JSON request body.
type Body = Map<String, Value>;

fn body(call: &Call) -> Result<Body, UpstoxError> {
    if call.body.iter().all(u8::is_ascii_whitespace) {
        return Err(UpstoxError::input(
            "The request body is empty: send the order as a JSON object.",
        ));
    }
    match serde_json::from_slice::<Value>(&call.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(UpstoxError::input(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(UpstoxError::input(format!("Invalid JSON body: {e}."))),
    }
}

fn invalid(name: &str, value: &Value, what: &str) -> UpstoxError {
    UpstoxError::input(format!("Invalid `{name}`: {what}.")).at(name, Some(value.clone()))
}

/// A text field; absent, `null` and `""` are all "not sent".
fn text<'a>(body: &'a Body, name: &str) -> Result<Option<&'a str>, UpstoxError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(name, other, "it must be a string")),
    }
}

/// A non-negative price, sent as a JSON number (or numeric text).
fn price(body: &Body, name: &str) -> Result<Option<Price>, UpstoxError> {
    let value = match body.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let parsed = match value {
        Value::Number(n) => n.to_string().parse::<Price>().ok(),
        Value::String(s) => s.parse::<Price>().ok(),
        _ => None,
    };
    match parsed {
        Some(p) if p >= Price::ZERO => Ok(Some(p)),
        _ => Err(invalid(name, value, "it must be a number of zero or more")),
    }
}

/// A whole count, sent as a JSON integer (`5.0` is taken too).
fn count(body: &Body, name: &str) -> Result<Option<u32>, UpstoxError> {
    let value = match body.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let parsed = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
                .map(|f| f as u64)
        }),
        _ => None,
    };
    parsed
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| invalid(name, value, "it must be a whole number of zero or more"))
}

fn flag(body: &Body, name: &str) -> Result<Option<bool>, UpstoxError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(name, other, "it must be true or false")),
    }
}

fn order_type(text: &str) -> Result<OrderType, UpstoxError> {
    match text {
        "MARKET" => Ok(OrderType::Market),
        "LIMIT" => Ok(OrderType::Limit),
        "SL" => Ok(OrderType::StopLoss),
        "SL-M" => Ok(OrderType::StopLossMarket),
        other => Err(UpstoxError::bad(
            code::INVALID_ORDER_TYPE,
            format!("Invalid order_type `{other}`: use MARKET, LIMIT, SL or SL-M."),
        )
        .at("order_type", Some(other.into()))),
    }
}

fn validity(text: &str) -> Result<Validity, UpstoxError> {
    match text {
        "DAY" => Ok(Validity::Day),
        "IOC" => Ok(Validity::Ioc),
        other => Err(UpstoxError::bad(
            code::INVALID_VALIDITY,
            format!("Invalid validity `{other}`: use DAY or IOC."),
        )
        .at("validity", Some(other.into()))),
    }
}

fn side(text: &str) -> Result<Side, UpstoxError> {
    match text {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(UpstoxError::input(format!(
            "Invalid `transaction_type` `{other}`: use BUY or SELL."
        ))
        .at("transaction_type", Some(other.into()))),
    }
}

/// Upstox's product on the contract's exchange: `D` is delivery on cash instruments and
/// carry-forward on derivatives.
fn product(text: &str, contract: &Contract) -> Result<ProductType, UpstoxError> {
    let product = match text {
        "I" => ProductType::Mis,
        "D" if is_cash(contract.exchange) => ProductType::Cnc,
        "D" => ProductType::Nrml,
        "MTF" => ProductType::Mtf,
        "CO" | "OCO" => {
            return Err(UpstoxError::rejected(format!(
                "Product `{text}` is not simulated; use I, D or MTF."
            ))
            .at("product", Some(text.into())));
        }
        other => {
            return Err(UpstoxError::input(format!(
                "Invalid `product` `{other}`: use I, D or MTF."
            ))
            .at("product", Some(other.into())));
        }
    };
    if product_allowed(contract.exchange, product) {
        Ok(product)
    } else {
        Err(UpstoxError::rejected(format!(
            "Product {text} is not allowed on {}.",
            contract.exchange
        ))
        .at("product", Some(text.into())))
    }
}

/// Upstox's checks of an order's terms against the instrument.
fn check_terms(contract: &Contract, side: Side, terms: &Terms) -> Result<(), UpstoxError> {
    checks::check_terms(contract, side, terms).map_err(|problem| {
        let (field, value, message) = match problem {
            TermsProblem::ZeroQuantity => (
                "quantity",
                Value::from(terms.quantity),
                "Quantity must be above zero.".to_owned(),
            ),
            TermsProblem::NotLotMultiple { lot } => (
                "quantity",
                Value::from(terms.quantity),
                format!("Quantity should be a multiple of the lot size {lot}."),
            ),
            TermsProblem::NoPrice { order_type } => (
                "price",
                Value::from(0),
                format!("A {order_type} order needs a price above zero."),
            ),
            TermsProblem::PriceOffTick { tick } => (
                "price",
                Value::from(terms.price.to_string()),
                format!("Price should be a multiple of the tick size {tick}."),
            ),
            TermsProblem::NoTrigger { order_type } => (
                "trigger_price",
                Value::from(0),
                format!("A {order_type} order needs a trigger price above zero."),
            ),
            TermsProblem::TriggerOffTick { tick } => (
                "trigger_price",
                Value::from(terms.trigger_price.to_string()),
                format!("Trigger price should be a multiple of the tick size {tick}."),
            ),
            TermsProblem::TriggerOnWrongSide { side } => (
                "trigger_price",
                Value::from(terms.trigger_price.to_string()),
                match side {
                    Side::Buy => "Trigger price of a stop-loss buy must not exceed its price.",
                    Side::Sell => "Trigger price of a stop-loss sell must not be below its price.",
                }
                .to_owned(),
            ),
            TermsProblem::DisclosedAboveQuantity => (
                "disclosed_quantity",
                Value::from(terms.disclosed_quantity),
                "Disclosed quantity cannot exceed the quantity.".to_owned(),
            ),
            TermsProblem::TtlWithoutMinutes => (
                "validity",
                Value::from("TTL"),
                "Upstox has no TTL validity.".to_owned(),
            ),
        };
        UpstoxError::rejected(message).at(field, Some(value))
    })
}

/// The book's refusal as Upstox words it: no dedicated code for funds or holdings, only
/// `UDAPI100500` with prose.
fn refused(refusal: Refusal, order_id: &str) -> UpstoxError {
    match refusal {
        Refusal::UnknownOrder | Refusal::WrongVariety { .. } => {
            UpstoxError::order_not_found(order_id)
        }
        Refusal::NotOpen {
            status,
            action: Action::Cancel,
        } => UpstoxError::bad(
            code::ORDER_FINISHED,
            format!(
                "Order cannot be cancelled as it is already {}.",
                status.upstox()
            ),
        )
        .at("order_id", Some(order_id.into())),
        Refusal::NotOpen {
            status,
            action: Action::Modify,
        } => UpstoxError::rejected(format!(
            "Order cannot be modified as it is already {}.",
            status.upstox()
        ))
        .at("order_id", Some(order_id.into())),
        Refusal::InsufficientFunds {
            required,
            available,
        } => UpstoxError::rejected(format!(
            "Insufficient funds: the order needs {} but {} is available.",
            rupees(required),
            rupees(available)
        )),
        Refusal::InsufficientHoldings {
            tradingsymbol,
            available,
            requested,
        } => UpstoxError::rejected(format!(
            "Insufficient holdings of {tradingsymbol}: {available} can be sold, the order is for {requested}."
        )),
        Refusal::TriggerAlreadyCrossed { side } => {
            UpstoxError::rejected(crossed_trigger_message(side))
        }
    }
}

/// How Upstox's order book words a placement's shortfall: the same prose as a synchronous
/// refusal (Upstox has no dedicated code for either).
fn rms_rejection(refusal: &Refusal, _user_id: &str) -> RejectionText {
    let message = refused(refusal.clone(), "").message;
    RejectionText {
        raw: message.clone(),
        message,
    }
}

/// What the call answers with the acknowledgement: v3 adds the latency.
fn acknowledged<T: serde::Serialize>(data: &T, version: Version, started: Instant) -> Reply {
    match version {
        Version::V2 => wire::success(data),
        Version::V3 => wire::success_with_latency(
            data,
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        ),
    }
}

/// The quantities a placement becomes: one order, or with `slice` pieces of at most the
/// freeze quantity (whole lots).
fn slices(contract: &Contract, quantity: u32, slice: bool) -> Result<Vec<u32>, UpstoxError> {
    let lot = contract.lot.max(1);
    let piece = contract
        .freeze
        .map(|freeze| freeze / lot * lot)
        .filter(|piece| *piece > 0);
    let Some(piece) = piece.filter(|piece| slice && quantity > *piece) else {
        return Ok(vec![quantity]);
    };
    let pieces = quantity.div_ceil(piece);
    if pieces > MAX_SLICES {
        return Err(UpstoxError::rejected(format!(
            "The order would be {pieces} slices of at most {piece}; at most {MAX_SLICES} are allowed."
        ))
        .at("quantity", Some(quantity.into())));
    }
    let mut out = vec![piece; usize::try_from(pieces - 1).unwrap_or(0)];
    out.push(quantity - piece * (pieces - 1));
    Ok(out)
}

/// `POST /v2/order/place` and `POST /v3/order/place`.
pub(crate) fn place(sim: &Sim, call: &Call, version: Version) -> Result<Reply, UpstoxError> {
    let started = Instant::now();
    let body = body(call)?;
    let key = text(&body, "instrument_token")?.ok_or_else(|| {
        UpstoxError::bad(code::INVALID_KEY, "instrument_token is required.")
            .at("instrument_token", None)
    })?;
    let (listing, contract) = super::listed(sim, key, "instrument_token")?;
    if !listing.instrument.is_tradable() {
        return Err(
            UpstoxError::rejected(format!("{key} is an index and cannot be traded."))
                .at("instrument_token", Some(key.into())),
        );
    }
    let side = side(text(&body, "transaction_type")?.ok_or_else(|| {
        UpstoxError::input("`transaction_type` is required.").at("transaction_type", None)
    })?)?;
    let order_type = order_type(text(&body, "order_type")?.ok_or_else(|| {
        UpstoxError::bad(code::ORDER_TYPE_REQUIRED, "A valid order type is required.")
            .at("order_type", None)
    })?)?;
    let product = product(
        text(&body, "product")?
            .ok_or_else(|| UpstoxError::input("`product` is required.").at("product", None))?,
        contract,
    )?;
    let validity = validity(text(&body, "validity")?.ok_or_else(|| {
        UpstoxError::bad(code::VALIDITY_REQUIRED, "Validity is required.").at("validity", None)
    })?)?;
    let quantity = count(&body, "quantity")?
        .ok_or_else(|| UpstoxError::input("`quantity` is required.").at("quantity", None))?;
    let terms = normalised(Terms {
        order_type,
        quantity,
        price: price(&body, "price")?.unwrap_or(Price::ZERO),
        trigger_price: price(&body, "trigger_price")?.unwrap_or(Price::ZERO),
        validity,
        validity_ttl: 0,
        disclosed_quantity: count(&body, "disclosed_quantity")?.unwrap_or(0),
    });
    check_terms(contract, side, &terms)?;
    let variety = if flag(&body, "is_amo")?.unwrap_or(false) {
        Variety::Amo
    } else {
        Variety::Regular
    };
    let slice = version == Version::V3 && flag(&body, "slice")?.unwrap_or(false);
    let market_protection = price(&body, "market_protection")?.map_or(0, |p| {
        i32::try_from(p.mantissa() / 100_000_000).unwrap_or(0)
    });
    let tag = text(&body, "tag")?.map(str::to_owned);
    let instrument = listing
        .key(SimBroker::Upstox)
        .ok_or_else(|| UpstoxError::bad(code::INVALID_KEY, "Invalid Instrument key"))?;
    let pieces = slices(contract, terms.quantity, slice)?;
    let (mut inner, now) = sim.current();
    let mut order_ids = Vec::with_capacity(pieces.len());
    for quantity in pieces {
        let order = NewOrder {
            instrument: instrument.clone(),
            variety,
            side,
            product,
            terms: Terms {
                quantity,
                disclosed_quantity: terms.disclosed_quantity.min(quantity),
                ..terms.clone()
            },
            market_protection,
            tag: tag.clone(),
        };
        match sim
            .book(&mut inner, SimBroker::Upstox, now)
            .place(order, rms_rejection)
        {
            Ok(id) => order_ids.push(id),
            // Slices already placed stay placed, as separate orders do.
            Err(refusal) if order_ids.is_empty() => return Err(refused(refusal, "")),
            Err(_) => break,
        }
    }
    drop(inner);
    Ok(match (version, order_ids.as_slice()) {
        (Version::V2, [first, ..]) => wire::success(&wire::OrderAck { order_id: first }),
        _ => acknowledged(
            &wire::OrderIds {
                order_ids: &order_ids,
            },
            version,
            started,
        ),
    })
}

/// `PUT /v2/order/modify` and `PUT /v3/order/modify`: any of `quantity`, `price`,
/// `order_type`, `trigger_price`, `validity`, `disclosed_quantity`; the rest is kept.
pub(crate) fn modify(sim: &Sim, call: &Call, version: Version) -> Result<Reply, UpstoxError> {
    let started = Instant::now();
    let body = body(call)?;
    let order_id = text(&body, "order_id")?.ok_or_else(UpstoxError::order_id_required)?;
    let (mut inner, now) = sim.current();
    let variety = inner
        .upstox
        .account
        .order(order_id)
        .map(|o| o.current.variety)
        .ok_or_else(|| UpstoxError::order_not_found(order_id))?;
    let state = sim
        .book(&mut inner, SimBroker::Upstox, now)
        .check_open(variety, order_id, Action::Modify)
        .map_err(|r| refused(r, order_id))?
        .current
        .clone();
    let contract = sim
        .universe
        .by_instrument(&state.instrument.instrument)
        .and_then(|l| l.upstox.as_ref())
        .ok_or_else(|| {
            UpstoxError::rejected("The instrument of this order is no longer listed.")
        })?;
    let old = &state.terms;
    let terms = normalised(Terms {
        order_type: text(&body, "order_type")?.map_or(Ok(old.order_type), order_type)?,
        quantity: count(&body, "quantity")?.unwrap_or(old.quantity),
        price: price(&body, "price")?.unwrap_or(old.price),
        trigger_price: price(&body, "trigger_price")?.unwrap_or(old.trigger_price),
        validity: text(&body, "validity")?.map_or(Ok(old.validity), validity)?,
        validity_ttl: 0,
        disclosed_quantity: count(&body, "disclosed_quantity")?.unwrap_or(old.disclosed_quantity),
    });
    check_terms(contract, state.side, &terms)?;
    sim.book(&mut inner, SimBroker::Upstox, now)
        .modify(variety, order_id, terms)
        .map_err(|r| refused(r, order_id))?;
    drop(inner);
    Ok(acknowledged(&wire::OrderAck { order_id }, version, started))
}

/// The `order_id` of the query string.
fn order_id_param(call: &Call) -> Result<String, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    params
        .value("order_id")
        .map(str::to_owned)
        .ok_or_else(UpstoxError::order_id_required)
}

/// `DELETE /v2/order/cancel?order_id=` and `DELETE /v3/order/cancel?order_id=`.
pub(crate) fn cancel(sim: &Sim, call: &Call, version: Version) -> Result<Reply, UpstoxError> {
    let started = Instant::now();
    let order_id = order_id_param(call)?;
    let (mut inner, now) = sim.current();
    let variety = inner
        .upstox
        .account
        .order(&order_id)
        .map(|o| o.current.variety)
        .ok_or_else(|| UpstoxError::order_not_found(&order_id))?;
    sim.book(&mut inner, SimBroker::Upstox, now)
        .cancel(variety, &order_id)
        .map_err(|r| refused(r, &order_id))?;
    drop(inner);
    Ok(acknowledged(
        &wire::OrderAck {
            order_id: &order_id,
        },
        version,
        started,
    ))
}

const fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

const fn validity_code(validity: Validity) -> &'static str {
    match validity {
        Validity::Ioc => "IOC",
        // Upstox takes no TTL orders; none are in its book.
        Validity::Day | Validity::Ttl => "DAY",
    }
}

/// One order state in Upstox's shape; `step` is its place in the order's history (from 1).
pub(crate) fn order_wire(state: &OrderState, step: usize) -> wire::Order<'_> {
    let terms = &state.terms;
    let instrument = &state.instrument;
    wire::Order {
        exchange: instrument.exchange.code(),
        product: product_code(state.product),
        price: terms.price,
        quantity: terms.quantity,
        status: state.status.upstox(),
        guid: None,
        tag: state.tag.as_deref(),
        instrument_token: &instrument.token,
        placed_by: &state.placed_by,
        tradingsymbol: &instrument.tradingsymbol,
        trading_symbol: &instrument.tradingsymbol,
        order_type: terms.order_type.code(),
        validity: validity_code(terms.validity),
        trigger_price: terms.trigger_price,
        disclosed_quantity: terms.disclosed_quantity,
        transaction_type: side_code(state.side),
        average_price: state.average_price,
        filled_quantity: state.filled_quantity,
        pending_quantity: state.pending_quantity,
        status_message: state.status_message.as_deref(),
        status_message_raw: state
            .status_message_raw
            .as_deref()
            .or(state.status_message.as_deref()),
        exchange_order_id: state.exchange_order_id.as_deref(),
        parent_order_id: None,
        order_id: &state.order_id,
        variety: state.variety.upstox(),
        order_timestamp: &state.order_timestamp,
        exchange_timestamp: state.exchange_timestamp.as_deref(),
        is_amo: state.variety == Variety::Amo,
        order_request_id: step.to_string(),
        order_ref_id: None,
    }
}

/// `GET /v2/order/retrieve-all`: every order's latest state.
pub(crate) fn list(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let orders: Vec<wire::Order<'_>> = inner
        .upstox
        .account
        .orders
        .iter()
        .map(|o| order_wire(&o.current, o.history.len()))
        .collect();
    wire::success(&orders)
}

/// `GET /v2/order/details?order_id=`: the order's latest state.
pub(crate) fn details(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let order_id = order_id_param(call)?;
    let (inner, _) = sim.current();
    let order = inner
        .upstox
        .account
        .order(&order_id)
        .ok_or_else(|| UpstoxError::order_not_found(&order_id))?;
    Ok(wire::success(&order_wire(
        &order.current,
        order.history.len(),
    )))
}

/// `GET /v2/order/history?order_id=&tag=`: every state the order passed through, or with only
/// a `tag`, every state of every order with that tag.
pub(crate) fn history(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    let order_id = params.value("order_id");
    let tag = params.value("tag");
    let (inner, _) = sim.current();
    let account = &inner.upstox.account;
    let states: Vec<wire::Order<'_>> = match (order_id, tag) {
        (Some(order_id), _) => account
            .order(order_id)
            .ok_or_else(|| UpstoxError::order_not_found(order_id))?
            .history
            .iter()
            .enumerate()
            .map(|(i, state)| order_wire(state, i + 1))
            .collect(),
        (None, Some(tag)) => account
            .orders
            .iter()
            .filter(|o| o.current.tag.as_deref() == Some(tag))
            .flat_map(|o| {
                o.history
                    .iter()
                    .enumerate()
                    .map(|(i, state)| order_wire(state, i + 1))
            })
            .collect(),
        (None, None) => return Err(UpstoxError::order_id_required()),
    };
    Ok(wire::success(&states))
}

fn trade_wire<'a>(inner: &'a Inner, trade: &'a TradeRecord) -> wire::Trade<'a> {
    let order = inner.upstox.account.order(&trade.order_id);
    let instrument = &trade.instrument;
    wire::Trade {
        exchange: instrument.exchange.code(),
        product: product_code(trade.product),
        tradingsymbol: &instrument.tradingsymbol,
        trading_symbol: &instrument.tradingsymbol,
        instrument_token: &instrument.token,
        order_type: order.map_or("MARKET", |o| o.current.terms.order_type.code()),
        transaction_type: side_code(trade.side),
        quantity: trade.quantity,
        exchange_order_id: &trade.exchange_order_id,
        order_id: &trade.order_id,
        exchange_timestamp: &trade.fill_timestamp,
        average_price: trade.price,
        trade_id: &trade.trade_id,
        order_ref_id: None,
        order_timestamp: order.map_or(&trade.fill_timestamp, |o| &o.current.order_timestamp),
    }
}

/// `GET /v2/order/trades/get-trades-for-day`.
pub(crate) fn trades(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let trades: Vec<wire::Trade<'_>> = inner
        .upstox
        .account
        .trades
        .iter()
        .map(|t| trade_wire(&inner, t))
        .collect();
    wire::success(&trades)
}

/// `GET /v2/order/trades?order_id=`.
pub(crate) fn order_trades(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let order_id = order_id_param(call)?;
    let (inner, _) = sim.current();
    if inner.upstox.account.order(&order_id).is_none() {
        return Err(UpstoxError::order_not_found(&order_id));
    }
    let trades: Vec<wire::Trade<'_>> = inner
        .upstox
        .account
        .trades
        .iter()
        .filter(|t| t.order_id == order_id)
        .map(|t| trade_wire(&inner, t))
        .collect();
    Ok(wire::success(&trades))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_core::Exchange;

    fn contract(lot: u32, freeze: Option<u32>) -> Contract {
        Contract {
            token: "NSE_FO|1".into(),
            symbol: "X".into(),
            exchange: Exchange::Nfo,
            tick: "0.05".parse().unwrap(),
            lot,
            freeze,
            multiplier: 1,
        }
    }

    #[test]
    fn slices_are_whole_lots_up_to_the_freeze_quantity() {
        assert_eq!(
            slices(&contract(75, Some(1800)), 3750, true).unwrap(),
            [1800, 1800, 150]
        );
        assert_eq!(
            slices(&contract(75, Some(1800)), 3750, false).unwrap(),
            [3750]
        );
        assert_eq!(slices(&contract(75, None), 3750, true).unwrap(), [3750]);
        assert_eq!(
            slices(&contract(75, Some(1800)), 1800, true).unwrap(),
            [1800]
        );
        assert_eq!(
            slices(&contract(1, Some(10)), 251, true).unwrap_err().code,
            code::GENERIC
        );
    }
}
