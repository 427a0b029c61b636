//! Serving: the loopback listener, one task per connection (hyper, HTTP/1.1), the dispatch by
//! path (`/__sim/` to the admin endpoints, Upstox's paths to [`crate::upstox`], everything else
//! to [`crate::kite`]), the fault layer in front of the brokers' handlers (answering in the
//! faulted broker's error format), and [`SimHandle`], with which a test or the CLI steers a
//! running simulator.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tt_core::{Price, Secret};

use crate::account::order::Status;
use crate::admin::AdminGate;
use crate::call::Call;
use crate::reply::{self, Reply};
use crate::sim::Sim;
use crate::{
    Fault, FaultTarget, KiteApp, RateLimits, SimBroker, SimConfig, SimError, StreamFault, admin,
    kite, upstox,
};

/// The largest request body read; the brokers' requests are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;

/// Starts simulators.
///
/// ```no_run
/// use std::sync::Arc;
/// use tt_core::Price;
/// use tt_instruments::InstrumentMaster;
/// use tt_sim::{Fault, FaultTarget, SimConfig, Simulator};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let master = Arc::new(InstrumentMaster::open("_cache/instruments.db")?);
/// let sim = Simulator::start(SimConfig::new(master)).await?;
/// sim.set_price("NSE:INFY", "1500".parse::<Price>()?)?;
/// sim.inject("POST /orders/regular".parse()?, Fault::Drop, 1);
/// let root = sim.url(); // give this to a Kite client as its root
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Simulator;

impl Simulator {
    /// Reads the master (and the state database, if configured and present), binds the address and
    /// starts serving on the current tokio runtime. The simulator stops when the handle is
    /// dropped or [`SimHandle::shutdown`] is called.
    ///
    /// # Errors
    /// [`SimError::NotLoopback`] for an address beyond the machine, [`SimError::Bind`] when the
    /// address cannot be bound, [`SimError::Master`] / [`SimError::EmptyMaster`] for an
    /// unusable master, [`SimError::State`] for an unreadable state database or one of another
    /// schema version, [`SimError::StateRow`] for a saved row that does not read back.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        if !config.addr.ip().is_loopback() {
            return Err(SimError::NotLoopback(config.addr));
        }
        let sim = Arc::new(Sim::new(&config)?);
        let gate = Arc::new(AdminGate::new(config.admin_token.clone()));
        let bind_error = |source| SimError::Bind {
            addr: config.addr,
            source,
        };
        let listener = TcpListener::bind(config.addr).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let _ = sim.addr.set(addr);
        let (stop, stopped) = watch::channel(false);
        if let Some(walk) = config.stream.walk {
            tokio::spawn(crate::stream::walk::run(
                Arc::clone(&sim),
                walk,
                config.stream.tick_interval,
                stopped.clone(),
            ));
        }
        let task = tokio::spawn(accept(
            listener,
            Arc::clone(&sim),
            Arc::clone(&gate),
            stopped,
        ));
        Ok(SimHandle {
            sim,
            gate,
            addr,
            stop,
            task: Some(task),
        })
    }
}

async fn accept(
    listener: TcpListener,
    sim: Arc<Sim>,
    gate: Arc<AdminGate>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream, Arc::clone(&sim), Arc::clone(&gate), stop.clone()));
                }
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stop.changed() => break,
        }
    }
}

async fn serve(
    stream: TcpStream,
    sim: Arc<Sim>,
    gate: Arc<AdminGate>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let sim = Arc::clone(&sim);
        let gate = Arc::clone(&gate);
        async move { respond(&sim, &gate, request).await }
    });
    let connection = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// A broker's error reply with `status`, for a fault or an unreadable request. `error_type` is
/// Kite's `error_type`, or for Upstox the `error_code` (see [`Fault::Status`]).
fn broker_error(broker: SimBroker, status: StatusCode, error_type: &str, message: &str) -> Reply {
    match broker {
        SimBroker::Kite => kite::wire::error_reply(status, error_type, message),
        SimBroker::Upstox => upstox::wire::fault_reply(status, error_type, message),
    }
}

async fn respond(
    sim: &Arc<Sim>,
    gate: &AdminGate,
    request: Request<Incoming>,
) -> Result<Reply, DropConnection> {
    if fastwebsockets::upgrade::is_upgrade_request(&request) {
        return Ok(crate::stream::open(sim, request));
    }
    let (parts, body) = request.into_parts();
    let broker = SimBroker::of_path(parts.uri.path());
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let message = "The request body is too large or could not be read.";
            return Ok(match broker {
                SimBroker::Kite => kite::wire::KiteError::input(message).reply(),
                SimBroker::Upstox => upstox::wire::UpstoxError::input(message).reply(),
            });
        }
    };
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
    };
    if call.path == "/__sim" || call.path.starts_with("/__sim/") {
        if let Some(refusal) = gate.refusal(&call) {
            return Ok(refusal);
        }
        let reply = admin::respond(sim, &call);
        sim.persist();
        return Ok(reply);
    }
    let fault = sim.lock().faults.take(&call.method, &call.path);
    if let Some(Fault::Status {
        status,
        error_type,
        message,
    }) = &fault
    {
        return Ok(broker_error(broker, *status, error_type, message));
    }
    let reply = match broker {
        SimBroker::Kite => kite::respond(sim, &call),
        SimBroker::Upstox => upstox::respond(sim, &call),
    };
    sim.persist();
    match fault {
        Some(Fault::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            Ok(reply)
        }
        Some(Fault::Drop) => Err(DropConnection),
        Some(Fault::Malformed) => Ok(truncated(reply).await),
        Some(Fault::ProcessedThenStatus {
            status,
            error_type,
            message,
        }) => Ok(broker_error(broker, status, &error_type, &message)),
        Some(Fault::Status { .. }) | None => Ok(reply),
    }
}

/// 200 with the first half of the response's JSON (or of a success envelope, for CSV).
async fn truncated(reply: Reply) -> Reply {
    let is_json = reply
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body: Bytes = match reply.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let json = if is_json && body.len() > 1 {
        body
    } else {
        Bytes::from_static(br#"{"status":"success","data":{}}"#)
    };
    reply::json(StatusCode::OK, json.slice(..json.len() / 2).to_vec())
}

/// One order of a broker's book, as [`SimHandle::orders_of`] lists it, in that broker's
/// vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimOrder {
    /// The broker whose book holds it.
    pub broker: SimBroker,
    /// The broker's `order_id`.
    pub order_id: String,
    /// The client's `tag`, as sent.
    pub tag: Option<String>,
    /// The broker's status text now (Kite: `OPEN`, `COMPLETE`, ...; Upstox: `open`,
    /// `complete`, ...).
    pub status: String,
    /// Every status it passed through, oldest first.
    pub statuses: Vec<String>,
    /// Why it was rejected or cancelled by the system (the broker's `status_message`).
    pub status_message: Option<String>,
    /// The broker's variety (Kite: `regular` or `amo`; Upstox: `SIMPLE` or `AMO`).
    pub variety: String,
    /// The canonical instrument.
    pub instrument: tt_core::Instrument,
    /// The exchange.
    pub exchange: tt_core::Exchange,
    /// The broker's trading symbol (Kite's `tradingsymbol`, Upstox's `trading_symbol`).
    pub tradingsymbol: String,
    /// Buy or sell.
    pub side: tt_core::Side,
    /// MARKET, LIMIT, SL, SL-M.
    pub order_type: tt_core::OrderType,
    /// CNC, MIS, NRML, MTF.
    pub product: tt_core::ProductType,
    /// Units ordered.
    pub quantity: u32,
    /// Units filled.
    pub filled_quantity: u32,
    /// Limit price (zero for market orders).
    pub price: Price,
    /// Trigger price (zero unless a stop-loss).
    pub trigger_price: Price,
    /// Average fill price (zero until filled).
    pub average_price: Price,
}

/// A running simulator. Dropping it stops the simulator.
#[derive(Debug)]
pub struct SimHandle {
    sim: Arc<Sim>,
    gate: Arc<AdminGate>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The root URL clients take (`http://127.0.0.1:PORT`, no trailing slash): Kite's root, and
    /// both Upstox's API root and its order root (one address serves every broker).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The app it accepts (Kite's api key and secret, Upstox's client id and secret).
    pub fn app(&self) -> &KiteApp {
        &self.sim.app
    }

    /// The admin token every call under `/__sim/` must carry in the `X-Sim-Admin-Token`
    /// header: the one configured with [`SimConfig::admin_token`], or a random one per start.
    pub fn admin_token(&self) -> &Secret {
        self.gate.token()
    }

    /// Applies `fault` to the next `times` calls matching `target`.
    pub fn inject(&self, target: FaultTarget, fault: Fault, times: u32) {
        self.sim.lock().faults.inject(target, fault, times);
    }

    /// Removes every injected fault that has not acted yet.
    pub fn clear_faults(&self) {
        self.sim.lock().faults.clear();
    }

    /// Moves an instrument's price (a trade there), filling the resting orders it reaches in
    /// every broker's book: there is one market. `instrument` is Kite's
    /// `EXCHANGE:TRADINGSYMBOL`, Upstox's instrument key or the canonical text.
    ///
    /// # Errors
    /// [`SimError::UnknownInstrument`], or [`SimError::InvalidPrice`] for a price that is not
    /// positive or not a multiple of the tick.
    pub fn set_price(&self, instrument: &str, price: Price) -> Result<(), SimError> {
        let result = self.sim.set_price(instrument, price);
        self.sim.persist();
        result
    }

    /// An instrument's last price.
    ///
    /// # Errors
    /// [`SimError::UnknownInstrument`].
    pub fn price(&self, instrument: &str) -> Result<Price, SimError> {
        let listing = self
            .sim
            .universe
            .resolve(instrument)
            .ok_or_else(|| SimError::UnknownInstrument(instrument.to_owned()))?;
        Ok(self.sim.lock().market.last_price(listing))
    }

    /// Every order in Kite's book, in placement order, with its tag: `orders_of(SimBroker::Kite)`.
    pub fn orders(&self) -> Vec<SimOrder> {
        self.orders_of(SimBroker::Kite)
    }

    /// Every order in the broker's book, in placement order, with its tag.
    pub fn orders_of(&self, broker: SimBroker) -> Vec<SimOrder> {
        let (inner, _) = self.sim.current();
        let status = |s: Status| match broker {
            SimBroker::Kite => s.kite(),
            SimBroker::Upstox => s.upstox(),
        };
        inner
            .desk(broker)
            .account
            .orders
            .iter()
            .map(|order| {
                let state = &order.current;
                SimOrder {
                    broker,
                    order_id: state.order_id.clone(),
                    tag: state.tag.clone(),
                    status: status(state.status).to_owned(),
                    statuses: order
                        .history
                        .iter()
                        .map(|s| status(s.status).to_owned())
                        .collect(),
                    status_message: state.status_message.clone(),
                    variety: match broker {
                        SimBroker::Kite => state.variety.kite(),
                        SimBroker::Upstox => state.variety.upstox(),
                    }
                    .to_owned(),
                    instrument: state.instrument.instrument.clone(),
                    exchange: state.instrument.exchange,
                    tradingsymbol: state.instrument.tradingsymbol.clone(),
                    side: state.side,
                    order_type: state.terms.order_type,
                    product: state.product,
                    quantity: state.terms.quantity,
                    filled_quantity: state.filled_quantity,
                    price: state.terms.price,
                    trigger_price: state.terms.trigger_price,
                    average_price: state.average_price,
                }
            })
            .collect()
    }

    /// Throws `fault` at the broker's live feed sockets (see [`StreamFault`] for what each
    /// does); `POST /__sim/stream` does the same.
    pub fn stream_fault(&self, broker: SimBroker, fault: StreamFault) {
        self.sim.stream_fault(broker, fault);
    }

    /// The broker's live feed sockets (Kite: ticker connections; Upstox: market data and
    /// portfolio feed connections).
    pub fn feed_connections(&self, broker: SimBroker) -> usize {
        self.sim.feeds.connections(broker)
    }

    /// Opens the market: after-market orders at every broker go to the exchange.
    pub fn open_market(&self) {
        self.sim.open_market();
        self.sim.persist();
    }

    /// Enforces `limits` at every broker from now on ([`RateLimits::UNLIMITED`] to switch them
    /// off).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        let mut inner = self.sim.lock();
        for broker in SimBroker::ALL {
            inner.desk_mut(broker).limiter.set_limits(limits);
        }
    }

    /// Enforces `limits` at one broker from now on.
    pub fn set_rate_limits_for(&self, broker: SimBroker, limits: RateLimits) {
        self.sim.lock().desk_mut(broker).limiter.set_limits(limits);
    }

    /// Opens a Kite session without the login flow and returns its access token, for tests
    /// that are not about logging in: `open_session_for(SimBroker::Kite)`.
    pub fn open_session(&self) -> String {
        self.open_session_for(SimBroker::Kite)
    }

    /// Opens a session at `broker` without the login flow and returns its access token (Kite:
    /// for `Authorization: token <api_key>:<access_token>`; Upstox: for
    /// `Authorization: Bearer <access_token>`).
    pub fn open_session_for(&self, broker: SimBroker) -> String {
        let token = self.sim.open_session(broker);
        self.sim.persist();
        token
    }

    /// Back to fresh accounts at every broker (funds, seeded holdings, no orders), reference
    /// prices and no faults. Sessions stay open.
    pub fn reset(&self) {
        {
            let mut inner = self.sim.lock();
            self.sim.reset(&mut inner);
        }
        self.sim.persist();
    }

    /// Stops accepting, lets open connections finish their current request, and waits for
    /// the listener to close.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.sim.feeds.shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.sim.feeds.shutdown();
    }
}
