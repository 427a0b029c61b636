//! The optional price walk ([`PriceWalk`]): a task that, every tick interval, moves each
//! instrument some feed streams by a seeded random number of whole ticks, through the same
//! path as `set_price`, so the books fill as the walk reaches resting orders.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tt_core::Price;

use super::PriceWalk;
use crate::sim::Sim;

/// Walks the streamed instruments' prices every `interval` until `stop` changes.
pub(crate) async fn run(
    sim: Arc<Sim>,
    walk: PriceWalk,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut rng = fastrand::Rng::with_seed(walk.seed);
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let reach = i64::from(walk.step_ticks);
    loop {
        tokio::select! {
            _ = timer.tick() => {}
            _ = stop.changed() => return,
        }
        let streamed = sim.feeds.streamed();
        if streamed.is_empty() || reach == 0 {
            continue;
        }
        let moves: Vec<(usize, i64)> = streamed
            .into_iter()
            .map(|listing| (listing, rng.i64(-reach..=reach)))
            .collect();
        sim.walk_prices(&moves);
        sim.persist();
    }
}

/// `last` moved by `ticks` steps of `step`, never below one step.
pub(crate) fn walked(last: Price, step: Price, ticks: i64) -> Price {
    step.mantissa()
        .checked_mul(ticks)
        .and_then(|delta| last.mantissa().checked_add(delta))
        .and_then(Price::from_mantissa)
        .filter(|p| p.is_positive())
        .unwrap_or(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_moves_in_whole_ticks_and_never_below_one() {
        let step: Price = "0.05".parse().unwrap_or(Price::ZERO);
        let last: Price = "100".parse().unwrap_or(Price::ZERO);
        assert_eq!(walked(last, step, 3).to_string(), "100.15");
        assert_eq!(walked(last, step, -2).to_string(), "99.9");
        assert_eq!(walked(step, step, -5), step);
    }
}
