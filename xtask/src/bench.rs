//! `cargo xtask bench instruments`: the instrument master's speed figures.
//! `cargo xtask bench json`: serde_json against simd-json on Upstox's BOD file and large REST
//! bodies (the harness is `crates/tt-upstox/benches/json.rs`).
//! `cargo xtask bench rest`: `place_order` through tt-connect against a raw hyper POST, on
//! loopback against tt-sim (the harness is `tests/e2e/benches/rest.rs`).
//!
//! 1. Builds `tt` in release and generates the full-size Kite dump if missing.
//! 2. Imports it together with the real Upstox `complete` file (the generated Upstox JSON when
//!    the fixtures are absent) into a fresh master five times, printing each run's wall time and
//!    peak memory (as `tt` reports them) and the median.
//! 3. Runs the resolver's criterion benchmarks (cached, uncached and reverse lookups).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{GENERATED_DIR, cargo, output, run as run_command};

const RUNS: usize = 5;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("instruments") => instruments(),
        Some("json") => run_command(cargo().args([
            "bench",
            "-p",
            "tt-upstox",
            "--features",
            "bench-internals",
            "--bench",
            "json",
            "--quiet",
        ])),
        Some("rest") => {
            run_command(cargo().args(["bench", "-p", "tt-e2e", "--bench", "rest", "--quiet"]))
        }
        Some("sim") => {
            run_command(cargo().args(["bench", "-p", "tt-e2e", "--bench", "sim_book", "--quiet"]))
        }
        Some("stream") => stream(),
        _ => Err("usage: cargo xtask bench <instruments|json|rest|sim|stream>".to_owned()),
    }
}

/// The streaming figures: both decoders' rates (criterion), socket-to-Stream latency and memory
/// at 50,000 ticks/s from tt-sim, and the official Python parsers on the same captures.
fn stream() -> Result<(), String> {
    run_command(cargo().args([
        "bench",
        "-p",
        "tt-zerodha",
        "--features",
        "bench-internals",
        "--bench",
        "stream",
        "--quiet",
    ]))?;
    run_command(cargo().args([
        "bench",
        "-p",
        "tt-upstox",
        "--features",
        "bench-internals",
        "--bench",
        "feed",
        "--quiet",
    ]))?;
    let latency = output(cargo().args([
        "bench",
        "-p",
        "tt-e2e",
        "--bench",
        "stream_latency",
        "--quiet",
    ]))?;
    println!("{latency}");
    for (broker, venv) in [
        ("zerodha", "/tmp/tt-kite-venv"),
        ("upstox", "/tmp/tt-upstox-venv"),
    ] {
        let ours = latency
            .lines()
            .find(|l| l.starts_with(&format!("capture {broker}:")))
            .and_then(|l| find_number(l, "rate ", " "));
        let python = PathBuf::from(venv).join("bin/python");
        if !python.exists() {
            println!(
                "{broker}: no {venv}; run tests/python/run_sim_checks.sh once to make it, then again"
            );
            continue;
        }
        let theirs = output(Command::new(&python).args([
            "tests/python/decode_capture.py",
            broker,
            &format!("_cache/bench/{broker}.cap"),
        ]))?;
        let rate = find_number(&theirs, "rate ", "\n").or_else(|| {
            theirs
                .split_whitespace()
                .last()
                .and_then(|r| r.parse().ok())
        });
        match (ours, rate) {
            (Some(ours), Some(theirs)) => println!(
                "{broker}: the same capture decoded: tt-connect {ours:.0} ticks/s, the official Python parser {theirs:.0} ticks/s: {:.0}x",
                ours / theirs
            ),
            _ => println!("{broker}: could not read the rates ({theirs})"),
        }
    }
    Ok(())
}

fn instruments() -> Result<(), String> {
    run_command(cargo().args(["build", "--release", "--quiet", "-p", "tt-cli"]))?;
    let generated = PathBuf::from(GENERATED_DIR);
    let kite = generated.join("kite-instruments.csv");
    if !kite.exists() {
        crate::gen_instruments::generate(&generated)?;
    }
    let real_upstox =
        PathBuf::from("../shared/fixtures/upstox/instruments/complete_2025-12.json.gz");
    let upstox = if real_upstox.exists() {
        real_upstox
    } else {
        println!("note: the real Upstox file is absent; using the generated one");
        generated.join("upstox-complete.json")
    };
    let tt = Path::new("target/release/tt");
    let db = generated.join("bench-instruments.db");
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    println!(
        "import {} + {} into a fresh master, {RUNS} runs",
        kite.display(),
        upstox.display()
    );
    for run in 1..=RUNS {
        let _ = std::fs::remove_file(&db);
        let report = output(
            Command::new(tt)
                .args(["instruments", "import", "--zerodha"])
                .arg(&kite)
                .arg("--upstox")
                .arg(&upstox)
                .arg("--db")
                .arg(&db),
        )?;
        let wall =
            find_number(&report, "instruments in ", " s").ok_or("no timing in the report")?;
        let peak =
            find_number(&report, "peak memory ", " MB").ok_or("no peak memory in the report")?;
        let first = report.lines().take(2).collect::<Vec<_>>().join(" ");
        println!("  run {run}: {wall:.2} s wall, peak {peak:.0} MB   [{first}]");
        walls.push(wall);
        peaks.push(peak);
    }
    let _ = std::fs::remove_file(&db);
    walls.sort_by(f64::total_cmp);
    peaks.sort_by(f64::total_cmp);
    println!(
        "import median: {:.2} s wall, {:.0} MB peak (target: at most 1.0 s and under 400 MB)",
        walls[RUNS / 2],
        peaks[RUNS / 2]
    );
    run_command(cargo().args([
        "bench",
        "-p",
        "tt-instruments",
        "--bench",
        "resolve",
        "--quiet",
    ]))
}

/// The number between `before` and `after` in `text`.
fn find_number(text: &str, before: &str, after: &str) -> Option<f64> {
    let start = text.find(before)? + before.len();
    let end = text[start..].find(after)? + start;
    text[start..end].trim().parse().ok()
}
