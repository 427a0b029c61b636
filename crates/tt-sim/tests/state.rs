//! The state database beside the master: a request writes the rows it changed and no others,
//! the file is its owner's alone, a database of another version or with a bad row is refused
//! (and left as it is), and a failed write is caught up by the next one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TempDir, TestSim};
use rusqlite::Connection;
use tt_sim::{SimConfig, SimError, Simulator};

const RESTING: &str = "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1000&quantity=1&product=CNC";
const TABLES: [&str; 8] = [
    "accounts",
    "orders",
    "trades",
    "positions",
    "holdings",
    "sessions",
    "tapes",
    "market",
];

/// Adds triggers that log every row the simulator inserts, updates or deletes.
fn log_writes(db: &Connection) {
    db.execute_batch("CREATE TABLE touched (tbl TEXT NOT NULL)")
        .unwrap();
    for table in TABLES {
        for op in ["INSERT", "UPDATE", "DELETE"] {
            db.execute_batch(&format!(
                "CREATE TRIGGER log_{table}_{op} AFTER {op} ON {table} \
                 BEGIN INSERT INTO touched VALUES ('{table}'); END;"
            ))
            .unwrap();
        }
    }
}

/// The rows written since the last call, per table.
fn written(db: &Connection) -> BTreeMap<String, u32> {
    let mut statement = db
        .prepare("SELECT tbl, count(*) FROM touched GROUP BY tbl")
        .unwrap();
    let counts = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    db.execute("DELETE FROM touched", []).unwrap();
    counts
}

fn rows(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
    pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

async fn with_state(name: &str, state: &Path) -> TestSim {
    let state = state.to_owned();
    TestSim::start_with(name, move |config| config.state_file(state)).await
}

#[tokio::test]
async fn a_request_writes_only_the_rows_it_changed() {
    let files = TempDir::new("state-rows-db");
    let state = files.path("state.db");
    let sim = with_state("state-rows", &state).await;
    sim.set_price("NSE:INFY", "1500");
    let db = Connection::open(&state).unwrap();
    log_writes(&db);

    let place_and_cancel = || async {
        let id = sim.kite.place(RESTING).await;
        let placed = written(&db);
        sim.kite
            .delete(&format!("/orders/regular/{id}"))
            .await
            .data();
        (placed, written(&db))
    };
    let first = place_and_cancel().await;
    // The order, and the account row with its order counter; the cancel rewrites the order.
    assert_eq!(first.0, rows(&[("accounts", 1), ("orders", 1)]));
    assert_eq!(first.1, rows(&[("orders", 1)]));
    for _ in 0..100 {
        place_and_cancel().await;
    }
    // A hundred orders later, the same rows: nothing grows with the book.
    assert_eq!(place_and_cancel().await, first);

    // A fill: the order, the trade, the position, the holding, the counters, the tape.
    sim.kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=CNC")
        .await;
    assert_eq!(
        written(&db),
        rows(&[
            ("accounts", 1),
            ("holdings", 1),
            ("orders", 1),
            ("positions", 1),
            ("tapes", 1),
            ("trades", 1),
        ])
    );
    // Reads write nothing.
    sim.kite.get("/orders").await.data();
    sim.kite.get("/portfolio/positions").await.data();
    assert_eq!(written(&db), BTreeMap::new());
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_and_its_journal_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let files = TempDir::new("state-mode-db");
    let state = files.path("state.db");
    let sim = with_state("state-mode", &state).await;
    sim.kite.place(RESTING).await;
    let mut wal = state.as_os_str().to_owned();
    wal.push("-wal");
    for path in [state.clone(), wal.into()] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
}

#[tokio::test]
async fn a_database_of_another_version_or_application_is_refused_untouched() {
    let dir = TempDir::new("state-version");
    let master = common::build(&dir.path("instruments.db"), common::KITE_CSV);
    let refusal = |path: &Path| {
        let config = SimConfig::new(master.clone()).state_file(path);
        async move { Simulator::start(config).await.unwrap_err() }
    };

    let older = dir.path("older.db");
    Connection::open(&older)
        .unwrap()
        .execute_batch(
            "PRAGMA application_id = 1953780553; PRAGMA user_version = 2; CREATE TABLE orders (x);",
        )
        .unwrap();
    match refusal(&older).await {
        SimError::State { path, reason } => {
            assert_eq!(path, older);
            assert!(reason.contains("schema version 2 is not 3"), "{reason}");
        }
        other => panic!("expected a state error, got {other}"),
    }

    // The instrument master is a SQLite file too, but not a state database: refused, and not
    // switched to WAL or narrowed to its owner.
    let before = std::fs::metadata(dir.path("instruments.db")).unwrap();
    match refusal(&dir.path("instruments.db")).await {
        SimError::State { reason, .. } => {
            assert!(reason.contains("not a tt-sim state database"), "{reason}");
        }
        other => panic!("expected a state error, got {other}"),
    }
    let after = std::fs::metadata(dir.path("instruments.db")).unwrap();
    assert_eq!(before.permissions(), after.permissions());
    assert!(!dir.path("instruments.db-wal").exists());

    // Nor is a file that is not SQLite at all (an old JSON state file).
    let json = dir.path("old.json");
    std::fs::write(&json, r#"{"version":2}"#).unwrap();
    assert!(matches!(refusal(&json).await, SimError::State { .. }));
}

#[tokio::test]
async fn a_bad_row_is_named_and_the_rest_of_the_database_kept() {
    let files = TempDir::new("state-bad-row-db");
    let state = files.path("state.db");
    let sim = with_state("state-bad-row", &state).await;
    let kept = sim.kite.place(RESTING).await;
    let broken = sim.kite.place(RESTING).await;
    sim.handle.shutdown().await;

    let db = Connection::open(&state).unwrap();
    db.execute(
        "UPDATE orders SET record = '{\"current\":' WHERE broker = 'kite' AND key = ?1",
        [&broken],
    )
    .unwrap();
    let master = common::build(&sim.dir.path("instruments.db"), common::KITE_CSV);
    let error = Simulator::start(SimConfig::new(master).state_file(&state))
        .await
        .unwrap_err();
    match &error {
        SimError::StateRow { table, key, .. } => {
            assert_eq!(table, "orders");
            assert_eq!(key, &format!("(kite, {broken})"));
        }
        other => panic!("expected a bad row, got {other}"),
    }
    assert!(error.to_string().contains(&broken), "{error}");
    // Nothing was overwritten: the good order is still there.
    let good: u32 = db
        .query_row(
            "SELECT count(*) FROM orders WHERE broker = 'kite' AND key = ?1",
            [&kept],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(good, 1);
}

#[tokio::test]
async fn a_failed_write_is_caught_up_by_the_next_one() {
    let files = TempDir::new("state-retry-db");
    let state = files.path("state.db");
    let sim = with_state("state-retry", &state).await;

    // Another connection holds the write lock: the simulator's writes fail, it keeps serving.
    let blocker = Connection::open(&state).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    sim.set_price("NSE:INFY", "1500");
    let placed = sim.kite.place(RESTING).await;
    assert_eq!(sim.kite.order(&placed).await["status"], "OPEN");
    let stored: u32 = blocker
        .query_row("SELECT count(*) FROM orders", [], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, 0);
    blocker.execute_batch("ROLLBACK").unwrap();

    // The next change saves itself and everything the failed writes held.
    sim.set_price("NSE:SBIN", "800");
    let session = sim.kite.access_token.clone();
    let addr_before = sim.handle.addr();
    sim.handle.shutdown().await;
    let master = common::build(&sim.dir.path("instruments.db"), common::KITE_CSV);
    let again = Simulator::start(
        SimConfig::new(master)
            .clock(sim.clock.clone())
            .state_file(&state),
    )
    .await
    .unwrap();
    assert_ne!(again.addr(), addr_before);
    assert_eq!(again.price("NSE:INFY").unwrap().to_string(), "1500");
    assert_eq!(again.price("NSE:SBIN").unwrap().to_string(), "800");
    let orders = again.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].order_id, placed);
    let kite = common::Kite {
        addr: again.addr(),
        access_token: session,
        ..sim.kite.clone()
    };
    assert_eq!(kite.order(&placed).await["status"], "OPEN");
}

#[tokio::test]
async fn removals_and_resets_survive_a_restart() {
    let dir = TempDir::new("state-removals");
    let master = common::build(&dir.path("instruments.db"), common::KITE_CSV);
    let config = SimConfig::new(master)
        .rate_limits(tt_sim::RateLimits::UNLIMITED)
        .clock(std::sync::Arc::new(tt_core::ManualClock::new(common::NOW)))
        .state_file(dir.path("state.db"));
    let first = Simulator::start(config.clone()).await.unwrap();
    let kite = common::Kite {
        addr: first.addr(),
        api_key: first.app().api_key.clone(),
        access_token: first.open_session(),
    };
    let holdings = kite.get("/portfolio/holdings").await.data();
    let symbol = holdings[0]["tradingsymbol"].as_str().unwrap().to_owned();
    let held = holdings[0]["quantity"].as_u64().unwrap();
    kite.place(&format!(
        "exchange=NSE&tradingsymbol={symbol}&transaction_type=SELL&order_type=MARKET&quantity={held}&product=CNC"
    ))
    .await;
    first.shutdown().await;

    // The holding sold off stays gone.
    let second = Simulator::start(config.clone()).await.unwrap();
    let kite = common::Kite {
        addr: second.addr(),
        ..kite
    };
    let holdings = kite.get("/portfolio/holdings").await.data();
    let symbols: Vec<&str> = holdings
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["tradingsymbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols.len(), 2);
    assert!(!symbols.contains(&symbol.as_str()), "{symbols:?}");
    assert_eq!(second.orders().len(), 1);
    second
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();

    // A reset replaces what was saved; the session stays.
    second.reset();
    second.shutdown().await;
    let third = Simulator::start(config).await.unwrap();
    let kite = common::Kite {
        addr: third.addr(),
        ..kite
    };
    assert!(third.orders().is_empty());
    assert_eq!(
        kite.get("/portfolio/holdings")
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_ne!(third.price("NSE:INFY").unwrap().to_string(), "1500");
    assert_eq!(kite.get("/trades").await.data(), serde_json::json!([]));
}
