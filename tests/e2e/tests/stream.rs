//! Streaming end to end, for Zerodha and for Upstox alike, against tt-sim's WebSocket feeds
//! over real loopback sockets: ticks carrying the contract, its token and exact prices; order
//! updates for the simulated book; healing after a dropped connection with every subscription
//! replayed; stall detection on a mute server; a session refused on reconnect closing the feed
//! and a fresh token resuming it; a garbage frame reported and skipped; a slow consumer told
//! what it missed; the blocking iterator; modes a broker lacks refused before connecting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tt_connect::{
    Client, CloseReason, Disconnect, Error, FeedEvent, FeedEvents, FeedOptions, Instrument,
    OrderRequest, OrderState, ProductType, RetryPolicy, StreamMode, Tick,
};
use tt_e2e::side::{Side, UpstoxSide, ZerodhaSide};
use tt_e2e::{World, instrument, price, synthetic_equities};
use tt_sim::{StreamConfig, StreamFault};

tt_e2e::for_each_broker!(
    ticks_carry_the_contract_its_token_and_exact_prices,
    order_updates_follow_the_simulated_book,
    a_dropped_connection_heals_and_every_subscription_is_replayed,
    a_mute_connection_is_reported_stalled_and_reopened,
    a_refused_session_closes_the_feed_and_a_fresh_token_resumes_it,
    a_garbage_frame_is_reported_and_the_feed_goes_on,
    a_slow_consumer_is_told_what_it_missed_and_the_socket_never_stalls,
    the_blocking_client_iterates_the_same_events,
    a_mode_the_broker_lacks_is_refused_before_connecting,
    unsubscribed_instruments_stop_ticking,
);

/// A world whose simulator ticks every 20 ms.
async fn fast_world(name: &str) -> World {
    World::start_configured(name, |config| {
        config.stream(StreamConfig::default().tick_interval(Duration::from_millis(20)))
    })
    .await
}

async fn logged_in<S: Side>(world: &World) -> Client<S::Broker> {
    let broker = S::broker(world, RetryPolicy::default());
    S::log_in(world, &broker).await;
    Client::new(broker)
}

/// Options for tests: quick to heal, quick to notice silence.
fn quick() -> FeedOptions {
    FeedOptions {
        reconnect_initial: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        stall_timeout: Duration::from_millis(600),
        ..FeedOptions::default()
    }
}

/// The next event, within a generous bound so a broken feed fails instead of hanging.
async fn next(events: &mut FeedEvents) -> FeedEvent {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("no feed event within 10 s")
        .expect("the feed ended")
}

/// Events until one matches, returning it and what came before.
async fn until(
    events: &mut FeedEvents,
    what: &str,
    wanted: impl Fn(&FeedEvent) -> bool,
) -> (FeedEvent, Vec<FeedEvent>) {
    let mut before = Vec::new();
    for _ in 0..50_000 {
        let event = next(events).await;
        if wanted(&event) {
            return (event, before);
        }
        before.push(event);
    }
    panic!(
        "no {what} in 2,000 events: {:?}",
        &before[before.len() - 10..]
    );
}

/// The next tick of `instrument`.
async fn tick_of(events: &mut FeedEvents, instrument: &Instrument) -> Tick {
    match until(
        events,
        "tick",
        |e| matches!(e, FeedEvent::Tick(t) if t.instrument == *instrument),
    )
    .await
    .0
    {
        FeedEvent::Tick(tick) => tick,
        _ => unreachable!(),
    }
}

/// The next tick of `instrument` in `mode`. Kite streams a newly subscribed token in quote
/// mode until its mode message lands, so a resubscribed instrument's first ticks may be quotes.
async fn tick_in(events: &mut FeedEvents, instrument: &Instrument, mode: StreamMode) -> Tick {
    match until(
        events,
        "tick in its mode",
        |e| matches!(e, FeedEvent::Tick(t) if t.instrument == *instrument && t.mode == mode),
    )
    .await
    .0
    {
        FeedEvent::Tick(tick) => tick,
        _ => unreachable!(),
    }
}

fn token<S: Side>(world: &World, instrument: &Instrument) -> String {
    world.master.token_for(instrument, S::NAME).unwrap().token
}

async fn ticks_carry_the_contract_its_token_and_exact_prices<S: Side>() {
    let world = fast_world(&format!("stream-ticks-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let infy = instrument("NSE:INFY");
    let call = instrument("NFO:NIFTY:2026-12-29:24000:CE");
    let usdinr = instrument("CDS:USDINR:2026-12-29:FUT");
    world.sim.set_price("NSE:INFY", price("1500.05")).unwrap();
    world
        .sim
        .set_price("NFO:NIFTY:2026-12-29:24000:CE", price("101.25"))
        .unwrap();
    world
        .sim
        .set_price("CDS:USDINR:2026-12-29:FUT", price("83.2575"))
        .unwrap();

    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(
            &[infy.clone(), call.clone(), usdinr.clone()],
            StreamMode::Full,
        )
        .await
        .unwrap();
    let tick = tick_in(&mut events, &infy, StreamMode::Full).await;
    assert_eq!(&*tick.token, token::<S>(&world, &infy));
    assert_eq!(tick.last_price, price("1500.05"));
    let depth = tick.depth.as_ref().expect("full mode carries depth");
    assert_eq!((depth.bids.len(), depth.asks.len()), (5, 5));
    assert!(depth.bids[0].price <= price("1500.05") && depth.asks[0].price >= price("1500.05"));
    assert!(tick.volume.is_some() && tick.ohlc.is_some());

    assert_eq!(
        tick_of(&mut events, &call).await.last_price,
        price("101.25")
    );
    // Four decimals of a rupee: Kite scales currency prices by 10^7, Upstox sends doubles.
    assert_eq!(
        tick_of(&mut events, &usdinr).await.last_price,
        price("83.2575")
    );

    // A new price is what the next ticks carry.
    world.sim.set_price("NSE:INFY", price("1501.10")).unwrap();
    let moved = until(
        &mut events,
        "the new price",
        |e| matches!(e, FeedEvent::Tick(t) if t.instrument == infy && t.last_price == price("1501.10")),
    );
    moved.await;
    assert_eq!(
        handle.subscriptions().len(),
        3,
        "{:?}",
        handle.subscriptions()
    );
}

async fn order_updates_follow_the_simulated_book<S: Side>() {
    let world = fast_world(&format!("stream-orders-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let (_handle, mut events) = client.stream_with(quick()).await.unwrap();
    until(&mut events, "connected", |e| {
        matches!(e, FeedEvent::Connected { .. })
    })
    .await;

    let order = OrderRequest::buy(instrument("NSE:INFY"), 2, ProductType::Cnc)
        .limit(price("1490"))
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();
    let (update, _) = until(&mut events, "an order update", |e| {
        matches!(e, FeedEvent::OrderUpdate(u) if u.record.id == id && u.record.status.state == OrderState::Open)
    })
    .await;
    let FeedEvent::OrderUpdate(update) = update else {
        unreachable!()
    };
    let order = update.order.expect("the master knows INFY");
    assert_eq!(order.instrument, Some(instrument("NSE:INFY")));
    assert_eq!(order.price, Some(price("1490")));

    world.sim.set_price("NSE:INFY", price("1489.95")).unwrap();
    until(&mut events, "the fill", |e| {
        matches!(e, FeedEvent::OrderUpdate(u) if u.record.id == id && u.record.status.state == OrderState::Complete)
    })
    .await;
}

async fn a_dropped_connection_heals_and_every_subscription_is_replayed<S: Side>() {
    let world = fast_world(&format!("stream-drop-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let (infy, sbin) = (instrument("NSE:INFY"), instrument("NSE:SBIN"));
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(std::slice::from_ref(&infy), StreamMode::Full)
        .await
        .unwrap();
    handle
        .subscribe(std::slice::from_ref(&sbin), StreamMode::Ltp)
        .await
        .unwrap();
    tick_of(&mut events, &infy).await;
    tick_of(&mut events, &sbin).await;

    world.sim.stream_fault(S::SIM, StreamFault::Drop);
    let (reconnecting, _) = until(&mut events, "reconnecting", |e| {
        matches!(e, FeedEvent::Reconnecting { .. })
    })
    .await;
    let FeedEvent::Reconnecting {
        attempt, reason, ..
    } = reconnecting
    else {
        unreachable!()
    };
    assert_eq!(attempt, 1);
    assert!(
        matches!(
            reason,
            Disconnect::Closed { .. } | Disconnect::Failed { .. }
        ),
        "{reason:?}"
    );
    until(&mut events, "connected again", |e| {
        matches!(e, FeedEvent::Connected { .. })
    })
    .await;
    // Both come back, each in its own mode.
    tick_in(&mut events, &infy, StreamMode::Full).await;
    tick_in(&mut events, &sbin, StreamMode::Ltp).await;
}

async fn a_mute_connection_is_reported_stalled_and_reopened<S: Side>() {
    let world = fast_world(&format!("stream-mute-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let infy = instrument("NSE:INFY");
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(std::slice::from_ref(&infy), StreamMode::Ltp)
        .await
        .unwrap();
    tick_of(&mut events, &infy).await;

    world.sim.stream_fault(S::SIM, StreamFault::Mute);
    let (stalled, _) = until(&mut events, "stalled", |e| {
        matches!(e, FeedEvent::Stalled { .. })
    })
    .await;
    let FeedEvent::Stalled { silent_for, .. } = stalled else {
        unreachable!()
    };
    assert_eq!(silent_for, quick().stall_timeout);
    let (reconnecting, _) = until(&mut events, "reconnecting", |e| {
        matches!(e, FeedEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        reconnecting,
        FeedEvent::Reconnecting {
            reason: Disconnect::Stalled { .. },
            ..
        }
    ));
    until(&mut events, "connected again", |e| {
        matches!(e, FeedEvent::Connected { .. })
    })
    .await;
    tick_of(&mut events, &infy).await;
}

async fn a_refused_session_closes_the_feed_and_a_fresh_token_resumes_it<S: Side>() {
    let world = fast_world(&format!("stream-expiry-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let infy = instrument("NSE:INFY");
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(std::slice::from_ref(&infy), StreamMode::Ltp)
        .await
        .unwrap();
    tick_of(&mut events, &infy).await;

    world.sim.stream_fault(S::SIM, StreamFault::ExpireToken);
    let (closed, before) = until(&mut events, "closed", |e| {
        matches!(e, FeedEvent::Closed { .. })
    })
    .await;
    assert!(
        matches!(
            closed,
            FeedEvent::Closed {
                reason: CloseReason::SessionExpired { .. }
            }
        ),
        "{closed:?}"
    );
    // One try per connection finds the session refused; none is retried after that.
    let mut retries = std::collections::HashMap::new();
    for event in &before {
        if let FeedEvent::Reconnecting { connection, .. } = event {
            *retries.entry(*connection).or_insert(0) += 1;
        }
    }
    assert!(
        retries.values().all(|&n| n <= 1),
        "a refused session is not retried: {before:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .unwrap()
            .is_none()
    );

    // A fresh token, and the same subscriptions stream again.
    let token = world.sim.open_session_for(S::SIM);
    S::use_access_token(client.broker(), &world.sim.app().user_id, token.into()).unwrap();
    let mut resumed = handle.resume().await.unwrap();
    until(&mut resumed, "connected", |e| {
        matches!(e, FeedEvent::Connected { .. })
    })
    .await;
    tick_of(&mut resumed, &infy).await;
}

async fn a_garbage_frame_is_reported_and_the_feed_goes_on<S: Side>() {
    let world = fast_world(&format!("stream-garbage-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let infy = instrument("NSE:INFY");
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(std::slice::from_ref(&infy), StreamMode::Ltp)
        .await
        .unwrap();
    tick_of(&mut events, &infy).await;

    world.sim.stream_fault(S::SIM, StreamFault::Garbage);
    let (error, before) = until(&mut events, "an error", |e| {
        matches!(e, FeedEvent::Error(_))
    })
    .await;
    assert!(
        matches!(
            error,
            FeedEvent::Error(tt_connect::FeedError::Malformed { .. })
        ),
        "{error:?}"
    );
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, FeedEvent::Reconnecting { .. })),
        "a bad frame does not cost the connection: {before:?}"
    );
    tick_of(&mut events, &infy).await;
}

async fn a_slow_consumer_is_told_what_it_missed_and_the_socket_never_stalls<S: Side>() {
    let world = World::start_configured(&format!("stream-lag-{}", S::NAME), |config| {
        config.stream(StreamConfig::default().tick_interval(Duration::from_millis(2)))
    })
    .await;
    let client = logged_in::<S>(&world).await;
    let stocks = ["NSE:INFY", "NSE:SBIN", "NSE:RELIANCE"].map(instrument);
    let options = FeedOptions {
        capacity: 16,
        ..quick()
    };
    let (handle, mut events) = client.stream_with(options).await.unwrap();
    handle.subscribe(&stocks, StreamMode::Ltp).await.unwrap();
    // Not reading for a while: some 1,500 ticks arrive into a buffer of 16.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (lagged, before) = until(&mut events, "lagged", |e| {
        matches!(e, FeedEvent::Lagged { .. })
    })
    .await;
    let FeedEvent::Lagged { dropped } = lagged else {
        unreachable!()
    };
    assert!(dropped > 100, "dropped {dropped}");
    assert!(
        before.len() <= 16,
        "no more than the buffer was kept: {}",
        before.len()
    );
    let after: Vec<FeedEvent> = {
        let mut after = Vec::new();
        for _ in 0..50 {
            after.push(next(&mut events).await);
        }
        after
    };
    assert!(
        !before.iter().chain(&after).any(|e| matches!(
            e,
            FeedEvent::Stalled { .. } | FeedEvent::Reconnecting { .. }
        )),
        "the socket never waited for the consumer"
    );
}

async fn the_blocking_client_iterates_the_same_events<S: Side>() {
    let world = fast_world(&format!("stream-blocking-{}", S::NAME)).await;
    let broker = S::broker(&world, RetryPolicy::default());
    S::log_in(&world, &broker).await;
    world.sim.set_price("NSE:INFY", price("1500.05")).unwrap();
    let ticked = tokio::task::spawn_blocking(move || {
        let client = tt_connect::blocking::Client::new(broker).unwrap();
        let (handle, events) = client.stream_with(quick()).unwrap();
        handle
            .subscribe(&[instrument("NSE:INFY")], StreamMode::Ltp)
            .unwrap();
        let tick = events
            .take(200)
            .find_map(|e| match e {
                FeedEvent::Tick(tick) => Some(tick),
                _ => None,
            })
            .expect("a tick");
        handle.close();
        tick
    })
    .await
    .unwrap();
    assert_eq!(ticked.last_price, price("1500.05"));
}

async fn a_mode_the_broker_lacks_is_refused_before_connecting<S: Side>() {
    let world = fast_world(&format!("stream-modes-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let options = FeedOptions {
        order_updates: false,
        ..quick()
    };
    let (handle, _events) = client.stream_with(options).await.unwrap();
    let lacking = if S::NAME == "zerodha" {
        StreamMode::OptionGreeks
    } else {
        StreamMode::Quote
    };
    let err = handle
        .subscribe(&[instrument("NSE:INFY")], lacking)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedFeature { .. }), "{err}");
    assert!(handle.subscriptions().is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(world.sim.feed_connections(S::SIM), 0, "nothing connected");
}

async fn unsubscribed_instruments_stop_ticking<S: Side>() {
    let world = fast_world(&format!("stream-unsub-{}", S::NAME)).await;
    let client = logged_in::<S>(&world).await;
    let (infy, sbin) = (instrument("NSE:INFY"), instrument("NSE:SBIN"));
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    handle
        .subscribe(&[infy.clone(), sbin.clone()], StreamMode::Ltp)
        .await
        .unwrap();
    tick_of(&mut events, &sbin).await;
    handle
        .unsubscribe(std::slice::from_ref(&sbin))
        .await
        .unwrap();
    assert_eq!(
        handle.subscriptions(),
        vec![(infy.clone(), StreamMode::Ltp)]
    );
    // Ticks already on the way may still come; after a few of INFY's, none of SBIN's.
    for _ in 0..5 {
        tick_of(&mut events, &infy).await;
    }
    for _ in 0..20 {
        if let FeedEvent::Tick(tick) = next(&mut events).await {
            assert_eq!(tick.instrument, infy);
        }
    }
}

/// Kite allows 3,000 instruments a connection and three connections an api_key: 7,000
/// instruments stream over three connections, and the 9,001st is refused whole.
#[tokio::test]
async fn kite_spreads_subscriptions_over_three_connections_and_refuses_past_nine_thousand() {
    let (rows, _) = synthetic_equities(9_000, 0);
    let world = World::start_with_rows("stream-spread", &rows, &[], |config| {
        config.stream(StreamConfig::default().tick_interval(Duration::from_millis(200)))
    })
    .await;
    let client = logged_in::<ZerodhaSide>(&world).await;
    let options = FeedOptions {
        order_updates: false,
        ..quick()
    };
    let (handle, mut events) = client.stream_with(options).await.unwrap();
    let stocks: Vec<Instrument> = (0..7_000)
        .map(|n| instrument(&format!("NSE:TTS{n:05}")))
        .collect();
    handle.subscribe(&stocks, StreamMode::Ltp).await.unwrap();
    let mut connected = std::collections::HashSet::new();
    while connected.len() < 3 {
        if let FeedEvent::Connected { connection } = next(&mut events).await {
            connected.insert(connection.index);
        }
    }
    assert_eq!(connected, [0, 1, 2].into_iter().collect());
    assert_eq!(world.sim.feed_connections(ZerodhaSide::SIM), 3);
    // Ticks come from the last connection's instruments too.
    tick_of(&mut events, &instrument("NSE:TTS06999")).await;

    let more: Vec<Instrument> = (7_000..9_000)
        .map(|n| instrument(&format!("NSE:TTS{n:05}")))
        .chain(std::iter::once(instrument("NSE:INFY")))
        .collect();
    let err = handle.subscribe(&more, StreamMode::Ltp).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SubscriptionLimit {
                allowed: 9_000,
                requested: 9_001,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(handle.subscriptions().len(), 7_000, "refused whole");
}

/// Kite scales each segment's prices by its own divisor (10^7 currency at NSE, 10^4 at BSE,
/// 100 elsewhere) and sends an index in packets of its own (28 and 32 bytes, high-low-open-close):
/// every one streamed from tt-sim comes back as the exact price set.
#[tokio::test]
async fn kite_ticks_every_segment_and_the_index_in_their_own_units() {
    let rows = "128028676,500112,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,BSE,BSE
111872007,437000,GOLD26DECFUT,\"GOLD\",0,2026-12-29,0,1,1,FUT,MCX-FUT,MCX
1234950,4824,USDINR26DECFUT,\"USDINR\",0,2026-12-29,0,0.0025,1,FUT,BCD-FUT,BCD
";
    let world = World::start_with_rows("stream-segments", rows, &[], |config| {
        config.stream(StreamConfig::default().tick_interval(Duration::from_millis(20)))
    })
    .await;
    let client = logged_in::<ZerodhaSide>(&world).await;
    let prices = [
        ("NSE:INFY", "1500.05"),
        ("BSE:SBIN", "801.35"),
        ("NFO:NIFTY:2026-12-29:24000:CE", "101.25"),
        ("CDS:USDINR:2026-12-29:FUT", "83.2575"),
        ("BCD:USDINR:2026-12-29:FUT", "83.2625"),
        ("MCX:GOLD:2026-12-29:FUT", "76543"),
    ];
    for (spec, value) in prices {
        world.sim.set_price(spec, price(value)).unwrap();
    }
    let nifty = instrument("NSE:INDEX:NIFTY 50");
    let (handle, mut events) = client.stream_with(quick()).await.unwrap();
    for mode in [StreamMode::Quote, StreamMode::Full] {
        let all: Vec<Instrument> = prices
            .iter()
            .map(|(spec, _)| instrument(spec))
            .chain([nifty.clone()])
            .collect();
        handle.subscribe(&all, mode).await.unwrap();
        for (spec, value) in prices {
            let want = instrument(spec);
            let tick = until(
                &mut events,
                spec,
                |e| matches!(e, FeedEvent::Tick(t) if t.instrument == want && t.mode == mode),
            )
            .await
            .0;
            let FeedEvent::Tick(tick) = tick else {
                unreachable!()
            };
            assert_eq!(tick.last_price, price(value), "{spec} in {mode}");
            assert!(tick.ohlc.is_some(), "{spec} in {mode}");
            assert_eq!(
                tick.depth.is_some(),
                mode == StreamMode::Full,
                "{spec} in {mode}"
            );
        }
        let index = until(
            &mut events,
            "the index",
            |e| matches!(e, FeedEvent::Tick(t) if t.instrument == nifty && t.mode == mode),
        )
        .await
        .0;
        let FeedEvent::Tick(index) = index else {
            unreachable!()
        };
        let ohlc = index.ohlc.expect("an index packet carries OHLC");
        assert!(
            ohlc.low <= index.last_price && index.last_price <= ohlc.high,
            "{ohlc:?}"
        );
        assert_eq!(index.depth, None, "an index has no depth");
        assert_eq!(index.exchange_time.is_some(), mode == StreamMode::Full);
    }
}
