//! A small WebSocket client for the feed tests: fastwebsockets' client handshake over a plain
//! `TcpStream`, every frame (pings included) handed to the test as it arrives.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, WebSocketError, handshake};
use http::Request;
use http_body_util::Empty;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// One frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping,
    /// A close frame.
    Close,
    /// The connection ended without a close frame (or errored).
    Gone,
}

/// A connected client.
pub struct Ws {
    ws: FragmentCollector<TokioIo<Upgraded>>,
}

/// Opens `target` (origin-form: `/path?query`) at `addr` with the given extra headers.
pub async fn connect(
    addr: SocketAddr,
    target: &str,
    headers: &[(&str, &str)],
) -> Result<Ws, WebSocketError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(WebSocketError::IoError)?;
    let _ = stream.set_nodelay(true);
    let mut request = Request::builder()
        .method("GET")
        .uri(target)
        .header("Host", addr.to_string())
        .header("Upgrade", "websocket")
        .header("Connection", "upgrade")
        .header("Sec-WebSocket-Key", handshake::generate_key())
        .header("Sec-WebSocket-Version", "13");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Empty::<Bytes>::new()).unwrap();
    let (mut ws, _) = handshake::client(&TokioExecutor::new(), request, stream).await?;
    // The tests want to see the server's pings.
    ws.set_auto_pong(false);
    Ok(Ws {
        ws: FragmentCollector::new(ws),
    })
}

/// The headers a raw WebSocket handshake carries (for a refusal's status and body).
pub const UPGRADE_HEADERS: &[(&str, &str)] = &[
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
];

impl Ws {
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .write_frame(Frame::text(Payload::Borrowed(text.as_bytes())))
            .await
            .unwrap();
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.ws
            .write_frame(Frame::binary(Payload::Borrowed(bytes)))
            .await
            .unwrap();
    }

    /// The next frame, or `None` when nothing came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Msg> {
        let frame = tokio::time::timeout(wait, self.ws.read_frame())
            .await
            .ok()?;
        Some(match frame {
            Ok(frame) => match frame.opcode {
                OpCode::Text => Msg::Text(String::from_utf8(frame.payload.to_vec()).unwrap()),
                OpCode::Binary => Msg::Binary(frame.payload.to_vec()),
                OpCode::Ping => Msg::Ping,
                OpCode::Close => Msg::Close,
                OpCode::Pong | OpCode::Continuation => {
                    return Box::pin(self.next_within(wait)).await;
                }
            },
            Err(_) => Msg::Gone,
        })
    }

    /// The next frame (panics after five seconds of silence).
    pub async fn next(&mut self) -> Msg {
        self.next_within(Duration::from_secs(5))
            .await
            .expect("a frame within five seconds")
    }

    /// The first frame `pick` accepts, skipping others (panics after five seconds).
    pub async fn find<T>(&mut self, mut pick: impl FnMut(&Msg) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = self
                .next_within(left)
                .await
                .expect("the awaited frame within five seconds");
            if let Some(found) = pick(&msg) {
                return found;
            }
            assert!(msg != Msg::Gone, "the connection ended first");
        }
    }

    /// The next binary frame's payload, skipping others.
    pub async fn next_binary(&mut self) -> Vec<u8> {
        self.find(|m| match m {
            Msg::Binary(b) => Some(b.clone()),
            _ => None,
        })
        .await
    }

    /// The next text frame, skipping others.
    pub async fn next_text(&mut self) -> String {
        self.find(|m| match m {
            Msg::Text(t) => Some(t.clone()),
            _ => None,
        })
        .await
    }
}

/// Waits (up to five seconds) until `check` holds.
pub async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not come true within five seconds");
}
