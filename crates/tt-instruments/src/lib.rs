//! The instrument master: every broker's daily dump merged into one canonical instrument per
//! contract, stored in SQLite, rebuilt once per trading day, and the resolver from a typed
//! instrument to each broker's token and back.
//!
//! - [`build_master`] parses the dumps (each broker crate owns its format), dates each by its
//!   contents, merges them (one instrument per contract identity, with every broker's token and
//!   that broker's own lot and tick size), validates the result and swaps it in atomically.
//! - [`InstrumentMaster`] reads it: [`InstrumentMaster::resolve_for`] (as one broker lists it),
//!   [`InstrumentMaster::instrument_for_token`], contract terms, expiries, option chains, search,
//!   and [`InstrumentMaster::check_current`] against the IST trading day.
//! - [`TradingMaster`] is how a trading client holds it: opened lazily (a missing master is
//!   retried), reloaded after a refresh, and checked against the IST trading day at each day
//!   boundary, with `on_stale = fail | warn`.
//! - [`Refresher`] keeps it current: once per trading day in IST, each broker independently,
//!   with `on_stale = fail | warn`.
//!
//! - [`broker_config_methods!`] writes the builder methods every broker's config shares
//!   (session file, master, stale policy, HTTP, retry, rate limiter, clock).
//!
//! Runtime files live in a cache directory ([`cache_dir`]): the master at
//! `_cache/instruments.db` under the working directory unless `TT_CACHE_DIR` says otherwise.

mod build;
mod cache;
mod carry;
mod config_methods;
mod error;
mod load;
mod master;
mod merge;
mod refresh;
mod report;
mod schema;
mod store;
mod trading;

pub use build::{BuildOptions, build_master};
pub use cache::{CACHE_DIR_ENV, DEFAULT_CACHE_DIR, cache_dir, default_master_path};
pub use error::MasterError;
pub use load::{DumpInput, ReasonCounts, Segment, open_dump};
pub use master::{
    BrokerListing, ChainStrike, DEFAULT_CACHE_CAPACITY, DumpInfo, InstrumentMaster, Listed,
    Resolved,
};
pub use merge::JoinStats;
pub use refresh::{
    DownloadProgress, DumpFetcher, FetchedDump, RefreshOutcome, Refresher, last_modified,
};
pub use report::{BrokerReport, LoadReport};
pub use trading::{MasterSource, TradingMaster};
pub use tt_core::OnStale;
