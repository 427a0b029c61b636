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
    /// The saved state beside the master could not be read or written. Retrying will not help
    /// until the file is fixed or removed.
    #[error("simulator state {path}: {reason}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What failed.
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
