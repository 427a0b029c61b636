//! Injected faults on Upstox's paths: a status fault answers Upstox's error body before
//! processing; the others act after it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::BothSim;
use http::StatusCode;
use tt_sim::{Fault, FaultTarget, SimBroker};

const ORDER: &str = r#"{"instrument_token":"NSE_EQ|INE009A01021","quantity":1,"product":"I","validity":"DAY","price":0,"tag":"f1","order_type":"MARKET","transaction_type":"BUY","disclosed_quantity":0,"trigger_price":0,"is_amo":false}"#;

fn place() -> FaultTarget {
    "POST /v3/order/place".parse().unwrap()
}

#[tokio::test]
async fn a_status_fault_answers_upstoxs_error_body_before_processing() {
    let sim = BothSim::start("upstox-fault-status").await;
    sim.handle.inject(
        place(),
        Fault::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error_type: "UDAPI100500".into(),
            message: "OMS down".into(),
        },
        1,
    );
    let error = sim
        .upstox
        .call("POST", "/v3/order/place", ORDER)
        .await
        .upstox_error(503, "UDAPI100500");
    assert_eq!(error["message"], "OMS down");
    assert!(sim.handle.orders_of(SimBroker::Upstox).is_empty());
    sim.upstox.place_one(ORDER).await;
}

#[tokio::test]
async fn a_kite_style_error_type_becomes_upstoxs_generic_code() {
    let sim = BothSim::start("upstox-fault-generic").await;
    sim.handle.inject(
        "GET /v2/order/retrieve-all".parse().unwrap(),
        Fault::Status {
            status: StatusCode::BAD_GATEWAY,
            error_type: "NetworkException".into(),
            message: "gateway".into(),
        },
        1,
    );
    sim.upstox
        .get("/v2/order/retrieve-all")
        .await
        .upstox_error(502, "UDAPI100500");
    // The Kite side is untouched by an Upstox fault.
    sim.kite.get("/orders").await.data();
}

#[tokio::test]
async fn processed_then_status_places_the_order_behind_the_error() {
    let sim = BothSim::start("upstox-fault-processed").await;
    sim.handle.inject(
        place(),
        Fault::ProcessedThenStatus {
            status: StatusCode::GATEWAY_TIMEOUT,
            error_type: "UDAPI100500".into(),
            message: "timed out".into(),
        },
        1,
    );
    sim.upstox
        .call("POST", "/v3/order/place", ORDER)
        .await
        .upstox_error(504, "UDAPI100500");
    let orders = sim.handle.orders_of(SimBroker::Upstox);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].tag.as_deref(), Some("f1"));
    assert!(sim.handle.orders().is_empty());
}

#[tokio::test]
async fn drop_and_malformed_act_after_processing() {
    let sim = BothSim::start("upstox-fault-drop").await;
    sim.handle.inject(place(), Fault::Drop, 1);
    let auth = format!("Bearer {}", sim.upstox.access_token);
    let error = common::send_json(
        sim.handle.addr(),
        "POST",
        "/v3/order/place",
        &[("Authorization", &auth)],
        ORDER,
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(sim.handle.orders_of(SimBroker::Upstox).len(), 1);

    sim.handle.inject(place(), Fault::Malformed, 1);
    let answer = sim.upstox.call("POST", "/v3/order/place", ORDER).await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_err());
    assert_eq!(sim.handle.orders_of(SimBroker::Upstox).len(), 2);
}

#[tokio::test]
async fn upstox_faults_can_be_injected_through_the_admin_endpoint() {
    let sim = BothSim::start("upstox-fault-admin").await;
    let body = r#"{"method":"DELETE","path":"/v3/order/cancel","fault":{"kind":"status","status":500,"error_type":"UDAPI100500","message":"busy"},"times":1}"#;
    common::admin_call(
        sim.handle.addr(),
        sim.handle.admin_token().expose(),
        "POST",
        "/__sim/faults",
        body,
    )
    .await
    .data();
    let error = sim
        .upstox
        .call("DELETE", "/v3/order/cancel?order_id=1", "")
        .await
        .upstox_error(500, "UDAPI100500");
    assert_eq!(error["message"], "busy");
}
