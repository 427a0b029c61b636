//! The instrument master: every broker's daily dump merged into one canonical instrument per
//! contract, stored in SQLite, refreshed once per trading day, and the resolver from a typed
//! instrument to each broker's token and back.
//!
//! Runtime files live in a cache directory ([`cache_dir`]): the master at
//! `_cache/instruments.db` under the working directory unless `TT_CACHE_DIR` says otherwise.

mod cache;

pub use cache::{CACHE_DIR_ENV, DEFAULT_CACHE_DIR, cache_dir, default_master_path};
