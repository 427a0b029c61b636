//! What an order call asks a broker to do, kept with an unknown outcome so the caller can find
//! out whether it happened.

use std::fmt;

use super::{ClientTag, OrderId, OrderModification};
use crate::Error;

/// A change to an existing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderChange {
    /// New terms for an open order.
    Modify(OrderModification),
    /// Cancel the order.
    Cancel,
}

impl fmt::Display for OrderChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderChange::Modify(_) => f.write_str("modification"),
            OrderChange::Cancel => f.write_str("cancellation"),
        }
    }
}

/// One order call: placing an order, or changing an existing one.
///
/// The transport sends an order call at most once; when it may have left without a definite
/// answer, [`OrderAction::outcome_unknown`] makes the error that says what to reconcile.
///
/// ```
/// use tt_core::{ClientTag, Error, OrderAction, OrderChange, OrderId};
///
/// let cancel = OrderAction::Change {
///     order_id: OrderId::new("151220000000042")?,
///     change: OrderChange::Cancel,
/// };
/// let error = cancel.outcome_unknown("zerodha", "timed out after sending".into());
/// assert!(matches!(error, Error::OrderChangeOutcomeUnknown { .. }));
/// assert!(!error.retryable());
/// # Ok::<(), tt_core::InvalidId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    /// Placing a new order, known by its client tag.
    Place {
        /// The order's client tag.
        tag: ClientTag,
    },
    /// Modifying or cancelling an order the broker already has.
    Change {
        /// The order changed.
        order_id: OrderId,
        /// What was asked.
        change: OrderChange,
    },
}

impl OrderAction {
    /// The error for this call when it may have reached the broker but no definite answer came
    /// back: [`Error::OrderOutcomeUnknown`] for a placement (reconcile by tag),
    /// [`Error::OrderChangeOutcomeUnknown`] for a change (reconcile by order id).
    pub fn outcome_unknown(self, broker: &'static str, reason: String) -> Error {
        match self {
            OrderAction::Place { tag } => Error::OrderOutcomeUnknown {
                broker,
                tag,
                reason,
            },
            OrderAction::Change { order_id, change } => Error::OrderChangeOutcomeUnknown {
                broker,
                order_id,
                change,
                reason,
            },
        }
    }
}

impl OrderAction {
    /// What reading this call's successful answer gave: an unreadable answer
    /// ([`Error::MalformedResponse`]) means the order may stand, so it becomes the unknown
    /// outcome; any other error passes as it is.
    ///
    /// # Errors
    /// The outcome-unknown error for an unreadable answer, else `read`'s own error.
    pub fn answer<T>(&self, broker: &'static str, read: Result<T, Error>) -> Result<T, Error> {
        match read {
            Err(Error::MalformedResponse { detail, .. }) => Err(self
                .clone()
                .outcome_unknown(broker, format!("unreadable answer: {detail}"))),
            other => other,
        }
    }

    /// The order id a successful answer named: none, or an empty one, is the unknown outcome
    /// (the call succeeded, but which order it made or changed is not known).
    ///
    /// # Errors
    /// The outcome-unknown error when `id` is absent or empty.
    pub fn answered_id(&self, broker: &'static str, id: Option<String>) -> Result<OrderId, Error> {
        let id = id.ok_or_else(|| self.unnamed(broker))?;
        OrderId::new(id).map_err(|_| {
            self.clone().outcome_unknown(
                broker,
                "the broker answered success with an empty order id".to_owned(),
            )
        })
    }

    /// The unknown outcome of a success that named no order id.
    pub fn unnamed(&self, broker: &'static str) -> Error {
        self.clone().outcome_unknown(
            broker,
            "the broker answered success without an order id".to_owned(),
        )
    }
}

impl fmt::Display for OrderAction {
    /// `place tagged T` or `cancellation of order 123`, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderAction::Place { tag } => write!(f, "place tagged {tag}"),
            OrderAction::Change { order_id, change } => write!(f, "{change} of order {order_id}"),
        }
    }
}
