//! The order book against the simulated market: placing, modifying and cancelling orders, and
//! filling them as prices move.
//!
//! - A market order fills at once, in full, at the last price.
//! - A limit order fills at once at the last price when marketable (a buy at or above it, a
//!   sell at or below it); otherwise it rests and fills at its limit price when the price moves
//!   through it. An IOC limit that is not marketable is cancelled.
//! - A stop-loss waits in `TRIGGER PENDING` until its trigger trades (a buy when the price rises
//!   to it, a sell when it falls to it), then works as a market (SL-M) or limit (SL) order. A
//!   stop-loss whose trigger has already traded when it arrives is rejected, as exchanges do.
//! - An after-market order waits in `AMO REQ RECEIVED` until the market opens.
//!
//! The book checks what the broker's risk system checks: funds for what an order opens, and
//! holdings for a delivery sale. As at the brokers, an order short of either is accepted (its
//! id returned) and then rejected in the book (`PUT ORDER REQ RECEIVED`, `VALIDATION PENDING`,
//! `REJECTED`, with the broker's wording of the shortfall), already when the next read comes;
//! with [`SimConfig::reject_synchronously`](crate::SimConfig::reject_synchronously) the
//! placement itself is refused instead. A modification short of funds or holdings is always
//! refused synchronously.

use time::OffsetDateTime;
use tt_core::{Amount, Instrument, OrderType, Price, ProductType, Side};

use crate::account::margin::{self, FundSegment};
use crate::account::order::{OrderRecord, OrderState, Status, Terms, Validity, Variety};
use crate::account::{Account, PositionRecord, TradeRecord, exchange_order_id};
use crate::market::Market;
use crate::stamp;
use crate::universe::{InstrumentRef, Listing, Universe};

/// An order a client asked for, its terms already validated against the instrument.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub(crate) instrument: InstrumentRef,
    pub(crate) variety: Variety,
    pub(crate) side: Side,
    pub(crate) product: ProductType,
    pub(crate) terms: Terms,
    pub(crate) market_protection: i32,
    pub(crate) tag: Option<String>,
}

/// What a change to an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Modify,
    Cancel,
}

/// Why the book refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No order has this id.
    UnknownOrder,
    /// The order is of another variety than the request's path says.
    WrongVariety { actual: Variety },
    /// The order no longer rests in the book.
    NotOpen { status: Status, action: Action },
    /// The order needs more than the segment has available.
    InsufficientFunds { required: Amount, available: Amount },
    /// A delivery sale of more than is held.
    InsufficientHoldings {
        tradingsymbol: String,
        available: u64,
        requested: u64,
    },
    /// A modified stop-loss's trigger has already traded.
    TriggerAlreadyCrossed { side: Side },
}

/// How a broker's order book words a rejection: `status_message` and `status_message_raw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RejectionText {
    /// What the order's `status_message` says.
    pub(crate) message: String,
    /// What its `status_message_raw` says (the risk system's own text).
    pub(crate) raw: String,
}

/// A broker's wording of a placement's shortfall ([`Refusal::InsufficientFunds`] or
/// [`Refusal::InsufficientHoldings`]) for the account of the user id given.
pub(crate) type Wording = fn(&Refusal, &str) -> RejectionText;

/// One broker's book, open on its account and the market for one request.
pub(crate) struct Book<'a> {
    pub(crate) account: &'a mut Account,
    pub(crate) market: &'a mut Market,
    pub(crate) universe: &'a Universe,
    pub(crate) now: OffsetDateTime,
    pub(crate) user_id: &'a str,
    /// Refuse a placement short of funds or holdings instead of accepting and rejecting it.
    pub(crate) reject_synchronously: bool,
}

/// True when a stop-loss on `side` with `trigger` is triggered by a trade at `last`.
fn trigger_crossed(side: Side, last: Price, trigger: Price) -> bool {
    match side {
        Side::Buy => last >= trigger,
        Side::Sell => last <= trigger,
    }
}

/// True when a limit order on `side` at `limit` can trade at `last`.
fn marketable(side: Side, last: Price, limit: Price) -> bool {
    match side {
        Side::Buy => last <= limit,
        Side::Sell => last >= limit,
    }
}

/// Kite's reason for rejecting a stop-loss whose trigger has already traded.
pub(crate) fn crossed_trigger_message(side: Side) -> &'static str {
    match side {
        Side::Buy => {
            "Trigger price for stoploss buy orders should be higher than the last traded price."
        }
        Side::Sell => {
            "Trigger price for stoploss sell orders should be lower than the last traded price."
        }
    }
}

impl Book<'_> {
    fn listing(&self, instrument: &InstrumentRef) -> Option<&Listing> {
        self.universe.by_instrument(&instrument.instrument)
    }

    fn last_price(&self, instrument: &InstrumentRef) -> Option<Price> {
        self.listing(instrument).map(|l| self.market.last_price(l))
    }

    fn now_text(&self) -> String {
        stamp::ist_timestamp(self.now)
    }

    /// What a segment has available for new orders.
    pub(crate) fn available(&self, segment: FundSegment) -> Amount {
        let last = |i: &InstrumentRef| self.last_price(i);
        margin::available(self.account, segment, &last)
    }

    /// What an order on these terms needs beyond what it closes of the current position.
    fn requirement(
        &self,
        instrument: &InstrumentRef,
        product: ProductType,
        side: Side,
        terms: &Terms,
        unfilled: u32,
    ) -> Amount {
        let net = self
            .account
            .position(&instrument.instrument, product)
            .map_or(0, PositionRecord::net);
        let units = margin::opening_units(net, side, u64::from(unfilled));
        let price = if terms.price.is_positive() {
            terms.price
        } else if terms.trigger_price.is_positive() {
            terms.trigger_price
        } else {
            self.last_price(instrument).unwrap_or(Price::ZERO)
        };
        margin::requirement(instrument, product, side, units, price).debits()
    }

    /// Units of `instrument` that can still be sold from holdings: held, less what open
    /// delivery sells already promise, plus `returning` units of an order being modified.
    fn sellable(&self, instrument: &Instrument, returning: u32) -> u64 {
        let held = self.account.holding(instrument).map_or(0, |h| h.total());
        let promised: u64 = self
            .account
            .orders
            .iter()
            .filter(|o| {
                o.is_open()
                    && o.current.instrument.instrument == *instrument
                    && o.current.product == ProductType::Cnc
                    && o.current.side == Side::Sell
            })
            .map(|o| u64::from(o.current.pending_quantity))
            .sum();
        (held + u64::from(returning)).saturating_sub(promised)
    }

    /// What a new order is short of: holdings for a delivery sale, else funds.
    fn shortfall(&self, order: &NewOrder) -> Option<Refusal> {
        if order.product == ProductType::Cnc && order.side == Side::Sell {
            let available = self.sellable(&order.instrument.instrument, 0);
            if u64::from(order.terms.quantity) > available {
                return Some(Refusal::InsufficientHoldings {
                    tradingsymbol: order.instrument.tradingsymbol.clone(),
                    available,
                    requested: u64::from(order.terms.quantity),
                });
            }
        }
        let required = self.requirement(
            &order.instrument,
            order.product,
            order.side,
            &order.terms,
            order.terms.quantity,
        );
        let available = self.available(FundSegment::of(order.instrument.exchange));
        (required.mantissa() > 0 && required > available).then_some(Refusal::InsufficientFunds {
            required,
            available,
        })
    }

    /// Accepts an order into the book; one short of funds or holdings is then rejected, worded
    /// by `wording`, or (synchronous rejection) refused.
    pub(crate) fn place(&mut self, order: NewOrder, wording: Wording) -> Result<String, Refusal> {
        self.expire_lapsed();
        let shortfall = self.shortfall(&order);
        if let Some(refusal) = shortfall.clone().filter(|_| self.reject_synchronously) {
            return Err(refusal);
        }

        let order_id = self.account.issue_order_id(self.now);
        let first = match order.variety {
            Variety::Regular => Status::PutOrderReqReceived,
            Variety::Amo => Status::AmoReqReceived,
        };
        let state = OrderState {
            order_id: order_id.clone(),
            exchange_order_id: None,
            status: first,
            status_message: None,
            status_message_raw: None,
            order_timestamp: self.now_text(),
            exchange_timestamp: None,
            exchange_update_timestamp: None,
            variety: order.variety,
            modified: false,
            instrument: order.instrument,
            side: order.side,
            product: order.product,
            pending_quantity: order.terms.quantity,
            terms: order.terms,
            average_price: Price::ZERO,
            filled_quantity: 0,
            cancelled_quantity: 0,
            market_protection: order.market_protection,
            tag: order.tag,
            placed_by: self.user_id.to_owned(),
        };
        let expires_unix = self.ttl_deadline(&state.terms);
        let index = self.account.orders.push(OrderRecord {
            history: vec![state.clone()],
            current: state,
            triggered: false,
            expires_unix,
        });
        if let Some(refusal) = shortfall {
            let text = wording(&refusal, self.user_id);
            if let Some(order) = self.account.orders.get_mut(index) {
                order.transition(Status::ValidationPending);
                order.current.status_message = Some(text.message);
                order.current.status_message_raw = Some(text.raw);
                order.current.pending_quantity = 0;
                order.transition(Status::Rejected);
            }
            return Ok(order_id);
        }
        if order.variety == Variety::Regular {
            self.validate_and_send(index);
        }
        Ok(order_id)
    }

    fn ttl_deadline(&self, terms: &Terms) -> Option<i64> {
        (terms.validity == Validity::Ttl)
            .then(|| self.now.unix_timestamp() + i64::from(terms.validity_ttl) * 60)
    }

    /// The risk checks pass and the order goes to the exchange.
    fn validate_and_send(&mut self, index: usize) {
        if let Some(order) = self.account.orders.get_mut(index) {
            order.transition(Status::ValidationPending);
            order.transition(Status::OpenPending);
        }
        self.arrive(index, true);
    }

    /// The order reaches the exchange (placed, released or modified): it triggers, rests,
    /// fills, is cancelled (IOC) or, for a new stop-loss already crossed, rejected.
    fn arrive(&mut self, index: usize, new: bool) {
        let Some(order) = self.account.orders.get(index) else {
            return;
        };
        let state = &order.current;
        let (side, terms, triggered) = (state.side, state.terms.clone(), order.triggered);
        let Some(last) = self.last_price(&state.instrument) else {
            return;
        };
        let now = self.now_text();
        let stop = matches!(
            terms.order_type,
            OrderType::StopLoss | OrderType::StopLossMarket
        );
        let Some(order) = self.account.orders.get_mut(index) else {
            return;
        };
        if stop && !triggered {
            if new && trigger_crossed(side, last, terms.trigger_price) {
                order.current.status_message = Some(crossed_trigger_message(side).to_owned());
                order.current.pending_quantity = 0;
                order.current.exchange_update_timestamp = Some(now);
                order.transition(Status::Rejected);
                return;
            }
            let id = exchange_order_id(&order.current.order_id);
            order.current.exchange_order_id.get_or_insert(id);
            order.current.exchange_timestamp = Some(now.clone());
            order.current.exchange_update_timestamp = Some(now.clone());
            if !trigger_crossed(side, last, terms.trigger_price) {
                order.transition(Status::TriggerPending);
                return;
            }
            order.triggered = true;
        }
        let id = exchange_order_id(&order.current.order_id);
        order.current.exchange_order_id.get_or_insert(id);
        order.current.exchange_timestamp = Some(now.clone());
        order.current.exchange_update_timestamp = Some(now);
        order.transition(Status::Open);
        match terms.order_type {
            OrderType::Market | OrderType::StopLossMarket => self.fill(index, last),
            OrderType::Limit | OrderType::StopLoss => {
                if marketable(side, last, terms.price) {
                    self.fill(index, last);
                } else if terms.validity == Validity::Ioc {
                    self.cancel_at(index, None);
                }
            }
        }
    }

    /// Fills what is left of the order at `price`: the trade, the position, the holding.
    fn fill(&mut self, index: usize, price: Price) {
        let quantity = self
            .account
            .orders
            .get(index)
            .map_or(0, |o| o.current.pending_quantity);
        if quantity == 0 {
            return;
        }
        let trade_id = self.account.issue_trade_id();
        let now = self.now_text();
        let Some(order) = self.account.orders.get_mut(index) else {
            return;
        };
        let exchange_order_id = order
            .current
            .exchange_order_id
            .get_or_insert_with(|| exchange_order_id(&order.current.order_id))
            .clone();
        order.current.filled_quantity += quantity;
        order.current.pending_quantity = 0;
        order.current.average_price = price;
        order.current.exchange_update_timestamp = Some(now.clone());
        order.transition(Status::Complete);
        let state = &order.current;
        let trade = TradeRecord {
            trade_id,
            order_id: state.order_id.clone(),
            exchange_order_id,
            instrument: state.instrument.clone(),
            product: state.product,
            side: state.side,
            price,
            quantity,
            fill_timestamp: now,
            order_time_of_day: stamp::ist_time_of_day(self.now),
        };
        let instrument = trade.instrument.instrument.clone();
        self.account.record_fill(trade);
        if let Some(listing) = self.universe.by_instrument(&instrument) {
            self.market
                .record_trade(listing, quantity, self.now.unix_timestamp());
        }
    }

    fn cancel_at(&mut self, index: usize, reason: Option<&str>) {
        let now = self.now_text();
        if let Some(order) = self.account.orders.get_mut(index) {
            let state = &mut order.current;
            state.cancelled_quantity = state.terms.quantity.saturating_sub(state.filled_quantity);
            state.status_message = reason.map(str::to_owned);
            state.exchange_update_timestamp = Some(now);
            order.transition(Status::Cancelled);
        }
    }

    /// The index of an open order of `variety`, or why the request cannot touch it.
    fn open_order(
        &self,
        variety: Variety,
        order_id: &str,
        action: Action,
    ) -> Result<usize, Refusal> {
        let index = self
            .account
            .orders
            .position_of(order_id)
            .ok_or(Refusal::UnknownOrder)?;
        let order = self
            .account
            .orders
            .get(index)
            .ok_or(Refusal::UnknownOrder)?;
        if order.current.variety != variety {
            return Err(Refusal::WrongVariety {
                actual: order.current.variety,
            });
        }
        if !order.is_open() {
            return Err(Refusal::NotOpen {
                status: order.current.status,
                action,
            });
        }
        Ok(index)
    }

    /// Checks that an order could be modified or cancelled, without changing it.
    pub(crate) fn check_open(
        &mut self,
        variety: Variety,
        order_id: &str,
        action: Action,
    ) -> Result<&OrderRecord, Refusal> {
        self.expire_lapsed();
        let index = self.open_order(variety, order_id, action)?;
        self.account.orders.get(index).ok_or(Refusal::UnknownOrder)
    }

    /// Replaces an open order's terms, if funds and holdings allow, and lets it trade on them.
    pub(crate) fn modify(
        &mut self,
        variety: Variety,
        order_id: &str,
        terms: Terms,
    ) -> Result<(), Refusal> {
        self.expire_lapsed();
        let index = self.open_order(variety, order_id, Action::Modify)?;
        let Some(order) = self.account.orders.get(index) else {
            return Err(Refusal::UnknownOrder);
        };
        let state = order.current.clone();
        let triggered = order.triggered;
        let stop = matches!(
            terms.order_type,
            OrderType::StopLoss | OrderType::StopLossMarket
        );
        if stop && !triggered && variety == Variety::Regular {
            let last = self.last_price(&state.instrument).unwrap_or(Price::ZERO);
            if trigger_crossed(state.side, last, terms.trigger_price) {
                return Err(Refusal::TriggerAlreadyCrossed { side: state.side });
            }
        }
        if state.product == ProductType::Cnc && state.side == Side::Sell {
            let available = self.sellable(&state.instrument.instrument, state.pending_quantity);
            if u64::from(terms.quantity) > available {
                return Err(Refusal::InsufficientHoldings {
                    tradingsymbol: state.instrument.tradingsymbol.clone(),
                    available,
                    requested: u64::from(terms.quantity),
                });
            }
        }
        let unfilled = terms.quantity.saturating_sub(state.filled_quantity);
        let required = self.requirement(
            &state.instrument,
            state.product,
            state.side,
            &terms,
            unfilled,
        );
        let blocked = self.requirement(
            &state.instrument,
            state.product,
            state.side,
            &state.terms,
            state.pending_quantity,
        );
        let available = self.available(FundSegment::of(state.instrument.exchange)) + blocked;
        if required > blocked && required > available {
            return Err(Refusal::InsufficientFunds {
                required,
                available,
            });
        }

        let now = self.now_text();
        let expires_unix = self.ttl_deadline(&terms);
        let Some(order) = self.account.orders.get_mut(index) else {
            return Err(Refusal::UnknownOrder);
        };
        let previous = order.current.status;
        order.current.order_timestamp = now.clone();
        order.transition(Status::ModifyValidationPending);
        order.transition(Status::ModifyPending);
        order.current.pending_quantity = unfilled;
        order.current.terms = terms;
        order.current.modified = true;
        order.expires_unix = expires_unix;
        if order.current.exchange_order_id.is_some() {
            order.current.exchange_timestamp = Some(now.clone());
            order.current.exchange_update_timestamp = Some(now);
        }
        order.transition(Status::Modified);
        if previous == Status::AmoReqReceived {
            order.transition(Status::AmoReqReceived);
            return Ok(());
        }
        self.arrive(index, false);
        Ok(())
    }

    /// Cancels an open order.
    pub(crate) fn cancel(&mut self, variety: Variety, order_id: &str) -> Result<(), Refusal> {
        self.expire_lapsed();
        let index = self.open_order(variety, order_id, Action::Cancel)?;
        self.cancel_at(index, None);
        Ok(())
    }

    /// The market's price of an instrument moved to `price`: fills whatever the move reaches
    /// in this book, triggering stop-losses and filling resting limit orders at their limit
    /// price.
    pub(crate) fn price_moved(&mut self, listing: &Listing, price: Price) {
        self.expire_lapsed();
        for index in 0..self.account.orders.len() {
            let Some(order) = self.account.orders.get(index) else {
                continue;
            };
            let state = &order.current;
            if state.instrument.instrument != listing.instrument {
                continue;
            }
            let (side, terms) = (state.side, state.terms.clone());
            match state.status {
                Status::TriggerPending if trigger_crossed(side, price, terms.trigger_price) => {
                    let now = self.now_text();
                    if let Some(order) = self.account.orders.get_mut(index) {
                        order.triggered = true;
                        order.current.exchange_update_timestamp = Some(now);
                        order.transition(Status::Open);
                    }
                    match terms.order_type {
                        OrderType::StopLoss if !marketable(side, price, terms.price) => {}
                        _ => self.fill(index, price),
                    }
                }
                Status::Open if marketable(side, price, terms.price) => {
                    let fill_at = if terms.price.is_positive() {
                        terms.price
                    } else {
                        price
                    };
                    self.fill(index, fill_at);
                }
                _ => {}
            }
        }
    }

    /// The market opens: after-market orders go to the exchange.
    pub(crate) fn open_market(&mut self) {
        self.expire_lapsed();
        for index in 0..self.account.orders.len() {
            let waiting = self
                .account
                .orders
                .get(index)
                .is_some_and(|o| o.current.status == Status::AmoReqReceived);
            if waiting {
                self.validate_and_send(index);
            }
        }
    }

    /// Cancels TTL orders whose time is up; true when there were any.
    pub(crate) fn expire_lapsed(&mut self) -> bool {
        let now = self.now.unix_timestamp();
        let mut any = false;
        for index in 0..self.account.orders.len() {
            let lapsed = self.account.orders.get(index).is_some_and(|o| {
                o.is_open() && o.expires_unix.is_some_and(|deadline| deadline <= now)
            });
            if lapsed {
                self.cancel_at(index, Some("Order cancelled: its TTL validity lapsed."));
                any = true;
            }
        }
        any
    }
}
