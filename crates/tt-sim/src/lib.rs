//! tt-sim: a simulated broker on loopback that speaks the brokers' real wire protocols, for
//! integration tests, the README demo and paper trading.
//!
//! Today it is **Kite Connect v3** (Zerodha), faithful enough that the official Python
//! `kiteconnect` client works against it unchanged given the simulator's URL as its `root`:
//! the login redirect and session checksum, every user, portfolio, order, trade, quote and
//! instrument endpoint with Kite's field names, types, statuses, error envelopes and rate
//! limits. It is an independent implementation of the format (it shares no code with
//! `tt-zerodha`), so a misreading of Kite's format cannot hide on both sides of a test.
//!
//! Behind the wire is a small exchange: a funded account with a few holdings, a price per
//! instrument (settable, otherwise derived from the instrument), market orders filling at
//! once, limit and stop-loss orders resting until the price reaches them, and every fill
//! moving positions, holdings and margins. Faults can be injected per endpoint (see
//! [`Fault`] for which act before and which after the request is processed), and the admin
//! endpoints under `/__sim/` steer it from any language, given the run's admin token
//! ([`SimHandle::admin_token`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use tt_instruments::InstrumentMaster;
//! use tt_sim::{RateLimits, SimConfig, Simulator};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let master = Arc::new(InstrumentMaster::open("_cache/instruments.db")?);
//! let sim = Simulator::start(SimConfig::new(master).rate_limits(RateLimits::UNLIMITED)).await?;
//! let access_token = sim.open_session();
//! // ... point a Kite client at sim.url() with sim.app().api_key and access_token ...
//! sim.set_price("NSE:INFY", "1500".parse()?)?;
//! assert!(sim.orders().is_empty());
//! # Ok(()) }
//! ```

mod account;
mod admin;
mod book;
mod broker;
mod call;
mod checks;
mod config;
mod error;
mod fault;
mod form;
mod kite;
mod market;
mod money;
mod quote;
mod rate;
mod reply;
mod server;
mod session;
mod sim;
mod stamp;
mod state;
mod universe;
mod upstox;

pub use broker::SimBroker;
pub use config::{KiteApp, RateLimits, SimConfig};
pub use error::SimError;
pub use fault::{Fault, FaultTarget, InvalidFaultTarget};
pub use server::{SimHandle, SimOrder, Simulator};
pub use state::state_path_for;
