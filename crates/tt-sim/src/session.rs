//! Logins: single-use request tokens (Kite's `request_token`, Upstox's authorization `code`)
//! from the login page, and access tokens that live until the broker's daily cut-off (Kite
//! 06:00 IST, Upstox 03:30 IST, whichever comes first after the login) or until logged out.
//! Each broker keeps its own sessions: a token of one is refused by the other.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, Time};
use tt_core::IST;

use crate::tracked::{Keyed, Rows};
use crate::{SimBroker, stamp};

/// How long a request token can be exchanged for a session.
const REQUEST_TOKEN_LIFETIME: Duration = Duration::minutes(10);

/// One logged-in session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Session {
    /// What clients send in `Authorization` (Kite: `token <api_key>:<access_token>`, Upstox:
    /// `Bearer <access_token>`).
    pub(crate) access_token: String,
    /// Kite's public token (for the web socket of old clients); Upstox's `extended_token`.
    pub(crate) public_token: String,
    /// Kite web's own token, reported by `/session/token`.
    pub(crate) enctoken: String,
    /// When the user logged in (naive IST).
    pub(crate) login_time: String,
    /// When the session stops working (Unix seconds): the broker's cut-off after the login.
    pub(crate) expires_unix: i64,
}

impl Keyed for Session {
    fn key(&self) -> String {
        self.access_token.clone()
    }
}

/// The IST time of day a broker's access tokens die.
fn cut_off(broker: SimBroker) -> Time {
    let (hour, minute) = match broker {
        SimBroker::Kite => (6, 0),
        SimBroker::Upstox => (3, 30),
    };
    Time::from_hms(hour, minute, 0).unwrap_or(Time::MIDNIGHT)
}

/// One broker's request tokens waiting to be exchanged, and its open sessions.
#[derive(Debug, Clone)]
pub(crate) struct Sessions {
    cut_off: Time,
    request_tokens: Vec<(String, OffsetDateTime)>,
    open: Rows<Session>,
}

impl Sessions {
    /// No sessions yet at `broker`.
    pub(crate) fn new(broker: SimBroker) -> Sessions {
        Sessions {
            cut_off: cut_off(broker),
            request_tokens: Vec::new(),
            open: Rows::fresh(),
        }
    }

    /// Sessions at `broker` restored from saved state; expired ones are dropped.
    pub(crate) fn restored(
        broker: SimBroker,
        open: Rows<Session>,
        now: OffsetDateTime,
    ) -> Sessions {
        let mut sessions = Sessions {
            open,
            ..Sessions::new(broker)
        };
        sessions.forget_expired(now);
        sessions
    }

    /// The open sessions, with what changed since they were saved.
    pub(crate) fn open_sessions(&self) -> &Rows<Session> {
        &self.open
    }

    /// The store has every change.
    pub(crate) fn mark_saved(&mut self) {
        self.open.mark_saved();
    }

    /// A new request token, as the login page hands one to the redirect URL.
    pub(crate) fn issue_request_token(&mut self, now: OffsetDateTime) -> String {
        self.request_tokens
            .retain(|(_, issued)| now - *issued < REQUEST_TOKEN_LIFETIME);
        let token = random_token(32);
        self.request_tokens.push((token.clone(), now));
        token
    }

    /// True when `token` was issued, has not been used and has not lapsed.
    pub(crate) fn is_redeemable(&self, token: &str, now: OffsetDateTime) -> bool {
        self.request_tokens
            .iter()
            .any(|(t, issued)| t == token && now - *issued < REQUEST_TOKEN_LIFETIME)
    }

    /// Uses up `token` whatever comes next (Upstox's codes are single-use even when the
    /// exchange fails); true when it was redeemable.
    pub(crate) fn consume(&mut self, token: &str, now: OffsetDateTime) -> bool {
        let redeemable = self.is_redeemable(token, now);
        self.request_tokens.retain(|(t, _)| t != token);
        redeemable
    }

    /// Uses up `token` and opens a session.
    pub(crate) fn redeem(&mut self, token: &str, now: OffsetDateTime) -> Session {
        self.request_tokens.retain(|(t, _)| t != token);
        self.open(now)
    }

    /// Opens a session directly (for tests, without the login page).
    pub(crate) fn open(&mut self, now: OffsetDateTime) -> Session {
        self.forget_expired(now);
        let session = Session {
            access_token: random_token(32),
            public_token: random_token(32),
            enctoken: random_token(64),
            login_time: stamp::ist_timestamp(now),
            expires_unix: next_cut_off(now, self.cut_off).unix_timestamp(),
        };
        self.open.push(session.clone());
        session
    }

    /// True when `access_token` names an open, unexpired session.
    pub(crate) fn is_valid(&self, access_token: &str, now: OffsetDateTime) -> bool {
        self.open
            .iter()
            .any(|s| s.access_token == access_token && now.unix_timestamp() < s.expires_unix)
    }

    /// Ends the session of `access_token`; true when there was one.
    pub(crate) fn close(&mut self, access_token: &str) -> bool {
        let before = self.open.len();
        self.open.retain(|s| s.access_token != access_token);
        self.open.len() != before
    }

    /// Ends every session at once, as the broker's daily cut-off does: each token is then
    /// refused as an expired one is.
    pub(crate) fn expire_all(&mut self) {
        self.open.retain(|_| false);
    }

    fn forget_expired(&mut self, now: OffsetDateTime) {
        self.open.retain(|s| now.unix_timestamp() < s.expires_unix);
    }
}

/// The first `cut_off` (IST) after `now`: when access tokens die.
fn next_cut_off(now: OffsetDateTime, cut_off: Time) -> OffsetDateTime {
    let local = now.to_offset(IST);
    let today = local.replace_time(cut_off);
    if local < today {
        today
    } else {
        today + Duration::days(1)
    }
}

/// `length` random letters and digits. Not for cryptography: unique and unguessable enough
/// that a test cannot pass by accident with a stale or made-up token.
pub(crate) fn random_token(length: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // `RandomState` is keyed from the operating system's randomness once per process.
    let seed = RandomState::new().hash_one((
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
    ));
    let mut token = String::with_capacity(length);
    let mut block = 0u64;
    while token.len() < length {
        let digest = Sha256::new()
            .chain_update(seed.to_le_bytes())
            .chain_update(block.to_le_bytes())
            .finalize();
        for byte in digest {
            if token.len() == length {
                break;
            }
            let index = usize::from(byte) % ALPHABET.len();
            token.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'0')));
        }
        block += 1;
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sessions_die_at_six_in_the_morning_ist() {
        let six = cut_off(SimBroker::Kite);
        // 23:00 IST on the 24th: valid until 06:00 IST on the 25th.
        let evening = datetime!(2026-11-24 17:30 UTC);
        assert_eq!(next_cut_off(evening, six), datetime!(2026-11-25 00:30 UTC));
        // 05:00 IST on the 25th: valid until 06:00 IST the same day.
        let dawn = datetime!(2026-11-24 23:30 UTC);
        assert_eq!(next_cut_off(dawn, six), datetime!(2026-11-25 00:30 UTC));
    }

    #[test]
    fn upstox_sessions_die_at_half_past_three_ist() {
        let half_past_three = cut_off(SimBroker::Upstox);
        // 09:30 IST on the 24th: valid until 03:30 IST on the 25th.
        let morning = datetime!(2026-11-24 04:00 UTC);
        assert_eq!(
            next_cut_off(morning, half_past_three),
            datetime!(2026-11-24 22:00 UTC)
        );
        // 02:30 IST on the 25th: valid until 03:30 IST the same day.
        let night = datetime!(2026-11-24 21:00 UTC);
        assert_eq!(
            next_cut_off(night, half_past_three),
            datetime!(2026-11-24 22:00 UTC)
        );
    }

    #[test]
    fn request_tokens_are_single_use() {
        let now = datetime!(2026-11-24 05:00 UTC);
        let mut sessions = Sessions::new(SimBroker::Kite);
        let token = sessions.issue_request_token(now);
        assert!(sessions.is_redeemable(&token, now));
        let session = sessions.redeem(&token, now);
        assert!(!sessions.is_redeemable(&token, now));
        assert!(sessions.is_valid(&session.access_token, now));
        assert!(sessions.close(&session.access_token));
        assert!(!sessions.is_valid(&session.access_token, now));
    }

    #[test]
    fn tokens_are_alphanumeric_and_distinct() {
        let a = random_token(40);
        let b = random_token(40);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
