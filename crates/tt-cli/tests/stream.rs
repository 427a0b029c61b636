//! `tt stream`, `tt decode` and `tt sim`'s feeds end to end: the real binary as a child process
//! against a simulator on 127.0.0.1 (in this process, its clock stopped on a trading morning, so
//! the tests pass on any date), the capture one command records read back by the other, and
//! hand-built captures for the error paths.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Cursor;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, Lines};
use tokio::process::{Child, ChildStdout};
use tt_core::{Clock, ManualClock, Price, SystemClock};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master};
use tt_sim::{RateLimits, SimBroker, SimConfig, SimHandle, Simulator, StreamConfig, StreamFault};
use tt_upstox::{Upstox, UpstoxConfig};
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// The simulator's clock: 09:30 IST on a Tuesday.
const NOW: OffsetDateTime = datetime!(2026-11-24 04:00:00 UTC);

/// Kite's dump: INFY, the instrument streamed, and RELIANCE beside it.
const KITE_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.05,1,EQ,NSE,NSE
";

/// Upstox's file for the same two equities (tick sizes in paise, as Upstox writes them).
const UPSTOX_JSON: &str = r#"[
{"segment":"NSE_EQ","name":"INFOSYS LIMITED","exchange":"NSE","isin":"INE009A01021","instrument_type":"EQ","instrument_key":"NSE_EQ|INE009A01021","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"1594","tick_size":5.0,"trading_symbol":"INFY"},
{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":5.0,"trading_symbol":"RELIANCE"}
]"#;

/// Kite's token for NSE:INFY.
const INFY_KITE: &str = "408065";
/// Upstox's instrument key for NSE:INFY.
const INFY_UPSTOX: &str = "NSE_EQ|INE009A01021";
/// The price the simulator holds INFY at, as a JSON number prints it.
const INFY_PRICE: &str = "1523.45";

/// Every field a full tick carries beyond a quote tick's ([`QUOTE_FIELDS`]), at Kite.
const KITE_FULL_FIELDS: &[&str] = &[
    "oi",
    "oi_day_high",
    "oi_day_low",
    "last_trade_time",
    "exchange_timestamp",
    "depth",
];

/// The same at Upstox, whose full feed has no day range of the open interest and no exchange
/// timestamp per instrument.
const UPSTOX_FULL_FIELDS: &[&str] = &["oi", "last_trade_time", "depth"];

/// A scratch directory holding the master, removed on drop.
struct Workspace(PathBuf);

impl Workspace {
    /// A fresh directory with a master of [`KITE_CSV`] and [`UPSTOX_JSON`] dumped today (IST,
    /// the system's clock: `tt` checks the master against the real date).
    fn new(name: &str) -> Workspace {
        let dir = std::env::temp_dir().join(format!("tt-cli-stream-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let kite = Zerodha::new(ZerodhaConfig::new("", ""));
        let upstox = Upstox::new(UpstoxConfig::new("", "", ""));
        let today = SystemClock.today_ist();
        build_master(
            &dir.join("instruments.db"),
            vec![
                DumpInput {
                    broker: &kite,
                    reader: Box::new(Cursor::new(KITE_CSV.as_bytes().to_vec())),
                    source_name: "kite.csv".to_owned(),
                    dump_date: today,
                },
                DumpInput {
                    broker: &upstox,
                    reader: Box::new(Cursor::new(UPSTOX_JSON.as_bytes().to_vec())),
                    source_name: "upstox.json".to_owned(),
                    dump_date: today,
                },
            ],
            &BuildOptions::default(),
        )
        .unwrap();
        Workspace(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    fn db(&self) -> String {
        self.path("instruments.db")
    }

    /// `tt` with `args`, as a child process whose wait leaves this test's runtime free to serve
    /// the simulator; killed if it runs past a minute.
    async fn tt(&self, args: &[&str]) -> Output {
        let child = self.command(args).kill_on_drop(true).spawn().unwrap();
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("tt {args:?} still running after a minute"))
            .unwrap()
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tt"));
        command
            .args(args)
            .current_dir(&self.0)
            .env_remove("TT_CACHE_DIR")
            .env_remove("TT_ACCESS_TOKEN")
            .env_remove("TT_API_KEY")
            .env_remove("TT_API_SECRET")
            .env_remove("TT_SIM_API_KEY")
            .env_remove("TT_SIM_API_SECRET")
            .env_remove("TT_SIM_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// `tt stream` at `root` with `token` for `broker`, this workspace's master and session
    /// file, and `args` after those.
    async fn stream(&self, broker: &str, root: &str, token: &str, args: &[&str]) -> Output {
        let (db, session) = (self.db(), self.path("session.json"));
        let mut all = vec![
            "stream",
            "--broker",
            broker,
            "--root",
            root,
            "--access-token",
            token,
            "--db",
            &db,
            "--session",
            &session,
        ];
        all.extend_from_slice(args);
        self.tt(&all).await
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A simulator over the workspace's master: rate limits off, the clock stopped at [`NOW`], a
/// tick every 20 ms, INFY at [`INFY_PRICE`].
async fn start_sim(ws: &Workspace) -> SimHandle {
    let master = Arc::new(InstrumentMaster::open(ws.db()).unwrap());
    let config = SimConfig::new(master)
        .rate_limits(RateLimits::UNLIMITED)
        .clock(Arc::new(ManualClock::new(NOW)))
        .stream(StreamConfig::default().tick_interval(Duration::from_millis(20)));
    let sim = Simulator::start(config).await.unwrap();
    sim.set_price("NSE:INFY", INFY_PRICE.parse::<Price>().unwrap())
        .unwrap();
    sim
}

/// A loopback address that listens but never answers: a command pointed at it that got as far
/// as connecting leaves a connection in its backlog, which [`SilentRoot::assert_untouched`]
/// finds.
struct SilentRoot(TcpListener);

impl SilentRoot {
    fn new() -> SilentRoot {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        SilentRoot(listener)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    /// Fails if anything connected.
    fn assert_untouched(&self, what: &str) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("{what} connected: {other:?}"),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Each line of `stdout` as JSON (every line must be).
fn json_lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The lines of `events` that are `"event":"tick"`, without that field: the shape `tt decode`
/// prints.
fn ticks_of(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["event"] == "tick")
        .map(|e| {
            let mut tick = e.clone();
            tick.as_object_mut().unwrap().remove("event");
            tick
        })
        .collect()
}

/// Every field a quote tick of an equity carries (Kite's quote packet); full ticks carry
/// these too.
const QUOTE_FIELDS: &[&str] = &[
    "token",
    "instrument",
    "last_price",
    "last_quantity",
    "average_price",
    "volume",
    "total_buy_quantity",
    "total_sell_quantity",
    "open",
    "high",
    "low",
    "close",
];

/// Checks the INFY ticks of a full-mode stream: the broker's token, the canonical instrument,
/// the simulator's price as a JSON number, and every field of the broker's full packet
/// ([`QUOTE_FIELDS`] and `full_fields`) with five levels a side. Kite streams a new token in
/// quote mode until its mode message lands, so with Kite the first ticks may be quote ticks
/// (every quote field, no depth); no quote tick may follow a full one, and there is a full one.
fn assert_full_infy_ticks(ticks: &[Value], token: &str, full_fields: &[&str]) {
    let first_full = ticks
        .iter()
        .position(|t| t["mode"] == "full")
        .unwrap_or_else(|| panic!("no full tick: {ticks:?}"));
    for (at, tick) in ticks.iter().enumerate() {
        assert_eq!(tick["token"], token, "{tick}");
        assert_eq!(tick["instrument"], "NSE:INFY", "{tick}");
        assert!(tick["last_price"].is_number(), "{tick}");
        assert_eq!(tick["last_price"].to_string(), INFY_PRICE, "{tick}");
        if at < first_full && token == INFY_KITE {
            assert_eq!(tick["mode"], "quote", "{tick}");
            assert_fields(tick, QUOTE_FIELDS);
            assert!(tick.get("depth").is_none(), "{tick}");
            continue;
        }
        assert_eq!(tick["mode"], "full", "{tick}");
        assert_fields(tick, QUOTE_FIELDS);
        assert_fields(tick, full_fields);
        for side in ["buy", "sell"] {
            let levels = tick["depth"][side].as_array().unwrap();
            assert_eq!(levels.len(), 5, "{side}: {tick}");
            for level in levels {
                assert!(level["price"].is_number(), "{level}");
                assert!(level["quantity"].is_u64(), "{level}");
                assert!(level["orders"].is_u64(), "{level}");
            }
        }
        let best_bid = tick["depth"]["buy"][0]["price"].as_f64().unwrap();
        let best_ask = tick["depth"]["sell"][0]["price"].as_f64().unwrap();
        let last = tick["last_price"].as_f64().unwrap();
        assert!(best_bid <= last && last <= best_ask, "{tick}");
    }
}

/// Checks that `tick` has each of `fields`.
fn assert_fields(tick: &Value, fields: &[&str]) {
    for field in fields {
        assert!(tick.get(field).is_some(), "{field} missing: {tick}");
    }
}

/// A capture's frames (4-byte big-endian length, then the message), checked to end cleanly.
fn frames_of(capture: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    let mut rest = capture;
    while !rest.is_empty() {
        let (length, tail) = rest.split_at(4);
        let length = u32::from_be_bytes(length.try_into().unwrap()) as usize;
        let (frame, tail) = tail.split_at(length);
        frames.push(frame);
        rest = tail;
    }
    frames
}

/// The packets in a Kite capture: each frame's packet count (a 1-byte heartbeat has none).
fn kite_packets_in(capture: &[u8]) -> usize {
    frames_of(capture)
        .into_iter()
        .filter(|frame| frame.len() >= 2)
        .map(|frame| usize::from(u16::from_be_bytes([frame[0], frame[1]])))
        .sum()
}

/// Streams INFY in full mode from `broker` for five ticks with a recording, checks what was
/// printed, and returns the printed ticks and the capture's path.
async fn stream_five_full_ticks(
    ws: &Workspace,
    sim: &SimHandle,
    broker: &str,
    token: &str,
    fields: &[&str],
) -> (Vec<Value>, String) {
    let session = sim.open_session_for(match broker {
        "zerodha" => SimBroker::Kite,
        _ => SimBroker::Upstox,
    });
    let capture = ws.path(&format!("{broker}.cap"));
    let out = ws
        .stream(
            broker,
            &sim.url(),
            &session,
            &[
                "--api-key",
                &sim.app().api_key,
                "--mode",
                "full",
                "--count",
                "5",
                "--record",
                &capture,
                "NSE:INFY",
            ],
        )
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events = json_lines(&out.stdout);
    assert!(
        events.iter().any(|e| e["event"] == "connected"),
        "{events:?}"
    );
    let ticks = ticks_of(&events);
    assert!(ticks.len() >= 5, "{events:?}");
    assert_full_infy_ticks(&ticks, token, fields);
    assert!(std::fs::metadata(&capture).unwrap().len() > 0);
    (ticks, capture)
}

/// `tt decode` of `capture`: it succeeds, says nothing on stderr, and its lines are checked
/// full INFY ticks that begin with exactly the ticks `tt stream` printed (the capture may hold
/// a few more, received before the stream stopped).
async fn decode_matches_stream(
    ws: &Workspace,
    broker: &str,
    capture: &str,
    streamed: &[Value],
    fields: &[&str],
    token: &str,
) -> Vec<Value> {
    let out = ws
        .tt(&["decode", "--broker", broker, "--db", &ws.db(), capture])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let decoded = json_lines(&out.stdout);
    assert!(decoded.len() >= streamed.len(), "{decoded:?}");
    assert_eq!(&decoded[..streamed.len()], streamed);
    assert_full_infy_ticks(&decoded, token, fields);
    decoded
}

#[tokio::test]
async fn kite_stream_prints_full_ticks_at_the_sims_price_and_records_a_capture() {
    let ws = Workspace::new("kite");
    let sim = start_sim(&ws).await;
    let (ticks, capture) =
        stream_five_full_ticks(&ws, &sim, "zerodha", INFY_KITE, KITE_FULL_FIELDS).await;
    let decoded = decode_matches_stream(
        &ws,
        "zerodha",
        &capture,
        &ticks,
        KITE_FULL_FIELDS,
        INFY_KITE,
    )
    .await;
    // One line per packet the capture holds, counted from its own framing.
    let bytes = std::fs::read(&capture).unwrap();
    assert_eq!(decoded.len(), kite_packets_in(&bytes));
    sim.shutdown().await;
}

#[tokio::test]
async fn upstox_stream_prints_full_ticks_at_the_sims_price_and_records_a_capture() {
    let ws = Workspace::new("upstox");
    let sim = start_sim(&ws).await;
    let (ticks, capture) =
        stream_five_full_ticks(&ws, &sim, "upstox", INFY_UPSTOX, UPSTOX_FULL_FIELDS).await;
    decode_matches_stream(
        &ws,
        "upstox",
        &capture,
        &ticks,
        UPSTOX_FULL_FIELDS,
        INFY_UPSTOX,
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn seconds_ends_the_stream_after_that_long_with_exit_0() {
    let ws = Workspace::new("seconds");
    let sim = start_sim(&ws).await;
    let token = sim.open_session_for(SimBroker::Kite);
    let started = std::time::Instant::now();
    let out = ws
        .stream(
            "zerodha",
            &sim.url(),
            &token,
            &[
                "--api-key",
                &sim.app().api_key,
                "--seconds",
                "1",
                "NSE:INFY",
            ],
        )
        .await;
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took >= Duration::from_secs(1), "{took:?}");
    let ticks = ticks_of(&json_lines(&out.stdout));
    // A tick every 20 ms for most of a second.
    assert!(ticks.len() >= 10, "{ticks:?}");
    // Kite streams a new token in quote mode until its mode message lands: once ltp, always ltp.
    let first_ltp = ticks.iter().position(|t| t["mode"] == "ltp");
    let first_ltp = first_ltp.unwrap_or_else(|| panic!("no ltp tick: {ticks:?}"));
    assert!(
        ticks[first_ltp..].iter().all(|t| t["mode"] == "ltp"),
        "{ticks:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_mode_the_broker_lacks_is_refused_by_name_before_connecting() {
    let ws = Workspace::new("mode");
    let root = SilentRoot::new();
    for (broker, mode) in [("upstox", "quote"), ("zerodha", "option_greeks")] {
        let out = ws
            .stream(broker, &root.url(), "token", &["--mode", mode, "NSE:INFY"])
            .await;
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{broker} {mode}: {stderr}");
        assert!(
            stderr.contains(&format!("{mode} stream mode")),
            "{broker} {mode}: {stderr}"
        );
        assert_eq!(text(&out.stdout), "", "{broker} {mode}");
        root.assert_untouched(&format!("{broker} {mode}"));
    }
}

#[tokio::test]
async fn stream_without_a_session_or_token_says_not_logged_in() {
    let ws = Workspace::new("no-session");
    let root = SilentRoot::new();
    for broker in ["zerodha", "upstox"] {
        let session = ws.path("session.json");
        let out = ws
            .tt(&[
                "stream",
                "--broker",
                broker,
                "--root",
                &root.url(),
                "--db",
                &ws.db(),
                "--session",
                &session,
                "NSE:INFY",
            ])
            .await;
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{broker}: {stderr}");
        assert!(stderr.contains("not logged in"), "{broker}: {stderr}");
        assert!(stderr.contains("--access-token"), "{broker}: {stderr}");
        assert_eq!(text(&out.stdout), "", "{broker}");
        root.assert_untouched(broker);
    }
}

/// `tt stream` of INFY in full mode from the simulator's Kite with no end, recording to
/// `capture`, once it has printed its first tick: the child and the rest of its stdout.
async fn streaming_child(
    ws: &Workspace,
    sim: &SimHandle,
    capture: &str,
) -> (Child, Lines<tokio::io::BufReader<ChildStdout>>) {
    let (db, session) = (ws.db(), ws.path("session.json"));
    let (url, token) = (sim.url(), sim.open_session_for(SimBroker::Kite));
    let mut child = ws
        .command(&[
            "stream",
            "--broker",
            "zerodha",
            "--root",
            &url,
            "--access-token",
            &token,
            "--api-key",
            &sim.app().api_key,
            "--db",
            &db,
            "--session",
            &session,
            "--mode",
            "full",
            "--record",
            capture,
            "NSE:INFY",
        ])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains(r#""event":"tick""#) {
                return;
            }
        }
        panic!("tt stream ended before its first tick");
    })
    .await
    .expect("a tick within 30 s");
    (child, lines)
}

/// Waits for `child` to exit (at most 30 s) and checks it succeeded.
async fn assert_exits_cleanly(child: &mut Child) {
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("tt stream stopped within 30 s")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// Checks that `capture` holds whole frames only, with at least one packet.
fn assert_complete_capture(capture: &str) {
    let bytes = std::fs::read(capture).unwrap();
    assert!(kite_packets_in(&bytes) >= 1, "{} bytes", bytes.len());
}

#[tokio::test]
async fn a_reader_going_away_stops_the_stream_with_the_capture_flushed() {
    let ws = Workspace::new("closed-stdout");
    let sim = start_sim(&ws).await;
    let capture = ws.path("kite.cap");
    let (mut child, lines) = streaming_child(&ws, &sim, &capture).await;
    // What `tt stream --record x.cap | head -1` does once head has its line.
    drop(lines);
    assert_exits_cleanly(&mut child).await;
    assert_complete_capture(&capture);
    sim.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_stream_with_the_capture_flushed() {
    let ws = Workspace::new("sigterm");
    let sim = start_sim(&ws).await;
    let capture = ws.path("kite.cap");
    let (mut child, mut lines) = streaming_child(&ws, &sim, &capture).await;
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    // Keep reading, so that a full pipe cannot hold the child up.
    while lines.next_line().await.unwrap().is_some() {}
    assert_exits_cleanly(&mut child).await;
    assert_complete_capture(&capture);
    sim.shutdown().await;
}

/// The rest of a child's stdout, as JSON lines (at most 30 s of it).
async fn remaining_events(lines: &mut Lines<tokio::io::BufReader<ChildStdout>>) -> Vec<Value> {
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            events.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
    })
    .await
    .expect("tt stream's output ended within 30 s");
    events
}

#[tokio::test]
async fn an_expired_session_ends_the_stream_with_a_closed_line_and_exit_1() {
    let ws = Workspace::new("expired");
    let sim = start_sim(&ws).await;
    let capture = ws.path("kite.cap");
    let (mut child, mut lines) = streaming_child(&ws, &sim, &capture).await;
    sim.stream_fault(SimBroker::Kite, StreamFault::ExpireToken);
    let events = remaining_events(&mut lines).await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1), "{events:?}");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "closed", "{events:?}");
    assert_eq!(last["session_expired"], true, "{last}");
    assert!(last["reason"].is_string(), "{last}");
    assert_complete_capture(&capture);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_garbage_frame_on_the_wire_is_an_error_line_and_decode_finds_it_in_the_capture() {
    let ws = Workspace::new("wire-garbage");
    let sim = start_sim(&ws).await;
    let capture = ws.path("kite.cap");
    let (mut child, mut lines) = streaming_child(&ws, &sim, &capture).await;
    sim.stream_fault(SimBroker::Kite, StreamFault::Garbage);
    // The error, then ticks again: the stream goes on past a frame it cannot read.
    let mut error = None;
    let mut ticks_after = 0;
    tokio::time::timeout(Duration::from_secs(30), async {
        while ticks_after < 3 {
            let line = lines.next_line().await.unwrap().expect("more events");
            let event: Value = serde_json::from_str(&line).unwrap();
            match event["event"].as_str() {
                Some("error") => error = Some(event),
                Some("tick") if error.is_some() => ticks_after += 1,
                _ => {}
            }
        }
    })
    .await
    .expect("an error and three ticks after it within 30 s");
    let error = error.unwrap();
    assert!(error["error"].is_string(), "{error}");
    drop(lines);
    assert_exits_cleanly(&mut child).await;

    let out = ws
        .tt(&["decode", "--broker", "zerodha", "--db", &ws.db(), &capture])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let reports: Vec<&str> = stderr.lines().collect();
    assert_eq!(reports.len(), 1, "{stderr}");
    assert!(reports[0].contains("frame skipped"), "{stderr}");
    // The first tick and the three after the error at least, all of them readable.
    let decoded = json_lines(&out.stdout);
    assert!(decoded.len() >= 4, "{decoded:?}");
    sim.shutdown().await;
}

/// A Kite frame of one LTP packet: `token` at `paise`.
fn kite_ltp_frame(token: u32, paise: u32) -> Vec<u8> {
    let mut frame = vec![0, 1, 0, 8];
    frame.extend_from_slice(&token.to_be_bytes());
    frame.extend_from_slice(&paise.to_be_bytes());
    frame
}

/// `frame` as a capture holds it: its length, then it.
fn framed(frame: &[u8]) -> Vec<u8> {
    let mut bytes = u32::try_from(frame.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(frame);
    bytes
}

#[tokio::test]
async fn decode_reports_a_garbage_frame_and_a_cut_capture_by_offset_and_exits_2() {
    let ws = Workspace::new("garbage");
    let first = framed(&kite_ltp_frame(408_065, 152_345));
    // One packet of 7 bytes: no Kite packet has that length.
    let garbage = framed(&[0, 1, 0, 7, 1, 2, 3, 4, 5, 6, 7]);
    let third = framed(&kite_ltp_frame(738_561, 250_010));
    // A frame announcing 12 bytes of which the capture holds 5.
    let cut = [&12u32.to_be_bytes()[..], &[0, 1, 0, 8, 0]].concat();
    let garbage_at = first.len();
    let cut_at = first.len() + garbage.len() + third.len();
    let capture = [first, garbage, third, cut].concat();
    let path = ws.path("bad.cap");
    std::fs::write(&path, capture).unwrap();

    let out = ws
        .tt(&["decode", "--broker", "zerodha", "--db", &ws.db(), &path])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let reports: Vec<&str> = stderr.lines().collect();
    assert_eq!(reports.len(), 2, "{stderr}");
    assert!(
        reports[0].contains(&format!("offset {garbage_at}:")),
        "{stderr}"
    );
    assert!(
        reports[1].contains(&format!("offset {cut_at}:")),
        "{stderr}"
    );
    assert!(reports[1].contains("5 of 12 bytes"), "{stderr}");
    let ticks = json_lines(&out.stdout);
    let seen: Vec<(&str, &str, String)> = ticks
        .iter()
        .map(|t| {
            (
                t["token"].as_str().unwrap(),
                t["instrument"].as_str().unwrap(),
                t["last_price"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("408065", "NSE:INFY", "1523.45".to_owned()),
            ("738561", "NSE:RELIANCE", "2500.1".to_owned()),
        ]
    );
}

#[tokio::test]
async fn decode_without_a_master_prints_tokens_without_instruments() {
    let ws = Workspace::new("no-master");
    let path = ws.path("one.cap");
    std::fs::write(&path, framed(&kite_ltp_frame(408_065, 152_345))).unwrap();
    let out = ws.tt(&["decode", "--broker", "zerodha", &path]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        json_lines(&out.stdout),
        [serde_json::json!({"token": "408065", "mode": "ltp", "last_price": 1523.45})]
    );
}

/// A `POST` to a simulator at `addr` over a plain socket, with `headers` and a form `body`;
/// the JSON body of its 200 response.
async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> Value {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

#[tokio::test]
async fn order_updates_print_as_json_lines_beside_the_ticks() {
    let ws = Workspace::new("order-update");
    let sim = start_sim(&ws).await;
    let (mut child, mut lines) = streaming_child(&ws, &sim, &ws.path("kite.cap")).await;
    let auth = format!(
        "token {}:{}",
        sim.app().api_key,
        sim.open_session_for(SimBroker::Kite)
    );
    let placed = post(
        sim.addr(),
        "/orders/regular",
        &[("X-Kite-Version", "3"), ("Authorization", &auth)],
        "tradingsymbol=INFY&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=3&product=CNC&validity=DAY&tag=cli",
    )
    .await;
    let order_id = placed["data"]["order_id"].as_str().unwrap().to_owned();
    let update = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("an order update");
            let event: Value = serde_json::from_str(&line).unwrap();
            if event["event"] == "order_update" && event["state"] == "complete" {
                return event;
            }
        }
    })
    .await
    .expect("the filled order's update within 30 s");
    child.start_kill().unwrap();
    let _ = child.wait().await;
    assert_eq!(update["order_id"], order_id.as_str(), "{update}");
    assert_eq!(update["status"], "COMPLETE", "{update}");
    assert_eq!(update["instrument"], "NSE:INFY", "{update}");
    assert_eq!(update["symbol"], "INFY", "{update}");
    assert_eq!(update["exchange"], "NSE", "{update}");
    assert_eq!(update["quantity"], 3, "{update}");
    assert_eq!(update["filled_quantity"], 3, "{update}");
    assert_eq!(update["tag"], "cli", "{update}");
    assert!(update["average_price"].is_number(), "{update}");
    sim.shutdown().await;
}

#[tokio::test]
async fn tt_sim_with_a_walk_streams_a_moving_price() {
    let ws = Workspace::new("walk");
    let state = ws.path("sim-state.db");
    let db = ws.db();
    let mut sim = ws
        .command(&[
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--db",
            &db,
            "--state",
            &state,
            "--no-rate-limits",
            "--walk",
            "--tick-ms",
            "20",
        ])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The first two lines are what scripts parse: the URL, then the admin token.
    let mut lines = tokio::io::BufReader::new(sim.stdout.take().unwrap()).lines();
    let mut next_line = async || {
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("tt sim printed its address within 30 s")
            .unwrap()
            .expect("tt sim is still running")
    };
    let (url, admin_token) = (next_line().await, next_line().await);
    let url = url.strip_prefix("listening on ").unwrap().to_owned();
    let admin_token = admin_token.strip_prefix("admin token ").unwrap().to_owned();
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().parse().unwrap();
    let session = post(
        addr,
        "/__sim/session",
        &[("X-Sim-Admin-Token", &admin_token)],
        "",
    )
    .await;
    let access_token = session["data"]["access_token"].as_str().unwrap().to_owned();

    let started = std::time::Instant::now();
    let out = ws
        .stream(
            "zerodha",
            &url,
            &access_token,
            &["--mode", "ltp", "--count", "25", "NSE:INFY"],
        )
        .await;
    let took = started.elapsed();
    sim.start_kill().unwrap();
    let _ = sim.wait().await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ticks = ticks_of(&json_lines(&out.stdout));
    assert!(ticks.len() >= 25, "{ticks:?}");
    let prices: BTreeSet<String> = ticks.iter().map(|t| t["last_price"].to_string()).collect();
    assert!(prices.len() > 1, "the price never moved: {prices:?}");
    // At the default 250 ms, 25 ticks take at least 24 intervals: 6 s.
    assert!(took < Duration::from_secs(6), "25 ticks took {took:?}");
}
