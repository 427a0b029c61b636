//! Socket-to-Stream latency of tt-connect's feeds: tt-sim streams ticks on loopback at a fixed
//! rate (50,000 a second by default: 500 instruments every 10 ms), and each tick's time from
//! the simulator handing its frame to the socket to the tick leaving the client's `FeedEvents`
//! is measured, with the process's resident memory sampled through the run.
//!
//! Run with `cargo xtask bench stream` (or `cargo bench -p tt-e2e --bench stream_latency`).
//! `TT_BENCH_SECONDS` (default 60) sets each broker's run, `TT_BENCH_RATE` the ticks a second.
//! The simulator runs on a runtime of its own thread, the client on the main thread.
//!
//! Matching a tick to its frame: the simulator's frame tap stamps each market-data frame and
//! hands a copy to a matcher thread, which decodes it with the adapter's own decoder
//! (`decode_ticks`) and notes each tick's (token, volume): every tick is a trade, so the
//! volume is unique per instrument. The stamp is taken before the copy, so the copy counts
//! against the SDK. Kite streams in quote mode, Upstox in full mode (the modes that carry the
//! volume). Each broker's run also writes a capture (`_cache/bench/<broker>.cap`, the format
//! `tt decode` reads) for the side-by-side with the official Python parsers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tt_connect::{
    Client, FeedEvent, FeedOptions, FrameRecorder, Instrument, MarketFeed, StreamMode, TickData,
    Upstox, Zerodha,
};
use tt_e2e::{World, synthetic_equities};
use tt_sim::{SimBroker, StreamConfig};

const INSTRUMENTS: u32 = 500;

/// Frame stamps waiting to be matched, by (token, volume).
type Stamps = Arc<Mutex<HashMap<(String, u64), Instant>>>;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

fn decode(broker: SimBroker, frame: &[u8]) -> Vec<(String, TickData)> {
    match broker {
        SimBroker::Kite => tt_zerodha::stream::decode_ticks(frame)
            .map(|ticks| ticks.into_iter().map(|(t, d)| (t.to_string(), d)).collect())
            .unwrap_or_default(),
        _ => tt_upstox::stream::decode_ticks(frame).unwrap_or_default(),
    }
}

/// Latencies counted in 1 µs buckets up to 20 ms (fixed memory, so it cannot be what grows).
struct Histogram {
    counts: Vec<u64>,
    over: u64,
    total: u64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            counts: vec![0; 20_000],
            over: 0,
            total: 0,
        }
    }

    fn push(&mut self, latency: Duration) {
        self.total += 1;
        match self.counts.get_mut(latency.as_micros() as usize) {
            Some(count) => *count += 1,
            None => self.over += 1,
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        let wanted = (self.total as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (micros, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted.max(1) {
                return Duration::from_micros(micros as u64);
            }
        }
        Duration::from_millis(20)
    }
}

struct Run {
    latencies: Histogram,
    unmatched: u64,
    lagged: u64,
    memory: Vec<(u64, u64)>,
    seconds: u64,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn measure<B: MarketFeed>(
    runtime: &tokio::runtime::Runtime,
    client: &Client<B>,
    instruments: &[Instrument],
    mode: StreamMode,
    stamps: &Stamps,
    capture: PathBuf,
    seconds: u64,
) -> Run {
    let capture_file = Arc::new(Mutex::new(std::io::BufWriter::new(
        std::fs::File::create(&capture).unwrap(),
    )));
    let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let recorder = {
        let file = Arc::clone(&capture_file);
        let written = Arc::clone(&written);
        // Ten seconds of frames make the capture; the rest of the run is not recorded.
        FrameRecorder::new(move |payload| {
            if written.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 1_000 {
                let mut file = file.lock().unwrap();
                file.write_all(&(payload.len() as u32).to_be_bytes())
                    .unwrap();
                file.write_all(payload).unwrap();
            }
        })
    };
    let options = FeedOptions {
        order_updates: false,
        capacity: 65_536,
        recorder: Some(recorder),
        ..FeedOptions::default()
    };
    let run = runtime.block_on(async {
        let (handle, mut events) = client.stream_with(options).await.unwrap();
        handle.subscribe(instruments, mode).await.unwrap();
        // Warm up: let every instrument tick a few times before measuring.
        let warm_until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < warm_until {
            let _ = tokio::time::timeout(Duration::from_secs(1), events.next()).await;
        }
        stamps.lock().unwrap().clear();
        let mut latencies = Histogram::new();
        let mut pending: Vec<((String, u64), Instant)> = Vec::new();
        let mut unmatched = 0u64;
        let mut lagged = 0u64;
        let mut memory = vec![(0, resident_bytes())];
        let started = Instant::now();
        let end = started + Duration::from_secs(seconds);
        let mut next_sample = started + Duration::from_secs(5);
        while Instant::now() < end {
            let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(1), events.next()).await
            else {
                continue;
            };
            let arrived = Instant::now();
            match event {
                FeedEvent::Tick(tick) => {
                    let Some(volume) = tick.volume else { continue };
                    let key = (tick.token.to_string(), volume);
                    match stamps.lock().unwrap().remove(&key) {
                        Some(sent) => latencies.push(arrived.saturating_duration_since(sent)),
                        // The matcher thread has not reached this frame yet: look again later.
                        None => pending.push((key, arrived)),
                    }
                }
                FeedEvent::Lagged { dropped } => lagged += dropped,
                _ => {}
            }
            if pending.len() > 1_000 {
                let mut map = stamps.lock().unwrap();
                pending.retain(|(key, arrived)| match map.remove(key) {
                    Some(sent) => {
                        latencies.push(arrived.saturating_duration_since(sent));
                        false
                    }
                    None => true,
                });
                if pending.len() > 100_000 {
                    unmatched += pending.len() as u64;
                    pending.clear();
                }
            }
            if arrived >= next_sample {
                memory.push((started.elapsed().as_secs(), resident_bytes()));
                next_sample += Duration::from_secs(5);
                // Stamps of ticks that never came (none should) would grow the map: count them.
                let mut map = stamps.lock().unwrap();
                let before = map.len();
                map.retain(|_, sent| {
                    arrived.saturating_duration_since(*sent) < Duration::from_secs(5)
                });
                unmatched += (before - map.len()) as u64;
            }
        }
        unmatched += pending.len() as u64;
        handle.close();
        Run {
            latencies,
            unmatched,
            lagged,
            memory,
            seconds,
        }
    });
    capture_file.lock().unwrap().flush().unwrap();
    run
}

fn report(label: &str, run: Run, rate: u64) {
    let count = run.latencies.total;
    println!(
        "{label}: {count} ticks in {} s ({:.0}/s of {rate}/s asked), {} unmatched, {} lagged",
        run.seconds,
        count as f64 / run.seconds as f64,
        run.unmatched,
        run.lagged
    );
    println!(
        "  socket-to-Stream latency  p50 {:>7.1} µs   p90 {:>7.1} µs   p99 {:>7.1} µs   p99.9 {:>7.1} µs   over 20 ms {}   (targets: p50 < 50 µs, p99 < 250 µs)",
        micros(run.latencies.percentile(0.50)),
        micros(run.latencies.percentile(0.90)),
        micros(run.latencies.percentile(0.99)),
        micros(run.latencies.percentile(0.999)),
        run.latencies.over,
    );
    let mib = |b: u64| b as f64 / 1_048_576.0;
    let samples: Vec<String> = run
        .memory
        .iter()
        .map(|(at, bytes)| format!("{at}s {:.1}", mib(*bytes)))
        .collect();
    let first = run.memory.get(1).map_or(0, |m| m.1);
    let last = run.memory.last().map_or(0, |m| m.1);
    println!(
        "  resident memory (MiB): {}; from 5 s to the end {:+.1} MiB",
        samples.join(", "),
        mib(last) - mib(first)
    );
}

/// Decodes a capture with the adapter's decoder, best of five passes: the Rust side of the
/// comparison with the official Python parsers. Prints `capture BROKER: ticks N rate R`.
fn time_capture(broker: SimBroker, name: &str, path: &PathBuf) {
    let data = std::fs::read(path).unwrap();
    let mut frames = Vec::new();
    let mut offset = 0;
    while offset + 4 <= data.len() {
        let size = u32::from_be_bytes(data[offset..offset + 4].try_into().unwrap()) as usize;
        frames.push(&data[offset + 4..offset + 4 + size]);
        offset += 4 + size;
    }
    let mut best = Duration::MAX;
    let mut ticks = 0;
    for _ in 0..5 {
        let started = Instant::now();
        ticks = frames
            .iter()
            .map(|f| decode(broker, f).len())
            .sum::<usize>();
        best = best.min(started.elapsed());
    }
    println!(
        "capture {name}: {} frames, ticks {ticks} rate {:.0} (decode_ticks, best of 5)",
        frames.len(),
        ticks as f64 / best.as_secs_f64()
    );
}

fn main() {
    let seconds = env_u64("TT_BENCH_SECONDS", 60);
    let rate = env_u64("TT_BENCH_RATE", 50_000);
    let interval = Duration::from_secs_f64(f64::from(INSTRUMENTS) / rate as f64);
    let out = PathBuf::from("../../_cache/bench");
    std::fs::create_dir_all(&out).unwrap();

    let stamps: Stamps = Arc::new(Mutex::new(HashMap::new()));
    let (frames, to_match) = mpsc::channel::<(SimBroker, Instant, Vec<u8>)>();
    let frames = Mutex::new(frames);
    let tap: tt_sim::FrameTap = Arc::new(move |broker, frame: &[u8]| {
        let sent = Instant::now();
        let _ = frames.lock().unwrap().send((broker, sent, frame.to_vec()));
    });
    {
        let stamps = Arc::clone(&stamps);
        std::thread::spawn(move || {
            for (broker, sent, frame) in to_match {
                let ticks = decode(broker, &frame);
                let mut map = stamps.lock().unwrap();
                for (token, data) in ticks {
                    if let Some(volume) = data.volume {
                        map.insert((token, volume), sent);
                    }
                }
            }
        });
    }

    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (kite_rows, upstox_rows) = synthetic_equities(INSTRUMENTS, INSTRUMENTS);
    let world = sim_runtime.block_on(World::start_with_rows(
        "bench-stream",
        &kite_rows,
        &upstox_rows,
        |config| {
            config.stream(
                StreamConfig::default()
                    .tick_interval(interval)
                    .frame_tap(tap),
            )
        },
    ));
    let instruments: Vec<Instrument> = (0..INSTRUMENTS)
        .map(|n| format!("NSE:TTS{n:05}").parse().unwrap())
        .collect();
    for instrument in &instruments {
        world
            .sim
            .set_price(&instrument.to_string(), "100".parse().unwrap())
            .unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{INSTRUMENTS} instruments every {:.1} ms = {rate} ticks/s, {seconds} s a broker, on loopback",
        interval.as_secs_f64() * 1e3
    );

    let zerodha = Zerodha::new(world.zerodha_config());
    runtime.block_on(world.log_in(&zerodha));
    let run = measure(
        &runtime,
        &Client::new(zerodha),
        &instruments,
        StreamMode::Quote,
        &stamps,
        out.join("zerodha.cap"),
        seconds,
    );
    report("Zerodha (quote mode)", run, rate);

    let upstox = Upstox::new(world.upstox_config());
    runtime.block_on(world.log_in_upstox(&upstox));
    let run = measure(
        &runtime,
        &Client::new(upstox),
        &instruments,
        StreamMode::Full,
        &stamps,
        out.join("upstox.cap"),
        seconds,
    );
    report("Upstox (full mode)", run, rate);

    time_capture(SimBroker::Kite, "zerodha", &out.join("zerodha.cap"));
    time_capture(SimBroker::Upstox, "upstox", &out.join("upstox.cap"));
}
