//! tt-sim: a simulated broker on loopback that speaks the brokers' real wire protocols, for
//! integration tests, the README demo and paper trading.
//!
//! One address serves two brokers, dispatched by path ([`SimBroker::of_path`]):
//!
//! - **Kite Connect v3** (Zerodha), faithful enough that the official Python `kiteconnect`
//!   client works against it unchanged given the simulator's URL as its `root`: the login
//!   redirect and session checksum, every user, portfolio, order, trade, quote and instrument
//!   endpoint with Kite's field names, types, statuses, error envelopes and rate limits.
//! - **Upstox API v2/v3**, for the `/v2/...` and `/v3/...` paths (point both the API root and
//!   the order root at [`SimHandle::url`]) and the public BOD instrument files under
//!   `/market-quote/instruments/exchange/`: the OAuth dialog and token exchange, the `Bearer`
//!   and `Api-Version` headers, profile, funds, holdings, positions, orders (v3's `slice`
//!   included), trades and quotes with Upstox's field names, lower-case statuses, `UDAPI` error
//!   bodies and rate limits.
//!
//! The same address serves both brokers' WebSocket feeds (see [`StreamConfig`]):
//!
//! - **Kite's ticker** at any Kite path (`ws://ADDR/?api_key=..&access_token=..`, what
//!   `KiteTicker(root="ws://ADDR")` opens): binary packets of the `ltp`, `quote` and `full`
//!   modes for tradable instruments and indices in each segment's price units, a 1-byte
//!   heartbeat after a silent second, and order updates (`{"type":"order","data":...}`) as the
//!   Kite book changes; at most 3,000 tokens per connection and three connections per api_key.
//! - **Upstox's market data feed v3** at `/v3/feed/market-data-feed` (opened with the Bearer
//!   header or the single-use URI of `GET /v3/feed/market-data-feed/authorize`): protobuf
//!   `FeedResponse`s, `market_info` first, then per subscription an `initial_feed` and
//!   `live_feed` ticks in the `ltpc`, `full`, `option_greeks` and `full_d30` modes, within
//!   Upstox's per-mode key limits.
//! - **Upstox's portfolio stream feed** at `/v2/feed/portfolio-stream-feed` (Bearer, or the URI
//!   of its `authorize` call): order updates, and position updates when asked for.
//!
//! Ticks come from the one market: each is a trade at the instrument's current price (which
//! [`SimHandle::set_price`], `POST /__sim/prices` or an optional seeded [`PriceWalk`] moves),
//! with the depth and figures the REST quotes show. [`SimHandle::stream_fault`] (or
//! `POST /__sim/stream`) drops, mutes, garbles or expires the live feeds for tests.
//!
//! Each is an independent implementation of the format (it shares no code with `tt-zerodha` or
//! `tt-upstox`), so a misreading of a broker's format cannot hide on both sides of a test.
//!
//! Behind the wire is a small exchange: one market (a price per canonical instrument, settable,
//! otherwise derived from the instrument), and per broker a funded account with a few holdings
//! among the instruments that broker lists, market orders filling at once, limit and stop-loss
//! orders resting until the price reaches them, and every fill moving that account's positions,
//! holdings and margins. A Kite order never appears in Upstox's book, nor the other way round;
//! the same instrument trades through both at the exchange's one price. As at the brokers, an
//! order short of funds or holdings is accepted and then rejected in the book (`REJECTED` with
//! the broker's own message, on the next read); [`SimConfig::reject_synchronously`] refuses it
//! at placement instead. Values, P&L and margins count each contract's multiplier (the
//! master's, as Upstox's dump states it: 100 for MCX gold; else 1,000 for currency derivatives
//! and 1 for the rest). Faults can be injected per endpoint (see [`Fault`] for which act
//! before and which after the request is processed), and the admin endpoints under `/__sim/`
//! steer it from any language, given the run's admin token ([`SimHandle::admin_token`]).
//!
//! With [`SimConfig::state_file`] (`tt sim` uses [`state_path_for`], `<master>.sim-state.db`)
//! both brokers' accounts, sessions and the prices live in a SQLite database, written row by
//! row as each request changes them, so a restarted simulator continues where it stopped.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tt_instruments::InstrumentMaster;
//! use tt_sim::{RateLimits, SimBroker, SimConfig, Simulator};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let master = Arc::new(InstrumentMaster::open("_cache/instruments.db")?);
//! let sim = Simulator::start(SimConfig::new(master).rate_limits(RateLimits::UNLIMITED)).await?;
//! let kite_token = sim.open_session();
//! let upstox_token = sim.open_session_for(SimBroker::Upstox);
//! // ... point a Kite client at sim.url() with sim.app().api_key and kite_token, and an
//! // Upstox client (API root and order root) at sim.url() with `Bearer upstox_token` ...
//! sim.set_price("NSE:INFY", "1500".parse()?)?;
//! assert!(sim.orders().is_empty());
//! assert!(sim.orders_of(SimBroker::Upstox).is_empty());
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
mod store;
mod stream;
mod tracked;
mod universe;
mod upstox;

pub use broker::SimBroker;
pub use config::{KiteApp, RateLimits, SimConfig};
pub use error::SimError;
pub use fault::{Fault, FaultTarget, InvalidFaultTarget};
pub use server::{SimHandle, SimOrder, Simulator};
pub use store::state_path_for;
pub use stream::{FrameTap, PriceWalk, StreamConfig, StreamFault, UnknownStreamFault};
