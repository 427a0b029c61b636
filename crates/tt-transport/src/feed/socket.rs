//! One socket's life: connect, replay its subscriptions, read and decode until it drops or
//! goes silent, back off, and again, until the run ends.
//!
//! Reading and writing are split: fastwebsockets' reads are not cancel-safe, so one read is
//! kept pinned while commands, pings and the stall deadline are served beside it, and every
//! write (a subscription, a pong owed, a ping) goes through a writer task that owns the write
//! half.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use fastwebsockets::{Frame, OpCode, Payload};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};
use tt_core::{CloseReason, ConnectionId, ConnectionKind, Disconnect, FeedEvent, FrameRecorder};

use super::backoff::reconnect_delay;
use super::engine::Engine;
use super::sink::Sink;
use super::{FeedProtocol, Incoming, Outgoing, SocketProtocol, Subscription, session_expired};
use crate::ws::{self, WsRead, WsWrite};

/// How long a closing connection's writer may take to flush.
const WRITER_GRACE: Duration = Duration::from_millis(200);

/// What the engine tells a socket between reconnects.
#[derive(Debug)]
pub(crate) enum Command {
    /// Subscribe these (or change their mode).
    Subscribe(Vec<Subscription>),
    /// Unsubscribe these.
    Unsubscribe(Vec<Subscription>),
}

/// Which socket of which run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) connection: ConnectionId,
    pub(crate) generation: u64,
    pub(crate) order_updates: bool,
}

/// What the writer task sends.
enum Write {
    Message(Outgoing),
    Pong(Vec<u8>),
    Close(Vec<u8>),
    Ping,
}

/// How one connection ended.
enum Ended {
    /// It dropped or went silent: reconnect.
    Lost(Disconnect),
    /// The run ended, or nobody reads the events any more.
    Stop,
}

pub(crate) async fn run<P: FeedProtocol>(
    engine: Arc<Engine<P>>,
    spec: Spec,
    sink: Arc<Sink>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut stop: watch::Receiver<bool>,
) {
    let options = engine.options.clone();
    let broker = engine.protocol.broker();
    let connection = spec.connection;
    let mut failures: u32 = 0;
    let mut lost: Option<Disconnect> = None;
    loop {
        if let Some(reason) = lost.take() {
            failures += 1;
            if options.max_attempts.is_some_and(|max| failures > max) {
                engine.finish(
                    spec.generation,
                    CloseReason::GaveUp {
                        attempts: failures - 1,
                        last: reason,
                    },
                );
                return;
            }
            if !sink.emit(FeedEvent::Reconnecting {
                connection,
                attempt: failures,
                reason,
            }) {
                break;
            }
            let delay = reconnect_delay(&options, failures);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stop.changed() => return,
                () = sink.consumer_left() => break,
            }
        }
        if *stop.borrow() {
            return;
        }

        let target = tokio::select! {
            target = engine.protocol.target(connection) => target,
            _ = stop.changed() => return,
            () = sink.consumer_left() => break,
        };
        let target = match target {
            Ok(target) => target,
            Err(error) if error.is_auth_error() => {
                engine.finish(spec.generation, session_expired(broker, error.to_string()));
                return;
            }
            Err(error) => {
                lost = Some(Disconnect::Failed {
                    error: error.to_string(),
                });
                continue;
            }
        };
        let opened = tokio::select! {
            opened = ws::connect(&target, options.connect_timeout) => opened,
            _ = stop.changed() => return,
            () = sink.consumer_left() => break,
        };
        let (mut read, write) = match opened {
            Ok(halves) => halves,
            Err(error) if engine.protocol.is_session_refusal(&error) => {
                engine.finish(spec.generation, session_expired(broker, error.to_string()));
                return;
            }
            Err(error) => {
                lost = Some(Disconnect::Failed {
                    error: error.to_string(),
                });
                continue;
            }
        };

        // The registry is what a fresh connection replays; commands queued while away are
        // already in it.
        let replay = engine.replay(connection, &mut commands);
        let (writes, pending) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_all(write, pending));
        let mut protocol = engine.protocol.socket(connection, spec.order_updates);
        if !replay.is_empty() {
            send(&writes, protocol.subscribe(&replay));
        }
        if !sink.emit(FeedEvent::Connected { connection }) {
            writer.abort();
            break;
        }
        failures = 0;
        // Only market data is recorded (a capture replays ticks, not order updates).
        let recorder = options
            .recorder
            .as_ref()
            .filter(|_| connection.kind == ConnectionKind::MarketData);
        let ended = read_until_lost(
            &mut read,
            &mut *protocol,
            &writes,
            &mut commands,
            &mut stop,
            &sink,
            connection,
            options.stall_timeout,
            recorder,
        )
        .await;
        match ended {
            Ended::Lost(reason) => {
                // What the reader owes is still sent: the answer to a server's close frame
                // completes the closing handshake.
                drop(writes);
                let_writer_finish(writer).await;
                lost = Some(reason);
            }
            Ended::Stop => {
                if sink.consumer_gone() {
                    // The run is over as soon as nobody reads it (so it can be resumed
                    // while this connection is still closing).
                    engine.finish(spec.generation, CloseReason::Requested);
                }
                // A polite close for the server, if the writer gets to it.
                let _ = writes.send(Write::Close(1000u16.to_be_bytes().to_vec()));
                drop(writes);
                let_writer_finish(writer).await;
                return;
            }
        }
    }
    // Nobody reads the events any more: the run is over.
    engine.finish(spec.generation, CloseReason::Requested);
}

#[allow(clippy::too_many_arguments)]
async fn read_until_lost(
    read: &mut WsRead,
    protocol: &mut dyn SocketProtocol,
    writes: &mpsc::UnboundedSender<Write>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    stop: &mut watch::Receiver<bool>,
    sink: &Sink,
    connection: ConnectionId,
    stall_timeout: Duration,
    recorder: Option<&FrameRecorder>,
) -> Ended {
    // Pongs and close replies the reader owes go out through the writer.
    let mut owed = |frame: Frame<'_>| {
        let write = match frame.opcode {
            OpCode::Pong => Write::Pong(frame.payload.to_vec()),
            _ => Write::Close(frame.payload.to_vec()),
        };
        let sent = writes
            .send(write)
            .map_err(|_| std::io::Error::other("writer gone"));
        std::future::ready(sent)
    };
    loop {
        let heard = Instant::now();
        let deadline = heard + stall_timeout;
        let mut ping_at = Some(heard + stall_timeout / 2);
        let frame = {
            let mut next = pin!(read.read_frame(&mut owed));
            loop {
                tokio::select! {
                    biased;
                    _ = stop.changed() => return Ended::Stop,
                    () = sink.consumer_left() => return Ended::Stop,
                    frame = &mut next => break frame,
                    Some(command) = commands.recv() => {
                        let messages = match command {
                            Command::Subscribe(subscriptions) => protocol.subscribe(&subscriptions),
                            Command::Unsubscribe(subscriptions) => protocol.unsubscribe(&subscriptions),
                        };
                        send(writes, messages);
                    }
                    () = sleep_until(ping_at.unwrap_or(deadline)), if ping_at.is_some() => {
                        ping_at = None;
                        let _ = writes.send(Write::Ping);
                    }
                    () = sleep_until(deadline) => {
                        let silent_for = stall_timeout;
                        if !sink.emit(FeedEvent::Stalled { connection, silent_for }) {
                            return Ended::Stop;
                        }
                        return Ended::Lost(Disconnect::Stalled { silent_for });
                    }
                }
            }
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                return Ended::Lost(Disconnect::Failed {
                    error: format!("reading failed: {error}"),
                });
            }
        };
        let mut alive = true;
        let mut emit = |event: FeedEvent| {
            alive &= sink.emit(event);
        };
        match frame.opcode {
            OpCode::Binary => {
                if let Some(recorder) = recorder {
                    recorder.record(&frame.payload);
                }
                protocol.decode(Incoming::Binary(&frame.payload), &mut emit);
            }
            OpCode::Text => protocol.decode(Incoming::Text(&frame.payload), &mut emit),
            OpCode::Close => {
                let code = frame
                    .payload
                    .get(..2)
                    .and_then(|b| <[u8; 2]>::try_from(b).ok())
                    .map(u16::from_be_bytes);
                return Ended::Lost(Disconnect::Closed { code });
            }
            // A server's ping is answered here (fastwebsockets' own answer would swallow it,
            // and it proves the line alive as much as a pong does).
            OpCode::Ping => {
                let _ = writes.send(Write::Pong(frame.payload.to_vec()));
            }
            OpCode::Pong | OpCode::Continuation => {}
        }
        if !alive {
            return Ended::Stop;
        }
    }
}

/// Waits a moment for the writer to flush what is queued (it stops once its queue is closed),
/// and no longer: a peer that stopped reading must not hold up a reconnect.
async fn let_writer_finish(writer: tokio::task::JoinHandle<()>) {
    let abort = writer.abort_handle();
    if tokio::time::timeout(WRITER_GRACE, writer).await.is_err() {
        abort.abort();
    }
}

fn send(writes: &mpsc::UnboundedSender<Write>, messages: Vec<Outgoing>) {
    for message in messages {
        let _ = writes.send(Write::Message(message));
    }
}

async fn write_all(mut write: WsWrite, mut pending: mpsc::UnboundedReceiver<Write>) {
    while let Some(next) = pending.recv().await {
        let (frame, closing) = match next {
            Write::Message(Outgoing::Text(text)) => {
                (Frame::text(Payload::Owned(text.into_bytes())), false)
            }
            Write::Message(Outgoing::Binary(bytes)) => {
                (Frame::binary(Payload::Owned(bytes)), false)
            }
            Write::Pong(payload) => (Frame::pong(Payload::Owned(payload)), false),
            Write::Ping => (
                Frame::new(true, OpCode::Ping, None, Payload::Owned(Vec::new())),
                false,
            ),
            Write::Close(payload) => (Frame::close_raw(Payload::Owned(payload)), true),
        };
        if write.write_frame(frame).await.is_err() || closing {
            return;
        }
    }
}
