//! The simulator's own failures: starting it, reading its state, and the admin operations a
//! test calls on a running simulator.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What went wrong starting or steering the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The address is not a loopback address; the simulator never listens beyond the machine.
    #[error("refusing to listen on {0}: the simulator binds loopback addresses (127.0.0.1) only")]
    NotLoopback(SocketAddr),
    /// The listening socket could not be opened (address in use, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why the bind failed.
        source: std::io::Error,
    },
    /// The instrument master could not be read.
    #[error("cannot read the instrument master: {0}")]
    Master(#[source] tt_core::Error),
    /// The master lists no instrument for Kite or Upstox, so there is nothing to trade.
    #[error(
        "the instrument master lists no Kite or Upstox instruments: import a broker's dump first"
    )]
    EmptyMaster,
    /// The saved state beside the master could not be opened, read or written, is not a
    /// simulator's state database, or is of another schema version. Retrying will not help
    /// until the file is fixed or removed.
    #[error("simulator state {path}: {reason}")]
    State {
        /// The state database.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// One row of the saved state does not read back. The simulator does not start, and the
    /// database is left as it is: fix or delete that row, or remove the file.
    #[error("simulator state {path}: table `{table}`, row {key}: {reason}")]
    StateRow {
        /// The state database.
        path: PathBuf,
        /// The table holding the row (`orders`, `sessions`, ...).
        table: String,
        /// The row's key (`(kite, 261124000000001)`, an instrument, ...).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The instrument named in an admin call is not in the master.
    #[error(
        "unknown instrument `{0}` (give Kite's EXCHANGE:TRADINGSYMBOL, Upstox's instrument key or the canonical form)"
    )]
    UnknownInstrument(String),
    /// A price given to an admin call cannot be the instrument's price.
    #[error("price {price} for {instrument} is invalid: {reason}")]
    InvalidPrice {
        /// The instrument, as given.
        instrument: String,
        /// The price, as given.
        price: String,
        /// Why it was refused.
        reason: String,
    },
}
