//! Order recovery end to end: unknown outcomes of placements, modifications and cancellations
//! against tt-sim's faults, reconciled from the broker's own order book, and a seeded chaos run
//! that proves no order is ever placed twice or lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use tt_connect::{
    ChangeReconciliation, Client, ClientTag, Error, Instrument, OrderChange, OrderModification,
    OrderRequest, OrderState, Price, ProductType, ReconcileWindow, Reconciliation, Zerodha,
};
use tt_e2e::World;
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master, open_dump};
use tt_sim::{Fault, FaultTarget};
use tt_transport::HttpConfig;

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn infy_buy(tag: &str) -> OrderRequest {
    OrderRequest::buy(
        "NSE:INFY".parse::<Instrument>().unwrap(),
        1,
        ProductType::Cnc,
    )
    .limit(price("1400"))
    .tag(ClientTag::new(tag).unwrap())
    .build()
    .unwrap()
}

fn quick() -> ReconcileWindow {
    ReconcileWindow::new(Duration::from_millis(300), Duration::from_millis(50))
}

/// Processes the call, then answers `status` as an overloaded gateway would.
fn processed_then(status: StatusCode) -> Fault {
    Fault::ProcessedThenStatus {
        status,
        error_type: "NetworkException".to_owned(),
        message: "gateway timed out".to_owned(),
    }
}

fn before_processing(status: StatusCode, error_type: &str) -> Fault {
    Fault::Status {
        status,
        error_type: error_type.to_owned(),
        message: "injected".to_owned(),
    }
}

#[tokio::test]
async fn reconcile_finds_an_order_whose_instrument_the_master_lacks() {
    let world = World::start("reconcile-master").await;
    let placer = Client::new(world.logged_in().await);
    let order = infy_buy("lostinfy");
    let id = placer.place_order(&order).await.unwrap();

    // Another program, whose master does not list INFY, reads the same account.
    let narrow_csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.1,1,EQ,NSE,NSE
";
    std::fs::write(world.dir.join("narrow.csv"), narrow_csv).unwrap();
    let parser = Zerodha::new(tt_connect::ZerodhaConfig::new("", ""));
    let narrow_db = world.dir.join("narrow.db");
    build_master(
        &narrow_db,
        vec![DumpInput {
            broker: &parser,
            reader: open_dump(&world.dir.join("narrow.csv")).unwrap(),
            source_name: "narrow".into(),
            dump_date: tt_e2e::WORLD_START.date(),
        }],
        &BuildOptions::default(),
    )
    .unwrap();
    let narrow = Arc::new(InstrumentMaster::open(&narrow_db).unwrap());
    let reader = Client::new(Zerodha::new(
        world.zerodha_config().instrument_master(narrow),
    ));
    let found = reader.reconcile(order.tag()).await.unwrap();
    let Reconciliation::Found(orders) = found else {
        panic!("not found: {found:?}");
    };
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].id, id);
    assert_eq!(orders[0].symbol, "INFY");
    assert_eq!(orders[0].token.as_deref(), Some("408065"));
}

#[tokio::test]
async fn reconcile_lists_every_order_carrying_the_tag() {
    let world = World::start("reconcile-twice").await;
    let client = Client::new(world.logged_in().await);
    let order = infy_buy("twice");
    // Placed twice by hand (as a careless retry outside tt-connect would).
    let first = client.place_order(&order).await.unwrap();
    let second = client.place_order(&order).await.unwrap();
    let found = client.reconcile(order.tag()).await.unwrap();
    let ids: Vec<_> = found.orders().iter().map(|o| o.id.clone()).collect();
    assert_eq!(ids, vec![first, second]);
}

#[tokio::test]
async fn reconcile_waits_for_an_order_the_broker_is_still_accepting() {
    let world = World::start("reconcile-wait").await;
    let client = Client::new(world.logged_in().await);
    let order = infy_buy("slowaccept");
    // The order book answers late for a while: the order shows up once the broker has it.
    let place = tokio::spawn({
        let client = client.clone();
        let order = order.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            client.place_order(&order).await
        }
    });
    let window = ReconcileWindow::new(Duration::from_secs(3), Duration::from_millis(50));
    let found = client.reconcile_within(order.tag(), window).await.unwrap();
    let id = place.await.unwrap().unwrap();
    assert_eq!(found.orders().len(), 1, "{found:?}");
    assert_eq!(found.orders()[0].id, id);
}

#[tokio::test]
async fn an_unknown_modification_names_the_order_and_the_change_and_reconciles() {
    let world = World::start("reconcile-modify").await;
    // Above the limit, so the buy rests on the book.
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let client = Client::new(world.logged_in().await);
    let id = client.place_order(&infy_buy("tomodify")).await.unwrap();
    let modify: FaultTarget = "PUT /orders/regular/*".parse().unwrap();

    // Processed, then a 5xx: the change took.
    world
        .sim
        .inject(modify.clone(), processed_then(StatusCode::BAD_GATEWAY), 1);
    let change = OrderModification::new().price(price("1401"));
    let error = client.modify_order(&id, &change).await.unwrap_err();
    let Error::OrderChangeOutcomeUnknown {
        order_id,
        change: asked,
        ..
    } = &error
    else {
        panic!("expected an unknown change, got {error}");
    };
    assert_eq!(order_id, &id);
    assert_eq!(asked, &OrderChange::Modify(change.clone()));
    assert!(!error.retryable());
    let outcome = client.reconcile_change(&id, asked).await.unwrap();
    assert!(
        matches!(&outcome, ChangeReconciliation::Applied(o) if o.price == Some(price("1401"))),
        "{outcome:?}"
    );

    // Refused before processing with a 5xx: the change did not take.
    world.sim.inject(
        modify,
        before_processing(StatusCode::SERVICE_UNAVAILABLE, "NetworkException"),
        1,
    );
    let change = OrderModification::new().price(price("1402"));
    let error = client.modify_order(&id, &change).await.unwrap_err();
    let Error::OrderChangeOutcomeUnknown { change: asked, .. } = &error else {
        panic!("expected an unknown change, got {error}");
    };
    let outcome = client
        .reconcile_change_within(&id, asked, quick())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ChangeReconciliation::NotApplied { order, .. } if order.price == Some(price("1401"))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_unknown_cancellation_names_the_order_and_reconciles() {
    let world = World::start("reconcile-cancel").await;
    // Above the limit, so the buy rests on the book.
    world.sim.set_price("NSE:INFY", price("1500")).unwrap();
    let client = Client::new(world.logged_in().await);
    let kept = client.place_order(&infy_buy("tokeep")).await.unwrap();
    let cancelled = client.place_order(&infy_buy("tocancel")).await.unwrap();
    let cancel: FaultTarget = "DELETE /orders/regular/*".parse().unwrap();

    world.sim.inject(cancel.clone(), Fault::Drop, 1);
    let error = client.cancel_order(&cancelled).await.unwrap_err();
    let Error::OrderChangeOutcomeUnknown {
        order_id, change, ..
    } = &error
    else {
        panic!("expected an unknown change, got {error}");
    };
    assert_eq!((order_id, change), (&cancelled, &OrderChange::Cancel));
    let outcome = client.reconcile_change(&cancelled, change).await.unwrap();
    assert!(
        matches!(&outcome, ChangeReconciliation::Applied(o) if o.status.state == OrderState::Cancelled),
        "{outcome:?}"
    );

    world.sim.inject(
        cancel,
        before_processing(StatusCode::INTERNAL_SERVER_ERROR, "GeneralException"),
        1,
    );
    let error = client.cancel_order(&kept).await.unwrap_err();
    assert!(
        matches!(&error, Error::OrderChangeOutcomeUnknown { order_id, .. } if order_id == &kept),
        "{error}"
    );
    let outcome = client
        .reconcile_change_within(&kept, &OrderChange::Cancel, quick())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ChangeReconciliation::NotApplied { order, .. } if order.status.state == OrderState::Open),
        "{outcome:?}"
    );
}

/// SplitMix64: a small, seeded, reproducible source of randomness for the chaos run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every fault tt-sim has, and none.
fn random_fault(rng: &mut SplitMix) -> Option<Fault> {
    match rng.below(10) {
        0 => Some(Fault::Delay(Duration::from_millis(450))),
        1 => Some(Fault::Drop),
        2 => Some(Fault::Malformed),
        3 => Some(before_processing(
            StatusCode::SERVICE_UNAVAILABLE,
            "NetworkException",
        )),
        4 => Some(processed_then(StatusCode::INTERNAL_SERVER_ERROR)),
        5 => Some(before_processing(StatusCode::BAD_REQUEST, "InputException")),
        _ => None,
    }
}

/// How one intended order ended, as its task saw it.
#[derive(Debug, Default)]
struct Ledger {
    /// Tag -> the order id the broker holds for it (placed, or found by reconciliation).
    placed: HashMap<String, String>,
    /// Tags refused definitively (never in the book).
    refused: Vec<String>,
    /// Unknown outcomes met, and how many reconciliation settled.
    unknown: u32,
    reconciled: u32,
    /// Unknown outcomes reconciliation found not placed, then placed again.
    replaced: u32,
}

const TASKS: u64 = 8;
const ORDERS_PER_TASK: u64 = 64;

async fn chaos_task(client: Client<Zerodha>, world: Arc<World>, seed: u64, task: u64) -> Ledger {
    let mut rng = SplitMix(seed ^ (task.wrapping_mul(0xA076_1D64_78BD_642F)));
    let target: FaultTarget = "POST /orders/regular".parse().unwrap();
    let window = ReconcileWindow::new(Duration::from_millis(700), Duration::from_millis(50));
    let mut ledger = Ledger::default();
    for n in 0..ORDERS_PER_TASK {
        let tag = format!("chaos{task}x{n}");
        let order = infy_buy(&tag);
        // Until the intent is settled: placed (once) or refused.
        loop {
            if let Some(fault) = random_fault(&mut rng) {
                world.sim.inject(target.clone(), fault, 1);
            }
            match client.place_order(&order).await {
                Ok(id) => {
                    ledger.placed.insert(tag.clone(), id.as_str().to_owned());
                    break;
                }
                Err(Error::OrderOutcomeUnknown { tag: unknown, .. }) => {
                    assert_eq!(unknown.as_str(), tag);
                    ledger.unknown += 1;
                    let outcome = client.reconcile_within(order.tag(), window).await.unwrap();
                    ledger.reconciled += 1;
                    match outcome {
                        Reconciliation::Found(orders) => {
                            assert_eq!(orders.len(), 1, "{tag}: {orders:?}");
                            ledger
                                .placed
                                .insert(tag.clone(), orders[0].id.as_str().to_owned());
                            break;
                        }
                        // Proven not placed: placing again cannot duplicate it.
                        Reconciliation::NotFound { .. } => ledger.replaced += 1,
                    }
                }
                Err(error) if error.retryable() => {
                    // Provably never sent (a network error before the wire): safe to repeat.
                }
                Err(Error::InvalidOrder { .. }) => {
                    ledger.refused.push(tag.clone());
                    break;
                }
                Err(other) => panic!("{tag}: unexpected {other}"),
            }
        }
    }
    ledger
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_many_orders_under_random_faults_are_never_duplicated_or_lost() {
    let seed: u64 = std::env::var("TT_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7474_636F_6E6E_6563);
    println!("chaos seed {seed} (set TT_CHAOS_SEED to replay another)");
    let world = Arc::new(World::start("chaos").await);
    // A response deadline shorter than the simulator's injected delay, no client-side rate
    // limits (the simulator's are off too): faults, not queues, decide the run.
    let zerodha = Zerodha::new(
        world
            .zerodha_config()
            .without_rate_limits()
            .http(HttpConfig {
                response_timeout: Duration::from_millis(300),
                ..HttpConfig::default()
            }),
    );
    world.log_in(&zerodha).await;
    let client = Client::new(zerodha);

    let tasks: Vec<_> = (0..TASKS)
        .map(|task| tokio::spawn(chaos_task(client.clone(), Arc::clone(&world), seed, task)))
        .collect();
    let mut ledger = Ledger::default();
    for task in tasks {
        let part = task.await.unwrap();
        ledger.placed.extend(part.placed);
        ledger.refused.extend(part.refused);
        ledger.unknown += part.unknown;
        ledger.reconciled += part.reconciled;
        ledger.replaced += part.replaced;
    }
    world.sim.clear_faults();

    // The broker's book, by tag.
    let mut book: HashMap<String, Vec<String>> = HashMap::new();
    for order in world.sim.orders() {
        let tag = order.tag.clone().unwrap_or_default();
        book.entry(tag).or_default().push(order.order_id);
    }
    let duplicates: Vec<_> = book.iter().filter(|(_, ids)| ids.len() > 1).collect();
    let unaccounted: Vec<_> = book
        .keys()
        .filter(|tag| !ledger.placed.contains_key(*tag))
        .collect();
    let missing: Vec<_> = ledger
        .placed
        .iter()
        .filter(|(tag, id)| book.get(*tag).is_none_or(|ids| !ids.contains(id)))
        .collect();
    println!(
        "chaos: {} intents, {} placed, {} refused, {} unknown outcomes ({} reconciled, {} proven not placed and placed again), {} duplicates, {} unaccounted, {} missing",
        TASKS * ORDERS_PER_TASK,
        ledger.placed.len(),
        ledger.refused.len(),
        ledger.unknown,
        ledger.reconciled,
        ledger.replaced,
        duplicates.len(),
        unaccounted.len(),
        missing.len()
    );
    assert!(duplicates.is_empty(), "duplicates: {duplicates:?}");
    assert!(
        unaccounted.is_empty(),
        "in the book, not in the ledger: {unaccounted:?}"
    );
    assert!(
        missing.is_empty(),
        "in the ledger, not in the book: {missing:?}"
    );
    assert_eq!(
        ledger.placed.len() + ledger.refused.len(),
        usize::try_from(TASKS * ORDERS_PER_TASK).unwrap(),
        "every intent settled"
    );
    for tag in &ledger.refused {
        assert!(
            !book.contains_key(tag),
            "{tag} was refused yet is in the book"
        );
    }
    assert_eq!(
        ledger.unknown, ledger.reconciled,
        "every unknown reconciled"
    );
    // The run exercised what it is for.
    assert!(ledger.unknown >= 50, "{} unknowns", ledger.unknown);
    assert!(ledger.replaced >= 5, "{} replaced", ledger.replaced);
}
