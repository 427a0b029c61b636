//! The loop every feed socket runs, whatever the broker: it answers the client's messages,
//! writes the market data due each tick interval in one frame, forwards order and position
//! updates, keeps an idle socket alive (Kite's 1-byte heartbeat, Upstox's ping), and obeys
//! the registry's controls (the stream faults, an ended session, the simulator stopping).
//! What each broker writes is its [`Feed`] implementation.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, MissedTickBehavior};

use super::socket::{FromClient, Socket};
use super::{Control, Registration, StreamFault, Update};
use crate::SimBroker;

/// A frame a feed answers a client message with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// A text frame (JSON).
    Text(String),
    /// A binary frame of market data (the frame tap sees it).
    MarketData(Vec<u8>),
}

/// How a feed keeps an idle socket alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keepalive {
    /// A 1-byte binary frame (Kite's heartbeat).
    Heartbeat,
    /// A WebSocket ping (Upstox).
    Ping,
}

/// One broker's feed on one socket: its subscriptions and its wire format.
pub(crate) trait Feed: Send + 'static {
    /// Whose feed it is (for the frame tap).
    const BROKER: SimBroker;

    /// The frames the feed opens with (Upstox's `market_info`).
    fn opening(&mut self, link: &mut Registration) -> Vec<Outgoing>;

    /// Acts on a client message; answers the frames to send for it.
    fn on_message(&mut self, link: &mut Registration, payload: &[u8]) -> Vec<Outgoing>;

    /// Writes the market data due this tick into `frame`; false when nothing is due.
    fn on_tick(&mut self, link: &mut Registration, frame: &mut Vec<u8>) -> bool;

    /// True when the feed streams market data (ticks at all).
    fn ticks(&self) -> bool;

    /// How an idle socket is kept alive, and after how long.
    fn keepalive(&self, link: &Registration) -> (Keepalive, Duration);

    /// The malformed frame [`StreamFault::Garbage`] sends, for a market-data feed.
    fn garbage(&self) -> Option<&'static [u8]>;

    /// The text frame for an update, when the socket wants it.
    fn on_update(&self, update: &Update) -> Option<String>;
}

/// The next update, or never for a socket that takes none.
async fn next_update(
    updates: &mut Option<tokio::sync::broadcast::Receiver<Arc<Update>>>,
) -> Result<Arc<Update>, RecvError> {
    match updates {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// What the loop does after one event.
enum Next {
    Continue,
    Stop,
}

/// Runs `feed` on `socket` until the client goes away, a write fails, or a control ends it.
pub(crate) async fn run<F: Feed>(mut socket: Socket, mut link: Registration, mut feed: F) {
    let config = link.sim().feeds.config.clone();
    let tap = config.frame_tap.clone();
    let mut ticks = tokio::time::interval(config.tick_interval);
    // A slow client skips ticks instead of getting a burst of stale ones.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (keepalive, idle) = feed.keepalive(&link);
    let mut keepalive_timer = tokio::time::interval(idle);
    keepalive_timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_sent = Instant::now();
    let mut muted = false;
    let mut frame = Vec::with_capacity(4096);

    for out in feed.opening(&mut link) {
        if send(&mut socket, &out, tap.as_ref(), F::BROKER)
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        let next = tokio::select! {
            control = link.controls.recv() => match control {
                Ok(Control::Fault(StreamFault::Mute)) => {
                    muted = true;
                    Next::Continue
                }
                Ok(Control::Fault(StreamFault::Garbage)) => match feed.garbage() {
                    Some(bytes) if !muted => match socket.send_binary(bytes).await {
                        Ok(()) => Next::Continue,
                        Err(_) => Next::Stop,
                    },
                    _ => Next::Continue,
                },
                Ok(Control::SessionEnded | Control::Fault(StreamFault::ExpireToken)) => {
                    if !muted {
                        // 1008: policy violation, the token is no longer valid.
                        let _ = socket.send_close(1008, "session expired").await;
                    }
                    Next::Stop
                }
                // Dropping the socket closes the TCP connection with no close frame.
                Ok(Control::Fault(StreamFault::Drop) | Control::Shutdown) => Next::Stop,
                Err(RecvError::Lagged(_)) => Next::Continue,
                Err(RecvError::Closed) => Next::Stop,
            },
            incoming = socket.next_from_client() => match incoming {
                None => Next::Stop,
                Some(_) if muted => Next::Continue,
                Some(FromClient::Ping(payload)) => match socket.send_pong(&payload).await {
                    Ok(()) => Next::Continue,
                    Err(_) => Next::Stop,
                },
                Some(FromClient::Close) => {
                    let _ = socket.send_close(1000, "").await;
                    Next::Stop
                }
                Some(FromClient::Message(payload)) => {
                    let mut next = Next::Continue;
                    for out in feed.on_message(&mut link, &payload) {
                        if send(&mut socket, &out, tap.as_ref(), F::BROKER).await.is_err() {
                            next = Next::Stop;
                            break;
                        }
                        last_sent = Instant::now();
                    }
                    next
                }
            },
            update = next_update(&mut link.updates), if !muted => match update {
                Ok(update) => match feed.on_update(&update) {
                    Some(text) => match socket.send_text(&text).await {
                        Ok(()) => {
                            last_sent = Instant::now();
                            Next::Continue
                        }
                        Err(_) => Next::Stop,
                    },
                    None => Next::Continue,
                },
                // A socket that fell this far behind misses some updates, as a slow
                // broker connection would.
                Err(RecvError::Lagged(_)) => Next::Continue,
                Err(RecvError::Closed) => Next::Stop,
            },
            _ = ticks.tick(), if !muted && feed.ticks() => {
                frame.clear();
                if feed.on_tick(&mut link, &mut frame) {
                    let out = Outgoing::MarketData(std::mem::take(&mut frame));
                    let sent = send(&mut socket, &out, tap.as_ref(), F::BROKER).await;
                    if let Outgoing::MarketData(bytes) = out {
                        frame = bytes;
                    }
                    match sent {
                        Ok(()) => {
                            last_sent = Instant::now();
                            Next::Continue
                        }
                        Err(_) => Next::Stop,
                    }
                } else {
                    Next::Continue
                }
            },
            _ = keepalive_timer.tick(), if !muted => {
                if last_sent.elapsed() + Duration::from_millis(5) >= idle {
                    let sent = match keepalive {
                        Keepalive::Heartbeat => socket.send_binary(&[0]).await,
                        Keepalive::Ping => socket.send_ping().await,
                    };
                    last_sent = Instant::now();
                    match sent {
                        Ok(()) => Next::Continue,
                        Err(_) => Next::Stop,
                    }
                } else {
                    Next::Continue
                }
            },
        };
        if let Next::Stop = next {
            return;
        }
    }
}

async fn send(
    socket: &mut Socket,
    out: &Outgoing,
    tap: Option<&super::FrameTap>,
    broker: SimBroker,
) -> Result<(), fastwebsockets::WebSocketError> {
    match out {
        Outgoing::Text(text) => socket.send_text(text).await,
        Outgoing::MarketData(bytes) => {
            if let Some(tap) = tap {
                tap(broker, bytes);
            }
            socket.send_binary(bytes).await
        }
    }
}
