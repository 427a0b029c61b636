//! Zerodha's error map end to end: every refusal tt-sim's Kite API answers, and every documented
//! `error_type`, reach the program as its canonical error. The scenarios both brokers share are
//! in `brokers.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tt_connect::{Client, Error, OrderRequest, OrderState, ProductType};
use tt_e2e::errors::{
    ErrorCase, a_refused_token_ends_the_session, each_answer_maps,
    finished_and_unknown_orders_are_refused, refusal,
};
use tt_e2e::{World, instrument, price};
use tt_sim::FaultTarget;

#[tokio::test]
async fn an_order_beyond_the_funds_is_placed_then_rejected() {
    let world = World::start("async-rejection").await;
    let client = Client::new(world.logged_in().await);
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let too_big = OrderRequest::buy(instrument("NSE:INFY"), 100_000, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&too_big).await.unwrap();
    let history = client.order_history(&id).await.unwrap();
    let states: Vec<OrderState> = history.iter().map(|o| o.status.state).collect();
    assert_eq!(
        states,
        [
            OrderState::Pending,
            OrderState::Pending,
            OrderState::Rejected
        ]
    );
    let reason = history.last().unwrap().status_message.clone().unwrap();
    assert!(reason.starts_with("Insufficient funds."), "{reason}");
}

#[tokio::test]
async fn every_error_the_simulator_answers_maps_to_its_canonical_error() {
    // Refusals at placement, as the simulator answers them when it rejects synchronously (by
    // default it accepts such orders and rejects them in the book, as Kite does).
    let world = World::start_configured("errors", |c| c.reject_synchronously(true)).await;
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
    finished_and_unknown_orders_are_refused(&client, "OrderException").await;

    // Every documented error_type, as the simulator would send it, through the error map.
    let place = FaultTarget::new("POST", "/orders/regular");
    let profile = FaultTarget::new("GET", "/user/profile");
    let order = OrderRequest::buy(infy.clone(), 1, ProductType::Cnc)
        .limit(price("1400"))
        .build()
        .unwrap();
    let cases: Vec<ErrorCase> = vec![
        (place.clone(), refusal(400, "InputException"), |e| {
            matches!(e, Error::InvalidOrder { .. })
        }),
        (place.clone(), refusal(400, "OrderException"), |e| {
            matches!(e, Error::Order { .. })
        }),
        (place.clone(), refusal(400, "MarginException"), |e| {
            matches!(e, Error::InsufficientFunds { .. })
        }),
        (place.clone(), refusal(400, "HoldingException"), |e| {
            matches!(e, Error::Order { .. })
        }),
        (place.clone(), refusal(429, "NetworkException"), |e| {
            matches!(e, Error::RateLimited { .. })
        }),
        (profile.clone(), refusal(403, "PermissionException"), |e| {
            matches!(e, Error::Authentication { .. })
        }),
        (profile.clone(), refusal(403, "UserException"), |e| {
            matches!(e, Error::Authentication { .. })
        }),
        (profile.clone(), refusal(400, "InputException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(400),
                    ..
                }
            )
        }),
        (profile.clone(), refusal(502, "DataException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(502),
                    ..
                }
            )
        }),
        (profile.clone(), refusal(503, "NetworkException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(503),
                    ..
                }
            )
        }),
        (profile.clone(), refusal(500, "GeneralException"), |e| {
            matches!(
                e,
                Error::Broker {
                    status: Some(500),
                    ..
                }
            )
        }),
    ];
    each_answer_maps(&world, &client, &profile, &order, cases).await;

    // TokenException ends the session and fires the hook; the next call refuses locally.
    a_refused_token_ends_the_session(&world, &zerodha, &profile, refusal(403, "TokenException"))
        .await;
}
