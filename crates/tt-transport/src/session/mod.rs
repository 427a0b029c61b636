//! A broker's login session, kept the same way for every broker: in memory, in the shared
//! session file, until its expiry or until the broker refuses it.
//!
//! A broker crate owns its login flow (the URL, the credential exchange, the expiry rule); what
//! happens to the session once it exists is the same everywhere and lives here, in
//! [`SessionKeeper`]: it is saved when it starts, read back from the file on first use (once,
//! even when many calls race for it), handed out as an access token until it expires, and
//! dropped (with the program's expiry hook called) when it expires or the broker refuses it.

mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use time::OffsetDateTime;
use tt_core::{Clock, Error, Result, Secret, SessionEnded, SessionExpiryHook, SessionInfo};

pub use store::{Session, SessionStore};

/// One broker account's session: in memory, in the session file, and the hook called when it
/// ends on its own. Shared by every clone of a broker handle.
///
/// `Debug` shows who is logged in and until when, never the token.
pub struct SessionKeeper {
    broker: &'static str,
    /// When a session issued at an instant stops working (the broker's rule).
    expiry: fn(OffsetDateTime) -> OffsetDateTime,
    /// The entry in the session file: `<broker>:<account>`.
    key: String,
    store: SessionStore,
    clock: Arc<dyn Clock>,
    session: RwLock<Option<Session>>,
    /// Set once the session file has been read successfully (a failed read is tried again).
    loaded: AtomicBool,
    /// Held while the session file is read, so a second first call waits for the first's
    /// result instead of seeing no session.
    loading: Mutex<()>,
    expiry_hook: RwLock<Option<SessionExpiryHook>>,
}

impl std::fmt::Debug for SessionKeeper {
    /// The session as held in memory: formatting never reads the session file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeeper")
            .field("key", &self.key)
            .field("session", &self.held())
            .finish_non_exhaustive()
    }
}

impl SessionKeeper {
    /// The session of `account` (an API key, a client id) at `broker`, saved in `store`, its
    /// tokens dying at `expiry(issued)` (Kite: the next 06:00 IST, Upstox: the next 03:30 IST)
    /// on `clock`. Nothing is read until first use.
    pub fn new(
        broker: &'static str,
        account: &str,
        store: SessionStore,
        clock: Arc<dyn Clock>,
        expiry: fn(OffsetDateTime) -> OffsetDateTime,
    ) -> Self {
        SessionKeeper {
            broker,
            expiry,
            key: format!("{broker}:{account}"),
            store,
            clock,
            session: RwLock::new(None),
            loaded: AtomicBool::new(false),
            loading: Mutex::new(()),
            expiry_hook: RwLock::new(None),
        }
    }

    /// The time on the keeper's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Starts a session for `user_id` with `access_token`, issued at `login_time` (now when the
    /// broker did not say) and expiring by the broker's rule: see [`SessionKeeper::install`].
    ///
    /// # Errors
    /// [`Error::Config`] if the session file cannot be written.
    pub fn begin(
        &self,
        user_id: String,
        access_token: Secret,
        login_time: Option<OffsetDateTime>,
    ) -> Result<SessionInfo> {
        let login_time = login_time.unwrap_or_else(|| self.clock.now());
        self.install(Session {
            user_id,
            access_token,
            login_time,
            expires_at: (self.expiry)(login_time),
        })
    }

    /// Passes a call's `result` on, ending the session first when the broker refused the token
    /// ([`Error::SessionExpired`]).
    pub fn watch<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(Error::SessionExpired { message, .. }) = &result {
            self.ended(message.clone());
        }
        result
    }

    /// Starts `session`: saves it to the session file, logs who logged in (never the token),
    /// and holds it in memory.
    ///
    /// # Errors
    /// [`Error::Config`] if the session file cannot be written.
    pub fn install(&self, session: Session) -> Result<SessionInfo> {
        self.store.save(&self.key, Some(&session))?;
        tracing::info!(
            broker = self.broker,
            user_id = %session.user_id,
            expires_at = %store::rfc3339(session.expires_at),
            "session started"
        );
        let info = SessionInfo::from(&session);
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = Some(session);
        self.loaded.store(true, Ordering::SeqCst);
        Ok(info)
    }

    /// The current session, if logged in (a saved, unexpired one counts). An unreadable
    /// session file counts as none here (and is logged); [`SessionKeeper::access_token`]
    /// reports it as the error it is.
    pub fn info(&self) -> Option<SessionInfo> {
        if let Err(error) = self.load_saved() {
            tracing::warn!(broker = self.broker, %error, "the saved session could not be read");
        }
        self.held()
    }

    /// The session held in memory, without reading the session file.
    pub fn held(&self) -> Option<SessionInfo> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(SessionInfo::from)
    }

    /// Forgets the session, in memory and in the session file (a logout).
    ///
    /// # Errors
    /// [`Error::Config`] if the session file cannot be rewritten.
    pub fn forget(&self) -> Result<()> {
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.store.save(&self.key, None)
    }

    /// Calls `hook` whenever the session ends on its own, replacing any earlier hook.
    pub fn set_expiry_hook(&self, hook: SessionExpiryHook) {
        *self.expiry_hook.write().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// The session ended on its own (the broker refused the token, or its expiry passed): it
    /// is dropped and the expiry hook is told why.
    pub fn ended(&self, reason: String) {
        let user_id = self
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.user_id.clone());
        tracing::warn!(broker = self.broker, user_id = ?user_id, %reason, "session ended");
        // The stored session is useless now; failing to delete it only costs a refused token.
        let _ = self.forget();
        let hook = self
            .expiry_hook
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&SessionEnded { user_id, reason });
        }
    }

    /// The access token of a live session. A session past its expiry is ended here (the hook
    /// fires) rather than sent.
    ///
    /// # Errors
    /// [`Error::Authentication`] when not logged in; [`Error::SessionExpired`] past the
    /// session's expiry; [`Error::Config`] for an unreadable or corrupt session file.
    pub fn access_token(&self) -> Result<Secret> {
        self.load_saved()?;
        let session = self
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match session {
            None => Err(Error::Authentication {
                broker: self.broker,
                message: "not logged in: send the user to login_url() and call complete_login()"
                    .to_owned(),
            }),
            Some(session) if self.clock.now() >= session.expires_at => {
                let reason = format!(
                    "the session expired at {}",
                    store::rfc3339(session.expires_at)
                );
                self.ended(reason.clone());
                Err(Error::SessionExpired {
                    broker: self.broker,
                    message: reason,
                })
            }
            Some(session) => Ok(session.access_token),
        }
    }

    /// Reads the saved session into memory, once. Concurrent first calls wait for the one
    /// reading the file, so every one of them sees its session. A failed read is not
    /// remembered: the next call tries again (after the user fixed or deleted the file).
    fn load_saved(&self) -> Result<()> {
        if self.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let _loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        if self.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(saved) = self.store.load(&self.key, self.clock.now())? {
            let mut session = self.session.write().unwrap_or_else(|p| p.into_inner());
            if session.is_none() {
                *session = Some(saved);
            }
        }
        self.loaded.store(true, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use tt_core::ManualClock;

    fn keeper(
        dir: &std::path::Path,
        broker: &'static str,
        clock: Arc<ManualClock>,
    ) -> SessionKeeper {
        SessionKeeper::new(
            broker,
            "acct",
            SessionStore::new(dir.join("session.json")),
            clock,
            |issued| tt_core::next_ist_time(issued, time::macros::time!(03:30)),
        )
    }

    #[test]
    fn a_session_is_saved_per_broker_and_account_and_ends_at_its_expiry() {
        let dir = std::env::temp_dir().join(format!("tt-keeper-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 10:00 +05:30)));
        let first = keeper(&dir, "alpha", Arc::clone(&clock));
        let info = first.begin("U1".into(), Secret::new("tok"), None).unwrap();
        assert_eq!(info.expires_at, datetime!(2026-11-25 03:30 +05:30));
        // Another handle on the same file and account finds it; another broker does not.
        let again = keeper(&dir, "alpha", Arc::clone(&clock));
        assert_eq!(again.access_token().unwrap().expose(), "tok");
        assert!(keeper(&dir, "beta", Arc::clone(&clock)).info().is_none());
        let ended = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ended);
        again.set_expiry_hook(Arc::new(move |e: &SessionEnded| {
            seen.lock().unwrap().push(e.clone());
        }));
        clock.set(datetime!(2026-11-25 03:30 +05:30));
        assert!(matches!(
            again.access_token(),
            Err(Error::SessionExpired { .. })
        ));
        assert_eq!(ended.lock().unwrap().len(), 1);
        assert!(again.info().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
