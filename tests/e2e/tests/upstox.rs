//! Upstox's error map end to end: the refusals tt-sim's Upstox API answers, and Upstox's
//! codes, reach the program as its canonical errors. The scenarios both brokers share are in
//! `brokers.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tt_connect::{Client, Error, OrderRequest, ProductType};
use tt_e2e::errors::{
    ErrorCase, a_refused_token_ends_the_session, each_answer_maps,
    finished_and_unknown_orders_are_refused, refusal,
};
use tt_e2e::{World, instrument, price};
use tt_sim::{FaultTarget, SimBroker};

#[tokio::test]
async fn every_error_the_simulator_answers_maps_to_its_canonical_error() {
    let world = World::start("upstox-errors").await;
    let upstox = world.logged_in_upstox().await;
    let client = Client::new(upstox.clone());
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();

    // Refusals the simulator decides itself.
    finished_and_unknown_orders_are_refused(&client, "UDAPI100040").await;

    // Upstox's codes, as the simulator would send them, through the error map.
    let place = FaultTarget::new("POST", "/v3/order/place");
    let profile = FaultTarget::new("GET", "/v2/user/profile");
    let order = OrderRequest::buy(instrument("NSE:INFY"), 1, ProductType::Cnc)
        .limit(price("1400"))
        .build()
        .unwrap();
    let cases: Vec<ErrorCase> = vec![
        (place.clone(), refusal(400, "UDAPI1004"), |e| {
            matches!(e, Error::InvalidOrder { .. })
        }),
        (place.clone(), refusal(400, "UDAPI1056"), |e| {
            matches!(e, Error::InvalidOrder { .. })
        }),
        (place.clone(), refusal(429, "UDAPI10005"), |e| {
            matches!(e, Error::RateLimited { .. })
        }),
        (place.clone(), refusal(400, "UDAPI100049"), |e| {
            matches!(e, Error::Order { .. } | Error::Broker { .. })
        }),
        (profile.clone(), refusal(429, "UDAPI10005"), |e| {
            matches!(e, Error::RateLimited { .. })
        }),
        (
            profile.clone(),
            refusal(500, "UDAPI100500"),
            |e| matches!(e, Error::Broker { status: Some(500), code, .. } if code == "UDAPI100500"),
        ),
        (
            profile.clone(),
            refusal(503, "UDAPI100999"),
            |e| matches!(e, Error::Broker { status: Some(503), code, .. } if code == "UDAPI100999"),
        ),
    ];
    each_answer_maps(&world, &client, &profile, &order, cases).await;
    assert_eq!(
        world.sim.orders_of(SimBroker::Upstox).len(),
        1,
        "a refused placement placed nothing"
    );

    // An invalid token ends the session and fires the hook; the next call refuses locally.
    a_refused_token_ends_the_session(&world, &upstox, &profile, refusal(401, "UDAPI100050")).await;
}
