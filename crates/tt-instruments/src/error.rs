//! What can go wrong building, refreshing or reading the master.

use std::path::PathBuf;

use time::Date;

/// An instrument master operation failed. In every case the previous master, if there was
/// one, is still in place and readable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MasterError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// SQLite refused an operation.
    #[error("instrument master {path}: {context}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        context: &'static str,
        /// The failure.
        source: rusqlite::Error,
    },
    /// No master exists at the path yet.
    #[error(
        "no instrument master at {0}; build one with `tt instruments import` or `tt instruments refresh`"
    )]
    Missing(PathBuf),
    /// The file is not a master this version can read (another schema version, or not one).
    #[error(
        "{path} is not an instrument master this version reads ({reason}); rebuild it with `tt instruments import` or `tt instruments refresh`"
    )]
    Incompatible {
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A dump is broken (truncated, corrupt compression, not the expected format).
    #[error("{broker} dump {source_name} is corrupt at line {line}: {reason}")]
    CorruptDump {
        /// The broker.
        broker: String,
        /// Where the dump came from (a path or URL).
        source_name: String,
        /// Where reading stopped.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// Too many rows of a dump could not be parsed to trust the rest.
    #[error(
        "{broker} dump {source_name}: {malformed} of {rows} rows are malformed (limit {limit:.1}%); first: {first}"
    )]
    TooManyMalformed {
        /// The broker.
        broker: String,
        /// Where the dump came from.
        source_name: String,
        /// Rows that failed to parse.
        malformed: u64,
        /// Rows read.
        rows: u64,
        /// The allowed percentage.
        limit: f64,
        /// The first malformed row, with its line.
        first: String,
    },
    /// A dump yields no instruments at all.
    #[error("{broker} dump {source_name} has no instruments")]
    EmptyDump {
        /// The broker.
        broker: String,
        /// Where the dump came from.
        source_name: String,
    },
    /// A segment the previous master had is empty, or shrank past the allowed fraction.
    #[error(
        "{broker}: {segment} has {rows} rows, the previous master had {previous}; refusing a dump that shrank by more than {max_drop_percent:.0}%"
    )]
    Collapsed {
        /// The broker.
        broker: String,
        /// The segment, e.g. `NFO option`.
        segment: String,
        /// Rows in the new dump.
        rows: u64,
        /// Rows in the previous master.
        previous: u64,
        /// The largest drop allowed, in percent.
        max_drop_percent: f64,
    },
    /// More derivatives than allowed have an equity or index underlying missing from the master
    /// though their broker's dump lists that segment: a sign of a partial dump. (Below the
    /// limit they are left out and counted in the load report.)
    #[error(
        "{count} of {derivatives} derivatives have no underlying in the master (limit {limit:.1}%), e.g. {examples}"
    )]
    MissingUnderlyings {
        /// How many.
        count: usize,
        /// Derivatives in the master.
        derivatives: usize,
        /// The allowed percentage.
        limit: f64,
        /// A few, as `derivative -> missing spot`.
        examples: String,
    },
    /// A dump meant to describe a trading day still lists a derivative that expired before it:
    /// it is an older dump (a cache, a mirror that has not updated). Retrying later may help.
    #[error(
        "{broker} dump {source_name} is older than {claimed}: it still lists {expired}; refusing stale instruments"
    )]
    StaleDump {
        /// The broker.
        broker: String,
        /// Where the dump came from.
        source_name: String,
        /// The day it was meant to describe.
        claimed: Date,
        /// A derivative it lists that had expired before that day.
        expired: String,
    },
    /// The master is older than today (IST) and could not be refreshed, with `on_stale = fail`.
    #[error(
        "the {broker} instruments are from {dump_date}, not today ({today} IST), and the refresh failed: {reason}"
    )]
    Stale {
        /// The broker.
        broker: String,
        /// The date of the dump in the master.
        dump_date: Date,
        /// Today in IST.
        today: Date,
        /// Why the refresh failed.
        reason: String,
    },
    /// A broker's part of the master describes an earlier trading day than today (IST), or the
    /// master has no part from that broker. Refreshing the master helps.
    #[error(
        "the {broker} instruments in {path} are from {}, not today ({today} IST); refresh them with `tt instruments refresh`",
        dump_date.map_or_else(|| "no dump".to_owned(), |d| d.to_string())
    )]
    OutOfDate {
        /// The master.
        path: PathBuf,
        /// The broker.
        broker: String,
        /// The date of that broker's dump in the master; `None` when it has none.
        dump_date: Option<Date>,
        /// Today in IST.
        today: Date,
    },
    /// A dump could not be downloaded.
    #[error("downloading the {broker} dump failed: {message}")]
    Download {
        /// The broker.
        broker: String,
        /// What failed.
        message: String,
    },
    /// Building the master stopped unexpectedly (a panic in a parser thread).
    #[error("building the master failed: {0}")]
    Interrupted(String),
}

impl From<MasterError> for tt_core::Error {
    fn from(error: MasterError) -> Self {
        tt_core::Error::Config(error.to_string())
    }
}
