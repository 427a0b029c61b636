//! The order endpoints: placing, modifying and cancelling (form-encoded, validated as Kite
//! validates them), the order book, an order's history, and the tradebook.

use tt_core::{Exchange, OrderType, Price, ProductType, Side};

use super::bad_encoding;
use super::wire::{self, KiteError};
use crate::SimBroker;
use crate::account::TradeRecord;
use crate::account::margin::rupees;
use crate::account::order::{OrderState, Terms, Validity, Variety};
use crate::book::{Action, NewOrder, Refusal, RejectionText, crossed_trigger_message};
use crate::call::Call;
use crate::checks::{self, TermsProblem, is_cash, normalised, product_allowed};
use crate::form::Form;
use crate::reply::Reply;
use crate::sim::Sim;
use crate::universe::Contract;

/// The longest `tag` Kite accepts.
const MAX_TAG_CHARS: usize = 20;

fn parse_variety(text: &str) -> Result<Variety, KiteError> {
    match text {
        "regular" => Ok(Variety::Regular),
        "amo" => Ok(Variety::Amo),
        "co" | "iceberg" | "auction" | "bo" => Err(KiteError::input(format!(
            "Invalid `variety`: `{text}` orders are not simulated; use `regular` or `amo`."
        ))),
        other => Err(KiteError::input(format!("Invalid `variety` `{other}`."))),
    }
}

fn required<'a>(params: &'a Form, name: &str) -> Result<&'a str, KiteError> {
    params
        .value(name)
        .ok_or_else(|| KiteError::input(format!("Missing or empty `{name}`.")))
}

fn parse_exchange(text: &str) -> Result<Exchange, KiteError> {
    match text {
        "NSE" => Ok(Exchange::Nse),
        "BSE" => Ok(Exchange::Bse),
        "NFO" => Ok(Exchange::Nfo),
        "BFO" => Ok(Exchange::Bfo),
        "CDS" => Ok(Exchange::Cds),
        "BCD" => Ok(Exchange::Bcd),
        "MCX" => Ok(Exchange::Mcx),
        other => Err(KiteError::input(format!("Invalid `exchange` `{other}`."))),
    }
}

fn parse_side(text: &str) -> Result<Side, KiteError> {
    match text {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(KiteError::input(format!(
            "Invalid `transaction_type` `{other}`: use BUY or SELL."
        ))),
    }
}

fn parse_order_type(text: &str) -> Result<OrderType, KiteError> {
    match text {
        "MARKET" => Ok(OrderType::Market),
        "LIMIT" => Ok(OrderType::Limit),
        "SL" => Ok(OrderType::StopLoss),
        "SL-M" => Ok(OrderType::StopLossMarket),
        other => Err(KiteError::input(format!(
            "Invalid `order_type` `{other}`: use MARKET, LIMIT, SL or SL-M."
        ))),
    }
}

fn parse_product(text: &str) -> Result<ProductType, KiteError> {
    match text {
        "CNC" => Ok(ProductType::Cnc),
        "MIS" => Ok(ProductType::Mis),
        "NRML" => Ok(ProductType::Nrml),
        "MTF" => Ok(ProductType::Mtf),
        "CO" | "BO" => Err(KiteError::input(format!(
            "Invalid `product`: `{text}` is not simulated; use CNC, MIS, NRML or MTF."
        ))),
        other => Err(KiteError::input(format!("Invalid `product` `{other}`."))),
    }
}

fn parse_validity(text: &str) -> Result<Validity, KiteError> {
    match text {
        "DAY" => Ok(Validity::Day),
        "IOC" => Ok(Validity::Ioc),
        "TTL" => Ok(Validity::Ttl),
        other => Err(KiteError::input(format!(
            "Invalid `validity` `{other}`: use DAY, IOC or TTL."
        ))),
    }
}

/// A whole number, as clients send it (`5`, or `5.0` from clients that send floats).
fn parse_count(params: &Form, name: &str) -> Result<Option<u32>, KiteError> {
    let Some(text) = params.value(name) else {
        return Ok(None);
    };
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole
        .parse::<u32>()
        .map(Some)
        .map_err(|_| KiteError::input(format!("Invalid `{name}` `{text}`.")))
}

fn parse_price(params: &Form, name: &str) -> Result<Option<Price>, KiteError> {
    let Some(text) = params.value(name) else {
        return Ok(None);
    };
    match text.parse::<Price>() {
        Ok(price) if price >= Price::ZERO => Ok(Some(price)),
        _ => Err(KiteError::input(format!("Invalid `{name}` `{text}`."))),
    }
}

fn parse_market_protection(params: &Form) -> Result<i32, KiteError> {
    let Some(text) = params.value("market_protection") else {
        return Ok(0);
    };
    match text.parse::<i32>() {
        Ok(value) if (-1..=100).contains(&value) => Ok(value),
        _ => Err(KiteError::input(format!(
            "Invalid `market_protection` `{text}`: use -1 (automatic), 0 or a percentage up to 100."
        ))),
    }
}

/// Products an instrument can be traded under.
fn check_product(contract: &Contract, product: ProductType) -> Result<(), KiteError> {
    if product_allowed(contract.exchange, product) {
        Ok(())
    } else {
        Err(KiteError::input(format!(
            "Invalid `product`: {product} is not allowed on {}; use {}.",
            contract.exchange,
            if is_cash(contract.exchange) {
                "CNC, MIS or MTF"
            } else {
                "NRML or MIS"
            }
        )))
    }
}

/// Kite's checks of an order's terms against its instrument, in Kite's words.
fn check_terms(contract: &Contract, side: Side, terms: &Terms) -> Result<(), KiteError> {
    let off_tick = |tick: Price, what: &str| {
        KiteError::input(format!(
            "Tick size for this script is {tick}. Kindly enter {what} in the multiple of tick size for this script"
        ))
    };
    checks::check_terms(contract, side, terms).map_err(|problem| match problem {
        TermsProblem::ZeroQuantity => {
            KiteError::input("Invalid `quantity`: it must be above zero.")
        }
        TermsProblem::NotLotMultiple { lot } => {
            KiteError::input(format!("Quantity should be a multiple of lot size {lot}."))
        }
        TermsProblem::NoPrice { order_type } => KiteError::input(format!(
            "Invalid `price`: a {order_type} order needs a price above zero."
        )),
        TermsProblem::PriceOffTick { tick } => off_tick(tick, "price"),
        TermsProblem::NoTrigger { order_type } => KiteError::input(format!(
            "Invalid `trigger_price`: a {order_type} order needs a trigger price above zero."
        )),
        TermsProblem::TriggerOffTick { tick } => off_tick(tick, "trigger price"),
        TermsProblem::TriggerOnWrongSide { side } => KiteError::input(match side {
            Side::Buy => {
                "Trigger price for stoploss buy orders should be less than or equal to the price."
            }
            Side::Sell => {
                "Trigger price for stoploss sell orders should be greater than or equal to the price."
            }
        }),
        TermsProblem::DisclosedAboveQuantity => {
            KiteError::input("Invalid `disclosed_quantity`: it cannot exceed the quantity.")
        }
        TermsProblem::TtlWithoutMinutes => KiteError::input(
            "Invalid `validity_ttl`: a TTL order needs its life in minutes (1 or more).",
        ),
    })
}

fn refused(refusal: Refusal) -> KiteError {
    match refusal {
        Refusal::UnknownOrder => KiteError::unknown_order(),
        Refusal::WrongVariety { actual } => KiteError::input(format!(
            "Invalid `variety`: this is a `{}` order.",
            actual.kite()
        )),
        Refusal::NotOpen { status, action } => KiteError::order(format!(
            "Order cannot be {} as it is {}.",
            match action {
                Action::Modify => "modified",
                Action::Cancel => "cancelled",
            },
            status.kite()
        )),
        Refusal::InsufficientFunds {
            required,
            available,
        } => KiteError::margin(format!(
            "Insufficient funds. Required margin is {} but available margin is {}.",
            rupees(required),
            rupees(available)
        )),
        Refusal::InsufficientHoldings {
            tradingsymbol,
            available,
            requested,
        } => KiteError::holding(format!(
            "Insufficient holdings for {tradingsymbol}. Available quantity is {available} but the order quantity is {requested}."
        )),
        Refusal::TriggerAlreadyCrossed { side } => KiteError::input(crossed_trigger_message(side)),
    }
}

/// How Kite's order book words a placement's shortfall, as its RMS does: the funds case as
/// recorded (`orders.json` of Kite's mocks), the holdings case on the same pattern.
fn rms_rejection(refusal: &Refusal, user_id: &str) -> RejectionText {
    let entity =
        format!("for entity account-{user_id} across exchange across segment across product ");
    match refusal {
        Refusal::InsufficientFunds {
            required,
            available,
        } => {
            let (required, available) = (rupees(*required), rupees(*available));
            RejectionText {
                message: format!(
                    "Insufficient funds. Required margin is {required} but available margin is {available}. Check the orderbook for open orders."
                ),
                raw: format!(
                    "RMS:Margin Exceeds,Required:{required}, Available:{available} {entity}"
                ),
            }
        }
        Refusal::InsufficientHoldings {
            tradingsymbol,
            available,
            requested,
        } => RejectionText {
            message: format!(
                "Insufficient holdings for {tradingsymbol}. Available quantity is {available} but the order quantity is {requested}."
            ),
            raw: format!(
                "RMS:Holding Exceeds,Required:{requested}, Available:{available} {entity}"
            ),
        },
        other => {
            let message = refused(other.clone()).message;
            RejectionText {
                raw: message.clone(),
                message,
            }
        }
    }
}

/// `POST /orders/{variety}`.
pub(crate) fn place(sim: &Sim, call: &Call, variety: &str) -> Result<Reply, KiteError> {
    let variety = parse_variety(variety)?;
    let params = call.body_form().map_err(bad_encoding)?;
    let exchange = parse_exchange(required(&params, "exchange")?)?;
    let tradingsymbol = required(&params, "tradingsymbol")?;
    let (listing, contract) = sim
        .universe
        .by_symbol(exchange, tradingsymbol)
        .and_then(|l| Some((l, l.kite.as_ref()?)))
        .ok_or_else(|| {
            KiteError::input(
                "The instrument you are placing an order for has either expired or does not exist.",
            )
        })?;
    if !listing.instrument.is_tradable() {
        return Err(KiteError::input(format!(
            "Invalid `tradingsymbol`: {exchange}:{tradingsymbol} is an index and cannot be traded."
        )));
    }
    let side = parse_side(required(&params, "transaction_type")?)?;
    let order_type = parse_order_type(required(&params, "order_type")?)?;
    let product = parse_product(required(&params, "product")?)?;
    check_product(contract, product)?;
    let quantity = parse_count(&params, "quantity")?
        .ok_or_else(|| KiteError::input("Missing or empty `quantity`."))?;
    let terms = normalised(Terms {
        order_type,
        quantity,
        price: parse_price(&params, "price")?.unwrap_or(Price::ZERO),
        trigger_price: parse_price(&params, "trigger_price")?.unwrap_or(Price::ZERO),
        validity: params
            .value("validity")
            .map_or(Ok(Validity::Day), parse_validity)?,
        validity_ttl: parse_count(&params, "validity_ttl")?.unwrap_or(0),
        disclosed_quantity: parse_count(&params, "disclosed_quantity")?.unwrap_or(0),
    });
    check_terms(contract, side, &terms)?;
    let tag = params.value("tag").map(str::to_owned);
    if tag
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TAG_CHARS)
    {
        return Err(KiteError::input(format!(
            "Invalid `tag`: at most {MAX_TAG_CHARS} characters."
        )));
    }
    let instrument = listing
        .key(SimBroker::Kite)
        .ok_or_else(|| KiteError::input("The instrument is not listed for Kite."))?;
    let order = NewOrder {
        instrument,
        variety,
        side,
        product,
        terms,
        market_protection: parse_market_protection(&params)?,
        tag,
    };
    let (mut inner, now) = sim.current();
    let order_id = sim
        .book(&mut inner, SimBroker::Kite, now)
        .place(order, rms_rejection)
        .map_err(refused)?;
    Ok(wire::success(&wire::OrderAck {
        order_id: &order_id,
    }))
}

/// `PUT /orders/{variety}/{order_id}`: any of `quantity`, `price`, `order_type`,
/// `trigger_price`, `validity`, `validity_ttl`, `disclosed_quantity`; the rest is kept.
pub(crate) fn modify(
    sim: &Sim,
    call: &Call,
    variety: &str,
    order_id: &str,
) -> Result<Reply, KiteError> {
    let params = call.body_form().map_err(bad_encoding)?;
    let (mut inner, now) = sim.current();
    if inner.kite.account.order(order_id).is_none() {
        return Err(KiteError::unknown_order());
    }
    let variety = parse_variety(variety)?;
    let state = sim
        .book(&mut inner, SimBroker::Kite, now)
        .check_open(variety, order_id, Action::Modify)
        .map_err(refused)?
        .current
        .clone();
    let contract = sim
        .universe
        .by_instrument(&state.instrument.instrument)
        .and_then(|l| l.kite.as_ref())
        .ok_or_else(|| KiteError::input("The instrument of this order is no longer listed."))?;
    let old = &state.terms;
    let terms = normalised(Terms {
        order_type: params
            .value("order_type")
            .map_or(Ok(old.order_type), parse_order_type)?,
        quantity: parse_count(&params, "quantity")?.unwrap_or(old.quantity),
        price: parse_price(&params, "price")?.unwrap_or(old.price),
        trigger_price: parse_price(&params, "trigger_price")?.unwrap_or(old.trigger_price),
        validity: params
            .value("validity")
            .map_or(Ok(old.validity), parse_validity)?,
        validity_ttl: parse_count(&params, "validity_ttl")?.unwrap_or(old.validity_ttl),
        disclosed_quantity: parse_count(&params, "disclosed_quantity")?
            .unwrap_or(old.disclosed_quantity),
    });
    check_terms(contract, state.side, &terms)?;
    sim.book(&mut inner, SimBroker::Kite, now)
        .modify(variety, order_id, terms)
        .map_err(refused)?;
    Ok(wire::success(&wire::OrderAck { order_id }))
}

/// `DELETE /orders/{variety}/{order_id}`.
pub(crate) fn cancel(sim: &Sim, variety: &str, order_id: &str) -> Result<Reply, KiteError> {
    let (mut inner, now) = sim.current();
    if inner.kite.account.order(order_id).is_none() {
        return Err(KiteError::unknown_order());
    }
    let variety = parse_variety(variety)?;
    sim.book(&mut inner, SimBroker::Kite, now)
        .cancel(variety, order_id)
        .map_err(refused)?;
    Ok(wire::success(&wire::OrderAck { order_id }))
}

/// One order state in Kite's shape.
pub(crate) fn order_wire<'a>(state: &'a OrderState, account_id: &'a str) -> wire::Order<'a> {
    let terms = &state.terms;
    wire::Order {
        account_id,
        placed_by: &state.placed_by,
        order_id: &state.order_id,
        exchange_order_id: state.exchange_order_id.as_deref(),
        parent_order_id: None,
        status: state.status.kite(),
        status_message: state.status_message.as_deref(),
        status_message_raw: state
            .status_message_raw
            .as_deref()
            .or(state.status_message.as_deref()),
        order_timestamp: &state.order_timestamp,
        exchange_update_timestamp: state.exchange_update_timestamp.as_deref(),
        exchange_timestamp: state.exchange_timestamp.as_deref(),
        variety: state.variety.kite(),
        modified: state.modified,
        exchange: state.instrument.exchange.code(),
        tradingsymbol: &state.instrument.tradingsymbol,
        instrument_token: state.instrument.kite_token(),
        order_type: terms.order_type.code(),
        transaction_type: match state.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        },
        validity: terms.validity.kite(),
        validity_ttl: terms.validity_ttl,
        product: state.product.code(),
        quantity: terms.quantity,
        disclosed_quantity: terms.disclosed_quantity,
        price: terms.price,
        trigger_price: terms.trigger_price,
        average_price: state.average_price,
        filled_quantity: state.filled_quantity,
        pending_quantity: state.pending_quantity,
        cancelled_quantity: state.cancelled_quantity,
        market_protection: state.market_protection,
        meta: wire::Empty {},
        tag: state.tag.as_deref(),
        tags: state.tag.as_deref().into_iter().collect(),
        guid: None,
    }
}

fn trade_wire(trade: &TradeRecord) -> wire::Trade<'_> {
    wire::Trade {
        trade_id: &trade.trade_id,
        order_id: &trade.order_id,
        exchange: trade.instrument.exchange.code(),
        tradingsymbol: &trade.instrument.tradingsymbol,
        instrument_token: trade.instrument.kite_token(),
        product: trade.product.code(),
        average_price: trade.price,
        quantity: trade.quantity,
        exchange_order_id: &trade.exchange_order_id,
        transaction_type: match trade.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        },
        fill_timestamp: &trade.fill_timestamp,
        order_timestamp: &trade.order_time_of_day,
        exchange_timestamp: &trade.fill_timestamp,
    }
}

/// `GET /orders`: every order's latest state.
pub(crate) fn list(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let orders: Vec<wire::Order<'_>> = inner
        .kite
        .account
        .orders
        .iter()
        .map(|o| order_wire(&o.current, &sim.app.user_id))
        .collect();
    wire::success(&orders)
}

/// `GET /orders/{order_id}`: every state the order passed through.
pub(crate) fn history(sim: &Sim, order_id: &str) -> Result<Reply, KiteError> {
    let (inner, _) = sim.current();
    let order = inner
        .kite
        .account
        .order(order_id)
        .ok_or_else(KiteError::unknown_order)?;
    let states: Vec<wire::Order<'_>> = order
        .history
        .iter()
        .map(|state| order_wire(state, &sim.app.user_id))
        .collect();
    Ok(wire::success(&states))
}

/// `GET /orders/{order_id}/trades`.
pub(crate) fn order_trades(sim: &Sim, order_id: &str) -> Result<Reply, KiteError> {
    let (inner, _) = sim.current();
    if inner.kite.account.order(order_id).is_none() {
        return Err(KiteError::unknown_order());
    }
    let trades: Vec<wire::Trade<'_>> = inner
        .kite
        .account
        .trades
        .iter()
        .filter(|t| t.order_id == order_id)
        .map(trade_wire)
        .collect();
    Ok(wire::success(&trades))
}

/// `GET /trades`.
pub(crate) fn trades(sim: &Sim) -> Reply {
    let (inner, _) = sim.current();
    let trades: Vec<wire::Trade<'_>> = inner.kite.account.trades.iter().map(trade_wire).collect();
    wire::success(&trades)
}
