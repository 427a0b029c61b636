//! serde_json (what tt-upstox uses) against simd-json, on the same bytes in one run: the real
//! Upstox BOD file object by object and whole through `parse_dump`, and three large REST bodies
//! generated from the API's field tables (an order book, positions, a 500-key full quote).
//! Run with `cargo xtask bench json`; the figures are in `docs/performance.md`.
//!
//! simd-json rewrites its input, and the crate holds its bytes immutably (the reader's buffer, a
//! response's `Bytes`), so the simd-json side copies each input into a reused buffer inside the
//! timed loop, as the product would have to. Before any timing, both decoders are checked to
//! read every input identically (every price compared as a `Price`).
//!
//! After criterion's own figures, each input is timed once more with the two decoders
//! alternating call by call (so a load change on a busy machine hits both alike), and a table of
//! medians, throughputs and the simd/serde ratio is printed: the figures `docs/performance.md`
//! quotes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use tt_upstox::bench::{
    RestBody, SimdJsonRows, bod_objects, decode_bod_object_serde, decode_rest_serde,
    decode_rest_simd, parse_dump_serde, parse_dump_simd, rest_decodings_agree,
};

const BOD_FIXTURE: &str = "upstox/instruments/complete_2025-12.json.gz";
const ORDERS: usize = 3_000;
const POSITIONS: usize = 500;
const QUOTES: usize = 500;
/// Rounds of each decoder over the whole BOD file in the alternating pass.
const BOD_ROUNDS: usize = 11;
/// `POST /v3/order/place`'s answer, as the API documents it.
const PLACE_REPLY: &[u8] =
    br#"{"status":"success","data":{"order_ids":["1251201000012345"]},"metadata":{"latency":30}}"#;

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20)
        .configure_from_args();
    let mut table = vec![
        "| input | size | rows | serde_json | simd-json | simd/serde |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    bod(&mut criterion, &mut table);
    rest(&mut criterion, &mut table);
    criterion.final_summary();
    println!("\nalternating call by call, medians:\n{}", table.join("\n"));
}

/// Times `serde` and `simd` alternately for `rounds` rounds each and adds a table row: each
/// decoder's median as MB/s and rows/s, and the speed ratio.
fn alternate(
    table: &mut Vec<String>,
    name: &str,
    (bytes, rows): (usize, usize),
    rounds: usize,
    mut serde: impl FnMut(),
    mut simd: impl FnMut(),
) {
    let mut serde_times = Vec::with_capacity(rounds);
    let mut simd_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        serde();
        serde_times.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        simd();
        simd_times.push(start.elapsed().as_secs_f64());
    }
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let (serde_s, simd_s) = (median(&mut serde_times), median(&mut simd_times));
    let figures = |seconds: f64| {
        format!(
            "{:.0} MB/s, {} rows/s ({})",
            bytes as f64 / seconds / 1e6,
            thousands(rows as f64 / seconds),
            duration(seconds)
        )
    };
    table.push(format!(
        "| {name} | {} | {} | {} | {} | **{:.2}x** |",
        size(bytes),
        thousands(rows as f64),
        figures(serde_s),
        figures(simd_s),
        serde_s / simd_s
    ));
}

fn size(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// `1234567.8` as `1,234,568`.
fn thousands(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(seconds: f64) -> String {
    if seconds >= 0.1 {
        format!("{:.0} ms", seconds * 1e3)
    } else if seconds >= 1e-4 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.2} µs", seconds * 1e6)
    }
}

fn bod(criterion: &mut Criterion, table: &mut Vec<String>) {
    let Some(path) = tt_test_support::fixture(BOD_FIXTURE) else {
        eprintln!("notice: skipping the BOD benchmarks");
        return;
    };
    let mut file = Vec::new();
    let opened = std::fs::File::open(&path).expect("the fixture opens");
    flate2::read::GzDecoder::new(opened)
        .read_to_end(&mut file)
        .expect("the fixture inflates");
    let objects = bod_objects(&file).expect("the BOD file splits into objects");
    let object_bytes: usize = objects.iter().map(Vec::len).sum();

    let records = parse_dump_serde(Box::new(Cursor::new(&file)))
        .filter(Result::is_ok)
        .count();
    let serde_rows: Vec<_> = parse_dump_serde(Box::new(Cursor::new(&file))).collect();
    let simd_rows: Vec<_> = parse_dump_simd(Box::new(Cursor::new(&file))).collect();
    assert_eq!(serde_rows.len(), simd_rows.len(), "row counts differ");
    for (index, (a, b)) in serde_rows.iter().zip(&simd_rows).enumerate() {
        assert_eq!(a, b, "element {} decodes differently", index + 1);
    }
    println!(
        "BOD file: {} bytes inflated, {} objects ({} bytes, {} on average); both decoders \
         give the same {} records",
        file.len(),
        objects.len(),
        object_bytes,
        object_bytes / objects.len().max(1),
        records
    );
    drop((serde_rows, simd_rows));

    let mut group = criterion.benchmark_group("bod_objects");
    slow_group(&mut group);
    group.throughput(Throughput::BytesDecimal(object_bytes as u64));
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_objects(&objects));
    });
    let mut simd = SimdJsonRows::new();
    group.bench_function("simd_json", |b| {
        b.iter(|| simd_objects(&mut simd, &objects));
    });
    group.finish();
    alternate(
        table,
        "BOD file, object by object into the row type",
        (object_bytes, objects.len()),
        BOD_ROUNDS,
        || {
            black_box(serde_objects(&objects));
        },
        || {
            black_box(simd_objects(&mut simd, &objects));
        },
    );

    let mut group = criterion.benchmark_group("bod_parse_dump");
    slow_group(&mut group);
    group.throughput(Throughput::BytesDecimal(file.len() as u64));
    group.bench_function("serde_json", |b| {
        b.iter(|| parse_dump_serde(Box::new(Cursor::new(black_box(&file)))).count());
    });
    group.bench_function("simd_json", |b| {
        b.iter(|| parse_dump_simd(Box::new(Cursor::new(black_box(&file)))).count());
    });
    group.finish();
    alternate(
        table,
        "BOD file, whole, through `parse_dump` (to `DumpRecord`s)",
        (file.len(), objects.len()),
        BOD_ROUNDS,
        || {
            black_box(parse_dump_serde(Box::new(Cursor::new(&file))).count());
        },
        || {
            black_box(parse_dump_simd(Box::new(Cursor::new(&file))).count());
        },
    );
}

fn serde_objects(objects: &[Vec<u8>]) -> usize {
    objects
        .iter()
        .map(|object| decode_bod_object_serde(black_box(object)).unwrap_or_default())
        .sum()
}

fn simd_objects(simd: &mut SimdJsonRows, objects: &[Vec<u8>]) -> usize {
    objects
        .iter()
        .map(|object| {
            simd.decode_bod_object(black_box(object))
                .unwrap_or_default()
        })
        .sum()
}

/// Iterations of a second or so: ten samples of one iteration each.
fn slow_group(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
}

fn rest(criterion: &mut Criterion, table: &mut Vec<String>) {
    for (name, label, kind, body) in [
        (
            "order_book",
            "order book",
            RestBody::OrderBook,
            order_book(ORDERS),
        ),
        (
            "positions",
            "positions",
            RestBody::Positions,
            positions(POSITIONS),
        ),
        ("quotes", "full quotes", RestBody::Quotes, quotes(QUOTES)),
        (
            "order_book_10",
            "order book, 10 orders",
            RestBody::OrderBook,
            order_book(10),
        ),
        (
            "order_book_4",
            "order book, 4 orders",
            RestBody::OrderBook,
            order_book(4),
        ),
        (
            "order_book_1",
            "order book, 1 order",
            RestBody::OrderBook,
            order_book(1),
        ),
        (
            "place_reply",
            "order placement reply",
            RestBody::PlaceReply,
            PLACE_REPLY.to_vec(),
        ),
    ] {
        let rows = rest_decodings_agree(kind, &body).expect("both decoders agree");
        println!(
            "{name}: {} bytes, {rows} rows; both decoders read every field alike",
            body.len()
        );
        let mut group = criterion.benchmark_group(name);
        group.throughput(Throughput::BytesDecimal(body.len() as u64));
        group.bench_function("serde_json", |b| {
            b.iter(|| decode_rest_serde(kind, black_box(&body)));
        });
        let mut scratch = Vec::with_capacity(body.len());
        group.bench_function("simd_json", |b| {
            b.iter(|| simd_rest(kind, &body, &mut scratch));
        });
        group.finish();
        // About two seconds of each decoder.
        let rounds = (3e8 / body.len() as f64).clamp(10.0, 200_000.0) as usize;
        alternate(
            table,
            label,
            (body.len(), rows),
            rounds,
            || {
                black_box(decode_rest_serde(kind, black_box(&body)).ok());
            },
            || {
                black_box(simd_rest(kind, &body, &mut scratch).ok());
            },
        );
    }
}

/// The simd-json path as the product would take it: copy the immutable body, then decode.
fn simd_rest(kind: RestBody, body: &[u8], scratch: &mut Vec<u8>) -> Result<usize, String> {
    scratch.clear();
    scratch.extend_from_slice(black_box(body));
    decode_rest_simd(kind, scratch)
}

/// A small deterministic generator (xorshift64), so every run decodes the same bytes.
struct Values(u64);

impl Values {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A price on a 0.05 tick between 10 and 5,000 rupees, written as Upstox writes it
    /// (`1500.05`, `250.0`).
    fn tick_price(&mut self) -> String {
        let paise = (200 + self.below(100_000)) * 5;
        format!("{:?}", paise as f64 / 100.0)
    }

    /// A price that went through single precision on Upstox's side and is written out in
    /// full (`52.04999923706055`).
    fn single_precision_price(&mut self) -> String {
        let paise = (200 + self.below(100_000)) * 5;
        format!("{:?}", f64::from(paise as f32 / 100.0))
    }

    /// An amount of rupees with paise (`-1234.5`, `98765.25`).
    fn amount(&mut self) -> String {
        let paise = self.below(100_000_000) as i64 - 20_000_000;
        format!("{:?}", paise as f64 / 100.0)
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
}

fn envelope(rows: &[String]) -> Vec<u8> {
    format!(r#"{{"status":"success","data":[{}]}}"#, rows.join(",")).into_bytes()
}

/// `GET /v2/order/retrieve-all` with `count` orders, every field of the API's table.
fn order_book(count: usize) -> Vec<u8> {
    let mut v = Values(0x9e37_79b9_7f4a_7c15);
    let rows: Vec<String> = (0..count)
        .map(|i| {
            let symbol = format!("SYM{:04}", v.below(2_000));
            let status = v.pick(&["complete", "open", "rejected", "cancelled", "trigger pending"]);
            let quantity = 1 + v.below(50) * 25;
            let filled = if status == "complete" { quantity } else { 0 };
            format!(
                r#"{{"exchange":"NSE","product":"{product}","price":{price},"quantity":{quantity},"status":"{status}","guid":null,"tag":"strategy-{tag}","instrument_token":"NSE_EQ|INE{isin:06}A01018","placed_by":"AB1234","tradingsymbol":"{symbol}","trading_symbol":"{symbol}","order_type":"{order_type}","validity":"DAY","trigger_price":{trigger},"disclosed_quantity":0,"transaction_type":"{side}","average_price":{average},"filled_quantity":{filled},"pending_quantity":{pending},"status_message":{message},"status_message_raw":{message},"exchange_order_id":"{exchange_id}","parent_order_id":null,"order_id":"2512010{i:08}","variety":"SIMPLE","order_timestamp":"2025-12-01 09:{m:02}:{s:02}","exchange_timestamp":"2025-12-01 09:{m:02}:{s:02}","is_amo":false,"order_request_id":"1","order_ref_id":"GTT-C25-{i}"}}"#,
                product = v.pick(&["D", "I", "MTF"]),
                price = v.tick_price(),
                order_type = v.pick(&["LIMIT", "MARKET", "SL", "SL-M"]),
                trigger = v.tick_price(),
                side = v.pick(&["BUY", "SELL"]),
                average = v.single_precision_price(),
                pending = quantity - filled,
                message = if status == "rejected" {
                    r#""RMS:Margin Exceeds,Required:12345.50, Available:100.25""#
                } else {
                    "null"
                },
                exchange_id = 1_000_000_000_000 + v.below(1_000_000_000),
                tag = v.below(10),
                isin = v.below(1_000_000),
                m = 15 + v.below(45),
                s = v.below(60),
            )
        })
        .collect();
    envelope(&rows)
}

/// `GET /v2/portfolio/short-term-positions` with `count` rows.
fn positions(count: usize) -> Vec<u8> {
    let mut v = Values(0x2545_f491_4f6c_dd1d);
    let rows: Vec<String> = (0..count)
        .map(|i| {
            let symbol = format!("NIFTY25DEC{}CE", 20_000 + (i % 200) * 50);
            format!(
                r#"{{"exchange":"NFO","multiplier":1.0,"value":{value},"pnl":{pnl},"product":"D","instrument_token":"NSE_FO|{token}","average_price":{average},"buy_value":{buy_value},"overnight_quantity":{overnight},"day_buy_value":{day_buy_value},"day_buy_price":{day_buy_price},"overnight_buy_amount":{overnight_buy_amount},"overnight_buy_quantity":{overnight_buy},"day_buy_quantity":{day_buy},"day_sell_value":{day_sell_value},"day_sell_price":{day_sell_price},"overnight_sell_amount":0.0,"overnight_sell_quantity":0,"day_sell_quantity":{day_sell},"quantity":{quantity},"last_price":{last},"unrealised":{unrealised},"realised":{realised},"sell_value":{sell_value},"tradingsymbol":"{symbol}","trading_symbol":"{symbol}","close_price":{close},"buy_price":{buy_price},"sell_price":{sell_price}}}"#,
                value = v.amount(),
                pnl = v.amount(),
                token = 40_000 + i,
                average = v.single_precision_price(),
                buy_value = v.amount(),
                overnight = v.below(20) * 75,
                day_buy_value = v.amount(),
                day_buy_price = v.tick_price(),
                overnight_buy_amount = v.amount(),
                overnight_buy = v.below(20) * 75,
                day_buy = v.below(20) * 75,
                day_sell_value = v.amount(),
                day_sell_price = v.tick_price(),
                day_sell = v.below(20) * 75,
                quantity = v.below(40) as i64 * 75 - 1_500,
                last = v.tick_price(),
                unrealised = v.amount(),
                realised = v.amount(),
                sell_value = v.amount(),
                close = v.tick_price(),
                buy_price = v.single_precision_price(),
                sell_price = v.single_precision_price(),
            )
        })
        .collect();
    envelope(&rows)
}

/// `GET /v2/market-quote/quotes` for `count` instruments: full quotes with five-level depth.
fn quotes(count: usize) -> Vec<u8> {
    let mut v = Values(0xd1b5_4a32_d192_ed03);
    let entries: Vec<String> = (0..count)
        .map(|i| {
            let symbol = format!("SYM{i:04}");
            let levels = |v: &mut Values| {
                (0..5)
                    .map(|_| {
                        format!(
                            r#"{{"quantity":{},"price":{},"orders":{}}}"#,
                            v.below(10_000),
                            v.tick_price(),
                            v.below(50)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let buy = levels(&mut v);
            let sell = levels(&mut v);
            format!(
                r#""NSE_EQ:{symbol}":{{"ohlc":{{"open":{open},"high":{high},"low":{low},"close":{close}}},"depth":{{"buy":[{buy}],"sell":[{sell}]}},"timestamp":"2025-12-01T13:19:40.286+05:30","instrument_token":"NSE_EQ|INE{isin:06}A01018","symbol":"{symbol}","last_price":{last},"volume":{volume},"average_price":{average},"oi":0.0,"net_change":{change},"total_buy_quantity":{total_buy}.0,"total_sell_quantity":{total_sell}.0,"lower_circuit_limit":{lower},"upper_circuit_limit":{upper},"last_trade_time":"17647{ltt:08}","oi_day_high":0.0,"oi_day_low":0.0}}"#,
                open = v.tick_price(),
                high = v.tick_price(),
                low = v.tick_price(),
                close = v.tick_price(),
                isin = i,
                last = v.tick_price(),
                volume = v.below(50_000_000),
                average = v.single_precision_price(),
                change = v.single_precision_price(),
                total_buy = v.below(5_000_000),
                total_sell = v.below(5_000_000),
                lower = v.tick_price(),
                upper = v.tick_price(),
                ltt = v.below(100_000_000),
            )
        })
        .collect();
    format!(r#"{{"status":"success","data":{{{}}}}}"#, entries.join(",")).into_bytes()
}
