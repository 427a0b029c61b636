//! Upstox's portfolio stream feed: `GET /v2/feed/portfolio-stream-feed/authorize` (a
//! single-use `authorized_redirect_uri`), and the WebSocket at
//! `/v2/feed/portfolio-stream-feed?update_types=order%2Cposition%2Cholding%2Cgtt_order`, opened
//! with that URI's `code` or directly with the `Authorization: Bearer` header.
//!
//! `update_types` defaults to `order`. Each change to an order in the Upstox book pushes a text
//! frame holding the order-book row (`GET /v2/order/retrieve-all`'s shape) with
//! `update_type: "order"`, `user_id`, `userId` and `instrument_key`; with `position` requested,
//! each change to a position pushes the positions row with `update_type: "position"` and
//! `instrument_key`. The simulator's holdings and GTT orders change no other way than by
//! fills, so `holding` and `gtt_order` are accepted and push nothing. The client sends
//! nothing; idle sockets get WebSocket pings.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use serde::Serialize;

use super::orders::order_wire;
use super::portfolio::position;
use super::session::{authorize_feed, open_feed};
use super::wire::{self, UpstoxError};
use crate::account::PositionRecord;
use crate::account::order::OrderState;
use crate::form::{self, Form};
use crate::reply::Reply;
use crate::sim::{Inner, Sim};
use crate::stream::session::{Feed, Keepalive, Outgoing};
use crate::stream::{FeedKind, Registration, Update, UpdateKind};
use crate::{SimBroker, call::Call};

/// The feed's path.
pub(crate) const PATH: &str = "/v2/feed/portfolio-stream-feed";

/// The update types asked for: `order` when none are named; unknown names are ignored.
fn update_types(params: &Form) -> BTreeSet<UpdateKind> {
    let named: Vec<&str> = params
        .value("update_types")
        .map(|text| text.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut kinds: BTreeSet<UpdateKind> = named
        .iter()
        .filter_map(|name| match *name {
            "order" => Some(UpdateKind::Order),
            "position" => Some(UpdateKind::Position),
            _ => None,
        })
        .collect();
    if named.iter().all(|n| n.is_empty()) {
        kinds.insert(UpdateKind::Order);
    }
    kinds
}

/// `GET /v2/feed/portfolio-stream-feed/authorize?update_types=...`.
pub(crate) fn authorize_portfolio(
    sim: &Sim,
    call: &Call,
    access_token: &str,
) -> Result<Reply, UpstoxError> {
    let params = call.query_form().map_err(super::bad_encoding)?;
    let extra = params
        .value("update_types")
        .map(|types| format!("&update_types={}", form::encode(types)))
        .unwrap_or_default();
    Ok(authorize_feed(
        sim,
        access_token,
        FeedKind::UpstoxPortfolio,
        PATH,
        &extra,
    ))
}

/// Answers a portfolio feed handshake: the upgrade, or 401.
pub(crate) fn open(sim: &Arc<Sim>, request: &mut Request<Incoming>) -> Reply {
    open_feed(sim, request, FeedKind::UpstoxPortfolio, |params| {
        PortfolioFeed {
            wanted: update_types(params),
        }
    })
}

/// One socket's update types.
#[derive(Debug)]
struct PortfolioFeed {
    wanted: BTreeSet<UpdateKind>,
}

impl Feed for PortfolioFeed {
    const BROKER: SimBroker = SimBroker::Upstox;

    fn opening(&mut self, _link: &mut Registration) -> Vec<Outgoing> {
        Vec::new()
    }

    fn on_message(&mut self, _link: &mut Registration, _payload: &[u8]) -> Vec<Outgoing> {
        // The portfolio feed takes no requests.
        Vec::new()
    }

    fn on_tick(&mut self, _link: &mut Registration, _frame: &mut Vec<u8>) -> bool {
        false
    }

    fn ticks(&self) -> bool {
        false
    }

    fn keepalive(&self, link: &Registration) -> (Keepalive, Duration) {
        (Keepalive::Ping, link.sim().feeds.config.ping_interval)
    }

    fn garbage(&self) -> Option<&'static [u8]> {
        None
    }

    fn on_update(&self, update: &Update) -> Option<String> {
        self.wanted
            .contains(&update.kind)
            .then(|| update.text.clone())
    }
}

/// The order update for one step of an order's history (Upstox pushes every step, from
/// `put order req received` on).
pub(crate) fn order_message(state: &OrderState, step: usize, user_id: &str) -> Option<String> {
    #[derive(Serialize)]
    struct Message<'a> {
        update_type: &'static str,
        user_id: &'a str,
        #[serde(rename = "userId")]
        user_id_camel: &'a str,
        instrument_key: &'a str,
        #[serde(flatten)]
        order: wire::Order<'a>,
    }
    serde_json::to_string(&Message {
        update_type: "order",
        user_id,
        user_id_camel: user_id,
        instrument_key: &state.instrument.token,
        order: order_wire(state, step),
    })
    .ok()
}

/// The position update for a position as it is now.
pub(crate) fn position_message(
    sim: &Sim,
    inner: &Inner,
    record: &PositionRecord,
) -> Option<String> {
    #[derive(Serialize)]
    struct Message<'a> {
        update_type: &'static str,
        instrument_key: &'a str,
        #[serde(flatten)]
        position: wire::Position<'a>,
    }
    serde_json::to_string(&Message {
        update_type: "position",
        instrument_key: &record.instrument.token,
        position: position(sim, inner, record),
    })
    .ok()
}
