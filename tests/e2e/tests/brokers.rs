//! The scenarios every broker must pass, written once and run for Zerodha and for Upstox
//! against tt-sim over real loopback HTTP: the whole REST surface, the blocking client,
//! refusals before the network, a concurrent burst under the broker's documented limits with no
//! 429 reaching the user, each fault after sending ending as an unknown outcome and never a
//! duplicate, the session's reuse and expiry, and logout. Each broker's error map has its own
//! file (`zerodha.rs`, `upstox.rs`): the codes are the broker's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use tt_connect::{
    Client, ClientTag, Error, IST, Login, OrderModification, OrderRequest, OrderState, ProductType,
    QuoteDetail, ReconcileWindow, Reconciliation, RetryPolicy, Secret, Validity,
};
use tt_e2e::side::{Side, UpstoxSide, ZerodhaSide, place_target};
use tt_e2e::{WORLD_START, World, instrument, price};
use tt_sim::{Fault, SimBroker};

async fn logged_in<S: Side>(world: &World) -> S::Broker {
    let broker = S::broker(world, RetryPolicy::default());
    S::log_in(world, &broker).await;
    broker
}

tt_e2e::for_each_broker!(
    the_whole_rest_surface,
    refusals_before_the_network_never_reach_the_simulator,
    a_burst_of_orders_and_quotes_queues_instead_of_drawing_429s,
    each_fault_after_sending_is_an_unknown_outcome_and_never_a_duplicate,
    a_session_is_reused_until_it_expires_the_next_morning,
    logout_ends_the_session_at_the_broker,
    a_placement_dropped_mid_flight_still_completes_is_logged_and_reconciles,
);

async fn the_whole_rest_surface<S: Side>() {
    let world = World::start(&format!("{}-surface", S::NAME)).await;
    let client = Client::new(logged_in::<S>(&world).await);

    let profile = client.profile().await.unwrap();
    assert_eq!(
        (profile.user_id.as_str(), profile.broker.as_str()),
        (world.sim.app().user_id.as_str(), S::NAME)
    );
    let funds = client.funds().await.unwrap();
    let opening = funds.equity.clone().unwrap().available;
    assert!(opening > tt_connect::Amount::ZERO);
    let holdings = client.holdings().await.unwrap();
    assert!(!holdings.is_empty(), "the simulator seeds holdings");
    assert!(
        holdings.iter().all(|h| h.instrument.is_some()),
        "{holdings:?}"
    );

    // A market buy fills at the simulator's price.
    let infy = instrument("NSE:INFY");
    world.sim.set_price("NSE:INFY", price("1500.05")).unwrap();
    let buy = OrderRequest::buy(infy.clone(), 10, ProductType::Mis)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&buy).await.unwrap();
    let history = client.order_history(&id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        last.status.state,
        OrderState::Complete,
        "{:?}",
        history.iter().map(|o| &o.status.raw).collect::<Vec<_>>()
    );
    assert_eq!(last.average_price, Some(price("1500.05")));
    assert_eq!(last.tag.as_deref(), Some(buy.tag().as_str()));
    assert_eq!(last.product, ProductType::Mis);
    assert!(history.len() > 2, "the broker's statuses on the way");
    let trades = client.order_trades(&id).await.unwrap();
    assert_eq!(
        (trades.len(), trades[0].quantity, trades[0].price),
        (1, 10, price("1500.05"))
    );
    assert_eq!(trades[0].instrument.as_ref(), Some(&infy));
    assert!(
        client
            .trades()
            .await
            .unwrap()
            .iter()
            .any(|t| t.order_id == id)
    );
    let positions = client.positions().await.unwrap();
    let position = positions
        .net
        .iter()
        .find(|p| p.instrument.as_ref() == Some(&infy))
        .unwrap();
    assert_eq!(position.quantity, 10);
    assert!(client.funds().await.unwrap().equity.unwrap().available < opening);

    // A limit far below rests; modify and cancel work on it.
    let limit = OrderRequest::buy(infy.clone(), 5, ProductType::Cnc)
        .limit(price("1400"))
        .build()
        .unwrap();
    let resting = client.place_order(&limit).await.unwrap();
    let open = client.order_history(&resting).await.unwrap().pop().unwrap();
    assert_eq!(
        (open.status.state, open.product),
        (OrderState::Open, ProductType::Cnc)
    );
    client
        .modify_order(
            &resting,
            &OrderModification::new().price(price("1410.5")).quantity(6),
        )
        .await
        .unwrap();
    let modified = client.order_history(&resting).await.unwrap().pop().unwrap();
    assert_eq!(
        (modified.price, modified.quantity),
        (Some(price("1410.5")), 6)
    );
    client.cancel_order(&resting).await.unwrap();
    let cancelled = client.order_history(&resting).await.unwrap().pop().unwrap();
    assert_eq!(cancelled.status.state, OrderState::Cancelled);

    // A resting option order fills when the market comes to it.
    let call = instrument("NFO:NIFTY:2026-12-29:24000:CE");
    world
        .sim
        .set_price(&call.to_string(), price("120"))
        .unwrap();
    let option_order = OrderRequest::buy(call.clone(), 150, ProductType::Nrml)
        .limit(price("110.05"))
        .validity(Validity::Day)
        .build()
        .unwrap();
    let option_id = client.place_order(&option_order).await.unwrap();
    world
        .sim
        .set_price(&call.to_string(), price("110"))
        .unwrap();
    let filled = client
        .order_history(&option_id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (filled.status.state, filled.filled_quantity, filled.product),
        (OrderState::Complete, 150, ProductType::Nrml)
    );
    let orders = client.orders().await.unwrap();
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().any(|o| o.instrument.as_ref() == Some(&call)));

    // Quotes in three depths, matched back to the instruments asked for.
    let mm = instrument("NSE:M&M");
    for detail in [QuoteDetail::Ltp, QuoteDetail::Ohlc, QuoteDetail::Full] {
        let ticks = client
            .quotes(&[infy.clone(), mm.clone(), call.clone()], detail)
            .await
            .unwrap();
        assert_eq!(ticks.len(), 3, "{detail:?}");
        assert_eq!(
            (
                &ticks[0].instrument,
                &ticks[1].instrument,
                &ticks[2].instrument
            ),
            (&infy, &mm, &call)
        );
        assert_eq!(ticks[0].last_price, price("1500.05"));
        assert_eq!(ticks[0].depth.is_some(), detail == QuoteDetail::Full);
        assert_eq!(ticks[0].ohlc.is_some(), detail != QuoteDetail::Ltp);
    }

    // An after-market order waits for the open.
    let amo = OrderRequest::buy(infy.clone(), 1, ProductType::Cnc)
        .market()
        .after_market()
        .build()
        .unwrap();
    let amo_id = client.place_order(&amo).await.unwrap();
    let waiting = client.order_history(&amo_id).await.unwrap().pop().unwrap();
    assert!(waiting.after_market);
    assert_eq!(
        (waiting.status.state, waiting.status.raw.as_str()),
        (OrderState::Pending, S::AMO_WAITING)
    );
    world.sim.open_market();
    let done = client.order_history(&amo_id).await.unwrap().pop().unwrap();
    assert_eq!(done.status.state, OrderState::Complete);

    // The order the tag names is found again; the other broker's book knows nothing of it.
    let found = client.reconcile(buy.tag()).await.unwrap();
    assert_eq!(found.orders().len(), 1, "{found:?}");
    assert_eq!(found.orders()[0].id, id);
    for other in SimBroker::ALL.into_iter().filter(|b| *b != S::SIM) {
        assert!(world.sim.orders_of(other).is_empty(), "{other}");
    }
    let quick = ReconcileWindow::new(Duration::from_millis(200), Duration::from_millis(50));
    let missing = client
        .reconcile_within(&ClientTag::new("nosuchtag").unwrap(), quick)
        .await
        .unwrap();
    assert!(
        matches!(missing, Reconciliation::NotFound { waited } if waited >= Duration::from_millis(200)),
        "{missing:?}"
    );
}

fn the_blocking_client_trades_too<S: Side>() {
    // The simulator runs on a worker thread of its own while the blocking client blocks here.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let world = runtime.block_on(World::start(&format!("{}-blocking", S::NAME)));
    let client =
        tt_connect::blocking::Client::new(S::broker(&world, RetryPolicy::default())).unwrap();
    // Anything beyond the trading operations runs through `run`, on the client's runtime.
    client
        .run(|c| async {
            S::log_in(&world, c.broker()).await;
            Ok(())
        })
        .unwrap();
    world.sim.set_price("NSE:SBIN", price("800.05")).unwrap();
    let order = OrderRequest::sell(instrument("NSE:SBIN"), 1, ProductType::Mis)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&order).unwrap();
    let last = client.order_history(&id).unwrap().pop().unwrap();
    assert_eq!(last.status.state, OrderState::Complete);
    assert_eq!(client.profile().unwrap().broker.as_str(), S::NAME);
}

#[test]
fn the_blocking_client_trades_through_zerodha() {
    the_blocking_client_trades_too::<ZerodhaSide>();
}

#[test]
fn the_blocking_client_trades_through_upstox() {
    the_blocking_client_trades_too::<UpstoxSide>();
}

async fn refusals_before_the_network_never_reach_the_simulator<S: Side>() {
    let world = World::start(&format!("{}-prechecks", S::NAME)).await;
    let client = Client::new(logged_in::<S>(&world).await);
    let call = instrument("NFO:NIFTY:2026-12-29:24000:CE");
    let cases = [
        (
            OrderRequest::buy(call.clone(), 100, ProductType::Nrml)
                .market()
                .build()
                .unwrap(),
            "not a multiple of the lot size 75",
        ),
        (
            OrderRequest::buy(call.clone(), 75, ProductType::Nrml)
                .limit(price("100.03"))
                .build()
                .unwrap(),
            "not a multiple of the tick size 0.05",
        ),
    ];
    for (order, needle) in &cases {
        let error = client.place_order(order).await.unwrap_err();
        assert!(matches!(error, Error::InvalidOrder { .. }), "{error}");
        assert!(error.to_string().contains(needle), "{error}");
    }
    let unknown = OrderRequest::buy(instrument("NSE:TCS"), 1, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    assert!(matches!(
        client.place_order(&unknown).await.unwrap_err(),
        Error::InstrumentNotFound { .. }
    ));
    assert!(world.sim.orders_of(S::SIM).is_empty());
    // TTL validity goes out where the broker takes it, and is refused where it does not.
    let ttl = OrderRequest::buy(call.clone(), 75, ProductType::Nrml)
        .market()
        .validity(Validity::Ttl {
            minutes: std::num::NonZeroU16::new(1).unwrap(),
        })
        .build()
        .unwrap();
    match client.place_order(&ttl).await {
        Ok(_) => assert!(S::TTL, "{} took a TTL order", S::NAME),
        Err(error) => {
            assert!(!S::TTL, "{error}");
            assert!(
                matches!(error, Error::UnsupportedFeature { .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains("does not support TTL validity"),
                "{error}"
            );
        }
    }
    assert_eq!(world.sim.orders_of(S::SIM).len(), usize::from(S::TTL));
}

async fn a_burst_of_orders_and_quotes_queues_instead_of_drawing_429s<S: Side>() {
    let world = World::start_with(&format!("{}-burst", S::NAME), S::LIMITS).await;
    // The client's own limiter on (the default), no retries to hide a 429, the simulator
    // enforcing the broker's documented limits.
    let broker = S::broker(&world, RetryPolicy::none());
    S::log_in(&world, &broker).await;
    let client = Client::new(broker);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let mut tasks = Vec::new();
    for i in 0..25 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let order = OrderRequest::buy("NSE:INFY".parse().unwrap(), 1, ProductType::Cnc)
                .limit(format!("{}", 1000 + i).parse().unwrap())
                .build()
                .unwrap();
            client.place_order(&order).await.map(|_| ())
        }));
    }
    for _ in 0..S::BURST_QUOTES {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .quotes(&["NSE:INFY".parse().unwrap()], QuoteDetail::Ltp)
                .await
                .map(|_| ())
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(e) = task.await.unwrap() {
            panic!("call {i} (orders 0-24, then quotes): {e}");
        }
    }
    assert_eq!(world.sim.orders_of(S::SIM).len(), 25);
}

async fn each_fault_after_sending_is_an_unknown_outcome_and_never_a_duplicate<S: Side>() {
    let world = World::start(&format!("{}-faults", S::NAME)).await;
    let client = Client::new(logged_in::<S>(&world).await);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let status =
        |status: StatusCode, message: &str| (status, S::SERVER_ERROR.into(), message.into());
    let (gateway, gateway_code, gateway_message) = status(StatusCode::BAD_GATEWAY, "gateway");
    let (down, down_code, down_message) = status(StatusCode::SERVICE_UNAVAILABLE, "OMS down");
    let (oops, oops_code, oops_message) = status(StatusCode::INTERNAL_SERVER_ERROR, "oops");
    let faults = [
        ("delay", Fault::Delay(Duration::from_secs(4)), true),
        ("drop", Fault::Drop, true),
        ("malformed", Fault::Malformed, true),
        (
            "processed502",
            Fault::ProcessedThenStatus {
                status: gateway,
                error_type: gateway_code,
                message: gateway_message,
            },
            true,
        ),
        (
            "status503",
            Fault::Status {
                status: down,
                error_type: down_code,
                message: down_message,
            },
            false,
        ),
        (
            "status500",
            Fault::Status {
                status: oops,
                error_type: oops_code,
                message: oops_message,
            },
            false,
        ),
    ];
    for (name, fault, processed) in faults {
        world.sim.inject(place_target::<S>(), fault, 1);
        let order = OrderRequest::buy(instrument("NSE:INFY"), 1, ProductType::Cnc)
            .limit(price("1400"))
            .tag(ClientTag::new(format!("fault{name}")).unwrap())
            .build()
            .unwrap();
        let error = client.place_order(&order).await.unwrap_err();
        match &error {
            Error::OrderOutcomeUnknown { tag, .. } => assert_eq!(tag, order.tag(), "{name}"),
            other => panic!("{name}: expected an unknown outcome, got {other}"),
        }
        assert!(!error.retryable(), "{name}");
        // Reconciling by the tag tells what happened.
        let quick = ReconcileWindow::new(Duration::from_millis(300), Duration::from_millis(50));
        let found = client.reconcile_within(order.tag(), quick).await.unwrap();
        assert_eq!(
            matches!(found, Reconciliation::Found(_)),
            processed,
            "{name}: {found:?}"
        );
    }
    // Nothing was sent twice.
    let tags: Vec<Option<String>> = world
        .sim
        .orders_of(S::SIM)
        .into_iter()
        .map(|o| o.tag)
        .collect();
    let unique: HashSet<_> = tags.iter().collect();
    assert_eq!(tags.len(), 4, "{tags:?}");
    assert_eq!(unique.len(), tags.len(), "{tags:?}");
}

async fn a_session_is_reused_until_it_expires_the_next_morning<S: Side>() {
    let world = World::start(&format!("{}-session", S::NAME)).await;
    let clock = Arc::clone(&world.clock);
    let user = world.sim.app().user_id.clone();
    let first = S::broker(&world, RetryPolicy::default());
    S::log_in(&world, &first).await;
    assert_eq!(first.session().unwrap().user_id, user);

    // Another client (another run of the program) picks the saved session up: no login.
    let second = S::broker(&world, RetryPolicy::default());
    let info = second.session().unwrap();
    let ends = WORLD_START
        .date()
        .next_day()
        .unwrap()
        .with_time(S::SESSION_ENDS)
        .assume_offset(IST);
    assert_eq!(info.expires_at, ends);
    let client = Client::new(second.clone());
    assert_eq!(client.profile().await.unwrap().user_id, user);

    // At that hour the next morning the session is over, before any request.
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    second.on_session_expired(Arc::new(move |e| {
        seen.lock().unwrap().push(e.reason.clone())
    }));
    clock.set(ends);
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    assert_eq!(ended.lock().unwrap().len(), 1);
    let third = S::broker(&world, RetryPolicy::default());
    assert!(
        third.session().is_none(),
        "an expired session is not reused"
    );
}

async fn logout_ends_the_session_at_the_broker<S: Side>() {
    let world = World::start(&format!("{}-logout", S::NAME)).await;
    let broker = logged_in::<S>(&world).await;
    let user = world.sim.app().user_id.clone();
    broker.logout().await.unwrap();
    assert!(broker.session().is_none());
    // A token the broker does not know is refused there.
    S::use_access_token(&broker, &user, Secret::new("definitely-not-a-token")).unwrap();
    assert!(matches!(
        Client::new(broker.clone()).profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    let token = world.sim.open_session_for(S::SIM);
    S::use_access_token(&broker, &user, Secret::new(token)).unwrap();
    assert!(Client::new(broker).profile().await.is_ok());
}

async fn a_placement_dropped_mid_flight_still_completes_is_logged_and_reconciles<S: Side>() {
    let logs = tt_test_support::logs::CapturedLogs::global();
    let world = World::start(&format!("{}-dropped", S::NAME)).await;
    let client = Client::new(logged_in::<S>(&world).await);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    // The broker processes the order, then takes a second to answer.
    world
        .sim
        .inject(place_target::<S>(), Fault::Delay(Duration::from_secs(1)), 1);
    let tag = ClientTag::new(format!("dropped{}", S::NAME)).unwrap();
    let order = OrderRequest::buy(instrument("NSE:INFY"), 1, ProductType::Cnc)
        .limit(price("1400"))
        .tag(tag.clone())
        .build()
        .unwrap();
    // The caller stops waiting long before that.
    let gave_up = tokio::time::timeout(Duration::from_millis(150), client.place_order(&order))
        .await
        .is_err();
    assert!(gave_up);

    // The call still completes on its own task, and says what came of it.
    let line = logs
        .line_with(
            &["order call finished", tag.as_str()],
            Duration::from_secs(5),
        )
        .await;
    let placed = world.sim.orders_of(S::SIM);
    assert_eq!(placed.len(), 1, "sent once");
    assert!(
        line.contains(&format!("order_id=\"{}\"", placed[0].order_id)),
        "{line}"
    );
    // And the program finds it again by its tag.
    let found = client.reconcile(&tag).await.unwrap();
    assert_eq!(found.orders().len(), 1, "{found:?}");
    assert_eq!(found.orders()[0].id.as_str(), placed[0].order_id);
}
