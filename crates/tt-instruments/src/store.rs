//! Writing a merged master into a fresh SQLite file.
//!
//! The file is private to the build until it is renamed into place, so it is written with no
//! journal and no syncs (a crash leaves only a stray temporary file), then synced once, whole.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use rusqlite::{Connection, Statement, Transaction, params};
use rustc_hash::FxHashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{CurrencyContract, Exchange, Instrument, InstrumentKind, OptionType};

use crate::MasterError;
use crate::load::BrokerLoad;
use crate::merge::{BrokerEntry, Canon, Merged};
use crate::schema::{CREATE_INDICES, CREATE_TABLES, SCHEMA_VERSION};

pub(crate) fn kind_code(kind: InstrumentKind) -> &'static str {
    match kind {
        InstrumentKind::Equity => "equity",
        InstrumentKind::Index => "index",
        InstrumentKind::Future => "future",
        InstrumentKind::Option => "option",
        InstrumentKind::Currency => "currency",
    }
}

/// A strike (as a mantissa) and option type.
type OptionTerms = (i64, OptionType);

/// What identifies a derivative within its exchange: underlying symbol, expiry, and for options
/// strike and type. Ordered the way the type tables are clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DerivativeTerms<'a> {
    symbol: &'a str,
    expiry: time::Date,
    option: Option<(i64, &'static str)>,
}

fn derivative_terms(instrument: &Instrument) -> Option<(&str, time::Date, Option<OptionTerms>)> {
    match instrument {
        Instrument::Future(f) => Some((f.underlying().as_str(), f.expiry(), None)),
        Instrument::Option(o) => Some((
            o.underlying().as_str(),
            o.expiry(),
            Some((o.strike().mantissa(), o.option_type())),
        )),
        Instrument::Currency(c) => Some((
            c.pair().as_str(),
            c.expiry(),
            match c.contract() {
                CurrencyContract::Future => None,
                CurrencyContract::Option {
                    strike,
                    option_type,
                } => Some((strike.mantissa(), option_type)),
            },
        )),
        Instrument::Equity(_) | Instrument::Index(_) => None,
    }
}

/// The order of the type tables' clustered keys: exchange, underlying, expiry, strike, type.
fn derivative_key(canon: &Canon) -> Option<(Exchange, DerivativeTerms<'_>)> {
    derivative_terms(&canon.instrument).map(|(symbol, expiry, option)| {
        (
            canon.instrument.exchange(),
            DerivativeTerms {
                symbol,
                expiry,
                option: option.map(|(strike, option_type)| (strike, option_type.code())),
            },
        )
    })
}

/// Rows per multi-row INSERT: far fewer statement executions, well under SQLite's limit on
/// bound parameters.
const CHUNK: usize = 64;

/// Inserts `rows` into a table with multi-row statements. `bind` binds one row's `columns`
/// values starting at the given 1-based parameter index.
fn insert_all<R>(
    tx: &Transaction<'_>,
    head: &str,
    columns: usize,
    rows: &[R],
    bind: impl Fn(&mut Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let values = |count: usize| {
        let mut sql = format!("{head} VALUES ");
        for row in 0..count {
            if row > 0 {
                sql.push(',');
            }
            sql.push('(');
            for column in 0..columns {
                if column > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("?{}", row * columns + column + 1));
            }
            sql.push(')');
        }
        sql
    };
    let mut chunks = rows.chunks_exact(CHUNK);
    if rows.len() >= CHUNK {
        let mut full = tx.prepare(&values(CHUNK))?;
        for chunk in &mut chunks {
            for (i, row) in chunk.iter().enumerate() {
                bind(&mut full, i * columns + 1, row)?;
            }
            full.raw_execute()?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = tx.prepare(&values(rest.len()))?;
        for (i, row) in rest.iter().enumerate() {
            bind(&mut last, i * columns + 1, row)?;
        }
        last.raw_execute()?;
    }
    Ok(())
}

/// Rows for one table, borrowed from the merged master where possible, sent from the thread
/// that lays the master out to the thread that writes it.
enum Batch<'m> {
    Instruments(Vec<(i64, &'m Canon, String)>),
    Equities(Vec<i64>),
    Indices(Vec<i64>),
    Isins(Vec<(i64, &'m str)>),
    Underlyings(Vec<(i64, &'static str, &'m str)>),
    Spots(Vec<(i64, i64)>),
    Futures(Vec<(i64, Arc<str>, i64)>),
    Options(Vec<(i64, Arc<str>, i64, &'static str, i64)>),
    Tokens(Vec<(i64, &'m BrokerEntry)>),
}

/// Instrument and token rows go to the writer in batches of this many.
const BATCH: usize = 16_384;

/// Lays the merged master out as table rows and sends them to the writer, in insert order:
/// spots (equities, indices) first, so every underlying exists before what derives from it;
/// then derivatives in the order of their type tables' clustered keys, so those fill by
/// appending. Stops early if the writer has gone (it failed; its error is reported).
fn send_rows<'m>(merged: &'m Merged, writer: &SyncSender<Batch<'m>>) {
    let send = |batch| writer.send(batch).is_ok();
    let mut next_id: i64 = 0;
    let mut instruments = Vec::with_capacity(BATCH);
    let mut tokens = Vec::with_capacity(BATCH);
    let (mut equities, mut indices, mut isins) = (Vec::new(), Vec::new(), Vec::new());
    // Each spot's id; `None` where two instruments share the identity (never linked by guess).
    let mut spot_ids: FxHashMap<&Instrument, Option<i64>> = FxHashMap::default();

    let mut add =
        |canon: &'m Canon, instruments: &mut Vec<_>, tokens: &mut Vec<_>| -> Option<i64> {
            next_id += 1;
            let id = next_id;
            instruments.push((id, canon, canon.instrument.to_string()));
            tokens.extend(canon.tokens.iter().map(|t| (id, t)));
            if let Some(isin) = &canon.isin {
                isins.push((id, isin.as_str()));
            }
            // Tokens go after the instruments they name.
            if instruments.len() >= BATCH
                && !(send(Batch::Instruments(std::mem::take(instruments)))
                    && send(Batch::Tokens(std::mem::take(tokens))))
            {
                return None;
            }
            Some(id)
        };

    for canon in merged
        .canons
        .iter()
        .filter(|c| !c.instrument.is_derivative())
    {
        let Some(id) = add(canon, &mut instruments, &mut tokens) else {
            return;
        };
        match canon.instrument {
            Instrument::Equity(_) => equities.push(id),
            _ => indices.push(id),
        }
        spot_ids
            .entry(&canon.instrument)
            .and_modify(|e| *e = None)
            .or_insert(Some(id));
    }

    let mut keyed: Vec<_> = merged
        .canons
        .iter()
        .filter_map(|c| derivative_key(c).map(|key| (key, c)))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let mut underlyings = Vec::new();
    let mut spots = Vec::new();
    let mut futures = Vec::new();
    let mut options = Vec::new();
    let mut underlying_ids: FxHashMap<(Exchange, &str), i64> = FxHashMap::default();
    let mut expiries: FxHashMap<time::Date, Arc<str>> = FxHashMap::default();
    for (_, canon) in keyed {
        let Some(id) = add(canon, &mut instruments, &mut tokens) else {
            return;
        };
        let Some((symbol, expiry, option)) = derivative_terms(&canon.instrument) else {
            continue;
        };
        let key = (canon.instrument.exchange(), symbol);
        let underlying_id = match underlying_ids.get(&key) {
            Some(&u) => u,
            None => {
                let u = underlying_ids.len() as i64 + 1;
                underlyings.push((u, key.0.code(), symbol));
                if let Some(Some(spot)) = canon
                    .underlying
                    .as_ref()
                    .and_then(|u| spot_ids.get(&u.spot))
                {
                    spots.push((u, *spot));
                }
                underlying_ids.insert(key, u);
                u
            }
        };
        let expiry = Arc::clone(
            expiries
                .entry(expiry)
                .or_insert_with(|| Arc::from(expiry.to_string())),
        );
        match option {
            None => futures.push((underlying_id, expiry, id)),
            Some((strike, option_type)) => {
                options.push((underlying_id, expiry, strike, option_type.code(), id));
            }
        }
    }
    let _ = send(Batch::Instruments(instruments))
        && send(Batch::Tokens(tokens))
        && send(Batch::Equities(equities))
        && send(Batch::Indices(indices))
        && send(Batch::Isins(isins))
        && send(Batch::Underlyings(underlyings))
        && send(Batch::Spots(spots))
        && send(Batch::Futures(futures))
        && send(Batch::Options(options));
}

/// Inserts one batch into its table.
fn insert_batch(tx: &Transaction<'_>, batch: &Batch<'_>) -> rusqlite::Result<()> {
    match batch {
        Batch::Instruments(rows) => insert_all(
            tx,
            "INSERT INTO instruments (id, exchange, kind, symbol, canonical, name)",
            6,
            rows,
            |s, at, (id, canon, canonical)| {
                let instrument = &canon.instrument;
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, instrument.exchange().code())?;
                s.raw_bind_parameter(at + 2, kind_code(instrument.kind()))?;
                s.raw_bind_parameter(at + 3, instrument.symbol().as_str())?;
                s.raw_bind_parameter(at + 4, canonical.as_str())?;
                s.raw_bind_parameter(at + 5, canon.name.as_deref())
            },
        ),
        Batch::Equities(rows) => insert_all(
            tx,
            "INSERT INTO equities (instrument_id)",
            1,
            rows,
            |s, at, id| s.raw_bind_parameter(at, id),
        ),
        Batch::Indices(rows) => insert_all(
            tx,
            "INSERT INTO indices (instrument_id)",
            1,
            rows,
            |s, at, id| s.raw_bind_parameter(at, id),
        ),
        Batch::Isins(rows) => insert_all(
            tx,
            "INSERT INTO isins (instrument_id, isin)",
            2,
            rows,
            |s, at, (id, isin)| {
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, isin)
            },
        ),
        Batch::Underlyings(rows) => insert_all(
            tx,
            "INSERT INTO underlyings (id, exchange, symbol)",
            3,
            rows,
            |s, at, (id, exchange, symbol)| {
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, exchange)?;
                s.raw_bind_parameter(at + 2, symbol)
            },
        ),
        Batch::Spots(rows) => insert_all(
            tx,
            "INSERT INTO underlying_spots (underlying_id, instrument_id)",
            2,
            rows,
            |s, at, (underlying, spot)| {
                s.raw_bind_parameter(at, underlying)?;
                s.raw_bind_parameter(at + 1, spot)
            },
        ),
        Batch::Futures(rows) => insert_all(
            tx,
            "INSERT INTO futures (underlying_id, expiry, instrument_id)",
            3,
            rows,
            |s, at, (underlying, expiry, id)| {
                s.raw_bind_parameter(at, underlying)?;
                s.raw_bind_parameter(at + 1, &**expiry)?;
                s.raw_bind_parameter(at + 2, id)
            },
        ),
        Batch::Options(rows) => insert_all(
            tx,
            "INSERT INTO options (underlying_id, expiry, strike_e8, option_type, instrument_id)",
            5,
            rows,
            |s, at, (underlying, expiry, strike, option_type, id)| {
                s.raw_bind_parameter(at, underlying)?;
                s.raw_bind_parameter(at + 1, &**expiry)?;
                s.raw_bind_parameter(at + 2, strike)?;
                s.raw_bind_parameter(at + 3, option_type)?;
                s.raw_bind_parameter(at + 4, id)
            },
        ),
        Batch::Tokens(rows) => insert_all(
            tx,
            "INSERT INTO broker_tokens (instrument_id, broker, token, symbol, exchange, exchange_token, lot_size, tick_size_e8, freeze_quantity, multiplier)",
            10,
            rows,
            |s, at, (id, entry)| {
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, entry.broker)?;
                s.raw_bind_parameter(at + 2, entry.token.token.as_str())?;
                s.raw_bind_parameter(at + 3, entry.token.symbol.as_deref())?;
                s.raw_bind_parameter(at + 4, entry.token.exchange.as_deref())?;
                s.raw_bind_parameter(at + 5, entry.exchange_token.as_str())?;
                s.raw_bind_parameter(at + 6, i64::from(entry.contract.lot_size))?;
                s.raw_bind_parameter(at + 7, entry.contract.tick_size.mantissa())?;
                s.raw_bind_parameter(at + 8, entry.contract.freeze_quantity.map(i64::from))?;
                s.raw_bind_parameter(
                    at + 9,
                    entry.contract.multiplier.map(|m| i64::from(m.get())),
                )
            },
        ),
    }
}

/// Writes the master at `path`: one thread lays the rows out while another inserts them.
pub(crate) fn write_master(
    path: &Path,
    merged: &Merged,
    loads: &[BrokerLoad],
) -> Result<(), MasterError> {
    std::thread::scope(|scope| {
        let (sender, batches) = sync_channel::<Batch<'_>>(4);
        let writer = scope.spawn(move || write_batches(path, batches, loads));
        send_rows(merged, &sender);
        drop(sender);
        writer.join().unwrap_or_else(|_| {
            Err(MasterError::Interrupted(
                "the writer thread panicked".to_owned(),
            ))
        })
    })
}

fn write_batches(
    path: &Path,
    batches: Receiver<Batch<'_>>,
    loads: &[BrokerLoad],
) -> Result<(), MasterError> {
    let sqlite = |context: &'static str| {
        move |source| MasterError::Sqlite {
            path: path.to_owned(),
            context,
            source,
        }
    };
    let mut conn = Connection::open(path).map_err(sqlite("creating the database"))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -131072;",
    )
    .map_err(sqlite("configuring the database"))?;
    conn.execute_batch(CREATE_TABLES)
        .map_err(sqlite("creating the tables"))?;

    let tx = conn.transaction().map_err(sqlite("starting the insert"))?;
    for batch in batches {
        insert_batch(&tx, &batch).map_err(sqlite("inserting rows"))?;
    }
    let loaded_at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    for load in loads {
        tx.execute(
            "INSERT INTO dumps (broker, dump_date, loaded_at, source, rows, last_modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                load.broker,
                load.dump_date.to_string(),
                loaded_at,
                load.source_name,
                load.rows as i64,
                load.last_modified.and_then(|t| t.format(&Rfc3339).ok()),
            ],
        )
        .map_err(sqlite("recording the dumps"))?;
        for (segment, rows) in &load.segments {
            tx.execute(
                "INSERT INTO segment_counts (broker, segment, rows) VALUES (?1, ?2, ?3)",
                params![load.broker, segment.to_string(), *rows as i64],
            )
            .map_err(sqlite("recording the dumps"))?;
        }
    }
    tx.execute(
        "INSERT INTO master_info (key, value) VALUES ('schema_version', ?1), ('built_at', ?2)",
        params![SCHEMA_VERSION.to_string(), loaded_at],
    )
    .map_err(sqlite("recording the schema version"))?;
    tx.commit().map_err(sqlite("committing the insert"))?;
    conn.execute_batch(CREATE_INDICES)
        .map_err(sqlite("creating the indices"))?;
    // Readers open the finished file read-only; give it an ordinary rollback journal mode.
    conn.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(sqlite("finishing the database"))?;
    conn.close().map_err(|(_, source)| MasterError::Sqlite {
        path: path.to_owned(),
        context: "closing the database",
        source,
    })
}
