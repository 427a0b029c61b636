//! Upstox's rate limits: orders (place, modify, cancel in one bucket) 10/s, 500/min, 2000 per
//! half hour; standard APIs 50/s, 500/min, 2000 per half hour; HTTP 429 with `UDAPI10005`. Each
//! broker counts apart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::num::NonZeroU32;

use common::{BothSim, NOW};
use time::Duration;
use tt_sim::{RateLimits, SimBroker};

const ORDER: &str = r#"{"instrument_token":"NSE_EQ|INE009A01021","quantity":1,"product":"I","validity":"DAY","price":0,"order_type":"MARKET","transaction_type":"BUY","disclosed_quantity":0,"trigger_price":0,"is_amo":false}"#;

async fn upstox_limited(name: &str, limits: RateLimits) -> BothSim {
    BothSim::start_with(name, |c| c.rate_limits_for(SimBroker::Upstox, limits)).await
}

#[tokio::test]
async fn place_modify_and_cancel_share_ten_a_second() {
    let sim = upstox_limited("upstox-limits-orders", RateLimits::UPSTOX).await;
    sim.set_price("NSE:INFY", "1500");
    let mut ids = Vec::new();
    for _ in 0..9 {
        ids.push(sim.upstox.place_one(ORDER).await);
    }
    // The tenth order call is a cancel: same bucket.
    sim.upstox
        .call(
            "DELETE",
            &format!("/v3/order/cancel?order_id={}", ids[0]),
            "",
        )
        .await
        .upstox_error(400, "UDAPI100040");
    sim.upstox
        .call("POST", "/v3/order/place", ORDER)
        .await
        .upstox_error(429, "UDAPI10005");
    // Standard APIs have their own budget; Kite has its own limiter.
    sim.upstox.get("/v2/order/retrieve-all").await.data();
    sim.kite.get("/orders").await.data();
    sim.clock.set(NOW + Duration::seconds(1));
    sim.upstox.place_one(ORDER).await;
}

#[tokio::test]
async fn each_standard_api_has_its_own_per_second_and_per_minute_caps() {
    let sim = upstox_limited(
        "upstox-limits-standard",
        RateLimits {
            other_per_minute: NonZeroU32::new(60),
            ..RateLimits::UPSTOX
        },
    )
    .await;
    for _ in 0..50 {
        sim.upstox.get("/v2/user/profile").await.data();
    }
    sim.upstox
        .get("/v2/user/profile")
        .await
        .upstox_error(429, "UDAPI10005");
    // Upstox counts per API: another standard API still has its fifty.
    let ltp = "/v2/market-quote/ltp?instrument_key=NSE_EQ%7CINE009A01021";
    for _ in 0..50 {
        sim.upstox.get(ltp).await.data();
    }
    sim.upstox.get(ltp).await.upstox_error(429, "UDAPI10005");
    sim.clock.set(NOW + Duration::seconds(1));
    for _ in 0..10 {
        sim.upstox.get("/v2/user/profile").await.data();
    }
    // Sixty this minute.
    sim.upstox
        .get("/v2/user/profile")
        .await
        .upstox_error(429, "UDAPI10005");
    sim.clock.set(NOW + Duration::seconds(60));
    sim.upstox.get("/v2/user/profile").await.data();
}

#[tokio::test]
async fn orders_have_a_half_hour_cap() {
    let sim = upstox_limited(
        "upstox-limits-half-hour",
        RateLimits {
            orders_per_30_minutes: NonZeroU32::new(3),
            ..RateLimits::UPSTOX
        },
    )
    .await;
    sim.set_price("NSE:INFY", "1500");
    // 09:30 IST opens a half hour.
    for minute in 0..3 {
        sim.clock.set(NOW + Duration::minutes(minute * 5));
        sim.upstox.place_one(ORDER).await;
    }
    sim.clock.set(NOW + Duration::minutes(29));
    sim.upstox
        .call("POST", "/v3/order/place", ORDER)
        .await
        .upstox_error(429, "UDAPI10005");
    sim.clock.set(NOW + Duration::minutes(30));
    sim.upstox.place_one(ORDER).await;
}

#[tokio::test]
async fn the_login_dialog_and_instrument_files_are_not_counted() {
    let sim = upstox_limited(
        "upstox-limits-public",
        RateLimits {
            other_per_second: NonZeroU32::new(1),
            ..RateLimits::UPSTOX
        },
    )
    .await;
    for _ in 0..3 {
        let answer = common::instrument_file(sim.handle.addr(), "complete.json.gz").await;
        assert_eq!(answer.status, 200);
    }
    sim.upstox.get("/v2/user/profile").await.data();
    sim.upstox
        .get("/v2/user/profile")
        .await
        .upstox_error(429, "UDAPI10005");
    sim.handle
        .set_rate_limits_for(SimBroker::Upstox, RateLimits::UNLIMITED);
    for _ in 0..5 {
        sim.upstox.get("/v2/user/profile").await.data();
    }
}
