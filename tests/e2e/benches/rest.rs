//! `place_order` round trips through tt-connect against tt-sim on loopback, side by side with a
//! raw hyper POST of the same request: what the SDK adds on top of the wire, for each broker
//! (Zerodha's form to `/orders/regular`, Upstox's v3 JSON to `/v3/order/place`).
//!
//! Run with `cargo xtask bench rest` (or `cargo bench -p tt-e2e --bench rest`). The simulator
//! runs on a runtime of its own thread; the clients run one request at a time on the main
//! thread; the two kinds of round trip alternate in batches so drift hits both alike, each batch
//! meeting a fresh book (the simulator's own cost grows with the orders resting in it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::runtime::Runtime;
use tt_connect::{Client, OrderRequest, ProductType, Trading, Upstox, Zerodha};
use tt_e2e::World;
use tt_sim::SimBroker;

const WARMUP: usize = 300;
const ROUNDS: usize = 40;
const BATCH: usize = 50;

type Raw = HyperClient<HttpConnector, Full<Bytes>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The same order both ways: a limit buy far below the market, so it rests.
fn resting_order() -> OrderRequest {
    OrderRequest::buy("NSE:INFY".parse().unwrap(), 1, ProductType::Cnc)
        .limit("1".parse().unwrap())
        .build()
        .unwrap()
}

/// One raw POST, checked for success.
fn post(raw: &Raw, request: http::Request<Full<Bytes>>) -> impl Future<Output = Bytes> + use<> {
    let raw = raw.clone();
    async move {
        let response = raw.request(request).await.unwrap();
        assert!(response.status().is_success());
        response.into_body().collect().await.unwrap().to_bytes()
    }
}

/// The simulator back to a fresh book at the bench's price, so every batch meets the same
/// (small) book: the simulator's own cost grows with the orders resting in it.
fn fresh_book(world: &World) {
    world.sim.reset();
    world
        .sim
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();
}

/// Alternating batches of SDK placements and raw POSTs; prints both and the difference.
fn compare<B, R, F>(world: &World, runtime: &Runtime, label: &str, client: &Client<B>, raw_post: R)
where
    B: Trading,
    R: Fn() -> F,
    F: Future<Output = Bytes>,
{
    let order = resting_order();
    let mut through_sdk = Vec::with_capacity(ROUNDS * BATCH);
    let mut raw_hyper = Vec::with_capacity(ROUNDS * BATCH);
    runtime.block_on(async {
        for _ in 0..WARMUP {
            client.place_order(&order).await.unwrap();
            raw_post().await;
        }
        for _ in 0..ROUNDS {
            fresh_book(world);
            for _ in 0..BATCH {
                let started = Instant::now();
                client.place_order(&order).await.unwrap();
                through_sdk.push(started.elapsed());
            }
            fresh_book(world);
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
        "{label}: place_order round trips on loopback, {} each (after {WARMUP} warm-up)",
        ROUNDS * BATCH
    );
    println!(
        "  raw hyper POST   p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(raw50),
        micros(raw99)
    );
    println!(
        "  tt-connect       p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(sdk50),
        micros(sdk99)
    );
    println!(
        "  tt-connect adds  p50 {:>+8.1} µs ({:+.1}%)   p99 {:>+8.1} µs ({:+.1}%)   (target: under 20% and under 50 µs)",
        micros(sdk50) - micros(raw50),
        (micros(sdk50) / micros(raw50) - 1.0) * 100.0,
        micros(sdk99) - micros(raw99),
        (micros(sdk99) / micros(raw99) - 1.0) * 100.0,
    );
}

fn main() {
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let world = sim_runtime.block_on(World::start("bench-rest"));
    world
        .sim
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw: Raw = HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
    let tag = resting_order().tag().to_string();

    let zerodha = Zerodha::new(world.zerodha_config().without_rate_limits());
    runtime.block_on(world.log_in(&zerodha));
    let kite_url = format!("{}/orders/regular", world.sim.url());
    let kite_auth = format!(
        "token {}:{}",
        world.sim.app().api_key,
        world.sim.open_session_for(SimBroker::Kite)
    );
    let kite_form = format!(
        "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&quantity=1&product=CNC&price=1&validity=DAY&tag={tag}"
    );
    compare(&world, &runtime, "Zerodha", &Client::new(zerodha), || {
        let request = http::Request::post(&kite_url)
            .header("X-Kite-Version", "3")
            .header("Authorization", &kite_auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(kite_form.clone())))
            .unwrap();
        post(&raw, request)
    });

    let upstox = Upstox::new(world.upstox_config().without_rate_limits());
    runtime.block_on(world.log_in_upstox(&upstox));
    let upstox_url = format!("{}/v3/order/place", world.sim.url());
    let upstox_auth = format!("Bearer {}", world.sim.open_session_for(SimBroker::Upstox));
    let upstox_body = format!(
        r#"{{"quantity":1,"product":"D","validity":"DAY","price":1,"tag":"{tag}","instrument_token":"NSE_EQ|INE009A01021","order_type":"LIMIT","transaction_type":"BUY","disclosed_quantity":0,"trigger_price":0,"is_amo":false,"slice":false}}"#
    );
    compare(&world, &runtime, "Upstox", &Client::new(upstox), || {
        let request = http::Request::post(&upstox_url)
            .header("Authorization", &upstox_auth)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from(upstox_body.clone())))
            .unwrap();
        post(&raw, request)
    });
}
