//! Brokers built by name: Zerodha registers itself when tt-connect's `zerodha` feature links it
//! (this program never names the adapter crate), and a client built by name logs in through the
//! `Login` trait, here against the simulator's real login redirect on 127.0.0.1.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(feature = "zerodha", feature = "sim"))]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tt_connect::sim::{SimConfig, SimHandle, Simulator};
use tt_connect::{
    BrokerSettings, BuildOptions, Client, Clock, DumpInput, InstrumentMaster, ManualClock, Zerodha,
    ZerodhaConfig, build_master, follow_login_redirect, open_dump, registered_brokers,
};

const ONE_EQUITY: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

/// A directory of this test's own, so tests running at once never share a file.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tt-connect-by-name-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The one clock of a test: the master's dump date, the simulator and the client all read it,
/// so the test means the same on any day. A Tuesday, 10:00 IST, running from there.
fn test_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::running(
        time::macros::datetime!(2026-11-24 10:00 +05:30),
    ))
}

/// The simulator over a one-instrument master kept in `dir`, on `clock`.
async fn simulator(dir: &std::path::Path, clock: &Arc<ManualClock>) -> SimHandle {
    std::fs::write(dir.join("kite.csv"), ONE_EQUITY).unwrap();
    let parser = Zerodha::new(ZerodhaConfig::new("", ""));
    build_master(
        &dir.join("instruments.db"),
        vec![DumpInput {
            broker: &parser,
            reader: open_dump(&dir.join("kite.csv")).unwrap(),
            source_name: "by-name test".into(),
            dump_date: clock.today_ist(),
        }],
        &BuildOptions::default(),
    )
    .unwrap();
    let master = Arc::new(InstrumentMaster::open(dir.join("instruments.db")).unwrap());
    Simulator::start(SimConfig::new(master).clock(Arc::clone(clock) as Arc<dyn Clock>))
        .await
        .unwrap()
}

#[test]
fn the_zerodha_feature_registers_zerodha_without_the_program_naming_its_crate() {
    assert!(
        registered_brokers().contains(&"zerodha"),
        "{:?}",
        registered_brokers()
    );
}

#[tokio::test]
async fn a_zerodha_client_built_by_name_logs_in_through_the_login_redirect() {
    let dir = scratch_dir();
    let clock = test_clock();
    let sim = simulator(&dir, &clock).await;
    let app = sim.app().clone();
    let client = Client::from_name(
        "zerodha",
        BrokerSettings::new(app.api_key.clone(), app.api_secret.clone())
            .clock(Arc::clone(&clock) as Arc<dyn Clock>)
            .api_root(sim.url())
            .instrument_master(dir.join("instruments.db"))
            .session_file(dir.join("session.json")),
    )
    .unwrap();
    assert!(client.session().is_none());

    let redirect = follow_login_redirect(&client.login_url(), &app.redirect_url)
        .await
        .unwrap();
    assert!(redirect.get("request_token").is_some());
    let session = client.complete_login(&redirect).await.unwrap();
    assert_eq!(session.user_id, app.user_id);
    assert_eq!(client.session(), Some(session));
    assert_eq!(client.profile().await.unwrap().user_id, app.user_id);

    client.logout().await.unwrap();
    assert!(client.session().is_none());
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
