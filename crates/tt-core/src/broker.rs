//! The traits a broker adapter implements.
//!
//! A broker is one value implementing [`Broker`] (identity and capability matrix) and, for what
//! it offers, [`Trading`] (REST: account, portfolio, orders, trades), [`MarketFeed`] (streaming)
//! and [`InstrumentSource`] (its instrument dump). The traits are object-safe and live here, not
//! in the facade, so a broker can be an external crate that depends on `tt-connect` alone.
//!
//! Adapters receive requests that the client has already checked against their
//! [`Capabilities`]; they still own everything broker-specific: auth, wire formats, error maps.

use std::io::BufRead;

use async_trait::async_trait;

use crate::{
    Capabilities, DumpError, DumpRecord, Feed, FeedOptions, Funds, Holding, Instrument, Order,
    OrderId, OrderModification, OrderRecord, OrderRequest, Positions, Profile, QuoteDetail, Result,
    Tick, Trade,
};

/// A broker: its name and what it supports.
pub trait Broker: Send + Sync + 'static {
    /// The capability matrix, checked before any network call.
    fn capabilities(&self) -> &Capabilities;

    /// The broker's lower-case name (`zerodha`), as used in errors and config.
    fn name(&self) -> &'static str {
        self.capabilities().broker()
    }
}

/// A broker's REST operations. Every method returns canonical models; no broker field name
/// escapes the adapter.
///
/// Place, modify and cancel are never retried by an adapter: when the request may have left and
/// no definite answer came back, a placement fails with [`crate::Error::OrderOutcomeUnknown`]
/// (carrying its tag) and a change with [`crate::Error::OrderChangeOutcomeUnknown`] (carrying
/// the order id and what was asked).
#[async_trait]
pub trait Trading: Broker {
    /// The account holder's profile.
    async fn profile(&self) -> Result<Profile>;

    /// Funds and margins per segment group.
    async fn funds(&self) -> Result<Funds>;

    /// Demat holdings.
    async fn holdings(&self) -> Result<Vec<Holding>>;

    /// Net and day positions.
    async fn positions(&self) -> Result<Positions>;

    /// Today's orders.
    async fn orders(&self) -> Result<Vec<Order>>;

    /// Every state an order went through, oldest first.
    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>>;

    /// Today's order book in the broker's own terms, read without the instrument master: what
    /// reconciliation reads, so an order whose instrument the master lacks (or a master that
    /// cannot be opened) cannot hide an order. Brokers that can read their book without the
    /// master override this; the default goes through [`Trading::orders`].
    async fn order_records(&self) -> Result<Vec<OrderRecord>> {
        Ok(self
            .orders()
            .await?
            .into_iter()
            .map(OrderRecord::from)
            .collect())
    }

    /// One order's history in the broker's own terms, oldest first, read without the
    /// instrument master (see [`Trading::order_records`]).
    async fn order_record_history(&self, order_id: &OrderId) -> Result<Vec<OrderRecord>> {
        Ok(self
            .order_history(order_id)
            .await?
            .into_iter()
            .map(OrderRecord::from)
            .collect())
    }

    /// Places an order; returns the broker's order id.
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId>;

    /// Modifies an open order; returns its order id.
    async fn modify_order(&self, order_id: &OrderId, change: &OrderModification)
    -> Result<OrderId>;

    /// Cancels an open order; returns its order id.
    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId>;

    /// Today's fills.
    async fn trades(&self) -> Result<Vec<Trade>>;

    /// The fills of one order.
    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>>;

    /// Snapshot quotes for instruments, one tick each for those the broker knows, in
    /// [`QuoteDetail`]'s depth. Brokers without a quote endpoint keep this default.
    ///
    /// # Errors
    /// [`crate::Error::UnsupportedFeature`] by default.
    async fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Result<Vec<Tick>> {
        let _ = (instruments, detail);
        Err(crate::Error::UnsupportedFeature {
            broker: self.name(),
            feature: "quotes".to_owned(),
        })
    }
}

/// A broker's streaming market data and order updates.
#[async_trait]
pub trait MarketFeed: Broker {
    /// Opens the broker's feed with nothing subscribed yet. Order updates (when
    /// `options.order_updates`) stream at once; market data once instruments are subscribed
    /// through [`Feed::control`].
    ///
    /// # Errors
    /// [`crate::Error::SessionExpired`] (or not logged in) before any socket opens;
    /// [`crate::Error::UnsupportedFeature`] from brokers that do not stream (the default).
    async fn open_feed(&self, options: FeedOptions) -> Result<Feed> {
        let _ = options;
        Err(crate::Error::UnsupportedFeature {
            broker: self.name(),
            feature: "streaming".to_owned(),
        })
    }
}

/// The rows of a dump, read lazily as the caller pulls them.
pub type DumpRows<'a> =
    Box<dyn Iterator<Item = std::result::Result<DumpRecord, DumpError>> + Send + 'a>;

/// A broker's instrument dump format.
pub trait InstrumentSource: Broker {
    /// Parses a dump, streaming: rows are read from `dump` one at a time as the iterator is
    /// pulled, so a 60 MB file is never held whole. A [`DumpError::Row`] may be skipped; after a
    /// [`DumpError::Corrupt`] the whole dump must be discarded.
    fn parse_dump<'a>(&self, dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a>;
}
