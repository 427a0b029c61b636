//! A client-side rate limiter per endpoint class, so a burst of calls queues instead of drawing
//! HTTP 429s.
//!
//! Each class allows at most `per_second` calls in any window of a second (a second plus a small
//! margin, since the broker counts calendar seconds on its own clock and arrivals jitter) and,
//! optionally, `per_minute` calls in any minute. A caller over the limit waits for the earliest
//! slot; nothing is dropped.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The limits of one endpoint class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed in any one second.
    pub per_second: NonZeroU32,
    /// Calls allowed in any one minute, if capped.
    pub per_minute: Option<NonZeroU32>,
}

impl RateLimit {
    /// `n` calls a second, no minute cap.
    pub const fn per_second(n: NonZeroU32) -> RateLimit {
        RateLimit {
            per_second: n,
            per_minute: None,
        }
    }

    /// Adds a cap of `n` calls a minute.
    #[must_use]
    pub const fn and_per_minute(mut self, n: NonZeroU32) -> RateLimit {
        self.per_minute = Some(n);
        self
    }
}

/// How much longer than a second the short window is: covers the broker's clock and arrival
/// jitter, so N calls the client spaced a "second" apart never land in one broker second.
const SECOND_WINDOW: Duration = Duration::from_millis(1_050);
const MINUTE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Window {
    limit: RateLimit,
    granted: Mutex<VecDeque<Instant>>,
}

impl Window {
    /// Takes a slot now, or says how long to wait for one.
    fn try_take(&self, now: Instant) -> Option<Duration> {
        let mut granted = self.granted.lock().unwrap_or_else(|p| p.into_inner());
        let keep = if self.limit.per_minute.is_some() {
            MINUTE_WINDOW
        } else {
            SECOND_WINDOW
        };
        while granted
            .front()
            .is_some_and(|&t| now.duration_since(t) >= keep)
        {
            granted.pop_front();
        }
        let per_second = self.limit.per_second.get() as usize;
        let in_second = granted
            .iter()
            .rev()
            .take_while(|&&t| now.duration_since(t) < SECOND_WINDOW)
            .count();
        let mut wait = Duration::ZERO;
        if in_second >= per_second {
            // The call `per_second` back must age out of the short window.
            if let Some(&t) = granted.get(granted.len() - per_second) {
                wait = wait.max(SECOND_WINDOW.saturating_sub(now.duration_since(t)));
            }
        }
        if let Some(per_minute) = self.limit.per_minute {
            let per_minute = per_minute.get() as usize;
            if granted.len() >= per_minute
                && let Some(&t) = granted.get(granted.len() - per_minute)
            {
                wait = wait.max(MINUTE_WINDOW.saturating_sub(now.duration_since(t)));
            }
        }
        if wait.is_zero() {
            granted.push_back(now);
            None
        } else {
            Some(wait)
        }
    }
}

/// Rate limits per endpoint class, shared by every call of one broker client.
#[derive(Debug)]
pub struct RateLimiter {
    classes: HashMap<&'static str, Window>,
}

impl RateLimiter {
    /// A limiter with the given limit per class. Calls of a class not listed are not limited.
    pub fn new(limits: impl IntoIterator<Item = (&'static str, RateLimit)>) -> RateLimiter {
        RateLimiter {
            classes: limits
                .into_iter()
                .map(|(class, limit)| {
                    (
                        class,
                        Window {
                            limit,
                            granted: Mutex::new(VecDeque::new()),
                        },
                    )
                })
                .collect(),
        }
    }

    /// A limiter that limits nothing.
    pub fn unlimited() -> RateLimiter {
        RateLimiter {
            classes: HashMap::new(),
        }
    }

    /// Waits until a call of `class` may go out, and counts it.
    pub async fn acquire(&self, class: &str) {
        let Some(window) = self.classes.get(class) else {
            return;
        };
        while let Some(wait) = window.try_take(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_spread_over_seconds() {
        let limiter = RateLimiter::new([
            ("quote", RateLimit::per_second(nz(1))),
            ("order", RateLimit::per_second(nz(10))),
        ]);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire("quote").await;
        }
        // Three quote calls at one a second: the third waits two windows.
        assert_eq!(start.elapsed(), SECOND_WINDOW * 2);
        let start = Instant::now();
        for _ in 0..25 {
            limiter.acquire("order").await;
        }
        assert_eq!(start.elapsed(), SECOND_WINDOW * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn any_second_window_holds_at_most_the_limit() {
        let limiter = RateLimiter::new([("order", RateLimit::per_second(nz(10)))]);
        let mut times = Vec::new();
        for _ in 0..50 {
            limiter.acquire("order").await;
            times.push(Instant::now());
        }
        for (i, &t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|&&u| u.duration_since(t) < SECOND_WINDOW)
                .count();
            assert!(
                in_window <= 10,
                "{in_window} calls in one window from call {i}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_minute_cap_holds_too() {
        let limiter = RateLimiter::new([(
            "order",
            RateLimit::per_second(nz(10)).and_per_minute(nz(15)),
        )]);
        let start = Instant::now();
        for _ in 0..16 {
            limiter.acquire("order").await;
        }
        // 15 go within two seconds; the 16th waits for the first to leave the minute.
        assert_eq!(start.elapsed(), MINUTE_WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_classes_are_not_limited() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire("anything").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
