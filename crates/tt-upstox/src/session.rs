//! The live session: Upstox's OAuth2 login flow, the access token in memory and in the session
//! file, its 03:30 IST expiry, logout, and the hook called when a session ends on its own; and
//! the same flow as tt-core's [`Login`], for programs that hold any broker.

use std::sync::Arc;

use http::Method;
use tt_core::{
    Login, RedirectParams, Result, Secret, SessionEnded, SessionExpiryHook, SessionInfo,
    async_trait,
};

use crate::errors::UpstoxCheck;
use crate::http::UpstoxRequest;
use crate::{Upstox, auth, transformer, wire};

impl Upstox {
    /// Where to send the user's browser to log in: Upstox's authorization dialog, which
    /// redirects to the app's registered URI with a one-time `code`.
    pub fn login_url(&self) -> String {
        auth::authorization_url(&self.inner.config, None)
    }

    /// The authorization dialog's URL with a `state` Upstox hands back on the redirect (for the
    /// app to match the redirect to the login it started).
    pub fn login_url_with_state(&self, state: &str) -> String {
        auth::authorization_url(&self.inner.config, Some(state))
    }

    /// Exchanges the `code` from the login redirect for a session (`POST
    /// /v2/login/authorization/token`, sent once: the code is single-use even when the exchange
    /// fails), keeps it in memory and in the session file, and returns who logged in. The
    /// token expires at the next 03:30 IST.
    ///
    /// # Errors
    /// [`tt_core::Error::Authentication`] / [`tt_core::Error::SessionExpired`] for a refused
    /// code or credentials; network errors; [`tt_core::Error::Config`] if the session file
    /// cannot be written.
    pub async fn complete_login(&self, code: &str) -> Result<SessionInfo> {
        let config = &self.inner.config;
        let form = auth::token_form(config, code);
        let check = UpstoxCheck::read();
        let response = self
            .send(
                UpstoxRequest::session(Method::POST, auth::TOKEN_PATH, &check)
                    .form(&form)
                    .versioned(),
            )
            .await?;
        let token: wire::TokenResponse = transformer::flat(&response, "token response")?;
        self.inner
            .session
            .begin(token.user_id, token.access_token, None)
    }

    /// Uses an access token obtained elsewhere (it is saved like a login's, and assumed to
    /// expire at the next 03:30 IST).
    ///
    /// # Errors
    /// [`tt_core::Error::Config`] if the session file cannot be written.
    pub fn use_access_token(
        &self,
        user_id: impl Into<String>,
        access_token: impl Into<Secret>,
    ) -> Result<SessionInfo> {
        let (user_id, access_token) = (user_id.into(), access_token.into());
        self.inner.session.begin(user_id, access_token, None)
    }

    /// The current session, if logged in (a saved, unexpired one counts). An unreadable
    /// session file counts as none here (and is logged); calls that need the session report
    /// it as the error it is.
    pub fn session(&self) -> Option<SessionInfo> {
        self.inner.session.info()
    }

    /// Ends the session at Upstox (`DELETE /v2/logout`, answered `{"data":true}`) and forgets
    /// it here.
    ///
    /// # Errors
    /// Network errors, or Upstox answering anything but `true`; the session is forgotten
    /// locally either way.
    pub async fn logout(&self) -> Result<()> {
        let result = match self.inner.session.access_token() {
            Ok(_) => {
                let check = UpstoxCheck::read();
                let call = UpstoxRequest::read("/v2/logout", &check)
                    .method(Method::DELETE)
                    .once()
                    .versioned();
                match self.get::<bool>(call, "logout response").await {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(transformer::READ
                        .malformed("logout response", "Upstox answered `data: false`")),
                    Err(error) => Err(error),
                }
            }
            Err(_) => Ok(()),
        };
        self.inner.session.forget()?;
        result
    }

    /// Calls `hook` whenever the session ends on its own (Upstox answered `UDAPI100050` or
    /// HTTP 401, or the 03:30 IST expiry passed): the place to start a new login.
    pub fn on_session_expired(&self, hook: impl Fn(&SessionEnded) + Send + Sync + 'static) {
        self.inner.session.set_expiry_hook(Arc::new(hook));
    }
}

/// Upstox's login through tt-core's [`Login`], delegating to the methods above.
#[async_trait]
impl Login for Upstox {
    fn login_url(&self) -> String {
        Upstox::login_url(self)
    }

    /// Reads `code` from Upstox's redirect and exchanges it for a session.
    async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        Upstox::complete_login(self, auth::code_of(redirect)?).await
    }

    async fn logout(&self) -> Result<()> {
        Upstox::logout(self).await
    }

    fn session(&self) -> Option<SessionInfo> {
        Upstox::session(self)
    }

    fn on_session_expired(&self, hook: SessionExpiryHook) {
        self.inner.session.set_expiry_hook(hook);
    }
}
