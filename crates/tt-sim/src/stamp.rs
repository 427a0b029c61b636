//! The brokers' timestamps: naive IST text (`YYYY-MM-DD HH:MM:SS`, both brokers' orders and
//! Kite's quotes), ISO 8601 with the IST offset (Upstox's quotes) and epoch milliseconds.

use time::OffsetDateTime;
use time::macros::format_description;
use tt_core::IST;

/// `2026-08-07 11:56:33`, the instant read in IST.
pub(crate) fn ist_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(IST)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// `2026-08-07T11:56:33.000+05:30`, the instant in IST as ISO 8601 with its offset.
pub(crate) fn ist_iso(at: OffsetDateTime) -> String {
    at.to_offset(IST)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+05:30"
        ))
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or_default()
}

/// `11:56:33`, the instant's IST time of day.
pub(crate) fn ist_time_of_day(at: OffsetDateTime) -> String {
    at.to_offset(IST)
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default()
}

/// `250807`, the instant's IST date as order ids begin with it.
pub(crate) fn ist_yymmdd(at: OffsetDateTime) -> String {
    at.to_offset(IST)
        .format(format_description!("[year repr:last_two][month][day]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_naive_ist() {
        let at = datetime!(2026-11-24 20:00:05 UTC);
        assert_eq!(ist_timestamp(at), "2026-11-25 01:30:05");
        assert_eq!(ist_time_of_day(at), "01:30:05");
        assert_eq!(ist_yymmdd(at), "261125");
        assert_eq!(ist_iso(at), "2026-11-25T01:30:05.000+05:30");
        assert_eq!(epoch_millis(at), 1_795_550_405_000);
    }
}
