//! The ticker's frame decoder on frames of many packets, as a busy subscription receives them:
//! 200 full (184-byte) packets, 200 quote packets, 200 ltp packets, and 200 full packets
//! spread over NSE, NFO, CDS, BCD and MCX (so the divisor changes packet to packet). Each
//! reports packets per second; the target is 20 million full packets per second per core.
//!
//! The packets are the real TATAMOTORS full frame from `../shared/fixtures` with a different
//! token each, or a synthetic packet of the same shape when the fixtures are absent. Every
//! tick is handed to `black_box`, so each is built in full as the feed would build it.
//!
//! Run with `cargo bench -p tt-zerodha --features bench-internals --bench stream`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use tt_zerodha::stream::bench::decode_frame;

const PACKETS: u32 = 200;
const FULL_FIXTURE: &str = "kite/frames/fullMode_binary.packet";

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let full = full_packet();
    let nse = |i: u32| (3456 + i) << 8 | 1;
    let mixed = |i: u32| (3456 + i) << 8 | [1, 2, 3, 6, 7][i as usize % 5];
    let frames = [
        ("full", frame(&full, nse)),
        ("quote", frame(&full[..44], nse)),
        ("ltp", frame(&full[..8], nse)),
        ("full, five segments", frame(&full, mixed)),
    ];
    let mut group = criterion.benchmark_group("kite frame decode");
    group.throughput(Throughput::Elements(u64::from(PACKETS)));
    for (name, frame) in &frames {
        assert_eq!(
            decode_frame(frame, |_, _| ()).unwrap(),
            PACKETS as usize,
            "{name}"
        );
        group.bench_function(format!("{PACKETS} packets, {name}"), |b| {
            b.iter(|| {
                decode_frame(black_box(frame), |token, tick| {
                    black_box(token);
                    black_box(&tick);
                })
            })
        });
    }
    group.finish();
    criterion.final_summary();
}

/// The fixture's full packet (without its frame header), or a synthetic one: a traded NSE
/// stock with five levels on each side.
fn full_packet() -> Vec<u8> {
    if let Some(path) = tt_test_support::fixture(FULL_FIXTURE) {
        let frame = std::fs::read(path).unwrap();
        return frame[4..].to_vec();
    }
    let mut words: Vec<u32> = vec![
        884_737,
        39_295,
        2,
        40_307,
        22_261_032,
        5_617,
        0,
        42_000,
        42_090,
        39_010,
        41_410,
        1_655_375_264,
        0,
        0,
        0,
        1_655_378_328,
    ];
    for level in 0..10 {
        words.extend([100 + level, 39_295 - level, (3 + level) << 16]);
    }
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A frame of `PACKETS` copies of `packet`, the n-th with the token `token(n)`.
fn frame(packet: &[u8], token: impl Fn(u32) -> u32) -> Vec<u8> {
    let length = u16::try_from(packet.len()).unwrap();
    let mut frame = u16::try_from(PACKETS).unwrap().to_be_bytes().to_vec();
    for n in 0..PACKETS {
        frame.extend(length.to_be_bytes());
        frame.extend(token(n).to_be_bytes());
        frame.extend(&packet[4..]);
    }
    frame
}
