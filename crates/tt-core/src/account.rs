//! The account itself: who it belongs to and what money it has.

use serde::{Deserialize, Serialize};

use crate::{Amount, Exchange, OrderType, ProductType};

/// The account holder and what the account may trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The broker's user id (`AB1234`).
    pub user_id: String,
    /// The account holder's name.
    pub user_name: String,
    /// The holder's e-mail address, where the broker reports it.
    pub email: Option<String>,
    /// The broker, as the adapter names it (`zerodha`).
    pub broker: String,
    /// The exchanges the account is enabled on (segments tt-connect does not model are left out).
    pub exchanges: Vec<Exchange>,
    /// The products the account may use.
    pub products: Vec<ProductType>,
    /// The order types the account may use.
    pub order_types: Vec<OrderType>,
}

/// Funds and margin for one segment group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentFunds {
    /// What can be used for new orders now.
    pub available: Amount,
    /// Margin blocked by open orders and positions.
    pub used: Amount,
    /// Cash at the start of the day, where the broker reports it.
    pub opening_balance: Option<Amount>,
    /// Margin from pledged collateral, where the broker reports it.
    pub collateral: Option<Amount>,
}

/// Funds and margin, per segment group. A group the account does not have is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funds {
    /// Equity and equity-derivative (and currency) segments.
    pub equity: Option<SegmentFunds>,
    /// Commodity segments.
    pub commodity: Option<SegmentFunds>,
}
