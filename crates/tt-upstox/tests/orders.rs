//! Order calls over loopback HTTP: v3 bodies on the order host, sent exactly once, every way an
//! answer can fail to say what happened turned into an unknown outcome, the error map on order
//! calls, and the refusals that happen before anything is sent.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    CRUDE, CRUDE_KEY, OPTION, OPTION_KEY, RELIANCE_KEY, Scratch, UPSTOX_JSON, config, failure,
    log_in, order_row, parser, rt, setup, success, upstox_master,
};
use serde_json::Value;
use tt_core::{
    ClientTag, Error, Instrument, OrderChange, OrderId, OrderModification, OrderRequest,
    ProductType, Trading, Validity,
};
use tt_test_support::http::{Behaviour, Route, TestServer};
use tt_transport::HttpConfig;
use tt_upstox::Upstox;

const PLACED: &str =
    r#"{"status":"success","data":{"order_ids":["1644490272000"]},"metadata":{"latency":21}}"#;

fn reliance_order(tag: &str) -> OrderRequest {
    OrderRequest::buy("NSE:RELIANCE".parse().unwrap(), 10, ProductType::Cnc)
        .limit("2850.1".parse().unwrap())
        .tag(ClientTag::new(tag).unwrap())
        .build()
        .unwrap()
}

fn body(received: &tt_test_support::http::Received) -> Value {
    serde_json::from_str(&received.body).unwrap()
}

/// A client whose REST calls go to `api` and order calls to `orders`.
fn split_hosts(scratch: &Scratch, api: &TestServer, orders: &TestServer) -> Upstox {
    let master = upstox_master(&scratch.0);
    log_in(
        config(&api.url(""), master, &scratch.0)
            .order_root(orders.url(""))
            .rate_limited(false),
    )
}

#[test]
fn a_placement_goes_to_the_order_host_as_v3_json_without_slicing() {
    let scratch = Scratch::new("place");
    let api = TestServer::start([]);
    let orders = TestServer::start([("/v3/order/place", Route::ok(PLACED))]);
    let upstox = split_hosts(&scratch, &api, &orders);
    let id = rt()
        .block_on(upstox.place_order(&reliance_order("placed1")))
        .unwrap();
    assert_eq!(id.as_str(), "1644490272000");
    assert!(api.received().is_empty());
    let received = orders.received();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("POST", "/v3/order/place")
    );
    assert_eq!(call.header("api-version"), None, "v3 takes no Api-Version");
    assert_eq!(call.header("content-type"), Some("application/json"));
    assert_eq!(call.header("authorization"), Some("Bearer access-token"));
    let json = body(call);
    assert_eq!(json["instrument_token"], RELIANCE_KEY);
    assert_eq!(json["quantity"], 10);
    assert_eq!(json["product"], "D");
    assert_eq!(json["validity"], "DAY");
    assert_eq!(json["order_type"], "LIMIT");
    assert_eq!(json["transaction_type"], "BUY");
    assert_eq!(json["tag"], "placed1");
    assert_eq!(json["trigger_price"], 0);
    assert_eq!(json["disclosed_quantity"], 0);
    assert_eq!(json["is_amo"], false);
    assert_eq!(json["slice"], false);
    assert!(call.body.contains(r#""price":2850.1"#), "{}", call.body);
}

#[test]
fn a_sliced_placement_asks_for_slicing_and_returns_every_id() {
    let s = setup(
        "sliced",
        vec![(
            "/v3/order/place",
            Route::ok(
                r#"{"status":"success","data":{"order_ids":["1","2","3"]},"metadata":{"latency":40}}"#,
            ),
        )],
    );
    let order = OrderRequest::sell(OPTION.parse().unwrap(), 3000, ProductType::Nrml)
        .market()
        .after_market()
        .tag(ClientTag::new("big1").unwrap())
        .build()
        .unwrap();
    let ids = rt().block_on(s.upstox.place_order_sliced(&order)).unwrap();
    assert_eq!(
        ids.iter().map(OrderId::as_str).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    let json = body(&s.server.received()[0]);
    assert_eq!(json["slice"], true);
    assert_eq!(json["instrument_token"], OPTION_KEY);
    assert_eq!(json["transaction_type"], "SELL");
    assert_eq!(json["order_type"], "MARKET");
    assert_eq!(json["is_amo"], true);
    assert_eq!(json["price"], 0);
}

#[test]
fn an_mcx_quantity_goes_out_in_lots_and_a_part_lot_is_refused_before_sending() {
    let s = setup("mcx", vec![("/v3/order/place", Route::ok(PLACED))]);
    let crude: Instrument = CRUDE.parse().unwrap();
    let order = |quantity| {
        OrderRequest::buy(crude.clone(), quantity, ProductType::Nrml)
            .limit("6100".parse().unwrap())
            .build()
            .unwrap()
    };
    rt().block_on(s.upstox.place_order(&order(300))).unwrap();
    let json = body(&s.server.received()[0]);
    assert_eq!(json["instrument_token"], CRUDE_KEY);
    assert_eq!(json["quantity"], 3, "300 units are 3 lots of 100");
    let error = rt()
        .block_on(s.upstox.place_order(&order(150)))
        .unwrap_err();
    assert!(matches!(error, Error::InvalidOrder { .. }), "{error}");
    assert_eq!(s.server.received().len(), 1);
}

#[test]
fn every_failure_after_sending_is_an_unknown_outcome_and_is_sent_exactly_once() {
    let cases: Vec<(&str, Route)> = vec![
        (
            "timeout",
            Route::ok(PLACED).with(Behaviour::Stall(Duration::from_millis(800))),
        ),
        ("dropped", Route::ok(PLACED).with(Behaviour::Drop)),
        ("cut short", Route::ok(PLACED).with(Behaviour::CutShort)),
        (
            "5xx",
            Route::status(503, failure("UDAPI100500", "Service unavailable")),
        ),
        ("500 no body", Route::status(500, "")),
        ("malformed", Route::ok("{\"status\":\"succ")),
        (
            "no ids",
            Route::ok(r#"{"status":"success","data":{"order_ids":[]}}"#),
        ),
        ("no data", Route::ok(r#"{"status":"success","data":{}}"#)),
        (
            "empty id",
            Route::ok(r#"{"status":"success","data":{"order_ids":[""]}}"#),
        ),
        (
            "two ids",
            Route::ok(r#"{"status":"success","data":{"order_ids":["1","2"]}}"#),
        ),
    ];
    for (case, route) in cases {
        let scratch = Scratch::new("unknown");
        let server = TestServer::start([("/v3/order/place", route)]);
        let master = upstox_master(&scratch.0);
        let upstox = log_in(
            config(&server.url(""), master, &scratch.0)
                .http(HttpConfig {
                    response_timeout: Duration::from_millis(300),
                    ..HttpConfig::default()
                })
                .rate_limited(false),
        );
        let error = rt()
            .block_on(upstox.place_order(&reliance_order("lost1")))
            .unwrap_err();
        match &error {
            Error::OrderOutcomeUnknown { tag, .. } => assert_eq!(tag.as_str(), "lost1", "{case}"),
            other => panic!("{case}: {other}"),
        }
        assert!(!error.retryable(), "{case}");
        assert_eq!(server.received().len(), 1, "{case}: sent exactly once");
    }
}

#[test]
fn a_change_that_may_have_left_is_an_unknown_change_outcome() {
    for (case, route) in [
        ("dropped", Route::ok("").with(Behaviour::Drop)),
        ("5xx", Route::status(502, "bad gateway")),
        ("no id", Route::ok(r#"{"status":"success","data":{}}"#)),
    ] {
        let s = setup("unknown-change", vec![("/v3/order/cancel", route)]);
        let id = OrderId::new("240108010918222").unwrap();
        match rt().block_on(s.upstox.cancel_order(&id)).unwrap_err() {
            Error::OrderChangeOutcomeUnknown {
                order_id, change, ..
            } => {
                assert_eq!(order_id, id, "{case}");
                assert_eq!(change, OrderChange::Cancel, "{case}");
            }
            other => panic!("{case}: {other}"),
        }
        assert_eq!(s.server.received().len(), 1, "{case}");
    }
}

#[test]
fn a_lost_placement_is_found_again_by_its_tag_in_the_order_records() {
    let s = setup(
        "reconcile",
        vec![
            ("/v3/order/place", Route::ok("").with(Behaviour::Drop)),
            (
                "/v2/order/retrieve-all",
                Route::ok(success(&format!(
                    "[{}]",
                    order_row("240108010918222", "open")
                        .replace(r#""tag":"tt1""#, r#""tag":"lost2""#)
                ))),
            ),
        ],
    );
    let error = rt()
        .block_on(s.upstox.place_order(&reliance_order("lost2")))
        .unwrap_err();
    assert!(
        matches!(error, Error::OrderOutcomeUnknown { .. }),
        "{error}"
    );
    let records = rt().block_on(s.upstox.order_records()).unwrap();
    let found: Vec<_> = records
        .iter()
        .filter(|r| r.tag.as_deref() == Some("lost2"))
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id.as_str(), "240108010918222");
}

#[test]
fn modify_reads_the_order_then_sends_its_whole_terms_to_the_order_host() {
    let scratch = Scratch::new("modify");
    let current = order_row("240108010918222", "open");
    let api = TestServer::start([("/v2/order/details", Route::ok(success(&current)))]);
    let orders = TestServer::start([
        (
            "/v3/order/modify",
            Route::ok(
                r#"{"status":"success","data":{"order_id":"240108010918222"},"metadata":{"latency":15}}"#,
            ),
        ),
        (
            "/v3/order/cancel",
            Route::ok(
                r#"{"status":"success","data":{"order_id":"240108010918222"},"metadata":{"latency":9}}"#,
            ),
        ),
    ]);
    let upstox = split_hosts(&scratch, &api, &orders);
    let id = OrderId::new("240108010918222").unwrap();
    let change = OrderModification::new().price("2851.3".parse().unwrap());
    let modified = rt().block_on(upstox.modify_order(&id, &change)).unwrap();
    assert_eq!(modified, id);
    let read = api.received();
    assert_eq!(read[0].path, "/v2/order/details?order_id=240108010918222");
    let sent = orders.received();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v3/order/modify")
    );
    assert_eq!(sent[0].header("api-version"), None);
    let json = body(&sent[0]);
    assert_eq!(json["order_id"], "240108010918222");
    assert_eq!(json["order_type"], "LIMIT");
    assert_eq!(json["validity"], "DAY");
    assert_eq!(json["trigger_price"], 0);
    assert_eq!(json["disclosed_quantity"], 0);
    assert!(
        json.get("quantity").is_none(),
        "the quantity did not change"
    );
    assert!(
        sent[0].body.contains(r#""price":2851.3"#),
        "{}",
        sent[0].body
    );

    let cancelled = rt().block_on(upstox.cancel_order(&id)).unwrap();
    assert_eq!(cancelled, id);
    let sent = orders.received();
    assert_eq!(
        (sent[1].method.as_str(), sent[1].path.as_str()),
        ("DELETE", "/v3/order/cancel?order_id=240108010918222")
    );
    assert_eq!(sent[1].header("api-version"), None);
}

/// What an error must be.
type Expected = fn(&Error) -> bool;

#[test]
fn order_call_errors_map_and_are_not_retried() {
    let id = OrderId::new("240108010918222").unwrap();
    let cases: Vec<(&str, Route, Expected)> = vec![
        (
            "/v3/order/cancel",
            Route::status(404, failure("UDAPI100010", "Order not found")),
            |e| matches!(e, Error::OrderNotFound { .. }),
        ),
        (
            "/v3/order/cancel",
            Route::status(400, failure("UDAPI100040", "Order already cancelled")),
            |e| matches!(e, Error::Order { .. }),
        ),
        (
            "/v3/order/place",
            Route::status(400, failure("UDAPI1056", "Invalid order_type")),
            |e| matches!(e, Error::InvalidOrder { .. }),
        ),
        (
            "/v3/order/place",
            Route::status(429, failure("UDAPI10005", "Too Many Request Sent")),
            |e| matches!(e, Error::RateLimited { .. }),
        ),
        (
            "/v3/order/place",
            Route::status(
                400,
                failure(
                    "UDAPI100500",
                    "Intraday (I) orders are not allowed on this scrip",
                ),
            ),
            |e| matches!(e, Error::Broker { code, .. } if code == "UDAPI100500"),
        ),
    ];
    for (path, route, expected) in cases {
        let s = setup("order-errors", vec![(path, route)]);
        let error = if path == "/v3/order/cancel" {
            rt().block_on(s.upstox.cancel_order(&id)).unwrap_err()
        } else {
            rt().block_on(s.upstox.place_order(&reliance_order("err1")))
                .unwrap_err()
        };
        assert!(expected(&error), "{path}: {error}");
        assert_eq!(s.server.received().len(), 1, "{path}: {error}");
    }
}

#[test]
fn refusals_happen_before_anything_is_sent() {
    let s = setup("refusals", vec![("/v3/order/place", Route::ok(PLACED))]);
    let reliance: Instrument = "NSE:RELIANCE".parse().unwrap();
    let option: Instrument = OPTION.parse().unwrap();
    let off_tick = OrderRequest::buy(reliance.clone(), 1, ProductType::Cnc)
        .limit("2850.05".parse().unwrap())
        .build()
        .unwrap();
    let ttl = OrderRequest::buy(reliance.clone(), 1, ProductType::Cnc)
        .limit("2850.1".parse().unwrap())
        .validity(Validity::Ttl {
            minutes: std::num::NonZeroU16::new(5).unwrap(),
        })
        .build()
        .unwrap();
    let cnc_option = OrderRequest::buy(option.clone(), 75, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let nrml_equity = OrderRequest::buy(reliance, 1, ProductType::Nrml)
        .market()
        .build()
        .unwrap();
    let rt = rt();
    match rt.block_on(s.upstox.place_order(&off_tick)).unwrap_err() {
        Error::InvalidOrder { reason, .. } => {
            assert!(reason.to_string().contains("0.1"), "{reason}")
        }
        other => panic!("{other}"),
    }
    for order in [&ttl, &cnc_option, &nrml_equity] {
        let error = rt.block_on(s.upstox.place_order(order)).unwrap_err();
        assert!(matches!(error, Error::UnsupportedFeature { .. }), "{error}");
    }
    // A modification the capability matrix refuses never reads the order either.
    let id = OrderId::new("1").unwrap();
    let change = OrderModification::new().validity(Validity::Ttl {
        minutes: std::num::NonZeroU16::new(5).unwrap(),
    });
    let error = rt
        .block_on(s.upstox.modify_order(&id, &change))
        .unwrap_err();
    assert!(matches!(error, Error::UnsupportedFeature { .. }), "{error}");
    assert!(s.server.received().is_empty());
}

/// Kite lists the option with a lot of 65, Upstox with 75.
const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,2026-12-29,24000,0.05,65,CE,NFO-OPT,NFO
";

#[test]
fn an_order_is_checked_against_upstoxs_own_lot_not_another_brokers() {
    let scratch = Scratch::new("own-terms");
    let kite = tt_zerodha::Zerodha::new(tt_zerodha::ZerodhaConfig::new("", ""));
    let master = common::master(&scratch.0, &[(&kite, KITE_CSV), (&parser(), UPSTOX_JSON)]);
    let server = TestServer::start([("/v3/order/place", Route::ok(PLACED))]);
    let upstox = log_in(config(&server.url(""), master, &scratch.0).rate_limited(false));
    let option: Instrument = OPTION.parse().unwrap();
    let order = |quantity| {
        OrderRequest::buy(option.clone(), quantity, ProductType::Nrml)
            .limit("101.05".parse().unwrap())
            .build()
            .unwrap()
    };
    // 65 is Kite's lot, not Upstox's: refused here.
    let error = rt().block_on(upstox.place_order(&order(65))).unwrap_err();
    assert!(error.to_string().contains("lot size 75"), "{error}");
    assert!(server.received().is_empty());
    rt().block_on(upstox.place_order(&order(150))).unwrap();
    assert_eq!(body(&server.received()[0])["quantity"], 150);
}
