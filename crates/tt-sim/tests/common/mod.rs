//! Shared by the integration tests: a tiny master built from a hand-written Kite CSV, a
//! simulator on 127.0.0.1:0 with a stopped clock, and a raw HTTP/1.1 client over `TcpStream`
//! (deliberately not tt-zerodha or tt-transport: the simulator is checked against the wire).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tt_core::{ManualClock, Price};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master};
use tt_sim::SimBroker;
use tt_sim::{RateLimits, SimConfig, SimHandle, Simulator};
use tt_upstox::{Upstox, UpstoxConfig};

pub mod ws;
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// 09:30 IST on a Tuesday.
pub const NOW: OffsetDateTime = datetime!(2026-11-24 04:00:00 UTC);

/// A small Kite dump in the API's own formatting: NSE and BSE equities (one with `&`), an index
/// (with a space), NIFTY options and a future, an MCX future, and a CDS and a BCD future (their
/// tokens' low bytes 3 and 6: the ticker's currency segments).
pub const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.05,1,EQ,NSE,NSE
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
779521,3045,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,NSE,NSE
519937,2031,M&M,\"MAHINDRA & MAHINDRA\",0,,0,0.05,1,EQ,NSE,NSE
256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE
128028676,500112,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,BSE,BSE
12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,2026-12-29,24000,0.05,75,CE,NFO-OPT,NFO
12345858,48226,NIFTY26DEC24000PE,\"NIFTY\",0,2026-12-29,24000,0.05,75,PE,NFO-OPT,NFO
13238786,51714,NIFTY26DECFUT,\"NIFTY\",0,2026-12-29,0,0.1,75,FUT,NFO-FUT,NFO
111872007,437000,GOLD26DECFUT,\"GOLD\",0,2026-12-05,0,1,1,FUT,MCX-FUT,MCX
256259,1001,USDINR26DECFUT,\"USDINR\",0,2026-12-29,0,0.0025,1,FUT,CDS-FUT,CDS
1234950,4824,USDINR26DECFUT,\"USDINR\",0,2026-12-29,0,0.0025,1,FUT,BCD-FUT,BCD
";

/// A small Upstox BOD file in the file's own shape: RELIANCE, INFY and SBIN (NSE), the NIFTY 50
/// index, the NIFTY 24000 CE and the NIFTY future that Kite lists too (joined by exchange
/// token), and TATAMOTORS, which only Upstox lists. Kite alone lists M&M, BSE's SBIN, the put,
/// GOLD and USDINR.
pub const UPSTOX_JSON: &str = r#"[
{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":5.0,"trading_symbol":"RELIANCE"},
{"segment":"NSE_EQ","name":"INFOSYS LIMITED","exchange":"NSE","isin":"INE009A01021","instrument_type":"EQ","instrument_key":"NSE_EQ|INE009A01021","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"1594","tick_size":5.0,"trading_symbol":"INFY"},
{"segment":"NSE_EQ","name":"STATE BANK OF INDIA","exchange":"NSE","isin":"INE062A01020","instrument_type":"EQ","instrument_key":"NSE_EQ|INE062A01020","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"3045","tick_size":5.0,"trading_symbol":"SBIN"},
{"segment":"NSE_EQ","name":"TATA MOTORS LIMITED","exchange":"NSE","isin":"INE155A01022","instrument_type":"EQ","instrument_key":"NSE_EQ|INE155A01022","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"3456","tick_size":5.0,"trading_symbol":"TATAMOTORS"},
{"segment":"NSE_INDEX","name":"Nifty 50","exchange":"NSE","instrument_type":"INDEX","instrument_key":"NSE_INDEX|Nifty 50","exchange_token":"26000","trading_symbol":"NIFTY"},
{"weekly":false,"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":1798568999000,"instrument_type":"CE","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|48225","lot_size":75,"freeze_quantity":1800.0,"exchange_token":"48225","underlying_key":"NSE_INDEX|Nifty 50","tick_size":5.0,"underlying_type":"INDEX","trading_symbol":"NIFTY 24000 CE 29 DEC 26","strike_price":24000.0,"minimum_lot":75},
{"weekly":false,"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":1798568999000,"instrument_type":"FUT","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|51714","lot_size":75,"freeze_quantity":1800.0,"exchange_token":"51714","underlying_key":"NSE_INDEX|Nifty 50","tick_size":10.0,"underlying_type":"INDEX","trading_symbol":"NIFTY FUT 29 DEC 26","strike_price":0.0,"minimum_lot":75}
]"#;

/// A Kite dump of `count` NSE equities (`SYM0`, `SYM1`, ...) whose tokens count up from
/// `first * 256 + 1` (segment 1, NSE), and those tokens.
pub fn nse_equities(count: u32, first: u32) -> (String, Vec<u32>) {
    let mut csv = String::from(
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
    );
    let tokens: Vec<u32> = (0..count).map(|n| (first + n) * 256 + 1).collect();
    for (n, token) in tokens.iter().enumerate() {
        csv.push_str(&format!(
            "{token},{},SYM{n},\"SYM {n}\",0,,0,0.05,1,EQ,NSE,NSE\n",
            first as usize + 50_000 + n
        ));
    }
    (csv, tokens)
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tt-sim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds a master from a Kite CSV at `path`.
pub fn build(path: &std::path::Path, csv: &str) -> Arc<InstrumentMaster> {
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    build_master(
        path,
        vec![DumpInput {
            broker: &kite,
            reader: Box::new(Cursor::new(csv.as_bytes().to_vec())),
            source_name: "test.csv".to_owned(),
            dump_date: date!(2026 - 11 - 24),
        }],
        &BuildOptions::default(),
    )
    .unwrap();
    Arc::new(InstrumentMaster::open(path).unwrap())
}

/// Builds a master from a Kite CSV and an Upstox JSON file at `path`.
pub fn build_both(path: &std::path::Path, csv: &str, json: &str) -> Arc<InstrumentMaster> {
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    let upstox = Upstox::new(UpstoxConfig::new("", "", ""));
    build_master(
        path,
        vec![
            DumpInput {
                broker: &kite,
                reader: Box::new(Cursor::new(csv.as_bytes().to_vec())),
                source_name: "test.csv".to_owned(),
                dump_date: date!(2026 - 11 - 24),
            },
            DumpInput {
                broker: &upstox,
                reader: Box::new(Cursor::new(json.as_bytes().to_vec())),
                source_name: "test.json".to_owned(),
                dump_date: date!(2026 - 11 - 24),
            },
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    Arc::new(InstrumentMaster::open(path).unwrap())
}

/// A simulator over `master`, rate limits off, the clock stopped at [`NOW`], then `configure`d;
/// with a logged-in Kite client.
async fn start_over(
    master: Arc<InstrumentMaster>,
    configure: impl FnOnce(SimConfig) -> SimConfig,
) -> (SimHandle, Arc<ManualClock>, Kite) {
    let clock = Arc::new(ManualClock::new(NOW));
    let config = SimConfig::new(master)
        .rate_limits(RateLimits::UNLIMITED)
        .clock(clock.clone());
    let handle = Simulator::start(configure(config)).await.unwrap();
    let kite = Kite {
        addr: handle.addr(),
        api_key: handle.app().api_key.clone(),
        access_token: handle.open_session(),
    };
    (handle, clock, kite)
}

/// A simulator over [`KITE_CSV`] and [`UPSTOX_JSON`], rate limits off, the clock stopped at
/// [`NOW`], with a logged-in client for each broker.
pub struct BothSim {
    pub handle: SimHandle,
    pub clock: Arc<ManualClock>,
    pub kite: Kite,
    pub upstox: UpstoxClient,
    pub dir: TempDir,
}

impl BothSim {
    pub async fn start(name: &str) -> BothSim {
        BothSim::start_with(name, |config| config).await
    }

    pub async fn start_with(name: &str, configure: impl FnOnce(SimConfig) -> SimConfig) -> BothSim {
        let dir = TempDir::new(name);
        let master = build_both(&dir.path("instruments.db"), KITE_CSV, UPSTOX_JSON);
        let (handle, clock, kite) = start_over(master, configure).await;
        let upstox = UpstoxClient {
            addr: handle.addr(),
            access_token: handle.open_session_for(SimBroker::Upstox),
        };
        BothSim {
            handle,
            clock,
            kite,
            upstox,
            dir,
        }
    }

    pub fn set_price(&self, instrument: &str, price: &str) {
        self.handle
            .set_price(instrument, price.parse::<Price>().unwrap())
            .unwrap();
    }
}

/// An Upstox client speaking the wire by hand: `Authorization: Bearer`, `Api-Version: 2.0` on
/// v2 calls, JSON bodies.
#[derive(Debug, Clone)]
pub struct UpstoxClient {
    pub addr: SocketAddr,
    pub access_token: String,
}

impl UpstoxClient {
    /// A call with the token, `Api-Version: 2.0` on `/v2/` paths, and `json` as the body.
    pub async fn call(&self, method: &str, target: &str, json: &str) -> Response {
        let auth = format!("Bearer {}", self.access_token);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Accept", "application/json"),
        ];
        if target.starts_with("/v2/") {
            headers.push(("Api-Version", "2.0"));
        }
        send_json(self.addr, method, target, &headers, json)
            .await
            .unwrap()
    }

    pub async fn get(&self, target: &str) -> Response {
        self.call("GET", target, "").await
    }

    /// Places an order through v3; returns its ids (panics unless accepted).
    pub async fn place(&self, json: &str) -> Vec<String> {
        let answer = self.call("POST", "/v3/order/place", json).await;
        let data = answer.data();
        data["order_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect()
    }

    /// Places one order through v3; returns its id.
    pub async fn place_one(&self, json: &str) -> String {
        let mut ids = self.place(json).await;
        assert_eq!(ids.len(), 1, "{ids:?}");
        ids.remove(0)
    }

    /// The order's latest state from `/v2/order/details`.
    pub async fn order(&self, order_id: &str) -> Value {
        self.get(&format!("/v2/order/details?order_id={order_id}"))
            .await
            .data()
    }

    /// The statuses an order passed through, from `/v2/order/history`.
    pub async fn statuses(&self, order_id: &str) -> Vec<String> {
        statuses_of(
            &self
                .get(&format!("/v2/order/history?order_id={order_id}"))
                .await
                .data(),
        )
    }
}

/// `GET`s one of the public Upstox instrument files (`complete.json.gz`, ...).
pub async fn instrument_file(addr: SocketAddr, name: &str) -> Response {
    send(
        addr,
        "GET",
        &format!("/market-quote/instruments/exchange/{name}"),
        &[],
        "",
    )
    .await
    .unwrap()
}

/// The bytes of a gzip body, decompressed.
pub fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Sends one request with a JSON body (when not empty).
pub async fn send_json(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    json: &str,
) -> std::io::Result<Response> {
    send_typed(addr, method, target, headers, json, "application/json").await
}

/// Sends one request, its body (when not empty) of `content_type`.
async fn send_typed(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
    content_type: &str,
) -> std::io::Result<Response> {
    let mut headers = headers.to_vec();
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
        headers.push(("Content-Type", content_type));
    }
    send_raw(addr, method, target, &headers, body).await
}

/// A running simulator with its clock, a logged-in client, and its scratch directory.
pub struct TestSim {
    pub handle: SimHandle,
    pub clock: Arc<ManualClock>,
    pub kite: Kite,
    pub dir: TempDir,
}

impl TestSim {
    /// A simulator over [`KITE_CSV`], rate limits off, the clock stopped at [`NOW`].
    pub async fn start(name: &str) -> TestSim {
        TestSim::start_with(name, |config| config).await
    }

    /// As [`TestSim::start`], the configuration adjusted by `configure`.
    pub async fn start_with(name: &str, configure: impl FnOnce(SimConfig) -> SimConfig) -> TestSim {
        let dir = TempDir::new(name);
        let master = build(&dir.path("instruments.db"), KITE_CSV);
        let (handle, clock, kite) = start_over(master, configure).await;
        TestSim {
            handle,
            clock,
            kite,
            dir,
        }
    }

    pub fn set_price(&self, instrument: &str, price: &str) {
        self.handle
            .set_price(instrument, price.parse::<Price>().unwrap())
            .unwrap();
    }

    /// One call to an admin endpoint, as a test script makes it: the run's admin token in
    /// `X-Sim-Admin-Token` and, with a body, `Content-Type: application/json`.
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> Response {
        admin_call(
            self.handle.addr(),
            self.handle.admin_token().expose(),
            method,
            path,
            body,
        )
        .await
    }
}

/// An admin call to the simulator at `addr` with `token`.
pub async fn admin_call(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Response {
    let mut headers = vec![("X-Sim-Admin-Token", token)];
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    send(addr, method, path, &headers, body).await.unwrap()
}

/// A response, read to the end.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// `data` of a success envelope (Kite's or Upstox's: both are `{"status":"success",
    /// "data":...}`), after checking the status and envelope.
    pub fn data(&self) -> Value {
        let json = self.json();
        assert_eq!(self.status, 200, "{json}");
        assert_eq!(json["status"], "success", "{json}");
        json["data"].clone()
    }

    /// Checks a Kite error envelope: HTTP status, `error_type`, `data: null`; returns the message.
    pub fn error(&self, status: u16, error_type: &str) -> String {
        let json = self.json();
        assert_eq!(self.status, status, "{json}");
        assert_eq!(json["status"], "error", "{json}");
        assert_eq!(json["error_type"], error_type, "{json}");
        assert!(json.get("data").is_some_and(Value::is_null), "{json}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{json}"
        );
        json["message"].as_str().unwrap().to_owned()
    }

    /// Checks an Upstox error body: HTTP status, one error with `code` in both spellings;
    /// returns the error object.
    pub fn upstox_error(&self, status: u16, code: &str) -> Value {
        let json = self.json();
        assert_eq!(self.status, status, "{json}");
        assert_eq!(json["status"], "error", "{json}");
        let error = json["errors"][0].clone();
        assert_eq!(error["error_code"], code, "{json}");
        assert_eq!(error["errorCode"], code, "{json}");
        for key in [
            "message",
            "property_path",
            "invalid_value",
            "propertyPath",
            "invalidValue",
        ] {
            assert!(error.get(key).is_some(), "{key} missing: {json}");
        }
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{json}"
        );
        error
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads the whole response.
/// A connection closed before any byte of a response is an `UnexpectedEof` error.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Response> {
    let form = "application/x-www-form-urlencoded";
    send_typed(addr, method, target, headers, body, form).await
}

/// Sends one request with exactly these headers and reads the whole response.
pub async fn send_raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    if raw.is_empty() {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// A Kite client speaking the wire by hand.
#[derive(Debug, Clone)]
pub struct Kite {
    pub addr: SocketAddr,
    pub api_key: String,
    pub access_token: String,
}

impl Kite {
    fn auth(&self) -> String {
        format!("token {}:{}", self.api_key, self.access_token)
    }

    pub async fn call(&self, method: &str, target: &str, form: &str) -> Response {
        let auth = self.auth();
        send(
            self.addr,
            method,
            target,
            &[("X-Kite-Version", "3"), ("Authorization", &auth)],
            form,
        )
        .await
        .unwrap()
    }

    pub async fn get(&self, target: &str) -> Response {
        self.call("GET", target, "").await
    }

    pub async fn post(&self, target: &str, form: &str) -> Response {
        self.call("POST", target, form).await
    }

    pub async fn put(&self, target: &str, form: &str) -> Response {
        self.call("PUT", target, form).await
    }

    pub async fn delete(&self, target: &str) -> Response {
        self.call("DELETE", target, "").await
    }

    /// Places a regular order; returns the order id (panics unless accepted).
    pub async fn place(&self, form: &str) -> String {
        let data = self.post("/orders/regular", form).await.data();
        data["order_id"].as_str().unwrap().to_owned()
    }

    /// Places a regular order the book accepts and then rejects; returns its last state.
    pub async fn place_rejected(&self, form: &str) -> Value {
        let id = self.place(form).await;
        let order = self.order(&id).await;
        assert_eq!(order["status"], "REJECTED", "{order}");
        order
    }

    /// The order's latest state from `GET /orders/{id}`.
    pub async fn order(&self, order_id: &str) -> Value {
        let history = self.get(&format!("/orders/{order_id}")).await.data();
        history.as_array().unwrap().last().unwrap().clone()
    }

    /// The statuses an order passed through.
    pub async fn statuses(&self, order_id: &str) -> Vec<String> {
        statuses_of(&self.get(&format!("/orders/{order_id}")).await.data())
    }
}

/// The `status` of each entry of an order's history (either broker's).
fn statuses_of(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .collect()
}

/// The shared fixtures' recorded Kite response `name` (`data` of its envelope), if present.
pub fn mock(name: &str) -> Option<Value> {
    let path = tt_test_support::fixture(&format!("kite/mocks/{name}"))?;
    let text = std::fs::read(path).unwrap();
    let json: Value = serde_json::from_slice(&text).unwrap();
    Some(json["data"].clone())
}

/// The JSON type of a value, with integers and floats both `number`.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks that `ours` has exactly the keys of `theirs`, recursively through objects and the
/// first element of arrays, each value of the same JSON type (a `null` in either matches any
/// type: Kite sends `null` for absent optional values). `skip` names keys that may be missing
/// from ours (fields of other order varieties).
pub fn assert_same_shape(path: &str, ours: &Value, theirs: &Value, skip: &[&str]) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let missing: Vec<&String> = b
                .keys()
                .filter(|k| !a.contains_key(*k) && !skip.contains(&k.as_str()))
                .collect();
            let extra: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{path}: missing {missing:?}, extra {extra:?}"
            );
            for (key, value) in b {
                if let Some(mine) = a.get(key) {
                    assert_same_shape(&format!("{path}.{key}"), mine, value, skip);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                assert_same_shape(&format!("{path}[0]"), x, y, skip);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (a, b) => assert_eq!(kind(a), kind(b), "{path}: ours {a}, theirs {b}"),
    }
}

/// Every key any element of a mock array has: the union over entries.
pub fn union_of_entries(entries: &Value) -> Value {
    let mut merged = serde_json::Map::new();
    for entry in entries.as_array().unwrap() {
        for (key, value) in entry.as_object().unwrap() {
            let slot = merged.entry(key.clone()).or_insert(Value::Null);
            if slot.is_null() {
                *slot = value.clone();
            }
        }
    }
    Value::Object(merged)
}
