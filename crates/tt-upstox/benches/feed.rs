//! Upstox's market data feed v3: decoding `FeedResponse` messages into ticks, in instrument
//! feeds per second. Inputs are encoded from the schema (no captured Upstox frames exist): a
//! `live_feed` of 100 full-mode option feeds (five levels of depth, the `1d`, `I1` and `I30`
//! candles, greeks), and one of 100 LTPC feeds. prost's derived decoding of the same full
//! message, which stops at the schema's types without converting anything, is timed beside
//! it: the cost the hand-written outer decoding avoids.
//!
//! Run with `cargo bench -p tt-upstox --features bench-internals --bench feed`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use tt_upstox::bench::{
    decode_feed, decode_feed_prost_derive, feed_full_message, feed_ltpc_message,
};

const FEEDS: usize = 100;
/// Single timed calls per input after criterion's runs.
const ROUNDS: usize = 20_000;

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let full = feed_full_message(FEEDS);
    let ltpc = feed_ltpc_message(FEEDS);
    // Checked before timing: every feed decodes to a tick.
    assert_eq!(decode_feed(&full).unwrap(), FEEDS);
    assert_eq!(decode_feed(&ltpc).unwrap(), FEEDS);
    assert_eq!(decode_feed_prost_derive(&full).unwrap(), FEEDS);

    let mut group = criterion.benchmark_group("upstox_feed");
    group.throughput(Throughput::Elements(FEEDS as u64));
    group.bench_function(format!("full_{FEEDS}_feeds_{}_bytes", full.len()), |b| {
        b.iter(|| decode_feed(black_box(&full)).unwrap())
    });
    group.bench_function(format!("ltpc_{FEEDS}_feeds_{}_bytes", ltpc.len()), |b| {
        b.iter(|| decode_feed(black_box(&ltpc)).unwrap())
    });
    group.bench_function(format!("full_{FEEDS}_feeds_prost_derive_only"), |b| {
        b.iter(|| decode_feed_prost_derive(black_box(&full)).unwrap())
    });
    group.finish();
    criterion.final_summary();
    // Under a profiler (`--profile-time`, as for callgrind's instruction counts) only
    // criterion's runs are wanted.
    if std::env::args().any(|arg| arg == "--profile-time") {
        return;
    }

    // On a shared machine criterion's means carry other processes' load; the fastest of many
    // single calls is the closest figure to an idle core's, the median the typical one.
    println!("\nsingle calls, {ROUNDS} rounds: fastest and median, instrument feeds per second");
    for (name, run) in [
        (
            "full (5 levels, 3 candles, greeks)",
            &(|| decode_feed(&full)) as &dyn Fn() -> _,
        ),
        ("ltpc", &|| decode_feed(&ltpc)),
        ("full, prost derive only", &|| {
            decode_feed_prost_derive(&full)
        }),
    ] {
        let mut times: Vec<Duration> = (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                black_box(run().unwrap());
                start.elapsed()
            })
            .collect();
        times.sort_unstable();
        let rate = |t: Duration| FEEDS as f64 / t.as_secs_f64() / 1e6;
        println!(
            "| {name} | fastest {:.2} M/s | median {:.2} M/s |",
            rate(times[0]),
            rate(times[ROUNDS / 2])
        );
    }
}
