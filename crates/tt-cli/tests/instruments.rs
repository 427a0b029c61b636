//! `tt instruments` end to end: the real binary, real files, a loopback HTTP server.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use time::macros::{offset, time};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tt_test_support::http::{Route, TestServer};

const IST: UtcOffset = offset!(+05:30);

/// Kite's dump; `EXPIRY_DATE` stands for [`expiry`].
const KITE: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.1,1,EQ,NSE,NSE
12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,EXPIRY_DATE,24000,0.05,75,CE,NFO-OPT,NFO
12345858,48226,NIFTY26DEC24000PE,\"NIFTY\",0,EXPIRY_DATE,24000,0.05,75,PE,NFO-OPT,NFO
12346114,48227,NIFTY26DEC24050CE,\"NIFTY\",0,EXPIRY_DATE,24050,0.05,75,CE,NFO-OPT,NFO
";

/// Upstox's file; `EXPIRY_MS` stands for [`expiry`] as Upstox writes it.
const UPSTOX: &str = r#"[
{"segment":"NSE_INDEX","name":"Nifty 50","exchange":"NSE","instrument_type":"INDEX","instrument_key":"NSE_INDEX|Nifty 50","exchange_token":"26000","trading_symbol":"NIFTY"},
{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":10.0,"trading_symbol":"RELIANCE"},
{"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":EXPIRY_MS,"instrument_type":"CE","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|48225","lot_size":75,"exchange_token":"48225","underlying_key":"NSE_INDEX|Nifty 50","tick_size":5.0,"underlying_type":"INDEX","trading_symbol":"NIFTY 24000 CE 29 DEC 26","strike_price":24000.0},
{"segment":"BSE_EQ","name":"PFL-A","exchange":"BSE","isin":"INE1","instrument_type":"F","instrument_key":"BSE_EQ|INE1","lot_size":1,"exchange_token":"1","tick_size":1.0,"trading_symbol":"875PFL26"},
{"segment":"BSE_EQ","name":"PFL-B","exchange":"BSE","isin":"INE2","instrument_type":"F","instrument_key":"BSE_EQ|INE2","lot_size":1,"exchange_token":"2","tick_size":1.0,"trading_symbol":"875PFL26"}
]"#;

/// The options' expiry: four weeks from today in IST, so that a refresh (which refuses a dump
/// listing an expired contract as stale) works on any date, under a faked clock too.
fn expiry() -> Date {
    OffsetDateTime::now_utc().to_offset(IST).date() + Duration::days(28)
}

/// `text` with the placeholders for [`expiry`] filled in.
fn dated(text: &str) -> String {
    let expiry = expiry();
    // Upstox's expiry: epoch milliseconds at 23:59:59 IST of the day.
    let millis = PrimitiveDateTime::new(expiry, time!(23:59:59))
        .assume_offset(IST)
        .unix_timestamp()
        * 1000;
    text.replace("EXPIRY_DATE", &expiry.to_string())
        .replace("EXPIRY_MS", &millis.to_string())
}

struct Workspace(PathBuf);

impl Workspace {
    fn new(name: &str) -> Workspace {
        let dir = std::env::temp_dir().join(format!("tt-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kite.csv"), dated(KITE)).unwrap();
        std::fs::write(dir.join("upstox.json"), dated(UPSTOX)).unwrap();
        Workspace(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn db(&self) -> String {
        self.path("instruments.db").display().to_string()
    }

    fn tt(&self, args: &[&str]) -> Output {
        self.tt_with_stdin(args, "")
    }

    fn tt_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tt"))
            .args(args)
            .current_dir(&self.0)
            .env_remove("TT_CACHE_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn import(&self) -> Output {
        let out = self.tt(&[
            "instruments",
            "import",
            "--zerodha",
            "kite.csv",
            "--upstox",
            "upstox.json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_builds_the_default_master_under_cache_and_reports() {
    let ws = Workspace::new("import");
    let out = ws.import();
    let report = text(&out.stdout);
    assert!(ws.path("_cache/instruments.db").exists());
    assert!(report.contains("zerodha: kite.csv"), "{report}");
    assert!(report.contains("joined across brokers: 3"), "{report}");
    assert!(report.contains("NFO option"), "{report}");
}

#[test]
fn resolve_json_prints_one_line_per_spec_and_fails_at_the_end_on_errors() {
    let ws = Workspace::new("resolve");
    ws.import();
    let out = ws.tt(&[
        "instruments",
        "resolve",
        "--json",
        &dated("NFO:NIFTY:EXPIRY_DATE:24000:CE"),
        &dated("NFO:NIFTY:EXPIRY_DATE:24050:CE"),
        "NSE:NOPE",
    ]);
    assert!(!out.status.success());
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        lines[0],
        dated(
            r#"{"spec":"NFO:NIFTY:EXPIRY_DATE:24000:CE","zerodha":{"token":"12345602","symbol":"NIFTY26DEC24000CE","exchange":"NFO","lot":75,"tick":"0.05"},"upstox":{"token":"NSE_FO|48225","lot":75,"tick":"0.05"}}"#
        )
    );
    assert_eq!(
        lines[1],
        dated(
            r#"{"spec":"NFO:NIFTY:EXPIRY_DATE:24050:CE","zerodha":{"token":"12346114","symbol":"NIFTY26DEC24050CE","exchange":"NFO","lot":75,"tick":"0.05"},"upstox":null}"#
        )
    );
    assert_eq!(
        lines[2],
        r#"{"spec":"NSE:NOPE","error":"instrument not found: NSE:NOPE"}"#
    );
}

#[test]
fn ambiguity_is_only_among_the_rows_of_the_broker_asked() {
    let ws = Workspace::new("ambiguous");
    ws.import();
    let out = ws.tt(&["instruments", "resolve", "--json", "BSE:875PFL26"]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            r#"{"spec":"BSE:875PFL26","zerodha":null,"upstox":{"error":"ambiguous instrument BSE:875PFL26: matches"#
        ),
        "{stdout}"
    );
}

#[test]
fn resolve_gives_each_broker_its_token_for_one_contract_under_two_exchange_tokens() {
    let ws = Workspace::new("two-tokens");
    // One contract, listed by Kite under exchange token 73903 and by Upstox under 65898.
    let kite = format!(
        "{}18919170,73903,NIFTY26SEP23000CE,\"NIFTY\",0,EXPIRY_DATE,23000,0.05,75,CE,NFO-OPT,NFO\n",
        KITE
    );
    std::fs::write(ws.path("kite.csv"), dated(&kite)).unwrap();
    let upstox = UPSTOX.replacen(
        "[\n",
        "[\n{\"segment\":\"NSE_FO\",\"name\":\"NIFTY\",\"exchange\":\"NSE\",\"expiry\":EXPIRY_MS,\"instrument_type\":\"CE\",\"underlying_symbol\":\"NIFTY\",\"instrument_key\":\"NSE_FO|65898\",\"lot_size\":65,\"exchange_token\":\"65898\",\"underlying_key\":\"NSE_INDEX|Nifty 50\",\"tick_size\":5.0,\"underlying_type\":\"INDEX\",\"trading_symbol\":\"NIFTY 23000 CE\",\"strike_price\":23000.0},\n",
        1,
    );
    std::fs::write(ws.path("upstox.json"), dated(&upstox)).unwrap();
    let report = text(&ws.import().stdout);
    assert!(
        report.contains("same contract, different exchange token (joined): 1"),
        "{report}"
    );
    let out = ws.tt(&[
        "instruments",
        "resolve",
        &dated("NFO:NIFTY:EXPIRY_DATE:23000:CE"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        dated(
            "NFO:NIFTY:EXPIRY_DATE:23000:CE  zerodha 18919170 (NFO:NIFTY26SEP23000CE) lot 75 tick 0.05  upstox NSE_FO|65898 lot 65 tick 0.05"
        )
    );
}

#[test]
fn resolve_on_the_real_dumps_gives_both_brokers_tokens_for_one_contract() {
    let (Some(kite), Some(upstox)) = (
        tt_test_support::fixture("kite/instruments/nfo_bfo_2026-08.csv"),
        tt_test_support::fixture("upstox/instruments/complete_2025-12.json.gz"),
    ) else {
        return;
    };
    let ws = Workspace::new("real-resolve");
    let out = ws.tt(&[
        "instruments",
        "import",
        "--zerodha",
        &kite.display().to_string(),
        "--upstox",
        &upstox.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ws.tt(&[
        "instruments",
        "resolve",
        "--json",
        "NFO:NIFTY:2026-09-29:23000:CE",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(r#""zerodha":{"token":"18919170""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""upstox":{"token":"NSE_FO|65898""#),
        "{stdout}"
    );
}

#[test]
fn resolve_reads_specs_from_stdin() {
    let ws = Workspace::new("stdin");
    ws.import();
    let out = ws.tt_with_stdin(
        &["instruments", "resolve", "--json", "-"],
        "NSE:RELIANCE\n\nNSE:INDEX:NIFTY 50\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains(
            r#""upstox":{"token":"NSE_EQ|INE002A01018","lot":1,"tick":"0.1","freeze":100000}"#
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(
            r#""zerodha":{"token":"256265","symbol":"NIFTY 50","exchange":"NSE","lot":0,"tick":"0"}"#
        ),
        "{}",
        lines[1]
    );
}

#[test]
fn search_and_chain() {
    let ws = Workspace::new("chain");
    ws.import();
    let out = ws.tt(&["instruments", "search", "RELI"]);
    assert!(
        text(&out.stdout).starts_with("NSE:RELIANCE"),
        "{}",
        text(&out.stdout)
    );
    let out = ws.tt(&["instruments", "chain", "NFO:NIFTY"]);
    assert_eq!(text(&out.stdout).trim(), expiry().to_string());
    let out = ws.tt(&[
        "instruments",
        "chain",
        "--json",
        "NFO:NIFTY",
        "--expiry",
        &expiry().to_string(),
    ]);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(&dated(
            r#"{"strike":"24000","call":{"instrument":"NFO:NIFTY:EXPIRY_DATE:24000:CE""#
        )),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(r#""put":null"#), "{}", lines[1]);
}

#[test]
fn bad_input_is_a_message_with_file_and_line_never_a_panic() {
    let ws = Workspace::new("bad");
    let upstox = dated(UPSTOX);
    std::fs::write(ws.path("broken.json"), &upstox[..upstox.len() / 2]).unwrap();
    let out = ws.tt(&["instruments", "import", "--upstox", "broken.json"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.json is corrupt at line 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = ws.tt(&["instruments", "import", "--zerodha", "missing.csv"]);
    assert!(
        text(&out.stderr).contains("missing.csv"),
        "{}",
        text(&out.stderr)
    );
    let out = ws.tt(&["instruments", "resolve", "--db", "nowhere.db", "NSE:X"]);
    assert!(
        text(&out.stderr).contains("no instrument master at nowhere.db"),
        "{}",
        text(&out.stderr)
    );
    let out = ws.tt(&["instruments", "chain", "--db", &ws.db(), "NIFTY"]);
    assert!(!out.status.success());
}

#[test]
fn refresh_downloads_both_dumps_over_http_and_is_a_no_op_the_same_day() {
    let ws = Workspace::new("refresh");
    let mut upstox = Route::ok(dated(UPSTOX));
    upstox.headers.push((
        "Last-Modified".to_owned(),
        "Tue, 09 Dec 2025 02:30:00 GMT".to_owned(),
    ));
    let server = TestServer::start([
        ("/instruments", Route::ok(dated(KITE))),
        ("/complete.json.gz", upstox),
    ]);
    let args = [
        "instruments",
        "refresh",
        "--zerodha-api-root",
        &server.url(""),
        "--zerodha-api-key",
        "key1",
        "--zerodha-access-token",
        "sekrit-token",
        "--upstox-url",
        &server.url("/complete.json.gz"),
    ];
    let out = ws.tt(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("joined across brokers: 3"), "{report}");
    // The source's Last-Modified is recorded in the master and shown.
    assert!(
        report.contains("last modified Tue, 09 Dec 2025 02:30:00 +0000"),
        "{report}"
    );
    let kite_request = server
        .received()
        .into_iter()
        .find(|r| r.path == "/instruments" && r.method == "GET")
        .unwrap();
    let header = |name: &str| {
        kite_request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-kite-version").as_deref(), Some("3"));
    assert_eq!(
        header("authorization").as_deref(),
        Some("token key1:sekrit-token")
    );

    let out = ws.tt(&args);
    assert!(
        text(&out.stdout).contains("is up to date"),
        "{}",
        text(&out.stdout)
    );
    let downloads = |server: &TestServer| {
        server
            .received()
            .iter()
            .filter(|r| r.method == "GET")
            .count()
    };
    assert_eq!(downloads(&server), 2);

    // A failing forced refresh keeps the master and never shows the token.
    server.set(
        "/instruments",
        Route::status(403, r#"{"status":"error","error_type":"TokenException"}"#),
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    let out = ws.tt(&forced);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("access token was refused"), "{stderr}");
    assert!(!stderr.contains("sekrit"), "{stderr}");
    assert!(
        ws.tt(&["instruments", "resolve", "NSE:RELIANCE"])
            .status
            .success()
    );
}

/// Kills a real import at an arbitrary point: whenever the kill lands, the master at the path
/// is the complete old one or the complete new one, and the next import succeeds.
#[test]
fn a_killed_import_never_leaves_a_broken_master() {
    let (Some(kite), Some(upstox)) = (
        tt_test_support::fixture("kite/instruments/nfo_bfo_2026-08.csv"),
        tt_test_support::fixture("upstox/instruments/complete_2025-12.json.gz"),
    ) else {
        return;
    };
    let ws = Workspace::new("kill");
    ws.import();
    for delay_ms in [50, 300, 900] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tt"))
            .args(["instruments", "import", "--zerodha"])
            .arg(&kite)
            .arg("--upstox")
            .arg(&upstox)
            .current_dir(&ws.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let out = ws.tt(&["instruments", "resolve", "NSE:RELIANCE"]);
        assert!(
            out.status.success(),
            "after a kill at {delay_ms} ms: {}",
            text(&out.stderr)
        );
    }
    ws.import();
    let leftovers: Vec<String> = std::fs::read_dir(ws.path("_cache"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = Path::new(&ws.db());
}
