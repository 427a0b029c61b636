//! The paper account's login, shaped like a real broker's so programs written against
//! [`Login`](tt_connect::Login) run unchanged on paper: a login URL, a redirect carrying a
//! one-time `code`, a session that expires a day after it starts, logout, and the expiry hook.
//!
//! There is no login page: the login URL already is the redirect back to the app, carrying the
//! account's code. The book trades with or without a session, since there is nothing to guard.

use std::sync::{Arc, Mutex, MutexGuard};

use time::Duration;
use tt_connect::{
    Clock, Error, RedirectParams, Result, SessionEnded, SessionExpiryHook, SessionInfo, SystemClock,
};

use crate::NAME;

/// Where the paper login sends the browser back to when the settings name no redirect URL.
pub const DEFAULT_REDIRECT_URL: &str = "http://127.0.0.1/paper/callback";

/// The user every paper session belongs to.
pub(crate) const USER_ID: &str = "PAPER1";

/// The code the paper login hands to the redirect.
const LOGIN_CODE: &str = "paper-login-code";

/// How long a paper session lasts.
const SESSION_LENGTH: Duration = Duration::days(1);

/// The login state of one paper account.
pub(crate) struct Sessions {
    redirect_url: String,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<SessionInfo>,
    hook: Option<SessionExpiryHook>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("redirect_url", &self.redirect_url)
            .field("current", &self.state().current)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    pub(crate) fn new(redirect_url: Option<&str>, clock: Option<Arc<dyn Clock>>) -> Self {
        Sessions {
            redirect_url: redirect_url.unwrap_or(DEFAULT_REDIRECT_URL).to_owned(),
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update below is a single assignment, so a poisoned lock holds no half-made state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn login_url(&self) -> String {
        let separator = if self.redirect_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}code={LOGIN_CODE}", self.redirect_url)
    }

    pub(crate) fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        if redirect.get("code") != Some(LOGIN_CODE) {
            return Err(Error::Authentication {
                broker: NAME,
                message: "the login redirect carried no valid paper login code".to_owned(),
            });
        }
        let login_time = self.clock.now();
        let session = SessionInfo {
            user_id: USER_ID.to_owned(),
            login_time,
            expires_at: login_time + SESSION_LENGTH,
        };
        self.state().current = Some(session.clone());
        Ok(session)
    }

    pub(crate) fn logout(&self) {
        self.state().current = None;
    }

    /// The current session; one past its expiry ends here, calling the hook.
    pub(crate) fn session(&self) -> Option<SessionInfo> {
        let current = self.state().current.clone()?;
        if self.clock.now() < current.expires_at {
            return Some(current);
        }
        self.end(format!("the session expired at {}", current.expires_at));
        None
    }

    pub(crate) fn on_session_expired(&self, hook: SessionExpiryHook) {
        self.state().hook = Some(hook);
    }

    /// Ends the current session, if any, and tells the hook why.
    pub(crate) fn end(&self, reason: String) {
        let (ended, hook) = {
            let mut state = self.state();
            (state.current.take(), state.hook.clone())
        };
        // The hook runs outside the lock: it may well call back into the broker.
        if let (Some(ended), Some(hook)) = (ended, hook) {
            hook(&SessionEnded {
                user_id: Some(ended.user_id),
                reason,
            });
        }
    }
}
