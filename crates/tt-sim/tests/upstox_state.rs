//! Both brokers' accounts survive a restart through the state file, apart; and the Upstox BOD
//! file the simulator serves reads back into a master through Upstox's own dump parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Cursor;
use std::sync::Arc;

use common::{KITE_CSV, NOW, TempDir, UPSTOX_JSON, UpstoxClient, build_both};
use time::macros::date;
use tt_core::ManualClock;
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master};
use tt_sim::{RateLimits, SimBroker, SimConfig, Simulator};
use tt_upstox::{Upstox, UpstoxConfig};

const ORDER: &str = r#"{"instrument_token":"NSE_EQ|INE009A01021","quantity":1,"product":"I","validity":"DAY","price":1400,"tag":"keep","order_type":"LIMIT","transaction_type":"BUY","disclosed_quantity":0,"trigger_price":0,"is_amo":false}"#;

#[tokio::test]
async fn each_brokers_account_and_sessions_survive_a_restart() {
    let dir = TempDir::new("upstox-state-restart");
    let master = build_both(&dir.path("instruments.db"), KITE_CSV, UPSTOX_JSON);
    let clock = Arc::new(ManualClock::new(NOW));
    let config = SimConfig::new(master)
        .rate_limits(RateLimits::UNLIMITED)
        .clock(clock)
        .state_file(dir.path("state.db"));
    let first = Simulator::start(config.clone()).await.unwrap();
    first
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();
    let upstox = UpstoxClient {
        addr: first.addr(),
        access_token: first.open_session_for(SimBroker::Upstox),
    };
    let id = upstox.place_one(ORDER).await;
    first.shutdown().await;

    let second = Simulator::start(config).await.unwrap();
    let upstox = UpstoxClient {
        addr: second.addr(),
        ..upstox
    };
    assert_eq!(upstox.order(&id).await["status"], "open");
    assert_eq!(second.orders_of(SimBroker::Upstox).len(), 1);
    assert!(second.orders().is_empty());
    assert_eq!(
        second.price("NSE_EQ|INE009A01021").unwrap().to_string(),
        "1500"
    );
}

#[tokio::test]
async fn the_served_bod_file_reads_back_through_upstoxs_parser() {
    let dir = TempDir::new("upstox-state-roundtrip");
    let master = build_both(&dir.path("instruments.db"), KITE_CSV, UPSTOX_JSON);
    let sim = Simulator::start(SimConfig::new(Arc::clone(&master)))
        .await
        .unwrap();
    let answer = common::instrument_file(sim.addr(), "complete.json.gz").await;
    let json = common::gunzip(&answer.body);
    let upstox = Upstox::new(UpstoxConfig::new("", "", ""));
    let path = dir.path("again.db");
    build_master(
        &path,
        vec![DumpInput {
            broker: &upstox,
            reader: Box::new(Cursor::new(json)),
            source_name: "served.json".to_owned(),
            dump_date: date!(2026 - 11 - 24),
        }],
        &BuildOptions::default(),
    )
    .unwrap();
    let again = InstrumentMaster::open(&path).unwrap();
    let canonical = |m: &InstrumentMaster| {
        let mut rows: Vec<(String, String, String, u32)> = m
            .listing("upstox")
            .unwrap()
            .into_iter()
            .map(|l| {
                (
                    l.instrument.to_string(),
                    l.token.token,
                    l.contract.tick_size.to_string(),
                    l.contract.lot_size,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(canonical(&again), canonical(&master));
}
