//! Upstox's OAuth2 login: the authorization dialog URL, the code the redirect carries, the
//! token exchange's form, and the 03:30 IST expiry.
//!
//! The session itself is kept by tt-transport's shared `SessionKeeper`, in the session file
//! Zerodha's sessions share (entries keyed `upstox:<client id>`; locked, atomic, mode 0600).

use time::{OffsetDateTime, Time};
use tt_core::{Error, RedirectParams, Result};
use tt_transport::form_body;

use crate::UpstoxConfig;
use crate::errors::BROKER;

/// The authorization dialog, under the API root.
pub(crate) const DIALOG_PATH: &str = "/v2/login/authorization/dialog";

/// The token exchange, under the API root.
pub(crate) const TOKEN_PATH: &str = "/v2/login/authorization/token";

/// When a token issued at `login` stops working: 03:30 IST on the first morning after it,
/// whenever it was issued (a token made at 02:30 dies at 03:30 the same day).
pub(crate) fn expiry_after(login: OffsetDateTime) -> OffsetDateTime {
    let half_past_three = Time::from_hms(3, 30, 0).unwrap_or(Time::MIDNIGHT);
    tt_core::next_ist_time(login, half_past_three)
}

/// `{api_root}/v2/login/authorization/dialog?response_type=code&client_id=..&redirect_uri=..`,
/// with `state` when given (Upstox hands it back on the redirect).
pub(crate) fn authorization_url(config: &UpstoxConfig, state: Option<&str>) -> String {
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", config.client_id()),
        ("redirect_uri", config.redirect_uri()),
    ];
    if let Some(state) = state {
        query.push(("state", state));
    }
    format!("{}{DIALOG_PATH}?{}", config.root(), form_body(&query))
}

/// The form of `POST /v2/login/authorization/token` for the one-time `code`.
pub(crate) fn token_form<'a>(config: &'a UpstoxConfig, code: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("code", code),
        ("client_id", config.client_id()),
        ("client_secret", config.client_secret().expose()),
        ("redirect_uri", config.redirect_uri()),
        ("grant_type", "authorization_code"),
    ]
}

/// Upstox's redirect (`?code=...&state=...`) as the one-time code the token exchange needs.
///
/// # Errors
/// [`Error::Authentication`] when the redirect reports an error or carries no code (the code
/// itself never appears in an error).
pub(crate) fn code_of(redirect: &RedirectParams) -> Result<&str> {
    if let Some(error) = redirect.get("error") {
        return Err(Error::Authentication {
            broker: BROKER,
            message: format!("the login redirect reports the error `{error}`"),
        });
    }
    redirect.credential(BROKER, "code")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn tokens_expire_at_half_past_three_ist() {
        for (issued, dies) in [
            // In the day: the next morning.
            (
                datetime!(2026-11-24 09:15 +05:30),
                datetime!(2026-11-25 03:30 +05:30),
            ),
            // Before 03:30: the same morning.
            (
                datetime!(2026-11-24 02:30 +05:30),
                datetime!(2026-11-24 03:30 +05:30),
            ),
            // At 03:30 exactly: the next day's.
            (
                datetime!(2026-11-24 03:30 +05:30),
                datetime!(2026-11-25 03:30 +05:30),
            ),
            // Given in UTC, still reckoned in IST (21:30 UTC is 03:00 IST the next day).
            (
                datetime!(2026-11-23 21:30 UTC),
                datetime!(2026-11-24 03:30 +05:30),
            ),
        ] {
            assert_eq!(expiry_after(issued), dies, "issued {issued}");
        }
    }

    #[test]
    fn the_code_is_read_from_the_redirect() {
        let redirect = RedirectParams::from_pairs([("code", "c0de"), ("state", "s")]);
        assert_eq!(code_of(&redirect).unwrap(), "c0de");
        let err = code_of(&RedirectParams::from_pairs([("request_token", "x")])).unwrap_err();
        assert!(matches!(err, Error::Authentication { .. }), "{err}");
        let err = code_of(&RedirectParams::from_pairs([
            ("error", "access_denied"),
            ("code", "c0de"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("access_denied"), "{err}");
        assert!(!err.to_string().contains("c0de"), "{err}");
    }

    #[test]
    fn the_dialog_url_carries_the_client_and_the_encoded_redirect() {
        let config = UpstoxConfig::new("my-id", "secret", "http://127.0.0.1:8080/cb?x=1")
            .api_root("https://api.example");
        assert_eq!(
            authorization_url(&config, None),
            "https://api.example/v2/login/authorization/dialog?response_type=code&client_id=my-id&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Fx%3D1"
        );
        assert!(authorization_url(&config, Some("abc")).ends_with("&state=abc"));
        assert!(!authorization_url(&config, None).contains("secret"));
    }
}
