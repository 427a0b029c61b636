//! Resolver speed: typed instrument to broker token and back, cached and uncached.
//!
//! Builds a master from the generated full-size dumps (`cargo xtask gen-instruments`) once,
//! then measures lookups. Targets: cached under 200 ns, uncached under 10 µs, both directions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use time::macros::date;
use tt_core::Instrument;
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master, open_dump};
use tt_upstox::{Upstox, UpstoxConfig};
use tt_zerodha::{Zerodha, ZerodhaConfig};

fn master_path() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let generated = root.join("_cache/generated");
    let kite = generated.join("kite-instruments.csv");
    let upstox = generated.join("upstox-complete.json");
    assert!(
        kite.exists() && upstox.exists(),
        "run `cargo xtask gen-instruments` first (or `cargo xtask bench instruments`)"
    );
    let path = std::env::temp_dir().join(format!("tt-resolve-bench-{}.db", std::process::id()));
    let zerodha = Zerodha::new(ZerodhaConfig::new("", ""));
    let upstox_broker = Upstox::new(UpstoxConfig::new("", "", ""));
    build_master(
        &path,
        vec![
            DumpInput {
                broker: &zerodha,
                reader: open_dump(&kite).unwrap(),
                source_name: kite.display().to_string(),
                dump_date: date!(2026 - 11 - 24),
            },
            DumpInput {
                broker: &upstox_broker,
                reader: open_dump(&upstox).unwrap(),
                source_name: upstox.display().to_string(),
                dump_date: date!(2026 - 11 - 24),
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    path
}

fn resolve(c: &mut Criterion) {
    let path = master_path();
    let master = InstrumentMaster::open(&path).unwrap();
    // A spread of instruments from every segment, found through the chain and search APIs.
    let mut instruments: Vec<Instrument> = master
        .search("", 5_000)
        .unwrap()
        .iter()
        .map(|r| r.instrument.clone())
        .collect();
    for (exchange, underlying) in [
        ("NFO", "NIFTY"),
        ("NFO", "BANKNIFTY"),
        ("BFO", "SENSEX"),
        ("MCX", "GOLD"),
        ("CDS", "USDINR"),
    ] {
        let exchange = exchange.parse().unwrap();
        for expiry in master.expiries(exchange, underlying).unwrap() {
            if let Ok(chain) = master.option_chain(exchange, underlying, expiry) {
                for strike in chain {
                    instruments.extend(strike.call.map(|r| r.instrument.clone()));
                    instruments.extend(strike.put.map(|r| r.instrument.clone()));
                }
            }
        }
    }
    let tokens: Vec<String> = instruments
        .iter()
        .map(|i| {
            master
                .resolve(i)
                .unwrap()
                .token("zerodha")
                .unwrap()
                .token
                .clone()
        })
        .collect();
    let option = instruments.last().unwrap().clone();
    let option_token = tokens.last().unwrap().clone();
    println!("{} instruments to look up", instruments.len());

    c.bench_function("resolve cached (option -> tokens)", |b| {
        master.resolve(&option).unwrap();
        b.iter(|| black_box(master.resolve(black_box(&option)).unwrap()));
    });
    c.bench_function("reverse cached (zerodha token -> instrument)", |b| {
        master
            .instrument_for_token("zerodha", &option_token)
            .unwrap();
        b.iter(|| {
            black_box(
                master
                    .instrument_for_token("zerodha", black_box(&option_token))
                    .unwrap(),
            )
        });
    });

    // A cache far smaller than the working set: every lookup goes to SQLite.
    let cold = InstrumentMaster::open_with_capacity(&path, 16).unwrap();
    c.bench_function("resolve uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % instruments.len();
            black_box(cold.resolve(&instruments[i]).unwrap())
        });
    });
    c.bench_function("reverse uncached", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % tokens.len();
            black_box(cold.instrument_for_token("zerodha", &tokens[i]).unwrap())
        });
    });
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, resolve);
criterion_main!(benches);
