//! Kite's WebSocket ticker over a real socket: the handshake, the binary packets of each mode
//! and segment, heartbeats, order updates, the limits and the stream faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::ws::{self, Msg, UPGRADE_HEADERS, Ws};
use common::{BothSim, Kite, TestSim, send_raw};
use serde_json::Value;
use tt_sim::{SimBroker, SimConfig, StreamConfig, StreamFault};

const INFY: u32 = 408_065;
const USDINR_CDS: u32 = 256_259;
const USDINR_BCD: u32 = 1_234_950;
const NIFTY_50: u32 = 256_265;

/// Ticks every 20 ms, so a test sees several in a moment.
fn fast(config: SimConfig) -> SimConfig {
    config.stream(StreamConfig::default().tick_interval(Duration::from_millis(20)))
}

/// The ticker's URL for the client's session, as KiteTicker builds it.
fn target(kite: &Kite) -> String {
    format!(
        "/?api_key={}&access_token={}",
        kite.api_key, kite.access_token
    )
}

async fn ticker(sim: &TestSim) -> Ws {
    ws::connect(
        sim.handle.addr(),
        &target(&sim.kite),
        &[("X-Kite-Version", "3")],
    )
    .await
    .unwrap()
}

/// A fast-ticking simulator with a ticker already streaming INFY.
async fn streaming_infy(name: &str) -> (TestSim, Ws) {
    let sim = TestSim::start_with(name, fast).await;
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    ticks_of(&mut ws, &[INFY]).await;
    (sim, ws)
}

/// A handshake read as a plain HTTP response (the refusals' status and body).
async fn handshake(addr: std::net::SocketAddr, target: &str) -> common::Response {
    send_raw(addr, "GET", target, UPGRADE_HEADERS, "")
        .await
        .unwrap()
}

/// A frame's packets.
fn packets(frame: &[u8]) -> Vec<Vec<u8>> {
    let count = u16::from_be_bytes([frame[0], frame[1]]) as usize;
    let mut at = 2;
    let mut out = Vec::new();
    for _ in 0..count {
        let len = u16::from_be_bytes([frame[at], frame[at + 1]]) as usize;
        out.push(frame[at + 2..at + 2 + len].to_vec());
        at += 2 + len;
    }
    assert_eq!(at, frame.len(), "the frame holds exactly its packets");
    out
}

fn u32_at(packet: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(packet[at..at + 4].try_into().unwrap())
}

/// The next tick frame (more than a heartbeat) with a packet per wanted token, by token.
async fn ticks_of(ws: &mut Ws, tokens: &[u32]) -> Vec<(u32, Vec<u8>)> {
    loop {
        let frame = ws.next_binary().await;
        if frame.len() < 2 {
            continue;
        }
        let found: Vec<(u32, Vec<u8>)> = packets(&frame)
            .into_iter()
            .map(|p| (u32_at(&p, 0), p))
            .collect();
        if tokens
            .iter()
            .all(|t| found.iter().any(|(token, _)| token == t))
        {
            return found;
        }
    }
}

async fn packet_of(ws: &mut Ws, token: u32, len: usize) -> Vec<u8> {
    loop {
        let found = ticks_of(ws, &[token]).await;
        if let Some((_, p)) = found
            .into_iter()
            .find(|(t, p)| *t == token && p.len() == len)
        {
            return p;
        }
    }
}

#[tokio::test]
async fn handshake_is_refused_with_403_token_exception_for_a_bad_token() {
    let sim = TestSim::start("ticker-refused").await;
    let target = format!("/?api_key={}&access_token=nope", sim.kite.api_key);
    handshake(sim.handle.addr(), &target)
        .await
        .error(403, "TokenException");
    assert!(
        ws::connect(sim.handle.addr(), &target, &[]).await.is_err(),
        "no upgrade"
    );
    assert_eq!(sim.handle.feed_connections(SimBroker::Kite), 0);
}

#[tokio::test]
async fn subscribed_tokens_stream_44_byte_quote_packets_in_their_segments_units() {
    let sim = TestSim::start_with("ticker-quote", fast).await;
    sim.set_price("NSE:INFY", "1500.05");
    sim.set_price("CDS:USDINR26DECFUT", "84.1225");
    sim.set_price("BCD:USDINR26DECFUT", "84.125");
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(
        r#"{{"a":"subscribe","v":[{INFY},{USDINR_CDS},{USDINR_BCD}]}}"#
    ))
    .await;
    let found = ticks_of(&mut ws, &[INFY, USDINR_CDS, USDINR_BCD]).await;
    let ltp = |token| {
        let (_, p) = found.iter().find(|(t, _)| *t == token).unwrap();
        assert_eq!(p.len(), 44, "quote mode by default");
        u32_at(p, 4)
    };
    assert_eq!(ltp(INFY), 150_005, "NSE: paise");
    assert_eq!(ltp(USDINR_CDS), 841_225_000, "CDS: 10^7");
    assert_eq!(ltp(USDINR_BCD), 841_250, "BCD: 10^4");
    let (_, infy) = found.iter().find(|(t, _)| *t == INFY).unwrap();
    assert!(u32_at(infy, 8) > 0, "each tick is a trade of some quantity");
}

#[tokio::test]
async fn every_tick_is_a_trade_so_the_volume_grows() {
    let sim = TestSim::start_with("ticker-volume", fast).await;
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    let first = packet_of(&mut ws, INFY, 44).await;
    let second = packet_of(&mut ws, INFY, 44).await;
    let (v1, v2) = (u32_at(&first, 16), u32_at(&second, 16));
    assert!(v2 > v1, "{v1} then {v2}");
    assert_eq!(v2 - v1, u32_at(&second, 8), "grown by the last quantity");
}

#[tokio::test]
async fn full_mode_sends_184_bytes_with_the_rest_quotes_depth() {
    let sim = TestSim::start_with("ticker-full", fast).await;
    sim.set_price("NSE:INFY", "1500");
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    ws.send_text(&format!(r#"{{"a":"mode","v":["full",[{INFY}]]}}"#))
        .await;
    let packet = packet_of(&mut ws, INFY, 184).await;
    assert_eq!(u32_at(&packet, 4), 150_000);
    let quote = sim.kite.get("/quote?i=NSE:INFY").await.data()["NSE:INFY"].clone();
    for (side, first) in [("buy", 64), ("sell", 124)] {
        let levels = quote["depth"][side].as_array().unwrap();
        for (n, level) in levels.iter().enumerate() {
            let at = first + n * 12;
            assert_eq!(
                u32_at(&packet, at) as u64,
                level["quantity"].as_u64().unwrap()
            );
            let price = f64::from(u32_at(&packet, at + 4)) / 100.0;
            assert!((price - level["price"].as_f64().unwrap()).abs() < 1e-9);
            let orders = u16::from_be_bytes([packet[at + 8], packet[at + 9]]);
            assert_eq!(u64::from(orders), level["orders"].as_u64().unwrap());
        }
    }
    assert!(
        u32_at(&packet, 64 + 4) < 150_000,
        "best bid below the last price"
    );
    assert!(
        u32_at(&packet, 124 + 4) >= 150_000,
        "best offer at or above it"
    );
    assert_eq!(
        u32_at(&packet, 60),
        common::NOW.unix_timestamp() as u32,
        "exchange timestamp from the sim's clock"
    );
}

#[tokio::test]
async fn ltp_mode_sends_8_bytes() {
    let sim = TestSim::start_with("ticker-ltp", fast).await;
    sim.set_price("NSE:INFY", "1499.95");
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"mode","v":["ltp",[{INFY}]]}}"#))
        .await;
    let packet = packet_of(&mut ws, INFY, 8).await;
    assert_eq!(u32_at(&packet, 4), 149_995);
}

#[tokio::test]
async fn an_index_sends_28_bytes_in_quote_and_32_in_full_with_h_l_o_c() {
    let sim = TestSim::start_with("ticker-index", fast).await;
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{NIFTY_50}]}}"#))
        .await;
    let quote = packet_of(&mut ws, NIFTY_50, 28).await;
    let rest = sim.kite.get("/quote?i=NSE:NIFTY%2050").await.data()["NSE:NIFTY 50"].clone();
    let paise = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as u32;
    assert_eq!(u32_at(&quote, 4), paise(&rest["last_price"]));
    assert_eq!(u32_at(&quote, 8), paise(&rest["ohlc"]["high"]));
    assert_eq!(u32_at(&quote, 12), paise(&rest["ohlc"]["low"]));
    assert_eq!(u32_at(&quote, 16), paise(&rest["ohlc"]["open"]));
    assert_eq!(u32_at(&quote, 20), paise(&rest["ohlc"]["close"]));
    ws.send_text(&format!(r#"{{"a":"mode","v":["full",[{NIFTY_50}]]}}"#))
        .await;
    let full = packet_of(&mut ws, NIFTY_50, 32).await;
    assert_eq!(u32_at(&full, 28), common::NOW.unix_timestamp() as u32);
}

#[tokio::test]
async fn unknown_and_unsubscribed_tokens_stream_nothing() {
    let sim = TestSim::start_with("ticker-unknown", fast).await;
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[1,{INFY},{NIFTY_50}]}}"#))
        .await;
    let found = ticks_of(&mut ws, &[INFY, NIFTY_50]).await;
    assert_eq!(found.len(), 2, "token 1 is not listed: ignored silently");
    ws.send_text(&format!(r#"{{"a":"unsubscribe","v":[{INFY}]}}"#))
        .await;
    // Frames already on their way may still name it; the later ones do not.
    for _ in 0..20 {
        let frame = ws.next_binary().await;
        if frame.len() > 1 && packets(&frame).len() == 1 {
            assert_eq!(u32_at(&packets(&frame)[0], 0), NIFTY_50);
            return;
        }
    }
    panic!("INFY kept streaming after the unsubscribe");
}

#[tokio::test]
async fn an_idle_ticker_sends_a_one_byte_heartbeat_every_second() {
    let sim = TestSim::start("ticker-heartbeat").await;
    let mut ws = ticker(&sim).await;
    let started = std::time::Instant::now();
    let beat = ws.next_within(Duration::from_millis(2500)).await;
    assert_eq!(beat, Some(Msg::Binary(vec![0])));
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(ws.next().await, Msg::Binary(vec![0]));
}

#[tokio::test]
async fn an_order_placed_over_rest_arrives_as_order_updates_shaped_like_get_orders() {
    let sim = TestSim::start("ticker-orders").await;
    let mut ws = ticker(&sim).await;
    common::ws::eventually(|| sim.handle.feed_connections(SimBroker::Kite) == 1).await;
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=CNC&validity=DAY")
        .await;
    let mut statuses = Vec::new();
    let mut last = Value::Null;
    while statuses.last().map(String::as_str) != Some("COMPLETE") {
        let text = ws.next_text().await;
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["type"], "order", "{message}");
        assert_eq!(message["data"]["order_id"], id.as_str());
        statuses.push(message["data"]["status"].as_str().unwrap().to_owned());
        last = message["data"].clone();
    }
    assert_eq!(statuses, ["OPEN", "COMPLETE"]);
    let rest = sim.kite.get("/orders").await.data();
    assert_eq!(last, rest[0], "the stream and REST agree");
}

#[tokio::test]
async fn a_fourth_connection_for_one_api_key_is_refused() {
    let sim = TestSim::start("ticker-connections").await;
    let _a = ticker(&sim).await;
    let _b = ticker(&sim).await;
    let _c = ticker(&sim).await;
    let answer = handshake(sim.handle.addr(), &target(&sim.kite)).await;
    assert_eq!(answer.status, 429, "{}", answer.text());
    assert!(answer.text().contains("at most 3"), "{}", answer.text());
    assert_eq!(sim.handle.feed_connections(SimBroker::Kite), 3);
}

#[tokio::test]
async fn more_than_3000_tokens_on_one_connection_answers_an_error_and_ignores_the_excess() {
    let (csv, tokens) = common::nse_equities(3005, 10_000);
    let dir = common::TempDir::new("ticker-3000");
    let master = common::build(&dir.path("instruments.db"), &csv);
    let clock = std::sync::Arc::new(tt_core::ManualClock::new(common::NOW));
    let handle = tt_sim::Simulator::start(
        SimConfig::new(master)
            .clock(clock)
            .stream(StreamConfig::default().tick_interval(Duration::from_millis(50))),
    )
    .await
    .unwrap();
    let token = handle.open_session();
    let mut ws = ws::connect(
        handle.addr(),
        &format!("/?api_key={}&access_token={token}", handle.app().api_key),
        &[],
    )
    .await
    .unwrap();
    let list: Vec<String> = tokens.iter().map(u32::to_string).collect();
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{}]}}"#, list.join(",")))
        .await;
    let error: Value = serde_json::from_str(&ws.next_text().await).unwrap();
    assert_eq!(error["type"], "error");
    assert!(error["data"].as_str().unwrap().contains("3000"), "{error}");
    let frame = loop {
        let frame = ws.next_binary().await;
        if frame.len() > 1 {
            break frame;
        }
    };
    assert_eq!(packets(&frame).len(), 3000);
}

#[tokio::test]
async fn drop_closes_every_ticker_without_a_close_frame() {
    let (sim, mut ws) = streaming_infy("ticker-drop").await;
    sim.handle.stream_fault(SimBroker::Kite, StreamFault::Drop);
    let end = ws
        .find(|m| matches!(m, Msg::Gone | Msg::Close).then(|| m.clone()))
        .await;
    assert_eq!(end, Msg::Gone, "no close frame");
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Kite) == 0).await;
    let _again = ticker(&sim).await;
}

#[tokio::test]
async fn mute_leaves_the_socket_open_and_silent_while_new_connections_stream() {
    let (sim, mut ws) = streaming_infy("ticker-mute").await;
    sim.admin(
        "POST",
        "/__sim/stream",
        r#"{"broker":"kite","fault":"mute"}"#,
    )
    .await
    .data();
    // Drain what was already on its way, then nothing at all: no ticks, no heartbeats.
    tokio::time::sleep(Duration::from_millis(100)).await;
    while ws.next_within(Duration::from_millis(50)).await.is_some() {}
    assert_eq!(ws.next_within(Duration::from_millis(1500)).await, None);
    assert_eq!(sim.handle.feed_connections(SimBroker::Kite), 1);
    let mut fresh = ticker(&sim).await;
    fresh
        .send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    ticks_of(&mut fresh, &[INFY]).await;
}

#[tokio::test]
async fn garbage_sends_one_frame_whose_packet_runs_past_its_end_then_ticks_again() {
    let (sim, mut ws) = streaming_infy("ticker-garbage").await;
    sim.handle
        .stream_fault(SimBroker::Kite, StreamFault::Garbage);
    let bad = ws
        .find(|m| match m {
            Msg::Binary(b) if b.len() > 4 => {
                let len = u16::from_be_bytes([b[2], b[3]]) as usize;
                (4 + len > b.len()).then(|| b.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(u16::from_be_bytes([bad[0], bad[1]]), 1);
    ticks_of(&mut ws, &[INFY]).await;
}

#[tokio::test]
async fn expire_token_closes_the_ticker_and_refuses_the_reconnect_and_rest() {
    let sim = TestSim::start("ticker-expire").await;
    let mut ws = ticker(&sim).await;
    sim.handle
        .stream_fault(SimBroker::Kite, StreamFault::ExpireToken);
    let end = ws
        .find(|m| matches!(m, Msg::Gone | Msg::Close).then(|| m.clone()))
        .await;
    assert!(matches!(end, Msg::Close | Msg::Gone));
    let answer = handshake(sim.handle.addr(), &target(&sim.kite)).await;
    answer.error(403, "TokenException");
    sim.kite
        .get("/user/profile")
        .await
        .error(403, "TokenException");
}

#[tokio::test]
async fn the_frame_tap_sees_each_market_data_frame() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(SimBroker, usize)>::new()));
    let tap = seen.clone();
    let sim = BothSim::start_with("ticker-tap", move |config| {
        config.stream(
            StreamConfig::default()
                .tick_interval(Duration::from_millis(20))
                .frame_tap(std::sync::Arc::new(move |broker, frame: &[u8]| {
                    tap.lock().unwrap().push((broker, frame.len()));
                })),
        )
    })
    .await;
    let mut ws = ws::connect(sim.handle.addr(), &target(&sim.kite), &[])
        .await
        .unwrap();
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    let frame = ws.next_binary().await;
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains(&(SimBroker::Kite, frame.len())), "{seen:?}");
}

#[tokio::test]
async fn the_price_walk_moves_streamed_instruments_in_whole_ticks_and_fills_the_book() {
    let sim = TestSim::start_with("ticker-walk", |config| {
        config.stream(
            StreamConfig::default()
                .tick_interval(Duration::from_millis(5))
                .walk(tt_sim::PriceWalk {
                    seed: 7,
                    step_ticks: 20,
                }),
        )
    })
    .await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1499.95&quantity=1&product=CNC&validity=DAY")
        .await;
    assert_eq!(sim.kite.order(&id).await["status"], "OPEN");
    let before_sbin = sim.handle.price("NSE:SBIN").unwrap();
    let mut ws = ticker(&sim).await;
    ws.send_text(&format!(r#"{{"a":"subscribe","v":[{INFY}]}}"#))
        .await;
    ws::eventually(|| sim.handle.orders()[0].status == "COMPLETE").await;
    let now = sim.handle.price("NSE:INFY").unwrap();
    assert!(now.is_multiple_of("0.05".parse().unwrap()), "{now}");
    assert_eq!(
        sim.handle.price("NSE:SBIN").unwrap(),
        before_sbin,
        "an instrument nobody streams stays still"
    );
}

#[tokio::test]
async fn a_cancelled_order_arrives_as_an_update() {
    let sim = TestSim::start("ticker-cancel").await;
    sim.set_price("NSE:INFY", "1500");
    let mut ws = ticker(&sim).await;
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Kite) == 1).await;
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1400&quantity=1&product=CNC&validity=DAY")
        .await;
    sim.kite
        .delete(&format!("/orders/regular/{id}"))
        .await
        .data();
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("CANCELLED") {
        let message: Value = serde_json::from_str(&ws.next_text().await).unwrap();
        statuses.push(message["data"]["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(statuses, ["OPEN", "CANCELLED"]);
}

#[tokio::test]
async fn after_a_reset_the_renumbered_orders_still_arrive_as_updates() {
    let sim = TestSim::start("ticker-reset").await;
    let mut ws = ticker(&sim).await;
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Kite) == 1).await;
    let form = "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=CNC&validity=DAY";
    let first = sim.kite.place(form).await;
    let completed = |text: &str| {
        let message: Value = serde_json::from_str(text).unwrap();
        message["data"]["status"] == "COMPLETE"
    };
    while !completed(&ws.next_text().await) {}
    sim.handle.reset();
    let second = sim.kite.place(form).await;
    assert_eq!(first, second, "a fresh book numbers from the start");
    while !completed(&ws.next_text().await) {}
}

#[tokio::test]
async fn the_stream_admin_call_needs_the_token_and_a_known_fault() {
    let sim = TestSim::start("ticker-admin").await;
    sim.admin(
        "POST",
        "/__sim/stream",
        r#"{"broker":"kite","fault":"explode"}"#,
    )
    .await
    .error(400, "InputException");
    common::send_json(
        sim.handle.addr(),
        "POST",
        "/__sim/stream",
        &[],
        r#"{"broker":"kite","fault":"drop"}"#,
    )
    .await
    .unwrap()
    .error(401, "TokenException");
}
