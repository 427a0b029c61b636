//! Kite's wire objects to tt-core models, and tt-core requests to Kite's form fields.
//!
//! Every categorical value is matched explicitly; one Kite does not document is a
//! [`Error::MalformedResponse`] naming the field and value, never a silent default. Prices are
//! converted exactly at this boundary. Instruments are resolved through the master by Kite's
//! `instrument_token`, so a position in `NIFTY26DEC24000CE` comes back as an option on NIFTY;
//! a row whose token the master lacks comes back with Kite's token and symbol only.

use serde::de::DeserializeOwned;
use tt_core::{
    BrokerToken, Error, Exchange, Funds, Holding, Instrument, Ohlc, Order, OrderId,
    OrderModification, OrderRecord, OrderRequest, OrderState, OrderStatus, OrderType, Position,
    ProductType, Profile, QuoteDetail, SegmentFunds, Side, Tick, Trade, TradeId, Validity,
    WireReader,
};
use tt_instruments::InstrumentMaster;
use tt_transport::RawResponse;

use crate::errors::{BROKER, KiteCheck};
use crate::wire::{
    DepthData, Envelope, HoldingData, MarginsData, OrderData, PositionData, ProfileData, QuoteData,
    SegmentMargins, TradeData,
};
use tt_core::parse_ist;

/// Reads Kite's values, naming Kite in every error.
pub(crate) const READ: WireReader = WireReader::new(BROKER);

pub(crate) fn malformed(what: &str, detail: impl std::fmt::Display) -> Error {
    READ.malformed(what, detail)
}

/// The `data` of a successful response, or the mapped error of an error envelope.
pub(crate) fn data<T: DeserializeOwned>(
    response: &RawResponse,
    what: &str,
    check: &KiteCheck,
) -> Result<T, Error> {
    let envelope: Envelope<T> =
        serde_json::from_slice(&response.body).map_err(|e| malformed(what, e))?;
    if envelope.status != "success" {
        return Err(check.map(
            response,
            envelope.error_type.as_deref(),
            envelope.message.as_deref(),
        ));
    }
    envelope
        .data
        .ok_or_else(|| malformed(what, "a success envelope without `data`"))
}

pub(crate) fn product(text: &str) -> Result<ProductType, Error> {
    match text {
        "CNC" => Ok(ProductType::Cnc),
        "MIS" => Ok(ProductType::Mis),
        "NRML" => Ok(ProductType::Nrml),
        "MTF" => Ok(ProductType::Mtf),
        "CO" => Ok(ProductType::Co),
        "BO" => Ok(ProductType::Bo),
        other => Err(malformed("product", format!("unknown value `{other}`"))),
    }
}

fn validity(text: &str, ttl: Option<f64>) -> Result<Validity, Error> {
    match text {
        "DAY" => Ok(Validity::Day),
        "IOC" => Ok(Validity::Ioc),
        "TTL" => {
            let minutes = READ.whole(ttl.unwrap_or(0.0), "validity_ttl")?;
            u16::try_from(minutes)
                .ok()
                .and_then(std::num::NonZeroU16::new)
                .map(|minutes| Validity::Ttl { minutes })
                .ok_or_else(|| malformed("validity_ttl", format!("{minutes} minutes")))
        }
        other => Err(malformed("validity", format!("unknown value `{other}`"))),
    }
}

/// Kite's status text (as on the wire: `PUT ORDER REQ RECEIVED`, not the docs' spelling) to the
/// canonical state; a status not listed is [`OrderState::Unknown`] with the text kept.
pub(crate) fn order_status(raw: &str) -> OrderStatus {
    let state = match raw {
        "PUT ORDER REQ RECEIVED"
        | "PUT ORDER REQUEST RECEIVED"
        | "VALIDATION PENDING"
        | "OPEN PENDING"
        | "AMO REQ RECEIVED" => OrderState::Pending,
        "OPEN" | "MODIFIED" | "UPDATE" => OrderState::Open,
        "TRIGGER PENDING" => OrderState::TriggerPending,
        "MODIFY VALIDATION PENDING" | "MODIFY PENDING" | "CANCEL PENDING" => {
            OrderState::ModifyPending
        }
        "COMPLETE" => OrderState::Complete,
        "CANCELLED" => OrderState::Cancelled,
        "REJECTED" => OrderState::Rejected,
        _ => OrderState::Unknown,
    };
    OrderStatus::new(state, raw)
}

/// Everything the master knows about the instrument behind a Kite token.
pub(crate) fn resolved(
    master: &InstrumentMaster,
    token: &str,
    tradingsymbol: &str,
    exchange: &str,
) -> Result<std::sync::Arc<tt_instruments::Resolved>, Error> {
    master
        .instrument_for_token(BROKER, token)
        .map_err(|_| Error::InstrumentNotFound {
            spec: format!(
                "{exchange}:{tradingsymbol} (Kite token {token}); refresh the instrument master"
            ),
            broker: Some(BROKER),
        })
}

fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

pub(crate) fn order(master: &InstrumentMaster, wire: OrderData) -> Result<Order, Error> {
    let (instrument, broker_token) = master.row_instrument(
        BROKER,
        &wire.instrument_token,
        &wire.tradingsymbol,
        &wire.exchange,
    );
    let raw_status = wire.status.clone().unwrap_or_default();
    Ok(Order {
        id: OrderId::new(wire.order_id).map_err(|e| malformed("order_id", e))?,
        exchange_order_id: text(wire.exchange_order_id),
        instrument,
        broker_token,
        side: READ.side(&wire.transaction_type)?,
        order_type: READ.order_type(&wire.order_type)?,
        product: product(&wire.product)?,
        validity: validity(&wire.validity, wire.validity_ttl)?,
        quantity: READ.count(Some(wire.quantity), "quantity")?,
        filled_quantity: READ.count(wire.filled_quantity, "filled_quantity")?,
        pending_quantity: READ.count(wire.pending_quantity, "pending_quantity")?,
        cancelled_quantity: READ.count(wire.cancelled_quantity, "cancelled_quantity")?,
        disclosed_quantity: READ.count(wire.disclosed_quantity, "disclosed_quantity")?,
        price: READ.optional_price(wire.price, "price")?,
        trigger_price: READ.optional_price(wire.trigger_price, "trigger_price")?,
        average_price: READ.optional_price(wire.average_price, "average_price")?,
        status: order_status(&raw_status),
        status_message: text(wire.status_message),
        tag: text(wire.tag),
        after_market: wire.variety.as_deref() == Some("amo"),
        placed_at: wire.order_timestamp.as_deref().and_then(parse_ist),
        exchange_updated_at: wire
            .exchange_update_timestamp
            .as_deref()
            .or(wire.exchange_timestamp.as_deref())
            .and_then(parse_ist),
    })
}

/// An order as Kite's order book lists it, with no instrument lookup: what reconciliation
/// reads. Terms tt-connect does not know stay absent instead of failing the record.
pub(crate) fn order_record(wire: OrderData) -> Result<OrderRecord, Error> {
    let raw_status = wire.status.clone().unwrap_or_default();
    Ok(OrderRecord {
        id: OrderId::new(wire.order_id).map_err(|e| malformed("order_id", e))?,
        tag: text(wire.tag),
        status: order_status(&raw_status),
        status_message: text(wire.status_message),
        token: text(Some(wire.instrument_token)),
        exchange: wire.exchange,
        symbol: wire.tradingsymbol,
        order_type: READ.order_type(&wire.order_type).ok(),
        validity: validity(&wire.validity, wire.validity_ttl).ok(),
        quantity: READ.count(Some(wire.quantity), "quantity")?,
        filled_quantity: READ.count(wire.filled_quantity, "filled_quantity")?,
        price: READ.optional_price(wire.price, "price")?,
        trigger_price: READ.optional_price(wire.trigger_price, "trigger_price")?,
        placed_at: wire.order_timestamp.as_deref().and_then(parse_ist),
    })
}

pub(crate) fn trade(master: &InstrumentMaster, wire: TradeData) -> Result<Trade, Error> {
    let (instrument, broker_token) = master.row_instrument(
        BROKER,
        &wire.instrument_token,
        &wire.tradingsymbol,
        &wire.exchange,
    );
    Ok(Trade {
        id: TradeId::new(wire.trade_id).map_err(|e| malformed("trade_id", e))?,
        order_id: OrderId::new(wire.order_id).map_err(|e| malformed("order_id", e))?,
        exchange_order_id: text(wire.exchange_order_id),
        instrument,
        broker_token,
        side: READ.side(&wire.transaction_type)?,
        product: product(&wire.product)?,
        quantity: READ.count(Some(wire.quantity), "quantity")?,
        price: READ.price(wire.average_price, "average_price")?,
        filled_at: wire
            .fill_timestamp
            .as_deref()
            .or(wire.exchange_timestamp.as_deref())
            .and_then(parse_ist),
    })
}

pub(crate) fn position(master: &InstrumentMaster, wire: PositionData) -> Result<Position, Error> {
    let multiplier = READ.whole(wire.multiplier.unwrap_or(1.0), "multiplier")?;
    let (instrument, broker_token) = master.row_instrument(
        BROKER,
        &wire.instrument_token,
        &wire.tradingsymbol,
        &wire.exchange,
    );
    Ok(Position {
        instrument,
        broker_token,
        product: product(&wire.product)?,
        quantity: READ.whole(wire.quantity, "quantity")?,
        overnight_quantity: READ
            .whole(wire.overnight_quantity.unwrap_or(0.0), "overnight_quantity")?,
        multiplier: u32::try_from(multiplier).map_err(|_| malformed("multiplier", multiplier))?,
        average_price: READ.price(wire.average_price, "average_price")?,
        last_price: READ.price(wire.last_price, "last_price")?,
        close_price: READ.optional_price(wire.close_price, "close_price")?,
        pnl: READ.amount(wire.pnl, "pnl")?,
        realised: READ.amount(wire.realised, "realised")?,
        unrealised: READ.amount(wire.unrealised, "unrealised")?,
        buy_quantity: READ.unsigned(wire.buy_quantity, "buy_quantity")?,
        buy_value: READ.amount(wire.buy_value, "buy_value")?,
        sell_quantity: READ.unsigned(wire.sell_quantity, "sell_quantity")?,
        sell_value: READ.amount(wire.sell_value, "sell_value")?,
    })
}

pub(crate) fn holding(master: &InstrumentMaster, wire: HoldingData) -> Result<Holding, Error> {
    let (instrument, broker_token) = master.row_instrument(
        BROKER,
        &wire.instrument_token,
        &wire.tradingsymbol,
        &wire.exchange,
    );
    Ok(Holding {
        instrument,
        broker_token,
        isin: text(wire.isin),
        quantity: READ.whole(wire.quantity, "quantity")?,
        t1_quantity: READ.whole(wire.t1_quantity.unwrap_or(0.0), "t1_quantity")?,
        average_price: READ.price(wire.average_price, "average_price")?,
        last_price: READ.price(wire.last_price, "last_price")?,
        close_price: READ.optional_price(wire.close_price, "close_price")?,
        pnl: READ.amount(wire.pnl, "pnl")?,
    })
}

fn segment_funds(wire: Option<SegmentMargins>) -> Result<Option<SegmentFunds>, Error> {
    let Some(wire) = wire else { return Ok(None) };
    if wire.enabled == Some(false) {
        return Ok(None);
    }
    Ok(Some(SegmentFunds {
        available: READ.amount(Some(wire.net), "net")?,
        used: READ.amount(wire.utilised.debits, "utilised.debits")?,
        opening_balance: wire
            .available
            .opening_balance
            .map(|v| READ.amount(Some(v), "available.opening_balance"))
            .transpose()?,
        collateral: wire
            .available
            .collateral
            .map(|v| READ.amount(Some(v), "available.collateral"))
            .transpose()?,
    }))
}

pub(crate) fn funds(wire: MarginsData) -> Result<Funds, Error> {
    Ok(Funds {
        equity: segment_funds(wire.equity)?,
        commodity: segment_funds(wire.commodity)?,
    })
}

pub(crate) fn profile(wire: ProfileData) -> Profile {
    // Segments and products tt-connect does not model (MF, BO, CO) are left out, not failed on.
    Profile {
        user_name: wire.user_name.unwrap_or_default(),
        email: text(wire.email),
        broker: BROKER.to_owned(),
        exchanges: wire
            .exchanges
            .iter()
            .filter_map(|e| e.parse::<Exchange>().ok())
            .collect(),
        products: wire
            .products
            .iter()
            .filter_map(|p| product(p).ok())
            .collect(),
        order_types: wire
            .order_types
            .iter()
            .filter_map(|t| READ.order_type(t).ok())
            .collect(),
        user_id: wire.user_id,
    }
}

fn depth_levels(entries: &[crate::wire::DepthEntry]) -> Result<tt_core::DepthSide, Error> {
    entries
        .iter()
        .map(|e| {
            Ok(tt_core::DepthLevel {
                price: READ.price(e.price, "depth.price")?,
                quantity: READ.unsigned(Some(e.quantity), "depth.quantity")?,
                orders: READ.count(Some(e.orders), "depth.orders")?,
            })
        })
        .collect()
}

fn depth(wire: &DepthData) -> Result<tt_core::Depth, Error> {
    Ok(tt_core::Depth {
        bids: depth_levels(&wire.buy)?,
        asks: depth_levels(&wire.sell)?,
    })
}

pub(crate) fn quote(
    instrument: Instrument,
    token: std::sync::Arc<str>,
    wire: &QuoteData,
    detail: QuoteDetail,
) -> Result<Tick, Error> {
    let ohlc = wire
        .ohlc
        .as_ref()
        .map(|o| {
            Ok::<_, Error>(Ohlc {
                open: READ.price(o.open, "ohlc.open")?,
                high: READ.price(o.high, "ohlc.high")?,
                low: READ.price(o.low, "ohlc.low")?,
                close: READ.price(o.close, "ohlc.close")?,
            })
        })
        .transpose()?;
    let full = detail == QuoteDetail::Full;
    Ok(Tick::new(
        instrument,
        token,
        tt_core::TickData {
            mode: detail.stream_mode(),
            last_price: READ.price(wire.last_price, "last_price")?,
            last_quantity: wire
                .last_quantity
                .map(|q| READ.unsigned(Some(q), "last_quantity"))
                .transpose()?,
            average_price: READ.optional_price(wire.average_price, "average_price")?,
            volume: wire
                .volume
                .map(|v| READ.unsigned(Some(v), "volume"))
                .transpose()?,
            total_buy_quantity: wire
                .buy_quantity
                .map(|v| READ.unsigned(Some(v), "buy_quantity"))
                .transpose()?,
            total_sell_quantity: wire
                .sell_quantity
                .map(|v| READ.unsigned(Some(v), "sell_quantity"))
                .transpose()?,
            ohlc,
            open_interest: wire
                .oi
                .filter(|_| full)
                .map(|v| READ.unsigned(Some(v), "oi"))
                .transpose()?,
            oi_day_high: wire
                .oi_day_high
                .filter(|_| full)
                .map(|v| READ.unsigned(Some(v), "oi_day_high"))
                .transpose()?,
            oi_day_low: wire
                .oi_day_low
                .filter(|_| full)
                .map(|v| READ.unsigned(Some(v), "oi_day_low"))
                .transpose()?,
            last_trade_time: wire.last_trade_time.as_deref().and_then(parse_ist),
            exchange_time: wire.timestamp.as_deref().and_then(parse_ist),
            depth: wire
                .depth
                .as_ref()
                .filter(|_| full)
                .map(depth)
                .transpose()?,
            greeks: None,
            implied_volatility: None,
        },
    ))
}

fn order_type_code(order_type: OrderType) -> &'static str {
    order_type.code()
}

fn validity_fields(validity: Validity, form: &mut Vec<(&'static str, String)>) {
    match validity {
        Validity::Day => form.push(("validity", "DAY".to_owned())),
        Validity::Ioc => form.push(("validity", "IOC".to_owned())),
        Validity::Ttl { minutes } => {
            form.push(("validity", "TTL".to_owned()));
            form.push(("validity_ttl", minutes.to_string()));
        }
    }
}

/// The form of `POST /orders/{variety}`.
pub(crate) fn order_form(
    order: &OrderRequest,
    token: &BrokerToken,
) -> Result<Vec<(&'static str, String)>, Error> {
    let (Some(exchange), Some(symbol)) = (&token.exchange, &token.symbol) else {
        return Err(Error::InstrumentNotFound {
            spec: format!(
                "{} (no Kite tradingsymbol in the master)",
                order.instrument()
            ),
            broker: Some(BROKER),
        });
    };
    let mut form = vec![
        ("exchange", exchange.clone()),
        ("tradingsymbol", symbol.clone()),
        (
            "transaction_type",
            match order.side() {
                Side::Buy => "BUY",
                Side::Sell => "SELL",
            }
            .to_owned(),
        ),
        ("order_type", order_type_code(order.order_type()).to_owned()),
        ("quantity", order.quantity().to_string()),
        ("product", order.product().code().to_owned()),
    ];
    if let Some(price) = order.price() {
        form.push(("price", price.to_string()));
    }
    if let Some(trigger) = order.trigger_price() {
        form.push(("trigger_price", trigger.to_string()));
    }
    validity_fields(order.validity(), &mut form);
    if let Some(disclosed) = order.disclosed_quantity() {
        form.push(("disclosed_quantity", disclosed.to_string()));
    }
    form.push(("tag", order.tag().as_str().to_owned()));
    Ok(form)
}

/// The form of `PUT /orders/{variety}/{order_id}`: only what changes.
pub(crate) fn modify_form(change: &OrderModification) -> Vec<(&'static str, String)> {
    let mut form = Vec::new();
    if let Some(quantity) = change.new_quantity() {
        form.push(("quantity", quantity.to_string()));
    }
    if let Some(price) = change.new_price() {
        form.push(("price", price.to_string()));
    }
    if let Some(trigger) = change.new_trigger_price() {
        form.push(("trigger_price", trigger.to_string()));
    }
    if let Some(order_type) = change.new_order_type() {
        form.push(("order_type", order_type_code(order_type).to_owned()));
    }
    if let Some(validity) = change.new_validity() {
        validity_fields(validity, &mut form);
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_core::ClientTag;

    #[test]
    fn every_kite_status_maps_and_unknown_ones_keep_their_text() {
        for (raw, state) in [
            ("PUT ORDER REQ RECEIVED", OrderState::Pending),
            ("VALIDATION PENDING", OrderState::Pending),
            ("OPEN PENDING", OrderState::Pending),
            ("AMO REQ RECEIVED", OrderState::Pending),
            ("OPEN", OrderState::Open),
            ("MODIFIED", OrderState::Open),
            ("UPDATE", OrderState::Open),
            ("TRIGGER PENDING", OrderState::TriggerPending),
            ("MODIFY VALIDATION PENDING", OrderState::ModifyPending),
            ("MODIFY PENDING", OrderState::ModifyPending),
            ("CANCEL PENDING", OrderState::ModifyPending),
            ("COMPLETE", OrderState::Complete),
            ("CANCELLED", OrderState::Cancelled),
            ("REJECTED", OrderState::Rejected),
            ("SOMETHING NEW", OrderState::Unknown),
        ] {
            let status = order_status(raw);
            assert_eq!((status.state, status.raw.as_str()), (state, raw));
        }
    }

    #[test]
    fn unknown_enum_values_are_named() {
        assert!(
            READ.order_type("ICEBERG")
                .unwrap_err()
                .to_string()
                .contains("order_type: unknown value `ICEBERG`")
        );
        assert!(
            product("XYZ")
                .unwrap_err()
                .to_string()
                .contains("product: unknown value `XYZ`")
        );
        assert_eq!(product("CO").unwrap(), ProductType::Co);
        assert!(READ.side("HOLD").is_err());
        assert!(validity("GTC", None).is_err());
        assert!(validity("TTL", Some(0.0)).is_err());
        assert_eq!(validity("TTL", Some(5.0)).unwrap().to_string(), "TTL:5");
    }

    #[test]
    fn forms_carry_exact_prices_and_the_tag() {
        let instrument: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse().unwrap();
        let order = OrderRequest::buy(instrument, 75, ProductType::Nrml)
            .stop_loss("101.05".parse().unwrap(), "101.1".parse().unwrap())
            .validity(Validity::Ttl {
                minutes: std::num::NonZeroU16::new(3).unwrap(),
            })
            .tag(ClientTag::new("abc1").unwrap())
            .build()
            .unwrap();
        let token = BrokerToken {
            token: "12345602".into(),
            symbol: Some("NIFTY26DEC24000CE".into()),
            exchange: Some("NFO".into()),
        };
        let form = order_form(&order, &token).unwrap();
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("tradingsymbol"), Some("NIFTY26DEC24000CE"));
        assert_eq!(get("order_type"), Some("SL"));
        assert_eq!(get("price"), Some("101.1"));
        assert_eq!(get("trigger_price"), Some("101.05"));
        assert_eq!(get("validity"), Some("TTL"));
        assert_eq!(get("validity_ttl"), Some("3"));
        assert_eq!(get("tag"), Some("abc1"));
        assert_eq!(get("quantity"), Some("75"));
    }
}
