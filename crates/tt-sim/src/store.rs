//! The simulator's state in SQLite beside the instrument master, so a restarted simulator
//! continues where it stopped: both brokers' accounts (orders, trades, positions, holdings,
//! funds and id counters), their open sessions, and the market's prices.
//!
//! Each record is one row of JSON text keyed by broker and the record's own key, and a request
//! writes only the rows it changed, in one transaction: an order placed is an order row and the
//! account row with its counter, never the whole book (see [`crate::tracked`]). The file is
//! readable by its owner only (it holds access tokens), in WAL mode with `synchronous=NORMAL`:
//! a committed request survives the simulator crashing, and only a power cut can lose the last
//! few, which a simulator can afford for a write per request that does not wait on the disk.
//!
//! The schema:
//!
//! | table | key | row |
//! |---|---|---|
//! | `accounts` | broker | cash of each segment and the order and trade counters |
//! | `orders`, `trades`, `positions`, `holdings`, `sessions` | broker, key | one record (`seq` keeps their order) |
//! | `tapes` | canonical instrument | an instrument's price and day |
//! | `market` | name | `opened_unix`: when the day's trading began |
//!
//! The file carries an application id and a schema version (`PRAGMA user_version`); a file of
//! another version or application is refused, never misread, and so is a row that does not read
//! back, naming its table and key, so one bad row never costs the rest of a good file.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tt_core::Instrument;

use crate::account::{Account, Funds};
use crate::market::{Market, Tape};
use crate::session::Session;
use crate::sim::{Desk, Inner};
use crate::tracked::{Keyed, Rows};
use crate::{SimBroker, SimError};

/// The schema's version. Versions 1 and 2 were JSON files; a database of another version is
/// refused.
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// `PRAGMA application_id` of a tt-sim state database: `ttSI` in ASCII.
const APPLICATION_ID: i64 = 0x7474_5349;

/// How long a write waits for another connection's lock before it fails (and is retried with
/// the next change).
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

const SCHEMA: &str = "
CREATE TABLE accounts (broker TEXT NOT NULL PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE orders (broker TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (broker, key));
CREATE TABLE trades (broker TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (broker, key));
CREATE TABLE positions (broker TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (broker, key));
CREATE TABLE holdings (broker TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (broker, key));
CREATE TABLE sessions (broker TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    record TEXT NOT NULL, PRIMARY KEY (broker, key));
CREATE TABLE tapes (instrument TEXT NOT NULL PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE market (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL);
";

/// The tables of per-broker records.
#[derive(Debug, Clone, Copy)]
enum Table {
    Orders,
    Trades,
    Positions,
    Holdings,
    Sessions,
}

impl Table {
    const fn name(self) -> &'static str {
        match self {
            Table::Orders => "orders",
            Table::Trades => "trades",
            Table::Positions => "positions",
            Table::Holdings => "holdings",
            Table::Sessions => "sessions",
        }
    }
}

/// One broker's part of the saved state.
#[derive(Debug)]
pub(crate) struct SavedDesk {
    /// Orders, trades, positions, holdings, funds.
    pub(crate) account: Account,
    /// Open sessions.
    pub(crate) sessions: Rows<Session>,
}

/// What the database holds.
#[derive(Debug)]
pub(crate) struct Saved {
    /// Kite's account and sessions.
    pub(crate) kite: SavedDesk,
    /// Upstox's account and sessions.
    pub(crate) upstox: SavedDesk,
    /// Prices that were set, and the day's tapes.
    pub(crate) market: Market,
}

/// The open state database.
pub(crate) struct Store {
    path: PathBuf,
    connection: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn failure(path: &Path, reason: impl Display) -> SimError {
    SimError::State {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// A serialisation failure as SQLite's error type, so one `?` carries both.
fn encoding(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// Creates the file readable by its owner only (it holds access tokens) when there is none.
/// SQLite gives its `-wal` and `-shm` files the database's mode.
fn create_for_owner(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Narrows an existing state database to its owner, once it is known to be one.
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Store {
    /// Opens the database at `path`, creating it (and its schema) when there is none.
    ///
    /// # Errors
    /// [`SimError::State`] for a file that cannot be opened, is not a tt-sim state database, or
    /// is of another schema version.
    pub(crate) fn open(path: &Path) -> Result<Store, SimError> {
        create_for_owner(path).map_err(|e| failure(path, e))?;
        let connection = Connection::open(path).map_err(|e| failure(path, e))?;
        let store = Store {
            path: path.to_owned(),
            connection,
        };
        store.prepare().map_err(|e| failure(path, e))?;
        restrict_to_owner(path).map_err(|e| failure(path, e))?;
        Ok(store)
    }

    /// Checks the file's identity and version, creating the schema in an empty file.
    fn prepare(&self) -> Result<(), String> {
        let db = &self.connection;
        let sql = |e: rusqlite::Error| e.to_string();
        db.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let pragma = |name: &str| -> Result<i64, String> {
            db.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .map_err(sql)
        };
        let application = pragma("application_id")?;
        let version = pragma("user_version")?;
        let objects: i64 = db
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(sql)?;
        let fresh = application == 0 && version == 0 && objects == 0;
        if !fresh && application != APPLICATION_ID {
            return Err(
                "not a tt-sim state database; give another --state path or remove the file"
                    .to_owned(),
            );
        }
        if !fresh && version != SCHEMA_VERSION {
            return Err(format!(
                "schema version {version} is not {SCHEMA_VERSION} (this simulator's); remove the file to start a fresh account"
            ));
        }
        let mode: String = db
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!("cannot switch the journal to WAL (it is {mode})"));
        }
        db.execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(sql)?;
        if fresh {
            db.execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(sql)?;
        }
        Ok(())
    }

    fn bad_row(&self, table: &str, key: impl Display, reason: impl Display) -> SimError {
        SimError::StateRow {
            path: self.path.clone(),
            table: table.to_owned(),
            key: key.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Reads the saved state; `None` when nothing has been saved yet.
    ///
    /// # Errors
    /// [`SimError::State`] when the database cannot be read, [`SimError::StateRow`] for a
    /// row that does not read back (naming its table and key).
    pub(crate) fn load(&self) -> Result<Option<Saved>, SimError> {
        let read = |e: rusqlite::Error| failure(&self.path, e);
        let opened: Option<i64> = self
            .connection
            .query_row(
                "SELECT value FROM market WHERE name = 'opened_unix'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(read)?;
        let Some(opened) = opened else {
            return Ok(None);
        };
        let mut tapes = BTreeMap::new();
        let mut statement = self
            .connection
            .prepare("SELECT instrument, record FROM tapes")
            .map_err(read)?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(read)?;
        for row in rows {
            let (key, record) = row.map_err(read)?;
            let instrument: Instrument = key
                .parse()
                .map_err(|e| self.bad_row("tapes", &key, format!("not an instrument: {e}")))?;
            let tape: Tape =
                serde_json::from_str(&record).map_err(|e| self.bad_row("tapes", &key, e))?;
            tapes.insert(instrument, tape);
        }
        Ok(Some(Saved {
            kite: self.desk(SimBroker::Kite)?,
            upstox: self.desk(SimBroker::Upstox)?,
            market: Market::restored(opened, tapes),
        }))
    }

    fn desk(&self, broker: SimBroker) -> Result<SavedDesk, SimError> {
        let record: Option<String> = self
            .connection
            .query_row(
                "SELECT record FROM accounts WHERE broker = ?1",
                [broker.name()],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| failure(&self.path, e))?;
        let record = record.ok_or_else(|| self.bad_row("accounts", broker, "missing"))?;
        let funds: Funds =
            serde_json::from_str(&record).map_err(|e| self.bad_row("accounts", broker, e))?;
        let account = Account::restored(
            self.rows(Table::Orders, broker)?,
            self.rows(Table::Trades, broker)?,
            self.rows(Table::Positions, broker)?,
            self.rows(Table::Holdings, broker)?,
            funds,
        );
        Ok(SavedDesk {
            account,
            sessions: self.rows(Table::Sessions, broker)?,
        })
    }

    fn rows<T: Keyed + DeserializeOwned>(
        &self,
        table: Table,
        broker: SimBroker,
    ) -> Result<Rows<T>, SimError> {
        let read = |e: rusqlite::Error| failure(&self.path, e);
        let name = table.name();
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT key, seq, record FROM {name} WHERE broker = ?1 ORDER BY seq"
            ))
            .map_err(read)?;
        let rows = statement
            .query_map([broker.name()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(read)?;
        let mut stored = Vec::new();
        for row in rows {
            let (key, seq, record) = row.map_err(read)?;
            let named = || format!("({broker}, {key})");
            let seq = u64::try_from(seq)
                .map_err(|_| self.bad_row(name, named(), format!("negative seq {seq}")))?;
            let record: T =
                serde_json::from_str(&record).map_err(|e| self.bad_row(name, named(), e))?;
            if record.key() != key {
                return Err(self.bad_row(
                    name,
                    named(),
                    format!("the record is keyed `{}`", record.key()),
                ));
            }
            stored.push((seq, record));
        }
        Ok(Rows::restored(stored))
    }

    /// Writes everything changed since the last successful write, in one transaction.
    ///
    /// # Errors
    /// [`SimError::State`] when the write fails; nothing of it is kept, and the caller keeps
    /// its changes for the next write.
    pub(crate) fn write(&mut self, inner: &Inner) -> Result<(), SimError> {
        let path = self.path.clone();
        let written = (|| {
            let tx = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for broker in SimBroker::ALL {
                write_desk(&tx, broker, inner.desk(broker))?;
            }
            write_market(&tx, &inner.market)?;
            tx.commit()
        })();
        written.map_err(|e| failure(&path, format!("cannot save: {e}")))
    }
}

fn write_desk(tx: &Transaction<'_>, broker: SimBroker, desk: &Desk) -> rusqlite::Result<()> {
    let account = &desk.account;
    if account.funds.has_changes() {
        let record = serde_json::to_string(&*account.funds).map_err(encoding)?;
        tx.prepare_cached(
            "INSERT INTO accounts (broker, record) VALUES (?1, ?2) \
             ON CONFLICT (broker) DO UPDATE SET record = excluded.record",
        )?
        .execute(params![broker.name(), record])?;
    }
    write_rows(tx, Table::Orders, broker, &account.orders)?;
    write_rows(tx, Table::Trades, broker, &account.trades)?;
    write_rows(tx, Table::Positions, broker, &account.positions)?;
    write_rows(tx, Table::Holdings, broker, &account.holdings)?;
    write_rows(tx, Table::Sessions, broker, desk.sessions.open_sessions())
}

fn write_rows<T: Keyed + Serialize>(
    tx: &Transaction<'_>,
    table: Table,
    broker: SimBroker,
    rows: &Rows<T>,
) -> rusqlite::Result<()> {
    if !rows.has_changes() {
        return Ok(());
    }
    let name = table.name();
    if rows.replaces() {
        tx.prepare_cached(&format!("DELETE FROM {name} WHERE broker = ?1"))?
            .execute([broker.name()])?;
    }
    let mut delete = tx.prepare_cached(&format!(
        "DELETE FROM {name} WHERE broker = ?1 AND key = ?2"
    ))?;
    for key in rows.removed() {
        delete.execute(params![broker.name(), key])?;
    }
    let mut upsert = tx.prepare_cached(&format!(
        "INSERT INTO {name} (broker, key, seq, record) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (broker, key) DO UPDATE SET seq = excluded.seq, record = excluded.record"
    ))?;
    for (key, seq, record) in rows.changed() {
        let json = serde_json::to_string(record).map_err(encoding)?;
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        upsert.execute(params![broker.name(), key, seq, json])?;
    }
    Ok(())
}

fn write_market(tx: &Transaction<'_>, market: &Market) -> rusqlite::Result<()> {
    if !market.has_changes() {
        return Ok(());
    }
    if market.replaces() {
        tx.execute("DELETE FROM tapes", [])?;
        tx.prepare_cached(
            "INSERT INTO market (name, value) VALUES ('opened_unix', ?1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )?
        .execute([market.opened_unix()])?;
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO tapes (instrument, record) VALUES (?1, ?2) \
         ON CONFLICT (instrument) DO UPDATE SET record = excluded.record",
    )?;
    for (instrument, tape) in market.changed() {
        let json = serde_json::to_string(tape).map_err(encoding)?;
        upsert.execute(params![instrument.to_string(), json])?;
    }
    Ok(())
}

/// Where `tt sim` keeps the accounts for a master: `<master>.sim-state.db` beside it.
///
/// ```
/// use std::path::Path;
///
/// let path = tt_sim::state_path_for(Path::new("_cache/instruments.db"));
/// assert_eq!(path, Path::new("_cache/instruments.db.sim-state.db"));
/// ```
pub fn state_path_for(master: &Path) -> PathBuf {
    let mut name = master.file_name().unwrap_or_default().to_os_string();
    name.push(".sim-state.db");
    master.with_file_name(name)
}
