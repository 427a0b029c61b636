//! An order in the book: its terms, its current state, and every state it passed through.

use serde::{Deserialize, Serialize};
use tt_core::{OrderType, Price, ProductType, Side};

use crate::universe::InstrumentRef;

/// The states an order passes through (Kite and Upstox name the same states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Status {
    /// Received by the OMS (`regular`).
    PutOrderReqReceived,
    /// Received after hours, waiting for the market to open (`amo`).
    AmoReqReceived,
    /// Risk checks running.
    ValidationPending,
    /// Sent to the exchange.
    OpenPending,
    /// Resting on the exchange.
    Open,
    /// A stop-loss waiting for its trigger price to trade.
    TriggerPending,
    /// A modification's risk checks running.
    ModifyValidationPending,
    /// A modification sent to the exchange.
    ModifyPending,
    /// The exchange accepted a modification.
    Modified,
    /// Filled in full.
    Complete,
    /// Cancelled (by the user, or an IOC/TTL that ran out).
    Cancelled,
    /// Refused by the OMS or the exchange.
    Rejected,
}

impl Status {
    /// Kite's status text.
    pub(crate) const fn kite(self) -> &'static str {
        match self {
            Status::PutOrderReqReceived => "PUT ORDER REQ RECEIVED",
            Status::AmoReqReceived => "AMO REQ RECEIVED",
            Status::ValidationPending => "VALIDATION PENDING",
            Status::OpenPending => "OPEN PENDING",
            Status::Open => "OPEN",
            Status::TriggerPending => "TRIGGER PENDING",
            Status::ModifyValidationPending => "MODIFY VALIDATION PENDING",
            Status::ModifyPending => "MODIFY PENDING",
            Status::Modified => "MODIFIED",
            Status::Complete => "COMPLETE",
            Status::Cancelled => "CANCELLED",
            Status::Rejected => "REJECTED",
        }
    }

    /// Upstox's status text (lower case, as its order-status appendix spells them).
    pub(crate) const fn upstox(self) -> &'static str {
        match self {
            Status::PutOrderReqReceived => "put order req received",
            Status::AmoReqReceived => "after market order req received",
            Status::ValidationPending => "validation pending",
            Status::OpenPending => "open pending",
            Status::Open => "open",
            Status::TriggerPending => "trigger pending",
            Status::ModifyValidationPending => "modify validation pending",
            Status::ModifyPending => "modify pending",
            Status::Modified => "modified",
            Status::Complete => "complete",
            Status::Cancelled => "cancelled",
            Status::Rejected => "rejected",
        }
    }

    /// True for the states an order rests in and can be modified or cancelled from.
    pub(crate) const fn is_open(self) -> bool {
        matches!(
            self,
            Status::Open | Status::TriggerPending | Status::AmoReqReceived
        )
    }
}

/// The order varieties the simulator takes: regular and after-market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Variety {
    /// `regular`.
    Regular,
    /// `amo`: after-market order, held until the market opens.
    Amo,
}

impl Variety {
    /// Kite's path segment and `variety` field.
    pub(crate) const fn kite(self) -> &'static str {
        match self {
            Variety::Regular => "regular",
            Variety::Amo => "amo",
        }
    }

    /// Upstox's `variety` field (`SIMPLE` as its order updates show; after-market orders are
    /// told apart by `is_amo`).
    pub(crate) const fn upstox(self) -> &'static str {
        match self {
            Variety::Regular => "SIMPLE",
            Variety::Amo => "AMO",
        }
    }
}

/// How long an order lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Validity {
    /// Until the session ends.
    Day,
    /// Immediate or cancel.
    Ioc,
    /// For `validity_ttl` minutes.
    Ttl,
}

impl Validity {
    /// Kite's `validity` text.
    pub(crate) const fn kite(self) -> &'static str {
        match self {
            Validity::Day => "DAY",
            Validity::Ioc => "IOC",
            Validity::Ttl => "TTL",
        }
    }
}

/// The terms a client chooses: what placement sets and modification may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Terms {
    /// How it is priced.
    pub(crate) order_type: OrderType,
    /// Units (a multiple of the lot).
    pub(crate) quantity: u32,
    /// Limit price (LIMIT, SL); zero otherwise.
    pub(crate) price: Price,
    /// Trigger price (SL, SL-M); zero otherwise.
    pub(crate) trigger_price: Price,
    /// How long it lives.
    pub(crate) validity: Validity,
    /// Minutes, for TTL; zero otherwise.
    pub(crate) validity_ttl: u32,
    /// Quantity shown to the market.
    pub(crate) disclosed_quantity: u32,
}

/// An order's state at one moment: one entry of its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OrderState {
    /// The OMS id.
    pub(crate) order_id: String,
    /// The exchange's id, once the order reached the exchange.
    pub(crate) exchange_order_id: Option<String>,
    /// The state.
    pub(crate) status: Status,
    /// Why it was rejected or cancelled by the system.
    pub(crate) status_message: Option<String>,
    /// The risk system's own text of a rejection, where it differs from `status_message`.
    #[serde(default)]
    pub(crate) status_message_raw: Option<String>,
    /// When it was placed or last modified (naive IST).
    pub(crate) order_timestamp: String,
    /// When the exchange last acknowledged it.
    pub(crate) exchange_timestamp: Option<String>,
    /// When the exchange last updated it.
    pub(crate) exchange_update_timestamp: Option<String>,
    /// `regular` or `amo`.
    pub(crate) variety: Variety,
    /// True once modified.
    pub(crate) modified: bool,
    /// The instrument.
    pub(crate) instrument: InstrumentRef,
    /// Buy or sell.
    pub(crate) side: Side,
    /// CNC, MIS, NRML, MTF.
    pub(crate) product: ProductType,
    /// The client's terms.
    pub(crate) terms: Terms,
    /// Average fill price.
    pub(crate) average_price: Price,
    /// Units filled.
    pub(crate) filled_quantity: u32,
    /// Units still to fill.
    pub(crate) pending_quantity: u32,
    /// Units cancelled.
    pub(crate) cancelled_quantity: u32,
    /// Kite's `market_protection` as sent.
    pub(crate) market_protection: i32,
    /// The client's tag.
    pub(crate) tag: Option<String>,
    /// The user who placed it.
    pub(crate) placed_by: String,
}

/// One order of the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OrderRecord {
    /// Where it stands now.
    pub(crate) current: OrderState,
    /// Every state it passed through, oldest first; the last is `current`.
    pub(crate) history: Vec<OrderState>,
    /// For a stop-loss: its trigger has traded, so it now works as a limit or market order.
    pub(crate) triggered: bool,
    /// For TTL validity: when it lapses (Unix seconds).
    pub(crate) expires_unix: Option<i64>,
}

impl OrderRecord {
    /// Moves to `status` and records the step in the history.
    pub(crate) fn transition(&mut self, status: Status) {
        self.current.status = status;
        self.history.push(self.current.clone());
    }

    /// The order's id.
    pub(crate) fn id(&self) -> &str {
        &self.current.order_id
    }

    /// True while it rests in the book.
    pub(crate) fn is_open(&self) -> bool {
        self.current.status.is_open()
    }
}
