//! Reconnect delays: exponential from the first delay to the cap, with jitter so that many
//! clients dropped at once do not return at once.

use std::time::Duration;

use tt_core::FeedOptions;

/// The delay before reconnect attempt `attempt` (from 1): `initial × 2^(attempt−1)`, capped,
/// then a random point in its upper half.
pub(crate) fn reconnect_delay(options: &FeedOptions, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(30);
    let full = options
        .reconnect_initial
        .saturating_mul(1u32 << doublings)
        .min(options.reconnect_max);
    let half = full / 2;
    let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(fastrand::u64(0..=jitter_nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(initial_ms: u64, max_ms: u64) -> FeedOptions {
        FeedOptions {
            reconnect_initial: Duration::from_millis(initial_ms),
            reconnect_max: Duration::from_millis(max_ms),
            ..FeedOptions::default()
        }
    }

    #[test]
    fn delays_double_within_their_jitter_and_stop_at_the_cap() {
        let options = options(100, 1_000);
        for (attempt, full_ms) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1_000),
            (40, 1_000),
        ] {
            for _ in 0..50 {
                let delay = reconnect_delay(&options, attempt);
                let full = Duration::from_millis(full_ms);
                assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
            }
        }
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let options = options(500, 30_000);
        assert!(reconnect_delay(&options, u32::MAX) <= Duration::from_secs(30));
    }
}
