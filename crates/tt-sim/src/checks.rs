//! The checks of an order's terms against its contract that both brokers' order endpoints
//! make before the book sees the order. Each broker words (and codes) the problems its own way.

use tt_core::{Exchange, OrderType, Price, ProductType, Side};

use crate::account::order::{Terms, Validity};
use crate::universe::{Contract, step_of};

/// What is wrong with an order's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TermsProblem {
    /// A quantity of zero.
    ZeroQuantity,
    /// A quantity that is not a multiple of the lot.
    NotLotMultiple { lot: u32 },
    /// A priced order (LIMIT, SL) without a price.
    NoPrice { order_type: OrderType },
    /// A price off the tick.
    PriceOffTick { tick: Price },
    /// A stop-loss without a trigger price.
    NoTrigger { order_type: OrderType },
    /// A trigger price off the tick.
    TriggerOffTick { tick: Price },
    /// A stop-loss limit whose price is on the wrong side of its trigger.
    TriggerOnWrongSide { side: Side },
    /// More disclosed than ordered.
    DisclosedAboveQuantity,
    /// A TTL order without its minutes.
    TtlWithoutMinutes,
}

/// Checks an order's terms against the contract it is for.
pub(crate) fn check_terms(
    contract: &Contract,
    side: Side,
    terms: &Terms,
) -> Result<(), TermsProblem> {
    let lot = contract.lot.max(1);
    if terms.quantity == 0 {
        return Err(TermsProblem::ZeroQuantity);
    }
    if !terms.quantity.is_multiple_of(lot) {
        return Err(TermsProblem::NotLotMultiple { lot });
    }
    let tick = step_of(contract.tick);
    let order_type = terms.order_type;
    if order_type.needs_price() {
        if !terms.price.is_positive() {
            return Err(TermsProblem::NoPrice { order_type });
        }
        if !terms.price.is_multiple_of(tick) {
            return Err(TermsProblem::PriceOffTick { tick });
        }
    }
    if order_type.needs_trigger() {
        if !terms.trigger_price.is_positive() {
            return Err(TermsProblem::NoTrigger { order_type });
        }
        if !terms.trigger_price.is_multiple_of(tick) {
            return Err(TermsProblem::TriggerOffTick { tick });
        }
    }
    if order_type == OrderType::StopLoss {
        let wrong_side = match side {
            Side::Buy => terms.price < terms.trigger_price,
            Side::Sell => terms.price > terms.trigger_price,
        };
        if wrong_side {
            return Err(TermsProblem::TriggerOnWrongSide { side });
        }
    }
    if terms.disclosed_quantity > terms.quantity {
        return Err(TermsProblem::DisclosedAboveQuantity);
    }
    if terms.validity == Validity::Ttl && terms.validity_ttl == 0 {
        return Err(TermsProblem::TtlWithoutMinutes);
    }
    Ok(())
}

/// Terms with the prices a type does not use set to zero.
pub(crate) fn normalised(mut terms: Terms) -> Terms {
    if !terms.order_type.needs_price() {
        terms.price = Price::ZERO;
    }
    if !terms.order_type.needs_trigger() {
        terms.trigger_price = Price::ZERO;
    }
    if terms.validity != Validity::Ttl {
        terms.validity_ttl = 0;
    }
    terms
}

/// True for the cash exchanges, whose instruments trade under the delivery products.
pub(crate) const fn is_cash(exchange: Exchange) -> bool {
    matches!(exchange, Exchange::Nse | Exchange::Bse)
}

/// True when `product` can be traded on `exchange`: delivery and MTF on cash instruments,
/// carry-forward on derivatives, intraday on both.
pub(crate) const fn product_allowed(exchange: Exchange, product: ProductType) -> bool {
    let cash = is_cash(exchange);
    match product {
        ProductType::Cnc | ProductType::Mtf => cash,
        ProductType::Nrml => !cash,
        ProductType::Mis => true,
        ProductType::Co | ProductType::Bo => false,
    }
}
