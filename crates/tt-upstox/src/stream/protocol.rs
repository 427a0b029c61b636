//! Upstox's feeds on tt-transport's feed engine: the market data feed v3 (protobuf, one
//! socket, limits per mode) and the portfolio stream feed (JSON order updates, a socket of its
//! own). Each connection starts from the authorize endpoint's single-use URL, so a refused
//! token shows as the REST call's session error and closes the feed instead of retrying.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;
use serde::Deserialize;
use tt_core::{
    ConnectionId, ConnectionKind, Error, Feed, FeedEvent, FeedOptions, Instrument, MarketFeed,
    Result, StreamMode, Tick, async_trait,
};
use tt_transport::{
    FeedLayout, FeedProtocol, Incoming, Outgoing, SocketProtocol, Subscription, SubscriptionKey,
    WsTarget,
};

use super::feed::{MessageKind, decode_feed_response};
use super::portfolio::{PortfolioMessage, parse_portfolio};
use super::request::{FeedMode, Method, ModeCounts, check_limits, feed_request};
use crate::errors::{BROKER, UpstoxCheck};
use crate::http::UpstoxRequest;
use crate::{Upstox, transformer};

/// What the portfolio stream is asked for: orders and positions (holdings change with the
/// next day's settlement and GTT orders are not modelled, so neither is asked for).
const UPDATE_TYPES: &str = "order,position";

#[async_trait]
impl MarketFeed for Upstox {
    /// Opens Upstox's feeds with the current session: the portfolio stream at once (when
    /// order updates are wanted), the market data feed at the first subscription.
    ///
    /// # Errors
    /// [`Error::Authentication`] when not logged in, [`Error::SessionExpired`] past the
    /// session's expiry: checked before any socket opens.
    async fn open_feed(&self, options: FeedOptions) -> Result<Feed> {
        self.inner.session.access_token()?;
        tt_transport::open_feed(
            Arc::new(Feeds {
                broker: self.clone(),
                guid: Arc::new(AtomicU64::new(0)),
            }),
            options,
        )
    }
}

/// Upstox's feed protocols, for one broker handle.
struct Feeds {
    broker: Upstox,
    /// Numbers the market data feed's requests (their `guid`).
    guid: Arc<AtomicU64>,
}

/// The authorize endpoints' answer.
#[derive(Debug, Deserialize)]
struct Authorized {
    authorized_redirect_uri: Option<String>,
    #[serde(rename = "authorizedRedirectUri")]
    authorized_redirect_uri_camel: Option<String>,
}

#[async_trait]
impl FeedProtocol for Feeds {
    fn broker(&self) -> &'static str {
        BROKER
    }

    fn layout(&self) -> FeedLayout {
        FeedLayout {
            market_sockets: 1,
            per_socket: None,
            order_updates: Some(ConnectionKind::Portfolio),
        }
    }

    fn resolve(&self, instruments: &[Instrument], mode: StreamMode) -> Result<Vec<Subscription>> {
        let master = self.broker.instrument_master()?;
        instruments
            .iter()
            .map(|instrument| {
                let token = master.token_for(instrument, BROKER)?;
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

    fn check_limits(&self, subscriptions: &[&Subscription]) -> Result<()> {
        let mut counts = ModeCounts::default();
        for subscription in subscriptions {
            match FeedMode::try_from(subscription.mode) {
                Ok(FeedMode::Ltpc) => counts.ltpc += 1,
                Ok(FeedMode::Full) => counts.full += 1,
                Ok(FeedMode::OptionGreeks) => counts.option_greeks += 1,
                Ok(FeedMode::FullD30) => counts.full_d30 += 1,
                Err(unsupported) => {
                    return Err(Error::UnsupportedFeature {
                        broker: BROKER,
                        feature: unsupported.to_string(),
                    });
                }
            }
        }
        check_limits(counts).map_err(|exceeded| Error::SubscriptionLimit {
            broker: BROKER,
            limit: format!(
                "{} mode{}",
                exceeded.mode.as_str(),
                if exceeded.combined {
                    " with other modes in use"
                } else {
                    ""
                }
            ),
            allowed: exceeded.limit,
            requested: exceeded.requested,
        })
    }

    async fn target(&self, connection: ConnectionId) -> Result<WsTarget> {
        let check = UpstoxCheck::read();
        let query = [("update_types", UPDATE_TYPES)];
        let call = match connection.kind {
            ConnectionKind::Portfolio => {
                UpstoxRequest::read("/v2/feed/portfolio-stream-feed/authorize", &check)
                    .query(&query)
                    .versioned()
            }
            _ => UpstoxRequest::read("/v3/feed/market-data-feed/authorize", &check),
        };
        let authorized: Authorized = self.broker.get(call, "feed authorization").await?;
        let url = authorized
            .authorized_redirect_uri
            .or(authorized.authorized_redirect_uri_camel)
            .ok_or_else(|| Error::MalformedResponse {
                broker: BROKER,
                what: "feed authorization".to_owned(),
                detail: "no authorized_redirect_uri".to_owned(),
            })?;
        Ok(WsTarget::new(url))
    }

    fn socket(&self, connection: ConnectionId, order_updates: bool) -> Box<dyn SocketProtocol> {
        match connection.kind {
            ConnectionKind::Portfolio => Box::new(PortfolioSocket {
                broker: self.broker.clone(),
                order_updates,
            }),
            _ => Box::new(MarketSocket {
                keys: FxHashMap::default(),
                guid: Arc::clone(&self.guid),
            }),
        }
    }
}

/// One market data feed connection: the instruments it streams, by instrument key, with
/// their modes.
struct MarketSocket {
    keys: FxHashMap<Arc<str>, (Instrument, StreamMode)>,
    guid: Arc<AtomicU64>,
}

impl MarketSocket {
    fn request(&self, method: Method, mode: Option<FeedMode>, keys: &[&str]) -> Outgoing {
        let guid = format!("tt-{}", self.guid.fetch_add(1, Ordering::Relaxed));
        // Upstox reads its requests from binary frames only.
        Outgoing::Binary(feed_request(&guid, method, mode, keys))
    }
}

impl SocketProtocol for MarketSocket {
    fn subscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        // New keys are subscribed; keys this connection streams already change mode.
        let mut groups: Vec<(Method, StreamMode, Vec<&str>)> = Vec::new();
        for subscription in subscriptions {
            let key = &*subscription.key.token;
            let method = match self.keys.get(key) {
                Some(_) => Method::ChangeMode,
                None => Method::Sub,
            };
            self.keys.insert(
                Arc::clone(&subscription.key.token),
                (subscription.instrument.clone(), subscription.mode),
            );
            match groups
                .iter_mut()
                .find(|(m, mode, _)| *m == method && *mode == subscription.mode)
            {
                Some((_, _, keys)) => keys.push(key),
                None => groups.push((method, subscription.mode, vec![key])),
            }
        }
        groups
            .iter()
            // A mode Upstox lacks never gets this far: the limits check refused it.
            .filter_map(|(method, mode, keys)| {
                let mode = FeedMode::try_from(*mode).ok()?;
                Some(self.request(*method, Some(mode), keys))
            })
            .collect()
    }

    fn unsubscribe(&mut self, subscriptions: &[Subscription]) -> Vec<Outgoing> {
        let keys: Vec<&str> = subscriptions.iter().map(|s| &*s.key.token).collect();
        for key in &keys {
            self.keys.remove(*key);
        }
        if keys.is_empty() {
            return Vec::new();
        }
        vec![self.request(Method::Unsub, None, &keys)]
    }

    fn decode(&mut self, message: Incoming<'_>, emit: &mut dyn FnMut(FeedEvent)) {
        let bytes = match message {
            Incoming::Binary(bytes) | Incoming::Text(bytes) => bytes,
        };
        let keys = &self.keys;
        let decoded = decode_feed_response(bytes, |key, data| {
            // A key no longer subscribed may still tick for a moment: skipped.
            if let Some((token, (instrument, _))) = keys.get_key_value(key) {
                emit(FeedEvent::Tick(Tick::new(
                    instrument.clone(),
                    Arc::clone(token),
                    data,
                )));
            }
        });
        match decoded {
            Ok(message) if message.kind == MessageKind::MarketInfo => {
                emit(FeedEvent::MarketStatus(message.statuses));
            }
            Ok(_) => {}
            Err(error) => emit(FeedEvent::malformed(BROKER, error)),
        }
    }
}

/// The portfolio stream connection: order and position updates, nothing to subscribe.
struct PortfolioSocket {
    broker: Upstox,
    order_updates: bool,
}

impl PortfolioSocket {
    fn position_update(&self, wire: crate::wire::PositionData, emit: &mut dyn FnMut(FeedEvent)) {
        let position = self
            .broker
            .instrument_master()
            .and_then(|master| transformer::position(&master, wire));
        match position {
            Ok((net, _day)) => emit(FeedEvent::PositionUpdate(Box::new(net))),
            Err(error) => emit(FeedEvent::malformed(
                BROKER,
                format_args!("position update: {error}"),
            )),
        }
    }
}

impl SocketProtocol for PortfolioSocket {
    fn subscribe(&mut self, _subscriptions: &[Subscription]) -> Vec<Outgoing> {
        Vec::new()
    }

    fn unsubscribe(&mut self, _subscriptions: &[Subscription]) -> Vec<Outgoing> {
        Vec::new()
    }

    fn decode(&mut self, message: Incoming<'_>, emit: &mut dyn FnMut(FeedEvent)) {
        let bytes = match message {
            Incoming::Binary(bytes) | Incoming::Text(bytes) => bytes,
        };
        let wire = match parse_portfolio(bytes) {
            Ok(PortfolioMessage::Order(wire)) => wire,
            Ok(PortfolioMessage::Position(wire)) => return self.position_update(wire, emit),
            // Not asked for; a broker that sends them anyway is not an error.
            Ok(PortfolioMessage::Holding(holding)) => {
                return tracing::debug!(?holding, "holding update not asked for, skipped");
            }
            Ok(PortfolioMessage::GttOrder(gtt)) => {
                return tracing::debug!(?gtt, "GTT update not asked for, skipped");
            }
            Ok(PortfolioMessage::Other(kind)) => {
                return tracing::debug!(update_type = %kind, "portfolio update of an unknown type, skipped");
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
            .and_then(|master| transformer::order(&master, wire.clone()).ok());
        emit(FeedEvent::order_update(
            BROKER,
            transformer::order_record(wire),
            order,
        ));
    }
}
