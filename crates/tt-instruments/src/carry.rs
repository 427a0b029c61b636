//! Carrying one broker's part of the previous master into a new build, when that broker's new
//! dump could not be had (its download failed, or the dump was refused): the other brokers are
//! still refreshed, and the carried part keeps its old dump date, so it still reads as stale.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use tt_core::{BrokerToken, DumpRecord, Instrument, Underlying};

use crate::load::{BrokerLoad, ReasonCounts, Segment};
use crate::master::contract_terms;
use crate::schema::SCHEMA_VERSION;

/// One broker's rows of the master at `path` as a load, or `None` when there is no readable
/// master of this version or it has nothing from that broker.
pub(crate) fn previous_part(
    path: &Path,
    broker: &'static str,
    reason: String,
) -> Option<BrokerLoad> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM master_info WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .ok()?;
    if version != Some(SCHEMA_VERSION.to_string()) {
        return None;
    }
    let (dump_date, source_name, rows, last_modified): (String, String, i64, Option<String>) = conn
        .query_row(
            "SELECT dump_date, source, rows, last_modified FROM dumps WHERE broker = ?1",
            [broker],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()
        .ok()??;
    let records = records(&conn, broker).ok()?;
    let mut segments = BTreeMap::new();
    for record in &records {
        *segments.entry(Segment::of(&record.instrument)).or_default() += 1;
    }
    Some(BrokerLoad {
        broker,
        source_name,
        dump_date: Date::parse(&dump_date, format_description!("[year]-[month]-[day]")).ok()?,
        last_modified: last_modified.and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok()),
        rows: u64::try_from(rows).unwrap_or(0),
        records,
        ignored: ReasonCounts::default(),
        malformed: ReasonCounts::default(),
        malformed_rows: 0,
        first_malformed: None,
        segments,
        duplicate_tokens: 0,
        earliest_expiry: None,
        carried_over: Some(reason),
    })
}

/// The broker's rows, each with the spot its underlying was linked to (now an inferred one:
/// a broker's fresh statement wins over it).
fn records(conn: &Connection, broker: &str) -> rusqlite::Result<Vec<DumpRecord>> {
    let mut statement = conn.prepare(
        "SELECT i.canonical, i.name, s.isin, t.token, t.symbol, t.exchange, t.exchange_token,
                t.lot_size, t.tick_size_e8, t.freeze_quantity, spot.canonical, t.multiplier
         FROM broker_tokens t
         JOIN instruments i ON i.id = t.instrument_id
         LEFT JOIN isins s ON s.instrument_id = i.id
         LEFT JOIN (SELECT instrument_id, underlying_id FROM futures
                    UNION ALL SELECT instrument_id, underlying_id FROM options) d
                ON d.instrument_id = i.id
         LEFT JOIN underlying_spots u ON u.underlying_id = d.underlying_id
         LEFT JOIN instruments spot ON spot.id = u.instrument_id
         WHERE t.broker = ?1
         ORDER BY i.id",
    )?;
    let rows = statement.query_map([broker], |row| {
        let canonical: String = row.get(0)?;
        let spot: Option<String> = row.get(10)?;
        let bad = |what: &str| {
            rusqlite::Error::InvalidColumnType(
                0,
                format!("{what} of {canonical}"),
                rusqlite::types::Type::Text,
            )
        };
        let instrument: Instrument = canonical.parse().map_err(|_| bad("instrument"))?;
        let lot: i64 = row.get(7)?;
        let tick: i64 = row.get(8)?;
        let freeze: Option<i64> = row.get(9)?;
        let multiplier: Option<i64> = row.get(11)?;
        Ok(DumpRecord {
            instrument,
            name: row.get(1)?,
            isin: row.get(2)?,
            token: BrokerToken {
                token: row.get(3)?,
                symbol: row.get(4)?,
                exchange: row.get(5)?,
            },
            exchange_token: row.get(6)?,
            contract: contract_terms(lot, tick, freeze, multiplier)
                .ok_or_else(|| bad("lot, tick size or multiplier"))?,
            underlying: spot
                .and_then(|s| s.parse::<Instrument>().ok())
                .map(Underlying::inferred),
        })
    })?;
    rows.collect()
}
