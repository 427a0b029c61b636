//! Keeping the master current: rebuilt from fresh dumps once per trading day in IST.
//!
//! A [`Refresher`] checks each broker's dump date in the master against today's date in
//! Asia/Kolkata (from a [`Clock`], so tests can move time). When any is older it downloads every
//! broker's dump (each broker crate provides a [`DumpFetcher`]) and rebuilds from scratch, under
//! the build lock, with the same validation and atomic swap as an import. A downloaded dump
//! must be today's by its contents (one still listing a derivative expired before today is an
//! old file served again, and is refused).
//!
//! Brokers are refreshed independently: when one broker's download fails (or its dump is
//! refused), the others' new dumps are still built, with that broker's part carried over from
//! the previous master under its old date. For every broker left stale that way, and when
//! nothing could be rebuilt at all, `on_stale` decides: `fail` (the default) returns
//! [`MasterError::Stale`]; `warn` goes on with the stale part and says so.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tt_core::{Clock, InstrumentSource, OnStale};

use crate::build::{BuildLock, BuildOptions, build_loaded, sibling};
use crate::carry::previous_part;
use crate::load::{BrokerLoad, DumpDate, DumpInput, open_dump, parse_each};
use crate::report::LoadReport;
use crate::{InstrumentMaster, MasterError};

/// Progress of one broker's download: the broker, bytes so far, total when known.
pub type DownloadProgress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Send + Sync);

/// Downloads one broker's instrument dump. Broker crates implement it.
#[async_trait]
pub trait DumpFetcher: Send + Sync {
    /// The broker whose format the dump is in.
    fn source(&self) -> Arc<dyn InstrumentSource>;

    /// Where the dump comes from (a URL), for reports.
    fn source_name(&self) -> String;

    /// Writes the dump's bytes, as served (gzipped or not), into `sink`.
    ///
    /// # Errors
    /// [`MasterError::Download`] naming what failed.
    async fn fetch(
        &self,
        sink: &mut (dyn AsyncWrite + Unpin + Send),
        progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
    ) -> Result<FetchedDump, MasterError>;
}

/// What a [`DumpFetcher`] downloaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchedDump {
    /// Bytes written.
    pub bytes: u64,
    /// The source's `Last-Modified`, where it sent one (see [`last_modified`]).
    pub last_modified: Option<OffsetDateTime>,
}

/// The `Last-Modified` of a successful answer (status 2xx) with that header, read as an HTTP
/// date; `None` otherwise. Fetchers ask with a `HEAD` before downloading.
pub fn last_modified(status: u16, header: Option<&str>) -> Option<OffsetDateTime> {
    if !(200..300).contains(&status) {
        return None;
    }
    parse_http_date(header?)
}

/// Reads an HTTP date (`Tue, 09 Dec 2025 02:30:00 GMT`, RFC 9110's preferred form); `None`
/// for anything else.
fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim().strip_suffix(" GMT")?;
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second]"
    );
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// How a refresh ended.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// Every broker's dump in the master is from today (IST); nothing was downloaded.
    UpToDate,
    /// A new master was built and swapped in.
    Rebuilt(Box<LoadReport>),
    /// The refresh failed and, with `on_stale = warn`, the stale master was kept.
    KeptStale {
        /// What failed, and how old the kept master is.
        warning: String,
    },
}

/// Keeps one master current. See the module documentation.
pub struct Refresher<'a> {
    path: PathBuf,
    clock: &'a dyn Clock,
    fetchers: Vec<&'a dyn DumpFetcher>,
    on_stale: OnStale,
    build: BuildOptions,
}

impl std::fmt::Debug for Refresher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("path", &self.path)
            .field("on_stale", &self.on_stale)
            .finish_non_exhaustive()
    }
}

impl<'a> Refresher<'a> {
    /// A refresher for the master at `path`, downloading with `fetchers` (merged in that order).
    pub fn new(
        path: impl Into<PathBuf>,
        clock: &'a dyn Clock,
        fetchers: Vec<&'a dyn DumpFetcher>,
    ) -> Self {
        Refresher {
            path: path.into(),
            clock,
            fetchers,
            on_stale: OnStale::default(),
            build: BuildOptions::default(),
        }
    }

    /// Sets what happens when a stale master cannot be refreshed.
    #[must_use]
    pub fn on_stale(mut self, on_stale: OnStale) -> Self {
        self.on_stale = on_stale;
        self
    }

    /// Sets the checks a new master must pass.
    #[must_use]
    pub fn build_options(mut self, options: BuildOptions) -> Self {
        self.build = options;
        self
    }

    /// The brokers whose dump in the master is older than today in IST (or missing, or every
    /// broker when there is no readable master).
    pub fn stale_brokers(&self) -> Vec<&'static str> {
        let today = self.clock.today_ist();
        let dumps = InstrumentMaster::open_with_capacity(&self.path, 1)
            .map(|m| m.dumps())
            .unwrap_or_default();
        self.fetchers
            .iter()
            .map(|f| f.source().name())
            .filter(|broker| {
                !dumps
                    .iter()
                    .any(|d| d.broker == *broker && d.dump_date >= today)
            })
            .collect()
    }

    /// Rebuilds the master if any broker's dump is older than today (IST): what a program does
    /// at startup.
    ///
    /// # Errors
    /// [`MasterError::Stale`] when the master is stale, the refresh failed and `on_stale` is
    /// `fail`; the build's own error when there was no master to fall back on.
    pub async fn refresh_if_stale(
        &self,
        progress: DownloadProgress<'_>,
    ) -> Result<RefreshOutcome, MasterError> {
        self.run(false, progress).await
    }

    /// Rebuilds the master now, whatever its date.
    ///
    /// # Errors
    /// As [`Refresher::refresh_if_stale`]; a failed forced refresh of a current master is an
    /// error (the master is kept).
    pub async fn refresh(
        &self,
        progress: DownloadProgress<'_>,
    ) -> Result<RefreshOutcome, MasterError> {
        self.run(true, progress).await
    }

    async fn run(
        &self,
        force: bool,
        progress: DownloadProgress<'_>,
    ) -> Result<RefreshOutcome, MasterError> {
        if !force && self.stale_brokers().is_empty() {
            return Ok(RefreshOutcome::UpToDate);
        }
        let path = self.path.clone();
        let lock = tokio::task::spawn_blocking(move || BuildLock::acquire(&path))
            .await
            .map_err(|e| MasterError::Interrupted(e.to_string()))??;
        // Another process may have refreshed while this one waited for the lock.
        let stale = self.stale_brokers();
        if !force && stale.is_empty() {
            return Ok(RefreshOutcome::UpToDate);
        }
        match self.fetch_and_build(lock, progress).await {
            Ok((report, failures)) => self.after_partial(force, report, failures),
            Err(error) => self.after_failure(error, &stale),
        }
    }

    /// Decides, after a rebuild in which some brokers' dumps failed, whether the refresh
    /// succeeded: a failed broker left stale is a failure unless `on_stale` is `warn`; in a
    /// forced refresh, any failed broker is.
    fn after_partial(
        &self,
        force: bool,
        report: LoadReport,
        failures: Vec<(&'static str, MasterError)>,
    ) -> Result<RefreshOutcome, MasterError> {
        let today = self.clock.today_ist();
        for (broker, error) in failures {
            let dump_date = report
                .brokers
                .iter()
                .find(|b| b.broker == broker)
                .map(|b| b.dump_date);
            match dump_date {
                Some(date) if date >= today && !force => {}
                Some(_) if force => return Err(error),
                Some(dump_date) if self.on_stale == OnStale::Fail => {
                    return Err(MasterError::Stale {
                        broker: broker.to_owned(),
                        dump_date,
                        today,
                        reason: error.to_string(),
                    });
                }
                Some(_) => {}
                // Nothing of this broker to go on with, stale or not.
                None => return Err(error),
            }
        }
        Ok(RefreshOutcome::Rebuilt(Box::new(report)))
    }

    /// Decides, after a failed refresh, between keeping the stale master and failing.
    fn after_failure(
        &self,
        error: MasterError,
        stale: &[&'static str],
    ) -> Result<RefreshOutcome, MasterError> {
        let Ok(master) = InstrumentMaster::open_with_capacity(&self.path, 1) else {
            return Err(error);
        };
        let today = self.clock.today_ist();
        let dumps = master.dumps();
        let Some(broker) = stale.first() else {
            // A forced refresh of a current master failed: the master is fine, the refresh not.
            return Err(error);
        };
        let dump_date = dumps
            .iter()
            .find(|d| d.broker == *broker)
            .map_or(Date::MIN, |d| d.dump_date);
        match self.on_stale {
            OnStale::Fail => Err(MasterError::Stale {
                broker: (*broker).to_owned(),
                dump_date,
                today,
                reason: error.to_string(),
            }),
            OnStale::Warn => Ok(RefreshOutcome::KeptStale {
                warning: format!(
                    "using the {broker} instruments from {dump_date} (today is {today} IST): the refresh failed: {error}"
                ),
            }),
        }
    }

    /// Downloads every broker's dump and builds from those that arrived and parsed, carrying
    /// the others over from the previous master. Returns the report and each broker that
    /// failed, with why; an error only when nothing could be built.
    async fn fetch_and_build(
        &self,
        lock: BuildLock,
        progress: DownloadProgress<'_>,
    ) -> Result<(LoadReport, Vec<(&'static str, MasterError)>), MasterError> {
        let started = Instant::now();
        let today = self.clock.today_ist();
        let mut downloads = Vec::with_capacity(self.fetchers.len());
        for fetcher in &self.fetchers {
            let broker = fetcher.source().name();
            let file = sibling(&self.path, &format!(".{broker}.download"));
            let fetched = fetch_one(*fetcher, &file, progress).await;
            downloads.push((fetcher.source(), fetcher.source_name(), file, fetched));
        }
        let path = self.path.clone();
        let build = self.build;
        let files: Vec<PathBuf> = downloads.iter().map(|(_, _, f, _)| f.clone()).collect();
        let built = tokio::task::spawn_blocking(move || {
            let _lock = lock;
            let mut failures = Vec::new();
            let mut loads = Vec::new();
            for (broker, load) in parse_downloads(downloads, today, &build) {
                match load {
                    Ok(load) => loads.push(load),
                    Err(error) => {
                        let reason = error.to_string();
                        loads.extend(previous_part(&path, broker, reason));
                        failures.push((broker, error));
                    }
                }
            }
            if loads.iter().all(|l| l.carried_over.is_some()) {
                return Err(failures.into_iter().next().map_or_else(
                    || MasterError::Interrupted("no broker to refresh".to_owned()),
                    |(_, e)| e,
                ));
            }
            build_loaded(&path, loads, &build, started).map(|report| (report, failures))
        })
        .await
        .map_err(|e| MasterError::Interrupted(e.to_string()))
        .and_then(|r| r);
        for file in &files {
            let _ = tokio::fs::remove_file(file).await;
        }
        built
    }
}

/// Downloads one broker's dump into `file`.
async fn fetch_one(
    fetcher: &dyn DumpFetcher,
    file: &Path,
    progress: DownloadProgress<'_>,
) -> Result<FetchedDump, MasterError> {
    let broker = fetcher.source().name();
    let io = |source| MasterError::Io {
        path: file.to_owned(),
        source,
    };
    let mut sink = tokio::fs::File::create(file).await.map_err(io)?;
    let fetched = fetcher
        .fetch(&mut sink, &|done, total| progress(broker, done, total))
        .await?;
    sink.flush().await.map_err(io)?;
    Ok(fetched)
}

/// A downloaded dump: its format, where it came from, the file, and how the download went.
type Download = (
    Arc<dyn InstrumentSource>,
    String,
    PathBuf,
    Result<FetchedDump, MasterError>,
);

/// Parses each download that arrived as today's dump, in parallel; each broker's result on
/// its own, in the order given.
fn parse_downloads(
    downloads: Vec<Download>,
    today: Date,
    options: &BuildOptions,
) -> Vec<(&'static str, Result<BrokerLoad, MasterError>)> {
    let (sources, fetched): (Vec<_>, Vec<_>) = downloads
        .into_iter()
        .map(|(source, name, file, fetched)| ((source, name, file), fetched))
        .unzip();
    let mut results: Vec<(&'static str, Option<Result<BrokerLoad, MasterError>>)> = Vec::new();
    let mut inputs = Vec::new();
    let mut slots = Vec::new();
    for (slot, ((source, name, file), fetched)) in sources.iter().zip(fetched).enumerate() {
        results.push((source.name(), None));
        let opened = fetched
            .and_then(|fetched| open_dump(file).map(|reader| (reader, fetched.last_modified)));
        match opened {
            Ok((reader, last_modified)) => {
                slots.push((slot, last_modified));
                let input = DumpInput {
                    broker: source.as_ref(),
                    reader,
                    source_name: name.clone(),
                    dump_date: today,
                };
                inputs.push((input, DumpDate::Claimed(today)));
            }
            Err(error) => {
                if let Some(result) = results.get_mut(slot) {
                    result.1 = Some(Err(error));
                }
            }
        }
    }
    for ((slot, last_modified), load) in slots
        .into_iter()
        .zip(parse_each(inputs, options.max_malformed_fraction))
    {
        if let Some(result) = results.get_mut(slot) {
            result.1 = Some(load.map(|mut load| {
                load.last_modified = last_modified;
                load
            }));
        }
    }
    results
        .into_iter()
        .map(|(broker, load)| {
            (
                broker,
                load.unwrap_or_else(|| {
                    Err(MasterError::Interrupted(format!("{broker}: no result")))
                }),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn http_dates_are_read_in_their_preferred_form_only() {
        assert_eq!(
            parse_http_date("Tue, 09 Dec 2025 02:30:00 GMT"),
            Some(datetime!(2025-12-09 02:30:00 UTC))
        );
        assert_eq!(parse_http_date("2025-12-09T02:30:00Z"), None);
        assert_eq!(parse_http_date("Tue, 09 Dec 2025 02:30:00 +0530"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn only_a_successful_answer_dates_a_dump() {
        let header = Some("Tue, 09 Dec 2025 02:30:00 GMT");
        assert_eq!(
            last_modified(200, header),
            Some(datetime!(2025-12-09 02:30:00 UTC))
        );
        assert_eq!(last_modified(404, header), None);
        assert_eq!(last_modified(200, None), None);
    }
}
