//! Kite's ticker on tt-transport's feed engine: where it connects, how an instrument becomes a
//! subscription, what is sent to subscribe, and how frames become events.
//!
//! Kite allows 3,000 instruments on one connection and three connections per api_key: the
//! engine spreads subscriptions over them and refuses past 9,000. Order updates arrive on
//! every connection of the api_key, so only the first one's are delivered (it opens at once
//! when order updates are wanted).

use std::sync::Arc;

use rustc_hash::FxHashMap;
use tt_core::{
    ConnectionId, ConnectionKind, Error, Feed, FeedEvent, FeedOptions, Instrument, MarketFeed,
    Result, StreamMode, Tick, async_trait,
};
use tt_transport::{
    FeedLayout, FeedProtocol, Incoming, Outgoing, SocketProtocol, Subscription, SubscriptionKey,
    WsTarget,
};

use super::message::{TextMessage, TickerMode, TickerRequest, encode_request, parse_text};
use super::packet::decode_frame;
use crate::errors::BROKER;
use crate::{Zerodha, transformer};

/// Instruments one ticker connection carries.
pub(crate) const PER_CONNECTION: usize = 3_000;
/// Ticker connections one api_key may hold.
pub(crate) const CONNECTIONS: u8 = 3;

#[async_trait]
impl MarketFeed for Zerodha {
    /// Opens Kite's ticker (at [`crate::ZerodhaConfig::ticker`]) with the current
    /// session. Order updates (when wanted) stream at once on the first connection.
    ///
    /// # Errors
    /// [`Error::Authentication`] when not logged in, [`Error::SessionExpired`] past the
    /// session's expiry: checked before any socket opens.
    async fn open_feed(&self, options: FeedOptions) -> Result<Feed> {
        self.inner.session.access_token()?;
        tt_transport::open_feed(Arc::new(Ticker(self.clone())), options)
    }
}

/// Kite's ticker protocol, for one broker handle.
struct Ticker(Zerodha);

#[async_trait]
impl FeedProtocol for Ticker {
    fn broker(&self) -> &'static str {
        BROKER
    }

    fn layout(&self) -> FeedLayout {
        FeedLayout {
            market_sockets: CONNECTIONS,
            per_socket: Some(PER_CONNECTION),
            order_updates: Some(ConnectionKind::MarketData),
        }
    }

    fn resolve(&self, instruments: &[Instrument], mode: StreamMode) -> Result<Vec<Subscription>> {
        let master = self.0.instrument_master()?;
        instruments
            .iter()
            .map(|instrument| {
                let token = master.token_for(instrument, BROKER)?;
                // The ticker speaks numeric tokens; a master row with another is not streamable.
                token
                    .token
                    .parse::<u32>()
                    .map_err(|_| Error::MalformedResponse {
                        broker: BROKER,
                        what: "instrument master".to_owned(),
                        detail: format!(
                            "{instrument} has instrument_token {:?}, not a number",
                            token.token
                        ),
                    })?;
                Ok(Subscription {
                    key: SubscriptionKey {
                        broker: BROKER,
                        exchange: instrument.exchange(),
                        token: Arc::from(token.token.as_str()),
                    },
                    instrument: instrument.clone(),
                    mode,
                })
            })
            .collect()
    }

    async fn target(&self, _connection: ConnectionId) -> Result<WsTarget> {
        let token = self.0.inner.session.access_token()?;
        let config = &self.0.inner.config;
        let url = format!(
            "{}/?api_key={}&access_token={}",
            config.ticker(),
            tt_transport::percent_encode(config.key()),
            tt_transport::percent_encode(token.expose()),
        );
        WsTarget::new(url)
            .header("X-Kite-Version", "3")
            .map_err(|e| Error::Config(e.to_string()))
    }

    fn socket(&self, _connection: ConnectionId, order_updates: bool) -> Box<dyn SocketProtocol> {
        Box::new(TickerSocket {
            broker: self.0.clone(),
            tokens: FxHashMap::default(),
            order_updates,
        })
    }
}

/// One ticker connection: the instruments it streams, by Kite token.
struct TickerSocket {
    broker: Zerodha,
    tokens: FxHashMap<u32, (Instrument, Arc<str>)>,
    order_updates: bool,
}

impl TickerSocket {
    fn order_update(&self, text: &[u8], emit: &mut dyn FnMut(FeedEvent)) {
        let wire = match parse_text(text) {
            Ok(TextMessage::Order(wire)) => wire,
            Ok(TextMessage::Error(message)) => {
                return emit(FeedEvent::Error(tt_core::FeedError::Broker {
                    broker: BROKER,
                    message,
                }));
            }
            Ok(TextMessage::Message(text)) => return emit(FeedEvent::Message(text)),
            Ok(TextMessage::Other(kind)) => {
                return tracing::debug!(message_type = %kind, "ticker message of an unknown type, skipped");
            }
            Err(error) => {
                return emit(FeedEvent::malformed(BROKER, error));
            }
        };
        if !self.order_updates {
            return;
        }
        // The canonical order when the master knows its instrument; the record always.
        let order = self
            .broker
            .instrument_master()
            .ok()
            .and_then(|master| transformer::order(&master, (*wire).clone()).ok());
        emit(FeedEvent::order_update(
            BROKER,
            transformer::order_record(*wire),
            order,
        ));
    }
}

/// Subscriptions as Kite tokens, grouped by mode. A mode Kite lacks never gets this far (the
/// capabilities refuse it first); were one to, its tokens are left out.
fn by_mode(subscriptions: &[Subscription]) -> Vec<(TickerMode, Vec<u32>)> {
    let mut groups: Vec<(TickerMode, Vec<u32>)> = Vec::new();
    for subscription in subscriptions {
        let (Ok(token), Ok(mode)) = (
            subscription.key.token.parse::<u32>(),
            TickerMode::try_from(subscription.mode),
        ) else {
            continue;
        };
        match groups.iter_mut().find(|(m, _)| *m == mode) {
            Some((_, tokens)) => tokens.push(token),
            None => groups.push((mode, vec![token])),
        }
    }
    groups
}

impl SocketProtocol for TickerSocket {
    fn subscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        let groups = by_mode(subscriptions);
        for subscription in subscriptions {
            if let Ok(token) = subscription.key.token.parse::<u32>() {
                self.tokens.insert(
                    token,
                    (
                        subscription.instrument.clone(),
                        Arc::clone(&subscription.key.token),
                    ),
                );
            }
        }
        let mut messages = Vec::with_capacity(groups.len() * 2);
        let all: Vec<u32> = groups.iter().flat_map(|(_, t)| t.iter().copied()).collect();
        if !all.is_empty() {
            messages.push(Outgoing::Text(encode_request(TickerRequest::Subscribe(
                &all,
            ))));
        }
        // A new token streams in quote mode until told otherwise, so every group says its mode.
        for (mode, tokens) in &groups {
            messages.push(Outgoing::Text(encode_request(TickerRequest::Mode(
                *mode, tokens,
            ))));
        }
        messages
    }

    fn unsubscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        let tokens: Vec<u32> = by_mode(subscriptions)
            .into_iter()
            .flat_map(|(_, tokens)| tokens)
            .collect();
        for token in &tokens {
            self.tokens.remove(token);
        }
        if tokens.is_empty() {
            return Vec::new();
        }
        vec![Outgoing::Text(encode_request(TickerRequest::Unsubscribe(
            &tokens,
        )))]
    }

    fn decode(&mut self, message: Incoming<'_>, emit: &mut dyn FnMut(FeedEvent)) {
        match message {
            Incoming::Binary(frame) => {
                let tokens = &self.tokens;
                let decoded = decode_frame(frame, |token, data| {
                    // A token no longer subscribed may still tick for a moment: skipped.
                    if let Some((instrument, text)) = tokens.get(&token) {
                        emit(FeedEvent::Tick(Tick::new(
                            instrument.clone(),
                            Arc::clone(text),
                            data,
                        )));
                    }
                });
                if let Err(error) = decoded {
                    emit(FeedEvent::malformed(BROKER, error));
                }
            }
            Incoming::Text(text) => self.order_update(text, emit),
        }
    }
}
