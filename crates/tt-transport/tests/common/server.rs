//! A scriptable WebSocket server on 127.0.0.1: it accepts or refuses upgrades, records every
//! message it receives, and on a test's word pushes messages, goes mute, sends a close frame or
//! drops the TCP connection without one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{FragmentCollectorRead, Frame, OpCode, Payload};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How long a helper waits for what a test expects before failing it.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// What the server does with the next upgrade requests.
#[derive(Debug, Clone)]
enum Admission {
    Accept,
    Refuse {
        status: u16,
        body: String,
    },
    /// Answers 101 with a `Sec-WebSocket-Accept` that is not the key's.
    WrongAccept,
}

struct Shared {
    admission: Mutex<Admission>,
    /// Upgrade requests seen, accepted or refused.
    attempts: AtomicUsize,
    /// Accepted connections, in the order they were accepted.
    connections: Mutex<Vec<Arc<Connection>>>,
    accepted: watch::Sender<usize>,
}

/// The server; it stops accepting when dropped.
pub struct WsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

impl Drop for WsServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl WsServer {
    /// A server on 127.0.0.1 that accepts upgrades.
    pub async fn start() -> WsServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            admission: Mutex::new(Admission::Accept),
            attempts: AtomicUsize::new(0),
            connections: Mutex::new(Vec::new()),
            accepted: watch::channel(0).0,
        });
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        WsServer {
            addr,
            shared,
            accept_loop,
        }
    }

    /// `ws://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Accepts upgrades from now on.
    pub fn accept(&self) {
        *self.shared.admission.lock().unwrap() = Admission::Accept;
    }

    /// Answers upgrades with `status` and `body` from now on.
    pub fn refuse(&self, status: u16, body: &str) {
        *self.shared.admission.lock().unwrap() = Admission::Refuse {
            status,
            body: body.to_owned(),
        };
    }

    /// Answers upgrades with 101 but a wrong `Sec-WebSocket-Accept` from now on.
    pub fn answer_with_a_wrong_accept(&self) {
        *self.shared.admission.lock().unwrap() = Admission::WrongAccept;
    }

    /// Upgrade requests seen so far, accepted or refused.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        *self.shared.accepted.borrow()
    }

    /// Waits until `attempts()` reaches `n`.
    pub async fn wait_attempts(&self, n: usize) {
        tokio::time::timeout(PATIENCE, async {
            while self.attempts() < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{} upgrade attempts, expected {n}", self.attempts()));
    }

    /// The `index`th accepted connection (from 0), once it exists.
    pub async fn connection(&self, index: usize) -> Arc<Connection> {
        let mut accepted = self.shared.accepted.subscribe();
        tokio::time::timeout(PATIENCE, accepted.wait_for(|n| *n > index))
            .await
            .unwrap_or_else(|_| panic!("no connection #{index} within {PATIENCE:?}"))
            .unwrap();
        Arc::clone(&self.shared.connections.lock().unwrap()[index])
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(Arc::clone(&shared), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades()
                .await;
        });
    }
}

async fn answer(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if !fastwebsockets::upgrade::is_upgrade_request(&request) {
        return Ok(status(400, "not a WebSocket upgrade"));
    }
    shared.attempts.fetch_add(1, Ordering::SeqCst);
    let admission = shared.admission.lock().unwrap().clone();
    match admission {
        Admission::Accept => {}
        Admission::Refuse { status: code, body } => return Ok(status(code, &body)),
        Admission::WrongAccept => {
            let (mut response, upgrade) = fastwebsockets::upgrade::upgrade(&mut request).unwrap();
            response.headers_mut().insert(
                "Sec-WebSocket-Accept",
                http::HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
            );
            // Hold the upgraded connection until the client lets go.
            tokio::spawn(async move {
                if let Ok(ws) = upgrade.await {
                    let mut ws = fastwebsockets::FragmentCollector::new(ws);
                    while ws.read_frame().await.is_ok() {}
                }
            });
            return Ok(response.map(|_| Full::new(Bytes::new())));
        }
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let (response, upgrade) = fastwebsockets::upgrade::upgrade(&mut request).unwrap();
    let (commands, pending) = mpsc::unbounded_channel();
    let connection = Arc::new(Connection {
        path,
        headers,
        messages: watch::channel(Vec::new()).0,
        pings: watch::channel(0).0,
        pongs: watch::channel(0).0,
        ended: watch::channel(None).0,
        muted: AtomicBool::new(false),
        ignoring_pings: AtomicBool::new(false),
        commands,
    });
    {
        let mut connections = shared.connections.lock().unwrap();
        connections.push(Arc::clone(&connection));
        shared.accepted.send_replace(connections.len());
    }
    tokio::spawn(serve_socket(connection, upgrade, pending));
    Ok(response.map(|_| Full::new(Bytes::new())))
}

fn status(code: u16, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = StatusCode::from_u16(code).unwrap();
    response
}

/// How a connection ended, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The client sent a close frame with this code.
    ClientClosed(Option<u16>),
    /// The TCP connection ended (or failed) without a close frame.
    Dropped,
    /// The server dropped it on a test's word.
    ServerDropped,
    /// The server sent a close frame and the client answered.
    ServerClosed,
}

enum Command {
    Push(Frame<'static>),
    Close(u16),
    Drop,
}

/// One accepted WebSocket connection.
pub struct Connection {
    path: String,
    headers: Vec<(String, String)>,
    /// Text messages received (a binary one as `binary:` and its length).
    messages: watch::Sender<Vec<String>>,
    pings: watch::Sender<usize>,
    pongs: watch::Sender<usize>,
    ended: watch::Sender<Option<Ending>>,
    /// While set, the server sends nothing at all, pongs included.
    muted: AtomicBool,
    /// While set, the server does not answer pings (but may send its own).
    ignoring_pings: AtomicBool,
    commands: mpsc::UnboundedSender<Command>,
}

impl Connection {
    /// The upgrade request's path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The upgrade request's header `name`, if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// Messages received so far.
    pub fn messages(&self) -> Vec<String> {
        self.messages.borrow().clone()
    }

    /// Waits until `n` messages have arrived, and returns all so far.
    pub async fn wait_messages(&self, n: usize) -> Vec<String> {
        let mut messages = self.messages.subscribe();
        let waited = tokio::time::timeout(PATIENCE, messages.wait_for(|m| m.len() >= n)).await;
        match waited {
            Ok(Ok(messages)) => messages.clone(),
            _ => panic!("{n} messages expected, got {:?}", self.messages()),
        }
    }

    /// Waits until the client has sent `n` pings.
    pub async fn wait_pings(&self, n: usize) {
        let mut pings = self.pings.subscribe();
        tokio::time::timeout(PATIENCE, pings.wait_for(|p| *p >= n))
            .await
            .unwrap_or_else(|_| panic!("{n} pings expected, got {}", *self.pings.borrow()))
            .unwrap();
    }

    /// Pongs the client has sent (answers to the server's pings).
    pub fn pongs(&self) -> usize {
        *self.pongs.borrow()
    }

    /// Waits until the connection has ended, and says how.
    pub async fn wait_ended(&self, within: Duration) -> Ending {
        let mut ended = self.ended.subscribe();
        tokio::time::timeout(within, ended.wait_for(Option::is_some))
            .await
            .unwrap_or_else(|_| panic!("the connection is still open after {within:?}"))
            .unwrap()
            .clone()
            .unwrap()
    }

    /// Whether the connection has ended.
    pub fn is_open(&self) -> bool {
        self.ended.borrow().is_none()
    }

    /// Sends a text message.
    pub fn push_text(&self, text: &str) {
        let frame = Frame::text(Payload::Owned(text.as_bytes().to_vec()));
        let _ = self.commands.send(Command::Push(frame));
    }

    /// Sends a binary message.
    pub fn push_binary(&self, bytes: &[u8]) {
        let frame = Frame::binary(Payload::Owned(bytes.to_vec()));
        let _ = self.commands.send(Command::Push(frame));
    }

    /// Sends a text message in fragments, one frame per part.
    pub fn push_fragmented(&self, parts: &[&str]) {
        for (n, part) in parts.iter().enumerate() {
            let opcode = if n == 0 {
                OpCode::Text
            } else {
                OpCode::Continuation
            };
            let last = n + 1 == parts.len();
            let payload = Payload::Owned(part.as_bytes().to_vec());
            let _ = self
                .commands
                .send(Command::Push(Frame::new(last, opcode, None, payload)));
        }
    }

    /// Sends a ping.
    pub fn ping(&self) {
        let frame = Frame::new(true, OpCode::Ping, None, Payload::Owned(b"hb".to_vec()));
        let _ = self.commands.send(Command::Push(frame));
    }

    /// Stops sending anything, pongs included (the server still reads).
    pub fn mute(&self) {
        self.muted.store(true, Ordering::SeqCst);
    }

    /// Stops answering pings; messages and pings of its own still go out.
    pub fn ignore_pings(&self) {
        self.ignoring_pings.store(true, Ordering::SeqCst);
    }

    /// Sends a close frame with `code`.
    pub fn close(&self, code: u16) {
        let _ = self.commands.send(Command::Close(code));
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_tcp(&self) {
        let _ = self.commands.send(Command::Drop);
    }
}

async fn serve_socket(
    connection: Arc<Connection>,
    upgrade: fastwebsockets::upgrade::UpgradeFut,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let Ok(mut ws) = upgrade.await else {
        connection.ended.send_replace(Some(Ending::Dropped));
        return;
    };
    // Pings are answered here (or not, when muted), and close frames too.
    ws.set_auto_pong(false);
    ws.set_auto_close(false);
    let (read, mut write) = ws.split(tokio::io::split);
    let mut read = FragmentCollectorRead::new(read);
    let (out, mut outgoing) = mpsc::unbounded_channel::<Frame<'static>>();

    let reader_connection = Arc::clone(&connection);
    let reader_out = out.clone();
    let mut reader = tokio::spawn(async move {
        let connection = reader_connection;
        let mut nothing_owed =
            |_: Frame<'_>| std::future::ready(Ok::<(), std::convert::Infallible>(()));
        loop {
            let Ok(frame) = read.read_frame(&mut nothing_owed).await else {
                return Ending::Dropped;
            };
            match frame.opcode {
                OpCode::Text => connection.messages.send_modify(|m| {
                    m.push(String::from_utf8_lossy(&frame.payload).into_owned());
                }),
                OpCode::Binary => connection.messages.send_modify(|m| {
                    m.push(format!("binary:{}", frame.payload.len()));
                }),
                OpCode::Ping => {
                    connection.pings.send_modify(|p| *p += 1);
                    if !connection.muted.load(Ordering::SeqCst)
                        && !connection.ignoring_pings.load(Ordering::SeqCst)
                    {
                        let pong = Frame::pong(Payload::Owned(frame.payload.to_vec()));
                        let _ = reader_out.send(pong);
                    }
                }
                OpCode::Pong => connection.pongs.send_modify(|p| *p += 1),
                OpCode::Close => {
                    let code = frame
                        .payload
                        .get(..2)
                        .map(|b| u16::from_be_bytes([b[0], b[1]]));
                    return Ending::ClientClosed(code);
                }
                OpCode::Continuation => {}
            }
        }
    });

    let ending = loop {
        tokio::select! {
            ended = &mut reader => {
                break ended.unwrap_or(Ending::Dropped);
            }
            Some(frame) = outgoing.recv() => {
                if !connection.muted.load(Ordering::SeqCst) && write.write_frame(frame).await.is_err() {
                    break Ending::Dropped;
                }
            }
            Some(command) = commands.recv() => match command {
                Command::Push(frame) => {
                    if !connection.muted.load(Ordering::SeqCst) {
                        let _ = out.send(frame);
                    }
                }
                Command::Close(code) => {
                    let _ = write.write_frame(Frame::close(code, b"bye")).await;
                    let answered = tokio::time::timeout(PATIENCE, &mut reader).await;
                    break match answered {
                        Ok(Ok(Ending::ClientClosed(_))) => Ending::ServerClosed,
                        Ok(Ok(other)) => other,
                        _ => Ending::Dropped,
                    };
                }
                Command::Drop => {
                    reader.abort();
                    break Ending::ServerDropped;
                }
            },
        }
    };
    reader.abort();
    // Both halves go here, and the TCP connection with them.
    drop(write);
    connection.ended.send_replace(Some(ending));
}
