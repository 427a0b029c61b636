//! The streaming engine every broker's feed runs on: sockets that heal themselves, the
//! subscription registry, and the bounded road to the consumer.
//!
//! A broker describes its protocol with [`FeedProtocol`] (where to connect, how instruments
//! become subscriptions, its limits) and [`SocketProtocol`] (what to send to subscribe, how to
//! decode what arrives); [`open_feed`] does the rest, the same way for every broker:
//!
//! - Subscriptions are keyed by [`SubscriptionKey`] (broker, segment, token), never by a bare
//!   token, and spread over up to [`FeedLayout::market_sockets`] sockets of
//!   [`FeedLayout::per_socket`] each; past the total, a subscription is refused whole.
//! - Each socket runs on a task of its own: frames are read and decoded there and delivered
//!   over a bounded channel; a full channel drops events and reports how many
//!   ([`FeedEvent::Lagged`]), never stalling the socket.
//! - A market-data socket hands every binary message, as received, to
//!   [`FeedOptions::recorder`] (when set) before decoding it.
//! - A dropped socket reconnects after an exponential, jittered backoff and replays every one
//!   of its subscriptions with its mode. A socket silent for the stall timeout (no tick,
//!   heartbeat or pong: it is pinged at half the timeout) is reported
//!   [`FeedEvent::Stalled`] and reopened.
//! - A refused session (the broker's target fails with an authentication error, or the
//!   upgrade is answered 401/403) closes the whole feed at once with
//!   [`CloseReason::SessionExpired`] instead of retrying; [`FeedControl::resume`] reopens it
//!   with the same subscriptions once the broker has a fresh session.

mod backoff;
mod engine;
mod sink;
mod socket;

use std::sync::Arc;

use tt_core::async_trait;
use tt_core::{
    CloseReason, ConnectionId, Exchange, Feed, FeedEvent, FeedOptions, Instrument, Result,
    StreamMode,
};

use crate::ws::{WsError, WsTarget};

/// What identifies a subscription: the broker, the instrument's segment and the broker's
/// token. Two segments may reuse a token; a key never confuses them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionKey {
    /// The broker, lower case.
    pub broker: &'static str,
    /// The instrument's segment.
    pub exchange: Exchange,
    /// The broker's token for it.
    pub token: Arc<str>,
}

/// One instrument streamed in one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its key.
    pub key: SubscriptionKey,
    /// The canonical instrument, which its ticks carry.
    pub instrument: Instrument,
    /// The mode.
    pub mode: StreamMode,
}

/// A message to send on a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

/// A whole message received on a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A text frame's payload (valid UTF-8).
    Text(&'a [u8]),
    /// A binary frame's payload.
    Binary(&'a [u8]),
}

/// How a broker's feed spreads over sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedLayout {
    /// The most market-data sockets the broker allows at once.
    pub market_sockets: u8,
    /// Instruments one market-data socket may carry, when the broker caps it.
    pub per_socket: Option<usize>,
    /// Where order updates arrive: on the first market-data socket (which then opens at once,
    /// subscriptions or not) or on a portfolio socket of their own.
    pub order_updates: Option<tt_core::ConnectionKind>,
}

/// A broker's streaming protocol: what the engine asks of the broker.
#[async_trait]
pub trait FeedProtocol: Send + Sync + 'static {
    /// The broker's name, lower case.
    fn broker(&self) -> &'static str;

    /// How the feed spreads over sockets.
    fn layout(&self) -> FeedLayout;

    /// Resolves instruments into subscriptions in `mode`, through the instrument master.
    ///
    /// # Errors
    /// An instrument the master does not know, a stale master, a mode the broker lacks.
    fn resolve(&self, instruments: &[Instrument], mode: StreamMode) -> Result<Vec<Subscription>>;

    /// Checks the feed's whole set of subscriptions, as it would be after a change, against
    /// the broker's limits beyond instruments per socket (per mode, say). The default has none.
    ///
    /// # Errors
    /// [`tt_core::Error::SubscriptionLimit`] naming the limit.
    fn check_limits(&self, subscriptions: &[&Subscription]) -> Result<()> {
        let _ = subscriptions;
        Ok(())
    }

    /// Where socket `connection` connects now (this may call the broker: a single-use URL).
    ///
    /// # Errors
    /// An authentication error ([`tt_core::Error::is_auth_error`]) closes the feed with
    /// [`CloseReason::SessionExpired`]; any other is retried after the backoff.
    async fn target(&self, connection: ConnectionId) -> Result<WsTarget>;

    /// Fresh state for one connection of socket `connection`; `order_updates` says whether
    /// this socket's order updates are wanted.
    fn socket(&self, connection: ConnectionId, order_updates: bool) -> Box<dyn SocketProtocol>;

    /// Whether a refused upgrade means the session is gone: by default HTTP 401 or 403.
    fn is_session_refusal(&self, error: &WsError) -> bool {
        error.is_auth_refusal()
    }
}

/// One connection's protocol state: what it sends to subscribe, and how it decodes.
pub trait SocketProtocol: Send {
    /// The messages that subscribe `subscriptions` (each in its mode) on this connection; it
    /// also remembers them, to decode their ticks.
    fn subscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing>;

    /// The messages that unsubscribe `subscriptions`; it forgets them.
    fn unsubscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing>;

    /// Decodes one received message, emitting its events in order. A message that does not
    /// decode is an event too ([`FeedEvent::Error`]), never a panic.
    fn decode(&mut self, message: Incoming<'_>, emit: &mut dyn FnMut(FeedEvent));
}

/// Opens a feed on `protocol`: the order-update socket at once when `options.order_updates`,
/// market-data sockets as subscriptions need them.
///
/// The feed's sockets run on the tokio runtime it is opened on, whichever executor later
/// subscribes.
///
/// # Errors
/// [`tt_core::Error::Config`] outside a tokio runtime. Connection failures are events, not
/// errors.
pub fn open_feed<P: FeedProtocol>(protocol: Arc<P>, options: FeedOptions) -> Result<Feed> {
    engine::Engine::open(protocol, options)
}

/// The reason a feed closes when the broker refuses its session.
fn session_expired(broker: &'static str, message: String) -> CloseReason {
    CloseReason::SessionExpired { broker, message }
}
