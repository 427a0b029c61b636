//! Socket-to-Stream latency of tt-connect's feeds: tt-sim streams ticks on loopback at a fixed
//! rate (50,000 a second by default: 50 instruments every millisecond, one frame each), and
//! each tick's time from the simulator handing its frame to the socket to the tick leaving the
//! client's `FeedEvents` is measured, with the process's resident memory sampled through the
//! run.
//!
//! Run with `cargo xtask bench stream` (or `cargo bench -p tt-e2e --bench stream_latency`).
//! `TT_BENCH_SECONDS` (default 60) sets each broker's run, `TT_BENCH_RATE` the ticks a second,
//! `TT_BENCH_INSTRUMENTS` (default 50) how many instruments share them (so how many ticks a
//! frame carries).
//! The simulator runs on a runtime of its own thread, the client on the main thread.
//!
//! Matching a tick to its frame: the simulator's frame tap stamps each market-data frame and
//! hands a copy to a matcher thread, which decodes it with the adapter's own decoder
//! (`decode_ticks`) and notes each tick's (token, volume): every tick is a trade, so the
//! volume is unique per instrument. The consumer only stamps each tick it receives and hands
//! (token, volume, time) to the same thread, which matches and counts (in a fixed histogram),
//! off the consumer's path. The frame's stamp is taken before its copy, so the copy counts
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

/// What the matcher thread hears: a frame as the simulator wrote it, or a tick as the
/// consumer got it.
enum Seen {
    Frame(SimBroker, Instant, Vec<u8>),
    Ticks(Vec<(Arc<str>, u64, Instant)>),
    /// Start counting afresh (the warm-up is over).
    Reset,
    /// Hand back the counts.
    Done(mpsc::Sender<(Histogram, u64)>),
}

/// Where the simulator's tap and the consumer leave what they saw, for the matcher to pick up
/// every millisecond: a push under an uncontended lock, so neither pays for waking a thread.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Seen>>>);

impl Inbox {
    fn send(&self, seen: Seen) {
        self.0.lock().unwrap().push(seen);
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Ticks the consumer saw, handed to the matcher in batches.
struct Arrivals {
    inbox: Inbox,
    batch: Vec<(Arc<str>, u64, Instant)>,
}

impl Arrivals {
    fn push(&mut self, token: &Arc<str>, volume: u64, arrived: Instant) {
        self.batch.push((Arc::clone(token), volume, arrived));
        if self.batch.len() == 256 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(256));
        self.inbox.send(Seen::Ticks(batch));
    }
}

/// Matches ticks to their frames' stamps; stamps never matched within 5 s are counted and
/// dropped, so the map stays the size of what is in flight.
fn matcher(inbox: Inbox) {
    let mut stamps: HashMap<(Arc<str>, u64), Instant> = HashMap::new();
    let mut latencies = Histogram::new();
    let mut unmatched = 0u64;
    let mut pruned_at = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(1));
        for message in inbox.take() {
            match message {
                Seen::Frame(broker, sent, frame) => {
                    for (token, data) in decode(broker, &frame) {
                        if let Some(volume) = data.volume {
                            stamps.insert((Arc::from(token), volume), sent);
                        }
                    }
                    if pruned_at.elapsed() > Duration::from_secs(5) {
                        let before = stamps.len();
                        stamps.retain(|_, at| at.elapsed() < Duration::from_secs(5));
                        unmatched += (before - stamps.len()) as u64;
                        pruned_at = Instant::now();
                    }
                }
                Seen::Ticks(ticks) => {
                    for (token, volume, arrived) in ticks {
                        match stamps.remove(&(token, volume)) {
                            Some(sent) => latencies.push(arrived.saturating_duration_since(sent)),
                            None => unmatched += 1,
                        }
                    }
                }
                Seen::Reset => {
                    latencies = Histogram::new();
                    unmatched = 0;
                }
                Seen::Done(reply) => {
                    let _ = reply.send((
                        std::mem::replace(&mut latencies, Histogram::new()),
                        unmatched,
                    ));
                    unmatched = 0;
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn measure<B: MarketFeed>(
    runtime: &tokio::runtime::Runtime,
    client: &Client<B>,
    instruments: &[Instrument],
    mode: StreamMode,
    inbox: &Inbox,
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
        // The first 10,000 frames make the capture; the rest of the run is not recorded.
        FrameRecorder::new(move |payload| {
            if written.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 10_000 {
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
    let mut arrivals = Arrivals {
        inbox: inbox.clone(),
        batch: Vec::with_capacity(256),
    };
    let (lagged, memory) = runtime.block_on(async {
        let (handle, mut events) = client.stream_with(options).await.unwrap();
        handle.subscribe(instruments, mode).await.unwrap();
        // Warm up: let every instrument tick for a while before measuring.
        let warm = tokio::time::sleep(Duration::from_secs(3));
        tokio::pin!(warm);
        loop {
            tokio::select! {
                () = &mut warm => break,
                event = events.next() => if let Some(FeedEvent::Tick(tick)) = event
                    && let Some(volume) = tick.volume
                {
                    arrivals.push(&tick.token, volume, Instant::now());
                },
            }
        }
        arrivals.flush();
        inbox.send(Seen::Reset);
        let mut lagged = 0u64;
        let mut memory = vec![(0, resident_bytes())];
        let started = Instant::now();
        let end = tokio::time::sleep(Duration::from_secs(seconds));
        tokio::pin!(end);
        let mut sample = tokio::time::interval(Duration::from_secs(5));
        sample.tick().await;
        loop {
            tokio::select! {
                biased;
                event = events.next() => match event {
                    Some(FeedEvent::Tick(tick)) => {
                        let arrived = Instant::now();
                        if let Some(volume) = tick.volume {
                            arrivals.push(&tick.token, volume, arrived);
                        }
                    }
                    Some(FeedEvent::Lagged { dropped }) => lagged += dropped,
                    Some(_) => {}
                    None => break,
                },
                _ = sample.tick() => memory.push((started.elapsed().as_secs(), resident_bytes())),
                () = &mut end => break,
            }
        }
        handle.close();
        arrivals.flush();
        (lagged, memory)
    });
    capture_file.lock().unwrap().flush().unwrap();
    let (reply, counts) = mpsc::channel();
    inbox.send(Seen::Done(reply));
    let (latencies, unmatched) = counts.recv().unwrap();
    Run {
        latencies,
        unmatched,
        lagged,
        memory,
        seconds,
    }
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
    let instruments_count = env_u64("TT_BENCH_INSTRUMENTS", 50) as u32;
    let interval = Duration::from_secs_f64(f64::from(instruments_count) / rate as f64);
    let out = PathBuf::from("../../_cache/bench");
    std::fs::create_dir_all(&out).unwrap();

    let inbox = Inbox::default();
    {
        let inbox = inbox.clone();
        std::thread::spawn(move || matcher(inbox));
    }
    let frames = inbox.clone();
    let tap: tt_sim::FrameTap = Arc::new(move |broker, frame: &[u8]| {
        let sent = Instant::now();
        frames.send(Seen::Frame(broker, sent, frame.to_vec()));
    });

    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (kite_rows, upstox_rows) = synthetic_equities(instruments_count, instruments_count);
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
    let instruments: Vec<Instrument> = (0..instruments_count)
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
        "{instruments_count} instruments every {:.1} ms = {rate} ticks/s, {seconds} s a broker, on loopback",
        interval.as_secs_f64() * 1e3
    );

    let zerodha = Zerodha::new(world.zerodha_config());
    runtime.block_on(world.log_in(&zerodha));
    let run = measure(
        &runtime,
        &Client::new(zerodha),
        &instruments,
        StreamMode::Quote,
        &inbox,
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
        &inbox,
        out.join("upstox.cap"),
        seconds,
    );
    report("Upstox (full mode)", run, rate);

    time_capture(SimBroker::Kite, "zerodha", &out.join("zerodha.cap"));
    time_capture(SimBroker::Upstox, "upstox", &out.join("upstox.cap"));
}
