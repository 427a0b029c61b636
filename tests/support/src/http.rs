//! A tiny HTTP/1.1 server on 127.0.0.1 for tests: fixed responses per path, with the faults a
//! client must survive (a stall, a trickle, a body cut short), and a record of the requests it got.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How a route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// The whole response.
    Normal,
    /// Waits this long before answering at all.
    Stall(Duration),
    /// Declares the full length, sends half the body, then closes the connection.
    CutShort,
    /// Reads the request, then closes the connection without answering.
    Drop,
    /// Sends the head at once, then the body a byte at a time with this pause before each: a
    /// server that is never silent for long but never done either.
    Trickle(Duration),
}

/// One path's answer.
#[derive(Debug, Clone)]
pub struct Route {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// How it is delivered.
    pub behaviour: Behaviour,
}

impl Route {
    /// A 200 with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            body: body.into(),
            headers: Vec::new(),
            behaviour: Behaviour::Normal,
        }
    }

    /// A response with `status` and `body`.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status,
            ..Route::ok(body)
        }
    }

    /// The same route delivered with `behaviour`.
    #[must_use]
    pub fn with(mut self, behaviour: Behaviour) -> Route {
        self.behaviour = behaviour;
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The method.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The server; it stops accepting when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Vec<Route>>>>,
    received: Arc<Mutex<Vec<Received>>>,
    keep_alive: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    /// Starts serving `routes` (path -> answer) on 127.0.0.1 with a free port. Unknown paths get
    /// a 404.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(routes: impl IntoIterator<Item = (&'static str, Route)>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let routes: HashMap<String, Vec<Route>> = routes
            .into_iter()
            .map(|(p, r)| (p.to_owned(), vec![r]))
            .collect();
        let routes = Arc::new(Mutex::new(routes));
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep_alive = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (server_routes, server_received) = (Arc::clone(&routes), Arc::clone(&received));
        let (server_keep_alive, server_connections) =
            (Arc::clone(&keep_alive), Arc::clone(&connections));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // Stop once the test dropped its handle.
                if Arc::strong_count(&server_routes) == 1 {
                    return;
                }
                server_connections.fetch_add(1, Ordering::SeqCst);
                let routes = Arc::clone(&server_routes);
                let received = Arc::clone(&server_received);
                let keep_alive = Arc::clone(&server_keep_alive);
                thread::spawn(move || serve(stream, &routes, &received, &keep_alive));
            }
        });
        TestServer {
            addr,
            routes,
            received,
            keep_alive,
            connections,
        }
    }

    /// From now on, keeps connections open for further requests (`Connection: keep-alive`)
    /// instead of closing each after one answer, so clients pool them.
    pub fn keep_connections_alive(&self) {
        self.keep_alive.store(true, Ordering::SeqCst);
    }

    /// How many connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Replaces the answer for a path.
    pub fn set(&self, path: &'static str, route: Route) {
        self.sequence(path, vec![route]);
    }

    /// Answers a path's next requests with `routes` in turn; the last one then repeats.
    pub fn sequence(&self, path: &'static str, routes: Vec<Route>) {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_owned(), routes);
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Wake the accept loop so it sees the handle is gone.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Vec<Route>>>,
    received: &Mutex<Vec<Received>>,
    keep_alive: &AtomicBool,
) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    while answer_one(&mut reader, &mut stream, routes, received, keep_alive) {}
}

/// Reads one request and answers it; true when the connection stays open for another.
fn answer_one(
    reader: &mut BufReader<TcpStream>,
    stream: &mut TcpStream,
    routes: &Mutex<HashMap<String, Vec<Route>>>,
    received: &Mutex<Vec<Received>>,
    keep_alive: &AtomicBool,
) -> bool {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return false;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    // The whole request arrives before any fault acts (a drop happens after reading it).
    let mut body = vec![0u8; length];
    if std::io::Read::read_exact(reader, &mut body).is_err() {
        return false;
    }
    received
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Received {
            method,
            path: path.clone(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    let bare = path.split('?').next().unwrap_or_default();
    let route = {
        let mut routes = routes.lock().unwrap_or_else(|p| p.into_inner());
        match routes.get_mut(bare) {
            Some(queue) if queue.len() > 1 => queue.remove(0),
            Some(queue) => queue
                .first()
                .cloned()
                .unwrap_or_else(|| Route::status(404, "")),
            None => Route::status(404, "not found"),
        }
    };
    match route.behaviour {
        Behaviour::Stall(wait) => thread::sleep(wait),
        Behaviour::Drop => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return false;
        }
        _ => {}
    }
    // Faults end the connection; only whole answers may leave it open.
    let reuse = keep_alive.load(Ordering::SeqCst) && route.behaviour == Behaviour::Normal;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: {}\r\n",
        route.status,
        route.body.len(),
        if reuse { "keep-alive" } else { "close" }
    );
    for (name, value) in &route.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let body = match route.behaviour {
        Behaviour::CutShort => &route.body[..route.body.len() / 2],
        _ => &route.body[..],
    };
    let _ = stream.write_all(head.as_bytes());
    if let Behaviour::Trickle(pause) = route.behaviour {
        let _ = stream.flush();
        for byte in body {
            thread::sleep(pause);
            if stream
                .write_all(&[*byte])
                .and_then(|()| stream.flush())
                .is_err()
            {
                return false;
            }
        }
        return false;
    }
    let sent = stream.write_all(body).and_then(|()| stream.flush()).is_ok();
    sent && reuse
}
