//! tt-connect: one typed, fast, safe interface to Indian stock brokers.
//!
//! Depend on this crate alone; everything is re-exported from its root, so one
//! `use tt_connect::...` is enough. Brokers sit behind cargo features (`zerodha`, `upstox`, both
//! on by default): with `default-features = false, features = ["zerodha"]` the Upstox adapter
//! and its dependencies are not compiled at all.
//!
//! ```
//! use tt_connect::{BrokerSettings, Client, Instrument, OrderRequest, ProductType};
//!
//! # #[cfg(not(feature = "zerodha"))] fn main() {}
//! # #[cfg(feature = "zerodha")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_name("zerodha", BrokerSettings::new("api_key", "api_secret"))?;
//! let nifty_call: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse()?;
//! let order = OrderRequest::buy(nifty_call, 75, ProductType::Nrml)
//!     .limit("101.05".parse()?)
//!     .build()?;
//! client.check_order(&order)?; // segment, order type, product, validity: before any network
//! # Ok(())
//! # }
//! ```
//!
//! A broker can also be an external crate: implement [`Broker`] and the traits for what it
//! offers ([`Trading`], [`MarketFeed`], [`InstrumentSource`]) and hand a value to
//! [`Client::new`].
//!
//! A glob import (`use tt_connect::*`) is safe: no name here shadows the prelude (an option
//! contract is [`OptionContract`]).

mod any_broker;
pub mod blocking;
mod client;
pub mod reconcile;

pub use any_broker::{AVAILABLE_BROKERS, AnyBroker, BrokerSettings};
pub use client::Client;
pub use reconcile::{ChangeReconciliation, ReconcileWindow, Reconciliation};
pub use tt_core::*;

#[cfg(feature = "zerodha")]
pub use tt_zerodha::{SessionEnded, SessionInfo, Zerodha, ZerodhaConfig};

#[cfg(feature = "upstox")]
pub use tt_upstox::{Upstox, UpstoxConfig};
