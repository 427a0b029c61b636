//! Streaming: the events a feed delivers, the options that shape its healing, and the control
//! a broker's feed offers while it streams.
//!
//! A feed never goes silently mute and never hides a gap: every disconnect, stall, dropped
//! event and the final close is an event in the same stream as the ticks.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_core::Stream;

use crate::{Exchange, Instrument, Order, OrderRecord, Position, Result, StreamMode, Tick};

/// One of a feed's sockets: what it carries and, where a broker spreads subscriptions over
/// several, which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId {
    /// What the socket carries.
    pub kind: ConnectionKind,
    /// Its number among the broker's sockets of that kind, from 0.
    pub index: u8,
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ConnectionKind::MarketData => "market-data",
            ConnectionKind::Portfolio => "portfolio",
        };
        write!(f, "{kind}#{}", self.index)
    }
}

/// What a feed socket carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionKind {
    /// Ticks (and, at Kite, order updates too).
    MarketData,
    /// Order, position and holding updates only (Upstox's portfolio stream).
    Portfolio,
}

/// Why a socket went away and is being reopened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disconnect {
    /// The server closed the connection (with its close code, when it sent one).
    Closed {
        /// The WebSocket close code.
        code: Option<u16>,
    },
    /// Nothing at all (no tick, heartbeat or ping) arrived for this long.
    Stalled {
        /// How long the socket was silent.
        silent_for: Duration,
    },
    /// Connecting, or the connection itself, failed.
    Failed {
        /// What failed, without secrets.
        error: String,
    },
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::Closed { code: Some(code) } => write!(f, "server closed ({code})"),
            Disconnect::Closed { code: None } => f.write_str("connection closed"),
            Disconnect::Stalled { silent_for } => {
                write!(f, "no frame for {} ms", silent_for.as_millis())
            }
            Disconnect::Failed { error } => f.write_str(error),
        }
    }
}

/// Why a feed ended for good.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The user closed it (or dropped every handle).
    Requested,
    /// The broker refused the session: log in again (or hand the broker a fresh access
    /// token), then resume the feed.
    SessionExpired {
        /// The broker, lower case.
        broker: &'static str,
        /// What the broker said, without secrets.
        message: String,
    },
    /// Reconnecting failed this many times in a row.
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Disconnect,
    },
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Requested => f.write_str("closed by the user"),
            CloseReason::SessionExpired { broker, message } => {
                write!(f, "{broker} session expired: {message}")
            }
            CloseReason::GaveUp { attempts, last } => {
                write!(
                    f,
                    "gave up after {attempts} reconnect attempts; last: {last}"
                )
            }
        }
    }
}

/// A problem a feed reports without stopping.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The broker sent an error message.
    #[error("{broker} feed error: {message}")]
    Broker {
        /// The broker, lower case.
        broker: &'static str,
        /// Its message.
        message: String,
    },
    /// A frame could not be decoded; it was skipped and the feed goes on.
    #[error("{broker} feed frame skipped: {problem}")]
    Malformed {
        /// The broker, lower case.
        broker: &'static str,
        /// What was wrong, and where in the frame.
        problem: String,
    },
}

/// A trading session phase of one exchange segment, as a feed reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MarketPhase {
    /// The pre-open session began.
    PreOpenStart,
    /// The pre-open session ended.
    PreOpenEnd,
    /// Normal trading is open.
    NormalOpen,
    /// Normal trading closed.
    NormalClose,
    /// The closing session began.
    ClosingStart,
    /// The closing session ended.
    ClosingEnd,
}

/// Which part of an exchange a market status is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MarketSegment {
    /// The exchange.
    pub exchange: Exchange,
    /// Whether this is the exchange's index segment rather than its tradable one.
    pub index: bool,
}

/// One segment's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketStatus {
    /// The segment.
    pub segment: MarketSegment,
    /// Its phase.
    pub phase: MarketPhase,
}

/// An order update: always the broker's record of it, and the canonical order when the
/// instrument master knows its instrument (so no update is lost to an unknown contract).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The order in the broker's own terms.
    pub record: OrderRecord,
    /// The canonical order, when its instrument resolved.
    pub order: Option<Order>,
}

/// What a market feed delivers: data, order updates, and the connection's own life, so a
/// consumer always knows when a gap happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// Ticks are nearly every event: boxing them would cost an allocation each to save space on
// the rare others.
#[allow(clippy::large_enum_variant)]
pub enum FeedEvent {
    /// A market-data update.
    Tick(Tick),
    /// An update to one of the account's orders.
    OrderUpdate(Box<OrderUpdate>),
    /// A change to one of the account's positions, as its net position now (brokers that
    /// stream positions: Upstox).
    PositionUpdate(Box<Position>),
    /// A socket is open and its subscriptions are (re)sent.
    Connected {
        /// The socket.
        connection: ConnectionId,
    },
    /// A socket dropped; reconnect attempt `attempt` is starting after a backoff. Ticks may be
    /// missed until the next [`FeedEvent::Connected`].
    Reconnecting {
        /// The socket.
        connection: ConnectionId,
        /// Attempt number, from 1.
        attempt: u32,
        /// Why it dropped (or why the previous attempt failed).
        reason: Disconnect,
    },
    /// Nothing arrived on a socket for the stall timeout; it is being reopened.
    Stalled {
        /// The socket.
        connection: ConnectionId,
        /// How long it was silent.
        silent_for: Duration,
    },
    /// Exchange segments' trading phases.
    MarketStatus(Vec<MarketStatus>),
    /// A notice the broker sent (Kite's `message`).
    Message(String),
    /// The consumer fell behind and this many events were dropped since the last one it got.
    Lagged {
        /// Events dropped.
        dropped: u64,
    },
    /// A problem that did not stop the feed.
    Error(FeedError),
    /// The feed ended; nothing follows.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

impl FeedEvent {
    /// An order update from the broker's record of it and, when its instrument resolved, the
    /// canonical order; a record that does not read is an error event instead (naming why).
    pub fn order_update(
        broker: &'static str,
        record: Result<OrderRecord>,
        order: Option<Order>,
    ) -> FeedEvent {
        match record {
            Ok(record) => FeedEvent::OrderUpdate(Box::new(OrderUpdate { record, order })),
            Err(error) => FeedEvent::malformed(broker, error),
        }
    }

    /// A message that did not decode: skipped, and reported as [`FeedError::Malformed`].
    pub fn malformed(broker: &'static str, problem: impl fmt::Display) -> FeedEvent {
        FeedEvent::Error(FeedError::Malformed {
            broker,
            problem: problem.to_string(),
        })
    }
}

/// A stream of feed events; it ends after [`FeedEvent::Closed`].
pub type FeedStream = Pin<Box<dyn Stream<Item = FeedEvent> + Send>>;

/// How a feed heals and buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// The first reconnect delay; it doubles per failed attempt (with jitter).
    pub reconnect_initial: Duration,
    /// The longest reconnect delay.
    pub reconnect_max: Duration,
    /// Failed reconnects in a row after which the feed closes ([`CloseReason::GaveUp`]);
    /// `None` never gives up.
    pub max_attempts: Option<u32>,
    /// A socket silent for this long (no tick, heartbeat or ping) is reported
    /// [`FeedEvent::Stalled`] and reopened.
    pub stall_timeout: Duration,
    /// The longest a connect (TCP, TLS, handshake) may take.
    pub connect_timeout: Duration,
    /// Events buffered for a slow consumer before they are dropped (and reported
    /// [`FeedEvent::Lagged`]).
    pub capacity: usize,
    /// Whether to stream order updates (at Upstox this opens the portfolio stream).
    pub order_updates: bool,
    /// Sees every binary market-data message exactly as received, before it is decoded (to
    /// record a capture, say).
    pub recorder: Option<FrameRecorder>,
}

/// A callback that sees every binary market-data message as received: how `tt stream
/// --record` writes a capture. It runs on the socket's task, so it must be quick.
#[derive(Clone)]
pub struct FrameRecorder(Arc<RecordFn>);

/// What a [`FrameRecorder`] calls.
type RecordFn = dyn Fn(&[u8]) + Send + Sync;

impl FrameRecorder {
    /// A recorder calling `record` with each message's payload.
    pub fn new(record: impl Fn(&[u8]) + Send + Sync + 'static) -> FrameRecorder {
        FrameRecorder(Arc::new(record))
    }

    /// Hands it one message.
    pub fn record(&self, payload: &[u8]) {
        (self.0)(payload);
    }
}

impl fmt::Debug for FrameRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FrameRecorder")
    }
}

impl PartialEq for FrameRecorder {
    /// The same callback.
    fn eq(&self, other: &FrameRecorder) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for FrameRecorder {}

impl Default for FeedOptions {
    /// Reconnects after 0.5 s doubling to 30 s, for ever; 5 s stall timeout; 10 s to connect;
    /// 16,384 buffered events; order updates on; no recorder.
    fn default() -> FeedOptions {
        FeedOptions {
            reconnect_initial: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            max_attempts: None,
            stall_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            capacity: 16_384,
            order_updates: true,
            recorder: None,
        }
    }
}

/// Control of a running feed: change what it streams without reconnecting.
///
/// Instruments are resolved through the broker's instrument master; an instrument it does not
/// know, a mode the broker lacks, or a subscription past the broker's limits is refused
/// before anything is sent, and the feed keeps its previous subscriptions.
#[async_trait]
pub trait FeedControl: Send + Sync {
    /// Streams `instruments` in `mode` (changing the mode of those already streamed).
    async fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()>;

    /// Stops streaming `instruments`; ones not streamed are ignored.
    async fn unsubscribe(&self, instruments: &[Instrument]) -> Result<()>;

    /// What is streamed now, and in which mode.
    fn subscriptions(&self) -> Vec<(Instrument, StreamMode)>;

    /// Reopens a feed that closed (after the session expired, say) with the same
    /// subscriptions and the broker's current session, as a fresh stream of events.
    async fn resume(&self) -> Result<FeedStream>;

    /// Closes every socket; the stream ends with [`FeedEvent::Closed`] (`Requested`).
    fn close(&self);
}

/// A running feed: its control and its events.
pub struct Feed {
    /// Subscribe, unsubscribe, resume, close.
    pub control: Arc<dyn FeedControl>,
    /// The events.
    pub events: FeedStream,
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed")
            .field("subscriptions", &self.control.subscriptions().len())
            .finish_non_exhaustive()
    }
}
