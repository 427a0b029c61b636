//! The ticker at high rates: a tick interval of 1 ms with 100 instruments is 100,000 ticks a
//! second on one connection, every interval's packets in one frame. The default test checks
//! the batching and a floor a debug build on a busy machine meets; the ignored one is the
//! figure to hold a release build to (`cargo test --release -p tt-sim --test stream_rate --
//! --ignored --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::ws;
use tt_core::ManualClock;
use tt_sim::{SimConfig, Simulator, StreamConfig};

const INSTRUMENTS: u32 = 100;

/// Frames and packets one connection receives in `run` with 100 instruments ticking every 1 ms.
async fn receive_for(name: &str, run: Duration) -> (usize, usize) {
    let (csv, tokens) = common::nse_equities(INSTRUMENTS, 20_000);
    let dir = common::TempDir::new(name);
    let master = common::build(&dir.path("instruments.db"), &csv);
    let handle = Simulator::start(
        SimConfig::new(master)
            .clock(Arc::new(ManualClock::new(common::NOW)))
            .stream(StreamConfig::default().tick_interval(Duration::from_millis(1))),
    )
    .await
    .unwrap();
    let token = handle.open_session();
    let target = format!("/?api_key={}&access_token={token}", handle.app().api_key);
    let mut ticker = ws::connect(handle.addr(), &target, &[]).await.unwrap();
    let list: Vec<String> = tokens.iter().map(u32::to_string).collect();
    ticker
        .send_text(&format!(r#"{{"a":"subscribe","v":[{}]}}"#, list.join(",")))
        .await;
    // The first full frame, then count.
    loop {
        let frame = ticker.next_binary().await;
        if frame.len() > 1 && u16::from_be_bytes([frame[0], frame[1]]) == INSTRUMENTS as u16 {
            break;
        }
    }
    let started = Instant::now();
    let (mut frames, mut packets) = (0, 0);
    while started.elapsed() < run {
        let frame = ticker.next_binary().await;
        if frame.len() < 2 {
            continue;
        }
        let count = u16::from_be_bytes([frame[0], frame[1]]) as usize;
        assert_eq!(count, INSTRUMENTS as usize, "every due packet in one frame");
        assert_eq!(frame.len(), 2 + count * (2 + 44));
        frames += 1;
        packets += count;
    }
    (frames, packets)
}

#[tokio::test]
async fn a_1_ms_interval_batches_each_intervals_packets_into_one_frame() {
    let (frames, packets) = receive_for("rate-batch", Duration::from_secs(1)).await;
    println!("{frames} frames, {packets} ticks in 1 s");
    assert!(frames >= 250, "{frames} frames in a second: falling behind");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a release-build figure: run with --release -- --ignored"]
async fn a_1_ms_interval_with_100_instruments_keeps_up_on_one_core() {
    let (frames, packets) = receive_for("rate-release", Duration::from_secs(3)).await;
    let per_second = packets / 3;
    println!("{frames} frames, {per_second} ticks/s (100,000 scheduled)");
    assert!(per_second >= 80_000, "{per_second} ticks/s");
}
