//! Kite's login credentials: the request-token exchange checksum and the 06:00 IST expiry.
//!
//! The session itself is kept by tt-transport's shared `SessionKeeper` (the session file holds
//! one entry per broker and API key, `zerodha:<api key>`, locked, atomic, mode 0600).

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, Time};
use tt_core::Secret;

/// `hex(SHA-256(api_key + request_token + api_secret))`, as `POST /session/token` wants it.
pub(crate) fn checksum(api_key: &str, request_token: &str, api_secret: &Secret) -> String {
    let mut hasher = Sha256::new();
    hasher.update(api_key.as_bytes());
    hasher.update(request_token.as_bytes());
    hasher.update(api_secret.expose().as_bytes());
    hex::encode(hasher.finalize())
}

/// When a token issued at `login` stops working: 06:00 IST on the first morning after it.
pub(crate) fn expiry_after(login: OffsetDateTime) -> OffsetDateTime {
    tt_core::next_ist_time(login, Time::from_hms(6, 0, 0).unwrap_or(Time::MIDNIGHT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn checksum_is_sha256_hex_of_the_concatenation() {
        // sha256 of the text "keytokensecret", as any sha256 tool prints it.
        assert_eq!(
            checksum("key", "token", &Secret::new("secret")),
            "08a03d928417ea4085557933d3b187ff2a3515b039d6054dbd230c95d978a17a"
        );
    }

    #[test]
    fn tokens_expire_at_six_in_the_morning_ist() {
        // Logged in at 09:15 IST on the 24th: expires 06:00 IST on the 25th.
        let login = datetime!(2026-11-24 09:15 +05:30);
        assert_eq!(expiry_after(login), datetime!(2026-11-25 06:00 +05:30));
        // Logged in at 02:30 IST: expires 06:00 IST the same day.
        let login = datetime!(2026-11-24 02:30 +05:30);
        assert_eq!(expiry_after(login), datetime!(2026-11-24 06:00 +05:30));
        // Given in UTC, still reckoned in IST: 20:00 UTC on the 23rd is 01:30 IST on the 24th.
        let login = datetime!(2026-11-23 20:00 UTC);
        assert_eq!(expiry_after(login), datetime!(2026-11-24 06:00 +05:30));
    }
}
