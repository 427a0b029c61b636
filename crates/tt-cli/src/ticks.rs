//! Ticks and feed events as JSON lines: the one shape `tt stream` prints and `tt decode`
//! writes, with the field names a broker-neutral reader expects (`token`, `instrument`,
//! `last_price`, …, `depth: {buy, sell}`), prices as JSON numbers in rupees and times as
//! RFC 3339 in IST. A field the tick does not carry is left out.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{CloseReason, DepthSide, FeedEvent, IST, Instrument, MarketPhase, Price, TickData};

/// One tick: its token, its canonical instrument when known, and what it carries.
pub(crate) fn tick_line(token: &str, instrument: Option<&Instrument>, data: &TickData) -> Value {
    let mut line = Map::new();
    line.insert("token".to_owned(), Value::from(token));
    if let Some(instrument) = instrument {
        line.insert("instrument".to_owned(), Value::from(instrument.to_string()));
    }
    line.insert("mode".to_owned(), Value::from(data.mode.as_str()));
    line.insert("last_price".to_owned(), price(data.last_price));
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            line.insert(name.to_owned(), value);
        }
    };
    put("last_quantity", data.last_quantity.map(Value::from));
    put("average_price", data.average_price.map(price));
    put("volume", data.volume.map(Value::from));
    put(
        "total_buy_quantity",
        data.total_buy_quantity.map(Value::from),
    );
    put(
        "total_sell_quantity",
        data.total_sell_quantity.map(Value::from),
    );
    if let Some(ohlc) = data.ohlc {
        put("open", Some(price(ohlc.open)));
        put("high", Some(price(ohlc.high)));
        put("low", Some(price(ohlc.low)));
        put("close", Some(price(ohlc.close)));
    }
    put("oi", data.open_interest.map(Value::from));
    put("oi_day_high", data.oi_day_high.map(Value::from));
    put("oi_day_low", data.oi_day_low.map(Value::from));
    put("last_trade_time", data.last_trade_time.map(timestamp));
    put("exchange_timestamp", data.exchange_time.map(timestamp));
    put(
        "depth",
        data.depth
            .as_ref()
            .map(|d| json!({"buy": levels(&d.bids), "sell": levels(&d.asks)})),
    );
    put(
        "greeks",
        data.greeks.map(|g| {
            json!({"delta": g.delta, "theta": g.theta, "gamma": g.gamma, "vega": g.vega, "rho": g.rho})
        }),
    );
    put("iv", data.implied_volatility.map(Value::from));
    Value::Object(line)
}

/// Any feed event, as `tt stream` prints it: ticks in [`tick_line`]'s shape with
/// `"event":"tick"`, the rest named by `event`.
pub(crate) fn event_line(event: &FeedEvent) -> Value {
    let mut line = match event {
        FeedEvent::Tick(tick) => tick_line(&tick.token, Some(&tick.instrument), &tick.data),
        FeedEvent::OrderUpdate(update) => json!({
            "order_id": update.record.id.as_str(),
            "status": update.record.status.raw,
            "state": update.record.status.state.to_string(),
            "instrument": update
                .order
                .as_ref()
                .and_then(|o| o.instrument.as_ref())
                .map(ToString::to_string),
            "symbol": update.record.symbol,
            "exchange": update.record.exchange,
            "quantity": update.record.quantity,
            "filled_quantity": update.record.filled_quantity,
            "price": update.record.price.map(price),
            "average_price": update.order.as_ref().and_then(|o| o.average_price).map(price),
            "tag": update.record.tag,
            "status_message": update.record.status_message,
        }),
        FeedEvent::PositionUpdate(position) => json!({
            "instrument": position.instrument.as_ref().map(ToString::to_string),
            "token": position.broker_token.token,
            "product": position.product.to_string(),
            "quantity": position.quantity,
            "average_price": price(position.average_price),
            "last_price": price(position.last_price),
            "pnl": position.pnl.to_f64(),
        }),
        FeedEvent::Connected { connection } => json!({"connection": connection.to_string()}),
        FeedEvent::Reconnecting {
            connection,
            attempt,
            reason,
        } => json!({
            "connection": connection.to_string(),
            "attempt": attempt,
            "reason": reason.to_string(),
        }),
        FeedEvent::Stalled {
            connection,
            silent_for,
        } => json!({
            "connection": connection.to_string(),
            "silent_ms": u64::try_from(silent_for.as_millis()).unwrap_or(u64::MAX),
        }),
        FeedEvent::MarketStatus(statuses) => json!({
            "segments": statuses.iter().map(|s| json!({
                "exchange": s.segment.exchange.to_string(),
                "index": s.segment.index,
                "phase": phase_name(s.phase),
            })).collect::<Vec<_>>(),
        }),
        FeedEvent::Message(text) => json!({"message": text}),
        FeedEvent::Lagged { dropped } => json!({"dropped": dropped}),
        FeedEvent::Error(error) => json!({"error": error.to_string()}),
        FeedEvent::Closed { reason } => json!({
            "reason": reason.to_string(),
            "session_expired": matches!(reason, CloseReason::SessionExpired { .. }),
        }),
        other => json!({"debug": format!("{other:?}")}),
    };
    if let Value::Object(fields) = &mut line {
        fields.insert("event".to_owned(), Value::from(event_name(event)));
    }
    line
}

fn event_name(event: &FeedEvent) -> &'static str {
    match event {
        FeedEvent::Tick(_) => "tick",
        FeedEvent::OrderUpdate(_) => "order_update",
        FeedEvent::PositionUpdate(_) => "position_update",
        FeedEvent::Connected { .. } => "connected",
        FeedEvent::Reconnecting { .. } => "reconnecting",
        FeedEvent::Stalled { .. } => "stalled",
        FeedEvent::MarketStatus(_) => "market_status",
        FeedEvent::Message(_) => "message",
        FeedEvent::Lagged { .. } => "lagged",
        FeedEvent::Error(_) => "error",
        FeedEvent::Closed { .. } => "closed",
        _ => "other",
    }
}

fn phase_name(phase: MarketPhase) -> &'static str {
    match phase {
        MarketPhase::PreOpenStart => "pre_open_start",
        MarketPhase::PreOpenEnd => "pre_open_end",
        MarketPhase::NormalOpen => "normal_open",
        MarketPhase::NormalClose => "normal_close",
        MarketPhase::ClosingStart => "closing_start",
        MarketPhase::ClosingEnd => "closing_end",
        _ => "other",
    }
}

fn levels(side: &DepthSide) -> Value {
    Value::Array(
        side.iter()
            .map(|l| json!({"price": price(l.price), "quantity": l.quantity, "orders": l.orders}))
            .collect(),
    )
}

/// A price as a JSON number in rupees: the double nearest the exact decimal, which prints back
/// as that decimal.
fn price(price: Price) -> Value {
    Value::from(price.to_f64())
}

fn timestamp(at: OffsetDateTime) -> Value {
    at.to_offset(IST)
        .format(&Rfc3339)
        .map(Value::from)
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tt_core::{OrderId, OrderRecord, OrderState, OrderStatus};

    use super::*;

    fn update_in(state: OrderState, raw: &str) -> FeedEvent {
        let record = OrderRecord {
            id: OrderId::new("260101000000001").unwrap(),
            tag: None,
            status: OrderStatus::new(state, raw),
            status_message: None,
            exchange: "NSE".to_owned(),
            symbol: "INFY".to_owned(),
            token: None,
            order_type: None,
            validity: None,
            quantity: 1,
            filled_quantity: 0,
            price: None,
            trigger_price: None,
            placed_at: None,
        };
        FeedEvent::order_update("zerodha", Ok(record), None)
    }

    #[test]
    fn an_order_update_names_its_state_in_snake_case_beside_the_brokers_status() {
        for (state, raw, name) in [
            (
                OrderState::TriggerPending,
                "TRIGGER PENDING",
                "trigger_pending",
            ),
            (
                OrderState::ModifyPending,
                "MODIFY PENDING",
                "modify_pending",
            ),
            (OrderState::Complete, "COMPLETE", "complete"),
        ] {
            let line = event_line(&update_in(state, raw));
            assert_eq!(line["event"], "order_update", "{line}");
            assert_eq!(line["state"], name, "{line}");
            assert_eq!(line["status"], raw, "{line}");
        }
    }
}
