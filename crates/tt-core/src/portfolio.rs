//! What the account holds: positions (today's and carried derivatives and intraday trades) and
//! holdings (delivered shares in the demat account).

use serde::{Deserialize, Serialize};

use crate::{Amount, BrokerToken, Instrument, Price, ProductType};

/// A position in one instrument and product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The canonical instrument; `None` when the instrument master does not know the broker's
    /// token (a contract listed after the master was built, say): see `broker_token`.
    pub instrument: Option<Instrument>,
    /// The broker's own identifiers for the instrument (its token, and where it has them its
    /// trading symbol and exchange code), whether or not the master knows them.
    pub broker_token: BrokerToken,
    /// The product.
    pub product: ProductType,
    /// Net quantity in units; negative when short.
    pub quantity: i64,
    /// Quantity carried from previous sessions.
    pub overnight_quantity: i64,
    /// The contract multiplier (units of the underlying per quoted unit; 1 for most).
    pub multiplier: u32,
    /// Average price of the net position.
    pub average_price: Price,
    /// Last traded price.
    pub last_price: Price,
    /// Previous session's close, where known.
    pub close_price: Option<Price>,
    /// Profit and loss, realised and unrealised.
    pub pnl: Amount,
    /// Realised profit and loss.
    pub realised: Amount,
    /// Unrealised profit and loss.
    pub unrealised: Amount,
    /// Units bought.
    pub buy_quantity: u64,
    /// Value bought.
    pub buy_value: Amount,
    /// Units sold.
    pub sell_quantity: u64,
    /// Value sold.
    pub sell_value: Amount,
}

/// Positions as brokers report them: net (carried plus today) and today's alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Positions {
    /// Net positions, including those carried from previous sessions.
    pub net: Vec<Position>,
    /// Positions from today's trades only.
    pub day: Vec<Position>,
}

/// Shares held in the demat account (or awaiting delivery).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// The canonical instrument; `None` when the instrument master does not know the broker's
    /// token (a contract listed after the master was built, say): see `broker_token`.
    pub instrument: Option<Instrument>,
    /// The broker's own identifiers for the instrument (its token, and where it has them its
    /// trading symbol and exchange code), whether or not the master knows them.
    pub broker_token: BrokerToken,
    /// The ISIN, where the broker reports it.
    pub isin: Option<String>,
    /// Units held and settled.
    pub quantity: i64,
    /// Units bought but not yet delivered (T+1).
    pub t1_quantity: i64,
    /// Average buy price.
    pub average_price: Price,
    /// Last traded price.
    pub last_price: Price,
    /// Previous session's close, where known.
    pub close_price: Option<Price>,
    /// Profit and loss against the average price.
    pub pnl: Amount,
}
