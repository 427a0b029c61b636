//! A feed's WebSocket on the server side: the upgrade of a hyper request (fastwebsockets), and
//! the socket split in two so a reader task can take the client's frames while the feed's own
//! task writes ticks: the reader hands every frame over through a channel, which the writer
//! can wait on alongside its timers without losing half a frame.

use std::future::Future;

use bytes::Bytes;
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, Role, WebSocketError, WebSocketWrite,
    after_handshake_split,
};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::WriteHalf;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::reply::{self, Reply};

/// The largest message a client may send; subscriptions of thousands of keys fit.
const MAX_CLIENT_MESSAGE: usize = 1 << 20;

/// Client frames the reader may hold before it waits for the writer.
const CLIENT_BACKLOG: usize = 64;

type Io = TokioIo<hyper::upgrade::Upgraded>;

/// A frame the client sent, as the writer acts on it.
#[derive(Debug)]
pub(crate) enum FromClient {
    /// A text or binary message (the payload; fragments already joined).
    Message(Vec<u8>),
    /// A ping, owed a pong with this payload.
    Ping(Vec<u8>),
    /// A close frame, owed a close frame back.
    Close,
}

/// A feed's upgraded socket: the writing half, and the client's frames from the reader task.
/// Dropping it ends the reader too, which closes the TCP connection (no close frame).
pub(crate) struct Socket {
    writer: WebSocketWrite<WriteHalf<Io>>,
    from_client: mpsc::Receiver<FromClient>,
    reader: JoinHandle<()>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").finish_non_exhaustive()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Socket {
    fn new(io: Io) -> Socket {
        let (read, write) = tokio::io::split(io);
        let (mut reader, writer) = after_handshake_split(read, write, Role::Server);
        // The writer answers pings and close frames itself: a muted socket answers nothing.
        reader.set_auto_pong(false);
        reader.set_auto_close(false);
        reader.set_max_message_size(MAX_CLIENT_MESSAGE);
        let (to_writer, from_client) = mpsc::channel(CLIENT_BACKLOG);
        let reader = tokio::spawn(async move {
            let mut reader = FragmentCollectorRead::new(reader);
            // With auto-pong and auto-close off nothing is owed from inside the reader.
            let mut owed = |_: Frame<'_>| async { Ok::<(), std::convert::Infallible>(()) };
            loop {
                let Ok(frame) = reader.read_frame(&mut owed).await else {
                    break;
                };
                let message = match frame.opcode {
                    OpCode::Text | OpCode::Binary => FromClient::Message(frame.payload.to_vec()),
                    OpCode::Ping => FromClient::Ping(frame.payload.to_vec()),
                    OpCode::Close => FromClient::Close,
                    OpCode::Pong | OpCode::Continuation => continue,
                };
                let closing = matches!(message, FromClient::Close);
                if to_writer.send(message).await.is_err() || closing {
                    break;
                }
            }
        });
        Socket {
            writer,
            from_client,
            reader,
        }
    }

    /// The client's next frame; `None` once the client is gone (closed, errored, EOF).
    /// Cancel-safe: the reader task keeps whatever it has not handed over yet.
    pub(crate) async fn next_from_client(&mut self) -> Option<FromClient> {
        self.from_client.recv().await
    }

    /// Writes a binary frame.
    pub(crate) async fn send_binary(&mut self, payload: &[u8]) -> Result<(), WebSocketError> {
        self.writer
            .write_frame(Frame::binary(Payload::Borrowed(payload)))
            .await
    }

    /// Writes a text frame.
    pub(crate) async fn send_text(&mut self, text: &str) -> Result<(), WebSocketError> {
        self.writer
            .write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
            .await
    }

    /// Writes a ping.
    pub(crate) async fn send_ping(&mut self) -> Result<(), WebSocketError> {
        self.writer
            .write_frame(Frame::new(true, OpCode::Ping, None, Payload::Borrowed(b"")))
            .await
    }

    /// Answers a ping.
    pub(crate) async fn send_pong(&mut self, payload: &[u8]) -> Result<(), WebSocketError> {
        self.writer
            .write_frame(Frame::pong(Payload::Borrowed(payload)))
            .await
    }

    /// Writes a close frame with `code` and `reason`.
    pub(crate) async fn send_close(
        &mut self,
        code: u16,
        reason: &str,
    ) -> Result<(), WebSocketError> {
        self.writer
            .write_frame(Frame::close(code, reason.as_bytes()))
            .await
    }
}

/// Upgrades `request` to a WebSocket and runs `serve` on it in a task of its own; answers the
/// 101 to send (or 400 for a request that is no valid WebSocket handshake).
pub(crate) fn upgrade<F, Fut>(request: &mut Request<Incoming>, serve: F) -> Reply
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (response, upgraded) = match fastwebsockets::upgrade::upgrade(request) {
        Ok(pair) => pair,
        Err(e) => {
            return reply::json(
                StatusCode::BAD_REQUEST,
                format!(r#"{{"status":"error","message":"not a WebSocket handshake: {e}"}}"#)
                    .into_bytes(),
            );
        }
    };
    tokio::spawn(async move {
        // A client that never completes the upgrade just goes away.
        if let Ok(ws) = upgraded.await {
            serve(Socket::new(ws.into_inner())).await;
        }
    });
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}
