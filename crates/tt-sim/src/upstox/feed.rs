//! Upstox's market data feed v3: `GET /v3/feed/market-data-feed/authorize` (a single-use
//! `authorized_redirect_uri`), and the WebSocket at `/v3/feed/market-data-feed`, opened with
//! that URI's `code` or directly with the `Authorization: Bearer` header (as the official
//! Python SDK does). A refused token is answered 401 `UDAPI100050` before the upgrade.
//!
//! The client sends JSON, in binary frames (text frames are taken too):
//! `{"guid":"..","method":"sub"|"unsub"|"change_mode","data":{"mode":"ltpc"|"full"|
//! "option_greeks"|"full_d30","instrumentKeys":[..]}}`, `sub` without a mode meaning `ltpc`.
//! The server sends protobuf `FeedResponse`s ([`super::feed_proto`]): first a `market_info`
//! (every segment `NORMAL_OPEN`: the simulator trades at any hour, it has no market hours),
//! then for each `sub` or `change_mode` an `initial_feed` snapshot of the keys it took, then
//! every tick interval one `live_feed` with all the subscribed keys. Per mode: `ltpc` →
//! `Feed.ltpc`; `full` → `fullFeed.marketFF` (five depth levels, greeks for options, `1d` and
//! `I1` candles, atp, vtt, oi, iv, tbq, tsq) or `fullFeed.indexFF` for an index;
//! `option_greeks` → `firstLevelWithGreeks`; `full_d30` → `marketFF` with thirty levels; each
//! with its `requestMode`. Idle sockets get WebSocket pings.
//!
//! Upstox's per-connection key limits are enforced by ignoring the excess and sending nothing
//! for it: with one mode on the connection `ltpc` 5,000, `option_greeks` 3,000, `full` 2,000
//! and `full_d30` 50 keys; with modes combined 2,000, 2,000, 1,500 and 1,500. A key is taken
//! only if every mode stays within its limit afterwards, so a `sub` in a second mode that
//! would push the first over its combined limit is ignored. Unknown keys are ignored too.
//! Upstox's limit on connections per user is not enforced.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use prost::Message as _;
use serde::Deserialize;
use time::OffsetDateTime;
use tt_core::{Price, Side};

use super::feed_proto as proto;
use super::session::{authorize_feed, open_feed};
use crate::SimBroker;
use crate::market::Market;
use crate::quote::{self, Level, Snapshot};
use crate::reply::Reply;
use crate::sim::Sim;
use crate::stamp;
use crate::stream::session::{Feed, Keepalive, Outgoing};
use crate::stream::{self, FeedKind, Registration, Update};
use crate::universe::{Listing, stable_hash};

/// The feed's path.
pub(crate) const PATH: &str = "/v3/feed/market-data-feed";

/// Bytes that are no `FeedResponse`: a varint cut short.
const GARBAGE: &[u8] = &[0xFF, 0xFF, 0xFF, 0xFF];

/// The segments `market_info` reports.
const SEGMENTS: &[&str] = &[
    "NSE_EQ",
    "NSE_FO",
    "NSE_INDEX",
    "NSE_COM",
    "BSE_EQ",
    "BSE_FO",
    "BSE_INDEX",
    "NCD_FO",
    "BCD_FO",
    "MCX_FO",
    "MCX_INDEX",
];

/// `GET /v3/feed/market-data-feed/authorize`.
pub(crate) fn authorize_market_data(sim: &Sim, access_token: &str) -> Reply {
    authorize_feed(sim, access_token, FeedKind::UpstoxMarketData, PATH, "")
}

/// Answers a market data feed handshake: the upgrade, or 401.
pub(crate) fn open(sim: &Arc<Sim>, request: &mut Request<Incoming>) -> Reply {
    open_feed(sim, request, FeedKind::UpstoxMarketData, |_| {
        MarketFeed::default()
    })
}

/// A subscription mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Mode {
    Ltpc,
    Full,
    OptionGreeks,
    FullD30,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Ltpc, Mode::Full, Mode::OptionGreeks, Mode::FullD30];

    fn named(name: &str) -> Option<Mode> {
        match name {
            "ltpc" => Some(Mode::Ltpc),
            "full" => Some(Mode::Full),
            "option_greeks" => Some(Mode::OptionGreeks),
            "full_d30" => Some(Mode::FullD30),
            _ => None,
        }
    }

    /// Keys one connection may hold in this mode, alone or beside other modes.
    const fn limit(self, combined: bool) -> usize {
        match (self, combined) {
            (Mode::Ltpc, false) => 5000,
            (Mode::OptionGreeks, false) => 3000,
            (Mode::Full, false) => 2000,
            (Mode::FullD30, false) => 50,
            (Mode::Ltpc | Mode::OptionGreeks, true) => 2000,
            (Mode::Full | Mode::FullD30, true) => 1500,
        }
    }

    const fn request_mode(self) -> proto::RequestMode {
        match self {
            Mode::Ltpc => proto::RequestMode::Ltpc,
            Mode::Full => proto::RequestMode::FullD5,
            Mode::OptionGreeks => proto::RequestMode::OptionGreeks,
            Mode::FullD30 => proto::RequestMode::FullD30,
        }
    }
}

/// A client request.
#[derive(Debug, Deserialize)]
struct ClientRequest {
    method: String,
    #[serde(default)]
    data: RequestData,
}

#[derive(Debug, Default, Deserialize)]
struct RequestData {
    mode: Option<String>,
    #[serde(default, rename = "instrumentKeys")]
    instrument_keys: Vec<String>,
}

/// One connection's subscriptions: instrument key → (universe index, mode).
#[derive(Debug, Default)]
struct MarketFeed {
    subscribed: BTreeMap<String, (usize, Mode)>,
}

impl MarketFeed {
    fn counts(&self) -> HashMap<Mode, usize> {
        let mut counts = HashMap::new();
        for (_, mode) in self.subscribed.values() {
            *counts.entry(*mode).or_insert(0) += 1;
        }
        counts
    }

    /// True when `key` may move from `from` (none: a new key) to `to` within the limits.
    fn admits(counts: &HashMap<Mode, usize>, from: Option<Mode>, to: Mode) -> bool {
        let mut after = counts.clone();
        if let Some(from) = from
            && let Some(n) = after.get_mut(&from)
        {
            *n = n.saturating_sub(1);
        }
        *after.entry(to).or_insert(0) += 1;
        let combined = after.values().filter(|n| **n > 0).count() > 1;
        Mode::ALL
            .iter()
            .all(|mode| after.get(mode).copied().unwrap_or(0) <= mode.limit(combined))
    }

    /// Takes `keys` in `mode` within the limits (for a change of mode, only keys already
    /// subscribed); answers the keys taken.
    fn take(
        &mut self,
        link: &mut Registration,
        keys: &[String],
        mode: Mode,
        changing: bool,
    ) -> Vec<String> {
        let mut counts = self.counts();
        let mut taken = Vec::new();
        for key in keys {
            let current = self.subscribed.get(key).map(|(_, m)| *m);
            // `change_mode` of a key never subscribed is ignored; `sub` of one subscribed in
            // another mode moves it, as a mode change would.
            if changing && current.is_none() {
                continue;
            }
            let Some(index) = link.sim().universe.upstox_key_index(key) else {
                continue;
            };
            if current == Some(mode) {
                taken.push(key.clone());
                continue;
            }
            if !Self::admits(&counts, current, mode) {
                continue;
            }
            if let Some(from) = current
                && let Some(n) = counts.get_mut(&from)
            {
                *n = n.saturating_sub(1);
            }
            *counts.entry(mode).or_insert(0) += 1;
            self.subscribed.insert(key.clone(), (index, mode));
            link.stream(index);
            taken.push(key.clone());
        }
        taken
    }

    fn unsubscribe(&mut self, link: &mut Registration, keys: &[String]) {
        for key in keys {
            if let Some((index, _)) = self.subscribed.remove(key) {
                link.unstream(index);
            }
        }
    }

    /// A `FeedResponse` of `kind` for `keys`; each a tick (a trade) when `trade`, else the
    /// instrument as it stands.
    fn response<'k>(
        &self,
        link: &Registration,
        keys: impl Iterator<Item = &'k String>,
        kind: proto::Type,
        trade: bool,
    ) -> proto::FeedResponse {
        let sim = link.sim();
        let now = sim.now();
        let now_ms = stamp::epoch_millis(now);
        let mut feeds = HashMap::new();
        let mut inner = sim.lock();
        for key in keys {
            let Some(&(index, mode)) = self.subscribed.get(key) else {
                continue;
            };
            let Some(listing) = sim.universe.get(index) else {
                continue;
            };
            let snapshot = if trade {
                stream::tick(&mut inner.market, listing, now.unix_timestamp())
            } else {
                quote::snapshot(listing, inner.market.tape(listing))
            };
            feeds.insert(
                key.clone(),
                feed_of(listing, &snapshot, mode, &inner.market, now),
            );
        }
        proto::FeedResponse {
            r#type: kind as i32,
            feeds,
            current_ts: now_ms,
            market_info: None,
        }
    }
}

impl Feed for MarketFeed {
    const BROKER: SimBroker = SimBroker::Upstox;

    fn opening(&mut self, link: &mut Registration) -> Vec<Outgoing> {
        let segment_status = SEGMENTS
            .iter()
            .map(|s| ((*s).to_owned(), proto::MarketStatus::NormalOpen as i32))
            .collect();
        let info = proto::FeedResponse {
            r#type: proto::Type::MarketInfo as i32,
            feeds: HashMap::new(),
            current_ts: stamp::epoch_millis(link.sim().now()),
            market_info: Some(proto::MarketInfo { segment_status }),
        };
        vec![Outgoing::MarketData(info.encode_to_vec())]
    }

    fn on_message(&mut self, link: &mut Registration, payload: &[u8]) -> Vec<Outgoing> {
        // Upstox does not answer a request it cannot read; neither does the simulator.
        let Ok(request) = serde_json::from_slice::<ClientRequest>(payload) else {
            return Vec::new();
        };
        let keys = &request.data.instrument_keys;
        let mode = match request.data.mode.as_deref() {
            None => Some(Mode::Ltpc),
            Some(name) => Mode::named(name),
        };
        let taken = match (request.method.as_str(), mode) {
            ("sub", Some(mode)) => self.take(link, keys, mode, false),
            ("change_mode", Some(mode)) => self.take(link, keys, mode, true),
            ("unsub", _) => {
                self.unsubscribe(link, keys);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        if taken.is_empty() {
            return Vec::new();
        }
        let snapshot = self.response(link, taken.iter(), proto::Type::InitialFeed, false);
        vec![Outgoing::MarketData(snapshot.encode_to_vec())]
    }

    fn on_tick(&mut self, link: &mut Registration, frame: &mut Vec<u8>) -> bool {
        if self.subscribed.is_empty() {
            return false;
        }
        let live = self.response(link, self.subscribed.keys(), proto::Type::LiveFeed, true);
        live.encode(frame).is_ok()
    }

    fn ticks(&self) -> bool {
        true
    }

    fn keepalive(&self, link: &Registration) -> (Keepalive, Duration) {
        (Keepalive::Ping, link.sim().feeds.config.ping_interval)
    }

    fn garbage(&self) -> Option<&'static [u8]> {
        Some(GARBAGE)
    }

    fn on_update(&self, _update: &Update) -> Option<String> {
        None
    }
}

fn f64_of(count: u64) -> f64 {
    // Quantities are far below 2^53: exact as a double.
    count as f64
}

fn i64_of(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn ltpc(snapshot: &Snapshot) -> proto::Ltpc {
    let tape = &snapshot.tape;
    proto::Ltpc {
        ltp: tape.last.to_f64(),
        ltt: tape.last_trade_unix.saturating_mul(1000),
        ltq: i64::from(tape.last_quantity),
        cp: tape.close.to_f64(),
    }
}

fn quote_of(bid: &Level, ask: &Level) -> proto::Quote {
    proto::Quote {
        bid_q: i64_of(bid.quantity),
        bid_p: bid.price.to_f64(),
        ask_q: i64_of(ask.quantity),
        ask_p: ask.price.to_f64(),
    }
}

/// `levels` of depth, best first, on the same rule as the REST quote's five.
fn depth(listing: &Listing, last: Price, levels: u8) -> proto::MarketLevel {
    proto::MarketLevel {
        bid_ask_quote: (0..levels)
            .map(|rank| {
                quote_of(
                    &quote::level(listing, last, Side::Buy, rank),
                    &quote::level(listing, last, Side::Sell, rank),
                )
            })
            .collect(),
    }
}

/// The day's candle and the current minute's.
fn candles(snapshot: &Snapshot, market: &Market, now: OffsetDateTime) -> proto::MarketOhlc {
    let tape = &snapshot.tape;
    let minute = now.unix_timestamp() - now.unix_timestamp().rem_euclid(60);
    let last = tape.last.to_f64();
    proto::MarketOhlc {
        ohlc: vec![
            proto::Ohlc {
                interval: "1d".to_owned(),
                open: tape.open.to_f64(),
                high: tape.high.to_f64(),
                low: tape.low.to_f64(),
                close: last,
                vol: i64_of(tape.volume),
                ts: market.opened_unix().saturating_mul(1000),
            },
            proto::Ohlc {
                interval: "I1".to_owned(),
                open: last,
                high: last,
                low: last,
                close: last,
                vol: i64::from(tape.last_quantity),
                ts: minute.saturating_mul(1000),
            },
        ],
    }
}

/// An option's greeks and implied volatility: plausible figures derived from the instrument's
/// seed, steady through the day (not a pricing model); `None` for anything but an option.
fn greeks(listing: &Listing) -> Option<(proto::OptionGreeks, f64)> {
    let (_, option) = listing.instrument.option_terms()?;
    let seed = stable_hash(listing.seed, 4);
    let unit = |salt: u64, span: u64| f64_of((seed / salt) % span) / f64_of(span);
    let sign = match option {
        tt_core::OptionType::Call => 1.0,
        tt_core::OptionType::Put => -1.0,
    };
    let greeks = proto::OptionGreeks {
        delta: sign * (0.3 + 0.4 * unit(1, 1000)),
        theta: -(1.0 + 9.0 * unit(7, 1000)),
        gamma: 0.0002 + 0.0008 * unit(13, 1000),
        vega: 2.0 + 10.0 * unit(17, 1000),
        rho: sign * (0.5 + unit(19, 1000)),
    };
    Some((greeks, 10.0 + 15.0 * unit(23, 1000)))
}

/// One instrument's `Feed` in `mode`.
fn feed_of(
    listing: &Listing,
    snapshot: &Snapshot,
    mode: Mode,
    market: &Market,
    now: OffsetDateTime,
) -> proto::Feed {
    let last = snapshot.tape.last;
    let union = match mode {
        Mode::Ltpc => proto::FeedUnion::Ltpc(ltpc(snapshot)),
        Mode::Full | Mode::FullD30 if !listing.instrument.is_tradable() => {
            proto::FeedUnion::FullFeed(proto::FullFeed {
                full_feed_union: Some(proto::FullFeedUnion::IndexFf(proto::IndexFullFeed {
                    ltpc: Some(ltpc(snapshot)),
                    market_ohlc: Some(candles(snapshot, market, now)),
                })),
            })
        }
        Mode::Full | Mode::FullD30 => {
            let levels = if mode == Mode::FullD30 { 30 } else { 5 };
            let greeks = greeks(listing);
            proto::FeedUnion::FullFeed(proto::FullFeed {
                full_feed_union: Some(proto::FullFeedUnion::MarketFf(proto::MarketFullFeed {
                    ltpc: Some(ltpc(snapshot)),
                    market_level: Some(depth(listing, last, levels)),
                    option_greeks: greeks.map(|(g, _)| g),
                    market_ohlc: Some(candles(snapshot, market, now)),
                    atp: snapshot.average_price.to_f64(),
                    vtt: i64_of(snapshot.tape.volume),
                    oi: f64_of(snapshot.oi),
                    iv: greeks.map_or(0.0, |(_, iv)| iv),
                    tbq: f64_of(snapshot.buy_quantity),
                    tsq: f64_of(snapshot.sell_quantity),
                })),
            })
        }
        Mode::OptionGreeks => {
            let greeks = greeks(listing);
            let first = match (snapshot.depth.buy.first(), snapshot.depth.sell.first()) {
                (Some(bid), Some(ask)) => Some(quote_of(bid, ask)),
                _ => None,
            };
            proto::FeedUnion::FirstLevelWithGreeks(proto::FirstLevelWithGreeks {
                ltpc: Some(ltpc(snapshot)),
                first_depth: first,
                option_greeks: greeks.map(|(g, _)| g),
                vtt: i64_of(snapshot.tape.volume),
                oi: f64_of(snapshot.oi),
                iv: greeks.map_or(0.0, |(_, iv)| iv),
            })
        }
    };
    proto::Feed {
        feed_union: Some(union),
        request_mode: mode.request_mode() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_tighten_when_modes_are_combined() {
        let mut counts = HashMap::new();
        counts.insert(Mode::Ltpc, 2000);
        assert!(MarketFeed::admits(&counts, None, Mode::Full));
        counts.insert(Mode::Ltpc, 2001);
        assert!(MarketFeed::admits(&counts, None, Mode::Ltpc));
        assert!(
            !MarketFeed::admits(&counts, None, Mode::Full),
            "a second mode would put ltpc over its combined 2000"
        );
        counts.insert(Mode::Ltpc, 5000);
        assert!(!MarketFeed::admits(&counts, None, Mode::Ltpc));
        let mut d30 = HashMap::new();
        d30.insert(Mode::FullD30, 50);
        assert!(!MarketFeed::admits(&d30, None, Mode::FullD30));
    }
}
