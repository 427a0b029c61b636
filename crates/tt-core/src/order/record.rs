//! An order as the broker's own order book lists it, without the instrument master: what
//! reconciliation reads, so that no order can hide behind an instrument the master lacks.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Order, OrderId, OrderStatus, OrderType, Validity};
use crate::Price;

/// One entry of the broker's order book (or one step of an order's history) in the broker's
/// own terms for the contract: its symbol and token, not a canonical instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The broker's order id.
    pub id: OrderId,
    /// The tag the order carries, as the broker reports it.
    pub tag: Option<String>,
    /// The status: canonical state and the broker's text.
    pub status: OrderStatus,
    /// The broker's or exchange's explanation (a rejection reason, say).
    pub status_message: Option<String>,
    /// The exchange, in the broker's spelling.
    pub exchange: String,
    /// The broker's trading symbol.
    pub symbol: String,
    /// The broker's instrument token, when it reports one.
    pub token: Option<String>,
    /// The order type, where the broker's text is one tt-connect knows.
    pub order_type: Option<OrderType>,
    /// The validity, where the broker's text is one tt-connect knows.
    pub validity: Option<Validity>,
    /// The ordered quantity.
    pub quantity: u32,
    /// The quantity filled so far.
    pub filled_quantity: u32,
    /// The limit price (LIMIT and SL orders).
    pub price: Option<Price>,
    /// The trigger price (SL and SL-M orders).
    pub trigger_price: Option<Price>,
    /// When the broker accepted the order.
    #[serde(with = "time::serde::rfc3339::option")]
    pub placed_at: Option<OffsetDateTime>,
}

impl From<Order> for OrderRecord {
    /// The record of a canonical order (for brokers whose order book is read through the
    /// master anyway): the canonical instrument's text stands for the symbol where the order
    /// has one, else the broker's own symbol.
    fn from(order: Order) -> Self {
        let token = order.broker_token;
        let (exchange, symbol) = match &order.instrument {
            Some(instrument) => (instrument.exchange().to_string(), instrument.to_string()),
            None => (
                token.exchange.unwrap_or_default(),
                token.symbol.unwrap_or_else(|| token.token.clone()),
            ),
        };
        OrderRecord {
            id: order.id,
            tag: order.tag,
            status: order.status,
            status_message: order.status_message,
            exchange,
            symbol,
            token: Some(token.token),
            order_type: Some(order.order_type),
            validity: Some(order.validity),
            quantity: order.quantity,
            filled_quantity: order.filled_quantity,
            price: order.price,
            trigger_price: order.trigger_price,
            placed_at: order.placed_at,
        }
    }
}
