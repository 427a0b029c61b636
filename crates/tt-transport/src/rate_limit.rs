//! A client-side rate limiter per endpoint class, so a burst of calls queues instead of drawing
//! HTTP 429s.
//!
//! Each class allows at most `per_second` calls in any window of a second (a second plus a small
//! margin, since the broker counts calendar seconds on its own clock and arrivals jitter) and,
//! optionally, `per_minute` calls in any minute and `n` calls in any window of another length
//! (Upstox also counts per 30 minutes). A caller over the limit waits; nothing is dropped.
//!
//! Slots are handed out first come, first served: a caller reserves the earliest slot the
//! windows allow, after every slot already reserved, under one lock, and then sleeps until it.
//! No waiter can be overtaken by a later one, and no wake-up races for a slot. (A GCRA such as
//! `governor`'s would let a full burst through and then one call per 1/N s, which breaks "N in
//! any second" at the burst's edge, and its waiters re-poll rather than queue.) A caller that
//! gives up while waiting leaves its slot unused, which only ever errs on the side of fewer
//! calls. Placing orders and changing them (modify, cancel) are separate classes, so a cancel is
//! never queued behind a burst of placements.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The endpoint classes a broker's limits are given for. Every call names one, so no call can
/// fall through to an unlimited class by a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// Market quotes (Kite: 1 per second).
    Quote,
    /// Historical candles (Kite: 3 per second).
    Historical,
    /// Placing an order (Kite: 10 per second, and a cap per minute).
    OrderPlace,
    /// Modifying or cancelling an order: kept apart from placements so a cancel never waits
    /// behind a burst of them.
    OrderChange,
    /// Every other call.
    Other,
}

impl RateClass {
    /// Every class, in index order.
    const ALL: [RateClass; 5] = [
        RateClass::Quote,
        RateClass::Historical,
        RateClass::OrderPlace,
        RateClass::OrderChange,
        RateClass::Other,
    ];

    const fn index(self) -> usize {
        match self {
            RateClass::Quote => 0,
            RateClass::Historical => 1,
            RateClass::OrderPlace => 2,
            RateClass::OrderChange => 3,
            RateClass::Other => 4,
        }
    }
}

/// The limits of one endpoint class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed in any one second.
    pub per_second: NonZeroU32,
    /// Calls allowed in any one minute, if capped.
    pub per_minute: Option<NonZeroU32>,
    /// Calls allowed in any window of the given length, if capped (Upstox: 2000 in 30 minutes).
    pub per_window: Option<(Duration, NonZeroU32)>,
}

impl RateLimit {
    /// `n` calls a second, no minute cap.
    pub const fn per_second(n: NonZeroU32) -> RateLimit {
        RateLimit {
            per_second: n,
            per_minute: None,
            per_window: None,
        }
    }

    /// Adds a cap of `n` calls a minute.
    #[must_use]
    pub const fn and_per_minute(mut self, n: NonZeroU32) -> RateLimit {
        self.per_minute = Some(n);
        self
    }

    /// Adds a cap of `n` calls in any `window` (a window no longer than a second adds nothing
    /// the per-second cap does not already say, but is honoured all the same).
    ///
    /// ```
    /// use std::num::NonZeroU32;
    /// use std::time::Duration;
    /// use tt_transport::RateLimit;
    ///
    /// let n = |n| NonZeroU32::new(n).unwrap();
    /// let upstox_orders = RateLimit::per_second(n(10))
    ///     .and_per_minute(n(500))
    ///     .and_per(Duration::from_secs(30 * 60), n(2000));
    /// assert_eq!(upstox_orders.per_window, Some((Duration::from_secs(1800), n(2000))));
    /// ```
    #[must_use]
    pub const fn and_per(mut self, window: Duration, n: NonZeroU32) -> RateLimit {
        self.per_window = Some((window, n));
        self
    }

    /// How long a slot counts in some window.
    fn longest_window(&self) -> Duration {
        let mut keep = SECOND_WINDOW;
        if self.per_minute.is_some() {
            keep = MINUTE_WINDOW;
        }
        if let Some((window, _)) = self.per_window
            && window > keep
        {
            keep = window;
        }
        keep
    }
}

/// How much longer than a second the short window is: covers the broker's clock and arrival
/// jitter, so N calls the client spaced a "second" apart never land in one broker second.
const SECOND_WINDOW: Duration = Duration::from_millis(1_050);
const MINUTE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Window {
    limit: RateLimit,
    /// Slots handed out, in order; the last ones may lie in the future (reserved by waiters).
    reserved: Mutex<VecDeque<Instant>>,
}

impl Window {
    fn new(limit: RateLimit) -> Window {
        Window {
            limit,
            reserved: Mutex::new(VecDeque::new()),
        }
    }

    /// Reserves the earliest slot at or after `now` that keeps every window within its limit
    /// and comes after every slot reserved before; returns it.
    fn reserve(&self, now: Instant) -> Instant {
        let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        let keep = self.limit.longest_window();
        // Slots this old no longer count in any window that can hold a new one.
        while reserved
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= keep)
        {
            reserved.pop_front();
        }
        let mut slot = reserved.back().map_or(now, |&last| last.max(now));
        // Slots are in order, so the window ending at `slot` is full exactly when the slot `n`
        // back is still inside it.
        let mut after = |n: NonZeroU32, window: Duration| {
            let n = n.get() as usize;
            if let Some(&t) = reserved.len().checked_sub(n).and_then(|i| reserved.get(i)) {
                slot = slot.max(t + window);
            }
        };
        after(self.limit.per_second, SECOND_WINDOW);
        if let Some(per_minute) = self.limit.per_minute {
            after(per_minute, MINUTE_WINDOW);
        }
        if let Some((window, n)) = self.limit.per_window {
            after(n, window);
        }
        reserved.push_back(slot);
        slot
    }
}

/// Rate limits per endpoint class, shared by every call of one broker client.
///
/// ```
/// use std::num::NonZeroU32;
/// use tt_transport::{RateClass, RateLimit, RateLimiter};
///
/// let ten = NonZeroU32::new(10).unwrap();
/// let limiter = RateLimiter::new([
///     (RateClass::OrderPlace, RateLimit::per_second(ten)),
///     (RateClass::OrderChange, RateLimit::per_second(ten)),
/// ]);
/// # drop(limiter);
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    windows: [Option<Window>; RateClass::ALL.len()],
}

impl RateLimiter {
    /// A limiter with the given limit per class. A class not listed is not limited; a class
    /// listed twice keeps its last limit.
    pub fn new(limits: impl IntoIterator<Item = (RateClass, RateLimit)>) -> RateLimiter {
        let mut limiter = RateLimiter::unlimited();
        for (class, limit) in limits {
            if let Some(window) = limiter.windows.get_mut(class.index()) {
                *window = Some(Window::new(limit));
            }
        }
        limiter
    }

    /// A limiter that limits nothing.
    pub fn unlimited() -> RateLimiter {
        RateLimiter {
            windows: RateClass::ALL.map(|_| None),
        }
    }

    /// Waits until a call of `class` may go out, in arrival order, and counts it.
    pub async fn acquire(&self, class: RateClass) {
        let Some(Some(window)) = self.windows.get(class.index()) else {
            return;
        };
        let slot = window.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_spread_over_seconds() {
        let limiter = RateLimiter::new([
            (RateClass::Quote, RateLimit::per_second(nz(1))),
            (RateClass::OrderPlace, RateLimit::per_second(nz(10))),
        ]);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire(RateClass::Quote).await;
        }
        // Three quote calls at one a second: the third waits two windows.
        assert_eq!(start.elapsed(), SECOND_WINDOW * 2);
        let start = Instant::now();
        for _ in 0..25 {
            limiter.acquire(RateClass::OrderPlace).await;
        }
        assert_eq!(start.elapsed(), SECOND_WINDOW * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn any_second_window_holds_at_most_the_limit() {
        let limiter = RateLimiter::new([(RateClass::OrderPlace, RateLimit::per_second(nz(10)))]);
        let mut times = Vec::new();
        for _ in 0..50 {
            limiter.acquire(RateClass::OrderPlace).await;
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
            RateClass::OrderPlace,
            RateLimit::per_second(nz(10)).and_per_minute(nz(15)),
        )]);
        let start = Instant::now();
        for _ in 0..16 {
            limiter.acquire(RateClass::OrderPlace).await;
        }
        // 15 go within two seconds; the 16th waits for the first to leave the minute.
        assert_eq!(start.elapsed(), MINUTE_WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn a_longer_window_caps_too() {
        let half_hour = Duration::from_secs(30 * 60);
        let limiter = RateLimiter::new([(
            RateClass::OrderPlace,
            RateLimit::per_second(nz(10))
                .and_per_minute(nz(15))
                .and_per(half_hour, nz(20)),
        )]);
        let start = Instant::now();
        for _ in 0..20 {
            limiter.acquire(RateClass::OrderPlace).await;
        }
        // 15 in the first minute, 5 more once the first slots leave it.
        assert_eq!(start.elapsed(), MINUTE_WINDOW);
        limiter.acquire(RateClass::OrderPlace).await;
        // The 21st waits for the first to leave the half hour.
        assert_eq!(start.elapsed(), half_hour);
    }

    #[test]
    fn the_slots_kept_are_those_of_the_longest_window() {
        let limit = RateLimit::per_second(nz(1));
        assert_eq!(limit.longest_window(), SECOND_WINDOW);
        assert_eq!(limit.and_per_minute(nz(5)).longest_window(), MINUTE_WINDOW);
        let hour = Duration::from_secs(3600);
        assert_eq!(limit.and_per(hour, nz(5)).longest_window(), hour);
    }

    /// One slot a second, taken at 0. `early` asks at 0.5 s and must wait for the slot at
    /// 1.05 s; `late` asks at exactly 1.05 s, when that slot frees. The slot is `early`'s: a
    /// newcomer never takes it from a caller already waiting.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_caller_is_never_overtaken_by_a_later_one() {
        let limiter = Arc::new(RateLimiter::new([(
            RateClass::Other,
            RateLimit::per_second(nz(1)),
        )]));
        let start = Instant::now();
        limiter.acquire(RateClass::Other).await;
        let served = Arc::new(Mutex::new(Vec::new()));
        let caller = |name: &'static str, arrives: Duration| {
            let (limiter, served) = (Arc::clone(&limiter), Arc::clone(&served));
            tokio::spawn(async move {
                tokio::time::sleep_until(start + arrives).await;
                limiter.acquire(RateClass::Other).await;
                served.lock().unwrap().push((name, start.elapsed()));
            })
        };
        let late = caller("late", SECOND_WINDOW);
        let early = caller("early", Duration::from_millis(500));
        early.await.unwrap();
        late.await.unwrap();
        assert_eq!(
            *served.lock().unwrap(),
            vec![("early", SECOND_WINDOW), ("late", SECOND_WINDOW * 2)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancel_is_never_queued_behind_a_burst_of_placements() {
        let ten = RateLimit::per_second(nz(10));
        let limiter = Arc::new(RateLimiter::new([
            (RateClass::OrderPlace, ten.and_per_minute(nz(400))),
            (RateClass::OrderChange, ten),
        ]));
        let start = Instant::now();
        let mut placements = Vec::new();
        for _ in 0..50 {
            let limiter = Arc::clone(&limiter);
            placements.push(tokio::spawn(async move {
                limiter.acquire(RateClass::OrderPlace).await;
            }));
        }
        tokio::task::yield_now().await;
        limiter.acquire(RateClass::OrderChange).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        for placement in placements {
            placement.await.unwrap();
        }
        // The burst itself still keeps to ten a second.
        assert_eq!(start.elapsed(), SECOND_WINDOW * 4);
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_classes_are_not_limited() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire(RateClass::Other).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
