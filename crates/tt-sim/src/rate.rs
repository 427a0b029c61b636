//! Kite's rate limits: requests per calendar second by endpoint class, and orders per calendar
//! minute, counted on the simulator's clock.

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
    /// The class of a call, by its method and path alone (as a gateway sees it).
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

/// Counts of the current calendar second and minute.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    second: i64,
    per_second: [u32; 4],
    minute: i64,
    orders_this_minute: u32,
}

impl RateLimiter {
    /// A limiter enforcing `limits`.
    pub(crate) fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            second: i64::MIN,
            per_second: [0; 4],
            minute: i64::MIN,
            orders_this_minute: 0,
        }
    }

    /// Enforces `limits` from now on, with fresh counts.
    pub(crate) fn set_limits(&mut self, limits: RateLimits) {
        *self = RateLimiter::new(limits);
    }

    /// True when a request of `class` at `now` is within the limits; it is then counted.
    pub(crate) fn admit(&mut self, class: RateClass, now: OffsetDateTime) -> bool {
        let second = now.unix_timestamp();
        if second != self.second {
            self.second = second;
            self.per_second = [0; 4];
        }
        // IST is a whole number of minutes from UTC, so UTC minutes are IST minutes.
        let minute = second.div_euclid(60);
        if minute != self.minute {
            self.minute = minute;
            self.orders_this_minute = 0;
        }
        let per_second = match class {
            RateClass::Quote => self.limits.quote_per_second,
            RateClass::Historical => self.limits.historical_per_second,
            RateClass::Orders => self.limits.orders_per_second,
            RateClass::Other => self.limits.other_per_second,
        };
        let count = self.per_second.get(class.slot()).copied().unwrap_or(0);
        if per_second.is_some_and(|limit| count >= limit.get()) {
            return false;
        }
        if class == RateClass::Orders
            && self
                .limits
                .orders_per_minute
                .is_some_and(|limit| self.orders_this_minute >= limit.get())
        {
            return false;
        }
        if let Some(slot) = self.per_second.get_mut(class.slot()) {
            *slot += 1;
        }
        if class == RateClass::Orders {
            self.orders_this_minute += 1;
        }
        true
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
