//! The feed's registry and its runs: which subscriptions exist and on which socket, the socket
//! tasks of the current run, and the control a user holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};
use tt_core::async_trait;
use tt_core::{
    CloseReason, ConnectionId, ConnectionKind, Error, Feed, FeedControl, FeedOptions, FeedStream,
    Instrument, Result, StreamMode,
};

use super::sink::{Ending, Sink};
use super::socket::{self, Command};
use super::{FeedProtocol, Subscription, SubscriptionKey};

/// One feed: its protocol, options, registry and current run.
pub(crate) struct Engine<P> {
    pub(crate) protocol: Arc<P>,
    pub(crate) options: FeedOptions,
    /// The runtime the feed was opened on: its sockets run there, whoever subscribes later
    /// and from whichever executor.
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
}

struct State {
    /// Every subscription, with the market-data socket it is on.
    subscriptions: BTreeMap<SubscriptionKey, Placed>,
    run: Option<Run>,
    generation: u64,
}

struct Placed {
    subscription: Subscription,
    socket: u8,
}

/// The sockets of one run, until it closes.
struct Run {
    generation: u64,
    sink: Arc<Sink>,
    ending: Arc<Ending>,
    sockets: HashMap<ConnectionId, mpsc::UnboundedSender<Command>>,
    stop: watch::Sender<bool>,
}

impl<P: FeedProtocol> Engine<P> {
    pub(crate) fn open(protocol: Arc<P>, options: FeedOptions) -> Result<Feed> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config(format!(
                "the {} feed must be opened within a tokio runtime (its sockets run there)",
                protocol.broker()
            ))
        })?;
        let engine = Arc::new(Engine {
            protocol,
            options,
            runtime,
            state: Mutex::new(State {
                subscriptions: BTreeMap::new(),
                run: None,
                generation: 0,
            }),
        });
        let events = engine.start(&mut engine.state());
        Ok(Feed {
            control: Arc::new(Control(engine)),
            events,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is made whole under the lock before anything is sent, so
        // a poisoned lock still holds a consistent registry.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a run: a fresh buffer, the order-update socket if wanted, and every market-data
    /// socket that has subscriptions.
    /// The caller holds the registry's lock throughout, so two resumes cannot both start one.
    fn start(self: &Arc<Self>, state: &mut State) -> FeedStream {
        let (sink, events, ending) = Sink::new(self.options.capacity);
        let (stop, _) = watch::channel(false);
        state.generation += 1;
        let generation = state.generation;
        let mut run = Run {
            generation,
            sink,
            ending,
            sockets: HashMap::new(),
            stop,
        };
        let layout = self.protocol.layout();
        if self.options.order_updates
            && let Some(kind) = layout.order_updates
        {
            let connection = ConnectionId { kind, index: 0 };
            self.spawn_socket(&mut run, connection);
        }
        let mut used: Vec<u8> = state.subscriptions.values().map(|p| p.socket).collect();
        used.sort_unstable();
        used.dedup();
        for index in used {
            self.spawn_socket(&mut run, market(index));
        }
        state.run = Some(run);
        Box::pin(events)
    }

    fn spawn_socket(self: &Arc<Self>, run: &mut Run, connection: ConnectionId) {
        if run.sockets.contains_key(&connection) {
            return;
        }
        let (commands, receiver) = mpsc::unbounded_channel();
        run.sockets.insert(connection, commands);
        let order_updates = self.options.order_updates
            && self.protocol.layout().order_updates == Some(connection.kind)
            && connection.index == 0;
        self.runtime.spawn(socket::run(
            Arc::clone(self),
            socket::Spec {
                connection,
                generation: run.generation,
                order_updates,
            },
            Arc::clone(&run.sink),
            receiver,
            run.stop.subscribe(),
        ));
    }

    /// What a fresh connection of `connection` replays: every subscription on it (none on a
    /// portfolio socket). The commands queued for it are dropped in the same breath, under
    /// the registry's lock: every change sent before is in the replay, every one after it
    /// follows it, and none is sent twice or lost between the two.
    pub(crate) fn replay(
        &self,
        connection: ConnectionId,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Vec<Subscription> {
        let state = self.state();
        while commands.try_recv().is_ok() {}
        if connection.kind != ConnectionKind::MarketData {
            return Vec::new();
        }
        state
            .subscriptions
            .values()
            .filter(|p| p.socket == connection.index)
            .map(|p| p.subscription.clone())
            .collect()
    }

    /// Ends run `generation` (if it is still the current one): every socket stops, and the
    /// stream ends with `reason` once they have.
    pub(crate) fn finish(&self, generation: u64, reason: CloseReason) {
        let mut state = self.state();
        if state
            .run
            .as_ref()
            .is_some_and(|r| r.generation == generation)
            && let Some(run) = state.run.take()
        {
            run.ending.close(reason);
            let _ = run.stop.send(true);
        }
    }

    /// Adds (or re-moded) subscriptions: placed on sockets with room, checked whole against
    /// the broker's limits, then sent to the sockets that carry them.
    fn add(self: &Arc<Self>, subscriptions: Vec<Subscription>) -> Result<()> {
        let layout = self.protocol.layout();
        let mut state = self.state();
        let mut counts = vec![0usize; usize::from(layout.market_sockets.max(1))];
        for placed in state.subscriptions.values() {
            if let Some(count) = counts.get_mut(usize::from(placed.socket)) {
                *count += 1;
            }
        }
        // What the registry would hold after the change, for the refusal to say.
        let requested = {
            let new: BTreeSet<&SubscriptionKey> = subscriptions
                .iter()
                .map(|s| &s.key)
                .filter(|key| !state.subscriptions.contains_key(*key))
                .collect();
            state.subscriptions.len() + new.len()
        };
        let mut placements: Vec<(Subscription, u8)> = Vec::with_capacity(subscriptions.len());
        let mut fresh: BTreeMap<SubscriptionKey, u8> = BTreeMap::new();
        for subscription in subscriptions {
            let socket = match state.subscriptions.get(&subscription.key) {
                Some(placed) => placed.socket,
                None => match fresh.get(&subscription.key) {
                    Some(&socket) => socket,
                    None => {
                        let socket = counts
                            .iter()
                            .position(|&n| layout.per_socket.is_none_or(|cap| n < cap))
                            .ok_or_else(|| too_many(&*self.protocol, &layout, requested))?;
                        if let Some(count) = counts.get_mut(socket) {
                            *count += 1;
                        }
                        // The position is below `market_sockets`, a u8.
                        let socket = u8::try_from(socket).unwrap_or(u8::MAX);
                        fresh.insert(subscription.key.clone(), socket);
                        socket
                    }
                },
            };
            placements.push((subscription, socket));
        }
        let after: BTreeMap<&SubscriptionKey, &Subscription> = state
            .subscriptions
            .iter()
            .map(|(key, placed)| (key, &placed.subscription))
            .chain(placements.iter().map(|(s, _)| (&s.key, s)))
            .collect();
        let all: Vec<&Subscription> = after.into_values().collect();
        self.protocol.check_limits(&all)?;

        let mut by_socket: BTreeMap<u8, Vec<Subscription>> = BTreeMap::new();
        for (subscription, socket) in placements {
            by_socket
                .entry(socket)
                .or_default()
                .push(subscription.clone());
            state.subscriptions.insert(
                subscription.key.clone(),
                Placed {
                    subscription,
                    socket,
                },
            );
        }
        if let Some(mut run) = state.run.take() {
            for (index, subscriptions) in by_socket {
                let connection = market(index);
                match run.sockets.get(&connection) {
                    Some(commands) => {
                        let _ = commands.send(Command::Subscribe(subscriptions));
                    }
                    // A new socket replays the registry when it connects.
                    None => self.spawn_socket(&mut run, connection),
                }
            }
            state.run = Some(run);
        }
        Ok(())
    }

    fn remove(&self, keys: &[SubscriptionKey]) {
        let mut state = self.state();
        let mut by_socket: BTreeMap<u8, Vec<Subscription>> = BTreeMap::new();
        for key in keys {
            if let Some(placed) = state.subscriptions.remove(key) {
                by_socket
                    .entry(placed.socket)
                    .or_default()
                    .push(placed.subscription);
            }
        }
        if let Some(run) = state.run.as_ref() {
            for (index, subscriptions) in by_socket {
                if let Some(commands) = run.sockets.get(&market(index)) {
                    let _ = commands.send(Command::Unsubscribe(subscriptions));
                }
            }
        }
    }
}

fn market(index: u8) -> ConnectionId {
    ConnectionId {
        kind: ConnectionKind::MarketData,
        index,
    }
}

fn too_many<P: FeedProtocol>(protocol: &P, layout: &super::FeedLayout, requested: usize) -> Error {
    let per_socket = layout.per_socket.unwrap_or(usize::MAX);
    let sockets = usize::from(layout.market_sockets.max(1));
    Error::SubscriptionLimit {
        broker: protocol.broker(),
        limit: format!("{per_socket} instruments per connection × {sockets} connections"),
        allowed: per_socket.saturating_mul(sockets),
        requested,
    }
}

/// The control a user holds.
struct Control<P>(Arc<Engine<P>>);

#[async_trait]
impl<P: FeedProtocol> FeedControl for Control<P> {
    async fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        let subscriptions = self.0.protocol.resolve(instruments, mode)?;
        self.0.add(subscriptions)
    }

    async fn unsubscribe(&self, instruments: &[Instrument]) -> Result<()> {
        // A set, so unsubscribing thousands at once stays linear.
        let wanted: std::collections::HashSet<&Instrument> = instruments.iter().collect();
        let keys: Vec<SubscriptionKey> = {
            let state = self.0.state();
            state
                .subscriptions
                .iter()
                .filter(|(_, placed)| wanted.contains(&placed.subscription.instrument))
                .map(|(key, _)| key.clone())
                .collect()
        };
        self.0.remove(&keys);
        Ok(())
    }

    fn subscriptions(&self) -> Vec<(Instrument, StreamMode)> {
        self.0
            .state()
            .subscriptions
            .values()
            .map(|p| (p.subscription.instrument.clone(), p.subscription.mode))
            .collect()
    }

    async fn resume(&self) -> Result<FeedStream> {
        let mut state = self.0.state();
        if state.run.is_some() {
            return Err(Error::Config(format!(
                "the {} feed is still running: resume it after it has closed",
                self.0.protocol.broker()
            )));
        }
        Ok(self.0.start(&mut state))
    }

    fn close(&self) {
        let generation = self.0.state().run.as_ref().map(|r| r.generation);
        if let Some(generation) = generation {
            self.0.finish(generation, CloseReason::Requested);
        }
    }
}
