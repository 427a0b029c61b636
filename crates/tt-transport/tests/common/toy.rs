//! A toy broker protocol for the engine: subscriptions go out as text `sub:TOKEN:MODE` (and
//! `unsub:TOKEN`), ticks arrive as text `tick:TOKEN:PRICE` and decode into ticks of the
//! instrument the connection remembers for that token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tt_core::async_trait;
use tt_core::{
    ConnectionId, ConnectionKind, Error, FeedError, FeedEvent, FeedOptions, Instrument, Price,
    StreamMode, Tick, TickData,
};
use tt_transport::{
    FeedLayout, FeedProtocol, Incoming, Outgoing, SocketProtocol, Subscription, SubscriptionKey,
    WsTarget,
};

pub const BROKER: &str = "toy";

/// The toy broker: where it connects, how it spreads, and what its sockets did.
pub struct Toy {
    target: Mutex<WsTarget>,
    layout: FeedLayout,
    session_expired: AtomicBool,
    targets: AtomicUsize,
    /// Every socket protocol made: its connection and whether it carries order updates.
    sockets: Mutex<Vec<(ConnectionId, bool)>>,
    /// Messages decoded, across connections.
    decoded: watch::Sender<usize>,
}

impl Toy {
    /// A toy broker connecting to `url`, one market socket with no cap, no order updates.
    pub fn new(url: &str) -> Toy {
        Toy::with_layout(
            url,
            FeedLayout {
                market_sockets: 1,
                per_socket: None,
                order_updates: None,
            },
        )
    }

    /// A toy broker connecting to `target`, one market socket with no cap.
    pub fn with_target(target: WsTarget) -> Toy {
        Toy {
            target: Mutex::new(target),
            ..Toy::new("ws://127.0.0.1/")
        }
    }

    /// A toy broker connecting to `url`, spread as `layout` says.
    pub fn with_layout(url: &str, layout: FeedLayout) -> Toy {
        Toy {
            target: Mutex::new(WsTarget::new(url)),
            layout,
            session_expired: AtomicBool::new(false),
            targets: AtomicUsize::new(0),
            sockets: Mutex::new(Vec::new()),
            decoded: watch::channel(0).0,
        }
    }

    /// From now on the target fails with `Error::SessionExpired` (`true`) or succeeds.
    pub fn set_session_expired(&self, expired: bool) {
        self.session_expired.store(expired, Ordering::SeqCst);
    }

    /// How many times the engine asked where to connect.
    pub fn targets(&self) -> usize {
        self.targets.load(Ordering::SeqCst)
    }

    /// The socket protocols made so far.
    pub fn sockets(&self) -> Vec<(ConnectionId, bool)> {
        self.sockets.lock().unwrap().clone()
    }

    /// Waits until `n` messages were decoded, on any connection.
    pub async fn wait_decoded(&self, n: usize) {
        let mut decoded = self.decoded.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(10), decoded.wait_for(|d| *d >= n));
        if waited.await.is_err() {
            panic!("{n} messages decoded expected, {}", *self.decoded.borrow());
        }
    }
}

/// The toy's token for an instrument: its symbol, so a test can write ticks by hand.
pub fn token(instrument: &str) -> String {
    let instrument: Instrument = instrument.parse().unwrap();
    format!("t-{}", instrument.symbol().as_str())
}

#[async_trait]
impl FeedProtocol for Toy {
    fn broker(&self) -> &'static str {
        BROKER
    }

    fn layout(&self) -> FeedLayout {
        self.layout
    }

    fn resolve(
        &self,
        instruments: &[Instrument],
        mode: StreamMode,
    ) -> tt_core::Result<Vec<Subscription>> {
        Ok(instruments
            .iter()
            .map(|instrument| Subscription {
                key: SubscriptionKey {
                    broker: BROKER,
                    exchange: instrument.exchange(),
                    token: Arc::from(token(&instrument.to_string())),
                },
                instrument: instrument.clone(),
                mode,
            })
            .collect())
    }

    async fn target(&self, _connection: ConnectionId) -> tt_core::Result<WsTarget> {
        self.targets.fetch_add(1, Ordering::SeqCst);
        if self.session_expired.load(Ordering::SeqCst) {
            return Err(Error::SessionExpired {
                broker: BROKER,
                message: "the toy token expired".to_owned(),
            });
        }
        Ok(self.target.lock().unwrap().clone())
    }

    fn socket(&self, connection: ConnectionId, order_updates: bool) -> Box<dyn SocketProtocol> {
        self.sockets
            .lock()
            .unwrap()
            .push((connection, order_updates));
        Box::new(ToySocket {
            subscribed: HashMap::new(),
            decoded: self.decoded.clone(),
        })
    }
}

struct ToySocket {
    /// What this connection streams, by token.
    subscribed: HashMap<Arc<str>, (Instrument, StreamMode)>,
    decoded: watch::Sender<usize>,
}

impl SocketProtocol for ToySocket {
    fn subscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        subscriptions
            .iter()
            .map(|s| {
                self.subscribed
                    .insert(Arc::clone(&s.key.token), (s.instrument.clone(), s.mode));
                Outgoing::Text(format!("sub:{}:{}", s.key.token, s.mode))
            })
            .collect()
    }

    fn unsubscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        subscriptions
            .iter()
            .map(|s| {
                self.subscribed.remove(&s.key.token);
                Outgoing::Text(format!("unsub:{}", s.key.token))
            })
            .collect()
    }

    fn decode(&mut self, message: Incoming<'_>, emit: &mut dyn FnMut(FeedEvent)) {
        self.decoded.send_modify(|d| *d += 1);
        let malformed = |problem: String| {
            FeedEvent::Error(FeedError::Malformed {
                broker: BROKER,
                problem,
            })
        };
        let Incoming::Text(text) = message else {
            emit(malformed("a binary message".to_owned()));
            return;
        };
        let text = String::from_utf8_lossy(text);
        let mut parts = text.split(':');
        let (Some("tick"), Some(token), Some(price), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            emit(malformed(format!("not a tick: {text}")));
            return;
        };
        let Some((token, (instrument, mode))) = self.subscribed.get_key_value(token) else {
            emit(malformed(format!("a tick of {token}, not subscribed")));
            return;
        };
        let Ok(last_price) = price.parse::<Price>() else {
            emit(malformed(format!("price {price}")));
            return;
        };
        emit(FeedEvent::Tick(Tick::new(
            instrument.clone(),
            Arc::clone(token),
            tick_data(*mode, last_price),
        )));
    }
}

fn tick_data(mode: StreamMode, last_price: Price) -> TickData {
    TickData::new(mode, last_price)
}

/// Options that heal fast: 20 ms first backoff up to 200 ms, a 300 ms stall timeout.
pub fn fast_options() -> FeedOptions {
    FeedOptions {
        reconnect_initial: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        max_attempts: None,
        stall_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_secs(2),
        capacity: 1024,
        ..FeedOptions::default()
    }
}

/// Market-data socket `index`.
pub fn market(index: u8) -> ConnectionId {
    ConnectionId {
        kind: ConnectionKind::MarketData,
        index,
    }
}

/// Parses `NSE:INFY`-style instruments.
pub fn instruments(names: &[&str]) -> Vec<Instrument> {
    names.iter().map(|name| name.parse().unwrap()).collect()
}
