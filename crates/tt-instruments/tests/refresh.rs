//! The refresh lifecycle: once per IST trading day, atomic, and never losing the last good master.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tt_core::{InstrumentSource, ManualClock};
use tt_instruments::{
    DumpFetcher, FetchedDump, InstrumentMaster, MasterError, OnStale, RefreshOutcome, Refresher,
    TradingMaster,
};
use tt_upstox::{Upstox, UpstoxConfig};
use tt_zerodha::{Zerodha, ZerodhaConfig};

const HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n";

/// A Kite dump with `equities` NSE equities, NIFTY 50, and `options` NIFTY options.
fn kite_dump(equities: usize, options: usize, price_tag: &str) -> Vec<u8> {
    let mut text = String::from(HEADER);
    text.push_str("256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE\n");
    for i in 0..equities {
        let token = 1000 + i;
        text.push_str(&format!(
            "{},{token},SYM{i},\"NAME {i} {price_tag}\",0,,0,0.05,1,EQ,NSE,NSE\n",
            token * 256 + 1
        ));
    }
    for i in 0..options {
        let token = 40_000 + i;
        let strike = 20_000 + 50 * (i / 2);
        let kind = if i % 2 == 0 { "CE" } else { "PE" };
        text.push_str(&format!(
            "{},{token},NIFTY26DEC{strike}{kind},NIFTY,0,2026-12-29,{strike},0.05,75,{kind},NFO-OPT,NFO\n",
            token * 256 + 2
        ));
    }
    text.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An Upstox file with `equities` NSE equities, the same symbols and exchange tokens as
/// [`kite_dump`]'s, their keys tagged.
fn upstox_dump(equities: usize, tag: &str) -> Vec<u8> {
    let rows: Vec<String> = (0..equities)
        .map(|i| {
            format!(
                r#"{{"segment":"NSE_EQ","name":"NAME {i}","exchange":"NSE","instrument_type":"EQ","instrument_key":"NSE_EQ|{tag}{i}","lot_size":1,"exchange_token":"{}","tick_size":5.0,"trading_symbol":"SYM{i}"}}"#,
                1000 + i
            )
        })
        .collect();
    format!("[{}]", rows.join(",")).into_bytes()
}

/// Serves bytes from memory, or fails, and counts its calls.
struct FakeFetcher {
    source: Arc<dyn InstrumentSource>,
    body: std::sync::Mutex<Result<Vec<u8>, String>>,
    last_modified: Option<OffsetDateTime>,
    calls: AtomicUsize,
}

impl FakeFetcher {
    fn serving(body: Vec<u8>) -> FakeFetcher {
        FakeFetcher {
            source: Arc::new(Zerodha::new(ZerodhaConfig::new("k", "s"))),
            body: std::sync::Mutex::new(Ok(body)),
            last_modified: None,
            calls: AtomicUsize::new(0),
        }
    }

    fn upstox_serving(body: Vec<u8>) -> FakeFetcher {
        FakeFetcher {
            source: Arc::new(Upstox::new(UpstoxConfig::new(
                "k",
                "s",
                "http://127.0.0.1/cb",
            ))),
            ..FakeFetcher::serving(body)
        }
    }

    fn serve(&self, body: Result<Vec<u8>, String>) {
        *self.body.lock().unwrap() = body;
    }
}

#[async_trait]
impl DumpFetcher for FakeFetcher {
    fn source(&self) -> Arc<dyn InstrumentSource> {
        self.source.clone()
    }

    fn source_name(&self) -> String {
        "memory".to_owned()
    }

    async fn fetch(
        &self,
        sink: &mut (dyn AsyncWrite + Unpin + Send),
        _progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
    ) -> Result<FetchedDump, MasterError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body = self.body.lock().unwrap().clone();
        match body {
            Ok(bytes) => {
                sink.write_all(&bytes).await.unwrap();
                Ok(FetchedDump {
                    bytes: bytes.len() as u64,
                    last_modified: self.last_modified,
                })
            }
            Err(message) => Err(MasterError::Download {
                broker: self.source.name().into(),
                message,
            }),
        }
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tt-refresh-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn master(&self) -> PathBuf {
        self.0.join("instruments.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const DAY_ONE: OffsetDateTime = datetime!(2026-11-24 03:00 UTC);
const DAY_TWO: OffsetDateTime = datetime!(2026-11-25 03:00 UTC);

fn quiet(_: &str, _: u64, _: Option<u64>) {}

/// A master built on day one from `kite_dump(50, 200, "day1")`.
async fn day_one_master(dir: &TempDir) -> FakeFetcher {
    let fetcher = FakeFetcher::serving(kite_dump(50, 200, "day1"));
    let clock = ManualClock::new(DAY_ONE);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)), "{outcome:?}");
    fetcher
}

fn name_of(master: &Path, spec: &str) -> String {
    InstrumentMaster::open(master)
        .unwrap()
        .resolve_spec(spec)
        .unwrap()
        .name
        .clone()
        .unwrap()
}

fn leftovers(dir: &TempDir) -> Vec<String> {
    std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "instruments.db" && n != "instruments.db.lock")
        .collect()
}

#[tokio::test]
async fn a_master_from_today_is_not_downloaded_again() {
    let dir = TempDir::new("today");
    let fetcher = day_one_master(&dir).await;
    let clock = ManualClock::new(DAY_ONE);
    let refresher = Refresher::new(dir.master(), &clock, vec![&fetcher]);
    assert!(refresher.stale_brokers().is_empty());
    let outcome = refresher.refresh_if_stale(&quiet).await.unwrap();
    assert!(matches!(outcome, RefreshOutcome::UpToDate));
    assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_trading_day_turns_at_midnight_ist_not_utc() {
    let dir = TempDir::new("ist");
    let fetcher = day_one_master(&dir).await;
    // 18:29 UTC on the 24th is 23:59 IST: still the same trading day.
    let clock = ManualClock::new(datetime!(2026-11-24 18:29 UTC));
    let refresher = Refresher::new(dir.master(), &clock, vec![&fetcher]);
    assert!(refresher.stale_brokers().is_empty());
    // 18:30 UTC on the 24th is midnight IST on the 25th, though still the 24th in UTC.
    clock.set(datetime!(2026-11-24 18:30 UTC));
    assert_eq!(refresher.stale_brokers(), ["zerodha"]);
    fetcher.serve(Ok(kite_dump(50, 200, "day2")));
    let outcome = refresher.refresh_if_stale(&quiet).await.unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)));
    let master = InstrumentMaster::open(dir.master()).unwrap();
    assert_eq!(master.dumps()[0].dump_date.to_string(), "2026-11-25");
}

#[tokio::test]
async fn a_stale_master_is_rebuilt_and_old_readers_keep_their_view() {
    let dir = TempDir::new("rebuild");
    let fetcher = day_one_master(&dir).await;
    let reader = InstrumentMaster::open(dir.master()).unwrap();
    fetcher.serve(Ok(gzip(&kite_dump(50, 200, "day2"))));
    let clock = ManualClock::new(DAY_TWO);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)));
    assert_eq!(name_of(&dir.master(), "NSE:SYM1"), "NAME 1 day2");
    // A reader opened before the swap still reads the file it opened.
    assert_eq!(
        reader.resolve_spec("NSE:SYM1").unwrap().name.as_deref(),
        Some("NAME 1 day1")
    );
    assert!(reader.reload_if_changed().unwrap());
    assert_eq!(
        reader.resolve_spec("NSE:SYM1").unwrap().name.as_deref(),
        Some("NAME 1 day2")
    );
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

/// Every way a refresh can fail leaves the day-one master in place; `fail` says so with an
/// error, `warn` with a warning.
#[tokio::test]
async fn every_failed_refresh_keeps_the_previous_master() {
    let mut truncated_gzip = gzip(&kite_dump(50, 200, "day2"));
    truncated_gzip.truncate(truncated_gzip.len() / 2);
    let mut corrupt_gzip = gzip(&kite_dump(50, 200, "day2"));
    let middle = corrupt_gzip.len() / 2;
    corrupt_gzip[middle..middle + 40].fill(0xAA);
    let mut malformed = kite_dump(50, 200, "day2");
    for i in 0..20 {
        malformed.extend_from_slice(
            format!("1,2,BAD{i},X,0,2026-13-45,0,0.05,1,FUT,NFO-FUT,NFO\n").as_bytes(),
        );
    }
    /// A case: its name, what the fetcher serves, and what the error must say.
    type Case = (&'static str, Result<Vec<u8>, String>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "download error",
            Err("connection reset".into()),
            "connection reset",
        ),
        ("truncated gzip", Ok(truncated_gzip), "is corrupt"),
        ("corrupt gzip", Ok(corrupt_gzip), "dump"),
        (
            "not a dump",
            Ok(b"<html>maintenance</html>".to_vec()),
            "not a Kite instrument dump",
        ),
        ("malformed rows", Ok(malformed), "malformed"),
        ("collapsed dump", Ok(kite_dump(50, 20, "day2")), "shrank"),
        (
            "segment gone",
            Ok(kite_dump(0, 200, "day2")),
            "NSE equity has 0 rows",
        ),
        (
            "empty dump",
            Ok(HEADER.as_bytes().to_vec()),
            "has no instruments",
        ),
    ];
    for (case, body, needle) in cases {
        for on_stale in [OnStale::Fail, OnStale::Warn] {
            let dir = TempDir::new(&format!("fail-{}-{on_stale:?}", case.replace(' ', "-")));
            let fetcher = day_one_master(&dir).await;
            fetcher.serve(body.clone());
            let clock = ManualClock::new(DAY_TWO);
            let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
                .on_stale(on_stale)
                .refresh_if_stale(&quiet)
                .await;
            match (on_stale, outcome) {
                (OnStale::Fail, Err(error @ MasterError::Stale { .. })) => {
                    let text = error.to_string();
                    assert!(text.contains(needle), "{case}: {text}");
                    assert!(
                        text.contains("2026-11-24") && text.contains("2026-11-25"),
                        "{case}: {text}"
                    );
                }
                (OnStale::Warn, Ok(RefreshOutcome::KeptStale { warning })) => {
                    assert!(warning.contains(needle), "{case}: {warning}");
                }
                (on_stale, other) => panic!("{case} with {on_stale:?}: {other:?}"),
            }
            // The day-one master is intact and readable, and nothing is left behind.
            assert_eq!(name_of(&dir.master(), "NSE:SYM1"), "NAME 1 day1", "{case}");
            assert!(leftovers(&dir).is_empty(), "{case}: {:?}", leftovers(&dir));
        }
    }
}

#[tokio::test]
async fn refreshing_through_an_open_master_swaps_it_and_drops_its_caches() {
    let dir = TempDir::new("inprocess");
    let fetcher = day_one_master(&dir).await;
    let master = InstrumentMaster::open(dir.master()).unwrap();
    assert_eq!(
        master.resolve_spec("NSE:SYM2").unwrap().name.as_deref(),
        Some("NAME 2 day1")
    );
    fetcher.serve(Ok(kite_dump(50, 200, "day2")));
    let clock = ManualClock::new(DAY_TWO);
    let refresher = Refresher::new(dir.master(), &clock, vec![&fetcher]);
    let outcome = master.refresh_if_stale(&refresher, &quiet).await.unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)));
    // The cached day-one entry is gone with the old file.
    assert_eq!(
        master.resolve_spec("NSE:SYM2").unwrap().name.as_deref(),
        Some("NAME 2 day2")
    );
}

#[tokio::test]
async fn without_a_previous_master_a_failed_refresh_is_the_error_itself() {
    let dir = TempDir::new("first");
    let fetcher = FakeFetcher::serving(Vec::new());
    fetcher.serve(Err("no route to host".into()));
    let clock = ManualClock::new(DAY_ONE);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .on_stale(OnStale::Warn)
        .refresh_if_stale(&quiet)
        .await;
    assert!(
        matches!(outcome, Err(MasterError::Download { .. })),
        "{outcome:?}"
    );
    assert!(matches!(
        InstrumentMaster::open(dir.master()),
        Err(MasterError::Missing(_))
    ));
}

#[tokio::test]
async fn a_build_killed_midway_leaves_the_master_and_the_next_build_cleans_up() {
    let dir = TempDir::new("killed");
    let fetcher = day_one_master(&dir).await;
    // What a build killed while writing leaves: a half-written temporary file and a download.
    std::fs::write(
        dir.0.join("instruments.db.tmp-99999"),
        b"SQLite format 3\0half",
    )
    .unwrap();
    std::fs::write(
        dir.0.join("instruments.db.zerodha.download"),
        b"instrument_token,exch",
    )
    .unwrap();
    assert_eq!(name_of(&dir.master(), "NSE:SYM1"), "NAME 1 day1");

    fetcher.serve(Ok(kite_dump(50, 200, "day2")));
    let clock = ManualClock::new(DAY_TWO);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)));
    assert_eq!(name_of(&dir.master(), "NSE:SYM1"), "NAME 1 day2");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[tokio::test]
async fn a_parser_that_dies_midway_changes_nothing() {
    // A source whose parser panics after a few rows: the build thread dies as a killed process
    // would, before anything is swapped in.
    struct Dying(Zerodha);
    impl tt_core::Broker for Dying {
        fn capabilities(&self) -> &tt_core::Capabilities {
            self.0.capabilities()
        }
    }
    impl InstrumentSource for Dying {
        fn parse_dump<'a>(
            &self,
            dump: Box<dyn std::io::BufRead + Send + 'a>,
        ) -> tt_core::DumpRows<'a> {
            Box::new(self.0.parse_dump(dump).enumerate().map(|(i, row)| {
                assert!(i < 100, "killed midway");
                row
            }))
        }
    }
    struct DyingFetcher(FakeFetcher);
    #[async_trait]
    impl DumpFetcher for DyingFetcher {
        fn source(&self) -> Arc<dyn InstrumentSource> {
            Arc::new(Dying(Zerodha::new(ZerodhaConfig::new("k", "s"))))
        }
        fn source_name(&self) -> String {
            "memory".into()
        }
        async fn fetch(
            &self,
            sink: &mut (dyn AsyncWrite + Unpin + Send),
            progress: &(dyn Fn(u64, Option<u64>) + Send + Sync),
        ) -> Result<FetchedDump, MasterError> {
            self.0.fetch(sink, progress).await
        }
    }
    let dir = TempDir::new("dies");
    day_one_master(&dir).await;
    let dying = DyingFetcher(FakeFetcher::serving(kite_dump(50, 200, "day2")));
    let clock = ManualClock::new(DAY_TWO);
    let outcome = Refresher::new(dir.master(), &clock, vec![&dying])
        .refresh_if_stale(&quiet)
        .await;
    match outcome {
        Err(MasterError::Stale { reason, .. }) => {
            assert!(reason.contains("killed midway"), "{reason}")
        }
        other => panic!("expected a stale error, got {other:?}"),
    }
    assert_eq!(name_of(&dir.master(), "NSE:SYM1"), "NAME 1 day1");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn concurrent_refreshes_of_one_master_do_not_corrupt_it() {
    let dir = TempDir::new("concurrent");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(day_one_master(&dir));
    let master = dir.master();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let master = master.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let fetcher = FakeFetcher::serving(kite_dump(50, 200, &format!("day2-{i}")));
                let clock = ManualClock::new(DAY_TWO);
                runtime
                    .block_on(
                        Refresher::new(&master, &clock, vec![&fetcher]).refresh_if_stale(&quiet),
                    )
                    .unwrap();
                fetcher.calls.load(Ordering::SeqCst)
            })
        })
        .collect();
    // Readers keep reading throughout.
    for _ in 0..20 {
        let name = name_of(&master, "NSE:SYM1");
        assert!(name.starts_with("NAME 1 day"), "{name}");
    }
    let downloads: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    // The first to take the lock rebuilt; the others found today's master and stopped.
    assert_eq!(downloads, 1);
    let name = name_of(&master, "NSE:SYM1");
    assert!(name.starts_with("NAME 1 day2-"), "{name}");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[tokio::test]
async fn a_dump_served_again_the_next_day_is_refused_as_stale() {
    let dir = TempDir::new("served-again");
    // Day one's dump lists a future expiring on day one, as a dump of that day does.
    let mut day_one = kite_dump(50, 200, "day1");
    day_one.extend_from_slice(
        b"1234,4821,NIFTY26NOVFUT,NIFTY,0,2026-11-24,0,0.1,75,FUT,NFO-FUT,NFO\n",
    );
    let fetcher = FakeFetcher::serving(day_one);
    let clock = ManualClock::new(DAY_ONE);
    let refresher = Refresher::new(dir.master(), &clock, vec![&fetcher]);
    refresher.refresh_if_stale(&quiet).await.unwrap();
    // On day two the source still serves day one's file (a cache, a mirror behind).
    clock.set(DAY_TWO);
    match refresher.refresh_if_stale(&quiet).await {
        Err(MasterError::Stale { reason, .. }) => {
            assert!(
                reason.contains("still lists NFO:NIFTY:2026-11-24:FUT"),
                "{reason}"
            )
        }
        other => panic!("expected a stale error, got {other:?}"),
    }
    let master = InstrumentMaster::open(dir.master()).unwrap();
    assert_eq!(master.dumps()[0].dump_date, date!(2026 - 11 - 24));
}

#[tokio::test]
async fn the_sources_last_modified_is_recorded() {
    let dir = TempDir::new("last-modified");
    let modified = datetime!(2026-11-24 02:30 UTC);
    let fetcher = FakeFetcher {
        last_modified: Some(modified),
        ..FakeFetcher::serving(kite_dump(50, 200, "day1"))
    };
    let clock = ManualClock::new(DAY_ONE);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    let RefreshOutcome::Rebuilt(report) = outcome else {
        panic!("expected a rebuild, got {outcome:?}");
    };
    assert!(
        report
            .to_string()
            .contains("last modified Tue, 24 Nov 2026 02:30:00 +0000"),
        "{report}"
    );
    let master = InstrumentMaster::open(dir.master()).unwrap();
    assert_eq!(master.dumps()[0].last_modified, Some(modified));
}

/// Day one: both brokers refreshed. Day two: Kite's download fails, Upstox's works.
async fn kite_fails_on_day_two(
    dir: &TempDir,
    on_stale: OnStale,
) -> Result<RefreshOutcome, MasterError> {
    let kite = FakeFetcher::serving(kite_dump(50, 200, "day1"));
    let upstox = FakeFetcher::upstox_serving(upstox_dump(50, "day1-"));
    let clock = ManualClock::new(DAY_ONE);
    let refresher = Refresher::new(dir.master(), &clock, vec![&kite, &upstox]).on_stale(on_stale);
    refresher.refresh_if_stale(&quiet).await.unwrap();
    kite.serve(Err("connection reset".into()));
    upstox.serve(Ok(upstox_dump(50, "day2-")));
    clock.set(DAY_TWO);
    refresher.refresh_if_stale(&quiet).await
}

fn upstox_token_of(master: &Path, spec: &str) -> String {
    let master = InstrumentMaster::open(master).unwrap();
    master
        .resolve_spec(spec)
        .unwrap()
        .token("upstox")
        .unwrap()
        .token
        .clone()
}

#[tokio::test]
async fn one_brokers_failed_download_does_not_stop_the_other_brokers_refresh() {
    let dir = TempDir::new("one-fails-warn");
    let outcome = kite_fails_on_day_two(&dir, OnStale::Warn).await.unwrap();
    let RefreshOutcome::Rebuilt(report) = outcome else {
        panic!("expected a rebuild, got {outcome:?}");
    };
    assert!(
        report.to_string().contains("kept from the previous master"),
        "{report}"
    );
    assert_eq!(upstox_token_of(&dir.master(), "NSE:SYM1"), "NSE_EQ|day2-1");
    let master = InstrumentMaster::open(dir.master()).unwrap();
    // Kite's part is carried over with its old date, so it still reads as stale.
    let dates: Vec<(String, String)> = master
        .dumps()
        .into_iter()
        .map(|d| (d.broker, d.dump_date.to_string()))
        .collect();
    assert_eq!(
        dates,
        [
            ("upstox".to_owned(), "2026-11-25".to_owned()),
            ("zerodha".to_owned(), "2026-11-24".to_owned())
        ]
    );
    let sym1 = master.resolve_spec("NSE:SYM1").unwrap();
    assert_eq!(
        sym1.token("zerodha").unwrap().token,
        format!("{}", 1001 * 256 + 1)
    );
    assert_eq!(master.listing("zerodha").unwrap().len(), 251);
    assert!(
        master
            .check_current("zerodha", date!(2026 - 11 - 25))
            .is_err()
    );
    assert!(
        master
            .check_current("upstox", date!(2026 - 11 - 25))
            .is_ok()
    );
}

#[tokio::test]
async fn a_broker_left_stale_by_a_failed_download_fails_the_refresh_by_default() {
    let dir = TempDir::new("one-fails-fail");
    match kite_fails_on_day_two(&dir, OnStale::Fail).await {
        Err(MasterError::Stale { broker, reason, .. }) => {
            assert_eq!(broker, "zerodha");
            assert!(reason.contains("connection reset"), "{reason}");
        }
        other => panic!("expected a stale error, got {other:?}"),
    }
    // Upstox's part was refreshed all the same.
    assert_eq!(upstox_token_of(&dir.master(), "NSE:SYM1"), "NSE_EQ|day2-1");
}

#[tokio::test]
async fn the_trading_path_retries_a_missing_master_instead_of_caching_the_error() {
    let dir = TempDir::new("trading-missing");
    let clock = Arc::new(ManualClock::new(DAY_ONE));
    let trading = TradingMaster::at_path(dir.master(), "zerodha", clock.clone());
    assert!(matches!(trading.get(), Err(MasterError::Missing(_))));
    day_one_master(&dir).await;
    let master = trading.get().unwrap();
    assert_eq!(
        master.resolve_spec("NSE:SYM1").unwrap().name.as_deref(),
        Some("NAME 1 day1")
    );
}

#[tokio::test]
async fn the_trading_path_refuses_yesterdays_master_by_default() {
    let dir = TempDir::new("trading-stale");
    day_one_master(&dir).await;
    let clock = Arc::new(ManualClock::new(DAY_TWO));
    let trading = TradingMaster::at_path(dir.master(), "zerodha", clock);
    match trading.get() {
        Err(error @ MasterError::OutOfDate { .. }) => {
            let text = error.to_string();
            assert!(
                text.contains("from 2026-11-24, not today (2026-11-25 IST)"),
                "{text}"
            );
        }
        other => panic!("expected an out-of-date error, got {other:?}"),
    }
}

#[tokio::test]
async fn on_stale_warn_trades_on_yesterdays_master() {
    let dir = TempDir::new("trading-warn");
    day_one_master(&dir).await;
    let clock = Arc::new(ManualClock::new(DAY_TWO));
    let trading = TradingMaster::at_path(dir.master(), "zerodha", clock).on_stale(OnStale::Warn);
    assert!(trading.get().is_ok());
}

#[tokio::test]
async fn a_master_from_another_broker_only_is_stale_for_this_one() {
    let dir = TempDir::new("trading-other-broker");
    day_one_master(&dir).await;
    let clock = Arc::new(ManualClock::new(DAY_ONE));
    let trading = TradingMaster::at_path(dir.master(), "upstox", clock);
    assert!(matches!(
        trading.get(),
        Err(MasterError::OutOfDate {
            dump_date: None,
            ..
        })
    ));
}

#[tokio::test]
async fn a_long_running_client_checks_again_at_the_day_boundary_and_picks_up_the_refresh() {
    let dir = TempDir::new("trading-boundary");
    let fetcher = day_one_master(&dir).await;
    let clock = Arc::new(ManualClock::new(DAY_ONE));
    let trading = TradingMaster::at_path(dir.master(), "zerodha", clock.clone());
    let master = trading.get().unwrap();
    // Midnight IST: the same open master is now yesterday's, and the trading path says so.
    clock.set(datetime!(2026-11-24 18:30 UTC));
    assert!(matches!(trading.get(), Err(MasterError::OutOfDate { .. })));
    // A refresh (another process, say) renames the new day's master into place.
    fetcher.serve(Ok(kite_dump(50, 200, "day2")));
    let refresher_clock = ManualClock::new(DAY_TWO);
    Refresher::new(dir.master(), &refresher_clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    // The next call picks it up, without a restart, through the master already handed out.
    let again = trading.get().unwrap();
    assert!(Arc::ptr_eq(&master, &again));
    assert_eq!(
        master.resolve_spec("NSE:SYM1").unwrap().name.as_deref(),
        Some("NAME 1 day2")
    );
}

#[tokio::test]
async fn a_master_of_an_older_schema_is_refused_and_the_next_refresh_rebuilds_it() {
    let dir = TempDir::new("old-schema");
    day_one_master(&dir).await;
    // Schema 2 had no per-broker multiplier column: such a file must not be read as today's.
    rusqlite::Connection::open(dir.master())
        .unwrap()
        .execute(
            "UPDATE master_info SET value = '2' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let message = match InstrumentMaster::open(dir.master()) {
        Err(e @ MasterError::Incompatible { .. }) => e.to_string(),
        other => panic!("expected an incompatible master, got {other:?}"),
    };
    assert!(
        message.contains("schema version 2, expected 3"),
        "{message}"
    );
    assert!(message.contains("tt instruments import"), "{message}");

    let fetcher = FakeFetcher::serving(kite_dump(50, 200, "day1"));
    let clock = ManualClock::new(DAY_ONE);
    let outcome = Refresher::new(dir.master(), &clock, vec![&fetcher])
        .refresh_if_stale(&quiet)
        .await
        .unwrap();
    assert!(matches!(outcome, RefreshOutcome::Rebuilt(_)), "{outcome:?}");
    assert!(InstrumentMaster::open(dir.master()).is_ok());
}
