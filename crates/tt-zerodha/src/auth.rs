//! Kite's login: the login URL, the request-token exchange checksum, and the session kept on
//! disk between runs.
//!
//! The session file (`session.json` in the cache directory unless configured) holds one entry
//! per broker and API key, is written atomically (a temporary file renamed over it) with mode
//! 0600, and is never printed: the access token lives in a [`Secret`].

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Time};
use tt_core::{Error, IST, Secret};

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
    let local = login.to_offset(IST);
    let six = Time::from_hms(6, 0, 0).unwrap_or(Time::MIDNIGHT);
    let same_day = local.replace_time(six);
    if same_day > local {
        same_day
    } else {
        same_day + Duration::days(1)
    }
}

/// A logged-in session. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) user_id: String,
    pub(crate) access_token: Secret,
    pub(crate) login_time: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("access_token", &self.access_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a program may know about the current session: who and until when, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The logged-in user.
    pub user_id: String,
    /// When the session was created.
    pub login_time: OffsetDateTime,
    /// When Kite will stop accepting its token (06:00 IST the next morning).
    pub expires_at: OffsetDateTime,
}

impl From<&Session> for SessionInfo {
    fn from(session: &Session) -> Self {
        SessionInfo {
            user_id: session.user_id.clone(),
            login_time: session.login_time,
            expires_at: session.expires_at,
        }
    }
}

/// One entry of the session file, as stored.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    user_id: String,
    access_token: String,
    #[serde(with = "time::serde::rfc3339")]
    login_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// The session file.
#[derive(Debug, Clone)]
pub(crate) struct SessionStore {
    path: PathBuf,
}

fn key(api_key: &str) -> String {
    format!("zerodha:{api_key}")
}

fn config_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("session file {}: {what}", path.display()))
}

impl SessionStore {
    pub(crate) fn new(path: PathBuf) -> Self {
        SessionStore { path }
    }

    fn read_all(&self) -> Result<BTreeMap<String, StoredSession>, Error> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                config_error(
                    &self.path,
                    format!("not a session file ({e}); delete it to log in afresh"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(config_error(&self.path, e)),
        }
    }

    /// The saved session for `api_key`, if there is one that has not expired at `now`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unreadable or corrupt file (which is left as it is).
    pub(crate) fn load(
        &self,
        api_key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, Error> {
        let mut all = self.read_all()?;
        Ok(all.remove(&key(api_key)).and_then(|stored| {
            (stored.expires_at > now).then(|| Session {
                user_id: stored.user_id,
                access_token: Secret::new(stored.access_token),
                login_time: stored.login_time,
                expires_at: stored.expires_at,
            })
        }))
    }

    /// Saves (or with `None`, removes) the session for `api_key`, keeping other entries.
    /// A corrupt file is replaced; a good one is never left half-written.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be written.
    pub(crate) fn save(&self, api_key: &str, session: Option<&Session>) -> Result<(), Error> {
        let mut all = self.read_all().unwrap_or_default();
        match session {
            Some(session) => {
                all.insert(
                    key(api_key),
                    StoredSession {
                        user_id: session.user_id.clone(),
                        access_token: session.access_token.expose().to_owned(),
                        login_time: session.login_time,
                        expires_at: session.expires_at,
                    },
                );
            }
            None => {
                if all.remove(&key(api_key)).is_none() && !self.path.exists() {
                    return Ok(());
                }
            }
        }
        let body = serde_json::to_vec_pretty(&all).map_err(|e| config_error(&self.path, e))?;
        write_private(&self.path, &body).map_err(|e| config_error(&self.path, e))
    }
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename) with mode 0600.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    let temporary = path.with_file_name(name);
    let mut options = fs::File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(e);
    }
    Ok(())
}

/// Parses Kite's naive IST timestamp (`2026-11-24 09:15:02`).
pub(crate) fn parse_ist(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_offset(IST))
}

/// RFC 3339 text of a time, for messages.
pub(crate) fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
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

    #[test]
    fn naive_ist_timestamps() {
        assert_eq!(
            parse_ist("2021-05-31 09:18:57"),
            Some(datetime!(2021-05-31 09:18:57 +05:30))
        );
        assert_eq!(parse_ist("09:16:39"), None);
        assert_eq!(parse_ist(""), None);
    }

    fn dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tt-zerodha-auth-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn session(token: &str, expires_at: OffsetDateTime) -> Session {
        Session {
            user_id: "TT0001".into(),
            access_token: Secret::new(token),
            login_time: datetime!(2026-11-24 09:15 +05:30),
            expires_at,
        }
    }

    #[test]
    fn sessions_round_trip_per_api_key_and_expire() {
        let dir = dir("store");
        let store = SessionStore::new(dir.join("session.json"));
        let now = datetime!(2026-11-24 10:00 +05:30);
        let tomorrow = datetime!(2026-11-25 06:00 +05:30);
        assert_eq!(store.load("k1", now).unwrap(), None);
        store.save("k1", Some(&session("tok1", tomorrow))).unwrap();
        store.save("k2", Some(&session("tok2", tomorrow))).unwrap();
        assert_eq!(
            store
                .load("k1", now)
                .unwrap()
                .unwrap()
                .access_token
                .expose(),
            "tok1"
        );
        assert_eq!(
            store
                .load("k2", now)
                .unwrap()
                .unwrap()
                .access_token
                .expose(),
            "tok2"
        );
        // Past 06:00 IST the saved session is no use.
        assert_eq!(
            store
                .load("k1", datetime!(2026-11-25 06:00 +05:30))
                .unwrap(),
            None
        );
        store.save("k1", None).unwrap();
        assert_eq!(store.load("k1", now).unwrap(), None);
        assert!(store.load("k2", now).unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("session.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_session_file_is_a_clear_error_and_is_left_alone_by_reads() {
        let dir = dir("corrupt");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("session.json");
        fs::write(&path, b"{ not json").unwrap();
        let store = SessionStore::new(path.clone());
        let error = store
            .load("k1", datetime!(2026-11-24 10:00 UTC))
            .unwrap_err();
        assert!(error.to_string().contains("session.json"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"{ not json");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let text = format!(
            "{:?}",
            session("sekrit", datetime!(2026-11-25 06:00 +05:30))
        );
        assert!(!text.contains("sekrit"), "{text}");
    }
}
