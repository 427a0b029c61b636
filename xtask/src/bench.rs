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
        _ => Err("usage: cargo xtask bench <instruments|json|rest|sim>".to_owned()),
    }
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
