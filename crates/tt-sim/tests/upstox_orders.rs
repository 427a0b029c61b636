//! Upstox orders against the simulator: v3 and v2 placement, slicing, modification,
//! cancellation, details, history and trades, the error codes of bad requests, and the
//! isolation of the two brokers' books over one shared market.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::BothSim;
use serde_json::{Value, json};
use tt_sim::SimBroker;

fn order(fields: Value) -> String {
    let mut body = json!({
        "instrument_token": "NSE_EQ|INE009A01021",
        "quantity": 1,
        "product": "I",
        "validity": "DAY",
        "price": 0,
        "tag": "t1",
        "order_type": "MARKET",
        "transaction_type": "BUY",
        "disclosed_quantity": 0,
        "trigger_price": 0,
        "is_amo": false,
    });
    for (key, value) in fields.as_object().unwrap() {
        body[key] = value.clone();
    }
    body.to_string()
}

#[tokio::test]
async fn a_v3_market_order_fills_at_the_last_price() {
    let sim = BothSim::start("upstox-orders-market").await;
    sim.set_price("NSE_EQ|INE009A01021", "1500");
    let answer = sim
        .upstox
        .call("POST", "/v3/order/place", &order(json!({})))
        .await;
    let json = answer.json();
    assert!(json["metadata"]["latency"].is_u64(), "{json}");
    let id = json["data"]["order_ids"][0].as_str().unwrap().to_owned();
    let state = sim.upstox.order(&id).await;
    assert_eq!(state["status"], "complete");
    assert_eq!(state["average_price"], 1500);
    assert_eq!(state["filled_quantity"], 1);
    assert_eq!(state["exchange"], "NSE");
    assert_eq!(state["product"], "I");
    assert_eq!(state["instrument_token"], "NSE_EQ|INE009A01021");
    assert_eq!(state["trading_symbol"], "INFY");
    assert_eq!(state["tag"], "t1");
    assert_eq!(state["is_amo"], false);
    assert_eq!(state["order_timestamp"], "2026-11-24 09:30:00");
    for key in [
        "price",
        "quantity",
        "guid",
        "placed_by",
        "tradingsymbol",
        "order_type",
        "validity",
        "trigger_price",
        "disclosed_quantity",
        "transaction_type",
        "pending_quantity",
        "status_message",
        "status_message_raw",
        "exchange_order_id",
        "parent_order_id",
        "order_id",
        "variety",
        "exchange_timestamp",
        "order_request_id",
        "order_ref_id",
    ] {
        assert!(state.get(key).is_some(), "{key}: {state}");
    }
    assert_eq!(
        sim.upstox.statuses(&id).await,
        [
            "put order req received",
            "validation pending",
            "open pending",
            "open",
            "complete"
        ]
    );
    let trades = sim
        .upstox
        .get(&format!("/v2/order/trades?order_id={id}"))
        .await
        .data();
    assert_eq!(trades[0]["average_price"], 1500);
    assert_eq!(trades[0]["instrument_token"], "NSE_EQ|INE009A01021");
    let day = sim
        .upstox
        .get("/v2/order/trades/get-trades-for-day")
        .await
        .data();
    assert_eq!(day.as_array().unwrap().len(), 1);
    let book = sim.upstox.get("/v2/order/retrieve-all").await.data();
    assert_eq!(book.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn v2_place_modify_and_cancel_answer_one_order_id() {
    let sim = BothSim::start("upstox-orders-v2").await;
    sim.set_price("NSE_EQ|INE009A01021", "1500");
    let placed = sim
        .upstox
        .call(
            "POST",
            "/v2/order/place",
            &order(json!({"order_type": "LIMIT", "price": 1400})),
        )
        .await
        .json();
    assert!(placed.get("metadata").is_none(), "{placed}");
    let id = placed["data"]["order_id"].as_str().unwrap().to_owned();
    assert_eq!(sim.upstox.order(&id).await["status"], "open");
    let modified = sim
        .upstox
        .call(
            "PUT",
            "/v2/order/modify",
            &json!({"order_id": id, "price": 1410.5, "validity": "DAY", "order_type": "LIMIT", "quantity": 2, "disclosed_quantity": 0, "trigger_price": 0}).to_string(),
        )
        .await
        .data();
    assert_eq!(modified["order_id"], id.as_str());
    let state = sim.upstox.order(&id).await;
    assert_eq!(state["price"], 1410.5);
    assert_eq!(state["quantity"], 2);
    let cancelled = sim
        .upstox
        .call("DELETE", &format!("/v2/order/cancel?order_id={id}"), "")
        .await
        .data();
    assert_eq!(cancelled["order_id"], id.as_str());
    assert_eq!(sim.upstox.order(&id).await["status"], "cancelled");
}

#[tokio::test]
async fn v3_modify_and_cancel_add_the_latency_and_finished_orders_refuse_them() {
    let sim = BothSim::start("upstox-orders-v3").await;
    sim.set_price("NSE_EQ|INE009A01021", "1500");
    let id = sim
        .upstox
        .place_one(&order(json!({"order_type": "LIMIT", "price": 1400})))
        .await;
    let modified = sim
        .upstox
        .call(
            "PUT",
            "/v3/order/modify",
            &json!({"order_id": id, "price": 1450}).to_string(),
        )
        .await
        .json();
    assert!(modified["metadata"]["latency"].is_u64(), "{modified}");
    // The price moves through the limit: it fills there.
    sim.set_price("NSE_EQ|INE009A01021", "1449");
    assert_eq!(sim.upstox.order(&id).await["status"], "complete");
    let error = sim
        .upstox
        .call("DELETE", &format!("/v3/order/cancel?order_id={id}"), "")
        .await
        .upstox_error(400, "UDAPI100040");
    assert_eq!(error["property_path"], "order_id");
    sim.upstox
        .call(
            "PUT",
            "/v3/order/modify",
            &json!({"order_id": id, "price": 1460}).to_string(),
        )
        .await
        .upstox_error(400, "UDAPI100500");
    sim.upstox
        .call("DELETE", "/v3/order/cancel?order_id=999", "")
        .await
        .upstox_error(400, "UDAPI100010");
    sim.upstox
        .call("DELETE", "/v3/order/cancel", "")
        .await
        .upstox_error(400, "UDAPI1023");
    sim.upstox
        .get("/v2/order/details?order_id=999")
        .await
        .upstox_error(400, "UDAPI100010");
}

#[tokio::test]
async fn slice_splits_an_order_at_the_freeze_quantity() {
    let sim = BothSim::start("upstox-orders-slice").await;
    sim.set_price("NSE_FO|48225", "10");
    let body = order(json!({
        "instrument_token": "NSE_FO|48225",
        "quantity": 3750,
        "product": "D",
        "slice": true,
    }));
    let ids = sim.upstox.place(&body).await;
    assert_eq!(ids.len(), 3);
    let orders = sim.handle.orders_of(SimBroker::Upstox);
    let quantities: Vec<u32> = orders.iter().map(|o| o.quantity).collect();
    assert_eq!(quantities, [1800, 1800, 150]);
    assert!(orders.iter().all(|o| o.status == "complete"));
    // Without `slice`, one order.
    let ids = sim
        .upstox
        .place(&order(
            json!({"instrument_token": "NSE_FO|48225", "quantity": 3750, "product": "D"}),
        ))
        .await;
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn bad_fields_get_upstoxs_codes() {
    let sim = BothSim::start("upstox-orders-bad").await;
    let cases: [(Value, &str, &str); 9] = [
        (json!({"order_type": null}), "UDAPI1004", "order_type"),
        (json!({"order_type": "STOP"}), "UDAPI1056", "order_type"),
        (json!({"validity": null}), "UDAPI1007", "validity"),
        (json!({"validity": "GTC"}), "UDAPI1055", "validity"),
        (
            json!({"instrument_token": "NSE_EQ|NOPE"}),
            "UDAPI1087",
            "instrument_token",
        ),
        (json!({"quantity": "many"}), "UDAPI100038", "quantity"),
        (json!({"product": "X"}), "UDAPI100038", "product"),
        (
            json!({"order_type": "LIMIT", "price": 1500.03}),
            "UDAPI100500",
            "price",
        ),
        (
            json!({"instrument_token": "NSE_FO|48225", "product": "D", "quantity": 10}),
            "UDAPI100500",
            "quantity",
        ),
    ];
    for (fields, code, path) in cases {
        let error = sim
            .upstox
            .call("POST", "/v3/order/place", &order(fields.clone()))
            .await
            .upstox_error(400, code);
        assert_eq!(error["property_path"], path, "{fields}: {error}");
        assert_eq!(error["propertyPath"], path, "{fields}: {error}");
    }
    // Malformed JSON names what was wrong, and nothing reached the book.
    let error = sim
        .upstox
        .call("POST", "/v3/order/place", "{\"quantity\": 1,")
        .await
        .upstox_error(400, "UDAPI100038");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Invalid JSON body"),
        "{error}"
    );
    sim.upstox
        .call("POST", "/v3/order/place", "[1, 2]")
        .await
        .upstox_error(400, "UDAPI100038");
    sim.upstox
        .call("POST", "/v3/order/place", "")
        .await
        .upstox_error(400, "UDAPI100038");
    assert!(sim.handle.orders_of(SimBroker::Upstox).is_empty());
}

#[tokio::test]
async fn orders_short_of_funds_or_holdings_are_accepted_then_rejected_in_prose() {
    let sim = BothSim::start_with("upstox-orders-rms", |c| {
        c.equity_funds(tt_core::Amount::from_rupees(1000))
    })
    .await;
    sim.set_price("NSE_EQ|INE009A01021", "1500");
    let short = sim
        .upstox
        .place_one(&order(json!({"product": "D", "quantity": 10})))
        .await;
    let state = sim.upstox.order(&short).await;
    assert_eq!(state["status"], "rejected");
    assert_eq!(state["pending_quantity"], 0);
    assert_eq!(
        state["status_message"],
        "Insufficient funds: the order needs 15000.00 but 1000.00 is available."
    );
    assert_eq!(
        sim.upstox.statuses(&short).await,
        ["put order req received", "validation pending", "rejected"]
    );
    // INFY is the second seeded holding: 20 shares.
    let oversold = sim
        .upstox
        .place_one(&order(
            json!({"product": "D", "quantity": 21, "transaction_type": "SELL"}),
        ))
        .await;
    let state = sim.upstox.order(&oversold).await;
    assert_eq!(state["status"], "rejected");
    assert!(
        state["status_message"]
            .as_str()
            .unwrap()
            .contains("Insufficient holdings"),
        "{state}"
    );
    // A rejected sale promises nothing: all 20 can still be sold.
    let sold = sim
        .upstox
        .place_one(&order(
            json!({"product": "D", "quantity": 20, "transaction_type": "SELL"}),
        ))
        .await;
    assert_eq!(sim.upstox.order(&sold).await["status"], "complete");
}

#[tokio::test]
async fn synchronous_rejection_refuses_the_placement_in_prose() {
    let sim = BothSim::start_with("upstox-orders-rms-sync", |c| {
        c.equity_funds(tt_core::Amount::from_rupees(1000))
            .reject_synchronously(true)
    })
    .await;
    sim.set_price("NSE_EQ|INE009A01021", "1500");
    let error = sim
        .upstox
        .call(
            "POST",
            "/v3/order/place",
            &order(json!({"product": "D", "quantity": 10})),
        )
        .await
        .upstox_error(400, "UDAPI100500");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Insufficient funds"),
        "{error}"
    );
    let error = sim
        .upstox
        .call(
            "POST",
            "/v3/order/place",
            &order(json!({"product": "D", "quantity": 21, "transaction_type": "SELL"})),
        )
        .await
        .upstox_error(400, "UDAPI100500");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Insufficient holdings"),
        "{error}"
    );
    assert!(sim.handle.orders_of(SimBroker::Upstox).is_empty());
}

#[tokio::test]
async fn after_market_orders_wait_for_the_open() {
    let sim = BothSim::start("upstox-orders-amo").await;
    let id = sim.upstox.place_one(&order(json!({"is_amo": true}))).await;
    let state = sim.upstox.order(&id).await;
    assert_eq!(state["status"], "after market order req received");
    assert_eq!(state["is_amo"], true);
    sim.handle.open_market();
    assert_eq!(sim.upstox.order(&id).await["status"], "complete");
}

#[tokio::test]
async fn the_books_are_apart_and_the_market_is_shared() {
    let sim = BothSim::start("upstox-orders-isolation").await;
    sim.set_price("NSE:INFY", "1500");
    let upstox_id = sim
        .upstox
        .place_one(&order(
            json!({"order_type": "LIMIT", "price": 1400, "tag": "up"}),
        ))
        .await;
    let kite_id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1400&quantity=1&product=MIS&tag=kite")
        .await;
    // Neither book shows the other's order.
    let kite_book = sim.kite.get("/orders").await.data();
    assert_eq!(kite_book.as_array().unwrap().len(), 1);
    assert_eq!(kite_book[0]["tag"], "kite");
    let upstox_book = sim.upstox.get("/v2/order/retrieve-all").await.data();
    assert_eq!(upstox_book.as_array().unwrap().len(), 1);
    assert_eq!(upstox_book[0]["tag"], "up");
    assert_eq!(sim.handle.orders().len(), 1);
    assert_eq!(sim.handle.orders_of(SimBroker::Upstox).len(), 1);
    let upstox_order = &sim.handle.orders_of(SimBroker::Upstox)[0];
    assert_eq!(upstox_order.broker, SimBroker::Upstox);
    assert_eq!(upstox_order.instrument.to_string(), "NSE:INFY");
    assert_eq!(sim.handle.orders()[0].instrument, upstox_order.instrument);
    // One price move fills both: the same canonical instrument, one exchange.
    sim.set_price("NSE_EQ|INE009A01021", "1399");
    assert_eq!(sim.kite.order(&kite_id).await["status"], "COMPLETE");
    assert_eq!(sim.upstox.order(&upstox_id).await["status"], "complete");
    // Each broker's positions are its own.
    let kite_positions = sim.kite.get("/portfolio/positions").await.data();
    assert_eq!(kite_positions["net"].as_array().unwrap().len(), 1);
    let upstox_positions = sim
        .upstox
        .get("/v2/portfolio/short-term-positions")
        .await
        .data();
    assert_eq!(upstox_positions.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_instrument_only_one_broker_lists_trades_only_there() {
    let sim = BothSim::start("upstox-orders-one-broker").await;
    // TATAMOTORS is Upstox's alone.
    sim.upstox
        .place_one(&order(json!({"instrument_token": "NSE_EQ|INE155A01022"})))
        .await;
    sim.kite
        .post(
            "/orders/regular",
            "exchange=NSE&tradingsymbol=TATAMOTORS&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS",
        )
        .await
        .error(400, "InputException");
    // M&M is Kite's alone: Upstox has no key for it, and Kite trades it.
    sim.kite
        .place("exchange=NSE&tradingsymbol=M%26M&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS")
        .await;
    sim.handle
        .set_price("NSE:M&M", "2950".parse().unwrap())
        .unwrap();
    sim.handle
        .set_price("NSE_EQ|INE155A01022", "700".parse().unwrap())
        .unwrap();
    // Each broker's instrument list holds what that broker lists.
    let kite_dump = sim.kite.get("/instruments/NSE").await.text();
    assert!(kite_dump.contains(",M&M,") && !kite_dump.contains("TATAMOTORS"));
    let ltp = sim
        .kite
        .get("/quote/ltp?i=NSE:TATAMOTORS&i=NSE:INFY")
        .await
        .data();
    assert_eq!(ltp.as_object().unwrap().len(), 1);
}
