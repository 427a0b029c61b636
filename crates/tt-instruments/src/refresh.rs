//! Keeping the master current: rebuilt from fresh dumps once per trading day in IST.
//!
//! A [`Refresher`] checks each broker's dump date in the master against today's date in
//! Asia/Kolkata (from a [`Clock`], so tests can move time). When any is older it downloads every
//! broker's dump (each broker crate provides a [`DumpFetcher`]) and rebuilds from scratch, under
//! the build lock, with the same validation and atomic swap as an import. When that fails, the
//! previous master stays in place and `on_stale` decides: `fail` (the default) returns
//! [`MasterError::Stale`]; `warn` keeps the stale master and says so.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use time::Date;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tt_core::{Clock, InstrumentSource};

use crate::build::{BuildLock, BuildOptions, build_locked, sibling};
use crate::load::{DumpInput, open_dump};
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
    ) -> Result<u64, MasterError>;
}

/// What to do when the master is stale and cannot be refreshed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnStale {
    /// Refuse to go on with stale instruments (the default).
    #[default]
    Fail,
    /// Warn and go on with the stale master.
    Warn,
}

impl FromStr for OnStale {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "fail" => Ok(OnStale::Fail),
            "warn" => Ok(OnStale::Warn),
            other => Err(format!("on_stale must be `fail` or `warn`, not `{other}`")),
        }
    }
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
            Ok(report) => Ok(RefreshOutcome::Rebuilt(Box::new(report))),
            Err(error) => self.after_failure(error, &stale),
        }
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

    async fn fetch_and_build(
        &self,
        lock: BuildLock,
        progress: DownloadProgress<'_>,
    ) -> Result<LoadReport, MasterError> {
        let today = self.clock.today_ist();
        let mut downloads = Vec::with_capacity(self.fetchers.len());
        let result = self.fetch_all(&mut downloads, progress).await;
        let built = match result {
            Ok(()) => {
                let path = self.path.clone();
                let build = self.build;
                let sources: Vec<(Arc<dyn InstrumentSource>, String, PathBuf)> = self
                    .fetchers
                    .iter()
                    .zip(&downloads)
                    .map(|(f, d)| (f.source(), f.source_name(), d.clone()))
                    .collect();
                tokio::task::spawn_blocking(move || {
                    build_from_files(&path, &sources, today, &build, &lock)
                })
                .await
                .map_err(|e| MasterError::Interrupted(e.to_string()))
                .and_then(|r| r)
            }
            Err(e) => Err(e),
        };
        for download in &downloads {
            let _ = tokio::fs::remove_file(download).await;
        }
        built
    }

    async fn fetch_all(
        &self,
        downloads: &mut Vec<PathBuf>,
        progress: DownloadProgress<'_>,
    ) -> Result<(), MasterError> {
        for fetcher in &self.fetchers {
            let broker = fetcher.source().name();
            let path = sibling(&self.path, &format!(".{broker}.download"));
            downloads.push(path.clone());
            let io = |source| MasterError::Io {
                path: path.clone(),
                source,
            };
            let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
            fetcher
                .fetch(&mut file, &|done, total| progress(broker, done, total))
                .await?;
            file.flush().await.map_err(io)?;
        }
        Ok(())
    }
}

fn build_from_files(
    path: &Path,
    sources: &[(Arc<dyn InstrumentSource>, String, PathBuf)],
    today: Date,
    options: &BuildOptions,
    lock: &BuildLock,
) -> Result<LoadReport, MasterError> {
    let mut inputs = Vec::with_capacity(sources.len());
    for (source, name, file) in sources {
        inputs.push(DumpInput {
            broker: source.as_ref(),
            reader: open_dump(file)?,
            source_name: name.clone(),
            dump_date: today,
        });
    }
    build_locked(path, inputs, options, lock)
}
