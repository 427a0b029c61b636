//! What the shared end-to-end scenarios need to know about each broker: its adapter, how a
//! test logs in, its book in the simulator, its placement path, its codes and its limits. A
//! scenario written once against [`Side`] runs for Zerodha and for Upstox alike.

use std::future::Future;

use time::Time;
use time::macros::time;
use tt_connect::{Login, MarketFeed, Result, Secret, SessionInfo, Trading, Upstox, Zerodha};
use tt_sim::{FaultTarget, RateLimits, SimBroker};
use tt_transport::RetryPolicy;

use crate::World;

/// One broker as the shared scenarios drive it.
pub trait Side {
    /// The adapter.
    type Broker: Trading + Login + MarketFeed + Clone + Send + Sync + 'static;
    /// The broker's name (`Broker::name`, `Profile::broker`).
    const NAME: &'static str;
    /// Its book in the simulator.
    const SIM: SimBroker;
    /// The method and path a regular placement goes to.
    const PLACE: (&'static str, &'static str);
    /// When (IST) a session made today ends, the next morning.
    const SESSION_ENDS: Time;
    /// The simulator's limits for this broker as the broker documents them.
    const LIMITS: RateLimits;
    /// Quote calls a burst test can send in about three seconds of its quote limit.
    const BURST_QUOTES: usize;
    /// The broker's code for a server-side failure (Kite's `error_type`, Upstox's
    /// `error_code`), as an injected fault sends it.
    const SERVER_ERROR: &'static str;
    /// The raw status of an after-market order waiting for the open.
    const AMO_WAITING: &'static str;
    /// Whether the broker takes TTL validity (else it is refused before the network).
    const TTL: bool;

    /// A client for the world's simulator, its own rate limiter on, retrying as `retry` says.
    fn broker(world: &World, retry: RetryPolicy) -> Self::Broker;

    /// Logs in through the broker's own login redirect.
    fn log_in(world: &World, broker: &Self::Broker) -> impl Future<Output = ()> + Send;

    /// Starts a session from a token the program already holds.
    fn use_access_token(broker: &Self::Broker, user_id: &str, token: Secret)
    -> Result<SessionInfo>;
}

/// Zerodha (Kite Connect v3).
#[derive(Debug, Clone, Copy)]
pub struct ZerodhaSide;

impl Side for ZerodhaSide {
    type Broker = Zerodha;
    const NAME: &'static str = "zerodha";
    const SIM: SimBroker = SimBroker::Kite;
    const PLACE: (&'static str, &'static str) = ("POST", "/orders/regular");
    const SESSION_ENDS: Time = time!(06:00);
    const LIMITS: RateLimits = RateLimits::KITE;
    const BURST_QUOTES: usize = 3;
    const SERVER_ERROR: &'static str = "GeneralException";
    const AMO_WAITING: &'static str = "AMO REQ RECEIVED";
    const TTL: bool = true;

    fn broker(world: &World, retry: RetryPolicy) -> Zerodha {
        Zerodha::new(world.zerodha_config().retry(retry))
    }

    async fn log_in(world: &World, broker: &Zerodha) {
        world.log_in(broker).await;
    }

    fn use_access_token(broker: &Zerodha, user_id: &str, token: Secret) -> Result<SessionInfo> {
        broker.use_access_token(user_id, token)
    }
}

/// Upstox (API v2/v3).
#[derive(Debug, Clone, Copy)]
pub struct UpstoxSide;

impl Side for UpstoxSide {
    type Broker = Upstox;
    const NAME: &'static str = "upstox";
    const SIM: SimBroker = SimBroker::Upstox;
    const PLACE: (&'static str, &'static str) = ("POST", "/v3/order/place");
    const SESSION_ENDS: Time = time!(03:30);
    const LIMITS: RateLimits = RateLimits::UPSTOX;
    const BURST_QUOTES: usize = 120;
    const SERVER_ERROR: &'static str = "UDAPI100500";
    const AMO_WAITING: &'static str = "after market order req received";
    const TTL: bool = false;

    fn broker(world: &World, retry: RetryPolicy) -> Upstox {
        Upstox::new(world.upstox_config().retry(retry))
    }

    async fn log_in(world: &World, broker: &Upstox) {
        world.log_in_upstox(broker).await;
    }

    fn use_access_token(broker: &Upstox, user_id: &str, token: Secret) -> Result<SessionInfo> {
        broker.use_access_token(user_id, token)
    }
}

/// The placement fault target of a side.
pub fn place_target<S: Side>() -> FaultTarget {
    FaultTarget::new(S::PLACE.0, S::PLACE.1)
}
