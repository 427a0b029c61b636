//! `place_order` round trips through tt-connect against tt-sim on loopback, side by side with a
//! raw hyper POST of the same request: what the SDK adds on top of the wire.
//!
//! Run with `cargo xtask bench rest` (or `cargo bench -p tt-e2e --bench rest`). The simulator
//! runs on a runtime of its own thread; the clients run one request at a time on the main
//! thread; the two kinds of round trip alternate in batches so drift hits both alike.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tt_connect::{Client, OrderRequest, ProductType, Zerodha};
use tt_e2e::World;

const WARMUP: usize = 300;
const ROUNDS: usize = 40;
const BATCH: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let world = sim_runtime.block_on(World::start("bench-rest"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let zerodha = Zerodha::new(world.zerodha_config().without_rate_limits());
    runtime.block_on(world.log_in(&zerodha));
    let token = world.sim.open_session();
    let client = Client::new(zerodha);

    // The same order both ways: a limit buy far below the market, so it rests.
    world
        .sim
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();
    let order = OrderRequest::buy("NSE:INFY".parse().unwrap(), 1, ProductType::Cnc)
        .limit("1".parse().unwrap())
        .build()
        .unwrap();
    let url = format!("{}/orders/regular", world.sim.url());
    let auth = format!("token {}:{token}", world.sim.app().api_key);
    let form = format!(
        "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&quantity=1&product=CNC&price=1&validity=DAY&tag={}",
        order.tag()
    );
    let raw: HyperClient<HttpConnector, Full<Bytes>> =
        HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
    let raw_post = || {
        let request = http::Request::post(&url)
            .header("X-Kite-Version", "3")
            .header("Authorization", &auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form.clone())))
            .unwrap();
        let raw = raw.clone();
        async move {
            let response = raw.request(request).await.unwrap();
            assert!(response.status().is_success());
            response.into_body().collect().await.unwrap().to_bytes()
        }
    };

    let mut through_sdk = Vec::with_capacity(ROUNDS * BATCH);
    let mut raw_hyper = Vec::with_capacity(ROUNDS * BATCH);
    runtime.block_on(async {
        for _ in 0..WARMUP {
            client.place_order(&order).await.unwrap();
            raw_post().await;
        }
        for _ in 0..ROUNDS {
            for _ in 0..BATCH {
                let started = Instant::now();
                client.place_order(&order).await.unwrap();
                through_sdk.push(started.elapsed());
            }
            for _ in 0..BATCH {
                let started = Instant::now();
                raw_post().await;
                raw_hyper.push(started.elapsed());
            }
        }
    });
    through_sdk.sort();
    raw_hyper.sort();
    let (sdk50, sdk99) = (
        percentile(&through_sdk, 0.50),
        percentile(&through_sdk, 0.99),
    );
    let (raw50, raw99) = (percentile(&raw_hyper, 0.50), percentile(&raw_hyper, 0.99));
    println!(
        "place_order round trips on loopback, {} each (after {WARMUP} warm-up)",
        ROUNDS * BATCH
    );
    println!(
        "  raw hyper POST        p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(raw50),
        micros(raw99)
    );
    println!(
        "  tt-connect (Zerodha)  p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(sdk50),
        micros(sdk99)
    );
    println!(
        "  tt-connect adds       p50 {:>+8.1} µs ({:+.1}%)   p99 {:>+8.1} µs ({:+.1}%)   (target: under 20% and under 50 µs)",
        micros(sdk50) - micros(raw50),
        (micros(sdk50) / micros(raw50) - 1.0) * 100.0,
        micros(sdk99) - micros(raw99),
        (micros(sdk99) / micros(raw99) - 1.0) * 100.0,
    );
}
