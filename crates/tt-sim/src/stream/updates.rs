//! Order and position updates for the feeds that carry them (Kite's ticker, Upstox's portfolio
//! feed): after every change to the simulator (each request, each price move) the books are
//! compared with what was last published, and each new step of an order's history (and, at
//! Upstox, each position whose quantities moved) goes out to the sockets taking that broker's
//! updates, rendered by the broker's own order and position shapes so stream and REST agree.
//!
//! An order's history only grows (every change is a new state), so its length is all that
//! needs remembering; a position changes only by fills, which move its bought or sold units.

use crate::SimBroker;
use crate::sim::{Inner, Sim};
use crate::stream::{Published, Update, UpdateKind};
use crate::tracked::Keyed;
use crate::{kite, upstox};

/// What the broker's book holds now, as if it had all been published.
pub(crate) fn baseline(inner: &Inner, broker: SimBroker) -> Published {
    let account = &inner.desk(broker).account;
    Published {
        orders: account
            .orders
            .iter()
            .map(|o| (o.id().to_owned(), o.history.len()))
            .collect(),
        positions: account
            .positions
            .iter()
            .map(|p| (p.key(), (p.buy_quantity, p.sell_quantity)))
            .collect(),
    }
}

/// Publishes what changed in each broker's book since the last publication, to the sockets
/// taking updates (nothing is compared while no socket takes a broker's updates).
pub(crate) fn publish(sim: &Sim, inner: &Inner) {
    for broker in SimBroker::ALL {
        let mut out = Vec::new();
        {
            let mut state = sim.feeds.state();
            if state.watchers(broker) == 0 {
                continue;
            }
            let Some(published) = state.published.get_mut(broker.index()) else {
                continue;
            };
            let account = &inner.desk(broker).account;
            for order in account.orders.iter() {
                let seen = published.orders.entry(order.id().to_owned()).or_insert(0);
                let steps = order.history.len();
                for (step, state) in order.history.iter().enumerate().skip(*seen) {
                    let text = match broker {
                        SimBroker::Kite => kite::ticker::order_message(state, &sim.app.user_id),
                        SimBroker::Upstox => {
                            upstox::portfolio_feed::order_message(state, step + 1, &sim.app.user_id)
                        }
                    };
                    if let Some(text) = text {
                        out.push(Update {
                            kind: UpdateKind::Order,
                            text,
                        });
                    }
                }
                *seen = steps;
            }
            if broker == SimBroker::Upstox {
                for position in account.positions.iter() {
                    let now = (position.buy_quantity, position.sell_quantity);
                    let before = published.positions.insert(position.key(), now);
                    if before != Some(now)
                        && let Some(text) =
                            upstox::portfolio_feed::position_message(sim, inner, position)
                    {
                        out.push(Update {
                            kind: UpdateKind::Position,
                            text,
                        });
                    }
                }
            }
        }
        for update in out {
            sim.feeds.publish(broker, update);
        }
    }
}
