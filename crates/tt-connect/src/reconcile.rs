//! Reconciliation after an unknown outcome: what the broker's own order book says happened to
//! an order call that may or may not have reached it.
//!
//! What each answer proves:
//!
//! - [`Reconciliation::Found`]: the placement reached the broker. Every order carrying the tag
//!   is listed (more than one means the same tag was placed more than once, by a retry outside
//!   tt-connect, say); the records come from the raw order book, so an order whose instrument
//!   the master lacks is found all the same.
//! - [`Reconciliation::NotFound`]: no order with the tag was in the order book at any poll over
//!   the whole window. When the unknown outcome was returned, the client's request was already
//!   over (answered badly, cut off, or past its response deadline), so what remains is the
//!   broker's own lag between receiving an order and listing it: a window longer than that (the
//!   default five seconds is generous for Kite and Upstox) proves the order was not placed, and
//!   placing it again cannot duplicate it. If instead the caller dropped its `place_order`
//!   future, the request may still be in flight on its own task: wait out the response deadline
//!   (`HttpConfig::response_timeout`) first, or use a window longer than it.
//! - [`ChangeReconciliation::Applied`]: the order's latest state shows the change: cancelled,
//!   or carrying every term the modification asked for.
//! - [`ChangeReconciliation::NotApplied`]: over the whole window the order's latest state did
//!   not show it. If that state is final (complete, rejected, or cancelled for a modification)
//!   the change can no longer take; otherwise it did not take within the window.

use std::time::{Duration, Instant};

use tt_core::{OrderChange, OrderModification, OrderRecord, OrderState};

/// How long reconciliation keeps looking, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileWindow {
    /// How long to keep polling before answering "not found" or "not applied".
    pub window: Duration,
    /// The pause between two reads of the order book.
    pub interval: Duration,
}

impl Default for ReconcileWindow {
    /// Five seconds, polling every 250 ms.
    fn default() -> Self {
        ReconcileWindow {
            window: Duration::from_secs(5),
            interval: Duration::from_millis(250),
        }
    }
}

impl ReconcileWindow {
    /// A window of `window`, polling every `interval`.
    pub fn new(window: Duration, interval: Duration) -> Self {
        ReconcileWindow { window, interval }
    }

    /// Pauses before the next poll; `false` once the window is over.
    pub(crate) async fn wait_for_next_poll(&self, started: Instant) -> bool {
        let elapsed = started.elapsed();
        if elapsed >= self.window {
            return false;
        }
        tokio::time::sleep(self.interval.min(self.window - elapsed)).await;
        true
    }
}

/// What the order book says about a placement whose outcome was unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Reconciliation {
    /// The placement reached the broker: every order carrying the tag, as the order book lists
    /// it.
    Found(Vec<OrderRecord>),
    /// No order carried the tag at any poll during the window.
    NotFound {
        /// How long the order book was watched.
        waited: Duration,
    },
}

impl Reconciliation {
    /// The orders found, none when not found.
    pub fn orders(&self) -> &[OrderRecord] {
        match self {
            Reconciliation::Found(orders) => orders,
            Reconciliation::NotFound { .. } => &[],
        }
    }
}

/// What an order's history says about a modification or cancellation whose outcome was
/// unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum ChangeReconciliation {
    /// The order's latest state shows the change.
    Applied(OrderRecord),
    /// The order's latest state did not show the change during the window.
    NotApplied {
        /// The order's latest state.
        order: OrderRecord,
        /// How long its history was watched.
        waited: Duration,
    },
}

/// Whether `order`'s state shows `change`: `Some(true)` applied, `Some(false)` can no longer
/// apply (the order is final without it), `None` not yet.
pub(crate) fn shows_change(order: &OrderRecord, change: &OrderChange) -> Option<bool> {
    let state = order.status.state;
    let applied = match change {
        OrderChange::Cancel => state == OrderState::Cancelled,
        OrderChange::Modify(modification) => has_terms(order, modification),
    };
    if applied {
        Some(true)
    } else if state.is_terminal() {
        Some(false)
    } else {
        None
    }
}

/// True when the order carries every term the modification asks for.
fn has_terms(order: &OrderRecord, asked: &OrderModification) -> bool {
    asked.new_quantity().is_none_or(|q| q == order.quantity)
        && asked.new_price().is_none_or(|p| Some(p) == order.price)
        && asked
            .new_trigger_price()
            .is_none_or(|p| Some(p) == order.trigger_price)
        && asked
            .new_order_type()
            .is_none_or(|t| Some(t) == order.order_type)
        && asked
            .new_validity()
            .is_none_or(|v| Some(v) == order.validity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_core::{OrderId, OrderStatus, Price};

    fn record(status: &str, quantity: u32, price: &str) -> OrderRecord {
        OrderRecord {
            id: OrderId::new("1").unwrap(),
            tag: None,
            status: OrderStatus::new(state_of(status), status),
            status_message: None,
            exchange: "NSE".into(),
            symbol: "INFY".into(),
            token: Some("408065".into()),
            order_type: None,
            validity: None,
            quantity,
            filled_quantity: 0,
            price: Some(price.parse().unwrap()),
            trigger_price: None,
            placed_at: None,
        }
    }

    fn state_of(status: &str) -> OrderState {
        match status {
            "OPEN" => OrderState::Open,
            "CANCELLED" => OrderState::Cancelled,
            "COMPLETE" => OrderState::Complete,
            _ => OrderState::Pending,
        }
    }

    fn price(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn a_cancel_shows_as_the_cancelled_state() {
        let cancel = OrderChange::Cancel;
        assert_eq!(
            shows_change(&record("CANCELLED", 1, "10"), &cancel),
            Some(true)
        );
        assert_eq!(shows_change(&record("OPEN", 1, "10"), &cancel), None);
        assert_eq!(
            shows_change(&record("COMPLETE", 1, "10"), &cancel),
            Some(false)
        );
    }

    #[test]
    fn a_modification_shows_as_the_terms_it_asked_for() {
        let change = OrderChange::Modify(OrderModification::new().quantity(5).price(price("11")));
        assert_eq!(shows_change(&record("OPEN", 5, "11"), &change), Some(true));
        assert_eq!(shows_change(&record("OPEN", 5, "10"), &change), None);
        assert_eq!(
            shows_change(&record("CANCELLED", 1, "10"), &change),
            Some(false)
        );
        // Filled after the change took: the fill carries the new terms.
        assert_eq!(
            shows_change(&record("COMPLETE", 5, "11"), &change),
            Some(true)
        );
    }
}
