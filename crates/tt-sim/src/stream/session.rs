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
use super::{Control, FrameTap, Registration, StreamFault, Update};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Continue,
    Stop,
}

/// A frame the loop writes.
#[derive(Debug, Clone, Copy)]
enum Write<'a> {
    Text(&'a str),
    /// Market data: the frame tap sees it first.
    MarketData(&'a [u8]),
    /// Other binary bytes (a heartbeat, a fault's garbage).
    Binary(&'a [u8]),
    Ping,
    Pong(&'a [u8]),
    Close(u16, &'a str),
}

/// The socket's writing side: every frame written counts as activity for the keepalive.
struct Writer {
    socket: Socket,
    tap: Option<FrameTap>,
    broker: SimBroker,
    last_sent: Instant,
}

impl Writer {
    /// Writes `frame`; a failed write (the client is gone) stops the loop.
    async fn write(&mut self, frame: Write<'_>) -> Next {
        let written = match frame {
            Write::Text(text) => self.socket.send_text(text).await,
            Write::MarketData(bytes) => {
                if let Some(tap) = &self.tap {
                    tap(self.broker, bytes);
                }
                self.socket.send_binary(bytes).await
            }
            Write::Binary(bytes) => self.socket.send_binary(bytes).await,
            Write::Ping => self.socket.send_ping().await,
            Write::Pong(payload) => self.socket.send_pong(payload).await,
            Write::Close(code, reason) => self.socket.send_close(code, reason).await,
        };
        self.last_sent = Instant::now();
        if written.is_ok() {
            Next::Continue
        } else {
            Next::Stop
        }
    }

    /// Writes each of a feed's answers, stopping at the first that fails.
    async fn write_all(&mut self, answers: &[Outgoing]) -> Next {
        for answer in answers {
            let frame = match answer {
                Outgoing::Text(text) => Write::Text(text),
                Outgoing::MarketData(bytes) => Write::MarketData(bytes),
            };
            if self.write(frame).await == Next::Stop {
                return Next::Stop;
            }
        }
        Next::Continue
    }
}

/// Runs `feed` on `socket` until the client goes away, a write fails, or a control ends it.
pub(crate) async fn run<F: Feed>(socket: Socket, mut link: Registration, mut feed: F) {
    let config = link.sim().feeds.config.clone();
    let mut ticks = tokio::time::interval(config.tick_interval);
    // A slow client skips ticks instead of getting a burst of stale ones.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (keepalive, idle) = feed.keepalive(&link);
    let mut keepalive_timer = tokio::time::interval(idle);
    keepalive_timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut writer = Writer {
        socket,
        tap: config.frame_tap.clone(),
        broker: F::BROKER,
        last_sent: Instant::now(),
    };
    let mut muted = false;
    let mut frame = Vec::with_capacity(4096);

    let opening = feed.opening(&mut link);
    if writer.write_all(&opening).await == Next::Stop {
        return;
    }
    loop {
        let next = tokio::select! {
            control = link.controls.recv() => match control {
                Ok(Control::Fault(StreamFault::Mute)) => {
                    muted = true;
                    Next::Continue
                }
                Ok(Control::Fault(StreamFault::Garbage)) => match feed.garbage() {
                    Some(bytes) if !muted => writer.write(Write::Binary(bytes)).await,
                    _ => Next::Continue,
                },
                Ok(Control::SessionEnded | Control::Fault(StreamFault::ExpireToken)) => {
                    if !muted {
                        // 1008: policy violation, the token is no longer valid.
                        writer.write(Write::Close(1008, "session expired")).await;
                    }
                    Next::Stop
                }
                // Dropping the socket closes the TCP connection with no close frame.
                Ok(Control::Fault(StreamFault::Drop) | Control::Shutdown) => Next::Stop,
                Err(RecvError::Lagged(_)) => Next::Continue,
                Err(RecvError::Closed) => Next::Stop,
            },
            incoming = writer.socket.next_from_client() => match incoming {
                None => Next::Stop,
                Some(_) if muted => Next::Continue,
                Some(FromClient::Ping(payload)) => writer.write(Write::Pong(&payload)).await,
                Some(FromClient::Close) => {
                    writer.write(Write::Close(1000, "")).await;
                    Next::Stop
                }
                Some(FromClient::Message(payload)) => {
                    let answers = feed.on_message(&mut link, &payload);
                    writer.write_all(&answers).await
                }
            },
            update = next_update(&mut link.updates), if !muted => match update {
                Ok(update) => match feed.on_update(&update) {
                    Some(text) => writer.write(Write::Text(&text)).await,
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
                    writer.write(Write::MarketData(&frame)).await
                } else {
                    Next::Continue
                }
            },
            _ = keepalive_timer.tick(), if !muted => {
                // A little slack: the timer and the last frame need not line up exactly.
                if writer.last_sent.elapsed() + Duration::from_millis(5) >= idle {
                    writer.write(match keepalive {
                        Keepalive::Heartbeat => Write::Binary(&[0]),
                        Keepalive::Ping => Write::Ping,
                    })
                    .await
                } else {
                    Next::Continue
                }
            },
        };
        if next == Next::Stop {
            return;
        }
    }
}
