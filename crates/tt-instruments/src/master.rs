//! Reading the master: the resolver from a typed instrument to each broker's token and back,
//! and the lookups strategies need (contract terms, expiries, option chains, search).
//!
//! Lookups are cached in bounded concurrent caches; a refresh (or [`InstrumentMaster::reload`])
//! swaps in the new file and drops every cached entry at once.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use quick_cache::sync::Cache;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use tt_core::{BrokerToken, ContractSpec, Error, Exchange, Instrument, OptionType, Price};

use crate::MasterError;
use crate::schema::SCHEMA_VERSION;

/// One broker's listing of an instrument: its identifiers and its own trading terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerListing {
    /// The broker.
    pub broker: String,
    /// The broker's identifiers.
    pub token: BrokerToken,
    /// Tick size, lot size, freeze quantity and multiplier as this broker's dump gives them: an order to
    /// this broker is checked against these.
    pub contract: ContractSpec,
}

/// Everything the master knows about one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The canonical instrument.
    pub instrument: Instrument,
    /// Its descriptive name, where a dump gave one.
    pub name: Option<String>,
    /// The ISIN of an equity, where known.
    pub isin: Option<String>,
    /// Each broker's listing, by broker name.
    pub brokers: Vec<BrokerListing>,
}

impl Resolved {
    /// The given broker's listing, if it lists the instrument.
    pub fn listing(&self, broker: &str) -> Option<&BrokerListing> {
        self.brokers.iter().find(|l| l.broker == broker)
    }

    /// The given broker's identifiers, if it lists the instrument.
    pub fn token(&self, broker: &str) -> Option<&BrokerToken> {
        self.listing(broker).map(|l| &l.token)
    }

    /// The given broker's trading terms (tick, lot, freeze quantity), if it lists the
    /// instrument.
    pub fn contract(&self, broker: &str) -> Option<&ContractSpec> {
        self.listing(broker).map(|l| &l.contract)
    }

    /// The given broker's trading terms, what an order to it (or a change of one) is checked
    /// against.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] naming the instrument and broker when the broker does not
    /// list it.
    pub fn contract_for(&self, broker: &'static str) -> Result<&ContractSpec, Error> {
        self.contract(broker)
            .ok_or_else(|| Error::InstrumentNotFound {
                spec: self.instrument.to_string(),
                broker: Some(broker),
            })
    }
}

/// One instrument as one broker lists it: what [`InstrumentMaster::listing`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The canonical instrument.
    pub instrument: Instrument,
    /// Its descriptive name, where a dump gave one.
    pub name: Option<String>,
    /// Tick size, lot size, freeze quantity and multiplier, as this broker gives them.
    pub contract: ContractSpec,
    /// The ISIN of an equity, where known.
    pub isin: Option<String>,
    /// The broker's identifiers.
    pub token: BrokerToken,
    /// The exchange's own token.
    pub exchange_token: String,
}

/// One strike of an option chain, with the call and put where listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStrike {
    /// The strike.
    pub strike: Price,
    /// The call at this strike.
    pub call: Option<Arc<Resolved>>,
    /// The put at this strike.
    pub put: Option<Arc<Resolved>>,
}

/// Which dump a broker's part of the master came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpInfo {
    /// The broker.
    pub broker: String,
    /// The trading date (IST) the dump describes.
    pub dump_date: Date,
    /// Where it came from.
    pub source: String,
    /// Rows it had.
    pub rows: u64,
    /// The source's `Last-Modified`, where it sent one.
    pub last_modified: Option<OffsetDateTime>,
}

/// The instruments sharing one identity.
type Candidates = Arc<[Arc<Resolved>]>;

/// The default number of instruments each cache holds.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// One opened master file with its caches.
struct Snapshot {
    conn: Mutex<Connection>,
    file_id: Option<(u64, u64)>,
    /// Every instrument with an identity (usually one; two where a broker lists it twice).
    forward: Cache<Instrument, Candidates>,
    reverse: Vec<(String, Cache<String, Arc<Resolved>>)>,
    dumps: Vec<DumpInfo>,
}

/// The instrument master, open for reading. Thread-safe; share it behind an `Arc`.
///
/// ```no_run
/// use tt_instruments::InstrumentMaster;
///
/// let master = InstrumentMaster::open("_cache/instruments.db")?;
/// let resolved = master.resolve_spec("NFO:NIFTY:2026-12-29:24000:CE")?;
/// if let Some(kite) = resolved.token("zerodha") {
///     println!("{} on NFO as {:?}", kite.token, kite.symbol);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InstrumentMaster {
    path: PathBuf,
    capacity: usize,
    current: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for InstrumentMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstrumentMaster")
            .field("path", &self.path)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs(), u64::from(d.subsec_nanos())))
    }
}

impl InstrumentMaster {
    /// Opens the master at `path` with the default cache size.
    ///
    /// # Errors
    /// [`MasterError::Missing`] when there is none; [`MasterError::Incompatible`] for a file
    /// this version cannot read.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, MasterError> {
        Self::open_with_capacity(path, DEFAULT_CACHE_CAPACITY)
    }

    /// Opens the master at `path`; each lookup cache holds up to `capacity` instruments.
    ///
    /// # Errors
    /// As [`InstrumentMaster::open`].
    pub fn open_with_capacity(
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<Self, MasterError> {
        let path = path.as_ref().to_owned();
        let snapshot = Snapshot::open(&path, capacity)?;
        Ok(InstrumentMaster {
            path,
            capacity,
            current: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// The master's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reopens the file at the path (after a refresh) and empties the caches.
    ///
    /// # Errors
    /// As [`InstrumentMaster::open`]; the old snapshot stays in use on error.
    pub fn reload(&self) -> Result<(), MasterError> {
        let snapshot = Snapshot::open(&self.path, self.capacity)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        Ok(())
    }

    /// Runs `refresher` (which must manage this master's path) and, when it rebuilt the master,
    /// switches to the new file and empties the caches: the in-process way to refresh.
    ///
    /// # Errors
    /// As [`crate::Refresher::refresh_if_stale`], or a failure to open the new file.
    pub async fn refresh_if_stale(
        &self,
        refresher: &crate::Refresher<'_>,
        progress: crate::DownloadProgress<'_>,
    ) -> Result<crate::RefreshOutcome, MasterError> {
        let outcome = refresher.refresh_if_stale(progress).await?;
        if matches!(outcome, crate::RefreshOutcome::Rebuilt(_)) {
            self.reload()?;
        }
        Ok(outcome)
    }

    /// Reloads if another process replaced the file since it was opened.
    ///
    /// # Errors
    /// As [`InstrumentMaster::reload`].
    pub fn reload_if_changed(&self) -> Result<bool, MasterError> {
        if file_id(&self.path) == self.snapshot().file_id {
            return Ok(false);
        }
        self.reload().map(|()| true)
    }

    /// The dump each broker's part came from.
    pub fn dumps(&self) -> Vec<DumpInfo> {
        self.snapshot().dumps.clone()
    }

    /// Every instrument with this identity, from the cache or the file.
    fn candidates(&self, instrument: &Instrument) -> Result<Candidates, Error> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = current.forward.get(instrument) {
            return Ok(hit);
        }
        let candidates: Candidates = current.load_by_instrument(instrument)?.into();
        current
            .forward
            .insert(instrument.clone(), Arc::clone(&candidates));
        Ok(candidates)
    }

    /// Checks that `broker`'s part of the master describes `today` (the IST trading day): what
    /// a trading client does when it opens the master and again at each day boundary.
    ///
    /// # Errors
    /// [`MasterError::OutOfDate`] when the broker's dump is older, or the master has none.
    pub fn check_current(&self, broker: &str, today: Date) -> Result<(), MasterError> {
        let dump_date = self
            .snapshot()
            .dumps
            .iter()
            .find(|d| d.broker == broker)
            .map(|d| d.dump_date);
        match dump_date {
            Some(date) if date >= today => Ok(()),
            dump_date => Err(MasterError::OutOfDate {
                path: self.path.clone(),
                broker: broker.to_owned(),
                dump_date,
                today,
            }),
        }
    }

    /// Resolves an instrument to everything the master knows about it, every broker's listing
    /// included.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] when the master has no such instrument;
    /// [`Error::AmbiguousInstrument`] listing the candidates when it has more than one (one
    /// broker lists the identity twice). To trade through one broker, use
    /// [`InstrumentMaster::resolve_for`], which is ambiguous only among that broker's rows.
    pub fn resolve(&self, instrument: &Instrument) -> Result<Arc<Resolved>, Error> {
        let candidates = self.candidates(instrument)?;
        one_of(instrument, None, candidates.iter())
    }

    /// Resolves an instrument as one broker lists it: the one instrument of that identity the
    /// broker lists, with every broker's listing.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] naming the broker when it does not list the instrument;
    /// [`Error::AmbiguousInstrument`] when the broker lists it more than once.
    pub fn resolve_for(
        &self,
        instrument: &Instrument,
        broker: &'static str,
    ) -> Result<Arc<Resolved>, Error> {
        let candidates = self.candidates(instrument)?;
        one_of(
            instrument,
            Some(broker),
            candidates.iter().filter(|r| r.listing(broker).is_some()),
        )
    }

    /// Resolves an instrument given in its canonical text form.
    ///
    /// # Errors
    /// [`Error::InvalidInstrument`] for text that is not an instrument; otherwise as
    /// [`InstrumentMaster::resolve`].
    pub fn resolve_spec(&self, spec: &str) -> Result<Arc<Resolved>, Error> {
        let instrument: Instrument = spec.parse()?;
        self.resolve(&instrument)
    }

    /// The broker's identifiers for an instrument.
    ///
    /// # Errors
    /// As [`InstrumentMaster::resolve_for`].
    pub fn token_for(
        &self,
        instrument: &Instrument,
        broker: &'static str,
    ) -> Result<BrokerToken, Error> {
        self.listing_for(instrument, broker).map(|l| l.token)
    }

    /// The broker's own listing of an instrument, as [`InstrumentMaster::resolve_for`] finds
    /// it: its token and its own tick and lot size, what an order to that broker is addressed
    /// and checked by.
    ///
    /// # Errors
    /// As [`InstrumentMaster::resolve_for`].
    pub fn listing_for(
        &self,
        instrument: &Instrument,
        broker: &'static str,
    ) -> Result<BrokerListing, Error> {
        let resolved = self.resolve_for(instrument, broker)?;
        resolved
            .listing(broker)
            .cloned()
            .ok_or_else(|| Error::InstrumentNotFound {
                spec: instrument.to_string(),
                broker: Some(broker),
            })
    }

    /// The instrument a broker's token names: how positions, orders and ticks are normalized.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] when the broker's token is not in the master.
    pub fn instrument_for_token(&self, broker: &str, token: &str) -> Result<Arc<Resolved>, Error> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        let cache = current
            .reverse
            .iter()
            .find(|(b, _)| b == broker)
            .map(|(_, c)| c);
        if let Some(hit) = cache.and_then(|c| c.get(token)) {
            return Ok(hit);
        }
        let resolved = current.load_by_token(broker, token)?;
        if let Some(cache) = cache {
            cache.insert(token.to_owned(), Arc::clone(&resolved));
        }
        Ok(resolved)
    }

    /// The canonical instrument behind a row a broker reported (a position, an order, a trade)
    /// by the broker's `token`, with the broker's identifiers for the row (its `symbol` and
    /// `exchange`, when not empty). A token the master does not know (a contract listed since
    /// it was built) gives no instrument and is logged: one unknown row must not hide the rest
    /// of a portfolio or an order book, so callers return the row with the broker's
    /// identifiers only.
    pub fn row_instrument(
        &self,
        broker: &str,
        token: &str,
        symbol: &str,
        exchange: &str,
    ) -> (Option<Instrument>, BrokerToken) {
        let given = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
        let broker_token = BrokerToken {
            token: token.to_owned(),
            symbol: given(symbol),
            exchange: given(exchange),
        };
        let instrument = match self.instrument_for_token(broker, token) {
            Ok(resolved) => Some(resolved.instrument.clone()),
            Err(error) => {
                tracing::warn!(
                    broker,
                    token,
                    symbol,
                    exchange,
                    %error,
                    "a row's broker token is not in the instrument master; returned without a canonical instrument"
                );
                None
            }
        };
        (instrument, broker_token)
    }

    /// Tick size, lot size, freeze quantity and multiplier of an instrument as the broker lists it: what an
    /// order to that broker must meet.
    ///
    /// # Errors
    /// As [`InstrumentMaster::resolve_for`].
    pub fn contract(
        &self,
        instrument: &Instrument,
        broker: &'static str,
    ) -> Result<ContractSpec, Error> {
        self.listing_for(instrument, broker).map(|l| l.contract)
    }

    /// The expiries of an underlying's futures and options on a derivatives exchange, sorted.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] when the master has no derivatives on the underlying.
    pub fn expiries(&self, exchange: Exchange, underlying: &str) -> Result<Vec<Date>, Error> {
        let snapshot = self.snapshot();
        let conn = snapshot.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT expiry FROM futures WHERE underlying_id = ?1
                 UNION SELECT expiry FROM options WHERE underlying_id = ?1
                 ORDER BY 1",
            )
            .map_err(query_error)?;
        let underlying_id = underlying_id(&conn, exchange, underlying)?;
        let rows = statement
            .query_map([underlying_id], |row| row.get::<_, String>(0))
            .map_err(query_error)?;
        let mut dates = Vec::new();
        for text in rows {
            dates.push(parse_date(&text.map_err(query_error)?)?);
        }
        Ok(dates)
    }

    /// The option chain of an underlying for one expiry: each strike with its call and put,
    /// every broker's tokens included, strikes ascending.
    ///
    /// # Errors
    /// [`Error::InstrumentNotFound`] when the master has no options on the underlying for that
    /// expiry.
    pub fn option_chain(
        &self,
        exchange: Exchange,
        underlying: &str,
        expiry: Date,
    ) -> Result<Vec<ChainStrike>, Error> {
        let snapshot = self.snapshot();
        let legs: Vec<(i64, i64, String)> = {
            let conn = snapshot.conn();
            let underlying_id = underlying_id(&conn, exchange, underlying)?;
            let mut statement = conn
                .prepare_cached(
                    "SELECT instrument_id, strike_e8, option_type FROM options
                     WHERE underlying_id = ?1 AND expiry = ?2
                     ORDER BY strike_e8, option_type",
                )
                .map_err(query_error)?;
            let rows = statement
                .query_map(params![underlying_id, expiry.to_string()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .map_err(query_error)?;
            rows.collect::<Result<_, _>>().map_err(query_error)?
        };
        if legs.is_empty() {
            return Err(Error::InstrumentNotFound {
                spec: format!("{exchange}:{underlying} options expiring {expiry}"),
                broker: None,
            });
        }
        let mut chain: BTreeMap<i64, ChainStrike> = BTreeMap::new();
        for (id, strike, option_type) in legs {
            let resolved = snapshot.load_by_id(id)?;
            let strike_price = Price::from_mantissa(strike).unwrap_or(Price::ZERO);
            let entry = chain.entry(strike).or_insert(ChainStrike {
                strike: strike_price,
                call: None,
                put: None,
            });
            // Two listings of one leg would be an ambiguous chain: keep neither silently.
            let slot = if option_type == OptionType::Call.code() {
                &mut entry.call
            } else {
                &mut entry.put
            };
            if let Some(existing) = slot {
                return Err(Error::AmbiguousInstrument {
                    spec: resolved.instrument.to_string(),
                    candidates: vec![describe(existing), describe(&resolved)],
                });
            }
            *slot = Some(resolved);
        }
        Ok(chain.into_values().collect())
    }

    /// Every instrument a broker lists, in one pass: for tools that need the whole universe
    /// (the simulator, exports), not for per-order lookups.
    ///
    /// # Errors
    /// Only on a database failure or a corrupt row.
    pub fn listing(&self, broker: &str) -> Result<Vec<Listed>, Error> {
        let snapshot = self.snapshot();
        let conn = snapshot.conn();
        let mut statement = conn
            .prepare(
                "SELECT i.canonical, i.name, t.lot_size, t.tick_size_e8, t.freeze_quantity, s.isin,
                        t.token, t.symbol, t.exchange, t.exchange_token, t.multiplier
                 FROM broker_tokens t
                 JOIN instruments i ON i.id = t.instrument_id
                 LEFT JOIN isins s ON s.instrument_id = i.id
                 WHERE t.broker = ?1
                 ORDER BY i.id",
            )
            .map_err(query_error)?;
        let rows = statement
            .query_map([broker], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    BrokerToken {
                        token: row.get(6)?,
                        symbol: row.get(7)?,
                        exchange: row.get(8)?,
                    },
                    row.get::<_, String>(9)?,
                    row.get::<_, Option<i64>>(10)?,
                ))
            })
            .map_err(query_error)?;
        let mut listed = Vec::new();
        for row in rows {
            let (canonical, name, lot, tick, freeze, isin, token, exchange_token, multiplier) =
                row.map_err(query_error)?;
            let bad =
                || Error::Config(format!("instrument master holds a bad row for {canonical}"));
            listed.push(Listed {
                instrument: canonical.parse().map_err(|_| bad())?,
                name,
                contract: contract_terms(lot, tick, freeze, multiplier).ok_or_else(bad)?,
                isin,
                token,
                exchange_token,
            });
        }
        Ok(listed)
    }

    /// Equities and indices whose symbol or name starts with `query` (case-insensitive), symbol
    /// matches first, at most `limit`.
    ///
    /// # Errors
    /// Only on a database failure.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Arc<Resolved>>, Error> {
        let snapshot = self.snapshot();
        let ids: Vec<i64> = {
            let conn = snapshot.conn();
            let mut statement = conn
                .prepare_cached(
                    "SELECT id FROM instruments
                     WHERE kind IN ('equity', 'index')
                       AND (symbol LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\')
                     ORDER BY symbol = ?3 DESC, (symbol LIKE ?1 ESCAPE '\\') DESC, length(symbol), symbol
                     LIMIT ?2",
                )
                .map_err(query_error)?;
            let escaped: String = query
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let rows = statement
                .query_map(
                    params![
                        format!("{escaped}%"),
                        i64::try_from(limit).unwrap_or(i64::MAX),
                        query.to_ascii_uppercase()
                    ],
                    |row| row.get(0),
                )
                .map_err(query_error)?;
            rows.collect::<Result<_, _>>().map_err(query_error)?
        };
        ids.into_iter().map(|id| snapshot.load_by_id(id)).collect()
    }
}

/// `file:<path>?immutable=1`, with the path percent-encoded as URIs require.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(char::from(byte));
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn query_error(e: rusqlite::Error) -> Error {
    Error::Config(format!("instrument master query failed: {e}"))
}

fn parse_date(text: &str) -> Result<Date, Error> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| Error::Config(format!("instrument master holds a bad date `{text}`")))
}

fn underlying_id(conn: &Connection, exchange: Exchange, symbol: &str) -> Result<i64, Error> {
    conn.prepare_cached("SELECT id FROM underlyings WHERE exchange = ?1 AND symbol = ?2")
        .and_then(|mut s| {
            s.query_row(params![exchange.code(), symbol], |row| row.get(0))
                .optional()
        })
        .map_err(query_error)?
        .ok_or_else(|| Error::InstrumentNotFound {
            spec: format!("{exchange}:{symbol} derivatives"),
            broker: None,
        })
}

impl Snapshot {
    fn open(path: &Path, capacity: usize) -> Result<Snapshot, MasterError> {
        if !path.exists() {
            return Err(MasterError::Missing(path.to_owned()));
        }
        let sqlite = |context: &'static str| {
            move |source| MasterError::Sqlite {
                path: path.to_owned(),
                context,
                source,
            }
        };
        // `immutable`: a master file is never changed in place (a refresh renames a new file
        // over it), so SQLite may skip locking and change detection on every query.
        let conn = Connection::open_with_flags(
            immutable_uri(path),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(sqlite("opening the master"))?;
        conn.set_prepared_statement_cache_capacity(32);
        // The file never changes under a reader (a refresh renames a new file over it), so map it
        // whole: lookups read pages straight from the page cache, without a read call or a copy.
        conn.execute_batch("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;")
            .map_err(sqlite("configuring the reader"))?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM master_info WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| MasterError::Incompatible {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if version != Some(SCHEMA_VERSION.to_string()) {
            return Err(MasterError::Incompatible {
                path: path.to_owned(),
                reason: format!(
                    "schema version {}, expected {SCHEMA_VERSION}",
                    version.as_deref().unwrap_or("none")
                ),
            });
        }
        let dumps = read_dumps(&conn).map_err(sqlite("reading the dump records"))?;
        let reverse = dumps
            .iter()
            .map(|d| (d.broker.clone(), Cache::new(capacity.max(1))))
            .collect();
        Ok(Snapshot {
            file_id: file_id(path),
            conn: Mutex::new(conn),
            forward: Cache::new(capacity.max(1)),
            reverse,
            dumps,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-query leaves nothing half-written: the connection is read-only.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ids of every instrument with this identity, found through the type tables.
    ///
    /// The hot queries here and in `load_by_id` avoid joins and ORDER BY: for those, SQLite
    /// marks the statement as depending on its bound values, and the statement cache's reset
    /// then forces a fresh prepare on every call (a 20x slowdown).
    fn ids_of(&self, instrument: &Instrument) -> Result<Vec<i64>, Error> {
        let conn = self.conn();
        let collect = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<Vec<i64>, Error> {
            let mut statement = conn.prepare_cached(sql).map_err(query_error)?;
            let rows = statement
                .query_map(params, |row| row.get(0))
                .map_err(query_error)?;
            rows.collect::<Result<_, _>>().map_err(query_error)
        };
        let exchange = instrument.exchange().code();
        let symbol = instrument.symbol().as_str();
        match instrument {
            // The kind is written into the SQL, not bound: a bound value in a term that decides
            // whether the partial index applies makes SQLite re-plan the query on every call.
            Instrument::Equity(_) => collect(
                "SELECT id FROM instruments
                 WHERE exchange = ?1 AND symbol = ?2 AND kind IN ('equity', 'index') AND kind = 'equity'",
                &[&exchange, &symbol],
            ),
            Instrument::Index(_) => collect(
                "SELECT id FROM instruments
                 WHERE exchange = ?1 AND symbol = ?2 AND kind IN ('equity', 'index') AND kind = 'index'",
                &[&exchange, &symbol],
            ),
            _ => {
                let expiry = instrument
                    .expiry()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                match instrument.option_terms() {
                    None => collect(
                        "SELECT instrument_id FROM futures
                         WHERE underlying_id = (SELECT id FROM underlyings WHERE exchange = ?1 AND symbol = ?2)
                           AND expiry = ?3",
                        &[&exchange, &symbol, &expiry],
                    ),
                    Some((strike, option_type)) => collect(
                        "SELECT instrument_id FROM options
                         WHERE underlying_id = (SELECT id FROM underlyings WHERE exchange = ?1 AND symbol = ?2)
                           AND expiry = ?3 AND strike_e8 = ?4 AND option_type = ?5",
                        &[&exchange, &symbol, &expiry, &strike.mantissa(), &option_type.code()],
                    ),
                }
            }
        }
    }

    fn load_by_instrument(&self, instrument: &Instrument) -> Result<Vec<Arc<Resolved>>, Error> {
        self.ids_of(instrument)?
            .into_iter()
            .map(|id| self.load_by_id(id))
            .collect()
    }

    fn load_by_token(&self, broker: &str, token: &str) -> Result<Arc<Resolved>, Error> {
        let id: Option<i64> = {
            let conn = self.conn();
            conn.prepare_cached(
                "SELECT instrument_id FROM broker_tokens WHERE broker = ?1 AND token = ?2",
            )
            .and_then(|mut s| s.query_row([broker, token], |row| row.get(0)).optional())
            .map_err(query_error)?
        };
        match id {
            Some(id) => self.load_by_id(id),
            None => Err(Error::InstrumentNotFound {
                spec: format!("{broker} token {token}"),
                broker: None,
            }),
        }
    }

    fn load_by_id(&self, id: i64) -> Result<Arc<Resolved>, Error> {
        let conn = self.conn();
        let (canonical, name): (String, Option<String>) = conn
            .prepare_cached("SELECT canonical, name FROM instruments WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |row| Ok((row.get(0)?, row.get(1)?))))
            .map_err(query_error)?;
        let isin: Option<String> = conn
            .prepare_cached("SELECT isin FROM isins WHERE instrument_id = ?1")
            .and_then(|mut s| s.query_row([id], |row| row.get(0)).optional())
            .map_err(query_error)?;
        let mut statement = conn
            .prepare_cached(
                "SELECT broker, token, symbol, exchange, lot_size, tick_size_e8, freeze_quantity,
                        multiplier
                 FROM broker_tokens WHERE instrument_id = ?1",
            )
            .map_err(query_error)?;
        let rows = statement
            .query_map([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    BrokerToken {
                        token: row.get(1)?,
                        symbol: row.get(2)?,
                        exchange: row.get(3)?,
                    },
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                    row.get::<_, Option<i64>>(7)?,
                ))
            })
            .map_err(query_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(query_error)?;
        let bad = |what: &str| {
            Error::Config(format!(
                "instrument master holds a bad {what} for {canonical}"
            ))
        };
        let mut brokers = Vec::with_capacity(rows.len());
        for (broker, token, lot, tick, freeze, multiplier) in rows {
            brokers.push(BrokerListing {
                contract: contract_terms(lot, tick, freeze, multiplier)
                    .ok_or_else(|| bad(&format!("{broker} lot, tick size or multiplier")))?,
                broker,
                token,
            });
        }
        brokers.sort_unstable_by(|a, b| a.broker.cmp(&b.broker));
        let instrument: Instrument = canonical.parse().map_err(|e| {
            Error::Config(format!(
                "instrument master holds a bad instrument `{canonical}`: {e}"
            ))
        })?;
        Ok(Arc::new(Resolved {
            instrument,
            name,
            isin,
            brokers,
        }))
    }
}

/// Trading terms from their stored columns; `None` when a column is out of range (a stored
/// multiplier of zero included).
pub(crate) fn contract_terms(
    lot: i64,
    tick: i64,
    freeze: Option<i64>,
    multiplier: Option<i64>,
) -> Option<ContractSpec> {
    Some(ContractSpec {
        tick_size: Price::from_mantissa(tick)?,
        lot_size: u32::try_from(lot).ok()?,
        freeze_quantity: match freeze {
            Some(q) => Some(u32::try_from(q).ok()?),
            None => None,
        },
        multiplier: match multiplier {
            Some(m) => Some(NonZeroU32::new(u32::try_from(m).ok()?)?),
            None => None,
        },
    })
}

/// The one instrument among `candidates`, or why there is not one.
fn one_of<'r>(
    instrument: &Instrument,
    broker: Option<&'static str>,
    mut candidates: impl Iterator<Item = &'r Arc<Resolved>>,
) -> Result<Arc<Resolved>, Error> {
    match (candidates.next(), candidates.next()) {
        (None, _) => Err(Error::InstrumentNotFound {
            spec: instrument.to_string(),
            broker,
        }),
        (Some(only), None) => Ok(Arc::clone(only)),
        (Some(first), Some(second)) => {
            let mut described = vec![describe(first), describe(second)];
            described.extend(candidates.map(|c| describe(c)));
            Err(Error::AmbiguousInstrument {
                spec: instrument.to_string(),
                candidates: described,
            })
        }
    }
}

/// One candidate of an ambiguity, with what tells it apart: `BSE:875PFL26 [upstox BSE_EQ|INE…] "NAME"`.
fn describe(resolved: &Resolved) -> String {
    let tokens: Vec<String> = resolved
        .brokers
        .iter()
        .map(|l| format!("{} {}", l.broker, l.token.token))
        .collect();
    let mut text = format!("{} [{}]", resolved.instrument, tokens.join("; "));
    if let Some(isin) = &resolved.isin {
        text.push_str(&format!(" {isin}"));
    }
    if let Some(name) = &resolved.name {
        text.push_str(&format!(" \"{name}\""));
    }
    text
}

fn read_dumps(conn: &Connection) -> rusqlite::Result<Vec<DumpInfo>> {
    let mut statement = conn.prepare(
        "SELECT broker, dump_date, source, rows, last_modified FROM dumps ORDER BY broker",
    )?;
    let rows = statement.query_map([], |row| {
        let date: String = row.get(1)?;
        let last_modified: Option<String> = row.get(4)?;
        Ok(DumpInfo {
            broker: row.get(0)?,
            dump_date: Date::parse(&date, format_description!("[year]-[month]-[day]"))
                .unwrap_or(Date::MIN),
            source: row.get(2)?,
            rows: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
            last_modified: last_modified.and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok()),
        })
    })?;
    rows.collect()
}
