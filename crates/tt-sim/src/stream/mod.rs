//! The brokers' streaming feeds, broker-neutral parts: how the feeds are configured
//! ([`StreamConfig`]), the faults a test can throw at live sockets ([`StreamFault`]), the
//! registry of live feed sockets (counts, limits, single-use feed codes, the instruments being
//! streamed), the order and position updates published to them, and the one loop every feed
//! socket runs ([`session`]). Each broker's wire format is in its own module
//! (`kite::ticker`, `upstox::feed`, `upstox::portfolio_feed`).

pub(crate) mod session;
pub(crate) mod socket;
pub(crate) mod updates;
pub(crate) mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::SimBroker;
use crate::market::Market;
use crate::quote::{self, Snapshot};
use crate::reply::Reply;
use crate::session::random_token;
use crate::sim::Sim;
use crate::universe::{Listing, stable_hash};

/// Called with each market-data frame's payload right before it is written, and the broker
/// whose feed writes it (for latency measurements).
pub type FrameTap = Arc<dyn Fn(SimBroker, &[u8]) + Send + Sync>;

/// A seeded random walk of the streamed instruments' prices: every tick interval each
/// instrument some feed streams moves by a whole number of ticks between `-step_ticks` and
/// `+step_ticks`, through the same path as [`SimHandle::set_price`](crate::SimHandle::set_price),
/// so resting orders fill as the walk reaches them. The same seed and the same subscriptions
/// give the same walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceWalk {
    /// The random generator's seed.
    pub seed: u64,
    /// The largest move per interval, in ticks (0 keeps prices still).
    pub step_ticks: u32,
}

/// How the simulator's WebSocket feeds behave (Kite's ticker, Upstox's market data and
/// portfolio feeds): how often they tick, whether prices walk on their own, and a tap on the
/// frames written.
///
/// The defaults: a tick every 250 ms for each subscribed instrument on each connection, no
/// price walk (prices move only when set, so tests are deterministic), a Kite heartbeat after a
/// second without any other frame, an Upstox ping after ten idle seconds, no tap. `tt sim` can
/// turn the walk on with [`StreamConfig::walk`].
///
/// ```
/// use std::time::Duration;
/// use tt_sim::{PriceWalk, StreamConfig};
///
/// let config = StreamConfig::default()
///     .tick_interval(Duration::from_millis(100))
///     .walk(PriceWalk { seed: 7, step_ticks: 2 });
/// assert_eq!(config.tick_period(), Duration::from_millis(100));
/// ```
#[derive(Clone)]
pub struct StreamConfig {
    pub(crate) tick_interval: Duration,
    pub(crate) walk: Option<PriceWalk>,
    pub(crate) frame_tap: Option<FrameTap>,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) ping_interval: Duration,
}

impl fmt::Debug for StreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamConfig")
            .field("tick_interval", &self.tick_interval)
            .field("walk", &self.walk)
            .field("frame_tap", &self.frame_tap.as_ref().map(|_| "Fn"))
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("ping_interval", &self.ping_interval)
            .finish()
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            tick_interval: Duration::from_millis(250),
            walk: None,
            frame_tap: None,
            heartbeat_interval: Duration::from_secs(1),
            ping_interval: Duration::from_secs(10),
        }
    }
}

impl StreamConfig {
    /// How often each subscribed instrument gets a tick on each connection (at least 1 ms).
    /// All the packets due on a connection go out in one frame.
    pub fn tick_interval(mut self, interval: Duration) -> StreamConfig {
        self.tick_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The tick interval in force.
    pub fn tick_period(&self) -> Duration {
        self.tick_interval
    }

    /// Moves every streamed instrument's price by `walk` each tick interval.
    pub fn walk(mut self, walk: PriceWalk) -> StreamConfig {
        self.walk = Some(walk);
        self
    }

    /// Calls `tap` with each market-data frame's payload right before it is written.
    pub fn frame_tap(mut self, tap: FrameTap) -> StreamConfig {
        self.frame_tap = Some(tap);
        self
    }

    /// How long a Kite ticker stays silent before it sends a 1-byte heartbeat (default 1 s).
    pub fn heartbeat_interval(mut self, interval: Duration) -> StreamConfig {
        self.heartbeat_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How long an Upstox feed stays idle before it sends a WebSocket ping (default 10 s).
    pub fn ping_interval(mut self, interval: Duration) -> StreamConfig {
        self.ping_interval = interval.max(Duration::from_millis(1));
        self
    }
}

/// A fault thrown at one broker's live feed sockets, with
/// [`SimHandle::stream_fault`](crate::SimHandle::stream_fault) or `POST /__sim/stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFault {
    /// Every live feed socket is closed abruptly: the TCP connection is shut, no close frame.
    Drop,
    /// Every live feed socket stays open but sends nothing more at all (no ticks, heartbeats,
    /// pings or order updates) until the client goes away. New connections are normal.
    Mute,
    /// One malformed binary frame on each live market-data socket (Kite: a packet whose length
    /// runs past the frame's end; Upstox: bytes that are no `FeedResponse`), then normal
    /// service.
    Garbage,
    /// Every session of the broker is invalidated (REST refuses its tokens as expired ones)
    /// and its feed sockets are closed, so a reconnect's handshake is refused (Kite 403,
    /// Upstox 401).
    ExpireToken,
}

impl StreamFault {
    /// The name `POST /__sim/stream` takes (`drop`, `mute`, `garbage`, `expire_token`).
    pub const fn name(self) -> &'static str {
        match self {
            StreamFault::Drop => "drop",
            StreamFault::Mute => "mute",
            StreamFault::Garbage => "garbage",
            StreamFault::ExpireToken => "expire_token",
        }
    }
}

impl fmt::Display for StreamFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stream fault name that is none of `drop`, `mute`, `garbage`, `expire_token`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stream fault `{0}` (drop, mute, garbage, expire_token)")]
pub struct UnknownStreamFault(pub String);

impl FromStr for StreamFault {
    type Err = UnknownStreamFault;

    fn from_str(text: &str) -> Result<StreamFault, UnknownStreamFault> {
        [
            StreamFault::Drop,
            StreamFault::Mute,
            StreamFault::Garbage,
            StreamFault::ExpireToken,
        ]
        .into_iter()
        .find(|f| f.name() == text)
        .ok_or_else(|| UnknownStreamFault(text.to_owned()))
    }
}

/// What the registry tells every live socket of a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// A fault to act on.
    Fault(StreamFault),
    /// The session is gone: close the socket.
    SessionEnded,
    /// The simulator stops.
    Shutdown,
}

/// The feeds the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum FeedKind {
    /// Kite's ticker (market data and order updates).
    KiteTicker,
    /// Upstox's market data feed v3.
    UpstoxMarketData,
    /// Upstox's portfolio stream feed.
    UpstoxPortfolio,
}

impl FeedKind {
    /// The broker the feed belongs to.
    pub(crate) const fn broker(self) -> SimBroker {
        match self {
            FeedKind::KiteTicker => SimBroker::Kite,
            FeedKind::UpstoxMarketData | FeedKind::UpstoxPortfolio => SimBroker::Upstox,
        }
    }

    /// True for the feeds that carry order (and position) updates.
    pub(crate) const fn takes_updates(self) -> bool {
        matches!(self, FeedKind::KiteTicker | FeedKind::UpstoxPortfolio)
    }
}

/// Kite's limit of concurrent ticker connections per api_key.
pub(crate) const KITE_CONNECTIONS_PER_KEY: usize = 3;

/// How long a feed authorization's single-use code can be used.
const CODE_LIFETIME: time::Duration = time::Duration::minutes(10);

/// What an order or position change tells the sockets that take updates: the text frame, and
/// what kind of update it is (Upstox's portfolio feed filters by kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Update {
    /// Order or position.
    pub(crate) kind: UpdateKind,
    /// The frame's text.
    pub(crate) text: String,
}

/// The kinds of update the feeds publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum UpdateKind {
    /// An order changed.
    Order,
    /// A position changed.
    Position,
}

/// A single-use code from a feed's `authorize` call.
#[derive(Debug, Clone)]
struct FeedCode {
    code: String,
    kind: FeedKind,
    access_token: String,
    issued: OffsetDateTime,
}

/// What has been published to the sockets that take updates, per broker: each order's history
/// length and each position's bought and sold quantities at the last publication.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) orders: HashMap<String, usize>,
    pub(crate) positions: HashMap<String, (u64, u64)>,
}

/// The registry's changing state.
#[derive(Debug, Default)]
pub(crate) struct FeedState {
    /// Live feed sockets per kind.
    live: BTreeMap<FeedKind, usize>,
    /// Sockets taking order updates, per broker.
    watchers: [usize; 2],
    /// What was last published, per broker.
    pub(crate) published: [Published; 2],
    codes: Vec<FeedCode>,
    /// The listings some feed streams, with how many subscriptions each has.
    streamed: BTreeMap<usize, usize>,
}

impl FeedState {
    /// The number of sockets taking `broker`'s updates.
    pub(crate) fn watchers(&self, broker: SimBroker) -> usize {
        self.watchers.get(broker.index()).copied().unwrap_or(0)
    }
}

/// The registry of live feed sockets, and the channels that reach them.
#[derive(Debug)]
pub(crate) struct Feeds {
    pub(crate) config: StreamConfig,
    controls: [broadcast::Sender<Control>; 2],
    updates: [broadcast::Sender<Arc<Update>>; 2],
    state: Mutex<FeedState>,
}

/// How many updates a slow socket may fall behind by before it skips some.
const UPDATE_BACKLOG: usize = 4096;

impl Feeds {
    /// No sockets yet.
    pub(crate) fn new(config: StreamConfig) -> Feeds {
        Feeds {
            config,
            controls: [broadcast::channel(16).0, broadcast::channel(16).0],
            updates: [
                broadcast::channel(UPDATE_BACKLOG).0,
                broadcast::channel(UPDATE_BACKLOG).0,
            ],
            state: Mutex::new(FeedState::default()),
        }
    }

    /// The registry's state. Locked after the simulator's `inner`, never before.
    pub(crate) fn state(&self) -> MutexGuard<'_, FeedState> {
        // Every change completes before the guard drops.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn controls(&self, broker: SimBroker) -> &broadcast::Sender<Control> {
        match broker {
            SimBroker::Kite => &self.controls[0],
            SimBroker::Upstox => &self.controls[1],
        }
    }

    fn updates(&self, broker: SimBroker) -> &broadcast::Sender<Arc<Update>> {
        match broker {
            SimBroker::Kite => &self.updates[0],
            SimBroker::Upstox => &self.updates[1],
        }
    }

    /// Tells every live socket of `broker`.
    pub(crate) fn tell(&self, broker: SimBroker, control: Control) {
        // No receiver means no live socket: nothing to tell.
        let _ = self.controls(broker).send(control);
    }

    /// Sends an update to every socket taking `broker`'s updates.
    pub(crate) fn publish(&self, broker: SimBroker, update: Update) {
        let _ = self.updates(broker).send(Arc::new(update));
    }

    /// Live feed sockets of `broker`.
    pub(crate) fn connections(&self, broker: SimBroker) -> usize {
        self.state()
            .live
            .iter()
            .filter(|(kind, _)| kind.broker() == broker)
            .map(|(_, n)| n)
            .sum()
    }

    /// Issues a single-use code for `kind`, tied to the session of `access_token`.
    pub(crate) fn issue_code(
        &self,
        kind: FeedKind,
        access_token: &str,
        now: OffsetDateTime,
    ) -> String {
        let code = random_token(32);
        let mut state = self.state();
        state.codes.retain(|c| now - c.issued < CODE_LIFETIME);
        state.codes.push(FeedCode {
            code: code.clone(),
            kind,
            access_token: access_token.to_owned(),
            issued: now,
        });
        code
    }

    /// Uses up `code`: the access token it was issued for, when it was issued for `kind`, is
    /// unused and has not lapsed.
    pub(crate) fn redeem_code(
        &self,
        kind: FeedKind,
        code: &str,
        now: OffsetDateTime,
    ) -> Option<String> {
        let mut state = self.state();
        let position = state.codes.iter().position(|c| c.code == code)?;
        let issued = state.codes.remove(position);
        (issued.kind == kind && now - issued.issued < CODE_LIFETIME).then_some(issued.access_token)
    }

    /// Forgets every code of `broker` (its sessions ended).
    pub(crate) fn forget_codes(&self, broker: SimBroker) {
        self.state().codes.retain(|c| c.kind.broker() != broker);
    }

    /// The listings some feed streams, in index order (the walk's order).
    pub(crate) fn streamed(&self) -> Vec<usize> {
        self.state().streamed.keys().copied().collect()
    }

    /// The simulator stops: every socket closes.
    pub(crate) fn shutdown(&self) {
        for broker in SimBroker::ALL {
            self.tell(broker, Control::Shutdown);
        }
    }
}

/// Why a feed connection was refused before the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The broker's limit of concurrent connections is reached.
    TooManyConnections,
}

/// One live feed socket's place in the registry: counted while it lives, subscribed to its
/// broker's controls (and updates, for the feeds that take them), and holding the listings it
/// streams. Dropping it takes the socket out of every count.
#[derive(Debug)]
pub(crate) struct Registration {
    sim: Arc<Sim>,
    kind: FeedKind,
    pub(crate) controls: broadcast::Receiver<Control>,
    pub(crate) updates: Option<broadcast::Receiver<Arc<Update>>>,
    streamed: BTreeSet<usize>,
}

impl Registration {
    /// Registers a socket of `kind`, unless the broker's connection limit is reached. A first
    /// socket taking updates starts the published baseline from the book as it is now, so it
    /// is told about changes from now on only.
    pub(crate) fn open(sim: &Arc<Sim>, kind: FeedKind) -> Result<Registration, Refusal> {
        let broker = kind.broker();
        // The baseline reads the book: lock `inner` before the registry, as everywhere.
        let inner = sim.lock();
        let feeds = &sim.feeds;
        let mut state = feeds.state();
        let live = state.live.get(&kind).copied().unwrap_or(0);
        if kind == FeedKind::KiteTicker && live >= KITE_CONNECTIONS_PER_KEY {
            return Err(Refusal::TooManyConnections);
        }
        state.live.insert(kind, live + 1);
        let updates = if kind.takes_updates() {
            if state.watchers(broker) == 0
                && let Some(published) = state.published.get_mut(broker.index())
            {
                *published = updates::baseline(&inner, broker);
            }
            if let Some(watchers) = state.watchers.get_mut(broker.index()) {
                *watchers += 1;
            }
            Some(feeds.updates(broker).subscribe())
        } else {
            None
        };
        Ok(Registration {
            sim: Arc::clone(sim),
            kind,
            controls: feeds.controls(broker).subscribe(),
            updates,
            streamed: BTreeSet::new(),
        })
    }

    /// The simulator this socket belongs to.
    pub(crate) fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The socket now streams `listing` (the price walk moves it).
    pub(crate) fn stream(&mut self, listing: usize) {
        if self.streamed.insert(listing) {
            *self.sim.feeds.state().streamed.entry(listing).or_insert(0) += 1;
        }
    }

    /// The socket no longer streams `listing`.
    pub(crate) fn unstream(&mut self, listing: usize) {
        if self.streamed.remove(&listing) {
            let mut state = self.sim.feeds.state();
            release(&mut state.streamed, listing);
        }
    }
}

fn release(streamed: &mut BTreeMap<usize, usize>, listing: usize) {
    if let Some(count) = streamed.get_mut(&listing) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            streamed.remove(&listing);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let broker = self.kind.broker();
        let mut state = self.sim.feeds.state();
        if let Some(live) = state.live.get_mut(&self.kind) {
            *live = live.saturating_sub(1);
        }
        if self.kind.takes_updates()
            && let Some(watchers) = state.watchers.get_mut(broker.index())
        {
            *watchers = watchers.saturating_sub(1);
        }
        for listing in std::mem::take(&mut self.streamed) {
            release(&mut state.streamed, listing);
        }
    }
}

/// One tick of a streamed instrument: a trade at the last price (a tradable instrument's
/// `last_quantity` is above zero and the day's volume grows by it, so no two ticks carry the
/// same volume), then the full quote as the REST quotes show it.
pub(crate) fn tick(market: &mut Market, listing: &Listing, now_unix: i64) -> Snapshot {
    let before = market.tape(listing);
    if !listing.instrument.is_tradable() {
        return quote::snapshot(listing, before);
    }
    let lot = listing.lot().max(1);
    // A few lots, varying with the volume so far so the sizes look like a tape.
    let salt = u32::try_from(before.volume % u64::from(u32::MAX)).unwrap_or(0);
    let lots = u32::try_from(stable_hash(listing.seed ^ salt, 2) % 10 + 1).unwrap_or(1);
    let after = market.record_trade(listing, lot.saturating_mul(lots), now_unix);
    quote::snapshot(listing, after)
}

/// Answers a WebSocket handshake, by path: Upstox's feeds at their paths, Kite's ticker at
/// every other path of the Kite side.
pub(crate) fn open(sim: &Arc<Sim>, mut request: http::Request<hyper::body::Incoming>) -> Reply {
    let path = request.uri().path().to_owned();
    if path == "/__sim" || path.starts_with("/__sim/") {
        return crate::kite::wire::KiteError::route_not_found().reply();
    }
    match SimBroker::of_path(&path) {
        SimBroker::Kite => crate::kite::ticker::open(sim, &mut request),
        SimBroker::Upstox => match path.as_str() {
            crate::upstox::feed::PATH => crate::upstox::feed::open(sim, &mut request),
            crate::upstox::portfolio_feed::PATH => {
                crate::upstox::portfolio_feed::open(sim, &mut request)
            }
            _ => crate::upstox::wire::UpstoxError::not_found().reply(),
        },
    }
}
