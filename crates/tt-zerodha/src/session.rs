//! The live session: Kite's login flow, the access token in memory and in the session file,
//! its 06:00 IST expiry, logout, and the hook called when a session ends on its own; and the
//! same flow as tt-core's [`Login`], for programs that hold any broker.

use std::sync::Arc;

use http::Method;
use tt_core::{
    Error, Login, RedirectParams, Result, Secret, SessionEnded, SessionExpiryHook, SessionInfo,
    async_trait,
};
use tt_transport::percent_encode;

use crate::errors::{BROKER, KiteCheck};
use crate::http::KiteRequest;
use crate::{Zerodha, auth, transformer, wire};

impl Zerodha {
    /// Where to send the user's browser to log in: Kite's page, which redirects to the app's
    /// registered URL with a `request_token`.
    pub fn login_url(&self) -> String {
        let config = &self.inner.config;
        format!(
            "{}?v=3&api_key={}",
            config.login_page(),
            percent_encode(config.key())
        )
    }

    /// Exchanges the `request_token` from the login redirect for a session, keeps it in memory
    /// and in the session file, and returns who logged in.
    ///
    /// # Errors
    /// [`Error::Authentication`] / [`Error::SessionExpired`] for a refused token or checksum;
    /// network errors; [`Error::Config`] if the session file cannot be written.
    pub async fn complete_login(&self, request_token: &str) -> Result<SessionInfo> {
        let config = &self.inner.config;
        let checksum = auth::checksum(config.key(), request_token, config.secret());
        let form = [
            ("api_key", config.key().to_owned()),
            ("request_token", request_token.to_owned()),
            ("checksum", checksum),
        ];
        let check = KiteCheck::read();
        let response = self
            .send(KiteRequest::session(Method::POST, "/session/token", &check).form(&form))
            .await?;
        let data: wire::SessionData =
            transformer::data(&response, "session response", &KiteCheck::read())?;
        let login_time = data.login_time.as_deref().and_then(tt_core::parse_ist);
        self.inner
            .session
            .begin(data.user_id, data.access_token, login_time)
    }

    /// Uses an access token obtained elsewhere (it is saved like a login's, and assumed to
    /// expire at the next 06:00 IST).
    ///
    /// # Errors
    /// [`Error::Config`] if the session file cannot be written.
    pub fn use_access_token(
        &self,
        user_id: impl Into<String>,
        access_token: Secret,
    ) -> Result<SessionInfo> {
        self.inner.session.begin(user_id.into(), access_token, None)
    }

    /// The current session, if logged in (a saved, unexpired one counts). An unreadable
    /// session file counts as none here (and is logged); calls that need the session report
    /// it as the error it is.
    pub fn session(&self) -> Option<SessionInfo> {
        self.inner.session.info()
    }

    /// Ends the session at Kite (`DELETE /session/token`) and forgets it here.
    ///
    /// # Errors
    /// Network errors; the session is forgotten locally either way.
    pub async fn logout(&self) -> Result<()> {
        let token = self.inner.session.access_token();
        let result = match token {
            Ok(token) => {
                let query = [
                    ("api_key", self.inner.config.key()),
                    ("access_token", token.expose()),
                ];
                let check = KiteCheck::read();
                self.send(
                    KiteRequest::session(Method::DELETE, "/session/token", &check).query(&query),
                )
                .await
                .map(|_| ())
            }
            Err(_) => Ok(()),
        };
        self.inner.session.forget()?;
        result
    }

    /// Calls `hook` whenever the session ends on its own (Kite answered `TokenException`, or the
    /// 06:00 IST expiry passed): the place to start a new login.
    pub fn on_session_expired(&self, hook: impl Fn(&SessionEnded) + Send + Sync + 'static) {
        self.inner.session.set_expiry_hook(Arc::new(hook));
    }
}

/// Kite's redirect (`?request_token=...&action=login&status=success`) as the one-time token the
/// session exchange needs.
///
/// # Errors
/// [`Error::Authentication`] when the redirect reports a failed login or carries no token (the
/// token itself never appears in an error).
fn request_token(redirect: &RedirectParams) -> Result<&str> {
    if let Some(status) = redirect.get("status").filter(|status| *status != "success") {
        return Err(Error::Authentication {
            broker: BROKER,
            message: format!("the login redirect reports status `{status}`, not success"),
        });
    }
    redirect.credential(BROKER, "request_token")
}

/// Kite's login through tt-core's [`Login`], delegating to the methods above.
#[async_trait]
impl Login for Zerodha {
    fn login_url(&self) -> String {
        Zerodha::login_url(self)
    }

    /// Reads `request_token` from Kite's redirect and exchanges it for a session.
    async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        Zerodha::complete_login(self, request_token(redirect)?).await
    }

    async fn logout(&self) -> Result<()> {
        Zerodha::logout(self).await
    }

    fn session(&self) -> Option<SessionInfo> {
        Zerodha::session(self)
    }

    fn on_session_expired(&self, hook: SessionExpiryHook) {
        self.inner.session.set_expiry_hook(hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_token_is_read_from_the_redirect() {
        let redirect = RedirectParams::from_pairs([
            ("request_token", "tok"),
            ("action", "login"),
            ("status", "success"),
        ]);
        assert_eq!(request_token(&redirect).unwrap(), "tok");
    }

    #[test]
    fn a_redirect_without_a_request_token_is_an_authentication_error() {
        let err = request_token(&RedirectParams::from_pairs([("code", "x")])).unwrap_err();
        assert!(matches!(err, Error::Authentication { .. }), "{err}");
    }

    #[test]
    fn a_redirect_reporting_a_failed_login_is_refused_without_naming_its_token() {
        let redirect =
            RedirectParams::from_pairs([("status", "cancelled"), ("request_token", "tok999")]);
        let err = request_token(&redirect).unwrap_err();
        assert!(err.to_string().contains("cancelled"), "{err}");
        assert!(!err.to_string().contains("tok999"), "{err}");
    }
}
