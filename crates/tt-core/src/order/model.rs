//! The order and trade records a broker reports, in canonical form.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{OrderId, OrderStatus, OrderType, ProductType, Side, TradeId, Validity};
use crate::{BrokerToken, Instrument, Price};

/// An order as the broker reports it (one entry of the order book, or one step of an order's
/// history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The broker's order id.
    pub id: OrderId,
    /// The exchange's order id, once the order reached the exchange.
    pub exchange_order_id: Option<String>,
    /// The canonical instrument; `None` when the instrument master does not know the broker's
    /// token (a contract listed after the master was built, say): see `broker_token`.
    pub instrument: Option<Instrument>,
    /// The broker's own identifiers for the instrument (its token, and where it has them its
    /// trading symbol and exchange code), whether or not the master knows them.
    pub broker_token: BrokerToken,
    /// Buy or sell.
    pub side: Side,
    /// The order type.
    pub order_type: OrderType,
    /// The product.
    pub product: ProductType,
    /// The validity.
    pub validity: Validity,
    /// The ordered quantity.
    pub quantity: u32,
    /// The quantity filled so far.
    pub filled_quantity: u32,
    /// The quantity still open.
    pub pending_quantity: u32,
    /// The quantity cancelled.
    pub cancelled_quantity: u32,
    /// The quantity shown on the exchange's book.
    pub disclosed_quantity: u32,
    /// The limit price (LIMIT and SL orders).
    pub price: Option<Price>,
    /// The trigger price (SL and SL-M orders).
    pub trigger_price: Option<Price>,
    /// The average fill price, once anything filled.
    pub average_price: Option<Price>,
    /// The status: canonical state and the broker's text.
    pub status: OrderStatus,
    /// The broker's or exchange's explanation (a rejection reason, say).
    pub status_message: Option<String>,
    /// The tag the order was placed with, as the broker reports it (tt-connect's own tags are
    /// [`crate::ClientTag`]s; orders placed elsewhere may carry any text).
    pub tag: Option<String>,
    /// True for an after-market order.
    pub after_market: bool,
    /// When the broker accepted the order.
    #[serde(with = "time::serde::rfc3339::option")]
    pub placed_at: Option<OffsetDateTime>,
    /// The exchange's last update to the order.
    #[serde(with = "time::serde::rfc3339::option")]
    pub exchange_updated_at: Option<OffsetDateTime>,
}

/// One fill of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// The exchange's trade id.
    pub id: TradeId,
    /// The order this fill belongs to.
    pub order_id: OrderId,
    /// The exchange's order id.
    pub exchange_order_id: Option<String>,
    /// The canonical instrument; `None` when the instrument master does not know the broker's
    /// token (a contract listed after the master was built, say): see `broker_token`.
    pub instrument: Option<Instrument>,
    /// The broker's own identifiers for the instrument (its token, and where it has them its
    /// trading symbol and exchange code), whether or not the master knows them.
    pub broker_token: BrokerToken,
    /// Buy or sell.
    pub side: Side,
    /// The product.
    pub product: ProductType,
    /// The quantity filled.
    pub quantity: u32,
    /// The fill price.
    pub price: Price,
    /// When the exchange filled it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub filled_at: Option<OffsetDateTime>,
}
