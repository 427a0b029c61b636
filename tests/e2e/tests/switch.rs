//! One user program, two brokers: the program below knows a broker only by its name and its
//! app's credentials. Run once with `"zerodha"` and once with `"upstox"` against the same
//! simulator, it logs in, reads the account, trades and reconciles, and both runs tell the
//! same story: nothing about either broker leaks into the program.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tt_connect::{
    BrokerSettings, Client, Clock, Error, Instrument, OrderModification, OrderRequest, OrderState,
    ProductType, QuoteDetail, Reconciliation, follow_login_redirect,
};
use tt_e2e::World;
use tt_sim::SimBroker;

/// What the program saw, in broker-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Story {
    broker: String,
    user_id: String,
    filled: (OrderState, u32),
    fill_price: String,
    resting_after_modify: (Option<String>, u32),
    cancelled: OrderState,
    reconciled: usize,
    position: i64,
    quoted: Vec<(Instrument, String)>,
    refused_off_tick: bool,
}

/// The user's program. Everything broker-specific comes in as `name` and the credentials.
async fn program(name: &str, settings: BrokerSettings, redirect_url: &str) -> Result<Story, Error> {
    let client = Client::from_name(name, settings)?;
    let redirect = follow_login_redirect(&client.login_url(), redirect_url)
        .await
        .map_err(|e| Error::Config(e.to_string()))?;
    client.complete_login(&redirect).await?;

    let profile = client.profile().await?;
    let infy: Instrument = "NSE:INFY".parse().expect("a canonical instrument");
    let buy = OrderRequest::buy(infy.clone(), 3, ProductType::Mis)
        .market()
        .build()?;
    let id = client.place_order(&buy).await?;
    let filled = client.order_history(&id).await?.pop().expect("a history");

    let limit = OrderRequest::buy(infy.clone(), 2, ProductType::Cnc)
        .limit("1200".parse().expect("a price"))
        .build()?;
    let resting = client.place_order(&limit).await?;
    client
        .modify_order(
            &resting,
            &OrderModification::new()
                .price("1210.5".parse().expect("a price"))
                .quantity(4),
        )
        .await?;
    let modified = client
        .order_history(&resting)
        .await?
        .pop()
        .expect("a history");
    client.cancel_order(&resting).await?;
    let cancelled = client
        .order_history(&resting)
        .await?
        .pop()
        .expect("a history");

    let reconciled = match client.reconcile(buy.tag()).await? {
        Reconciliation::Found(orders) => orders.len(),
        Reconciliation::NotFound { .. } => 0,
    };
    let position = client
        .positions()
        .await?
        .net
        .iter()
        .filter(|p| p.instrument.as_ref() == Some(&infy))
        .map(|p| p.quantity)
        .sum();
    let sbin: Instrument = "NSE:SBIN".parse().expect("a canonical instrument");
    let quoted = client
        .quotes(&[infy.clone(), sbin], QuoteDetail::Ltp)
        .await?
        .into_iter()
        .map(|t| (t.instrument, t.data.last_price.to_string()))
        .collect();
    let off_tick = OrderRequest::buy(infy, 1, ProductType::Cnc)
        .limit("1200.03".parse().expect("a price"))
        .build()?;
    let refused_off_tick = matches!(
        client.place_order(&off_tick).await,
        Err(Error::InvalidOrder { .. })
    );
    client.logout().await?;
    Ok(Story {
        broker: profile.broker.to_string(),
        user_id: profile.user_id,
        filled: (filled.status.state, filled.filled_quantity),
        fill_price: filled
            .average_price
            .map(|p| p.to_string())
            .unwrap_or_default(),
        resting_after_modify: (modified.price.map(|p| p.to_string()), modified.quantity),
        cancelled: cancelled.status.state,
        reconciled,
        position,
        quoted,
        refused_off_tick,
    })
}

#[tokio::test]
async fn one_program_trades_through_either_broker_by_changing_only_the_name_and_credentials() {
    let world = World::start("switch").await;
    world
        .sim
        .set_price("NSE:INFY", "1500.05".parse().unwrap())
        .unwrap();
    world
        .sim
        .set_price("NSE:SBIN", "801.10".parse().unwrap())
        .unwrap();
    let app = world.sim.app().clone();
    // The settings a user writes in a config file: the same shape for every broker.
    let settings = |name: &str| {
        BrokerSettings::new(app.api_key.clone(), app.api_secret.clone())
            .redirect_url(app.redirect_url.clone())
            .api_root(world.sim.url())
            .instrument_master(world.dir.join("instruments.db"))
            .session_file(world.dir.join(format!("{name}-session.json")))
            .clock(Arc::clone(&world.clock) as Arc<dyn Clock>)
    };

    let zerodha = program("zerodha", settings("zerodha"), &app.redirect_url)
        .await
        .unwrap();
    let upstox = program("upstox", settings("upstox"), &app.redirect_url)
        .await
        .unwrap();

    assert_eq!(zerodha.broker, "zerodha");
    assert_eq!(upstox.broker, "upstox");
    let neutral = |story: &Story| Story {
        broker: String::new(),
        ..story.clone()
    };
    assert_eq!(neutral(&zerodha), neutral(&upstox));
    assert_eq!(zerodha.filled, (OrderState::Complete, 3));
    assert_eq!(zerodha.fill_price, "1500.05");
    assert_eq!(zerodha.resting_after_modify, (Some("1210.5".into()), 4));
    assert_eq!(zerodha.cancelled, OrderState::Cancelled);
    assert_eq!(zerodha.reconciled, 1);
    assert_eq!(zerodha.position, 3);
    assert!(zerodha.refused_off_tick);
    // Each program's orders went to its own broker's book, once.
    assert_eq!(world.sim.orders_of(SimBroker::Kite).len(), 2);
    assert_eq!(world.sim.orders_of(SimBroker::Upstox).len(), 2);
}
