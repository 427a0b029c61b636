//! Upstox's wire objects to tt-core models, and tt-core requests to Upstox's JSON bodies.
//!
//! Every categorical value is matched explicitly at this boundary; one Upstox does not document
//! is a [`Error::MalformedResponse`] naming the field and value, never a silent default, except
//! order statuses, which tt-core keeps raw as [`OrderState::Unknown`]. The vocabulary:
//!
//! - products: `I` is MIS; `D` (delivery) is CNC on an equity segment and NRML on a derivative
//!   one, both ways; `MTF` and `CO` are themselves;
//! - `exchange` comes plain (`NSE`, `NFO`) or as a segment (`NSE_EQ`, `NSE_FO`): both are read;
//! - timestamps: orders and trades `"YYYY-MM-DD HH:MM:SS"` in IST, a quote's `last_trade_time`
//!   epoch milliseconds as a string, its `timestamp` ISO 8601 with `+05:30`.
//!
//! Instruments are resolved through the master by Upstox's instrument key (its
//! `instrument_token` field); a row whose key the master lacks comes back with Upstox's key and
//! symbol only (and is logged).

use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{
    Amount, ContractSpec, Error, Exchange, Funds, Holding, Instrument, Order, OrderId,
    OrderModification, OrderRecord, OrderRequest, OrderState, OrderStatus, Position, Price,
    ProductType, Profile, QuoteDetail, SegmentFunds, Side, Tick, Trade, TradeId, Validity,
    WireReader, parse_ist,
};
use tt_instruments::InstrumentMaster;
use tt_transport::RawResponse;

use crate::errors::{BROKER, UpstoxCheck};
use crate::wire::{
    Envelope, ErrorBody, FundsData, HoldingData, OrderData, PositionData, ProfileData, QuoteData,
    SegmentMargin, TradeData,
};

/// Reads Upstox's values, naming Upstox in every error.
pub(crate) const READ: WireReader = WireReader::new(BROKER);

/// The `data` of a successful response, or the mapped error of an error envelope.
pub(crate) fn data<T: DeserializeOwned>(
    response: &RawResponse,
    what: &str,
    check: &UpstoxCheck,
) -> Result<T, Error> {
    let envelope: Envelope<T> = flat(response, what)?;
    if envelope.status.as_deref() != Some("success") {
        let body = ErrorBody {
            errors: envelope.errors,
            ..ErrorBody::default()
        };
        return Err(check.map(response.status, response, &body));
    }
    envelope
        .data
        .ok_or_else(|| READ.malformed(what, "a success envelope without `data`"))
}

/// A flat (unwrapped) answer, as the token exchange sends.
pub(crate) fn flat<T: DeserializeOwned>(response: &RawResponse, what: &str) -> Result<T, Error> {
    decode(&response.body).map_err(|e| READ.malformed(what, e))
}

/// Bodies this long or longer are read by simd-json, shorter ones by serde_json. Issue 8
/// measured both on the same bytes (`docs/performance.md`): simd-json reads order books,
/// positions and 500-key quotes 1.2x to 1.35x as fast, copy included, and a 2.9 kB order book
/// still 1.2x; its fixed cost per call makes an 88-byte order reply take 1.75x as long, and at
/// 758 bytes (one order) it gains under 10%.
const SIMD_JSON_FROM_BYTES: usize = 1024;

/// A JSON body in the crate's wire types, by whichever decoder is faster at its size. Both give
/// the same values (prices exact: `bench`'s property tests check simd-json's floats).
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.len() < SIMD_JSON_FROM_BYTES {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    } else {
        // simd-json rewrites its input and the response's bytes are shared: it reads a copy.
        simd_json::serde::from_slice(&mut body.to_vec()).map_err(|e| e.to_string())
    }
}

/// The exchange of an `exchange` field in either of Upstox's forms: plain (`NSE`, `NFO`, `MCX`)
/// or segment (`NSE_EQ`, `NSE_FO`, `NCD_FO`, `MCX_FO`, `NSE_INDEX`).
pub(crate) fn exchange(text: &str) -> Result<Exchange, Error> {
    let exchange = match text {
        "NSE" | "NSE_EQ" | "NSE_INDEX" => Exchange::Nse,
        "BSE" | "BSE_EQ" | "BSE_INDEX" => Exchange::Bse,
        "NFO" | "NSE_FO" => Exchange::Nfo,
        "BFO" | "BSE_FO" => Exchange::Bfo,
        "CDS" | "NCD" | "NCD_FO" => Exchange::Cds,
        "BCD" | "BCD_FO" => Exchange::Bcd,
        "MCX" | "MCX_FO" | "MCX_INDEX" => Exchange::Mcx,
        other => {
            return Err(READ.malformed("exchange", format!("unknown value `{other}`")));
        }
    };
    Ok(exchange)
}

/// True for the cash segments, where `D` means CNC (elsewhere it means NRML).
fn is_cash(exchange: Exchange) -> bool {
    matches!(exchange, Exchange::Nse | Exchange::Bse)
}

/// Upstox's product code on a row of `exchange` to the canonical product.
pub(crate) fn product(text: &str, exchange: Exchange) -> Result<ProductType, Error> {
    match text {
        "I" => Ok(ProductType::Mis),
        "D" if is_cash(exchange) => Ok(ProductType::Cnc),
        "D" => Ok(ProductType::Nrml),
        "MTF" => Ok(ProductType::Mtf),
        "CO" => Ok(ProductType::Co),
        other => Err(READ.malformed("product", format!("unknown value `{other}`"))),
    }
}

/// The canonical product to Upstox's code for an order on `exchange`. CNC is delivery of
/// equity and NRML carry-forward of a derivative: Upstox has one code (`D`) for both, so each is
/// refused on the other kind of segment rather than sent as the other.
///
/// # Errors
/// [`Error::UnsupportedFeature`] for a product Upstox has no code for on that segment.
pub(crate) fn product_code(
    product: ProductType,
    exchange: Exchange,
) -> Result<&'static str, Error> {
    match (product, is_cash(exchange)) {
        (ProductType::Mis, _) => Ok("I"),
        (ProductType::Cnc, true) | (ProductType::Nrml, false) => Ok("D"),
        (ProductType::Mtf, true) => Ok("MTF"),
        (product, _) => Err(Error::UnsupportedFeature {
            broker: BROKER,
            feature: format!("the {product} product on {exchange}"),
        }),
    }
}

fn validity(text: &str) -> Result<Validity, Error> {
    match text {
        "DAY" => Ok(Validity::Day),
        "IOC" => Ok(Validity::Ioc),
        other => Err(READ.malformed("validity", format!("unknown value `{other}`"))),
    }
}

/// Every status of Upstox's order-status appendix (lower case, with spaces, exactly as sent)
/// and its canonical state.
const STATUSES: [(&str, OrderState); 17] = [
    ("put order req received", OrderState::Pending),
    ("validation pending", OrderState::Pending),
    ("open pending", OrderState::Pending),
    ("after market order req received", OrderState::Pending),
    ("open", OrderState::Open),
    ("modified", OrderState::Open),
    // A modification or cancellation the exchange refused: the order stands as it was.
    ("not modified", OrderState::Open),
    ("not cancelled", OrderState::Open),
    ("trigger pending", OrderState::TriggerPending),
    ("modify pending", OrderState::ModifyPending),
    ("modify validation pending", OrderState::ModifyPending),
    (
        "modify after market order req received",
        OrderState::ModifyPending,
    ),
    ("cancel pending", OrderState::ModifyPending),
    ("complete", OrderState::Complete),
    ("rejected", OrderState::Rejected),
    ("cancelled", OrderState::Cancelled),
    ("cancelled after market order", OrderState::Cancelled),
];

/// Upstox's status text to the canonical state; a status not listed is
/// [`OrderState::Unknown`] with the text kept.
pub(crate) fn order_status(raw: &str) -> OrderStatus {
    let state = STATUSES
        .iter()
        .find(|(text, _)| *text == raw)
        .map_or(OrderState::Unknown, |(_, state)| *state);
    OrderStatus::new(state, raw)
}

fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A price where Upstox writes 0 for "none" (an order's price, trigger, average).
fn nonzero(price: Option<Price>) -> Option<Price> {
    price.filter(|p| *p != Price::ZERO)
}

pub(crate) fn order(master: &InstrumentMaster, wire: OrderData) -> Result<Order, Error> {
    let symbol = wire.symbol.symbol().to_owned();
    let (instrument, broker_token) =
        master.row_instrument(BROKER, &wire.instrument_token, &symbol, &wire.exchange);
    let on = exchange(&wire.exchange)?;
    let raw_status = wire.status.clone().unwrap_or_default();
    let filled = wire.filled_quantity.unwrap_or(0);
    let pending = wire.pending_quantity.unwrap_or(0);
    let state = order_status(&raw_status);
    Ok(Order {
        id: OrderId::new(wire.order_id).map_err(|e| READ.malformed("order_id", e))?,
        exchange_order_id: text(wire.exchange_order_id),
        instrument,
        broker_token,
        side: READ.side(&wire.transaction_type)?,
        order_type: READ.order_type(&wire.order_type)?,
        product: product(&wire.product, on)?,
        validity: validity(&wire.validity)?,
        quantity: wire.quantity,
        filled_quantity: filled,
        pending_quantity: pending,
        // Upstox reports no cancelled quantity: what was neither filled nor left pending on a
        // cancelled order was cancelled.
        cancelled_quantity: if state.state == OrderState::Cancelled {
            wire.quantity.saturating_sub(filled).saturating_sub(pending)
        } else {
            0
        },
        disclosed_quantity: wire.disclosed_quantity.unwrap_or(0),
        price: nonzero(wire.price),
        trigger_price: nonzero(wire.trigger_price),
        average_price: nonzero(wire.average_price),
        status: state,
        status_message: text(wire.status_message),
        tag: text(wire.tag),
        after_market: wire.is_amo.unwrap_or(false),
        placed_at: wire.order_timestamp.as_deref().and_then(parse_ist),
        exchange_updated_at: wire.exchange_timestamp.as_deref().and_then(parse_ist),
    })
}

/// Orders as Upstox lists them, with no instrument lookup (see [`order_record`]).
pub(crate) fn order_records(rows: Vec<OrderData>) -> Result<Vec<OrderRecord>, Error> {
    rows.into_iter().map(order_record).collect()
}

/// An order as Upstox's order book lists it, with no instrument lookup: what reconciliation
/// reads. Terms tt-connect does not know stay absent instead of failing the record.
pub(crate) fn order_record(wire: OrderData) -> Result<OrderRecord, Error> {
    let raw_status = wire.status.clone().unwrap_or_default();
    Ok(OrderRecord {
        id: OrderId::new(wire.order_id).map_err(|e| READ.malformed("order_id", e))?,
        tag: text(wire.tag),
        status: order_status(&raw_status),
        status_message: text(wire.status_message),
        token: text(Some(wire.instrument_token)),
        symbol: wire.symbol.symbol().to_owned(),
        exchange: wire.exchange,
        order_type: READ.order_type(&wire.order_type).ok(),
        validity: validity(&wire.validity).ok(),
        quantity: wire.quantity,
        filled_quantity: wire.filled_quantity.unwrap_or(0),
        price: nonzero(wire.price),
        trigger_price: nonzero(wire.trigger_price),
        placed_at: wire.order_timestamp.as_deref().and_then(parse_ist),
    })
}

pub(crate) fn trade(master: &InstrumentMaster, wire: TradeData) -> Result<Trade, Error> {
    let symbol = wire.symbol.symbol().to_owned();
    let (instrument, broker_token) =
        master.row_instrument(BROKER, &wire.instrument_token, &symbol, &wire.exchange);
    let on = exchange(&wire.exchange)?;
    Ok(Trade {
        id: TradeId::new(wire.trade_id).map_err(|e| READ.malformed("trade_id", e))?,
        order_id: OrderId::new(wire.order_id).map_err(|e| READ.malformed("order_id", e))?,
        exchange_order_id: text(wire.exchange_order_id),
        instrument,
        broker_token,
        side: READ.side(&wire.transaction_type)?,
        product: product(&wire.product, on)?,
        quantity: wire.quantity,
        price: wire.average_price,
        filled_at: wire
            .exchange_timestamp
            .as_deref()
            .or(wire.order_timestamp.as_deref())
            .and_then(parse_ist),
    })
}

/// The two views of one Upstox position row, as tt-core's [`tt_core::Positions`] has them.
///
/// `net` is the row as Upstox sends it: the whole position, carried-in part included
/// (`quantity`, `overnight_quantity`, `buy_value`, `sell_value`, `pnl`, `realised`,
/// `unrealised`), with the bought and sold quantities summed from the overnight and day ones.
///
/// `day`, present only when the row traded today, is today's trades alone, built from the
/// `day_*` fields: quantity `day_buy_quantity - day_sell_quantity`, no overnight quantity, the
/// day's values, and the average of the side the day's quantity is on. Upstox does not split
/// P&L by day, so `pnl` is computed the way Kite defines it, `(sell value - buy value) +
/// quantity * last price * multiplier`, and `realised` / `unrealised` are zero.
pub(crate) fn position(
    master: &InstrumentMaster,
    wire: PositionData,
) -> Result<(Position, Option<Position>), Error> {
    let symbol = wire.symbol.symbol().to_owned();
    let (instrument, broker_token) =
        master.row_instrument(BROKER, &wire.instrument_token, &symbol, &wire.exchange);
    let product = product(&wire.product, exchange(&wire.exchange)?)?;
    let multiplier = READ.whole(wire.multiplier.unwrap_or(1.0), "multiplier")?;
    let multiplier =
        u32::try_from(multiplier).map_err(|_| READ.malformed("multiplier", multiplier))?;
    let last_price = wire.last_price.unwrap_or(Price::ZERO);
    let day_buy = wire.day_buy_quantity.unwrap_or(0);
    let day_sell = wire.day_sell_quantity.unwrap_or(0);
    let net = Position {
        instrument: instrument.clone(),
        broker_token: broker_token.clone(),
        product,
        quantity: wire.quantity,
        overnight_quantity: wire.overnight_quantity.unwrap_or(0),
        multiplier,
        average_price: wire.average_price.unwrap_or(Price::ZERO),
        last_price,
        close_price: nonzero(wire.close_price),
        pnl: wire.pnl.unwrap_or(Amount::ZERO),
        realised: wire.realised.unwrap_or(Amount::ZERO),
        unrealised: wire.unrealised.unwrap_or(Amount::ZERO),
        buy_quantity: wire.overnight_buy_quantity.unwrap_or(0) + day_buy,
        buy_value: wire.buy_value.unwrap_or(Amount::ZERO),
        sell_quantity: wire.overnight_sell_quantity.unwrap_or(0) + day_sell,
        sell_value: wire.sell_value.unwrap_or(Amount::ZERO),
    };
    if day_buy == 0 && day_sell == 0 {
        return Ok((net, None));
    }
    let signed = |n: u64, field: &str| {
        i64::try_from(n).map_err(|_| READ.malformed(field, format!("{n} is out of range")))
    };
    let quantity = signed(day_buy, "day_buy_quantity")? - signed(day_sell, "day_sell_quantity")?;
    let buy_value = wire.day_buy_value.unwrap_or(Amount::ZERO);
    let sell_value = wire.day_sell_value.unwrap_or(Amount::ZERO);
    let average_price = if quantity < 0 {
        wire.day_sell_price
    } else {
        wire.day_buy_price
    };
    let day = Position {
        quantity,
        overnight_quantity: 0,
        average_price: average_price.unwrap_or(Price::ZERO),
        pnl: (sell_value - buy_value) + last_price * (quantity * i64::from(multiplier)),
        realised: Amount::ZERO,
        unrealised: Amount::ZERO,
        buy_quantity: day_buy,
        buy_value,
        sell_quantity: day_sell,
        sell_value,
        ..net.clone()
    };
    Ok((net, Some(day)))
}

pub(crate) fn holding(master: &InstrumentMaster, wire: HoldingData) -> Result<Holding, Error> {
    let symbol = wire.symbol.symbol().to_owned();
    let (instrument, broker_token) =
        master.row_instrument(BROKER, &wire.instrument_token, &symbol, &wire.exchange);
    Ok(Holding {
        instrument,
        broker_token,
        isin: text(wire.isin),
        quantity: wire.quantity,
        t1_quantity: wire.t1_quantity.unwrap_or(0),
        average_price: wire.average_price,
        last_price: wire.last_price,
        close_price: nonzero(wire.close_price),
        pnl: wire.pnl.unwrap_or(Amount::ZERO),
    })
}

/// One segment: `available_margin` is what new orders can use, `used_margin` what is blocked.
/// Upstox reports neither an opening balance nor collateral apart (`payin_amount` is today's
/// pay-in, not the opening balance), so those stay `None`.
fn segment_funds(wire: Option<SegmentMargin>) -> Option<SegmentFunds> {
    let wire = wire?;
    Some(SegmentFunds {
        available: wire.available_margin.unwrap_or(Amount::ZERO),
        used: wire.used_margin.unwrap_or(Amount::ZERO),
        opening_balance: None,
        collateral: None,
    })
}

pub(crate) fn funds(wire: FundsData) -> Funds {
    Funds {
        equity: segment_funds(wire.equity),
        commodity: segment_funds(wire.commodity),
    }
}

pub(crate) fn profile(wire: ProfileData) -> Profile {
    // Segments, products and order types tt-connect does not model are left out, not failed
    // on. `D` is delivery on any segment: CNC for equity, NRML for derivatives.
    let exchanges = wire.exchanges.unwrap_or_default();
    let order_types = wire.order_types.unwrap_or_default();
    let mut products: Vec<ProductType> = Vec::new();
    for code in wire.products.unwrap_or_default() {
        let found: &[ProductType] = match code.as_str() {
            "D" => &[ProductType::Cnc, ProductType::Nrml],
            "I" => &[ProductType::Mis],
            "MTF" => &[ProductType::Mtf],
            "CO" => &[ProductType::Co],
            _ => &[],
        };
        for product in found {
            if !products.contains(product) {
                products.push(*product);
            }
        }
    }
    Profile {
        user_id: wire.user_id,
        user_name: wire.user_name.unwrap_or_default(),
        email: text(wire.email),
        broker: BROKER.to_owned(),
        exchanges: exchanges.iter().filter_map(|e| exchange(e).ok()).collect(),
        products,
        order_types: order_types
            .iter()
            .filter_map(|t| READ.order_type(t).ok())
            .collect(),
    }
}

/// `last_trade_time`: epoch milliseconds as a string.
fn epoch_millis(text: &str) -> Option<OffsetDateTime> {
    let millis: i128 = text.trim().parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(millis.checked_mul(1_000_000)?).ok()
}

/// One quote as a tick for `instrument` (the one whose instrument key the quote names).
pub(crate) fn quote(
    instrument: Instrument,
    token: std::sync::Arc<str>,
    wire: &QuoteData,
    detail: QuoteDetail,
) -> Result<Tick, Error> {
    let full = detail == QuoteDetail::Full;
    let last_price = wire
        .last_price
        .ok_or_else(|| READ.malformed("quote", format!("no last_price for {instrument}")))?;
    let quantity =
        |value: Option<f64>, field: &str| value.map(|v| READ.unsigned(Some(v), field)).transpose();
    Ok(Tick::new(
        instrument,
        token,
        tt_core::TickData {
            mode: detail.stream_mode(),
            last_price,
            last_quantity: None,
            average_price: nonzero(wire.average_price),
            volume: wire.volume,
            total_buy_quantity: quantity(wire.total_buy_quantity, "total_buy_quantity")?,
            total_sell_quantity: quantity(wire.total_sell_quantity, "total_sell_quantity")?,
            ohlc: wire.ohlc,
            open_interest: quantity(wire.oi.filter(|_| full), "oi")?,
            oi_day_high: quantity(wire.oi_day_high.filter(|_| full), "oi_day_high")?,
            oi_day_low: quantity(wire.oi_day_low.filter(|_| full), "oi_day_low")?,
            last_trade_time: wire.last_trade_time.as_deref().and_then(epoch_millis),
            exchange_time: wire
                .timestamp
                .as_deref()
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()),
            depth: wire
                .depth
                .as_ref()
                .filter(|_| full)
                .map(|d| tt_core::Depth {
                    bids: d.buy.iter().copied().collect(),
                    asks: d.sell.iter().copied().collect(),
                }),
            greeks: None,
            implied_volatility: None,
        },
    ))
}

/// A price as a JSON number whose text is the price's exact decimal text: the `f64` nearest a
/// decimal of at most fifteen significant digits prints back as that decimal (shortest
/// round-trip formatting), so Upstox reads exactly the price asked.
///
/// # Errors
/// [`Error::InvalidOrder`] for a price with more significant digits than a JSON number reads
/// back exactly (Upstox parses them as doubles): it is refused rather than sent rounded.
fn price_number(price: Option<Price>) -> Result<Value, Error> {
    let text = price.unwrap_or(Price::ZERO).to_string();
    if let Ok(whole) = text.parse::<i64>() {
        return Ok(Value::from(whole));
    }
    text.parse::<f64>()
        .ok()
        .filter(|double| double.to_string() == text)
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| Error::InvalidOrder {
            instrument: None,
            reason: tt_core::InvalidOrderReason::PriceNotExactOnTheWire {
                price: price.unwrap_or(Price::ZERO),
            },
        })
}

fn validity_code(validity: Validity) -> Result<&'static str, Error> {
    match validity {
        Validity::Day => Ok("DAY"),
        Validity::Ioc => Ok("IOC"),
        Validity::Ttl { .. } => Err(Error::UnsupportedFeature {
            broker: BROKER,
            feature: "TTL validity".to_owned(),
        }),
    }
}

/// The quantity Upstox's order calls take: lots on MCX (v3 place and modify take commodity
/// quantities in lots), units elsewhere. The quantity is a whole number of lots already (the
/// contract check ran before).
pub(crate) fn wire_quantity(
    quantity: u32,
    exchange: Exchange,
    contract: &ContractSpec,
) -> Result<u32, Error> {
    if exchange != Exchange::Mcx {
        return Ok(quantity);
    }
    if contract.lot_size == 0 || !quantity.is_multiple_of(contract.lot_size) {
        return Err(Error::InvalidOrder {
            instrument: None,
            reason: tt_core::InvalidOrderReason::QuantityNotLotMultiple {
                quantity,
                lot_size: contract.lot_size,
            },
        });
    }
    Ok(quantity / contract.lot_size)
}

/// The JSON body of `POST /v3/order/place`.
pub(crate) fn place_body(
    order: &OrderRequest,
    instrument_key: &str,
    contract: &ContractSpec,
    slice: bool,
) -> Result<Value, Error> {
    let on = order.instrument().exchange();
    Ok(json!({
        "quantity": wire_quantity(order.quantity(), on, contract)?,
        "product": product_code(order.product(), on)?,
        "validity": validity_code(order.validity())?,
        "price": price_number(order.price())?,
        "tag": order.tag().as_str(),
        "instrument_token": instrument_key,
        "order_type": order.order_type().code(),
        "transaction_type": match order.side() {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        },
        "disclosed_quantity": order.disclosed_quantity().unwrap_or(0),
        "trigger_price": price_number(order.trigger_price())?,
        "is_amo": order.after_market(),
        "slice": slice,
    }))
}

/// The JSON body of `PUT /v3/order/modify`. Upstox wants the order's whole terms (validity,
/// price, order type, trigger), so what the change leaves alone is sent as the order has it
/// now; the quantity only when it changes.
pub(crate) fn modify_body(
    order_id: &OrderId,
    change: &OrderModification,
    current: &Order,
    on: Exchange,
    contract: &ContractSpec,
) -> Result<Value, Error> {
    let order_type = change.new_order_type().unwrap_or(current.order_type);
    let keeps_price = order_type.needs_price();
    let keeps_trigger = order_type.needs_trigger();
    let price = change.new_price().or(current.price).filter(|_| keeps_price);
    let trigger = change
        .new_trigger_price()
        .or(current.trigger_price)
        .filter(|_| keeps_trigger);
    let mut body = Map::new();
    body.insert("order_id".into(), Value::from(order_id.as_str()));
    if let Some(quantity) = change.new_quantity() {
        body.insert(
            "quantity".into(),
            Value::from(wire_quantity(quantity, on, contract)?),
        );
    }
    body.insert(
        "validity".into(),
        Value::from(validity_code(
            change.new_validity().unwrap_or(current.validity),
        )?),
    );
    body.insert("price".into(), price_number(price)?);
    body.insert("order_type".into(), Value::from(order_type.code()));
    body.insert(
        "disclosed_quantity".into(),
        Value::from(current.disclosed_quantity),
    );
    body.insert("trigger_price".into(), price_number(trigger)?);
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tt_core::ClientTag;
    use tt_test_support::decimals::broker_decimal;

    fn simd<T: DeserializeOwned>(text: &str) -> T {
        simd_json::serde::from_slice(&mut text.as_bytes().to_vec()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// tt-core's `a_json_float_price_comes_back_exactly`, through simd-json.
        #[test]
        fn a_simd_json_float_price_comes_back_exactly(text in broker_decimal(10)) {
            let exact: Price = text.parse().unwrap();
            prop_assert_eq!(simd::<Price>(&text), exact, "{}", text);
            prop_assert_eq!(Price::from_f64(simd::<f64>(&text)), Ok(exact), "{}", text);
        }

        #[test]
        fn a_simd_json_float_amount_comes_back_exactly(text in broker_decimal(15)) {
            let exact: Amount = text.parse().unwrap();
            prop_assert_eq!(simd::<Amount>(&text), exact, "{}", text);
        }
    }

    #[test]
    fn simd_json_reads_the_float_edges_as_serde_json_does() {
        for json in [
            "9999999.99999999",
            "-9999999.99999999",
            "10000000.0000001",
            "0.00000001",
            "9999999999.99999",
            "10000000000",
            "99725.05000000002",
            "52.04999923706055",
            "1500.05",
        ] {
            let via_serde: Price = serde_json::from_str(json).unwrap();
            assert_eq!(simd::<Price>(json), via_serde, "{json}");
        }
    }

    #[test]
    fn bodies_above_and_below_the_simd_json_size_decode_alike() {
        let order = r#"{"order_id":"1","trading_symbol":"RELIANCE","exchange":"NSE","instrument_token":"NSE_EQ|INE002A01018","product":"D","order_type":"LIMIT","transaction_type":"BUY","validity":"DAY","status":"open","quantity":10,"price":1500.05,"trigger_price":0.0,"average_price":52.04999923706055,"is_amo":false,"tag":"a \"quoted\" tag","order_timestamp":"2025-12-01 09:15:00"}"#;
        for count in [1, 40] {
            let body = format!(
                r#"{{"status":"success","data":[{}]}}"#,
                vec![order; count].join(",")
            );
            assert_eq!(body.len() >= SIMD_JSON_FROM_BYTES, count > 1);
            let chosen: Envelope<Vec<OrderData>> = decode(body.as_bytes()).unwrap();
            let serde: Envelope<Vec<OrderData>> = serde_json::from_str(&body).unwrap();
            assert_eq!(format!("{chosen:?}"), format!("{serde:?}"));
            let first = &chosen.data.unwrap()[0];
            assert_eq!(first.average_price, Some("52.04999924".parse().unwrap()));
            assert_eq!(first.tag.as_deref(), Some(r#"a "quoted" tag"#));
        }
    }

    /// The appendix's terminal statuses are exactly the terminal states; anything else is
    /// kept raw as unknown.
    #[test]
    fn statuses_are_the_appendix_and_unknown_ones_keep_their_text() {
        let terminal: Vec<&str> = STATUSES
            .iter()
            .filter(|(_, state)| state.is_terminal())
            .map(|(text, _)| *text)
            .collect();
        assert_eq!(
            terminal,
            [
                "complete",
                "rejected",
                "cancelled",
                "cancelled after market order"
            ]
        );
        for (text, state) in STATUSES {
            assert_eq!(order_status(text), OrderStatus::new(state, text));
        }
        let unknown = order_status("partially filled somehow");
        assert_eq!(
            (unknown.state, unknown.raw.as_str()),
            (OrderState::Unknown, "partially filled somehow")
        );
        // Case matters: Upstox writes lower case.
        assert_eq!(order_status("OPEN").state, OrderState::Unknown);
    }

    #[test]
    fn products_convert_both_ways_by_segment() {
        assert_eq!(product("I", Exchange::Nfo).unwrap(), ProductType::Mis);
        assert_eq!(product("D", Exchange::Nse).unwrap(), ProductType::Cnc);
        assert_eq!(product("D", Exchange::Nfo).unwrap(), ProductType::Nrml);
        assert_eq!(product("D", Exchange::Mcx).unwrap(), ProductType::Nrml);
        assert_eq!(product("MTF", Exchange::Nse).unwrap(), ProductType::Mtf);
        assert_eq!(product("CO", Exchange::Nse).unwrap(), ProductType::Co);
        assert!(
            product("OCO", Exchange::Nse)
                .unwrap_err()
                .to_string()
                .contains("product: unknown value `OCO`")
        );
        assert_eq!(product_code(ProductType::Mis, Exchange::Nse).unwrap(), "I");
        assert_eq!(product_code(ProductType::Cnc, Exchange::Bse).unwrap(), "D");
        assert_eq!(product_code(ProductType::Nrml, Exchange::Nfo).unwrap(), "D");
        assert_eq!(
            product_code(ProductType::Mtf, Exchange::Nse).unwrap(),
            "MTF"
        );
        for (product, on) in [
            (ProductType::Cnc, Exchange::Nfo),
            (ProductType::Nrml, Exchange::Nse),
            (ProductType::Co, Exchange::Nse),
        ] {
            assert!(
                matches!(
                    product_code(product, on),
                    Err(Error::UnsupportedFeature { .. })
                ),
                "{product} on {on}"
            );
        }
    }

    #[test]
    fn exchanges_are_read_in_plain_and_segment_form() {
        let read = |forms: &[&str]| -> Vec<Exchange> {
            forms.iter().map(|text| exchange(text).unwrap()).collect()
        };
        assert_eq!(read(&["NSE", "NSE_EQ", "NSE_INDEX"]), [Exchange::Nse; 3]);
        assert_eq!(read(&["BSE", "BSE_EQ", "BSE_INDEX"]), [Exchange::Bse; 3]);
        assert_eq!(read(&["NFO", "NSE_FO"]), [Exchange::Nfo; 2]);
        assert_eq!(read(&["BFO", "BSE_FO"]), [Exchange::Bfo; 2]);
        assert_eq!(read(&["CDS", "NCD_FO"]), [Exchange::Cds; 2]);
        assert_eq!(read(&["BCD", "BCD_FO"]), [Exchange::Bcd; 2]);
        assert_eq!(read(&["MCX", "MCX_FO", "MCX_INDEX"]), [Exchange::Mcx; 3]);
        assert!(exchange("GLOBAL_INDEX").is_err());
    }

    #[test]
    fn quote_times_are_read_in_their_own_units() {
        assert_eq!(
            epoch_millis("1697701779797"),
            Some(time::macros::datetime!(2023-10-19 07:49:39.797 UTC))
        );
        assert_eq!(epoch_millis("soon"), None);
    }

    #[test]
    fn bodies_carry_exact_prices_the_tag_and_no_slicing() {
        let instrument: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse().unwrap();
        let order = OrderRequest::buy(instrument, 75, ProductType::Nrml)
            .stop_loss("101.05".parse().unwrap(), "101.1".parse().unwrap())
            .tag(ClientTag::new("abc1").unwrap())
            .build()
            .unwrap();
        let contract = ContractSpec {
            tick_size: "0.05".parse().unwrap(),
            lot_size: 75,
            freeze_quantity: None,
            multiplier: None,
        };
        let body = place_body(&order, "NSE_FO|43919", &contract, false).unwrap();
        let text = serde_json::to_string(&body).unwrap();
        assert!(text.contains(r#""price":101.1,"#), "{text}");
        assert!(text.contains(r#""trigger_price":101.05,"#), "{text}");
        assert_eq!(body["product"], "D");
        assert_eq!(body["order_type"], "SL");
        assert_eq!(body["quantity"], 75);
        assert_eq!(body["tag"], "abc1");
        assert_eq!(body["slice"], false);
        assert_eq!(body["instrument_token"], "NSE_FO|43919");
    }

    #[test]
    fn mcx_quantities_go_out_in_lots() {
        let contract = ContractSpec {
            tick_size: "1".parse().unwrap(),
            lot_size: 100,
            freeze_quantity: None,
            multiplier: None,
        };
        assert_eq!(wire_quantity(300, Exchange::Mcx, &contract).unwrap(), 3);
        assert_eq!(wire_quantity(300, Exchange::Nfo, &contract).unwrap(), 300);
        assert!(wire_quantity(150, Exchange::Mcx, &contract).is_err());
    }

    #[test]
    fn a_price_number_prints_its_exact_decimal() {
        for text in ["0.05", "101.1", "24000", "1022.45", "0.0025", "99999.95"] {
            let value = price_number(Some(text.parse().unwrap())).unwrap();
            assert_eq!(value.to_string(), text);
        }
        assert_eq!(price_number(None).unwrap().to_string(), "0");
        // Eighteen significant digits: a double cannot carry them; refused, never rounded.
        let error = price_number(Some("1234567890.12345678".parse().unwrap())).unwrap_err();
        assert!(error.to_string().contains("1234567890.12345678"), "{error}");
    }
}
