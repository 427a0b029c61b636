//! Rate limits per calendar second, and the quote endpoints' batches and keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::num::NonZeroU32;

use common::TestSim;
use tt_sim::RateLimits;

#[tokio::test]
async fn quotes_are_limited_to_one_per_second() {
    let sim = TestSim::start_with("limits-quote", |c| c.rate_limits(RateLimits::KITE)).await;
    sim.kite.get("/quote/ltp?i=NSE:INFY").await.data();
    let message = sim
        .kite
        .get("/quote?i=NSE:INFY")
        .await
        .error(429, "NetworkException");
    assert_eq!(message, "Too many requests");
    // Other endpoints have their own budget, and the next second starts afresh.
    sim.kite.get("/user/profile").await.data();
    sim.clock.set(common::NOW + time::Duration::seconds(1));
    sim.kite.get("/quote/ohlc?i=NSE:INFY").await.data();
}

#[tokio::test]
async fn orders_are_limited_per_second_and_per_minute() {
    let sim = TestSim::start_with("limits-orders", |c| {
        c.rate_limits(RateLimits {
            orders_per_minute: NonZeroU32::new(12),
            ..RateLimits::KITE
        })
    })
    .await;
    sim.set_price("NSE:INFY", "1500");
    let order = "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS";
    for _ in 0..10 {
        sim.kite.place(order).await;
    }
    sim.kite
        .post("/orders/regular", order)
        .await
        .error(429, "NetworkException");
    // Reading the book is another class.
    sim.kite.get("/orders").await.data();
    sim.clock.set(common::NOW + time::Duration::seconds(1));
    sim.kite.place(order).await;
    sim.kite.place(order).await;
    // Twelve this minute: the minute cap holds although the second has room.
    sim.kite
        .post("/orders/regular", order)
        .await
        .error(429, "NetworkException");
    sim.clock.set(common::NOW + time::Duration::seconds(60));
    sim.kite.place(order).await;
    assert_eq!(sim.handle.orders().len(), 13);
}

#[tokio::test]
async fn other_endpoints_are_limited_to_ten_per_second() {
    let sim = TestSim::start_with("limits-other", |c| c.rate_limits(RateLimits::KITE)).await;
    for _ in 0..10 {
        sim.kite.get("/portfolio/holdings").await.data();
    }
    sim.kite
        .get("/user/margins")
        .await
        .error(429, "NetworkException");
    sim.handle.set_rate_limits(RateLimits::UNLIMITED);
    for _ in 0..50 {
        sim.kite.get("/user/margins").await.data();
    }
}

#[tokio::test]
async fn quotes_are_keyed_by_the_requested_text() {
    let sim = TestSim::start("limits-keys").await;
    sim.set_price("NSE:M&M", "2950.35");
    let data = sim
        .kite
        .get("/quote/ltp?i=NSE%3AM%26M&i=NSE:NIFTY%2050&i=NSE:NOPE&i=NFO:NIFTY26DEC24000CE")
        .await
        .data();
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["NFO:NIFTY26DEC24000CE", "NSE:M&M", "NSE:NIFTY 50"]);
    assert_eq!(data["NSE:M&M"]["last_price"], 2950.35);
    assert_eq!(data["NSE:M&M"]["instrument_token"], 519_937);
    assert_eq!(data["NSE:NIFTY 50"]["instrument_token"], 256_265);
}

#[tokio::test]
async fn full_quotes_report_the_day() {
    let sim = TestSim::start("limits-full").await;
    let open = sim.handle.price("NSE:INFY").unwrap();
    sim.set_price("NSE:INFY", "1500");
    sim.set_price("NSE:INFY", "1490.5");
    let quote = &sim.kite.get("/quote?i=NSE:INFY").await.data()["NSE:INFY"];
    assert_eq!(quote["last_price"], 1490.5);
    assert_eq!(quote["ohlc"]["open"], open.to_f64());
    assert_eq!(quote["ohlc"]["close"], open.to_f64());
    assert!(quote["ohlc"]["high"].as_f64().unwrap() >= 1500.0);
    assert_eq!(quote["timestamp"], "2026-11-24 09:30:00");
    assert_eq!(quote["depth"]["buy"].as_array().unwrap().len(), 5);
    assert_eq!(quote["depth"]["sell"].as_array().unwrap().len(), 5);
    assert_eq!(quote["depth"]["sell"][0]["price"], 1490.5);
}

#[tokio::test]
async fn quote_batches_have_kites_limits() {
    let sim = TestSim::start("limits-batches").await;
    let batch = |n: usize| -> String {
        (0..n)
            .map(|i| format!("i=NSE:SYM{i}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    sim.kite.get(&format!("/quote?{}", batch(500))).await.data();
    sim.kite
        .get(&format!("/quote?{}", batch(501)))
        .await
        .error(400, "InputException");
    for path in ["/quote/ohlc", "/quote/ltp"] {
        sim.kite
            .get(&format!("{path}?{}", batch(1000)))
            .await
            .data();
        sim.kite
            .get(&format!("{path}?{}", batch(1001)))
            .await
            .error(400, "InputException");
    }
    sim.kite.get("/quote").await.error(400, "InputException");
}
