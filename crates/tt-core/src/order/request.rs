//! What a strategy asks for: [`OrderRequest`] (a new order) and [`OrderModification`] (a change
//! to an open one), both checked before anything reaches a broker.

use std::fmt;

use serde::Serialize;

use super::{ClientTag, OrderType, ProductType, Side, Validity};
use crate::{ContractSpec, Error, Instrument, Price, money};

/// Why an order (or a modification) is invalid. Each variant names the rule and the values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidOrderReason {
    /// The quantity was zero.
    ZeroQuantity,
    /// No order type was chosen on the builder.
    OrderTypeNotChosen,
    /// A LIMIT or SL order without a limit price.
    MissingPrice {
        /// The order type.
        order_type: OrderType,
    },
    /// An SL or SL-M order without a trigger price.
    MissingTrigger {
        /// The order type.
        order_type: OrderType,
    },
    /// A MARKET or SL-M order given a limit price it would ignore.
    UnexpectedPrice {
        /// The order type.
        order_type: OrderType,
    },
    /// A MARKET or LIMIT order given a trigger price it would ignore.
    UnexpectedTrigger {
        /// The order type.
        order_type: OrderType,
    },
    /// A price or trigger that is zero or negative.
    NonPositivePrice {
        /// `"price"` or `"trigger price"`.
        field: &'static str,
        /// The value given.
        value: Price,
    },
    /// A price or trigger that is not a multiple of the instrument's tick size.
    PriceOffTick {
        /// `"price"` or `"trigger price"`.
        field: &'static str,
        /// The value given.
        value: Price,
        /// The instrument's tick size.
        tick_size: Price,
    },
    /// A quantity that is not a whole number of lots.
    QuantityNotLotMultiple {
        /// The quantity given.
        quantity: u32,
        /// The instrument's lot size.
        lot_size: u32,
    },
    /// A disclosed quantity larger than the order.
    DisclosedAboveQuantity {
        /// The disclosed quantity.
        disclosed: u32,
        /// The order quantity.
        quantity: u32,
    },
    /// An order on an index, which cannot be traded.
    NotTradable,
    /// A modification that changes nothing.
    EmptyModification,
    /// A price with more significant digits than the broker's JSON reader (a double) keeps:
    /// refused rather than sent rounded.
    PriceNotExactOnTheWire {
        /// The price asked for.
        price: Price,
    },
    /// The broker refused the order's parameters; its message, verbatim.
    Rejected {
        /// The broker's message.
        message: String,
    },
}

impl fmt::Display for InvalidOrderReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PriceNotExactOnTheWire { price } => write!(
                f,
                "the price {price} has more significant digits than the broker reads exactly \
                 from a JSON number"
            ),
            Self::ZeroQuantity => f.write_str("quantity must be at least 1"),
            Self::OrderTypeNotChosen => f.write_str(
                "no order type chosen: call market(), limit(), stop_loss(), stop_loss_market() or order_type()",
            ),
            Self::MissingPrice { order_type } => {
                write!(f, "a {order_type} order needs a limit price")
            }
            Self::MissingTrigger { order_type } => {
                write!(f, "a {order_type} order needs a trigger price")
            }
            Self::UnexpectedPrice { order_type } => {
                write!(f, "a {order_type} order takes no limit price")
            }
            Self::UnexpectedTrigger { order_type } => {
                write!(f, "a {order_type} order takes no trigger price")
            }
            Self::NonPositivePrice { field, value } => {
                write!(f, "{field} must be positive, got {value}")
            }
            Self::PriceOffTick {
                field,
                value,
                tick_size,
            } => write!(f, "{field} {value} is not a multiple of the tick size {tick_size}"),
            Self::QuantityNotLotMultiple { quantity, lot_size } => write!(
                f,
                "quantity {quantity} is not a multiple of the lot size {lot_size}"
            ),
            Self::DisclosedAboveQuantity {
                disclosed,
                quantity,
            } => write!(
                f,
                "disclosed quantity {disclosed} is larger than the quantity {quantity}"
            ),
            Self::NotTradable => f.write_str("indices cannot be traded"),
            Self::EmptyModification => f.write_str("the modification changes nothing"),
            Self::Rejected { message } => write!(f, "rejected by the broker: {message}"),
        }
    }
}

/// A validated request for a new order.
///
/// Built with [`OrderRequest::buy`] or [`OrderRequest::sell`]; [`OrderRequestBuilder::build`]
/// checks everything that does not need the instrument master, and
/// [`OrderRequest::check_contract`] checks tick and lot sizes against it. Every request carries a
/// [`ClientTag`], generated when none is given.
///
/// ```
/// use tt_core::{ContractSpec, Instrument, OrderRequest, Price, ProductType};
///
/// let reliance: Instrument = "NSE:RELIANCE".parse()?;
/// let order = OrderRequest::buy(reliance, 10, ProductType::Cnc)
///     .limit("1022.55".parse()?)
///     .build()?;
/// let spec = ContractSpec { tick_size: "0.05".parse()?, lot_size: 1, freeze_quantity: None, multiplier: None };
/// order.check_contract(&spec)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRequest {
    instrument: Instrument,
    side: Side,
    quantity: u32,
    order_type: OrderType,
    price: Option<Price>,
    trigger_price: Option<Price>,
    product: ProductType,
    validity: Validity,
    disclosed_quantity: Option<u32>,
    after_market: bool,
    tag: ClientTag,
}

impl OrderRequest {
    /// Starts a buy order.
    pub fn buy(instrument: Instrument, quantity: u32, product: ProductType) -> OrderRequestBuilder {
        OrderRequestBuilder::new(instrument, Side::Buy, quantity, product)
    }

    /// Starts a sell order.
    pub fn sell(
        instrument: Instrument,
        quantity: u32,
        product: ProductType,
    ) -> OrderRequestBuilder {
        OrderRequestBuilder::new(instrument, Side::Sell, quantity, product)
    }

    /// The instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// Buy or sell.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The quantity, in units (shares, or lots times lot size).
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// The order type.
    pub fn order_type(&self) -> OrderType {
        self.order_type
    }

    /// The limit price (LIMIT and SL orders).
    pub fn price(&self) -> Option<Price> {
        self.price
    }

    /// The trigger price (SL and SL-M orders).
    pub fn trigger_price(&self) -> Option<Price> {
        self.trigger_price
    }

    /// The product.
    pub fn product(&self) -> ProductType {
        self.product
    }

    /// The validity.
    pub fn validity(&self) -> Validity {
        self.validity
    }

    /// The quantity shown on the exchange's book, if less than all.
    pub fn disclosed_quantity(&self) -> Option<u32> {
        self.disclosed_quantity
    }

    /// True for an after-market order, queued for the next session.
    pub fn after_market(&self) -> bool {
        self.after_market
    }

    /// The client tag the order is placed with.
    pub fn tag(&self) -> &ClientTag {
        &self.tag
    }

    /// Checks the prices against the tick size and the quantity against the lot size of the
    /// instrument, from the instrument master. Call before any network request.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] with [`InvalidOrderReason::PriceOffTick`] or
    /// [`InvalidOrderReason::QuantityNotLotMultiple`].
    pub fn check_contract(&self, spec: &ContractSpec) -> Result<(), Error> {
        check_against_spec(
            &self.instrument,
            Some(self.quantity),
            self.price,
            self.trigger_price,
            spec,
        )
    }
}

fn invalid(instrument: &Instrument, reason: InvalidOrderReason) -> Error {
    Error::InvalidOrder {
        instrument: Some(instrument.to_string()),
        reason,
    }
}

fn check_against_spec(
    instrument: &Instrument,
    quantity: Option<u32>,
    price: Option<Price>,
    trigger_price: Option<Price>,
    spec: &ContractSpec,
) -> Result<(), Error> {
    for (field, value) in [("price", price), ("trigger price", trigger_price)] {
        if let Some(value) = value
            && !value.is_multiple_of(spec.tick_size)
        {
            return Err(invalid(
                instrument,
                InvalidOrderReason::PriceOffTick {
                    field,
                    value,
                    tick_size: spec.tick_size,
                },
            ));
        }
    }
    if let Some(quantity) = quantity
        && !money::is_lot_multiple(quantity, spec.lot_size)
    {
        return Err(invalid(
            instrument,
            InvalidOrderReason::QuantityNotLotMultiple {
                quantity,
                lot_size: spec.lot_size,
            },
        ));
    }
    Ok(())
}

fn check_positive(field: &'static str, value: Option<Price>) -> Result<(), InvalidOrderReason> {
    match value {
        Some(value) if !value.is_positive() => {
            Err(InvalidOrderReason::NonPositivePrice { field, value })
        }
        _ => Ok(()),
    }
}

/// Checks that the prices present fit the order type.
fn check_prices_for_type(
    order_type: OrderType,
    price: Option<Price>,
    trigger_price: Option<Price>,
) -> Result<(), InvalidOrderReason> {
    match (order_type.needs_price(), price) {
        (true, None) => return Err(InvalidOrderReason::MissingPrice { order_type }),
        (false, Some(_)) => return Err(InvalidOrderReason::UnexpectedPrice { order_type }),
        _ => {}
    }
    match (order_type.needs_trigger(), trigger_price) {
        (true, None) => return Err(InvalidOrderReason::MissingTrigger { order_type }),
        (false, Some(_)) => return Err(InvalidOrderReason::UnexpectedTrigger { order_type }),
        _ => {}
    }
    check_positive("price", price)?;
    check_positive("trigger price", trigger_price)
}

/// Builds an [`OrderRequest`]; see there for an example.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct OrderRequestBuilder {
    instrument: Instrument,
    side: Side,
    quantity: u32,
    product: ProductType,
    order_type: Option<OrderType>,
    price: Option<Price>,
    trigger_price: Option<Price>,
    validity: Validity,
    disclosed_quantity: Option<u32>,
    after_market: bool,
    tag: Option<ClientTag>,
}

impl OrderRequestBuilder {
    fn new(instrument: Instrument, side: Side, quantity: u32, product: ProductType) -> Self {
        OrderRequestBuilder {
            instrument,
            side,
            quantity,
            product,
            order_type: None,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            after_market: false,
            tag: None,
        }
    }

    /// A market order.
    pub fn market(mut self) -> Self {
        self.order_type = Some(OrderType::Market);
        self
    }

    /// A limit order at `price`.
    pub fn limit(mut self, price: Price) -> Self {
        self.order_type = Some(OrderType::Limit);
        self.price = Some(price);
        self
    }

    /// A stop-loss limit order: at `trigger`, a limit order at `price` goes live.
    pub fn stop_loss(mut self, trigger: Price, price: Price) -> Self {
        self.order_type = Some(OrderType::StopLoss);
        self.trigger_price = Some(trigger);
        self.price = Some(price);
        self
    }

    /// A stop-loss market order: at `trigger`, a market order goes out.
    pub fn stop_loss_market(mut self, trigger: Price) -> Self {
        self.order_type = Some(OrderType::StopLossMarket);
        self.trigger_price = Some(trigger);
        self
    }

    /// Sets the order type directly; pair it with [`price`](Self::price) and
    /// [`trigger_price`](Self::trigger_price) as the type needs.
    pub fn order_type(mut self, order_type: OrderType) -> Self {
        self.order_type = Some(order_type);
        self
    }

    /// Sets the limit price.
    pub fn price(mut self, price: Price) -> Self {
        self.price = Some(price);
        self
    }

    /// Sets the trigger price.
    pub fn trigger_price(mut self, trigger: Price) -> Self {
        self.trigger_price = Some(trigger);
        self
    }

    /// Sets the validity (default [`Validity::Day`]).
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    /// Shows only `quantity` on the exchange's book.
    pub fn disclosed_quantity(mut self, quantity: u32) -> Self {
        self.disclosed_quantity = Some(quantity);
        self
    }

    /// Places the order after market hours, for the next session.
    pub fn after_market(mut self) -> Self {
        self.after_market = true;
        self
    }

    /// Labels the order (otherwise a tag is generated).
    pub fn tag(mut self, tag: ClientTag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// Validates and builds the request.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] naming the broken rule: zero quantity, no order type, a missing
    /// or superfluous price or trigger for the order type, a non-positive price, a disclosed
    /// quantity above the quantity, or an index as the instrument.
    pub fn build(self) -> Result<OrderRequest, Error> {
        let fail = |reason| Err(invalid(&self.instrument, reason));
        if !self.instrument.is_tradable() {
            return fail(InvalidOrderReason::NotTradable);
        }
        if self.quantity == 0 {
            return fail(InvalidOrderReason::ZeroQuantity);
        }
        let Some(order_type) = self.order_type else {
            return fail(InvalidOrderReason::OrderTypeNotChosen);
        };
        if let Err(reason) = check_prices_for_type(order_type, self.price, self.trigger_price) {
            return fail(reason);
        }
        if let Some(disclosed) = self.disclosed_quantity
            && disclosed > self.quantity
        {
            return fail(InvalidOrderReason::DisclosedAboveQuantity {
                disclosed,
                quantity: self.quantity,
            });
        }
        Ok(OrderRequest {
            instrument: self.instrument,
            side: self.side,
            quantity: self.quantity,
            order_type,
            price: self.price,
            trigger_price: self.trigger_price,
            product: self.product,
            validity: self.validity,
            disclosed_quantity: self.disclosed_quantity,
            after_market: self.after_market,
            tag: self.tag.unwrap_or_else(ClientTag::generate),
        })
    }
}

/// A change to an open order: any of quantity, price, trigger, order type and validity.
///
/// ```
/// use tt_core::OrderModification;
///
/// let change = OrderModification::new().price("1023".parse()?).quantity(20);
/// assert_eq!(change.new_quantity(), Some(20));
/// # Ok::<(), tt_core::PriceError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderModification {
    quantity: Option<u32>,
    price: Option<Price>,
    trigger_price: Option<Price>,
    order_type: Option<OrderType>,
    validity: Option<Validity>,
}

impl OrderModification {
    /// A modification that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the quantity.
    #[must_use]
    pub fn quantity(mut self, quantity: u32) -> Self {
        self.quantity = Some(quantity);
        self
    }

    /// Changes the limit price.
    #[must_use]
    pub fn price(mut self, price: Price) -> Self {
        self.price = Some(price);
        self
    }

    /// Changes the trigger price.
    #[must_use]
    pub fn trigger_price(mut self, trigger: Price) -> Self {
        self.trigger_price = Some(trigger);
        self
    }

    /// Changes the order type.
    #[must_use]
    pub fn order_type(mut self, order_type: OrderType) -> Self {
        self.order_type = Some(order_type);
        self
    }

    /// Changes the validity.
    #[must_use]
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = Some(validity);
        self
    }

    /// The new quantity, if changed.
    pub fn new_quantity(&self) -> Option<u32> {
        self.quantity
    }

    /// The new limit price, if changed.
    pub fn new_price(&self) -> Option<Price> {
        self.price
    }

    /// The new trigger price, if changed.
    pub fn new_trigger_price(&self) -> Option<Price> {
        self.trigger_price
    }

    /// The new order type, if changed.
    pub fn new_order_type(&self) -> Option<OrderType> {
        self.order_type
    }

    /// The new validity, if changed.
    pub fn new_validity(&self) -> Option<Validity> {
        self.validity
    }

    /// Checks the modification on its own: it changes something, the quantity is not zero,
    /// prices are positive, and a new order type comes with the prices it needs.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] naming the broken rule.
    pub fn check(&self) -> Result<(), Error> {
        let fail = |reason| {
            Err(Error::InvalidOrder {
                instrument: None,
                reason,
            })
        };
        if *self == Self::default() {
            return fail(InvalidOrderReason::EmptyModification);
        }
        if self.quantity == Some(0) {
            return fail(InvalidOrderReason::ZeroQuantity);
        }
        if let Err(reason) = check_positive("price", self.price)
            .and_then(|()| check_positive("trigger price", self.trigger_price))
        {
            return fail(reason);
        }
        if let Some(order_type) = self.order_type {
            if order_type.needs_price() && self.price.is_none() {
                return fail(InvalidOrderReason::MissingPrice { order_type });
            }
            if order_type.needs_trigger() && self.trigger_price.is_none() {
                return fail(InvalidOrderReason::MissingTrigger { order_type });
            }
        }
        Ok(())
    }

    /// Checks the new prices and quantity against the instrument's tick and lot sizes.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] with [`InvalidOrderReason::PriceOffTick`] or
    /// [`InvalidOrderReason::QuantityNotLotMultiple`].
    pub fn check_contract(
        &self,
        instrument: &Instrument,
        spec: &ContractSpec,
    ) -> Result<(), Error> {
        check_against_spec(
            instrument,
            self.quantity,
            self.price,
            self.trigger_price,
            spec,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn p(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn reliance() -> Instrument {
        "NSE:RELIANCE".parse().unwrap()
    }

    fn nifty_option() -> Instrument {
        "NFO:NIFTY:2026-12-29:24000:CE".parse().unwrap()
    }

    fn reason(result: Result<impl fmt::Debug, Error>) -> InvalidOrderReason {
        match result {
            Err(Error::InvalidOrder { reason, .. }) => reason,
            other => panic!("expected InvalidOrder, got {other:?}"),
        }
    }

    #[test]
    fn builds_each_order_type() {
        let b = || OrderRequest::buy(reliance(), 10, ProductType::Cnc);
        assert_eq!(
            b().market().build().unwrap().order_type(),
            OrderType::Market
        );
        let limit = b().limit(p("1022.5")).build().unwrap();
        assert_eq!(limit.price(), Some(p("1022.5")));
        let sl = b().stop_loss(p("1000"), p("999.5")).build().unwrap();
        assert_eq!(
            (sl.trigger_price(), sl.price()),
            (Some(p("1000")), Some(p("999.5")))
        );
        let slm = b().stop_loss_market(p("1000")).build().unwrap();
        assert_eq!(slm.order_type(), OrderType::StopLossMarket);
        assert_eq!(slm.price(), None);
    }

    #[test]
    fn missing_price_on_limit_and_sl_is_refused() {
        for order_type in [OrderType::Limit, OrderType::StopLoss] {
            let r = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
                .order_type(order_type)
                .trigger_price(p("100"))
                .build();
            assert_eq!(reason(r), InvalidOrderReason::MissingPrice { order_type });
        }
    }

    #[test]
    fn missing_trigger_on_sl_and_slm_is_refused() {
        let r = OrderRequest::sell(reliance(), 1, ProductType::Mis)
            .order_type(OrderType::StopLoss)
            .price(p("100"))
            .build();
        let expected = InvalidOrderReason::MissingTrigger {
            order_type: OrderType::StopLoss,
        };
        assert_eq!(reason(r), expected);
        let r = OrderRequest::sell(reliance(), 1, ProductType::Mis)
            .order_type(OrderType::StopLossMarket)
            .build();
        let text = r.unwrap_err().to_string();
        assert_eq!(
            text,
            "invalid order for NSE:RELIANCE: a SL-M order needs a trigger price"
        );
    }

    #[test]
    fn superfluous_prices_are_refused() {
        let r = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
            .market()
            .price(p("10"))
            .build();
        assert!(matches!(
            reason(r),
            InvalidOrderReason::UnexpectedPrice { .. }
        ));
        let r = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
            .limit(p("10"))
            .trigger_price(p("9"))
            .build();
        assert!(matches!(
            reason(r),
            InvalidOrderReason::UnexpectedTrigger { .. }
        ));
    }

    #[test]
    fn other_builder_rules() {
        let r = OrderRequest::buy(reliance(), 0, ProductType::Cnc)
            .market()
            .build();
        assert_eq!(reason(r), InvalidOrderReason::ZeroQuantity);
        let r = OrderRequest::buy(reliance(), 1, ProductType::Cnc).build();
        assert_eq!(reason(r), InvalidOrderReason::OrderTypeNotChosen);
        let r = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
            .limit(p("-1"))
            .build();
        assert!(matches!(
            reason(r),
            InvalidOrderReason::NonPositivePrice { field: "price", .. }
        ));
        let r = OrderRequest::buy(reliance(), 5, ProductType::Cnc)
            .market()
            .disclosed_quantity(6)
            .build();
        assert!(matches!(
            reason(r),
            InvalidOrderReason::DisclosedAboveQuantity { .. }
        ));
        let nifty: Instrument = "NSE:INDEX:NIFTY 50".parse().unwrap();
        let r = OrderRequest::buy(nifty, 1, ProductType::Mis)
            .market()
            .build();
        assert_eq!(reason(r), InvalidOrderReason::NotTradable);
    }

    #[test]
    fn every_request_carries_a_tag() {
        let given = ClientTag::new("strat1").unwrap();
        let tagged = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
            .market()
            .tag(given.clone())
            .build()
            .unwrap();
        assert_eq!(tagged.tag(), &given);
        let generated = OrderRequest::buy(reliance(), 1, ProductType::Cnc)
            .market()
            .build()
            .unwrap();
        assert!(generated.tag().as_str().starts_with("tt"));
    }

    #[test]
    fn rejects_price_off_tick_size_before_network() {
        let spec = ContractSpec {
            tick_size: p("0.05"),
            lot_size: 75,
            freeze_quantity: Some(1800),
            multiplier: None,
        };
        let order = OrderRequest::buy(nifty_option(), 75, ProductType::Nrml)
            .limit(p("101.03"))
            .build()
            .unwrap();
        let err = order.check_contract(&spec).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid order for NFO:NIFTY:2026-12-29:24000:CE: price 101.03 is not a multiple of the tick size 0.05"
        );
        let order = OrderRequest::buy(nifty_option(), 75, ProductType::Nrml)
            .stop_loss(p("101.02"), p("101.05"))
            .build()
            .unwrap();
        assert!(matches!(
            reason(order.check_contract(&spec)),
            InvalidOrderReason::PriceOffTick {
                field: "trigger price",
                ..
            }
        ));
    }

    #[test]
    fn rejects_quantity_off_lot_size_before_network() {
        let spec = ContractSpec {
            tick_size: p("0.05"),
            lot_size: 75,
            freeze_quantity: None,
            multiplier: None,
        };
        let order = OrderRequest::buy(nifty_option(), 100, ProductType::Nrml)
            .market()
            .build()
            .unwrap();
        let err = order.check_contract(&spec).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("quantity 100 is not a multiple of the lot size 75")
        );
        let ok = OrderRequest::buy(nifty_option(), 150, ProductType::Nrml)
            .limit(p("101.05"))
            .build()
            .unwrap();
        assert!(ok.check_contract(&spec).is_ok());
    }

    #[test]
    fn modifications_are_checked() {
        assert_eq!(
            reason(OrderModification::new().check()),
            InvalidOrderReason::EmptyModification
        );
        assert_eq!(
            reason(OrderModification::new().quantity(0).check()),
            InvalidOrderReason::ZeroQuantity
        );
        assert!(matches!(
            reason(
                OrderModification::new()
                    .order_type(OrderType::Limit)
                    .check()
            ),
            InvalidOrderReason::MissingPrice { .. }
        ));
        let spec = ContractSpec {
            tick_size: p("0.05"),
            lot_size: 1,
            freeze_quantity: None,
            multiplier: None,
        };
        let change = OrderModification::new().price(p("10.01"));
        assert!(change.check().is_ok());
        assert!(matches!(
            reason(change.check_contract(&reliance(), &spec)),
            InvalidOrderReason::PriceOffTick { .. }
        ));
    }
}
