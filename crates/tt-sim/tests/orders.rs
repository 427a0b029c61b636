//! The order lifecycle and Kite's order errors, over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestSim;
use serde_json::json;

const BUY_INFY_MARKET: &str =
    "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=3&product=MIS";

fn limit(side: &str, price: &str, quantity: u32) -> String {
    format!(
        "exchange=NSE&tradingsymbol=INFY&transaction_type={side}&order_type=LIMIT&price={price}&quantity={quantity}&product=MIS"
    )
}

#[tokio::test]
async fn market_order_fills_at_once_at_the_last_price() {
    let sim = TestSim::start("orders-market").await;
    sim.set_price("NSE:INFY", "1500.5");
    let id = sim.kite.place(BUY_INFY_MARKET).await;
    assert_eq!(id.len(), 15);
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    assert!(id.starts_with("261124"));
    assert_eq!(
        sim.kite.statuses(&id).await,
        [
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "OPEN",
            "COMPLETE"
        ]
    );
    let order = sim.kite.order(&id).await;
    assert_eq!(order["average_price"], 1500.5);
    assert_eq!(order["filled_quantity"], 3);
    assert_eq!(order["pending_quantity"], 0);
    assert_eq!(order["order_timestamp"], "2026-11-24 09:30:00");
    assert_eq!(order["exchange_order_id"].as_str().unwrap().len(), 16);

    let trades = sim.kite.get("/trades").await.data();
    assert_eq!(trades[0]["order_id"], id.as_str());
    assert_eq!(trades[0]["quantity"], 3);
    assert_eq!(trades[0]["average_price"], 1500.5);
    assert_eq!(trades[0]["fill_timestamp"], "2026-11-24 09:30:00");

    let positions = sim.kite.get("/portfolio/positions").await.data();
    let infy = &positions["net"][0];
    assert_eq!(infy["tradingsymbol"], "INFY");
    assert_eq!(infy["quantity"], 3);
    assert_eq!(infy["buy_value"], 4501.5);
    assert_eq!(infy["average_price"], 1500.5);
    assert_eq!(positions["day"], positions["net"]);
}

#[tokio::test]
async fn limit_order_rests_until_the_price_reaches_it() {
    let sim = TestSim::start("orders-limit").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim.kite.place(&limit("BUY", "1450", 2)).await;
    assert_eq!(sim.kite.order(&id).await["status"], "OPEN");
    assert!(
        sim.kite
            .get("/trades")
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );

    sim.set_price("NSE:INFY", "1460");
    assert_eq!(sim.kite.order(&id).await["status"], "OPEN");
    sim.set_price("NSE:INFY", "1440");
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    // A resting order fills at its own price, not the price that crossed it.
    assert_eq!(order["average_price"], 1450);
}

#[tokio::test]
async fn marketable_limit_fills_at_the_better_last_price() {
    let sim = TestSim::start("orders-marketable").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim.kite.place(&limit("SELL", "1490", 1)).await;
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["average_price"], 1500);
}

#[tokio::test]
async fn ioc_limit_that_cannot_fill_is_cancelled() {
    let sim = TestSim::start("orders-ioc").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place(&format!("{}&validity=IOC", limit("BUY", "1400", 1)))
        .await;
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["cancelled_quantity"], 1);
}

#[tokio::test]
async fn stop_loss_waits_for_its_trigger() {
    let sim = TestSim::start("orders-stop").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=SELL&order_type=SL-M&trigger_price=1450&quantity=1&product=MIS")
        .await;
    assert_eq!(sim.kite.order(&id).await["status"], "TRIGGER PENDING");
    sim.set_price("NSE:INFY", "1460");
    assert_eq!(sim.kite.order(&id).await["status"], "TRIGGER PENDING");
    sim.set_price("NSE:INFY", "1445");
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["average_price"], 1445);
    let statuses = sim.kite.statuses(&id).await;
    assert_eq!(statuses[3..], ["TRIGGER PENDING", "OPEN", "COMPLETE"]);
}

#[tokio::test]
async fn stop_loss_limit_rests_after_trigger_until_its_price() {
    let sim = TestSim::start("orders-stop-limit").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=SL&price=1555&trigger_price=1550&quantity=1&product=MIS")
        .await;
    assert_eq!(sim.kite.order(&id).await["status"], "TRIGGER PENDING");
    sim.set_price("NSE:INFY", "1560");
    assert_eq!(sim.kite.order(&id).await["status"], "OPEN");
    sim.set_price("NSE:INFY", "1554");
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["average_price"], 1555);
}

#[tokio::test]
async fn stop_loss_with_a_crossed_trigger_is_rejected() {
    let sim = TestSim::start("orders-stop-crossed").await;
    sim.set_price("NSE:INFY", "1500");
    let order = sim
        .kite
        .place_rejected("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=SL-M&trigger_price=1450&quantity=1&product=MIS")
        .await;
    assert!(
        order["status_message"]
            .as_str()
            .unwrap()
            .contains("Trigger price")
    );
}

#[tokio::test]
async fn modification_passes_through_kites_states() {
    let sim = TestSim::start("orders-modify").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim.kite.place(&limit("BUY", "1400", 1)).await;
    sim.clock.set(common::NOW + time::Duration::seconds(84));
    let answer = sim
        .kite
        .put(&format!("/orders/regular/{id}"), "price=1400.5&quantity=2")
        .await
        .data();
    assert_eq!(answer, json!({"order_id": id}));
    let statuses = sim.kite.statuses(&id).await;
    assert_eq!(
        statuses[4..],
        [
            "MODIFY VALIDATION PENDING",
            "MODIFY PENDING",
            "MODIFIED",
            "OPEN"
        ]
    );
    let order = sim.kite.order(&id).await;
    assert_eq!(order["price"], 1400.5);
    assert_eq!(order["quantity"], 2);
    assert_eq!(order["pending_quantity"], 2);
    assert_eq!(order["modified"], true);
    assert_eq!(order["order_timestamp"], "2026-11-24 09:31:24");
}

#[tokio::test]
async fn modification_that_makes_an_order_marketable_fills_it() {
    let sim = TestSim::start("orders-modify-fill").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim.kite.place(&limit("BUY", "1400", 1)).await;
    sim.kite
        .put(&format!("/orders/regular/{id}"), "order_type=MARKET")
        .await
        .data();
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["price"], 0);
    assert_eq!(order["average_price"], 1500);
}

#[tokio::test]
async fn cancel_ends_an_open_order() {
    let sim = TestSim::start("orders-cancel").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim.kite.place(&limit("BUY", "1400", 4)).await;
    let answer = sim
        .kite
        .delete(&format!("/orders/regular/{id}"))
        .await
        .data();
    assert_eq!(answer, json!({"order_id": id}));
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["cancelled_quantity"], 4);
    // The price moving through it afterwards does nothing.
    sim.set_price("NSE:INFY", "1300");
    assert_eq!(sim.kite.order(&id).await["status"], "CANCELLED");
}

#[tokio::test]
async fn orders_that_are_not_open_cannot_change() {
    let sim = TestSim::start("orders-not-open").await;
    let id = sim.kite.place(BUY_INFY_MARKET).await;
    let message = sim
        .kite
        .put(&format!("/orders/regular/{id}"), "quantity=5")
        .await
        .error(400, "OrderException");
    assert!(message.contains("COMPLETE"), "{message}");
    sim.kite
        .delete(&format!("/orders/regular/{id}"))
        .await
        .error(400, "OrderException");
}

#[tokio::test]
async fn unknown_order_ids_are_404_on_every_order_route() {
    let sim = TestSim::start("orders-unknown").await;
    let kite = &sim.kite;
    for answer in [
        kite.get("/orders/999999999999999").await,
        kite.get("/orders/999999999999999/trades").await,
        kite.put("/orders/regular/999999999999999", "quantity=1")
            .await,
        kite.delete("/orders/regular/999999999999999").await,
    ] {
        let message = answer.error(404, "GeneralException");
        assert_eq!(message, "Couldn't find that `order_id`.");
    }
}

#[tokio::test]
async fn tags_are_echoed_and_limited_to_twenty_characters() {
    let sim = TestSim::start("orders-tags").await;
    let id = sim
        .kite
        .place(&format!("{BUY_INFY_MARKET}&tag=connect+test+order1"))
        .await;
    let order = sim.kite.order(&id).await;
    assert_eq!(order["tag"], "connect test order1");
    assert_eq!(order["tags"], json!(["connect test order1"]));
    assert_eq!(
        sim.handle.orders()[0].tag.as_deref(),
        Some("connect test order1")
    );
    sim.kite
        .post(
            "/orders/regular",
            &format!("{BUY_INFY_MARKET}&tag=abcdefghijklmnopqrstu"),
        )
        .await
        .error(400, "InputException");
}

#[tokio::test]
async fn invalid_orders_are_input_exceptions() {
    let sim = TestSim::start("orders-invalid").await;
    let base = "transaction_type=BUY&product=NRML";
    let cases = [
        (
            "regular",
            "exchange=XYZ&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS",
            "exchange",
        ),
        (
            "regular",
            "exchange=NSE&tradingsymbol=NOPE&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS",
            "does not exist",
        ),
        (
            "regular",
            &format!(
                "exchange=NFO&tradingsymbol=NIFTY26DEC24000CE&order_type=MARKET&quantity=10&{base}"
            ),
            "lot size 75",
        ),
        (
            "regular",
            &format!(
                "exchange=NFO&tradingsymbol=NIFTY26DEC24000CE&order_type=LIMIT&price=10.03&quantity=75&{base}"
            ),
            "Tick size for this script is 0.05",
        ),
        (
            "regular",
            &format!(
                "exchange=NFO&tradingsymbol=NIFTY26DEC24000CE&order_type=LIMIT&quantity=75&{base}"
            ),
            "`price`",
        ),
        (
            "regular",
            &format!(
                "exchange=NFO&tradingsymbol=NIFTY26DEC24000CE&order_type=SL&price=10&quantity=75&{base}"
            ),
            "`trigger_price`",
        ),
        (
            "regular",
            &format!(
                "exchange=NFO&tradingsymbol=NIFTY26DEC24000CE&order_type=SL-M&quantity=75&{base}"
            ),
            "`trigger_price`",
        ),
        (
            "regular",
            "exchange=NSE&tradingsymbol=NIFTY 50&transaction_type=BUY&order_type=MARKET&quantity=1&product=MIS",
            "index",
        ),
        (
            "regular",
            "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&quantity=1&product=NRML",
            "product",
        ),
        (
            "regular",
            "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=MARKET&product=MIS",
            "quantity",
        ),
        (
            "regular",
            "exchange=NSE&tradingsymbol=INFY&transaction_type=HOLD&order_type=MARKET&quantity=1&product=MIS",
            "transaction_type",
        ),
        ("co", BUY_INFY_MARKET, "variety"),
        ("iceberg", BUY_INFY_MARKET, "variety"),
        ("weird", BUY_INFY_MARKET, "variety"),
    ];
    for (variety, form, expected) in cases {
        let message = sim
            .kite
            .post(&format!("/orders/{variety}"), form)
            .await
            .error(400, "InputException");
        assert!(message.contains(expected), "{form}: {message}");
    }
    assert!(sim.handle.orders().is_empty());
}

#[tokio::test]
async fn buying_beyond_the_funds_is_accepted_then_rejected_by_the_rms() {
    let sim = TestSim::start("orders-margin").await;
    sim.set_price("NSE:RELIANCE", "2500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=RELIANCE&transaction_type=BUY&order_type=MARKET&quantity=1000&product=CNC")
        .await;
    assert_eq!(
        sim.kite.statuses(&id).await,
        ["PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "REJECTED"]
    );
    let order = sim.kite.order(&id).await;
    assert_eq!(
        order["status_message"],
        "Insufficient funds. Required margin is 2500000.00 but available margin is 1000000.00. Check the orderbook for open orders."
    );
    assert_eq!(
        order["status_message_raw"],
        "RMS:Margin Exceeds,Required:2500000.00, Available:1000000.00 for entity account-TT0001 across exchange across segment across product "
    );
    assert_eq!(order["pending_quantity"], 0);
    assert_eq!(order["filled_quantity"], 0);
    assert!(order["exchange_order_id"].is_null(), "{order}");
    let listed = sim.handle.orders();
    assert_eq!(listed[0].status, "REJECTED");
    assert_eq!(
        listed[0].status_message,
        order["status_message"].as_str().map(str::to_owned)
    );
    // It blocks nothing: intraday needs a fifth, 5,00,000, which fits.
    let margins = sim.kite.get("/user/margins/equity").await.data();
    assert_eq!(margins["utilised"]["debits"], 0);
    let intraday = sim
        .kite
        .place("exchange=NSE&tradingsymbol=RELIANCE&transaction_type=BUY&order_type=MARKET&quantity=1000&product=MIS")
        .await;
    assert_eq!(sim.kite.order(&intraday).await["status"], "COMPLETE");
}

#[tokio::test]
async fn synchronous_rejection_answers_a_margin_exception() {
    let sim = TestSim::start_with("orders-margin-sync", |c| c.reject_synchronously(true)).await;
    sim.set_price("NSE:RELIANCE", "2500");
    let message = sim
        .kite
        .post(
            "/orders/regular",
            "exchange=NSE&tradingsymbol=RELIANCE&transaction_type=BUY&order_type=MARKET&quantity=1000&product=CNC",
        )
        .await
        .error(400, "MarginException");
    assert_eq!(
        message,
        "Insufficient funds. Required margin is 2500000.00 but available margin is 1000000.00."
    );
    assert!(sim.handle.orders().is_empty());
}

#[tokio::test]
async fn selling_more_than_held_is_rejected_by_the_rms() {
    let sim = TestSim::start("orders-holding").await;
    let holdings = sim.kite.get("/portfolio/holdings").await.data();
    let first = &holdings[0];
    let symbol = first["tradingsymbol"].as_str().unwrap();
    let held = first["quantity"].as_u64().unwrap();
    let sell = |quantity: u64| {
        format!(
            "exchange=NSE&tradingsymbol={symbol}&transaction_type=SELL&order_type=MARKET&quantity={quantity}&product=CNC"
        )
    };
    let order = sim.kite.place_rejected(&sell(held + 1)).await;
    assert_eq!(
        order["status_message"],
        format!(
            "Insufficient holdings for {symbol}. Available quantity is {held} but the order quantity is {}.",
            held + 1
        )
    );
    assert!(
        order["status_message_raw"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "RMS:Holding Exceeds,Required:{}, Available:{held} for entity account-TT0001",
                held + 1
            )),
        "{order}"
    );
    sim.kite.place(&sell(held)).await;
    let after = sim.kite.get("/portfolio/holdings").await.data();
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["tradingsymbol"] != symbol)
    );
}

#[tokio::test]
async fn synchronous_rejection_answers_a_holding_exception() {
    let sim = TestSim::start_with("orders-holding-sync", |c| c.reject_synchronously(true)).await;
    let holdings = sim.kite.get("/portfolio/holdings").await.data();
    let symbol = holdings[0]["tradingsymbol"].as_str().unwrap();
    let held = holdings[0]["quantity"].as_u64().unwrap();
    sim.kite
        .post(
            "/orders/regular",
            &format!(
                "exchange=NSE&tradingsymbol={symbol}&transaction_type=SELL&order_type=MARKET&quantity={}&product=CNC",
                held + 1
            ),
        )
        .await
        .error(400, "HoldingException");
}

#[tokio::test]
async fn delivery_buys_become_holdings_and_use_cash() {
    let sim = TestSim::start("orders-delivery").await;
    sim.set_price("BSE:SBIN", "800");
    sim.kite
        .place("exchange=BSE&tradingsymbol=SBIN&transaction_type=BUY&order_type=MARKET&quantity=10&product=CNC")
        .await;
    let holdings = sim.kite.get("/portfolio/holdings").await.data();
    let sbin = holdings
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["exchange"] == "BSE")
        .unwrap();
    assert_eq!(sbin["t1_quantity"], 10);
    assert_eq!(sbin["average_price"], 800);
    let equity = sim.kite.get("/user/margins/equity").await.data();
    assert_eq!(equity["utilised"]["delivery"], 8000);
    assert_eq!(equity["utilised"]["debits"], 8000);
    assert_eq!(equity["net"], 992_000);
    assert_eq!(equity["available"]["cash"], 1_000_000);
    assert_eq!(equity["available"]["live_balance"], 992_000);
}

#[tokio::test]
async fn open_orders_block_margin_until_cancelled() {
    let sim = TestSim::start("orders-blocked").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&price=1000&quantity=100&product=CNC")
        .await;
    let net = |data: serde_json::Value| data["net"].as_f64().unwrap();
    assert_eq!(
        net(sim.kite.get("/user/margins/equity").await.data()),
        900_000.0
    );
    sim.kite
        .delete(&format!("/orders/regular/{id}"))
        .await
        .data();
    assert_eq!(
        net(sim.kite.get("/user/margins/equity").await.data()),
        1_000_000.0
    );
}

#[tokio::test]
async fn round_trip_realises_profit_into_margins() {
    let sim = TestSim::start("orders-round-trip").await;
    sim.set_price("NFO:NIFTY26DECFUT", "24000");
    sim.kite
        .place("exchange=NFO&tradingsymbol=NIFTY26DECFUT&transaction_type=BUY&order_type=MARKET&quantity=75&product=NRML")
        .await;
    sim.set_price("NFO:NIFTY26DECFUT", "24100");
    sim.kite
        .place("exchange=NFO&tradingsymbol=NIFTY26DECFUT&transaction_type=SELL&order_type=MARKET&quantity=75&product=NRML")
        .await;
    let position = &sim.kite.get("/portfolio/positions").await.data()["net"][0];
    assert_eq!(position["quantity"], 0);
    assert_eq!(position["pnl"], 7500);
    assert_eq!(position["realised"], 7500);
    let equity = sim.kite.get("/user/margins/equity").await.data();
    assert_eq!(equity["utilised"]["m2m_realised"], -7500);
    assert_eq!(equity["net"], 1_007_500);
}

#[tokio::test]
async fn after_market_orders_wait_for_the_open() {
    let sim = TestSim::start("orders-amo").await;
    sim.set_price("NSE:INFY", "1500");
    let answer = sim.kite.post("/orders/amo", BUY_INFY_MARKET).await.data();
    let id = answer["order_id"].as_str().unwrap().to_owned();
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "AMO REQ RECEIVED");
    assert_eq!(order["variety"], "amo");
    // Modifiable and cancellable while waiting, under its own variety only.
    sim.kite
        .put(&format!("/orders/regular/{id}"), "quantity=4")
        .await
        .error(400, "InputException");
    sim.kite
        .put(&format!("/orders/amo/{id}"), "quantity=4")
        .await
        .data();
    assert_eq!(sim.kite.order(&id).await["status"], "AMO REQ RECEIVED");
    sim.handle.open_market();
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["filled_quantity"], 4);
}

#[tokio::test]
async fn ttl_orders_lapse() {
    let sim = TestSim::start("orders-ttl").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place(&format!(
            "{}&validity=TTL&validity_ttl=2",
            limit("BUY", "1400", 1)
        ))
        .await;
    let order = sim.kite.order(&id).await;
    assert_eq!(
        (order["validity"].clone(), order["validity_ttl"].clone()),
        (json!("TTL"), json!(2))
    );
    sim.clock.set(common::NOW + time::Duration::seconds(119));
    assert_eq!(sim.kite.order(&id).await["status"], "OPEN");
    sim.clock.set(common::NOW + time::Duration::seconds(120));
    assert_eq!(sim.kite.order(&id).await["status"], "CANCELLED");
}

#[tokio::test]
async fn commodity_orders_draw_on_commodity_funds() {
    let sim = TestSim::start("orders-commodity").await;
    sim.set_price("MCX:GOLD26DECFUT", "76000");
    // No commodity funds by default.
    let order = sim
        .kite
        .place_rejected("exchange=MCX&tradingsymbol=GOLD26DECFUT&transaction_type=BUY&order_type=MARKET&quantity=1&product=NRML")
        .await;
    assert!(
        order["status_message"]
            .as_str()
            .unwrap()
            .ends_with("but available margin is 0.00. Check the orderbook for open orders."),
        "{order}"
    );
}

#[tokio::test]
async fn modifying_a_stop_loss_onto_a_traded_trigger_is_refused() {
    let sim = TestSim::start("orders-stop-modify").await;
    sim.set_price("NSE:INFY", "1500");
    let id = sim
        .kite
        .place("exchange=NSE&tradingsymbol=INFY&transaction_type=SELL&order_type=SL-M&trigger_price=1450&quantity=1&product=MIS")
        .await;
    let message = sim
        .kite
        .put(&format!("/orders/regular/{id}"), "trigger_price=1510")
        .await
        .error(400, "InputException");
    assert!(message.contains("Trigger price"), "{message}");
    let order = sim.kite.order(&id).await;
    assert_eq!(order["status"], "TRIGGER PENDING");
    assert_eq!(order["trigger_price"], 1450);
}

#[tokio::test]
async fn debug_output_stays_small() {
    let sim = TestSim::start("orders-debug").await;
    let text = format!("{:?}", sim.handle);
    assert!(text.len() < 1_000, "{text}");
    assert!(!text.contains("tt_sim_secret"), "{text}");
}
