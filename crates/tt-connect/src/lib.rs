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
//! offers ([`Trading`], [`Login`], [`MarketFeed`], [`InstrumentSource`]) and hand a value to
//! [`Client::new`]; register it with [`register_broker!`] and [`Client::from_name`] finds it by
//! name. A program that uses such a crate only by name must still name it once, or the linker
//! drops it with its registration: `use my_broker as _;`. The brokers behind tt-connect's own
//! features need nothing of the kind. [`registered_brokers`] lists what is linked.
//!
//! Whichever broker a client holds, it logs in the same way: [`Client::login_url`], then
//! [`Client::complete_login`] with the redirect's query parameters ([`RedirectParams`]).
//!
//! Everything a program needs is here, so it depends on tt-connect alone: with any broker
//! feature, the transport's settings (`HttpConfig`, `RetryPolicy`), `follow_login_redirect`,
//! and building and opening the instrument master (`build_master`, `InstrumentMaster`, the rest
//! in `tt_connect::instruments`); with the `sim` feature, the local simulated broker in
//! `tt_connect::sim`.
//!
//! A glob import (`use tt_connect::*`) is safe: no name here shadows the prelude (an option
//! contract is [`OptionContract`]).

mod any_broker;
pub mod blocking;
mod client;
mod login;
pub mod reconcile;
mod registry;
mod stream;

pub use any_broker::AnyBroker;
pub use client::Client;
pub use reconcile::{ChangeReconciliation, ReconcileWindow, Reconciliation};
pub use registry::registered_brokers;
pub use stream::{FeedEvents, StreamHandle};
pub use tt_core::*;

#[cfg(feature = "zerodha")]
pub use tt_zerodha::{Zerodha, ZerodhaConfig};

#[cfg(feature = "upstox")]
pub use tt_upstox::{Upstox, UpstoxConfig};

#[cfg(feature = "transport")]
pub use login::{LoginRedirectError, follow_login_redirect};
#[cfg(feature = "transport")]
pub use tt_transport::{HttpConfig, RetryPolicy};

/// The instrument master: every broker's dump in one SQLite table, its refresh and resolver.
#[cfg(feature = "instruments")]
pub use tt_instruments as instruments;
#[cfg(feature = "instruments")]
pub use tt_instruments::{
    BuildOptions, DumpInput, InstrumentMaster, MasterError, build_master, open_dump,
};

/// The local simulated broker: Kite's wire protocol on 127.0.0.1, for tests, examples and paper
/// trading.
#[cfg(feature = "sim")]
pub use tt_sim as sim;
