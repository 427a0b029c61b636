//! The master's SQLite schema.
//!
//! Canonical identity lives in `instruments`; what is particular to a kind lives in its type
//! table, with no NULL columns; each broker's identifiers and trading terms (lot, tick, freeze
//! quantity, multiplier: brokers' dumps can disagree, and an order must meet its own broker's) live in
//! `broker_tokens`, one row per (instrument, broker). Money columns hold exact fixed-point integers in units of 10^-8 rupee
//! (`*_e8`), never floats. Derivatives point at `underlyings` (NIFTY on NFO), which point at their
//! spot instrument (the NIFTY 50 index) where the master has one.

/// Bumped whenever the schema changes; a master with another version is rebuilt, not read.
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// Creates every table. Indices come later, after the bulk insert, which is faster.
pub(crate) const CREATE_TABLES: &str = "
CREATE TABLE master_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Canonical identity: one row per contract.
CREATE TABLE instruments (
    id              INTEGER PRIMARY KEY,
    exchange        TEXT NOT NULL,
    kind            TEXT NOT NULL,     -- equity | index | future | option | currency
    symbol          TEXT NOT NULL,     -- ticker, index name, or underlying
    canonical       TEXT NOT NULL,     -- the canonical text form, e.g. NFO:NIFTY:2026-12-29:24000:CE
    name            TEXT
);

CREATE TABLE equities (
    instrument_id INTEGER PRIMARY KEY REFERENCES instruments(id)
);

CREATE TABLE isins (
    instrument_id INTEGER PRIMARY KEY REFERENCES instruments(id),
    isin          TEXT NOT NULL
);

CREATE TABLE indices (
    instrument_id INTEGER PRIMARY KEY REFERENCES instruments(id)
);

-- What derivatives derive from: a symbol on a derivatives segment (NFO:NIFTY).
CREATE TABLE underlyings (
    id       INTEGER PRIMARY KEY,
    exchange TEXT NOT NULL,
    symbol   TEXT NOT NULL,
    UNIQUE (exchange, symbol)
);

-- The spot instrument an underlying tracks, where the master has it (NFO:NIFTY -> NSE:INDEX:NIFTY 50).
CREATE TABLE underlying_spots (
    underlying_id INTEGER PRIMARY KEY REFERENCES underlyings(id),
    instrument_id INTEGER NOT NULL REFERENCES instruments(id)
);

-- Futures, index/stock/commodity and currency. Clustered on the lookup key (the design's
-- idx_futures), and written in that order, so no separate index is built.
CREATE TABLE futures (
    underlying_id INTEGER NOT NULL REFERENCES underlyings(id),
    expiry        TEXT NOT NULL,
    instrument_id INTEGER NOT NULL REFERENCES instruments(id),
    PRIMARY KEY (underlying_id, expiry, instrument_id)
) WITHOUT ROWID;

-- Options, index/stock/commodity and currency. Clustered on the chain key (the design's
-- idx_options).
CREATE TABLE options (
    underlying_id INTEGER NOT NULL REFERENCES underlyings(id),
    expiry        TEXT NOT NULL,
    strike_e8     INTEGER NOT NULL,
    option_type   TEXT NOT NULL,         -- CE | PE
    instrument_id INTEGER NOT NULL REFERENCES instruments(id),
    PRIMARY KEY (underlying_id, expiry, strike_e8, option_type, instrument_id)
) WITHOUT ROWID;

-- One canonical instrument, N broker tokens, each with that broker's trading terms. One broker
-- may list an identity twice (two instruments), never one instrument twice.
CREATE TABLE broker_tokens (
    instrument_id   INTEGER NOT NULL REFERENCES instruments(id),
    broker          TEXT NOT NULL,
    token           TEXT NOT NULL,
    symbol          TEXT,
    exchange        TEXT,
    exchange_token  TEXT NOT NULL,
    lot_size        INTEGER NOT NULL,
    tick_size_e8    INTEGER NOT NULL,
    freeze_quantity INTEGER,
    multiplier      INTEGER,           -- rupees per unit of quantity at price 1, where stated
    PRIMARY KEY (instrument_id, broker)
) WITHOUT ROWID;

-- Per broker: which dump the master was built from. `dump_date` is the trading day the dump
-- describes, by its contents; `last_modified` is the source's Last-Modified, where it sent one.
CREATE TABLE dumps (
    broker        TEXT PRIMARY KEY,
    dump_date     TEXT NOT NULL,
    loaded_at     TEXT NOT NULL,
    source        TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    last_modified TEXT
) WITHOUT ROWID;

-- Per broker and segment: how many rows the dump had, to spot a collapsed dump next time.
CREATE TABLE segment_counts (
    broker  TEXT NOT NULL,
    segment TEXT NOT NULL,
    rows    INTEGER NOT NULL,
    PRIMARY KEY (broker, segment)
) WITHOUT ROWID;
";

/// The lookup indices, created after the bulk insert. Derivatives are found through their
/// clustered type tables, so `idx_instruments` only covers equities and indices.
pub(crate) const CREATE_INDICES: &str = "
CREATE INDEX idx_instruments ON instruments(exchange, symbol) WHERE kind IN ('equity', 'index');
CREATE UNIQUE INDEX idx_broker_tokens ON broker_tokens(broker, token);
";
