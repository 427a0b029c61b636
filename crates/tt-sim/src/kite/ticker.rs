//! Kite's WebSocket ticker (KiteTicker), served at any path of the Kite side
//! (`GET /?api_key=..&access_token=..` with `Upgrade: websocket`).
//!
//! The handshake is refused with 403 `TokenException` unless the api_key and access token
//! name an open session (the same check as REST's `Authorization` header), and with 429
//! `NetworkException` for a fourth concurrent connection of the api_key. The client sends
//! `{"a":"subscribe","v":[tokens]}`, `{"a":"unsubscribe","v":[...]}` and
//! `{"a":"mode","v":["ltp"|"quote"|"full",[tokens]]}` as text; newly subscribed tokens stream
//! in `quote` mode, a mode for a token not yet subscribed subscribes it, and tokens the master
//! does not list are ignored silently, as Kite does. Beyond 3,000 tokens on one connection the
//! excess is ignored and the client told with `{"type":"error","data":"..."}`.
//!
//! Every tick interval all subscribed tokens go out in one binary frame: a big-endian `u16`
//! packet count, then each packet as a `u16` length and the packet: 8 bytes (`ltp`), 44
//! (`quote`) or 184 (`full`, five bids and five offers of 12 bytes) for a tradable instrument,
//! 28 (`quote`) or 32 (`full`) for an index (segment 9, its OHLC in the order H, L, O, C, then
//! the change and the exchange timestamp). Prices are in the segment's units: paise, except
//! CDS (segment 3, ÷10^7) and BCD (segment 6, ÷10^4), the segment being the token's low byte.
//! After a second without any frame a 1-byte binary heartbeat goes out. Order changes in the
//! Kite book arrive as text `{"type":"order","data":{...}}`, the data a row of `GET /orders`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, StatusCode};
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::Value;
use tt_core::Price;

use super::orders::order_wire;
use super::wire::{ErrorType, KiteError};
use crate::SimBroker;
use crate::account::order::{OrderState, Status};
use crate::form::Form;
use crate::quote::Snapshot;
use crate::reply::Reply;
use crate::sim::Sim;
use crate::stream::session::{self as feed, Feed, Keepalive, Outgoing};
use crate::stream::{self, FeedKind, KITE_CONNECTIONS_PER_KEY, Registration, Update, socket};

/// Tokens one connection may stream.
pub(crate) const TOKENS_PER_CONNECTION: usize = 3000;

/// Kite's segment id of indices (the token's low byte).
const INDICES: u32 = 9;

/// A malformed market-data frame: one packet announced as 200 bytes, four present.
const GARBAGE: &[u8] = &[0, 1, 0, 200, 1, 2, 3, 4];

/// Answers a ticker handshake: the upgrade, or the refusal.
pub(crate) fn open(sim: &Arc<Sim>, request: &mut Request<Incoming>) -> Reply {
    let query = request.uri().query().unwrap_or("");
    let Ok(params) = Form::parse(query.as_bytes()) else {
        return KiteError::input("Invalid query encoding.").reply();
    };
    let api_key = params.value("api_key").unwrap_or("");
    let access_token = params.value("access_token").unwrap_or("");
    if let Err(refused) = super::session::check_credentials(sim, api_key, access_token) {
        return refused.reply();
    }
    let link = match Registration::open(sim, FeedKind::KiteTicker) {
        Ok(link) => link,
        Err(stream::Refusal::TooManyConnections) => {
            return KiteError {
                status: StatusCode::TOO_MANY_REQUESTS,
                kind: ErrorType::Network,
                message: format!(
                    "Maximum WebSocket connections per api_key exceeded: at most {KITE_CONNECTIONS_PER_KEY}."
                ),
            }
            .reply();
        }
    };
    socket::upgrade(request, move |socket| {
        feed::run(socket, link, Ticker::default())
    })
}

/// A token's streaming mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ltp,
    Quote,
    Full,
}

impl Mode {
    fn named(name: &str) -> Option<Mode> {
        match name {
            "ltp" => Some(Mode::Ltp),
            "quote" => Some(Mode::Quote),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }
}

/// One connection's subscriptions: token → (universe index, mode).
#[derive(Debug, Default)]
struct Ticker {
    subscribed: BTreeMap<u32, (usize, Mode)>,
}

/// The tokens of a JSON array; anything that is not a `u32` is skipped.
fn tokens(value: Option<&Value>) -> Vec<u32> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_u64)
                .filter_map(|t| u32::try_from(t).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn error_message(text: &str) -> Outgoing {
    #[derive(Serialize)]
    struct Message<'a> {
        r#type: &'static str,
        data: &'a str,
    }
    Outgoing::Text(
        serde_json::to_string(&Message {
            r#type: "error",
            data: text,
        })
        .unwrap_or_default(),
    )
}

impl Ticker {
    /// Subscribes `tokens` (in `mode`, or keeping the mode of those already subscribed);
    /// answers how many were left out by the per-connection limit.
    fn subscribe(&mut self, link: &mut Registration, tokens: &[u32], mode: Option<Mode>) -> usize {
        let mut excess = 0;
        for &token in tokens {
            let Some(index) = link.sim().universe.kite_token_index(token) else {
                continue;
            };
            if let Some((_, current)) = self.subscribed.get_mut(&token) {
                if let Some(mode) = mode {
                    *current = mode;
                }
                continue;
            }
            if self.subscribed.len() >= TOKENS_PER_CONNECTION {
                excess += 1;
                continue;
            }
            self.subscribed
                .insert(token, (index, mode.unwrap_or(Mode::Quote)));
            link.stream(index);
        }
        excess
    }

    fn unsubscribe(&mut self, link: &mut Registration, tokens: &[u32]) {
        for token in tokens {
            if let Some((index, _)) = self.subscribed.remove(token) {
                link.unstream(index);
            }
        }
    }
}

impl Feed for Ticker {
    const BROKER: SimBroker = SimBroker::Kite;

    fn opening(&mut self, _link: &mut Registration) -> Vec<Outgoing> {
        Vec::new()
    }

    fn on_message(&mut self, link: &mut Registration, payload: &[u8]) -> Vec<Outgoing> {
        let Ok(message) = serde_json::from_slice::<Value>(payload) else {
            return vec![error_message("Invalid message: not JSON.")];
        };
        let value = message.get("v");
        let excess = match message.get("a").and_then(Value::as_str) {
            Some("subscribe") => self.subscribe(link, &tokens(value), None),
            Some("unsubscribe") => {
                self.unsubscribe(link, &tokens(value));
                0
            }
            Some("mode") => {
                let mode = value
                    .and_then(|v| v.get(0))
                    .and_then(Value::as_str)
                    .and_then(Mode::named);
                let Some(mode) = mode else {
                    return vec![error_message("Invalid mode: ltp, quote or full.")];
                };
                self.subscribe(link, &tokens(value.and_then(|v| v.get(1))), Some(mode))
            }
            _ => {
                return vec![error_message(
                    "Invalid action: subscribe, unsubscribe or mode.",
                )];
            }
        };
        if excess == 0 {
            return Vec::new();
        }
        vec![error_message(&format!(
            "Subscription limit exceeded: at most {TOKENS_PER_CONNECTION} instruments per connection; {excess} ignored."
        ))]
    }

    fn on_tick(&mut self, link: &mut Registration, frame: &mut Vec<u8>) -> bool {
        if self.subscribed.is_empty() {
            return false;
        }
        let sim = link.sim();
        let now = sim.now().unix_timestamp();
        let count = u16::try_from(self.subscribed.len()).unwrap_or(u16::MAX);
        frame.extend_from_slice(&count.to_be_bytes());
        let mut inner = sim.lock();
        for (&token, &(index, mode)) in self.subscribed.iter().take(usize::from(count)) {
            let Some(listing) = sim.universe.get(index) else {
                continue;
            };
            let snapshot = stream::tick(&mut inner.market, listing, now);
            write_packet(frame, token, mode, &snapshot, now);
        }
        true
    }

    fn ticks(&self) -> bool {
        true
    }

    fn keepalive(&self, link: &Registration) -> (Keepalive, Duration) {
        (
            Keepalive::Heartbeat,
            link.sim().feeds.config.heartbeat_interval,
        )
    }

    fn garbage(&self) -> Option<&'static [u8]> {
        Some(GARBAGE)
    }

    fn on_update(&self, update: &Update) -> Option<String> {
        Some(update.text.clone())
    }
}

/// What a price is divided by on the wire for a token's segment: CDS (3) 10^7, BCD (6) and
/// NCO (12, NSE commodities, as the official clients read it) 10^4, else paise.
pub(crate) const fn divisor(token: u32) -> i64 {
    match token & 0xFF {
        3 => 10_000_000,
        6 | 12 => 10_000,
        _ => 100,
    }
}

/// `price` in the segment's wire units (rounded towards zero).
fn scaled(price: Price, divisor: i64) -> i64 {
    let units = i128::from(price.mantissa()) * i128::from(divisor) / 100_000_000;
    i64::try_from(units).unwrap_or(i64::MAX)
}

fn put_price(frame: &mut Vec<u8>, price: Price, divisor: i64) {
    let units = u32::try_from(scaled(price, divisor).max(0)).unwrap_or(u32::MAX);
    frame.extend_from_slice(&units.to_be_bytes());
}

fn put_count(frame: &mut Vec<u8>, count: u64) {
    frame.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_time(frame: &mut Vec<u8>, unix: i64) {
    frame.extend_from_slice(&u32::try_from(unix.max(0)).unwrap_or(u32::MAX).to_be_bytes());
}

/// Appends one packet (its `u16` length, then the packet) for `token` in `mode`.
fn write_packet(frame: &mut Vec<u8>, token: u32, mode: Mode, quote: &Snapshot, now_unix: i64) {
    let start = frame.len();
    frame.extend_from_slice(&[0, 0]);
    let d = divisor(token);
    let tape = &quote.tape;
    frame.extend_from_slice(&token.to_be_bytes());
    put_price(frame, tape.last, d);
    if mode != Mode::Ltp {
        if token & 0xFF == INDICES {
            put_price(frame, tape.high, d);
            put_price(frame, tape.low, d);
            put_price(frame, tape.open, d);
            put_price(frame, tape.close, d);
            let change = scaled(quote.net_change, d);
            let change =
                i32::try_from(change).unwrap_or(if change < 0 { i32::MIN } else { i32::MAX });
            frame.extend_from_slice(&change.to_be_bytes());
            if mode == Mode::Full {
                put_time(frame, now_unix);
            }
        } else {
            put_count(frame, u64::from(tape.last_quantity));
            put_price(frame, quote.average_price, d);
            put_count(frame, tape.volume);
            put_count(frame, quote.buy_quantity);
            put_count(frame, quote.sell_quantity);
            put_price(frame, tape.open, d);
            put_price(frame, tape.high, d);
            put_price(frame, tape.low, d);
            put_price(frame, tape.close, d);
            if mode == Mode::Full {
                put_time(frame, tape.last_trade_unix);
                put_count(frame, quote.oi);
                put_count(frame, quote.oi_day_high);
                put_count(frame, quote.oi_day_low);
                put_time(frame, now_unix);
                for level in quote.depth.buy.iter().chain(&quote.depth.sell) {
                    put_count(frame, level.quantity);
                    put_price(frame, level.price, d);
                    let orders = u16::try_from(level.orders).unwrap_or(u16::MAX);
                    frame.extend_from_slice(&orders.to_be_bytes());
                    frame.extend_from_slice(&[0, 0]);
                }
            }
        }
    }
    let length = u16::try_from(frame.len() - start - 2).unwrap_or(u16::MAX);
    if let Some(slot) = frame.get_mut(start..start + 2) {
        slot.copy_from_slice(&length.to_be_bytes());
    }
}

/// The order-update message for one step of an order's history, for the steps Kite pushes
/// (the order resting, triggered-pending, filled, cancelled or rejected; a modification shows
/// as the order resting again on its new terms).
pub(crate) fn order_message(state: &OrderState, user_id: &str) -> Option<String> {
    let pushed = matches!(
        state.status,
        Status::Open
            | Status::TriggerPending
            | Status::AmoReqReceived
            | Status::Complete
            | Status::Cancelled
            | Status::Rejected
    );
    if !pushed {
        return None;
    }
    #[derive(Serialize)]
    struct Message<'a> {
        r#type: &'static str,
        data: super::wire::Order<'a>,
    }
    serde_json::to_string(&Message {
        r#type: "order",
        data: order_wire(state, user_id),
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_scale_by_the_tokens_segment() {
        let price: Price = "84.1234".parse().unwrap_or(Price::ZERO);
        assert_eq!(scaled(price, divisor(256_259)), 841_234_000);
        assert_eq!(scaled(price, divisor(1_234_950)), 841_234);
        assert_eq!(scaled(price, divisor(408_065)), 8_412);
    }
}
