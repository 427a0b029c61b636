//! The trading account: its orders, trades, positions, holdings and cash, kept in
//! broker-neutral records that each broker's wire format renders its own way.

pub(crate) mod margin;
pub(crate) mod order;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tt_core::{Amount, Exchange, Instrument, InstrumentKind, Price, ProductType, Side};

use crate::SimBroker;
use crate::stamp;
use crate::tracked::{Keyed, Rows, Tracked};
use crate::universe::{InstrumentRef, Universe};
use order::OrderRecord;

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TradeRecord {
    /// The exchange's trade id.
    pub(crate) trade_id: String,
    /// The order filled.
    pub(crate) order_id: String,
    /// The exchange's order id.
    pub(crate) exchange_order_id: String,
    /// The instrument.
    pub(crate) instrument: InstrumentRef,
    /// The order's product.
    pub(crate) product: ProductType,
    /// Buy or sell.
    pub(crate) side: Side,
    /// Fill price.
    pub(crate) price: Price,
    /// Units filled.
    pub(crate) quantity: u32,
    /// When it filled (naive IST).
    pub(crate) fill_timestamp: String,
    /// The order's time of day (`HH:MM:SS`).
    pub(crate) order_time_of_day: String,
}

/// The day's trading in one instrument under one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PositionRecord {
    /// The instrument.
    pub(crate) instrument: InstrumentRef,
    /// The product.
    pub(crate) product: ProductType,
    /// Units bought today.
    pub(crate) buy_quantity: u64,
    /// What they cost.
    pub(crate) buy_value: Amount,
    /// Units sold today.
    pub(crate) sell_quantity: u64,
    /// What they fetched.
    pub(crate) sell_value: Amount,
}

impl PositionRecord {
    /// Net units: positive long, negative short.
    pub(crate) fn net(&self) -> i64 {
        i64::try_from(self.buy_quantity).unwrap_or(i64::MAX)
            - i64::try_from(self.sell_quantity).unwrap_or(i64::MAX)
    }

    /// The contract's multiplier (1,000 for currency derivatives, 100 for MCX gold): values are price ×
    /// quantity × multiplier.
    pub(crate) fn multiplier(&self) -> u32 {
        self.instrument.multiplier.max(1)
    }

    /// Average buy price.
    pub(crate) fn buy_price(&self) -> Price {
        average(
            self.buy_value,
            self.buy_quantity
                .saturating_mul(u64::from(self.multiplier())),
        )
    }

    /// Average sell price.
    pub(crate) fn sell_price(&self) -> Price {
        average(
            self.sell_value,
            self.sell_quantity
                .saturating_mul(u64::from(self.multiplier())),
        )
    }

    /// The price of the open side: the buy average when long, the sell average when short.
    pub(crate) fn average_price(&self) -> Price {
        match self.net() {
            n if n > 0 => self.buy_price(),
            n if n < 0 => self.sell_price(),
            _ => Price::ZERO,
        }
    }

    /// `sell_value - buy_value`: Kite's `value`.
    pub(crate) fn value(&self) -> Amount {
        self.sell_value - self.buy_value
    }

    /// Profit and loss at `last`: the cash flows plus the open units marked at `last`.
    pub(crate) fn pnl(&self, last: Price) -> Amount {
        self.value() + last * self.net().saturating_mul(i64::from(self.multiplier()))
    }

    /// The profit or loss of the units bought and sold back (average cost).
    pub(crate) fn realised(&self) -> Amount {
        let closed = self.buy_quantity.min(self.sell_quantity);
        if closed == 0 {
            return Amount::ZERO;
        }
        scale(self.sell_value, closed, self.sell_quantity)
            - scale(self.buy_value, closed, self.buy_quantity)
    }
}

/// A delivery holding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HoldingRecord {
    /// The instrument.
    pub(crate) instrument: InstrumentRef,
    /// Its ISIN, or empty.
    pub(crate) isin: String,
    /// Settled units.
    pub(crate) quantity: u64,
    /// Units bought and not yet settled.
    pub(crate) t1_quantity: u64,
    /// Units held at the start of the day.
    pub(crate) opening_quantity: u64,
    /// Average cost.
    pub(crate) average_price: Price,
    /// When the holding was last authorised for sale (naive IST).
    pub(crate) authorised_date: String,
}

impl HoldingRecord {
    /// Settled and unsettled units together.
    pub(crate) fn total(&self) -> u64 {
        self.quantity + self.t1_quantity
    }
}

impl Keyed for OrderRecord {
    fn key(&self) -> String {
        self.id().to_owned()
    }
}

impl Keyed for TradeRecord {
    fn key(&self) -> String {
        self.trade_id.clone()
    }
}

impl Keyed for PositionRecord {
    fn key(&self) -> String {
        position_key(&self.instrument.instrument, self.product)
    }
}

impl Keyed for HoldingRecord {
    fn key(&self) -> String {
        self.instrument.instrument.to_string()
    }
}

/// The key of the position in `instrument` under `product`: `NSE:INFY/MIS`.
fn position_key(instrument: &Instrument, product: ProductType) -> String {
    format!("{instrument}/{}", product.code())
}

/// The account's cash and the sequence numbers of the ids it issued: one row per broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Funds {
    /// Opening cash of the equity segment.
    pub(crate) equity_cash: Amount,
    /// Opening cash of the commodity segment.
    pub(crate) commodity_cash: Amount,
    /// Sequence numbers of orders and trades issued so far.
    pub(crate) next_order: u64,
    /// See `next_order`.
    pub(crate) next_trade: u64,
}

/// Everything the account holds, each collection noting what changed since it was saved.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Every order of the day, in placement order.
    pub(crate) orders: Rows<OrderRecord>,
    /// Every fill, in time order.
    pub(crate) trades: Rows<TradeRecord>,
    /// One per instrument and product traded, in first-trade order.
    pub(crate) positions: Rows<PositionRecord>,
    /// Delivery holdings.
    pub(crate) holdings: Rows<HoldingRecord>,
    /// Cash and id counters.
    pub(crate) funds: Tracked<Funds>,
}

impl Account {
    /// A fresh account at `broker`: the funds, and `holdings` of the first NSE equities the
    /// broker lists (10, 20, 30, ... shares, bought at 90% of their reference price).
    pub(crate) fn opening(
        broker: SimBroker,
        universe: &Universe,
        equity_cash: Amount,
        commodity_cash: Amount,
        holdings: usize,
        now: OffsetDateTime,
    ) -> Account {
        let authorised_date = format!(
            "{} 00:00:00",
            stamp::ist_timestamp(now).get(..10).unwrap_or("")
        );
        let seeded = universe
            .listed_by(broker)
            .filter(|(l, c)| {
                c.exchange == Exchange::Nse && l.instrument.kind() == InstrumentKind::Equity
            })
            .filter_map(|(l, _)| Some((l, l.key(broker)?)))
            .take(holdings)
            .zip(1u64..)
            .map(|((listing, instrument), n)| {
                let cost = average(listing.reference_price * 9_i64, 10);
                HoldingRecord {
                    instrument,
                    isin: listing.isin.clone().unwrap_or_default(),
                    quantity: 10 * n,
                    t1_quantity: 0,
                    opening_quantity: 10 * n,
                    average_price: cost
                        .round_to_tick(listing.price_step())
                        .filter(|p| p.is_positive())
                        .unwrap_or(listing.reference_price),
                    authorised_date: authorised_date.clone(),
                }
            });
        let mut holdings = Rows::fresh();
        for holding in seeded {
            holdings.push(holding);
        }
        Account {
            orders: Rows::fresh(),
            trades: Rows::fresh(),
            positions: Rows::fresh(),
            holdings,
            funds: Tracked::fresh(Funds {
                equity_cash,
                commodity_cash,
                next_order: 0,
                next_trade: 0,
            }),
        }
    }

    /// The account as the store holds it.
    pub(crate) fn restored(
        orders: Rows<OrderRecord>,
        trades: Rows<TradeRecord>,
        positions: Rows<PositionRecord>,
        holdings: Rows<HoldingRecord>,
        funds: Funds,
    ) -> Account {
        Account {
            orders,
            trades,
            positions,
            holdings,
            funds: Tracked::restored(funds),
        }
    }

    /// The order with `order_id`.
    pub(crate) fn order(&self, order_id: &str) -> Option<&OrderRecord> {
        self.orders.by_key(order_id)
    }

    /// The position in `instrument` under `product`.
    pub(crate) fn position(
        &self,
        instrument: &Instrument,
        product: ProductType,
    ) -> Option<&PositionRecord> {
        self.positions.by_key(&position_key(instrument, product))
    }

    /// The holding of `instrument`.
    pub(crate) fn holding(&self, instrument: &Instrument) -> Option<&HoldingRecord> {
        self.holdings.by_key(&instrument.to_string())
    }

    /// True when something changed since the account was last saved.
    pub(crate) fn has_changes(&self) -> bool {
        self.orders.has_changes()
            || self.trades.has_changes()
            || self.positions.has_changes()
            || self.holdings.has_changes()
            || self.funds.has_changes()
    }

    /// The store has every change.
    pub(crate) fn mark_saved(&mut self) {
        self.orders.mark_saved();
        self.trades.mark_saved();
        self.positions.mark_saved();
        self.holdings.mark_saved();
        self.funds.mark_saved();
    }

    /// Records a fill: the trade, the position, and for delivery the holding.
    pub(crate) fn record_fill(&mut self, trade: TradeRecord) {
        let quantity = u64::from(trade.quantity);
        let value = trade.price * trade.instrument.underlying_units(quantity);
        let key = position_key(&trade.instrument.instrument, trade.product);
        let index = match self.positions.position_of(&key) {
            Some(index) => index,
            None => self.positions.push(PositionRecord {
                instrument: trade.instrument.clone(),
                product: trade.product,
                buy_quantity: 0,
                buy_value: Amount::ZERO,
                sell_quantity: 0,
                sell_value: Amount::ZERO,
            }),
        };
        if let Some(position) = self.positions.get_mut(index) {
            match trade.side {
                Side::Buy => {
                    position.buy_quantity += quantity;
                    position.buy_value += value;
                }
                Side::Sell => {
                    position.sell_quantity += quantity;
                    position.sell_value += value;
                }
            }
        }
        if trade.product == ProductType::Cnc {
            self.record_delivery(&trade);
        }
        self.trades.push(trade);
    }

    /// A delivery buy adds unsettled units at a new average cost; a delivery sell takes
    /// unsettled units first, then settled ones, and an emptied holding is removed.
    fn record_delivery(&mut self, trade: &TradeRecord) {
        let quantity = u64::from(trade.quantity);
        let existing = self
            .holdings
            .position_of(&trade.instrument.instrument.to_string());
        match (trade.side, existing) {
            (Side::Buy, Some(index)) => {
                if let Some(holding) = self.holdings.get_mut(index) {
                    let held = holding.total();
                    let cost = holding.average_price * i64::try_from(held).unwrap_or(i64::MAX)
                        + trade.price * trade.quantity;
                    holding.t1_quantity += quantity;
                    holding.average_price = average(cost, held + quantity);
                }
            }
            (Side::Buy, None) => {
                self.holdings.push(HoldingRecord {
                    instrument: trade.instrument.clone(),
                    isin: String::new(),
                    quantity: 0,
                    t1_quantity: quantity,
                    opening_quantity: 0,
                    average_price: trade.price,
                    authorised_date: trade.fill_timestamp.clone(),
                });
            }
            (Side::Sell, Some(index)) => {
                let emptied = self.holdings.get_mut(index).is_some_and(|holding| {
                    let from_t1 = holding.t1_quantity.min(quantity);
                    holding.t1_quantity -= from_t1;
                    holding.quantity = holding.quantity.saturating_sub(quantity - from_t1);
                    holding.total() == 0
                });
                if emptied {
                    self.holdings.remove(index);
                }
            }
            // A delivery sell is only accepted against holdings, so there is one.
            (Side::Sell, None) => {}
        }
    }

    /// The next order id: the IST date then nine digits (`250807000000001`), as Kite's are
    /// fifteen-digit numbers.
    pub(crate) fn issue_order_id(&mut self, now: OffsetDateTime) -> String {
        let funds = self.funds.edit();
        funds.next_order += 1;
        format!("{}{:09}", stamp::ist_yymmdd(now), funds.next_order)
    }

    /// The next trade id (eight digits and up).
    pub(crate) fn issue_trade_id(&mut self) -> String {
        let funds = self.funds.edit();
        funds.next_trade += 1;
        format!("{}", 10_000_000 + funds.next_trade)
    }
}

/// The exchange's id for an order: sixteen digits.
pub(crate) fn exchange_order_id(order_id: &str) -> String {
    let sequence: u64 = order_id
        .get(6..)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    format!("13{:014}", sequence)
}

/// `value / quantity` as a price (zero for no quantity), rounded to eight places.
pub(crate) fn average(value: Amount, quantity: u64) -> Price {
    if quantity == 0 {
        return Price::ZERO;
    }
    let mantissa = divide_rounded(value.mantissa(), i128::from(quantity));
    i64::try_from(mantissa)
        .ok()
        .and_then(Price::from_mantissa)
        .unwrap_or(Price::ZERO)
}

/// `value * part / whole`, rounded to eight places.
pub(crate) fn scale(value: Amount, part: u64, whole: u64) -> Amount {
    if whole == 0 {
        return Amount::ZERO;
    }
    Amount::from_mantissa(divide_rounded(
        value.mantissa() * i128::from(part),
        i128::from(whole),
    ))
}

/// `numerator / denominator` rounded half away from zero (`denominator` > 0).
fn divide_rounded(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn position(buys: &[(&str, u64)], sells: &[(&str, u64)]) -> PositionRecord {
        let sum = |fills: &[(&str, u64)]| -> (u64, Amount) {
            fills.iter().fold((0, Amount::ZERO), |(q, v), (price, n)| {
                (q + n, v + p(price) * i64::try_from(*n).unwrap())
            })
        };
        let (buy_quantity, buy_value) = sum(buys);
        let (sell_quantity, sell_value) = sum(sells);
        PositionRecord {
            instrument: InstrumentRef {
                instrument: "MCX:GOLD:2026-12-05:FUT".parse().unwrap(),
                token: "1".into(),
                exchange: Exchange::Mcx,
                tradingsymbol: "X".into(),
                kind: InstrumentKind::Future,
                strike: None,
                multiplier: 1,
            },
            product: ProductType::Nrml,
            buy_quantity,
            buy_value,
            sell_quantity,
            sell_value,
        }
    }

    #[test]
    fn position_figures_follow_kites_definitions() {
        // GOLDGUINEA in positions.json (day): bought 1 at 23388, sold 4 at 23340, last 23355.
        let day = position(&[("23388", 1)], &[("23340", 4)]);
        assert_eq!(day.net(), -3);
        assert_eq!(day.average_price(), p("23340"));
        assert_eq!(day.value().to_string(), "69972");
        assert_eq!(day.pnl(p("23355")).to_string(), "-93");
        assert_eq!(day.realised().to_string(), "-48");
    }

    #[test]
    fn averages_round_to_eight_places() {
        assert_eq!(
            average(Amount::from_rupees(10), 3).to_string(),
            "3.33333333"
        );
        assert_eq!(
            average(Amount::from_rupees(-20), 3).to_string(),
            "-6.66666667"
        );
        assert_eq!(average(Amount::from_rupees(5), 0), Price::ZERO);
    }
}
