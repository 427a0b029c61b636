//! The parts of an error-map test every broker's shares: the simulator's own refusals of a
//! finished or unknown order, injected error answers run through the map, and a refused token
//! ending the session. Each broker's test supplies its codes.

use std::sync::{Arc, Mutex};

use http::StatusCode;
use tt_connect::{Client, Error, Login, OrderId, OrderRequest, ProductType, Trading};
use tt_sim::{Fault, FaultTarget};

use crate::World;

/// Where a fault goes, the fault, and what the error must be.
pub type ErrorCase = (FaultTarget, Fault, fn(&Error) -> bool);

/// An error answer with `status` and the broker's `code` (Kite's `error_type`, Upstox's
/// `error_code`), sent instead of processing the call.
pub fn refusal(status: u16, code: &str) -> Fault {
    Fault::Status {
        status: StatusCode::from_u16(status).unwrap(),
        error_type: code.to_owned(),
        message: format!("{code} from the simulator"),
    }
}

/// Cancelling a filled order is the broker's order error with `code`; an unknown order's
/// history is `OrderNotFound`.
pub async fn finished_and_unknown_orders_are_refused<B: Trading>(client: &Client<B>, code: &str) {
    let infy = "NSE:INFY".parse().unwrap();
    let buy = OrderRequest::buy(infy, 1, ProductType::Cnc)
        .market()
        .build()
        .unwrap();
    let filled = client.place_order(&buy).await.unwrap();
    match client.cancel_order(&filled).await.unwrap_err() {
        Error::Order { code: got, .. } => assert_eq!(got.as_deref(), Some(code)),
        other => panic!("expected an order refusal, got {other}"),
    }
    let missing = OrderId::new("999999999999999").unwrap();
    assert!(matches!(
        client.order_history(&missing).await.unwrap_err(),
        Error::OrderNotFound { .. }
    ));
}

/// Each case's fault, injected in front of `read` (answered by a profile call) or of any other
/// target (answered by placing `order`), gives the error the case expects.
pub async fn each_answer_maps<B: Trading>(
    world: &World,
    client: &Client<B>,
    read: &FaultTarget,
    order: &OrderRequest,
    cases: Vec<ErrorCase>,
) {
    for (target, fault, expected) in cases {
        // Reads retry: a fault on a read must outlast the retries to be seen.
        world.sim.inject(target.clone(), fault.clone(), 3);
        let error = if &target == read {
            client.profile().await.unwrap_err()
        } else {
            client.place_order(order).await.unwrap_err()
        };
        assert!(expected(&error), "{fault:?} gave {error:?}");
        world.sim.clear_faults();
    }
}

/// A refused token (`fault` on the profile call `read`) ends the session and fires the hook
/// once; the next call refuses locally.
pub async fn a_refused_token_ends_the_session<B: Trading + Login + Clone>(
    world: &World,
    broker: &B,
    read: &FaultTarget,
    fault: Fault,
) {
    let client = Client::new(broker.clone());
    let ended = Arc::new(Mutex::new(0));
    let count = Arc::clone(&ended);
    broker.on_session_expired(Arc::new(move |_| *count.lock().unwrap() += 1));
    world.sim.inject(read.clone(), fault, 1);
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::SessionExpired { .. }
    ));
    assert_eq!(*ended.lock().unwrap(), 1);
    assert!(broker.session().is_none());
    assert!(matches!(
        client.profile().await.unwrap_err(),
        Error::Authentication { .. }
    ));
}
