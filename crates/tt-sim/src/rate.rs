//! Rate limits: requests per calendar second, minute and half hour by endpoint class, counted
//! on the simulator's clock, one limiter per broker. Each broker's module says which class a
//! call is (Kite: [`RateClass::of`]; Upstox: orders or standard).

use std::collections::HashMap;
use std::num::NonZeroU32;

use http::Method;
use time::OffsetDateTime;

use crate::RateLimits;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateClass {
    /// `/quote`, `/quote/ohlc`, `/quote/ltp`.
    Quote,
    /// `/instruments/historical/...`.
    Historical,
    /// Placing, modifying or cancelling an order.
    Orders,
    /// Everything else.
    Other,
}

impl RateClass {
    /// The class of a Kite call, by its method and path alone (as a gateway sees it).
    pub(crate) fn of(method: &Method, path: &str) -> RateClass {
        if path == "/quote" || path.starts_with("/quote/") {
            RateClass::Quote
        } else if path.starts_with("/instruments/historical/") {
            RateClass::Historical
        } else if path.starts_with("/orders/")
            && matches!(*method, Method::POST | Method::PUT | Method::DELETE)
        {
            RateClass::Orders
        } else {
            RateClass::Other
        }
    }

    const fn slot(self) -> usize {
        match self {
            RateClass::Quote => 0,
            RateClass::Historical => 1,
            RateClass::Orders => 2,
            RateClass::Other => 3,
        }
    }
}

/// One window's counts per class: the window's number and a count per class.
#[derive(Debug, Clone, Copy)]
struct Window {
    number: i64,
    counts: [u32; 4],
}

impl Window {
    const FRESH: Window = Window {
        number: i64::MIN,
        counts: [0; 4],
    };

    /// Moves to window `number`, starting the counts afresh when it is a new one.
    fn roll(&mut self, number: i64) {
        if number != self.number {
            *self = Window {
                number,
                counts: [0; 4],
            };
        }
    }

    fn count(&self, class: RateClass) -> u32 {
        self.counts.get(class.slot()).copied().unwrap_or(0)
    }

    fn full(&self, class: RateClass, limit: Option<NonZeroU32>) -> bool {
        limit.is_some_and(|limit| self.count(class) >= limit.get())
    }

    fn add(&mut self, class: RateClass) {
        if let Some(slot) = self.counts.get_mut(class.slot()) {
            *slot += 1;
        }
    }
}

/// The counts of the current calendar second, minute and half hour.
#[derive(Debug, Clone)]
struct Counts {
    second: Window,
    minute: Window,
    half_hour: Window,
}

impl Counts {
    const FRESH: Counts = Counts {
        second: Window::FRESH,
        minute: Window::FRESH,
        half_hour: Window::FRESH,
    };

    /// True when a request of `class` at `now` is within `limits`; it is then counted.
    fn admit(&mut self, limits: &RateLimits, class: RateClass, now: OffsetDateTime) -> bool {
        let second = now.unix_timestamp();
        self.second.roll(second);
        // IST is UTC+05:30, a whole number of half hours from UTC, so UTC minutes and half
        // hours are IST ones.
        self.minute.roll(second.div_euclid(60));
        self.half_hour.roll(second.div_euclid(30 * 60));
        let (per_second, per_minute, per_half_hour) = match class {
            RateClass::Quote => (limits.quote_per_second, None, None),
            RateClass::Historical => (limits.historical_per_second, None, None),
            RateClass::Orders => (
                limits.orders_per_second,
                limits.orders_per_minute,
                limits.orders_per_30_minutes,
            ),
            RateClass::Other => (
                limits.other_per_second,
                limits.other_per_minute,
                limits.other_per_30_minutes,
            ),
        };
        if self.second.full(class, per_second)
            || self.minute.full(class, per_minute)
            || self.half_hour.full(class, per_half_hour)
        {
            return false;
        }
        self.second.add(class);
        self.minute.add(class);
        self.half_hour.add(class);
        true
    }
}

/// One broker's counts: by class, and, for a broker that limits each API on its own (Upstox's
/// standard APIs), by API too.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    by_class: Counts,
    /// Per API (its path), for calls counted with [`RateLimiter::admit_api`].
    by_api: HashMap<&'static str, Counts>,
}

impl RateLimiter {
    /// A limiter enforcing `limits`.
    pub(crate) fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            by_class: Counts::FRESH,
            by_api: HashMap::new(),
        }
    }

    /// Enforces `limits` from now on, with fresh counts.
    pub(crate) fn set_limits(&mut self, limits: RateLimits) {
        *self = RateLimiter::new(limits);
    }

    /// True when a request of `class` at `now` is within the limits; it is then counted.
    pub(crate) fn admit(&mut self, class: RateClass, now: OffsetDateTime) -> bool {
        self.by_class.admit(&self.limits, class, now)
    }

    /// As [`RateLimiter::admit`], the class's limits applying to each `api` apart (one of the
    /// broker's routes: the set is fixed, so the counts stay bounded).
    pub(crate) fn admit_api(
        &mut self,
        class: RateClass,
        api: &'static str,
        now: OffsetDateTime,
    ) -> bool {
        self.by_api
            .entry(api)
            .or_insert(Counts::FRESH)
            .admit(&self.limits, class, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;
    use time::macros::datetime;

    #[test]
    fn limits_reset_each_calendar_second() {
        let mut limiter = RateLimiter::new(RateLimits::KITE);
        let at = datetime!(2026-11-24 04:00:00.100 UTC);
        assert!(limiter.admit(RateClass::Quote, at));
        assert!(!limiter.admit(RateClass::Quote, at + time::Duration::milliseconds(800)));
        assert!(limiter.admit(RateClass::Quote, at + time::Duration::milliseconds(900)));
        for _ in 0..10 {
            assert!(limiter.admit(RateClass::Other, at));
        }
        assert!(!limiter.admit(RateClass::Other, at));
    }

    #[test]
    fn orders_have_a_minute_cap_too() {
        let mut limiter = RateLimiter::new(RateLimits {
            orders_per_minute: NonZeroU32::new(3),
            ..RateLimits::KITE
        });
        let at = datetime!(2026-11-24 04:00:00 UTC);
        for s in 0..3 {
            assert!(limiter.admit(RateClass::Orders, at + time::Duration::seconds(s)));
        }
        assert!(!limiter.admit(RateClass::Orders, at + time::Duration::seconds(59)));
        assert!(limiter.admit(RateClass::Orders, at + time::Duration::seconds(60)));
    }

    #[test]
    fn half_hour_caps_hold_across_minutes() {
        let mut limiter = RateLimiter::new(RateLimits {
            other_per_30_minutes: NonZeroU32::new(2),
            ..RateLimits::UPSTOX
        });
        // 10:00 IST is 04:30 UTC: a half hour starts.
        let at = datetime!(2026-11-24 04:30:00 UTC);
        assert!(limiter.admit(RateClass::Other, at));
        assert!(limiter.admit(RateClass::Other, at + time::Duration::minutes(5)));
        assert!(!limiter.admit(RateClass::Other, at + time::Duration::minutes(29)));
        assert!(limiter.admit(RateClass::Orders, at + time::Duration::minutes(29)));
        assert!(limiter.admit(RateClass::Other, at + time::Duration::minutes(30)));
    }

    #[test]
    fn each_api_has_its_own_counts() {
        let mut limiter = RateLimiter::new(RateLimits {
            other_per_second: NonZeroU32::new(2),
            ..RateLimits::UPSTOX
        });
        let at = datetime!(2026-11-24 04:30:00 UTC);
        for _ in 0..2 {
            assert!(limiter.admit_api(RateClass::Other, "/v2/market-quote/ltp", at));
        }
        assert!(!limiter.admit_api(RateClass::Other, "/v2/market-quote/ltp", at));
        assert!(limiter.admit_api(RateClass::Other, "/v2/user/profile", at));
        assert!(limiter.admit_api(
            RateClass::Other,
            "/v2/market-quote/ltp",
            at + time::Duration::seconds(1)
        ));
    }

    #[test]
    fn classes_follow_the_path() {
        assert_eq!(RateClass::of(&Method::GET, "/quote/ltp"), RateClass::Quote);
        assert_eq!(
            RateClass::of(&Method::POST, "/orders/regular"),
            RateClass::Orders
        );
        assert_eq!(RateClass::of(&Method::GET, "/orders/1"), RateClass::Other);
        assert_eq!(
            RateClass::of(&Method::GET, "/instruments/historical/1/day"),
            RateClass::Historical
        );
        assert!(
            RateLimiter::new(RateLimits::UNLIMITED)
                .admit(RateClass::Quote, datetime!(2026-01-01 0:00 UTC))
        );
    }
}
