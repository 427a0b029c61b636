//! A paper trader's session against a simulator that keeps its account on disk: 3,000 orders
//! placed and cancelled one after another over Kite's wire, as the official Python client sends
//! them, timing each placement's round trip. The book only grows, so a simulator that rewrites
//! its whole state per request slows down as it fills; one that writes what changed stays flat.
//!
//! Run with `cargo xtask bench sim` (or `cargo bench -p tt-e2e --bench sim_book`). Prints the
//! median and p99 placement round trip over the first 200 orders and over the last 200 (orders
//! 2,801 to 3,000), their ratio, and the size of the state on disk at the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tt_e2e::World;
use tt_sim::{RateLimits, SimConfig, Simulator};

const ORDERS: usize = 3_000;
const WINDOW: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Bytes on disk of every file in `dir` whose name starts with `stem`.
fn stored_bytes(dir: &Path, stem: &str) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(stem))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let world = sim_runtime.block_on(World::start("bench-sim-book"));
    let state = world.dir.join("paper.sim-state.db");
    let sim = sim_runtime
        .block_on(Simulator::start(
            SimConfig::new(Arc::clone(&world.master))
                .rate_limits(RateLimits::UNLIMITED)
                .clock(Arc::clone(&world.clock) as Arc<dyn tt_connect::Clock>)
                .state_file(&state),
        ))
        .unwrap();
    sim.set_price("NSE:INFY", "1500".parse().unwrap()).unwrap();
    let token = sim.open_session();
    let auth = format!("token {}:{token}", sim.app().api_key);
    let root = sim.url();
    let client: HyperClient<HttpConnector, Full<Bytes>> =
        HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let call = |method: http::Method, path: String, form: String| {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{root}{path}"))
            .header("X-Kite-Version", "3")
            .header("Authorization", &auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form)))
            .unwrap();
        let client = client.clone();
        async move {
            let response = client.request(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert!(status.is_success(), "{status}: {body:?}");
            body
        }
    };

    let mut placements = Vec::with_capacity(ORDERS);
    let started = Instant::now();
    runtime.block_on(async {
        for n in 0..ORDERS {
            let form = format!(
                "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&quantity=1&product=CNC&price=1000&validity=DAY&tag=paper{n}"
            );
            let sent = Instant::now();
            let body = call(http::Method::POST, "/orders/regular".into(), form).await;
            placements.push(sent.elapsed());
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let id = answer["data"]["order_id"].as_str().unwrap().to_owned();
            call(
                http::Method::DELETE,
                format!("/orders/regular/{id}"),
                String::new(),
            )
            .await;
        }
    });
    let total = started.elapsed();

    let stats = |window: &[Duration]| {
        let mut sorted = window.to_vec();
        sorted.sort();
        (percentile(&sorted, 0.5), percentile(&sorted, 0.99))
    };
    let (first_p50, first_p99) = stats(&placements[..WINDOW]);
    let (last_p50, last_p99) = stats(&placements[ORDERS - WINDOW..]);
    let stem = state.file_name().unwrap().to_string_lossy().into_owned();
    println!(
        "{ORDERS} orders placed and cancelled in {:.1} s",
        total.as_secs_f64()
    );
    println!(
        "place round trip, orders 1-{WINDOW}: p50 {:.2} ms, p99 {:.2} ms",
        millis(first_p50),
        millis(first_p99)
    );
    println!(
        "place round trip, orders {}-{ORDERS}: p50 {:.2} ms, p99 {:.2} ms",
        ORDERS - WINDOW + 1,
        millis(last_p50),
        millis(last_p99)
    );
    println!(
        "last window / first window at p50: {:.2}x (target within 1.5x)",
        last_p50.as_secs_f64() / first_p50.as_secs_f64()
    );
    println!(
        "state on disk: {:.1} MB",
        stored_bytes(&world.dir, &stem) as f64 / 1e6
    );
    drop(sim);
}
