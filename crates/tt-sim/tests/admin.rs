//! The admin endpoints under `/__sim/`, and the saved state a restarted simulator continues.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{BothSim, Kite, TestSim, UpstoxClient, send};
use serde_json::json;
use tt_core::ManualClock;
use tt_sim::{RateLimits, SimConfig, SimError, Simulator, state_path_for};

async fn admin(sim: &TestSim, method: &str, path: &str, body: &str) -> common::Response {
    sim.admin(method, path, body).await
}

#[tokio::test]
async fn prices_set_through_the_admin_endpoint_fill_orders() {
    let sim = TestSim::start("admin-prices").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1400&quantity=1&product=MIS")
        .await;
    admin(
        &sim,
        "POST",
        "/__sim/prices",
        r#"{"instrument":"NSE:INFY","price":1399.95}"#,
    )
    .await
    .data();
    assert_eq!(sim.kite.order(&id).await["status"], "COMPLETE");
    admin(
        &sim,
        "POST",
        "/__sim/prices",
        r#"[{"instrument":"NSE:SBIN","price":"801.1"},{"instrument":"NFO:NIFTY:2026-12-29:FUT","price":24000}]"#,
    )
    .await
    .data();
    let ltp = sim
        .kite
        .get("/quote/ltp?i=NSE:SBIN&i=NFO:NIFTY26DECFUT")
        .await
        .data();
    assert_eq!(ltp["NSE:SBIN"]["last_price"], 801.1);
    assert_eq!(ltp["NFO:NIFTY26DECFUT"]["last_price"], 24000);
    for bad in [
        r#"{"instrument":"NSE:NOPE","price":1}"#,
        r#"{"instrument":"NSE:INFY","price":1.03}"#,
        r#"{"instrument":"NSE:INFY","price":-5}"#,
        r#"{"instrument":"NSE:INFY"}"#,
    ] {
        admin(&sim, "POST", "/__sim/prices", bad)
            .await
            .error(400, "InputException");
    }
}

#[tokio::test]
async fn the_book_lists_every_order_with_its_tag() {
    let sim = TestSim::start("admin-orders").await;
    for tag in ["a1", "a1", "b2"] {
        sim.kite
            .place(&format!("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS&tag={tag}"))
            .await;
    }
    let book = admin(&sim, "GET", "/__sim/orders", "").await.data();
    let tags: Vec<&str> = book
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["a1", "a1", "b2"]);
    let listed: Vec<Option<String>> = sim.handle.orders().into_iter().map(|o| o.tag).collect();
    assert_eq!(
        listed,
        [Some("a1".into()), Some("a1".into()), Some("b2".into())]
    );
}

#[tokio::test]
async fn reset_restores_a_fresh_account_but_keeps_sessions() {
    let sim = TestSim::start("admin-reset").await;
    sim.set_price("NSE:INFY", "1500");
    sim.kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS")
        .await;
    admin(&sim, "POST", "/__sim/reset", "").await.data();
    assert_eq!(sim.kite.get("/orders").await.data(), json!([]));
    assert_eq!(
        sim.kite
            .get("/portfolio/holdings")
            .await
            .data()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_ne!(sim.handle.price("NSE:INFY").unwrap().to_string(), "1500");
}

#[tokio::test]
async fn sessions_market_open_and_rate_limits_are_steerable() {
    let sim = TestSim::start("admin-misc").await;
    let session = admin(&sim, "POST", "/__sim/session", "").await.data();
    let kite = Kite {
        access_token: session["access_token"].as_str().unwrap().to_owned(),
        ..sim.kite.clone()
    };
    kite.get("/user/profile").await.data();

    let answer = kite
        .post("/orders/amo", "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS")
        .await
        .data();
    let id = answer["order_id"].as_str().unwrap();
    admin(&sim, "POST", "/__sim/market/open", "").await.data();
    assert_eq!(kite.order(id).await["status"], "COMPLETE");

    admin(
        &sim,
        "PUT",
        "/__sim/rate_limits",
        r#"{"preset":"kite","other_per_second":1}"#,
    )
    .await
    .data();
    kite.get("/user/profile").await.data();
    kite.get("/user/profile")
        .await
        .error(429, "NetworkException");
    admin(
        &sim,
        "PUT",
        "/__sim/rate_limits",
        r#"{"preset":"unlimited"}"#,
    )
    .await
    .data();
    kite.get("/user/profile").await.data();

    admin(&sim, "GET", "/__sim/nothing", "")
        .await
        .error(404, "GeneralException");
}

#[tokio::test]
async fn sessions_orders_and_rate_limits_are_steerable_at_upstox_too() {
    let sim = BothSim::start("admin-upstox").await;
    let admin = |method: &'static str, path: &'static str, body: &'static str| {
        common::admin_call(
            sim.handle.addr(),
            sim.handle.admin_token().expose(),
            method,
            path,
            body,
        )
    };
    // A session at Upstox, by query or by body: its token is a Bearer token there, not at Kite.
    for (path, body) in [
        ("/__sim/session?broker=upstox", ""),
        ("/__sim/session", r#"{"broker":"upstox"}"#),
    ] {
        let session = admin("POST", path, body).await.data();
        assert_eq!(session["user_id"], "TT0001");
        let upstox = UpstoxClient {
            addr: sim.handle.addr(),
            access_token: session["access_token"].as_str().unwrap().to_owned(),
        };
        upstox.get("/v2/user/profile").await.data();
        Kite {
            access_token: upstox.access_token.clone(),
            ..sim.kite.clone()
        }
        .get("/user/profile")
        .await
        .error(403, "TokenException");
    }

    // Each broker's book in its own shape.
    let order = r#"{"instrument_token":"NSE_EQ|INE009A01021","quantity":1,"product":"I","validity":"DAY","price":0,"tag":"up1","order_type":"MARKET","transaction_type":"BUY","disclosed_quantity":0,"trigger_price":0,"is_amo":false}"#;
    let id = sim.upstox.place_one(order).await;
    let book = admin("GET", "/__sim/orders?broker=upstox", "").await.data();
    assert_eq!(book[0]["order_id"], id.as_str());
    assert_eq!(book[0]["tag"], "up1");
    assert_eq!(book[0]["status"], "complete");
    assert_eq!(book[0]["trading_symbol"], "INFY");
    assert_eq!(admin("GET", "/__sim/orders", "").await.data(), json!([]));

    // One broker's limits change; the other's stay.
    admin(
        "PUT",
        "/__sim/rate_limits",
        r#"{"broker":"upstox","other_per_second":1}"#,
    )
    .await
    .data();
    sim.upstox.get("/v2/user/profile").await.data();
    sim.upstox
        .get("/v2/user/profile")
        .await
        .upstox_error(429, "UDAPI10005");
    for _ in 0..3 {
        sim.kite.get("/user/profile").await.data();
    }
    admin(
        "PUT",
        "/__sim/rate_limits?broker=upstox",
        r#"{"preset":"unlimited"}"#,
    )
    .await
    .data();
    sim.upstox.get("/v2/user/profile").await.data();

    // Brokers it does not know, or two at once, are refused.
    for (method, path, body) in [
        ("POST", "/__sim/session?broker=zerodha", ""),
        ("GET", "/__sim/orders?broker=UPSTOX", ""),
        (
            "POST",
            "/__sim/session?broker=kite",
            r#"{"broker":"upstox"}"#,
        ),
        ("PUT", "/__sim/rate_limits", r#"{"preset":"nse"}"#),
        ("POST", "/__sim/session", r#"{"user":"someone"}"#),
    ] {
        admin(method, path, body).await.error(400, "InputException");
    }
}

#[tokio::test]
async fn a_restarted_simulator_continues_the_account() {
    let dir = common::TempDir::new("admin-restart");
    let master = common::build(&dir.path("instruments.db"), common::KITE_CSV);
    let state = state_path_for(&dir.path("instruments.db"));
    let clock = Arc::new(ManualClock::new(common::NOW));
    let config = SimConfig::new(master)
        .rate_limits(RateLimits::UNLIMITED)
        .clock(clock.clone())
        .state_file(&state);

    let first = Simulator::start(config.clone()).await.unwrap();
    let access_token = first.open_session();
    first
        .set_price("NSE:INFY", "1500".parse().unwrap())
        .unwrap();
    let kite = Kite {
        addr: first.addr(),
        api_key: first.app().api_key.clone(),
        access_token: access_token.clone(),
    };
    let filled = kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=5&product=CNC&tag=keep")
        .await;
    let open = kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1400&quantity=1&product=MIS")
        .await;
    let margins_before = kite.get("/user/margins").await.data();
    first.shutdown().await;
    assert!(state.exists());
    #[cfg(unix)]
    {
        // It holds the session's access token.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let second = Simulator::start(config).await.unwrap();
    let kite = Kite {
        addr: second.addr(),
        ..kite
    };
    // The session, the orders, the price, the margins: all continue.
    assert_eq!(kite.order(&filled).await["tag"], "keep");
    assert_eq!(kite.order(&open).await["status"], "OPEN");
    assert_eq!(second.price("NSE:INFY").unwrap().to_string(), "1500");
    assert_eq!(kite.get("/user/margins").await.data(), margins_before);
    second
        .set_price("NSE:INFY", "1390".parse().unwrap())
        .unwrap();
    assert_eq!(kite.order(&open).await["status"], "COMPLETE");
    let next = kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS")
        .await;
    assert_ne!(next, filled);
    assert_ne!(next, open);
    drop(second);

    std::fs::write(&state, "{not json").unwrap();
    let master = common::build(&dir.path("instruments.db"), common::KITE_CSV);
    let broken = SimConfig::new(master).state_file(&state);
    assert!(matches!(
        Simulator::start(broken).await.unwrap_err(),
        SimError::State { .. }
    ));
}

#[tokio::test]
async fn only_loopback_addresses_are_served() {
    let dir = common::TempDir::new("admin-loopback");
    let master = common::build(&dir.path("instruments.db"), common::KITE_CSV);
    let config = SimConfig::new(master).addr("0.0.0.0:0".parse().unwrap());
    assert!(matches!(
        Simulator::start(config).await.unwrap_err(),
        SimError::NotLoopback(_)
    ));
}

#[tokio::test]
async fn admin_calls_need_the_runs_admin_token_and_json_bodies() {
    let sim = TestSim::start("admin-token").await;
    let addr = sim.handle.addr();
    let token = sim.handle.admin_token().expose().to_owned();
    assert!(token.len() >= 32, "a random token per run");
    let other = TestSim::start("admin-token-other").await;
    assert_ne!(other.handle.admin_token().expose(), token);

    // No token, or another run's: refused, before anything is done.
    sim.set_price("NSE:INFY", "1500");
    let body = r#"{"instrument":"NSE:INFY","price":1600}"#;
    let json = ("Content-Type", "application/json");
    let refused = send(addr, "POST", "/__sim/prices", &[json], body)
        .await
        .unwrap();
    let message = refused.error(401, "TokenException");
    assert!(message.contains("X-Sim-Admin-Token"), "{message}");
    let wrong = other.handle.admin_token().expose().to_owned();
    let refused = send(
        addr,
        "POST",
        "/__sim/reset",
        &[("X-Sim-Admin-Token", wrong.as_str())],
        "",
    )
    .await
    .unwrap();
    let message = refused.error(401, "TokenException");
    assert!(
        !message.contains(&token) && !message.contains(&wrong),
        "{message}"
    );
    assert_eq!(sim.handle.price("NSE:INFY").unwrap().to_string(), "1500");

    // A browser's simple cross-site POST (a form body, no custom header) cannot pass, and
    // neither can a form body with the token: bodies are JSON only.
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    send(addr, "POST", "/__sim/reset", &[form], "a=1")
        .await
        .unwrap()
        .error(401, "TokenException");
    send(
        addr,
        "POST",
        "/__sim/prices",
        &[("X-Sim-Admin-Token", token.as_str()), form],
        body,
    )
    .await
    .unwrap()
    .error(415, "InputException");
    // A preflight gets no CORS grant.
    let preflight = send(
        addr,
        "OPTIONS",
        "/__sim/reset",
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "x-sim-admin-token"),
        ],
        "",
    )
    .await
    .unwrap();
    assert_eq!(preflight.status, 405);
    assert!(
        preflight
            .headers
            .iter()
            .all(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-")),
        "{:?}",
        preflight.headers
    );
    assert_eq!(sim.handle.price("NSE:INFY").unwrap().to_string(), "1500");

    // With the token and a JSON body it goes through.
    sim.admin("POST", "/__sim/prices", body).await.data();
    assert_eq!(sim.handle.price("NSE:INFY").unwrap().to_string(), "1600");
}

#[tokio::test]
async fn a_configured_admin_token_is_the_one_required() {
    let sim = TestSim::start_with("admin-token-set", |c| c.admin_token("let-me-in")).await;
    assert_eq!(sim.handle.admin_token().expose(), "let-me-in");
    common::admin_call(
        sim.handle.addr(),
        "let-me-in",
        "DELETE",
        "/__sim/faults",
        "",
    )
    .await
    .data();
}
