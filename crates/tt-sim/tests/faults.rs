//! Injected faults: which act before processing (nothing happened) and which after (the order
//! is in the book although the client saw no good answer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{TestSim, send};
use http::StatusCode;
use tt_sim::{Fault, FaultTarget};

const PLACE: &str = "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS&tag=fault1";

fn place_target() -> FaultTarget {
    "POST /orders/regular".parse().unwrap()
}

async fn place_raw(sim: &TestSim) -> std::io::Result<common::Response> {
    let auth = format!("token {}:{}", sim.kite.api_key, sim.kite.access_token);
    send(
        sim.handle.addr(),
        "POST",
        "/orders/regular",
        &[("X-Kite-Version", "3"), ("Authorization", &auth)],
        PLACE,
    )
    .await
}

#[tokio::test]
async fn status_fault_answers_before_processing() {
    let sim = TestSim::start("fault-status").await;
    sim.handle.inject(
        place_target(),
        Fault::Status {
            status: StatusCode::BAD_GATEWAY,
            error_type: "NetworkException".into(),
            message: "OMS down".into(),
        },
        1,
    );
    let answer = place_raw(&sim).await.unwrap();
    assert_eq!(answer.error(502, "NetworkException"), "OMS down");
    assert!(sim.handle.orders().is_empty());
    // Used up: the next call goes through.
    place_raw(&sim).await.unwrap().data();
    assert_eq!(sim.handle.orders().len(), 1);
}

#[tokio::test]
async fn processed_then_status_fault_answers_an_error_after_processing() {
    let sim = TestSim::start("fault-processed-5xx").await;
    sim.handle.inject(
        place_target(),
        Fault::ProcessedThenStatus {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error_type: "NetworkException".into(),
            message: "gateway timed out".into(),
        },
        1,
    );
    let answer = place_raw(&sim).await.unwrap();
    assert_eq!(answer.error(503, "NetworkException"), "gateway timed out");
    // The order went through behind the error.
    let orders = sim.handle.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].tag.as_deref(), Some("fault1"));
}

#[tokio::test]
async fn processed_then_status_faults_can_be_injected_through_the_admin_endpoint() {
    let sim = TestSim::start("fault-admin-processed").await;
    let body = r#"{"method":"POST","path":"/orders/regular","fault":{"kind":"processed_then_status","status":500},"times":1}"#;
    sim.admin("POST", "/__sim/faults", body).await.data();
    place_raw(&sim)
        .await
        .unwrap()
        .error(500, "NetworkException");
    assert_eq!(sim.handle.orders().len(), 1);
}

#[tokio::test]
async fn delay_fault_answers_late_after_processing() {
    let sim = TestSim::start("fault-delay").await;
    sim.handle
        .inject(place_target(), Fault::Delay(Duration::from_millis(300)), 1);
    let started = Instant::now();
    let pending = tokio::spawn({
        let kite = sim.kite.clone();
        async move { kite.place(PLACE).await }
    });
    // While the client still waits, the order is already in the book.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.handle.orders().len(), 1);
    let id = pending.await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sim.handle.orders()[0].order_id, id);
}

#[tokio::test]
async fn drop_fault_closes_the_connection_after_processing() {
    let sim = TestSim::start("fault-drop").await;
    sim.handle.inject(place_target(), Fault::Drop, 1);
    let error = place_raw(&sim).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    let orders = sim.handle.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].tag.as_deref(), Some("fault1"));
    assert_eq!(orders[0].status, "COMPLETE");
}

#[tokio::test]
async fn malformed_fault_cuts_the_body_after_processing() {
    let sim = TestSim::start("fault-malformed").await;
    sim.handle.inject(place_target(), Fault::Malformed, 1);
    let answer = place_raw(&sim).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_err());
    assert!(answer.text().starts_with("{\"status\":\"success\""));
    assert_eq!(sim.handle.orders().len(), 1);
}

#[tokio::test]
async fn faults_apply_only_to_their_calls_and_count_down() {
    let sim = TestSim::start("fault-count").await;
    sim.handle
        .inject("PUT /orders/regular/*".parse().unwrap(), Fault::Drop, 2);
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1000&quantity=1&product=MIS")
        .await;
    let auth = format!("token {}:{}", sim.kite.api_key, sim.kite.access_token);
    let headers = [("X-Kite-Version", "3"), ("Authorization", auth.as_str())];
    let target = format!("/orders/regular/{id}");
    for price in ["1001", "1002"] {
        let form = format!("price={price}");
        assert!(
            send(sim.handle.addr(), "PUT", &target, &headers, &form)
                .await
                .is_err()
        );
    }
    // Both modifications happened although neither was answered.
    assert_eq!(sim.kite.order(&id).await["price"], 1002);
    sim.kite.put(&target, "price=1003").await.data();
}

#[tokio::test]
async fn faults_can_be_injected_through_the_admin_endpoint() {
    let sim = TestSim::start("fault-admin").await;
    let body = r#"{"method":"POST","path":"/orders/regular","fault":{"kind":"status","status":503,"error_type":"NetworkException","message":"busy"},"times":1}"#;
    let injected = sim.admin("POST", "/__sim/faults", body).await;
    assert_eq!(injected.data(), serde_json::json!(true));
    assert_eq!(
        place_raw(&sim)
            .await
            .unwrap()
            .error(503, "NetworkException"),
        "busy"
    );

    let body = r#"{"method":"POST","path":"/orders/regular","fault":{"kind":"delay","millis":5000},"times":3}"#;
    sim.admin("POST", "/__sim/faults", body).await.data();
    sim.admin("DELETE", "/__sim/faults", "").await.data();
    let started = Instant::now();
    place_raw(&sim).await.unwrap().data();
    assert!(started.elapsed() < Duration::from_secs(2));

    let bad = r#"{"method":"POST","path":"/orders/regular","fault":{"kind":"explode"}}"#;
    sim.admin("POST", "/__sim/faults", bad)
        .await
        .error(400, "InputException");
}
