//! Building a master: parse, merge, validate, write aside, swap in one step.
//!
//! The new master is written to a temporary file beside the old one and renamed over it only
//! after every check passed, so at every moment the path holds either the complete old master
//! or the complete new one. Readers in other processes keep the old file open and go on reading
//! it. Builds take an exclusive lock on `<master>.lock`, so two processes never build at once;
//! a temporary file left by a build that died is removed by the next one.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use crate::MasterError;
use crate::load::{BrokerLoad, DumpInput, parse_all};
use crate::merge::{finish, merge};
use crate::report::{BrokerReport, LoadReport};
use crate::schema::SCHEMA_VERSION;
use crate::store::write_master;

/// Limits a new master must meet before it replaces the old one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildOptions {
    /// The largest share of a dump's rows that may be malformed (default 1%).
    pub max_malformed_fraction: f64,
    /// The largest share by which a segment may shrink against the previous master (default
    /// 50%). A segment the previous master had that is now empty always fails.
    pub max_drop_fraction: f64,
    /// The largest share of the derivatives that may be left out for want of their underlying
    /// (default 1%): a few are a new index's F&O, many a partial dump.
    pub max_without_underlying_fraction: f64,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            max_malformed_fraction: 0.01,
            max_drop_fraction: 0.5,
            max_without_underlying_fraction: 0.01,
        }
    }
}

/// An exclusive lock on a master's builds, released on drop.
#[derive(Debug)]
pub(crate) struct BuildLock {
    _file: File,
}

impl BuildLock {
    /// Waits for and takes the lock.
    pub(crate) fn acquire(master: &Path) -> Result<BuildLock, MasterError> {
        let path = sibling(master, ".lock");
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| MasterError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let io = |source| MasterError::Io {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(BuildLock { _file: file })
    }
}

/// `<master><suffix>` in the same directory.
pub(crate) fn sibling(master: &Path, suffix: &str) -> PathBuf {
    let mut name = master.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    master.with_file_name(name)
}

/// Builds a master at `path` from the dumps, replacing the current one only if every check
/// passes. Brokers are merged in the order given.
///
/// # Errors
/// A [`MasterError`] naming the failed step; the previous master (if any) is untouched.
pub fn build_master(
    path: &Path,
    inputs: Vec<DumpInput<'_>>,
    options: &BuildOptions,
) -> Result<LoadReport, MasterError> {
    let lock = BuildLock::acquire(path)?;
    build_locked(path, inputs, options, &lock)
}

pub(crate) fn build_locked(
    path: &Path,
    inputs: Vec<DumpInput<'_>>,
    options: &BuildOptions,
    _lock: &BuildLock,
) -> Result<LoadReport, MasterError> {
    let started = Instant::now();
    let loads = parse_all(inputs, options.max_malformed_fraction)?;
    build_loaded(path, loads, options, started)
}

/// Builds from dumps already parsed (and parts carried over from the previous master), under
/// the build lock.
pub(crate) fn build_loaded(
    path: &Path,
    mut loads: Vec<BrokerLoad>,
    options: &BuildOptions,
    started: Instant,
) -> Result<LoadReport, MasterError> {
    remove_stale_temporaries(path);
    let parsed = started.elapsed();
    check_against_previous(path, &loads, options)?;
    let mut merged = merge(&mut loads);
    finish(&mut merged, &loads, options.max_without_underlying_fraction)?;
    let merged_at = started.elapsed();

    let temporary = sibling(path, &format!(".tmp-{}", std::process::id()));
    let written =
        write_master(&temporary, &merged, &loads).and_then(|()| swap_in(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    let elapsed = started.elapsed();

    Ok(LoadReport {
        path: path.to_owned(),
        instruments: merged.canons.len() as u64,
        joins: merged.stats,
        brokers: loads
            .into_iter()
            .map(|load| BrokerReport {
                broker: load.broker,
                source_name: load.source_name,
                dump_date: load.dump_date,
                last_modified: load.last_modified,
                carried_over: load.carried_over,
                rows: load.rows,
                segments: load.segments,
                ignored: load.ignored,
                malformed: load.malformed,
            })
            .collect(),
        stages: vec![
            ("parse", parsed),
            ("merge and validate", merged_at.saturating_sub(parsed)),
            ("write and swap", elapsed.saturating_sub(merged_at)),
        ],
        elapsed,
    })
}

/// Syncs the finished file and renames it over the master, then syncs the directory so the
/// rename itself survives a power cut.
fn swap_in(temporary: &Path, path: &Path) -> Result<(), MasterError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| MasterError::Io { path, source }
    };
    File::open(temporary)
        .and_then(|f| f.sync_all())
        .map_err(io(temporary))?;
    fs::rename(temporary, path).map_err(io(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

/// Removes temporary files left by builds that died (only called under the build lock, so no
/// live build owns one).
fn remove_stale_temporaries(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = format!("{name}.tmp-");
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Segment row counts of the current master, per broker, when it is one this version reads.
pub(crate) fn previous_counts(path: &Path) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return counts;
    };
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM master_info WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .ok();
    if version != Some(SCHEMA_VERSION.to_string()) {
        return counts;
    }
    if let Ok(mut statement) = conn.prepare("SELECT broker, segment, rows FROM segment_counts") {
        let rows = statement.query_map([], |row| {
            Ok((
                (row.get::<_, String>(0)?, row.get::<_, String>(1)?),
                row.get::<_, i64>(2)?,
            ))
        });
        if let Ok(rows) = rows {
            for ((broker, segment), n) in rows.flatten() {
                counts.insert((broker, segment), u64::try_from(n).unwrap_or(0));
            }
        }
    }
    counts
}

/// Refuses a dump whose segments are empty or collapsed against the previous master.
fn check_against_previous(
    path: &Path,
    loads: &[BrokerLoad],
    options: &BuildOptions,
) -> Result<(), MasterError> {
    if !path.exists() {
        return Ok(());
    }
    let previous = previous_counts(path);
    for load in loads.iter().filter(|l| l.carried_over.is_none()) {
        for ((broker, segment), &before) in previous.iter().filter(|((b, _), _)| b == load.broker) {
            let now = load
                .segments
                .iter()
                .find(|(s, _)| s.to_string() == *segment)
                .map_or(0, |(_, n)| *n);
            let floor = before as f64 * (1.0 - options.max_drop_fraction);
            if before > 0 && (now == 0 || (now as f64) < floor) {
                return Err(MasterError::Collapsed {
                    broker: broker.clone(),
                    segment: segment.clone(),
                    rows: now,
                    previous: before,
                    max_drop_percent: options.max_drop_fraction * 100.0,
                });
            }
        }
    }
    Ok(())
}
