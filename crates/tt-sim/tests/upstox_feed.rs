//! Upstox's market data feed v3 and portfolio stream feed over real sockets: the handshakes
//! (single-use authorized URIs, the Bearer header), `market_info` first, each mode's protobuf
//! decoded with the simulator's own message definitions, the key limits, pings, the order and
//! position updates, and the stream faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../src/upstox/feed_proto.rs"]
mod feed_proto;

use std::time::Duration;

use common::ws::{self, Msg, UPGRADE_HEADERS, Ws};
use common::{BothSim, KITE_CSV, TempDir, UpstoxClient, build_both, send_raw};
use feed_proto::{FeedResponse, FeedUnion, FullFeedUnion, MarketStatus, RequestMode, Type};
use prost::Message as _;
use serde_json::{Value, json};
use tt_sim::{SimBroker, SimConfig, StreamConfig, StreamFault};

const INFY: &str = "NSE_EQ|INE009A01021";
const NIFTY: &str = "NSE_INDEX|Nifty 50";
const NIFTY_CE: &str = "NSE_FO|48225";
const FEED: &str = "/v3/feed/market-data-feed";
const PORTFOLIO: &str = "/v2/feed/portfolio-stream-feed";

fn fast(config: SimConfig) -> SimConfig {
    config.stream(
        StreamConfig::default()
            .tick_interval(Duration::from_millis(20))
            .ping_interval(Duration::from_millis(300)),
    )
}

fn bearer(client: &UpstoxClient) -> String {
    format!("Bearer {}", client.access_token)
}

/// Opens `target` with the client's Bearer header, as the official SDK does.
async fn open(sim: &BothSim, target: &str) -> Ws {
    let auth = bearer(&sim.upstox);
    ws::connect(
        sim.handle.addr(),
        target,
        &[("Authorization", auth.as_str())],
    )
    .await
    .unwrap()
}

/// The next `FeedResponse`, skipping pings.
async fn response(ws: &mut Ws) -> FeedResponse {
    let frame = ws.next_binary().await;
    FeedResponse::decode(frame.as_slice()).unwrap()
}

/// The next response of `kind` that has a feed for every key of `keys`.
async fn response_with(ws: &mut Ws, kind: Type, keys: &[&str]) -> FeedResponse {
    loop {
        let message = response(ws).await;
        if message.r#type == kind as i32 && keys.iter().all(|k| message.feeds.contains_key(*k)) {
            return message;
        }
    }
}

fn request(method: &str, mode: Option<&str>, keys: &[&str]) -> Vec<u8> {
    let mut data = json!({ "instrumentKeys": keys });
    if let Some(mode) = mode {
        data["mode"] = json!(mode);
    }
    json!({"guid": "g1", "method": method, "data": data})
        .to_string()
        .into_bytes()
}

/// A market data feed past its `market_info`, subscribed to `keys` in `mode`; answers the
/// snapshot.
async fn subscribed(sim: &BothSim, mode: Option<&str>, keys: &[&str]) -> (Ws, FeedResponse) {
    let mut ws = open(sim, FEED).await;
    assert_eq!(response(&mut ws).await.r#type, Type::MarketInfo as i32);
    ws.send_binary(&request("sub", mode, keys)).await;
    let snapshot = response_with(&mut ws, Type::InitialFeed, keys).await;
    (ws, snapshot)
}

fn order(fields: Value) -> String {
    let mut body = json!({
        "instrument_token": INFY, "quantity": 1, "product": "I", "validity": "DAY",
        "price": 0, "tag": "feed", "order_type": "MARKET", "transaction_type": "BUY",
        "disclosed_quantity": 0, "trigger_price": 0, "is_amo": false,
    });
    for (key, value) in fields.as_object().unwrap() {
        body[key] = value.clone();
    }
    body.to_string()
}

#[tokio::test]
async fn a_bad_token_is_refused_with_401_before_the_upgrade() {
    let sim = BothSim::start("feed-refused").await;
    let mut headers = UPGRADE_HEADERS.to_vec();
    headers.push(("Authorization", "Bearer nope"));
    for path in [FEED, PORTFOLIO] {
        send_raw(sim.handle.addr(), "GET", path, &headers, "")
            .await
            .unwrap()
            .upstox_error(401, "UDAPI100050");
    }
    assert_eq!(sim.handle.feed_connections(SimBroker::Upstox), 0);
}

#[tokio::test]
async fn the_authorized_redirect_uri_opens_the_feed_once() {
    let sim = BothSim::start("feed-authorize").await;
    let data = sim
        .upstox
        .get("/v3/feed/market-data-feed/authorize")
        .await
        .data();
    let uri = data["authorized_redirect_uri"].as_str().unwrap();
    assert_eq!(data["authorizedRedirectUri"], uri);
    let prefix = format!("ws://{}{FEED}?code=", sim.handle.addr());
    assert!(uri.starts_with(&prefix), "{uri}");
    let target = &uri[format!("ws://{}", sim.handle.addr()).len()..];
    let mut ws = ws::connect(sim.handle.addr(), target, &[]).await.unwrap();
    assert_eq!(response(&mut ws).await.r#type, Type::MarketInfo as i32);
    send_raw(sim.handle.addr(), "GET", target, UPGRADE_HEADERS, "")
        .await
        .unwrap()
        .upstox_error(401, "UDAPI100050");
}

#[tokio::test]
async fn the_first_message_is_market_info_with_every_segment_open() {
    let sim = BothSim::start("feed-market-info").await;
    let mut ws = open(&sim, FEED).await;
    let info = response(&mut ws).await;
    assert_eq!(info.r#type, Type::MarketInfo as i32);
    let statuses = info.market_info.unwrap().segment_status;
    for segment in ["NSE_EQ", "NSE_FO", "BSE_EQ", "MCX_FO", "NSE_INDEX"] {
        assert_eq!(
            statuses.get(segment).copied(),
            Some(MarketStatus::NormalOpen as i32),
            "{segment}"
        );
    }
    assert_eq!(info.current_ts, common::NOW.unix_timestamp() * 1000);
}

#[tokio::test]
async fn ltpc_sub_gets_a_snapshot_then_live_ticks_at_the_sims_price() {
    let sim = BothSim::start_with("feed-ltpc", fast).await;
    sim.set_price(INFY, "1500.05");
    let (mut ws, snapshot) = subscribed(&sim, None, &[INFY]).await;
    let feed = &snapshot.feeds[INFY];
    assert_eq!(feed.request_mode, RequestMode::Ltpc as i32);
    let Some(FeedUnion::Ltpc(ltpc)) = feed.feed_union else {
        panic!("{feed:?}")
    };
    assert_eq!(ltpc.ltp, 1500.05);
    assert!(ltpc.cp > 0.0);
    let live = response_with(&mut ws, Type::LiveFeed, &[INFY]).await;
    let Some(FeedUnion::Ltpc(tick)) = live.feeds[INFY].feed_union else {
        panic!()
    };
    assert_eq!(tick.ltp, 1500.05);
    assert!(tick.ltq > 0, "each tick is a trade");
    assert_eq!(tick.ltt, common::NOW.unix_timestamp() * 1000);
}

#[tokio::test]
async fn full_mode_sends_market_ff_with_depth_and_candles_and_index_ff_for_an_index() {
    let sim = BothSim::start_with("feed-full", fast).await;
    sim.set_price(INFY, "1500");
    let mut ws = open(&sim, FEED).await;
    response(&mut ws).await;
    // Text frames are taken too.
    let text = String::from_utf8(request("sub", Some("full"), &[INFY, NIFTY])).unwrap();
    ws.send_text(&text).await;
    let live = response_with(&mut ws, Type::LiveFeed, &[INFY, NIFTY]).await;
    let infy = &live.feeds[INFY];
    assert_eq!(infy.request_mode, RequestMode::FullD5 as i32);
    let Some(FeedUnion::FullFeed(full)) = &infy.feed_union else {
        panic!()
    };
    let Some(FullFeedUnion::MarketFf(market)) = &full.full_feed_union else {
        panic!()
    };
    assert_eq!(market.ltpc.unwrap().ltp, 1500.0);
    let levels = &market.market_level.as_ref().unwrap().bid_ask_quote;
    assert_eq!(levels.len(), 5);
    assert!(levels[0].bid_p < 1500.0 && levels[0].ask_p >= 1500.0);
    let rest = sim
        .upstox
        .get(&format!("/v2/market-quote/quotes?instrument_key={INFY}"))
        .await
        .data();
    let quote = rest.as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(
        levels[0].bid_q,
        quote["depth"]["buy"][0]["quantity"].as_i64().unwrap()
    );
    let intervals: Vec<&str> = market
        .market_ohlc
        .as_ref()
        .unwrap()
        .ohlc
        .iter()
        .map(|c| c.interval.as_str())
        .collect();
    assert_eq!(intervals, ["1d", "I1"]);
    assert!(market.vtt > 0 && market.atp > 0.0 && market.tbq > 0.0 && market.tsq > 0.0);
    assert!(market.option_greeks.is_none(), "an equity has no greeks");
    let Some(FeedUnion::FullFeed(index)) = &live.feeds[NIFTY].feed_union else {
        panic!()
    };
    let Some(FullFeedUnion::IndexFf(index)) = &index.full_feed_union else {
        panic!("{index:?}")
    };
    assert!(index.ltpc.unwrap().ltp > 0.0);
    assert_eq!(index.market_ohlc.as_ref().unwrap().ohlc.len(), 2);
}

#[tokio::test]
async fn option_greeks_mode_sends_the_first_level_with_greeks() {
    let sim = BothSim::start_with("feed-greeks", fast).await;
    let (_ws, snapshot) = subscribed(&sim, Some("option_greeks"), &[NIFTY_CE]).await;
    let feed = &snapshot.feeds[NIFTY_CE];
    assert_eq!(feed.request_mode, RequestMode::OptionGreeks as i32);
    let Some(FeedUnion::FirstLevelWithGreeks(first)) = feed.feed_union else {
        panic!("{feed:?}")
    };
    let greeks = first.option_greeks.unwrap();
    assert!(greeks.delta > 0.0 && greeks.delta < 1.0, "a call's delta");
    assert!(first.iv > 0.0 && first.oi > 0.0);
    let depth = first.first_depth.unwrap();
    assert!(depth.bid_p < depth.ask_p);
}

#[tokio::test]
async fn full_d30_sends_thirty_levels_and_change_mode_and_unsub_apply() {
    let sim = BothSim::start_with("feed-d30", fast).await;
    let (mut ws, snapshot) = subscribed(&sim, Some("full_d30"), &[INFY]).await;
    let Some(FeedUnion::FullFeed(full)) = &snapshot.feeds[INFY].feed_union else {
        panic!()
    };
    let Some(FullFeedUnion::MarketFf(market)) = &full.full_feed_union else {
        panic!()
    };
    assert_eq!(
        market.market_level.as_ref().unwrap().bid_ask_quote.len(),
        30
    );
    assert_eq!(
        snapshot.feeds[INFY].request_mode,
        RequestMode::FullD30 as i32
    );
    ws.send_binary(&request("change_mode", Some("ltpc"), &[INFY]))
        .await;
    let changed = response_with(&mut ws, Type::InitialFeed, &[INFY]).await;
    assert_eq!(changed.feeds[INFY].request_mode, RequestMode::Ltpc as i32);
    ws.send_binary(&request("unsub", None, &[INFY])).await;
    // Ticks already on their way may still come; then none.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..100 {
        match ws.next_within(Duration::from_millis(60)).await {
            None | Some(Msg::Ping) => break,
            Some(_) => {}
        }
    }
    assert!(
        ws.next_within(Duration::from_millis(200))
            .await
            .is_none_or(|m| m == Msg::Ping)
    );
}

#[tokio::test]
async fn keys_beyond_the_modes_limit_are_ignored() {
    let dir = TempDir::new("feed-limits");
    let rows: Vec<String> = (0..60)
        .map(|n| {
            format!(
                r#"{{"segment":"NSE_EQ","name":"CO {n}","exchange":"NSE","isin":"INE{n:06}X01","instrument_type":"EQ","instrument_key":"NSE_EQ|INE{n:06}X01","lot_size":1,"exchange_token":"{}","tick_size":5.0,"trading_symbol":"CO{n}"}}"#,
                70_000 + n
            )
        })
        .collect();
    let master = build_both(
        &dir.path("instruments.db"),
        KITE_CSV,
        &format!("[{}]", rows.join(",")),
    );
    let clock = std::sync::Arc::new(tt_core::ManualClock::new(common::NOW));
    let handle = tt_sim::Simulator::start(SimConfig::new(master).clock(clock))
        .await
        .unwrap();
    let token = handle.open_session_for(SimBroker::Upstox);
    let auth = format!("Bearer {token}");
    let mut ws = ws::connect(handle.addr(), FEED, &[("Authorization", auth.as_str())])
        .await
        .unwrap();
    response(&mut ws).await;
    let keys: Vec<String> = (0..60).map(|n| format!("NSE_EQ|INE{n:06}X01")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    ws.send_binary(&request("sub", Some("full_d30"), &keys))
        .await;
    let snapshot = response(&mut ws).await;
    assert_eq!(snapshot.r#type, Type::InitialFeed as i32);
    assert_eq!(snapshot.feeds.len(), 50, "full_d30 alone: 50 keys");
}

#[tokio::test]
async fn an_idle_feed_gets_pings() {
    let sim = BothSim::start_with("feed-pings", fast).await;
    let mut ws = open(&sim, FEED).await;
    response(&mut ws).await;
    assert_eq!(ws.next().await, Msg::Ping);
    let mut portfolio = open(&sim, PORTFOLIO).await;
    assert_eq!(portfolio.next().await, Msg::Ping);
}

#[tokio::test]
async fn garbage_sends_bytes_that_are_no_feed_response_then_normal_service() {
    let sim = BothSim::start_with("feed-garbage", fast).await;
    let (mut ws, _) = subscribed(&sim, None, &[INFY]).await;
    sim.handle
        .stream_fault(SimBroker::Upstox, StreamFault::Garbage);
    ws.find(|m| match m {
        Msg::Binary(b) => FeedResponse::decode(b.as_slice()).is_err().then_some(()),
        _ => None,
    })
    .await;
    response_with(&mut ws, Type::LiveFeed, &[INFY]).await;
}

#[tokio::test]
async fn drop_closes_both_feeds_without_a_close_frame() {
    let sim = BothSim::start_with("feed-drop", fast).await;
    let (mut market, _) = subscribed(&sim, None, &[INFY]).await;
    let mut portfolio = open(&sim, PORTFOLIO).await;
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Upstox) == 2).await;
    common::admin_call(
        sim.handle.addr(),
        sim.handle.admin_token().expose(),
        "POST",
        "/__sim/stream",
        r#"{"broker":"upstox","fault":"drop"}"#,
    )
    .await
    .data();
    for ws in [&mut market, &mut portfolio] {
        let end = ws
            .find(|m| matches!(m, Msg::Gone | Msg::Close).then(|| m.clone()))
            .await;
        assert_eq!(end, Msg::Gone);
    }
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Upstox) == 0).await;
}

#[tokio::test]
async fn mute_silences_the_feed_but_keeps_it_open() {
    let sim = BothSim::start_with("feed-mute", fast).await;
    let (mut ws, _) = subscribed(&sim, None, &[INFY]).await;
    sim.handle
        .stream_fault(SimBroker::Upstox, StreamFault::Mute);
    tokio::time::sleep(Duration::from_millis(100)).await;
    while ws.next_within(Duration::from_millis(50)).await.is_some() {}
    assert_eq!(
        ws.next_within(Duration::from_millis(800)).await,
        None,
        "no ticks, no pings"
    );
    assert_eq!(sim.handle.feed_connections(SimBroker::Upstox), 1);
}

#[tokio::test]
async fn expire_token_closes_the_feeds_and_refuses_the_reconnect_and_rest() {
    let sim = BothSim::start_with("feed-expire", fast).await;
    let mut ws = open(&sim, FEED).await;
    response(&mut ws).await;
    sim.handle
        .stream_fault(SimBroker::Upstox, StreamFault::ExpireToken);
    ws.find(|m| matches!(m, Msg::Gone | Msg::Close).then_some(()))
        .await;
    let auth = bearer(&sim.upstox);
    let mut headers = UPGRADE_HEADERS.to_vec();
    headers.push(("Authorization", auth.as_str()));
    send_raw(sim.handle.addr(), "GET", FEED, &headers, "")
        .await
        .unwrap()
        .upstox_error(401, "UDAPI100050");
    sim.upstox
        .get("/v2/user/profile")
        .await
        .upstox_error(401, "UDAPI100050");
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Upstox) == 0).await;
}

/// Text frames until one satisfies `done`, as JSON.
async fn updates_until(ws: &mut Ws, mut done: impl FnMut(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let update: Value = serde_json::from_str(&ws.next_text().await).unwrap();
        let finished = done(&update);
        seen.push(update);
        if finished {
            return seen;
        }
    }
}

#[tokio::test]
async fn the_portfolio_feed_pushes_each_order_step_shaped_like_the_order_book() {
    let sim = BothSim::start("portfolio-orders").await;
    sim.set_price(INFY, "1500");
    let mut ws = open(&sim, PORTFOLIO).await;
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Upstox) == 1).await;
    let id = sim.upstox.place_one(&order(json!({}))).await;
    let updates = updates_until(&mut ws, |u| u["status"] == "complete").await;
    assert!(
        updates.iter().all(|u| u["update_type"] == "order"),
        "order only by default"
    );
    assert_eq!(updates[0]["status"], "put order req received");
    let last = updates.last().unwrap().clone();
    assert_eq!(last["order_id"], id.as_str());
    assert_eq!(last["instrument_key"], INFY);
    assert_eq!(last["user_id"], sim.handle.app().user_id.as_str());
    assert_eq!(last["userId"], last["user_id"]);
    let book = sim.upstox.get("/v2/order/retrieve-all").await.data();
    let mut row = book[0].clone();
    for (key, value) in [
        ("update_type", "order"),
        ("user_id", sim.handle.app().user_id.as_str()),
        ("userId", sim.handle.app().user_id.as_str()),
        ("instrument_key", INFY),
    ] {
        row[key] = json!(value);
    }
    assert_eq!(last, row, "the stream and REST agree");
}

#[tokio::test]
async fn positions_are_pushed_when_asked_for_through_the_authorized_uri() {
    let sim = BothSim::start("portfolio-positions").await;
    let data = sim
        .upstox
        .get("/v2/feed/portfolio-stream-feed/authorize?update_types=order%2Cposition")
        .await
        .data();
    let uri = data["authorized_redirect_uri"].as_str().unwrap();
    let target = uri[format!("ws://{}", sim.handle.addr()).len()..].to_owned();
    assert!(
        target.starts_with(&format!("{PORTFOLIO}?code=")),
        "{target}"
    );
    assert!(target.contains("update_types=order%2Cposition"), "{target}");
    let mut ws = ws::connect(sim.handle.addr(), &target, &[]).await.unwrap();
    ws::eventually(|| sim.handle.feed_connections(SimBroker::Upstox) == 1).await;
    sim.upstox.place_one(&order(json!({}))).await;
    let updates = updates_until(&mut ws, |u| u["update_type"] == "position").await;
    let position = updates.last().unwrap();
    assert_eq!(position["instrument_key"], INFY);
    assert_eq!(position["quantity"], 1);
    send_raw(sim.handle.addr(), "GET", &target, UPGRADE_HEADERS, "")
        .await
        .unwrap()
        .upstox_error(401, "UDAPI100050");
}
