//! The one time source: a [`Clock`] that tests can fix, and the Indian trading date.
//!
//! Indian markets run on IST (UTC+05:30, no daylight saving), so "today" for a refresh or a
//! session expiry is the date in Asia/Kolkata, not in UTC: at 02:00 UTC it is already 07:30 IST.

use std::fmt;
use std::sync::Mutex;

use time::{Date, OffsetDateTime, UtcOffset};

/// India Standard Time, UTC+05:30.
pub const IST: UtcOffset = match UtcOffset::from_hms(5, 30, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// Today's date in IST.
    fn today_ist(&self) -> Date {
        self.now().to_offset(IST).date()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that says what it is told, for tests and replays.
///
/// ```
/// use tt_core::{Clock, ManualClock};
/// use time::macros::{date, datetime};
///
/// // 20:00 UTC on the 24th is 01:30 IST on the 25th.
/// let clock = ManualClock::new(datetime!(2026-11-24 20:00 UTC));
/// assert_eq!(clock.today_ist(), date!(2026 - 11 - 25));
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(now))
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_ist_date_turns_at_1830_utc() {
        let clock = ManualClock::new(datetime!(2026-11-24 18:29:59 UTC));
        assert_eq!(clock.today_ist(), date!(2026 - 11 - 24));
        clock.set(datetime!(2026-11-24 18:30:00 UTC));
        assert_eq!(clock.today_ist(), date!(2026 - 11 - 25));
    }

    #[test]
    fn early_utc_morning_is_already_ist_daytime() {
        let clock = ManualClock::new(datetime!(2026-11-24 00:10 UTC));
        assert_eq!(clock.today_ist(), date!(2026 - 11 - 24));
        assert_eq!(clock.now().to_offset(IST).hour(), 5);
    }
}
