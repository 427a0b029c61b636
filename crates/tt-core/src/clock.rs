//! The one time source: a [`Clock`] that tests can fix, and the Indian trading date.
//!
//! Indian markets run on IST (UTC+05:30, no daylight saving), so "today" for a refresh or a
//! session expiry is the date in Asia/Kolkata, not in UTC: at 02:00 UTC it is already 07:30 IST.

use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

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
/// [`ManualClock::new`] stands still until [`ManualClock::set`] moves it;
/// [`ManualClock::running`] starts at a given instant and then runs on the machine's monotonic
/// clock, so rate-limit windows and timeouts behave as in real time while the date is the one
/// the test chose, whatever day it runs on.
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
pub struct ManualClock(Mutex<Reading>);

/// What a [`ManualClock`] last read: an instant and, for a running clock, when it was set.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: OffsetDateTime,
    running_since: Option<Instant>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(Reading {
            at: now,
            running_since: None,
        }))
    }

    /// A clock that reads `start` now and advances in real time from there.
    pub fn running(start: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(Reading {
            at: start,
            running_since: Some(Instant::now()),
        }))
    }

    /// Moves the clock to `now`; a running clock goes on running from there.
    pub fn set(&self, now: OffsetDateTime) {
        let mut reading = self.0.lock().unwrap_or_else(|p| p.into_inner());
        reading.at = now;
        if reading.running_since.is_some() {
            reading.running_since = Some(Instant::now());
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let reading = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        match reading.running_since {
            Some(since) => reading.at + since.elapsed(),
            None => reading.at,
        }
    }
}

/// The first instant strictly after `after` at which the IST wall clock reads `at`: when a
/// broker's session, issued at `after`, stops working (Kite's at 06:00 IST, Upstox's at 03:30).
///
/// ```
/// use time::macros::{datetime, time};
///
/// // Issued at 09:15 IST: dies at 03:30 IST the next day. Issued at 02:30: the same day.
/// let next = |t| tt_core::next_ist_time(t, time!(03:30));
/// assert_eq!(next(datetime!(2026-11-24 09:15 +05:30)), datetime!(2026-11-25 03:30 +05:30));
/// assert_eq!(next(datetime!(2026-11-24 02:30 +05:30)), datetime!(2026-11-24 03:30 +05:30));
/// ```
pub fn next_ist_time(after: OffsetDateTime, at: Time) -> OffsetDateTime {
    let local = after.to_offset(IST);
    let same_day = local.replace_time(at);
    if same_day > local {
        same_day
    } else {
        same_day + Duration::days(1)
    }
}

/// Parses a broker's naive IST timestamp, `YYYY-MM-DD HH:MM:SS` (`2026-11-24 09:15:02`), as
/// both Kite and Upstox write order and trade times. `None` for anything else (an empty string,
/// a time without a date).
///
/// ```
/// use time::macros::datetime;
///
/// assert_eq!(tt_core::parse_ist("2026-11-24 09:15:02"), Some(datetime!(2026-11-24 09:15:02 +05:30)));
/// assert_eq!(tt_core::parse_ist("09:15:02"), None);
/// ```
pub fn parse_ist(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_offset(IST))
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
    fn a_running_clock_starts_where_told_and_moves_forward() {
        let start = datetime!(2031-03-15 03:00 +05:30);
        let clock = ManualClock::running(start);
        let first = clock.now();
        assert!(first >= start && first - start < time::Duration::minutes(1));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(clock.now() > first);
        clock.set(datetime!(2031-03-16 06:00 +05:30));
        assert!(clock.now() >= datetime!(2031-03-16 06:00 +05:30));
    }

    #[test]
    fn a_stopped_clock_stays_put() {
        let clock = ManualClock::new(datetime!(2026-11-24 10:00 UTC));
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(clock.now(), datetime!(2026-11-24 10:00 UTC));
    }

    #[test]
    fn the_next_ist_time_is_reckoned_in_ist_whatever_the_offset_given() {
        let six = Time::from_hms(6, 0, 0).unwrap();
        // 20:00 UTC on the 23rd is 01:30 IST on the 24th.
        assert_eq!(
            next_ist_time(datetime!(2026-11-23 20:00 UTC), six),
            datetime!(2026-11-24 06:00 +05:30)
        );
        // Exactly at the time: the next day's.
        assert_eq!(
            next_ist_time(datetime!(2026-11-24 06:00 +05:30), six),
            datetime!(2026-11-25 06:00 +05:30)
        );
    }

    #[test]
    fn naive_ist_timestamps() {
        assert_eq!(
            parse_ist("2021-05-31 09:18:57"),
            Some(datetime!(2021-05-31 09:18:57 +05:30))
        );
        assert_eq!(parse_ist("09:16:39"), None);
        assert_eq!(parse_ist(""), None);
    }

    #[test]
    fn early_utc_morning_is_already_ist_daytime() {
        let clock = ManualClock::new(datetime!(2026-11-24 00:10 UTC));
        assert_eq!(clock.today_ist(), date!(2026 - 11 - 24));
        assert_eq!(clock.now().to_offset(IST).hour(), 5);
    }
}
