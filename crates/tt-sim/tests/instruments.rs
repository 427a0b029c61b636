//! The instrument dump: Kite's CSV, API formatting, per exchange, gzip when accepted, and
//! readable back into a master by Kite's own dump parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;

use common::{TestSim, send};

const HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange";

#[tokio::test]
async fn dump_is_kites_csv_in_the_apis_formatting() {
    let sim = TestSim::start("instruments-all").await;
    let answer = sim.kite.get("/instruments").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/csv"));
    let text = answer.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], HEADER);
    assert_eq!(lines.len(), 13);
    for expected in [
        "738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.05,1,EQ,NSE,NSE",
        "256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE",
        "519937,2031,M&M,\"MAHINDRA & MAHINDRA\",0,,0,0.05,1,EQ,NSE,NSE",
        "12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,2026-12-29,24000,0.05,75,CE,NFO-OPT,NFO",
        "13238786,51714,NIFTY26DECFUT,\"NIFTY\",0,2026-12-29,0,0.1,75,FUT,NFO-FUT,NFO",
        "111872007,437000,GOLD26DECFUT,\"GOLD\",0,2026-12-05,0,1,1,FUT,MCX-FUT,MCX",
        "256259,1001,USDINR26DECFUT,\"USDINR\",0,2026-12-29,0,0.0025,1,FUT,CDS-FUT,CDS",
    ] {
        assert!(lines.contains(&expected), "missing {expected}\n{text}");
    }
}

#[tokio::test]
async fn dump_of_one_exchange_lists_only_it() {
    let sim = TestSim::start("instruments-one").await;
    let text = sim.kite.get("/instruments/NFO").await.text();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.ends_with(",NFO")));
    sim.kite
        .get("/instruments/XYZ")
        .await
        .error(400, "InputException");
}

#[tokio::test]
async fn dump_is_gzipped_for_clients_that_accept_it() {
    let sim = TestSim::start("instruments-gzip").await;
    let auth = format!("token {}:{}", sim.kite.api_key, sim.kite.access_token);
    let answer = send(
        sim.handle.addr(),
        "GET",
        "/instruments",
        &[
            ("X-Kite-Version", "3"),
            ("Authorization", &auth),
            ("Accept-Encoding", "gzip, deflate"),
        ],
        "",
    )
    .await
    .unwrap();
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(answer.body.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.starts_with(HEADER));
}

#[tokio::test]
async fn dump_builds_the_same_master_back() {
    let sim = TestSim::start("instruments-round-trip").await;
    let text = sim.kite.get("/instruments").await.text();
    let rebuilt = common::build(&sim.dir.path("rebuilt.db"), &text);
    let original = common::build(&sim.dir.path("original.db"), common::KITE_CSV);
    let listing = |m: &tt_instruments::InstrumentMaster| {
        let mut rows: Vec<_> = m
            .listing("zerodha")
            .unwrap()
            .into_iter()
            .map(|l| (l.instrument, l.name, l.contract, l.token, l.exchange_token))
            .collect();
        rows.sort_by(|a, b| a.3.token.cmp(&b.3.token));
        rows
    };
    assert_eq!(listing(&rebuilt), listing(&original));
}
