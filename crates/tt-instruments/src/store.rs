//! Writing a merged master into a fresh SQLite file.
//!
//! The file is private to the build until it is renamed into place, so it is written with no
//! journal and no syncs (a crash leaves only a stray temporary file), then synced once, whole.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{CurrencyContract, Exchange, Instrument, InstrumentKind, OptionType};

use crate::MasterError;
use crate::load::BrokerLoad;
use crate::merge::{Canon, Merged};
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

/// Derivative terms: (underlying symbol, expiry, strike and type for options).
fn derivative_terms(
    instrument: &Instrument,
) -> Option<(&str, time::Date, Option<(i64, OptionType)>)> {
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
fn derivative_key(
    canon: &Canon,
) -> Option<(Exchange, &str, time::Date, Option<(i64, &'static str)>)> {
    derivative_terms(&canon.instrument).map(|(symbol, expiry, option)| {
        (
            canon.instrument.exchange(),
            symbol,
            expiry,
            option.map(|(strike, option_type)| (strike, option_type.code())),
        )
    })
}

pub(crate) fn write_master(
    path: &Path,
    merged: &Merged,
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
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -131072;",
    )
    .map_err(sqlite("configuring the database"))?;
    conn.execute_batch(CREATE_TABLES)
        .map_err(sqlite("creating the tables"))?;

    let tx = conn.transaction().map_err(sqlite("starting the insert"))?;
    {
        let mut insert_instrument = tx
            .prepare(
                "INSERT INTO instruments (id, exchange, kind, symbol, canonical, name, lot_size, tick_size_e8, freeze_quantity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_equity = tx
            .prepare("INSERT INTO equities (instrument_id) VALUES (?1)")
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_isin = tx
            .prepare("INSERT INTO isins (instrument_id, isin) VALUES (?1, ?2)")
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_index = tx
            .prepare("INSERT INTO indices (instrument_id) VALUES (?1)")
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_underlying = tx
            .prepare("INSERT INTO underlyings (id, exchange, symbol) VALUES (?1, ?2, ?3)")
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_spot = tx
            .prepare("INSERT INTO underlying_spots (underlying_id, instrument_id) VALUES (?1, ?2)")
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_future = tx
            .prepare(
                "INSERT INTO futures (underlying_id, expiry, instrument_id) VALUES (?1, ?2, ?3)",
            )
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_option = tx
            .prepare(
                "INSERT INTO options (underlying_id, expiry, strike_e8, option_type, instrument_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(sqlite("preparing inserts"))?;
        let mut insert_token = tx
            .prepare(
                "INSERT INTO broker_tokens (instrument_id, broker, token, symbol, exchange, exchange_token)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sqlite("preparing inserts"))?;

        // Spots (equities, indices) first, so every underlying exists before what derives from it;
        // derivatives in the order of their type tables' keys, so those fill by appending.
        let spots = merged
            .canons
            .iter()
            .filter(|c| !c.instrument.is_derivative());
        let mut derivatives: Vec<&Canon> = merged
            .canons
            .iter()
            .filter(|c| c.instrument.is_derivative())
            .collect();
        derivatives.sort_unstable_by(|a, b| derivative_key(a).cmp(&derivative_key(b)));
        // Each spot's id; `None` where two instruments share the identity (never linked by guess).
        let mut spot_ids: HashMap<&Instrument, Option<i64>> = HashMap::new();
        let mut underlying_ids: HashMap<(Exchange, &str), i64> = HashMap::new();
        let mut next_id: i64 = 0;
        let mut text = String::with_capacity(64);
        for canon in spots.chain(derivatives) {
            next_id += 1;
            let id = next_id;
            let instrument = &canon.instrument;
            text.clear();
            {
                use std::fmt::Write;
                let _ = write!(text, "{instrument}");
            }
            let freeze = canon.contract.freeze_quantity.map(i64::from);
            insert_instrument
                .execute(params![
                    id,
                    instrument.exchange().code(),
                    kind_code(instrument.kind()),
                    instrument.symbol().as_str(),
                    text,
                    canon.name,
                    i64::from(canon.contract.lot_size),
                    canon.contract.tick_size.mantissa(),
                    freeze,
                ])
                .map_err(sqlite("inserting instruments"))?;
            match instrument {
                Instrument::Equity(_) => {
                    insert_equity
                        .execute([id])
                        .map_err(sqlite("inserting equities"))?;
                    spot_ids
                        .entry(instrument)
                        .and_modify(|e| *e = None)
                        .or_insert(Some(id));
                }
                Instrument::Index(_) => {
                    insert_index
                        .execute([id])
                        .map_err(sqlite("inserting indices"))?;
                    spot_ids
                        .entry(instrument)
                        .and_modify(|e| *e = None)
                        .or_insert(Some(id));
                }
                _ => {}
            }
            if let Some(isin) = &canon.isin {
                insert_isin
                    .execute(params![id, isin])
                    .map_err(sqlite("inserting ISINs"))?;
            }
            if let Some((symbol, expiry, option)) = derivative_terms(instrument) {
                let key = (instrument.exchange(), symbol);
                let underlying_id = match underlying_ids.get(&key) {
                    Some(&u) => u,
                    None => {
                        let u = underlying_ids.len() as i64 + 1;
                        insert_underlying
                            .execute(params![u, key.0.code(), symbol])
                            .map_err(sqlite("inserting underlyings"))?;
                        if let Some(Some(spot)) =
                            canon.underlying.as_ref().and_then(|s| spot_ids.get(s))
                        {
                            insert_spot
                                .execute(params![u, spot])
                                .map_err(sqlite("inserting underlyings"))?;
                        }
                        underlying_ids.insert(key, u);
                        u
                    }
                };
                let expiry = expiry.to_string();
                match option {
                    None => insert_future
                        .execute(params![underlying_id, expiry, id])
                        .map_err(sqlite("inserting futures"))?,
                    Some((strike, option_type)) => insert_option
                        .execute(params![
                            underlying_id,
                            expiry,
                            strike,
                            option_type.code(),
                            id
                        ])
                        .map_err(sqlite("inserting options"))?,
                };
            }
            for entry in &canon.tokens {
                insert_token
                    .execute(params![
                        id,
                        entry.broker,
                        entry.token.token,
                        entry.token.symbol,
                        entry.token.exchange,
                        entry.exchange_token,
                    ])
                    .map_err(sqlite("inserting broker tokens"))?;
            }
        }

        let loaded_at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        for load in loads {
            tx.execute(
                "INSERT INTO dumps (broker, dump_date, loaded_at, source, rows) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    load.broker,
                    load.dump_date.to_string(),
                    loaded_at,
                    load.source_name,
                    load.rows as i64
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
    }
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
