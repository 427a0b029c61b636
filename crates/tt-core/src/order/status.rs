//! Order status: a canonical state a strategy can branch on, plus the broker's own words.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The canonical lifecycle state of an order, the same for every broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Received by the broker, not yet live on the exchange (validation, put-request,
    /// open-pending, after-market request received).
    Pending,
    /// Live on the exchange's book.
    Open,
    /// A stop-loss order waiting for its trigger price.
    TriggerPending,
    /// A modification or cancellation is in flight; the order is still live.
    ModifyPending,
    /// Fully filled.
    Complete,
    /// Cancelled (by the user, the broker or the exchange), possibly after partial fills.
    Cancelled,
    /// Rejected by the broker's risk checks or the exchange.
    Rejected,
    /// A status this version does not know. The broker's text is in [`OrderStatus::raw`].
    Unknown,
}

impl OrderState {
    /// True once the order can no longer change (complete, cancelled, rejected).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Complete | OrderState::Cancelled | OrderState::Rejected
        )
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            OrderState::Pending => "pending",
            OrderState::Open => "open",
            OrderState::TriggerPending => "trigger_pending",
            OrderState::ModifyPending => "modify_pending",
            OrderState::Complete => "complete",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
            OrderState::Unknown => "unknown",
        })
    }
}

/// An order's status: the canonical [`OrderState`] and the broker's raw status text
/// (`"PUT ORDER REQ RECEIVED"`, `"after market order req received"`, ...).
///
/// Adapters map each known raw status to a state; one they have not seen becomes
/// [`OrderState::Unknown`] with the text kept, never a parse failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderStatus {
    /// The canonical state.
    pub state: OrderState,
    /// The broker's status text, verbatim.
    pub raw: String,
}

impl OrderStatus {
    /// A status from its canonical state and the broker's text.
    pub fn new(state: OrderState, raw: impl Into<String>) -> OrderStatus {
        OrderStatus {
            state,
            raw: raw.into(),
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.state, self.raw)
    }
}
