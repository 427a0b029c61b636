//! Logging in, as every broker does it: a login page, a redirect back to the app carrying
//! query parameters, their exchange for a session, the session's expiry and logout.
//!
//! The shapes here are broker-neutral: Kite's redirect carries a `request_token`, Upstox's a
//! `code`, and both are just [`RedirectParams`] to the program; each broker's [`Login`] picks
//! out what it needs. A program holding any broker (one chosen by name included) logs in the
//! same way.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{Broker, Result};

/// What a program may know about the current session: who and until when, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The logged-in user.
    pub user_id: String,
    /// When the session was created.
    pub login_time: OffsetDateTime,
    /// When the broker will stop accepting the session (for Kite, 06:00 IST the next morning).
    pub expires_at: OffsetDateTime,
}

/// Why a session ended on its own, as given to the session-expiry hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnded {
    /// The user whose session it was, if known.
    pub user_id: Option<String>,
    /// What ended it (the broker's message, or the scheduled expiry).
    pub reason: String,
}

/// Called whenever a session ends on its own: the place to start a new login.
pub type SessionExpiryHook = Arc<dyn Fn(&SessionEnded) + Send + Sync>;

/// The query parameters of the login redirect, in order, repeated keys kept.
///
/// They carry a one-time credential (Kite's `request_token`, Upstox's `code`), so `Debug` shows
/// the keys only, never a value.
///
/// ```
/// use tt_core::RedirectParams;
///
/// let params = RedirectParams::from_url(
///     "http://127.0.0.1/callback?request_token=abc%2B1&action=login&status=success",
/// )?;
/// assert_eq!(params.get("request_token"), Some("abc+1"));
/// assert_eq!(params.get("status"), Some("success"));
/// assert!(!format!("{params:?}").contains("abc"));
/// # Ok::<(), tt_core::BadRedirect>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RedirectParams {
    pairs: Vec<(String, String)>,
}

/// A redirect URL whose query string is not valid percent-encoded UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the login redirect's query is not valid percent-encoding: parameter `{parameter}`")]
pub struct BadRedirect {
    /// The name of the first parameter that could not be decoded (its value is never shown).
    pub parameter: String,
}

impl RedirectParams {
    /// Parameters from pairs already decoded (a web framework's callback handler has them).
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        RedirectParams {
            pairs: pairs
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        }
    }

    /// The parameters of the redirect URL the browser came back to (everything after `?`, up
    /// to a `#`); a URL without a query has none.
    ///
    /// # Errors
    /// [`BadRedirect`] when a key or value is not valid percent-encoding of UTF-8 text.
    pub fn from_url(url: &str) -> std::result::Result<Self, BadRedirect> {
        let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
        let query = without_fragment
            .split_once('?')
            .map_or("", |(_, query)| query);
        let mut pairs = Vec::new();
        for piece in query.split('&').filter(|piece| !piece.is_empty()) {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let key_text = percent_decode(key).ok_or_else(|| BadRedirect {
                parameter: key.to_owned(),
            })?;
            let value_text = percent_decode(value).ok_or_else(|| BadRedirect {
                parameter: key_text.clone(),
            })?;
            pairs.push((key_text, value_text));
        }
        Ok(RedirectParams { pairs })
    }

    /// The first value of `key`, if the redirect carried it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// The one-time credential `key` names (Kite's `request_token`, Upstox's `code`), for
    /// `broker`'s exchange of it.
    ///
    /// ```
    /// use tt_core::RedirectParams;
    ///
    /// let redirect = RedirectParams::from_pairs([("code", "c0de")]);
    /// assert_eq!(redirect.credential("upstox", "code")?, "c0de");
    /// assert!(redirect.credential("zerodha", "request_token").is_err());
    /// # Ok::<(), tt_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Authentication`] when the redirect carries no such parameter or an empty
    /// one.
    pub fn credential(&self, broker: &'static str, key: &str) -> Result<&str> {
        self.get(key)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| crate::Error::Authentication {
                broker,
                message: format!("the login redirect carried no {key}"),
            })
    }

    /// Every pair, in the redirect's order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }
}

impl fmt::Debug for RedirectParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedirectParams")
            .field(
                "keys",
                &self.pairs.iter().map(|(key, _)| key).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Decodes one query component: `%XX` escapes and `+` for a space. `None` for a broken escape
/// or bytes that are not UTF-8.
fn percent_decode(component: &str) -> Option<String> {
    let mut bytes = component.bytes();
    let mut decoded = Vec::with_capacity(component.len());
    while let Some(byte) = bytes.next() {
        decoded.push(match byte {
            b'+' => b' ',
            b'%' => {
                let high = char::from(bytes.next()?).to_digit(16)?;
                let low = char::from(bytes.next()?).to_digit(16)?;
                // Two hex digits are at most 0xFF, so this always fits in a byte.
                u8::try_from(high * 16 + low).ok()?
            }
            plain => plain,
        });
    }
    String::from_utf8(decoded).ok()
}

/// A broker's login: where to send the user, how the redirect back becomes a session, the
/// session's state, logout, and the hook for a session that ends on its own.
///
/// Object-safe, so a broker chosen by name at run time logs in like a typed one.
#[async_trait]
pub trait Login: Broker {
    /// Where to send the user's browser to log in. The broker's page sends the browser back to
    /// the app's registered redirect URL with the parameters [`Login::complete_login`] needs.
    fn login_url(&self) -> String;

    /// Completes a login from the redirect's query parameters: exchanges the one-time credential
    /// they carry for a session, keeps it, and says who logged in.
    ///
    /// # Errors
    /// [`crate::Error::Authentication`] when the parameters lack the credential or the broker
    /// refuses it; network errors; [`crate::Error::Config`] when the session cannot be kept.
    async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo>;

    /// Ends the session at the broker and forgets it here.
    ///
    /// # Errors
    /// Network errors; the session is forgotten locally either way.
    async fn logout(&self) -> Result<()>;

    /// The current session, if logged in.
    fn session(&self) -> Option<SessionInfo>;

    /// Calls `hook` whenever the session ends on its own (the broker refused the token, or its
    /// expiry passed), replacing any earlier hook.
    fn on_session_expired(&self, hook: SessionExpiryHook);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_params_decode_escapes_and_plus_signs() {
        let params =
            RedirectParams::from_url("https://app.example/cb?code=a%2Fb+c&state=x").unwrap();
        assert_eq!(params.get("code"), Some("a/b c"));
        assert_eq!(params.get("state"), Some("x"));
    }

    #[test]
    fn redirect_params_stop_at_the_fragment() {
        let params = RedirectParams::from_url("http://127.0.0.1/cb?code=1#code=2").unwrap();
        assert_eq!(params.pairs().collect::<Vec<_>>(), [("code", "1")]);
    }

    #[test]
    fn a_broken_escape_names_the_parameter_not_its_value() {
        let err =
            RedirectParams::from_url("http://127.0.0.1/cb?request_token=secret%zz").unwrap_err();
        assert_eq!(err.parameter, "request_token");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn a_url_without_a_query_has_no_parameters() {
        let params = RedirectParams::from_url("http://127.0.0.1/callback").unwrap();
        assert_eq!(params.get("code"), None);
    }

    #[test]
    fn redirect_params_debug_shows_keys_but_no_values() {
        let params = RedirectParams::from_pairs([("request_token", "tok123")]);
        let text = format!("{params:?}");
        assert!(
            text.contains("request_token") && !text.contains("tok123"),
            "{text}"
        );
    }
}
