//! The paper broker, an external crate, driven through tt-connect's public clients.
// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use paper_broker::PaperBroker;
use tt_connect::{
    Amount, BrokerToken, Client, ClientTag, Error, FeedEvent, FeedEvents, Holding, Instrument,
    OrderId, OrderModification, OrderRequest, OrderState, Price, ProductType, StreamMode, Validity,
};

fn instrument(text: &str) -> Instrument {
    text.parse().unwrap()
}

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn paper_with_infy_at(last: &str) -> (Client<PaperBroker>, Instrument) {
    let paper = PaperBroker::new(Amount::from_rupees(100_000));
    let infy = instrument("NSE:INFY");
    paper.set_price(&infy, price(last));
    (Client::new(paper), infy)
}

async fn next_event(events: &mut FeedEvents) -> FeedEvent {
    // A generous guard so a broken feed fails the test instead of hanging it.
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("no feed event")
        .expect("feed ended")
}

#[tokio::test]
async fn market_order_fills_and_updates_positions_trades_and_funds() {
    let (client, infy) = paper_with_infy_at("1500");
    let order = OrderRequest::buy(infy.clone(), 10, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();

    let history = client.order_history(&id).await.unwrap();
    let states: Vec<OrderState> = history.iter().map(|o| o.status.state).collect();
    assert_eq!(
        states,
        [OrderState::Pending, OrderState::Open, OrderState::Complete]
    );
    assert_eq!(history[2].average_price, Some(price("1500")));
    assert_eq!(history[2].tag.as_deref(), Some(order.tag().as_str()));

    let positions = client.positions().await.unwrap();
    assert_eq!(positions.net.len(), 1);
    assert_eq!(positions.net[0].instrument.as_ref(), Some(&infy));
    assert_eq!(positions.net[0].quantity, 10);
    assert_eq!(positions.net[0].average_price, price("1500"));

    let trades = client.order_trades(&id).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!((trades[0].quantity, trades[0].price), (10, price("1500")));

    let funds = client.funds().await.unwrap().equity.unwrap();
    assert_eq!(funds.available, Amount::from_rupees(85_000));
}

#[tokio::test]
async fn unsupported_terms_fail_before_reaching_the_broker() {
    let (client, _) = paper_with_infy_at("1500");
    let gold = instrument("MCX:GOLD:2026-12-05:FUT");
    let mcx = OrderRequest::buy(gold, 1, ProductType::Nrml)
        .market()
        .build()
        .unwrap();
    let err = client.place_order(&mcx).await.unwrap_err();
    assert_eq!(err.to_string(), "paper does not support MCX segment");

    let stop = OrderRequest::sell(instrument("NSE:INFY"), 1, ProductType::Cnc)
        .stop_loss(price("1400"), price("1399"))
        .build()
        .unwrap();
    let err = client.place_order(&stop).await.unwrap_err();
    assert_eq!(err.to_string(), "paper does not support SL order type");

    // Nothing reached the broker's book.
    assert!(client.orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn limit_order_rests_until_the_market_reaches_it() {
    let (client, infy) = paper_with_infy_at("1500");
    let (handle, mut feed) = client.stream().await.unwrap();
    handle
        .subscribe(std::slice::from_ref(&infy), StreamMode::Ltp)
        .await
        .unwrap();
    match next_event(&mut feed).await {
        FeedEvent::Tick(tick) => assert_eq!(tick.last_price, price("1500")),
        other => panic!("expected the current price first, got {other:?}"),
    }

    let order = OrderRequest::buy(infy.clone(), 5, ProductType::Mis)
        .limit(price("1490"))
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();
    match next_event(&mut feed).await {
        FeedEvent::OrderUpdate(update) => {
            assert_eq!(update.record.status.state, OrderState::Open)
        }
        other => panic!("expected an open-order update, got {other:?}"),
    }
    let funds = client.funds().await.unwrap().equity.unwrap();
    assert_eq!(funds.used, Amount::from_rupees(7450));

    client.broker().set_price(&infy, price("1489.95"));
    match next_event(&mut feed).await {
        FeedEvent::Tick(tick) => assert_eq!(tick.last_price, price("1489.95")),
        other => panic!("expected a tick, got {other:?}"),
    }
    match next_event(&mut feed).await {
        FeedEvent::OrderUpdate(update) => {
            let o = update.order.expect("the paper book knows its instruments");
            assert_eq!(o.id, id);
            assert_eq!(o.status.state, OrderState::Complete);
            assert_eq!(o.average_price, Some(price("1489.95")));
        }
        other => panic!("expected a fill, got {other:?}"),
    }
}

#[tokio::test]
async fn ioc_orders_cancel_what_does_not_fill() {
    let (client, infy) = paper_with_infy_at("1500");
    let order = OrderRequest::buy(infy, 1, ProductType::Cnc)
        .limit(price("1400"))
        .validity(Validity::Ioc)
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();
    let last = client.order_history(&id).await.unwrap().pop().unwrap();
    assert_eq!(last.status.state, OrderState::Cancelled);
    assert_eq!(last.cancelled_quantity, 1);
}

#[tokio::test]
async fn modify_and_cancel_only_open_orders() {
    let (client, infy) = paper_with_infy_at("1500");
    let order = OrderRequest::buy(infy.clone(), 2, ProductType::Cnc)
        .limit(price("1400"))
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();

    let change = OrderModification::new().price(price("1450")).quantity(4);
    client.modify_order(&id, &change).await.unwrap();
    let current = client.order_history(&id).await.unwrap().pop().unwrap();
    assert_eq!((current.quantity, current.price), (4, Some(price("1450"))));

    let empty = client
        .modify_order(&id, &OrderModification::new())
        .await
        .unwrap_err();
    assert!(matches!(empty, Error::InvalidOrder { .. }), "{empty}");

    client.cancel_order(&id).await.unwrap();
    let again = client.cancel_order(&id).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        format!("paper: order error: order {id} is cancelled and cannot be cancelled")
    );
    let unknown = OrderId::new("P999").unwrap();
    let missing = client.cancel_order(&unknown).await.unwrap_err();
    assert!(matches!(missing, Error::OrderNotFound { .. }), "{missing}");
}

#[tokio::test]
async fn buying_beyond_the_cash_is_insufficient_funds() {
    let (client, infy) = paper_with_infy_at("1500");
    let order = OrderRequest::buy(infy, 100, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let err = client.place_order(&order).await.unwrap_err();
    assert!(matches!(err, Error::InsufficientFunds { .. }), "{err}");
    assert!(!err.retryable());
}

#[tokio::test]
async fn an_order_can_be_found_again_by_its_tag() {
    let (client, infy) = paper_with_infy_at("1500");
    let tag = ClientTag::new("reconcile1").unwrap();
    let order = OrderRequest::sell(infy, 1, ProductType::Mis)
        .market()
        .tag(tag.clone())
        .build()
        .unwrap();
    let id = client.place_order(&order).await.unwrap();
    // The paper broker has no raw order book of its own: the default one, from its orders.
    let found = client.reconcile(&tag).await.unwrap();
    assert_eq!(found.orders().len(), 1);
    assert_eq!(found.orders()[0].id, id);
    let unused = ClientTag::new("neverplaced").unwrap();
    let window = tt_connect::ReconcileWindow::new(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_millis(20),
    );
    assert!(matches!(
        client.reconcile_within(&unused, window).await.unwrap(),
        tt_connect::Reconciliation::NotFound { .. }
    ));
}

#[tokio::test]
async fn holdings_follow_the_market() {
    let reliance = instrument("NSE:RELIANCE");
    let paper = PaperBroker::with_holdings(
        Amount::ZERO,
        vec![Holding {
            instrument: Some(reliance.clone()),
            broker_token: BrokerToken {
                token: "NSE:RELIANCE".into(),
                symbol: None,
                exchange: None,
            },
            isin: Some("INE002A01018".into()),
            quantity: 10,
            t1_quantity: 0,
            average_price: price("1200"),
            last_price: price("1200"),
            close_price: None,
            pnl: Amount::ZERO,
        }],
    );
    paper.set_price(&reliance, price("1250.5"));
    let holdings = Client::new(paper).holdings().await.unwrap();
    assert_eq!(holdings[0].pnl, Amount::from(price("505")));
}

#[test]
fn the_blocking_client_wraps_the_same_operations() {
    let paper = PaperBroker::new(Amount::from_rupees(10_000));
    let sbin = instrument("NSE:SBIN");
    paper.set_price(&sbin, price("800.05"));
    let client = tt_connect::blocking::Client::new(paper).unwrap();
    let order = OrderRequest::buy(sbin, 3, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let id = client.place_order(&order).unwrap();
    assert_eq!(client.orders().unwrap()[0].id, id);
    assert_eq!(client.trades().unwrap().len(), 1);
    assert_eq!(client.profile().unwrap().broker, "paper");
    let unsupported = OrderRequest::buy(
        instrument("CDS:USDINR:2026-12-29:FUT"),
        1,
        ProductType::Nrml,
    )
    .market()
    .build()
    .unwrap();
    assert_eq!(
        client.check_order(&unsupported).unwrap_err().to_string(),
        "paper does not support CDS segment"
    );
}

#[tokio::test]
async fn the_blocking_client_runs_and_drops_inside_a_runtime_without_panicking() {
    // Its runtime lives on a thread of its own, so neither a call nor the drop here is nested
    // in this test's runtime (the call just blocks this thread meanwhile).
    let client = tt_connect::blocking::Client::new(PaperBroker::new(Amount::ZERO)).unwrap();
    assert_eq!(client.profile().unwrap().broker, "paper");
    drop(client);
}

#[tokio::test]
async fn quotes_return_known_prices_only() {
    let (client, infy) = paper_with_infy_at("1500");
    let unknown = instrument("NSE:TCS");
    let ticks = client
        .quotes(&[infy.clone(), unknown], tt_connect::QuoteDetail::Ltp)
        .await
        .unwrap();
    assert_eq!(ticks.len(), 1);
    assert_eq!(
        (ticks[0].instrument.clone(), ticks[0].last_price),
        (infy, price("1500"))
    );
}

#[tokio::test]
async fn unsupported_stream_modes_fail_before_connecting() {
    let (client, infy) = paper_with_infy_at("1500");
    let (handle, _events) = client.stream().await.unwrap();
    let err = handle
        .subscribe(&[infy], StreamMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "paper does not support full stream mode");
}
