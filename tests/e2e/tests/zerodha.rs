//! tt-connect with the Zerodha adapter against tt-sim's Kite API, over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use tt_connect::{
    Client, ClientTag, Error, Instrument, OrderModification, OrderRequest, OrderState, Price,
    ProductType, QuoteDetail, ReconcileWindow, Reconciliation, Secret, Validity, Zerodha,
};
use tt_e2e::World;
use tt_sim::{Fault, FaultTarget, RateLimits};

fn instrument(text: &str) -> Instrument {
    text.parse().unwrap()
}

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

#[tokio::test]
async fn the_whole_rest_surface() {
    let world = World::start("surface").await;
    let client = Client::new(world.logged_in().await);

    let profile = client.profile().await.unwrap();
    assert_eq!(
        (profile.user_id.as_str(), profile.broker.as_str()),
        ("TT0001", "zerodha")
    );
    let funds = client.funds().await.unwrap();
    let opening = funds.equity.clone().unwrap().available;
    assert!(opening > tt_connect::Amount::ZERO);
    let holdings = client.holdings().await.unwrap();
    assert!(!holdings.is_empty(), "the simulator seeds holdings");

    // A market buy fills at the simulator's price.
    let infy = instrument("NSE:INFY");
    world.sim.set_price("NSE:INFY", price("1500.05")).unwrap();
    let buy = OrderRequest::buy(infy.clone(), 10, ProductType::Cnc)
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
    assert!(history.len() > 2, "Kite's statuses on the way");
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
    assert_eq!(open.status.state, OrderState::Open);
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
        .set_price("NFO:NIFTY26DEC24000CE", price("120"))
        .unwrap();
    let option_order = OrderRequest::buy(call.clone(), 150, ProductType::Nrml)
        .limit(price("110.05"))
        .validity(Validity::Day)
        .build()
        .unwrap();
    let option_id = client.place_order(&option_order).await.unwrap();
    world
        .sim
        .set_price("NFO:NIFTY26DEC24000CE", price("110"))
        .unwrap();
    let filled = client
        .order_history(&option_id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (filled.status.state, filled.filled_quantity),
        (OrderState::Complete, 150)
    );
    let orders = client.orders().await.unwrap();
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().any(|o| o.instrument.as_ref() == Some(&call)));

    // Quotes in three depths, keyed back to the instruments asked for.
    let mm = instrument("NSE:M&M");
    for detail in [QuoteDetail::Ltp, QuoteDetail::Ohlc, QuoteDetail::Full] {
        let ticks = client
            .quotes(&[infy.clone(), mm.clone(), call.clone()], detail)
            .await
            .unwrap();
        assert_eq!(ticks.len(), 3, "{detail:?}");
        assert_eq!(ticks[0].instrument, infy);
        assert_eq!(ticks[0].last_price, price("1500.05"));
        assert_eq!(ticks[1].instrument, mm);
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
        (OrderState::Pending, "AMO REQ RECEIVED")
    );
    world.sim.open_market();
    let done = client.order_history(&amo_id).await.unwrap().pop().unwrap();
    assert_eq!(done.status.state, OrderState::Complete);

    // The order the tag names is found again.
    let found = client.reconcile(buy.tag()).await.unwrap();
    assert_eq!(found.orders().len(), 1, "{found:?}");
    assert_eq!(found.orders()[0].id, id);
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

#[test]
fn the_blocking_client_trades_too() {
    // The simulator runs on a worker thread of its own while the blocking client blocks here.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let world = runtime.block_on(World::start("blocking"));
    let client = tt_connect::blocking::Client::new(Zerodha::new(world.zerodha_config())).unwrap();
    // Anything beyond the trading operations runs through `run`, on the client's runtime.
    client
        .run(|c| async {
            world.log_in(c.broker()).await;
            Ok(())
        })
        .unwrap();
    world.sim.set_price("NSE:SBIN", price("800.05")).unwrap();
    let order = OrderRequest::sell(instrument("NSE:SBIN"), 1, ProductType::Mis)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&order).unwrap();
    assert_eq!(
        client
            .order_history(&id)
            .unwrap()
            .pop()
            .unwrap()
            .status
            .state,
        OrderState::Complete
    );
    assert_eq!(client.profile().unwrap().user_id, "TT0001");
}

#[tokio::test]
async fn refusals_before_the_network_never_reach_the_simulator() {
    let world = World::start("prechecks").await;
    let client = Client::new(world.logged_in().await);
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
        (
            OrderRequest::buy(call.clone(), 75, ProductType::Nrml)
                .market()
                .validity(Validity::Ttl {
                    minutes: std::num::NonZeroU16::new(1).unwrap(),
                })
                .build()
                .unwrap(),
            "",
        ),
    ];
    for (order, needle) in &cases[..2] {
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
    assert!(world.sim.orders().is_empty());
    // A TTL order is fine for Zerodha: it goes out.
    client.place_order(&cases[2].0).await.unwrap();
    assert_eq!(world.sim.orders().len(), 1);
}

#[tokio::test]
async fn every_error_the_simulator_answers_maps_to_its_canonical_error() {
    let world = World::start("errors").await;
    let zerodha = world.logged_in().await;
    let client = Client::new(zerodha.clone());
    let infy = instrument("NSE:INFY");
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();

    // Business refusals the simulator decides itself.
    let too_big = OrderRequest::buy(infy.clone(), 100_000, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    assert!(matches!(
        client.place_order(&too_big).await.unwrap_err(),
        Error::InsufficientFunds { .. }
    ));
    let short = OrderRequest::sell(instrument("NSE:M&M"), 100_000, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    match client.place_order(&short).await.unwrap_err() {
        Error::Order { code, .. } => assert_eq!(code.as_deref(), Some("HoldingException")),
        other => panic!("expected a holdings refusal, got {other}"),
    }
    let filled = client
        .place_order(
            &OrderRequest::buy(infy.clone(), 1, ProductType::Cnc)
                .market()
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    match client.cancel_order(&filled).await.unwrap_err() {
        Error::Order { code, .. } => assert_eq!(code.as_deref(), Some("OrderException")),
        other => panic!("expected an order refusal, got {other}"),
    }
    let missing = tt_connect::OrderId::new("999999999999999").unwrap();
    assert!(matches!(
        client.order_history(&missing).await.unwrap_err(),
        Error::OrderNotFound { .. }
    ));

    // Every documented error_type, as the simulator would send it, through the error map.
    let place = FaultTarget::new("POST", "/orders/regular");
    let profile = FaultTarget::new("GET", "/user/profile");
    let order = OrderRequest::buy(infy.clone(), 1, ProductType::Cnc)
        .limit(price("1400"))
        .build()
        .unwrap();
    let status = |code: u16, error_type: &str| Fault::Status {
        status: StatusCode::from_u16(code).unwrap(),
        error_type: error_type.to_owned(),
        message: format!("{error_type} from the simulator"),
    };
    /// Where the fault goes, the fault, and what the error must be.
    type Case = (FaultTarget, Fault, fn(&Error) -> bool);
    let cases: Vec<Case> = vec![
        (place.clone(), status(400, "InputException"), |e| {
            matches!(e, Error::InvalidOrder { .. })
        }),
        (place.clone(), status(400, "OrderException"), |e| {
            matches!(e, Error::Order { .. })
        }),
        (place.clone(), status(400, "MarginException"), |e| {
            matches!(e, Error::InsufficientFunds { .. })
        }),
        (place.clone(), status(400, "HoldingException"), |e| {
            matches!(e, Error::Order { .. })
        }),
        (place.clone(), status(429, "NetworkException"), |e| {
            matches!(e, Error::RateLimited { .. })
        }),
        (profile.clone(), status(403, "PermissionException"), |e| {
            matches!(e, Error::Authentication { .. })
        }),
        (profile.clone(), status(403, "UserException"), |e| {
            matches!(e, Error::Authentication { .. })
        }),
        (profile.clone(), status(400, "InputException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(400),
                    ..
                }
            )
        }),
        (profile.clone(), status(502, "DataException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(502),
                    ..
                }
            )
        }),
        (profile.clone(), status(503, "NetworkException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(503),
                    ..
                }
            )
        }),
        (profile.clone(), status(500, "GeneralException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(500),
                    ..
                }
            )
        }),
    ];
    for (target, fault, expected) in cases {
        // Reads retry: a fault on a read must outlast the retries to be seen.
        world.sim.inject(target.clone(), fault.clone(), 3);
        let error = if target == profile {
            client.profile().await.unwrap_err()
        } else {
            client.place_order(&order).await.unwrap_err()
        };
        assert!(expected(&error), "{fault:?} gave {error}");
        world.sim.clear_faults();
    }

    // TokenException ends the session and fires the hook; the next call refuses locally.
    let ended = Arc::new(Mutex::new(0));
    let count = Arc::clone(&ended);
    zerodha.on_session_expired(move |_| *count.lock().unwrap() += 1);
    world
        .sim
        .inject(profile.clone(), status(403, "TokenException"), 1);
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    assert_eq!(*ended.lock().unwrap(), 1);
    assert!(zerodha.session().is_none());
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::Authentication { .. }
    ));
}

#[tokio::test]
async fn a_burst_of_orders_and_quotes_queues_instead_of_drawing_429s() {
    let world = World::start_with("burst", RateLimits::KITE).await;
    // The client's own limiter on (the default), no retries to hide a 429, the simulator
    // enforcing Kite's limits.
    let zerodha = Zerodha::new(
        world
            .zerodha_config()
            .retry(tt_transport::RetryPolicy::none()),
    );
    world.log_in(&zerodha).await;
    let client = Client::new(zerodha);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let mut tasks = Vec::new();
    for i in 0..25 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let order = OrderRequest::buy("NSE:INFY".parse().unwrap(), 1, ProductType::Cnc)
                .limit(format!("{}", 1000 + i).parse().unwrap())
                .build()
                .unwrap();
            client.place_order(&order).await
        }));
    }
    for _ in 0..3 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .quotes(&["NSE:INFY".parse().unwrap()], QuoteDetail::Ltp)
                .await
                .map(|_| tt_connect::OrderId::new("quote").unwrap())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(world.sim.orders().len(), 25);
}

#[tokio::test]
async fn each_fault_after_sending_is_an_unknown_outcome_and_never_a_duplicate() {
    let world = World::start("faults").await;
    let client = Client::new(world.logged_in().await);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let place = FaultTarget::new("POST", "/orders/regular");
    let faults = [
        ("delay", Fault::Delay(Duration::from_secs(4)), true),
        ("drop", Fault::Drop, true),
        ("malformed", Fault::Malformed, true),
        (
            "status503",
            Fault::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error_type: "NetworkException".into(),
                message: "OMS down".into(),
            },
            false,
        ),
        (
            "status500",
            Fault::Status {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                error_type: "GeneralException".into(),
                message: "oops".into(),
            },
            false,
        ),
    ];
    for (name, fault, processed) in faults {
        world.sim.inject(place.clone(), fault, 1);
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
    let tags: Vec<Option<String>> = world.sim.orders().into_iter().map(|o| o.tag).collect();
    let unique: HashSet<_> = tags.iter().collect();
    assert_eq!(tags.len(), 3, "{tags:?}");
    assert_eq!(unique.len(), tags.len(), "{tags:?}");
}

#[tokio::test]
async fn a_session_is_reused_until_it_expires_at_six_ist() {
    let world = World::start("session").await;
    let clock = Arc::clone(&world.clock);
    let first = Zerodha::new(world.zerodha_config());
    world.log_in(&first).await;
    assert_eq!(first.session().unwrap().user_id, "TT0001");

    // Another client (another run of the program) picks the saved session up: no login.
    let second = Zerodha::new(world.zerodha_config());
    let info = second.session().unwrap();
    assert_eq!(
        info.expires_at,
        time::macros::datetime!(2026-11-25 06:00 +05:30)
    );
    let client = Client::new(second.clone());
    assert_eq!(client.profile().await.unwrap().user_id, "TT0001");

    // At 06:00 IST the next morning the session is over, before any request.
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    second.on_session_expired(move |e| seen.lock().unwrap().push(e.reason.clone()));
    clock.set(time::macros::datetime!(2026-11-25 06:00 +05:30));
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    assert_eq!(ended.lock().unwrap().len(), 1);
    let third = Zerodha::new(world.zerodha_config());
    assert!(
        third.session().is_none(),
        "an expired session is not reused"
    );
}

#[tokio::test]
async fn logout_ends_the_session_at_the_broker() {
    let world = World::start("logout").await;
    let zerodha = world.logged_in().await;
    zerodha.logout().await.unwrap();
    assert!(zerodha.session().is_none());
    // The old token is dead at the simulator too.
    let token = world.sim.open_session();
    zerodha
        .use_access_token("TT0001", Secret::new("definitely-not-a-token"))
        .unwrap();
    assert!(matches!(
        Client::new(zerodha.clone()).profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    zerodha
        .use_access_token("TT0001", Secret::new(token))
        .unwrap();
    assert!(Client::new(zerodha).profile().await.is_ok());
}
