//! Reading broker dumps: opening files (gzipped or not), and parsing every broker's dump in
//! parallel into its records and counts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use rustc_hash::{FxBuildHasher, FxHashSet};
use time::{Date, OffsetDateTime};
use tt_core::{DumpError, DumpRecord, Exchange, Instrument, InstrumentKind, InstrumentSource};

use crate::MasterError;

/// One broker's dump, ready to parse.
pub struct DumpInput<'a> {
    /// The broker's dump format.
    pub broker: &'a dyn InstrumentSource,
    /// The dump's bytes, already decompressed (see [`open_dump`]).
    pub reader: Box<dyn BufRead + Send + 'a>,
    /// Where it came from, for reports and errors (a path or URL).
    pub source_name: String,
    /// The latest trading day (IST) the dump can describe (for a saved file, its modification
    /// day). A dump is dated by what it contains: the master records the earliest expiry the
    /// dump lists when that is earlier, since exchanges delist a derivative after its expiry.
    pub dump_date: Date,
}

/// How a dump is dated. A dump is dated by what it contains: exchanges delist a derivative the
/// day after it expires, so a dump listing one that expired before some day is from before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DumpDate {
    /// The dump is meant to describe this trading day (a download today). One that still lists
    /// a derivative expired before it is an older dump served again, and is refused
    /// ([`MasterError::StaleDump`]).
    Claimed(Date),
    /// A saved file of unknown day (an import): dated the earliest expiry it lists, or this
    /// date (say, the file's modification day) when that is earlier or it lists none.
    NoLaterThan(Date),
}

/// Opens a dump file, decompressing it when it is gzip (by its magic bytes, not its name).
///
/// # Errors
/// [`MasterError::Io`] when the file cannot be opened or read.
pub fn open_dump(path: &Path) -> Result<Box<dyn BufRead + Send>, MasterError> {
    let io = |source| MasterError::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let gzipped = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    })
}

/// Reasons rows were left out, with a count and the first line of each. Values in backticks are
/// folded so rows failing the same way share one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonCounts {
    reasons: BTreeMap<String, (u64, u64)>,
    other: u64,
}

/// How many distinct reasons a report keeps before lumping the rest together.
const MAX_REASONS: usize = 20;

impl ReasonCounts {
    fn add(&mut self, line: u64, reason: &str) {
        let key = fold_values(reason);
        if let Some(entry) = self.reasons.get_mut(&key) {
            entry.0 += 1;
        } else if self.reasons.len() < MAX_REASONS {
            self.reasons.insert(key, (1, line));
        } else {
            self.other += 1;
        }
    }

    /// Each reason with its count and first line, then the count of rows with other reasons.
    pub fn entries(&self) -> impl Iterator<Item = (&str, u64, u64)> {
        self.reasons
            .iter()
            .map(|(reason, (count, line))| (reason.as_str(), *count, *line))
    }

    /// Rows left out for reasons beyond the first twenty distinct ones.
    pub fn other(&self) -> u64 {
        self.other
    }
}

fn fold_values(reason: &str) -> String {
    let mut folded = String::with_capacity(reason.len());
    let mut inside = false;
    for c in reason.chars() {
        if c == '`' {
            if inside {
                folded.push('…');
            }
            inside = !inside;
            folded.push(c);
        } else if !inside {
            folded.push(c);
        }
    }
    folded
}

/// One broker's parsed dump.
#[derive(Debug)]
pub(crate) struct BrokerLoad {
    pub(crate) broker: &'static str,
    pub(crate) source_name: String,
    pub(crate) dump_date: Date,
    pub(crate) last_modified: Option<OffsetDateTime>,
    pub(crate) rows: u64,
    pub(crate) records: Vec<DumpRecord>,
    pub(crate) ignored: ReasonCounts,
    pub(crate) malformed: ReasonCounts,
    pub(crate) malformed_rows: u64,
    pub(crate) first_malformed: Option<String>,
    /// Usable rows per segment.
    pub(crate) segments: BTreeMap<Segment, u64>,
    /// Rows left out for repeating a token this broker already listed.
    pub(crate) duplicate_tokens: u64,
    /// The earliest expiry of a derivative the dump lists.
    pub(crate) earliest_expiry: Option<(Date, Instrument)>,
    /// Why this broker's part was taken from the previous master instead of a new dump.
    pub(crate) carried_over: Option<String>,
}

/// Where a row is counted: its exchange and kind (`NFO option`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Segment {
    /// The exchange.
    pub exchange: Exchange,
    /// The kind of instrument.
    pub kind: InstrumentKind,
}

impl Segment {
    pub(crate) fn of(instrument: &Instrument) -> Segment {
        Segment {
            exchange: instrument.exchange(),
            kind: instrument.kind(),
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.exchange, self.kind)
    }
}

/// Parses every saved dump ([`DumpDate::NoLaterThan`] its given date), one thread each, and
/// checks each against the malformed-row limit.
pub(crate) fn parse_all(
    inputs: Vec<DumpInput<'_>>,
    max_malformed_fraction: f64,
) -> Result<Vec<BrokerLoad>, MasterError> {
    let dated = inputs
        .into_iter()
        .map(|input| {
            let date = DumpDate::NoLaterThan(input.dump_date);
            (input, date)
        })
        .collect();
    parse_each(dated, max_malformed_fraction)
        .into_iter()
        .collect()
}

/// Parses every dump, one thread each, and checks each on its own: one broker's broken dump
/// leaves the others' results standing.
pub(crate) fn parse_each(
    inputs: Vec<(DumpInput<'_>, DumpDate)>,
    max_malformed_fraction: f64,
) -> Vec<Result<BrokerLoad, MasterError>> {
    let results: Vec<Result<BrokerLoad, MasterError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .into_iter()
            .map(|(input, date)| scope.spawn(move || parse_one(input, date)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a parser thread panicked".to_owned());
                    Err(MasterError::Interrupted(message))
                })
            })
            .collect()
    });
    results
        .into_iter()
        .map(|load| load.and_then(|load| check_load(load, max_malformed_fraction)))
        .collect()
}

/// Refuses a dump with too many malformed rows, or none usable.
fn check_load(load: BrokerLoad, max_malformed_fraction: f64) -> Result<BrokerLoad, MasterError> {
    let limit = max_malformed_fraction * load.rows as f64;
    if load.malformed_rows as f64 > limit {
        return Err(MasterError::TooManyMalformed {
            broker: load.broker.to_owned(),
            source_name: load.source_name.clone(),
            malformed: load.malformed_rows,
            rows: load.rows,
            limit: max_malformed_fraction * 100.0,
            first: load.first_malformed.clone().unwrap_or_default(),
        });
    }
    if load.records.is_empty() {
        return Err(MasterError::EmptyDump {
            broker: load.broker.to_owned(),
            source_name: load.source_name.clone(),
        });
    }
    Ok(load)
}

fn parse_one(input: DumpInput<'_>, date: DumpDate) -> Result<BrokerLoad, MasterError> {
    let broker = input.broker.name();
    let mut load = BrokerLoad {
        broker,
        source_name: input.source_name,
        dump_date: match date {
            DumpDate::Claimed(date) | DumpDate::NoLaterThan(date) => date,
        },
        last_modified: None,
        rows: 0,
        records: Vec::with_capacity(1 << 16),
        ignored: ReasonCounts::default(),
        malformed: ReasonCounts::default(),
        malformed_rows: 0,
        first_malformed: None,
        segments: BTreeMap::new(),
        duplicate_tokens: 0,
        earliest_expiry: None,
        carried_over: None,
    };
    for row in input.broker.parse_dump(input.reader) {
        load.rows += 1;
        match row {
            Ok(record) => {
                *load
                    .segments
                    .entry(Segment::of(&record.instrument))
                    .or_default() += 1;
                if let Some(expiry) = record.instrument.expiry()
                    && load
                        .earliest_expiry
                        .as_ref()
                        .is_none_or(|(e, _)| expiry < *e)
                {
                    load.earliest_expiry = Some((expiry, record.instrument.clone()));
                }
                load.records.push(record);
            }
            Err(DumpError::Ignored { line, reason }) => load.ignored.add(line, &reason),
            Err(DumpError::Row { line, reason }) => {
                load.malformed_rows += 1;
                if load.first_malformed.is_none() {
                    load.first_malformed = Some(format!("line {line}: {reason}"));
                }
                load.malformed.add(line, &reason);
            }
            Err(DumpError::Corrupt { line, reason }) => {
                return Err(MasterError::CorruptDump {
                    broker: broker.to_owned(),
                    source_name: load.source_name,
                    line,
                    reason,
                });
            }
            Err(other) => {
                return Err(MasterError::CorruptDump {
                    broker: broker.to_owned(),
                    source_name: load.source_name,
                    line: load.rows,
                    reason: other.to_string(),
                });
            }
        }
    }
    drop_duplicate_tokens(&mut load);
    date_by_contents(&mut load, date)?;
    Ok(load)
}

/// Dates a dump by the derivatives it lists; see [`DumpDate`].
fn date_by_contents(load: &mut BrokerLoad, date: DumpDate) -> Result<(), MasterError> {
    let Some((earliest, instrument)) = &load.earliest_expiry else {
        return Ok(());
    };
    match date {
        DumpDate::Claimed(claimed) if *earliest < claimed => Err(MasterError::StaleDump {
            broker: load.broker.to_owned(),
            source_name: load.source_name.clone(),
            claimed,
            expired: instrument.to_string(),
        }),
        DumpDate::Claimed(_) => Ok(()),
        DumpDate::NoLaterThan(bound) => {
            load.dump_date = bound.min(*earliest);
            Ok(())
        }
    }
}

/// Leaves out rows repeating a token already listed by the same broker (a broker's token must
/// name one contract), keeping the first.
fn drop_duplicate_tokens(load: &mut BrokerLoad) {
    let mut seen: FxHashSet<&str> =
        FxHashSet::with_capacity_and_hasher(load.records.len(), FxBuildHasher);
    let repeated: Vec<bool> = load
        .records
        .iter()
        .map(|r| !seen.insert(r.token.token.as_str()))
        .collect();
    let count = repeated.iter().filter(|&&r| r).count();
    if count == 0 {
        return;
    }
    load.duplicate_tokens = count as u64;
    let mut flags = repeated.into_iter();
    load.records.retain(|record| {
        let drop = flags.next().unwrap_or(false);
        if drop && let Some(n) = load.segments.get_mut(&Segment::of(&record.instrument)) {
            *n -= 1;
        }
        !drop
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fold_values_and_keep_the_first_line() {
        let mut reasons = ReasonCounts::default();
        reasons.add(3, "symbol `x y` contains ' '");
        reasons.add(9, "symbol `a b` contains ' '");
        reasons.add(4, "expiry `2026-13-01` is not a YYYY-MM-DD date");
        let entries: Vec<_> = reasons.entries().collect();
        assert_eq!(
            entries,
            [
                ("expiry `…` is not a YYYY-MM-DD date", 1, 4),
                ("symbol `…` contains ' '", 2, 3)
            ]
        );
    }

    #[test]
    fn duplicate_tokens_within_a_broker_are_left_out() {
        let upstox = tt_upstox::Upstox::new(tt_upstox::UpstoxConfig::new("", "", ""));
        let dump = r#"[
            {"segment":"NSE_EQ","name":"A","exchange":"NSE","instrument_type":"EQ","instrument_key":"K1","lot_size":1,"exchange_token":"1","tick_size":5.0,"trading_symbol":"AAA"},
            {"segment":"NSE_EQ","name":"B","exchange":"NSE","instrument_type":"EQ","instrument_key":"K1","lot_size":1,"exchange_token":"2","tick_size":5.0,"trading_symbol":"BBB"}
        ]"#;
        let date = time::macros::date!(2026 - 11 - 24);
        let load = parse_one(
            DumpInput {
                broker: &upstox,
                reader: Box::new(std::io::Cursor::new(dump.as_bytes())),
                source_name: "test".into(),
                dump_date: date,
            },
            DumpDate::Claimed(date),
        )
        .unwrap();
        assert_eq!(load.records.len(), 1);
        assert_eq!(load.records[0].instrument.to_string(), "NSE:AAA");
        assert_eq!(load.duplicate_tokens, 1);
        assert_eq!(load.segments.values().sum::<u64>(), 1);
    }

    const KITE_HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n";

    /// A Kite dump with one equity and one NIFTY future expiring on `expiry`.
    fn kite_dump(date: DumpDate, expiry: &str) -> Result<BrokerLoad, MasterError> {
        let zerodha = tt_zerodha::Zerodha::new(tt_zerodha::ZerodhaConfig::new("", ""));
        let dump = format!(
            "{KITE_HEADER}408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE\n\
             14866434,58072,NIFTYFUT,NIFTY,0,{expiry},0,0.1,65,FUT,NFO-FUT,NFO\n"
        );
        let dump_date = match date {
            DumpDate::Claimed(d) | DumpDate::NoLaterThan(d) => d,
        };
        parse_one(
            DumpInput {
                broker: &zerodha,
                reader: Box::new(std::io::Cursor::new(dump.into_bytes())),
                source_name: "kite.csv".into(),
                dump_date,
            },
            date,
        )
    }

    #[test]
    fn a_dump_still_listing_a_derivative_expired_before_its_day_is_refused_as_stale() {
        let claimed = time::macros::date!(2026 - 11 - 25);
        let error = kite_dump(DumpDate::Claimed(claimed), "2026-11-24").unwrap_err();
        assert!(
            matches!(&error, MasterError::StaleDump { claimed: c, expired, .. }
                if *c == claimed && expired == "NFO:NIFTY:2026-11-24:FUT"),
            "{error}"
        );
    }

    #[test]
    fn a_dump_listing_a_derivative_expiring_on_its_day_is_that_days() {
        let claimed = time::macros::date!(2026 - 11 - 24);
        let load = kite_dump(DumpDate::Claimed(claimed), "2026-11-24").unwrap();
        assert_eq!(load.dump_date, claimed);
    }

    #[test]
    fn a_saved_dump_is_dated_by_the_earliest_expiry_it_lists() {
        let modified = time::macros::date!(2026 - 12 - 01);
        let load = kite_dump(DumpDate::NoLaterThan(modified), "2026-08-25").unwrap();
        assert_eq!(load.dump_date, time::macros::date!(2026 - 08 - 25));
        let load = kite_dump(DumpDate::NoLaterThan(modified), "2026-12-29").unwrap();
        assert_eq!(load.dump_date, modified);
    }

    #[test]
    fn distinct_reasons_are_capped() {
        let mut reasons = ReasonCounts::default();
        for i in 0..30 {
            reasons.add(i, &format!("reason {i}"));
        }
        assert_eq!(reasons.entries().count(), MAX_REASONS);
        assert_eq!(reasons.other(), 10);
    }
}
