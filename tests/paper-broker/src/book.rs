//! The paper account's state: prices, orders with their history, fills, cash and subscribers.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;
use tt_connect::{
    Amount, BrokerToken, CloseReason, Error, FeedEvent, Holding, Instrument, Order, OrderId,
    OrderModification, OrderRecord, OrderRequest, OrderState, OrderStatus, OrderType, OrderUpdate,
    Position, Price, ProductType, Result, Side, StreamMode, Tick, TickData, Trade, TradeId,
    Validity,
};

use crate::NAME;

/// Quantities and values bought and sold in one instrument and product.
#[derive(Debug, Default)]
struct Fills {
    bought: u64,
    buy_value: Amount,
    sold: u64,
    sell_value: Amount,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    instruments: HashSet<Instrument>,
    order_updates: bool,
    events: UnboundedSender<FeedEvent>,
}

#[derive(Debug)]
pub(crate) struct Book {
    opening_cash: Amount,
    cash: Amount,
    prices: HashMap<Instrument, Price>,
    /// Every order's states, oldest first; the last is the current one.
    orders: Vec<Vec<Order>>,
    trades: Vec<Trade>,
    fills: HashMap<(Instrument, ProductType), Fills>,
    holdings: Vec<Holding>,
    next_id: u64,
    subscribers: Vec<Subscriber>,
    next_subscriber: u64,
}

impl Book {
    pub(crate) fn new(cash: Amount, holdings: Vec<Holding>) -> Self {
        Book {
            opening_cash: cash,
            cash,
            prices: HashMap::new(),
            orders: Vec::new(),
            trades: Vec::new(),
            fills: HashMap::new(),
            holdings,
            next_id: 0,
            subscribers: Vec::new(),
            next_subscriber: 0,
        }
    }

    pub(crate) fn opening_cash(&self) -> Amount {
        self.opening_cash
    }

    /// Cash held back for open buy orders.
    pub(crate) fn blocked_cash(&self) -> Amount {
        self.orders
            .iter()
            .filter_map(|history| history.last())
            .filter(|o| o.side == Side::Buy && o.status.state == OrderState::Open)
            .filter_map(|o| o.price.map(|p| p * o.pending_quantity))
            .sum()
    }

    pub(crate) fn available_cash(&self) -> Amount {
        self.cash - self.blocked_cash()
    }

    pub(crate) fn set_price(&mut self, instrument: &Instrument, price: Price) {
        self.prices.insert(instrument.clone(), price);
        self.publish(instrument, FeedEvent::Tick(ltp_tick(instrument, price)));
        let resting: Vec<usize> = (0..self.orders.len())
            .filter(|&i| {
                self.current(i).is_some_and(|o| {
                    o.instrument.as_ref() == Some(instrument) && o.status.state == OrderState::Open
                })
            })
            .collect();
        for index in resting {
            self.fill_if_marketable(index);
        }
    }

    /// A new subscriber watching nothing yet; it gets order updates if asked.
    pub(crate) fn add_subscriber(
        &mut self,
        events: UnboundedSender<FeedEvent>,
        order_updates: bool,
    ) -> u64 {
        self.next_subscriber += 1;
        self.subscribers.push(Subscriber {
            id: self.next_subscriber,
            instruments: HashSet::new(),
            order_updates,
            events,
        });
        self.next_subscriber
    }

    /// Adds instruments to what a subscriber watches, sending each new one's current price.
    pub(crate) fn watch(&mut self, id: u64, instruments: &[Instrument]) {
        let prices = &self.prices;
        if let Some(subscriber) = self.subscribers.iter_mut().find(|s| s.id == id) {
            for instrument in instruments {
                if subscriber.instruments.insert(instrument.clone())
                    && let Some(&price) = prices.get(instrument)
                {
                    let _ = subscriber
                        .events
                        .send(FeedEvent::Tick(ltp_tick(instrument, price)));
                }
            }
        }
    }

    pub(crate) fn unwatch(&mut self, id: u64, instruments: &[Instrument]) {
        if let Some(subscriber) = self.subscribers.iter_mut().find(|s| s.id == id) {
            for instrument in instruments {
                subscriber.instruments.remove(instrument);
            }
        }
    }

    pub(crate) fn watched(&self, id: u64) -> Vec<Instrument> {
        self.subscribers
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.instruments.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Ends a subscriber's feed with `Closed` (requested).
    pub(crate) fn close_subscriber(&mut self, id: u64) {
        self.subscribers.retain(|s| {
            if s.id == id {
                let _ = s.events.send(FeedEvent::Closed {
                    reason: CloseReason::Requested,
                });
            }
            s.id != id
        });
    }

    pub(crate) fn place(&mut self, request: &OrderRequest) -> Result<OrderId> {
        let instrument = request.instrument();
        let market_price = self.prices.get(instrument).copied();
        let price_for_value = match (request.order_type(), request.price(), market_price) {
            (OrderType::Limit, Some(limit), _) => limit,
            (_, _, Some(last)) => last,
            _ => {
                return Err(Error::Order {
                    broker: NAME,
                    code: None,
                    message: format!("no market price for {instrument} yet"),
                });
            }
        };
        if request.side() == Side::Buy {
            let value = price_for_value * request.quantity();
            let available = self.available_cash();
            if value > available {
                return Err(Error::InsufficientFunds {
                    broker: NAME,
                    message: format!("order value {value} exceeds available cash {available}"),
                });
            }
        }
        self.next_id += 1;
        let id = order_id(self.next_id)?;
        let now = OffsetDateTime::now_utc();
        let received = Order {
            id: id.clone(),
            exchange_order_id: None,
            instrument: Some(instrument.clone()),
            broker_token: paper_token(instrument),
            side: request.side(),
            order_type: request.order_type(),
            product: request.product(),
            validity: request.validity(),
            quantity: request.quantity(),
            filled_quantity: 0,
            pending_quantity: request.quantity(),
            cancelled_quantity: 0,
            disclosed_quantity: request.disclosed_quantity().unwrap_or(0),
            price: request.price(),
            trigger_price: request.trigger_price(),
            average_price: None,
            status: OrderStatus::new(OrderState::Pending, "PUT ORDER REQ RECEIVED"),
            status_message: None,
            tag: Some(request.tag().as_str().to_owned()),
            after_market: request.after_market(),
            placed_at: Some(now),
            exchange_updated_at: None,
        };
        let mut open = received.clone();
        open.exchange_order_id = Some(format!("X{}", id.as_str()));
        open.status = OrderStatus::new(OrderState::Open, "OPEN");
        open.exchange_updated_at = Some(now);
        self.orders.push(vec![received, open]);
        let index = self.orders.len() - 1;
        self.fill_if_marketable(index);
        if let Some(current) = self.current(index)
            && current.status.state == OrderState::Open
        {
            if current.validity == Validity::Ioc {
                self.close(index, OrderState::Cancelled, "CANCELLED");
            } else {
                let update = current.clone();
                self.publish_order(update);
            }
        }
        Ok(id)
    }

    pub(crate) fn modify(&mut self, id: &OrderId, change: &OrderModification) -> Result<OrderId> {
        let index = self.open_order(id, "modified")?;
        let mut next = self.orders[index]
            .last()
            .cloned()
            .ok_or_else(|| not_found(id))?;
        if let Some(order_type) = change.new_order_type() {
            next.order_type = order_type;
            if order_type == OrderType::Market {
                next.price = None;
            }
        }
        if let Some(price) = change.new_price() {
            next.price = Some(price);
        }
        if let Some(quantity) = change.new_quantity() {
            next.quantity = quantity;
            next.pending_quantity = quantity;
        }
        if let Some(validity) = change.new_validity() {
            next.validity = validity;
        }
        if next.order_type == OrderType::Limit && next.price.is_none() {
            return Err(Error::Order {
                broker: NAME,
                code: None,
                message: format!("order {id} would be a LIMIT order without a price"),
            });
        }
        if next.side == Side::Buy {
            let current = self.orders[index].last();
            let held = current
                .and_then(|o| o.price.map(|p| p * o.pending_quantity))
                .unwrap_or(Amount::ZERO);
            let price = next.price.or_else(|| {
                next.instrument
                    .as_ref()
                    .and_then(|i| self.prices.get(i))
                    .copied()
            });
            let needed = price.map_or(Amount::ZERO, |p| p * next.pending_quantity);
            let available = self.available_cash() + held;
            if needed > available {
                return Err(Error::InsufficientFunds {
                    broker: NAME,
                    message: format!("order value {needed} exceeds available cash {available}"),
                });
            }
        }
        next.status = OrderStatus::new(OrderState::Open, "OPEN");
        next.exchange_updated_at = Some(OffsetDateTime::now_utc());
        self.orders[index].push(next.clone());
        self.fill_if_marketable(index);
        if self
            .current(index)
            .is_some_and(|o| o.status.state == OrderState::Open)
        {
            self.publish_order(next);
        }
        Ok(id.clone())
    }

    pub(crate) fn cancel(&mut self, id: &OrderId) -> Result<OrderId> {
        let index = self.open_order(id, "cancelled")?;
        self.close(index, OrderState::Cancelled, "CANCELLED");
        Ok(id.clone())
    }

    pub(crate) fn orders(&self) -> Vec<Order> {
        self.orders
            .iter()
            .filter_map(|h| h.last().cloned())
            .collect()
    }

    pub(crate) fn history(&self, id: &OrderId) -> Result<Vec<Order>> {
        self.orders
            .iter()
            .find(|h| h.first().is_some_and(|o| &o.id == id))
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    pub(crate) fn trades(&self, of_order: Option<&OrderId>) -> Vec<Trade> {
        self.trades
            .iter()
            .filter(|t| of_order.is_none_or(|id| &t.order_id == id))
            .cloned()
            .collect()
    }

    pub(crate) fn quotes(&self, instruments: &[Instrument]) -> Vec<Tick> {
        instruments
            .iter()
            .filter_map(|i| self.prices.get(i).map(|&p| ltp_tick(i, p)))
            .collect()
    }

    pub(crate) fn holdings(&self) -> Vec<Holding> {
        self.holdings
            .iter()
            .map(|h| {
                let mut h = h.clone();
                if let Some(&last) = h.instrument.as_ref().and_then(|i| self.prices.get(i)) {
                    h.last_price = last;
                    h.pnl = last * h.quantity - h.average_price * h.quantity;
                }
                h
            })
            .collect()
    }

    pub(crate) fn positions(&self) -> Vec<Position> {
        let mut positions: Vec<Position> = self
            .fills
            .iter()
            .map(|((instrument, product), fills)| {
                let quantity = signed(fills.bought) - signed(fills.sold);
                let average_price = match quantity {
                    q if q > 0 => average(fills.buy_value, fills.bought),
                    q if q < 0 => average(fills.sell_value, fills.sold),
                    _ => Price::ZERO,
                };
                let last_price = self
                    .prices
                    .get(instrument)
                    .copied()
                    .unwrap_or(average_price);
                let pnl = fills.sell_value - fills.buy_value + last_price * quantity;
                let unrealised = last_price * quantity - average_price * quantity;
                Position {
                    instrument: Some(instrument.clone()),
                    broker_token: paper_token(instrument),
                    product: *product,
                    quantity,
                    overnight_quantity: 0,
                    multiplier: 1,
                    average_price,
                    last_price,
                    close_price: None,
                    pnl,
                    realised: pnl - unrealised,
                    unrealised,
                    buy_quantity: fills.bought,
                    buy_value: fills.buy_value,
                    sell_quantity: fills.sold,
                    sell_value: fills.sell_value,
                }
            })
            .collect();
        positions.sort_by(|a, b| a.instrument.cmp(&b.instrument));
        positions
    }

    fn current(&self, index: usize) -> Option<&Order> {
        self.orders.get(index).and_then(|h| h.last())
    }

    /// The index of an order that is still open, or why it cannot be `action`.
    fn open_order(&self, id: &OrderId, action: &str) -> Result<usize> {
        let index = self
            .orders
            .iter()
            .position(|h| h.first().is_some_and(|o| &o.id == id))
            .ok_or_else(|| not_found(id))?;
        match self.current(index) {
            Some(order) if order.status.state == OrderState::Open => Ok(index),
            Some(order) => Err(Error::Order {
                broker: NAME,
                code: None,
                message: format!(
                    "order {id} is {} and cannot be {action}",
                    order.status.state
                ),
            }),
            None => Err(not_found(id)),
        }
    }

    fn fill_if_marketable(&mut self, index: usize) {
        let Some(order) = self.current(index) else {
            return;
        };
        let Some(instrument) = order.instrument.clone() else {
            return;
        };
        let Some(&last) = self.prices.get(&instrument) else {
            return;
        };
        let marketable = match (order.order_type, order.price, order.side) {
            (OrderType::Market, _, _) => true,
            (_, Some(limit), Side::Buy) => last <= limit,
            (_, Some(limit), Side::Sell) => last >= limit,
            _ => false,
        };
        if !marketable {
            return;
        }
        let mut filled = order.clone();
        let quantity = filled.pending_quantity;
        filled.filled_quantity += quantity;
        filled.pending_quantity = 0;
        filled.average_price = Some(last);
        filled.status = OrderStatus::new(OrderState::Complete, "COMPLETE");
        let now = OffsetDateTime::now_utc();
        filled.exchange_updated_at = Some(now);
        let value = last * quantity;
        let entry = self.fills.entry((instrument, filled.product)).or_default();
        match filled.side {
            Side::Buy => {
                entry.bought += u64::from(quantity);
                entry.buy_value += value;
                self.cash -= value;
            }
            Side::Sell => {
                entry.sold += u64::from(quantity);
                entry.sell_value += value;
                self.cash += value;
            }
        }
        if let Ok(trade_id) = TradeId::new(format!("T{:012}", self.trades.len() + 1)) {
            self.trades.push(Trade {
                id: trade_id,
                order_id: filled.id.clone(),
                exchange_order_id: filled.exchange_order_id.clone(),
                instrument: filled.instrument.clone(),
                broker_token: filled.broker_token.clone(),
                side: filled.side,
                product: filled.product,
                quantity,
                price: last,
                filled_at: Some(now),
            });
        }
        self.orders[index].push(filled.clone());
        self.publish_order(filled);
    }

    fn close(&mut self, index: usize, state: OrderState, raw: &str) {
        let Some(order) = self.current(index) else {
            return;
        };
        let mut closed = order.clone();
        closed.cancelled_quantity = closed.pending_quantity;
        closed.pending_quantity = 0;
        closed.status = OrderStatus::new(state, raw);
        closed.exchange_updated_at = Some(OffsetDateTime::now_utc());
        self.orders[index].push(closed.clone());
        self.publish_order(closed);
    }

    fn publish(&mut self, instrument: &Instrument, event: FeedEvent) {
        self.subscribers.retain(|s| {
            !s.instruments.contains(instrument) || s.events.send(event.clone()).is_ok()
        });
    }

    fn publish_order(&mut self, order: Order) {
        let event = FeedEvent::OrderUpdate(Box::new(OrderUpdate {
            record: OrderRecord::from(order.clone()),
            order: Some(order),
        }));
        self.subscribers
            .retain(|s| !s.order_updates || s.events.send(event.clone()).is_ok());
    }
}

fn ltp_tick(instrument: &Instrument, price: Price) -> Tick {
    // The paper market has no tokens of its own: an instrument's token is its canonical text.
    let token = std::sync::Arc::from(instrument.to_string());
    Tick::new(
        instrument.clone(),
        token,
        TickData::new(StreamMode::Ltp, price),
    )
}

fn order_id(sequence: u64) -> Result<OrderId> {
    OrderId::new(format!("P{sequence:012}")).map_err(|e| Error::Config(e.to_string()))
}

fn not_found(id: &OrderId) -> Error {
    Error::OrderNotFound {
        broker: NAME,
        order_id: id.clone(),
    }
}

fn signed(quantity: u64) -> i64 {
    i64::try_from(quantity).unwrap_or(i64::MAX)
}

/// The average price of `value` spread over `quantity` units, truncated at eight places.
fn average(value: Amount, quantity: u64) -> Price {
    if quantity == 0 {
        return Price::ZERO;
    }
    i64::try_from(value.mantissa() / i128::from(quantity))
        .ok()
        .and_then(Price::from_mantissa)
        .unwrap_or(Price::ZERO)
}

/// The paper broker's own identifiers for an instrument: its canonical text, as its token.
fn paper_token(instrument: &Instrument) -> BrokerToken {
    BrokerToken {
        token: instrument.to_string(),
        symbol: None,
        exchange: None,
    }
}
