//! The session file: one entry per broker and account, kept between runs, never printed.
//!
//! The file (`session.json` in the cache directory unless configured) holds one entry per
//! broker and account (`zerodha:<api key>`, `upstox:<client id>`); the access token lives in a
//! [`Secret`], in memory and in the stored entry alike.
//!
//! Writes are safe against other processes and crashes: a read-modify-write holds an advisory
//! lock on `session.json.lock` beside the file (programs sharing a cache directory, container
//! replicas included, take turns), the new content goes to a temporary file with a random name
//! opened `create_new` with mode 0600 (never an existing file, nor a link planted in its place),
//! is synced, renamed over the file, and the directory is synced so the rename survives a
//! crash. Reads need no lock: the file is only ever replaced whole.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tt_core::{ClientTag, Error, Secret, SessionInfo};

/// A logged-in session. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The broker's user id.
    pub user_id: String,
    /// The access token every authenticated call sends.
    pub access_token: Secret,
    /// When the session was created.
    pub login_time: OffsetDateTime,
    /// When the broker stops accepting the token.
    pub expires_at: OffsetDateTime,
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

impl From<&Session> for SessionInfo {
    fn from(session: &Session) -> Self {
        SessionInfo {
            user_id: session.user_id.clone(),
            login_time: session.login_time,
            expires_at: session.expires_at,
        }
    }
}

/// One entry of the session file, as stored. `Debug` shows no token.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    user_id: String,
    #[serde(with = "secret_text")]
    access_token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    login_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// (De)serialises a [`Secret`] as its plain text, for the session file; nowhere else does a
/// secret's text leave its wrapper.
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use tt_core::Secret;

    pub(crate) fn serialize<S: Serializer>(
        secret: &Secret,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// The session file, shared by every broker: entries are keyed `<broker>:<account>`.
#[derive(Debug, Clone)]
pub struct SessionStore {
    path: PathBuf,
}

fn config_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("session file {}: {what}", path.display()))
}

impl SessionStore {
    /// The store in the file at `path` (created on the first save).
    pub fn new(path: PathBuf) -> Self {
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

    /// The saved session under `key`, if there is one that has not expired at `now`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unreadable or corrupt file (which is left as it is).
    pub fn load(&self, key: &str, now: OffsetDateTime) -> Result<Option<Session>, Error> {
        let mut all = self.read_all()?;
        Ok(all.remove(key).and_then(|stored| {
            (stored.expires_at > now).then_some(Session {
                user_id: stored.user_id,
                access_token: stored.access_token,
                login_time: stored.login_time,
                expires_at: stored.expires_at,
            })
        }))
    }

    /// Saves (or with `None`, removes) the session under `key`, keeping other entries, under
    /// the advisory lock so a concurrent writer's entry is never lost. A corrupt file is
    /// replaced (this is how a new login recovers from one); a good one is never left
    /// half-written.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be locked or written.
    pub fn save(&self, key: &str, session: Option<&Session>) -> Result<(), Error> {
        if session.is_none() && !self.path.exists() {
            return Ok(());
        }
        let _lock = self.lock()?;
        let mut all = self.read_all().unwrap_or_else(|error| {
            tracing::warn!(%error, "replacing an unreadable session file");
            BTreeMap::new()
        });
        match session {
            Some(session) => {
                all.insert(
                    key.to_owned(),
                    StoredSession {
                        user_id: session.user_id.clone(),
                        access_token: session.access_token.clone(),
                        login_time: session.login_time,
                        expires_at: session.expires_at,
                    },
                );
            }
            None => {
                if all.remove(key).is_none() && !self.path.exists() {
                    return Ok(());
                }
            }
        }
        let body = serde_json::to_vec_pretty(&all).map_err(|e| config_error(&self.path, e))?;
        write_private(&self.path, &body).map_err(|e| config_error(&self.path, e))
    }

    /// Takes the exclusive advisory lock on the lock file beside the session file (made, mode
    /// 0600, on first use and never removed: removing it would let two writers lock two
    /// different files). It is released when the returned file is dropped.
    fn lock(&self) -> Result<File, Error> {
        let dir = directory_of(&self.path);
        fs::create_dir_all(dir).map_err(|e| config_error(&self.path, e))?;
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = self.path.with_file_name(name);
        let mut options = File::options();
        options.read(true).write(true).create(true).truncate(false);
        private_mode(&mut options);
        let file = options
            .open(&lock_path)
            .map_err(|e| config_error(&lock_path, e))?;
        file.lock().map_err(|e| config_error(&lock_path, e))?;
        Ok(file)
    }
}

/// The folder a file is in (`.` for a bare name).
fn directory_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Owner read and write only, for files that hold tokens.
fn private_mode(options: &mut fs::OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = options;
}

/// Writes `bytes` to `path` atomically with mode 0600: a new temporary file with a random name
/// (`create_new`, so never an existing file or a link in its place), synced, renamed over
/// `path`, and the directory synced so the rename is durable.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (mut file, temporary) = create_temporary(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(e);
    }
    sync_directory(directory_of(path))
}

/// Creates `<name>.tmp-<random>` beside `path`, trying another name in the unlikely event one
/// exists.
fn create_temporary(path: &Path) -> std::io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..8 {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        // ClientTag's generator: 18 random base-36 characters.
        name.push(format!(".tmp-{}", ClientTag::generate()));
        let temporary = path.with_file_name(name);
        let mut options = File::options();
        options.write(true).create_new(true);
        private_mode(&mut options);
        match options.open(&temporary) {
            Ok(file) => return Ok((file, temporary)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
}

/// Makes a rename in `dir` durable (on Unix; elsewhere the rename is all there is).
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// RFC 3339 text of a time, for messages.
pub(crate) fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tt-transport-session-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// Only the owner may read or write the file (on Unix).
    fn assert_private(path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
        #[cfg(not(unix))]
        let _ = path;
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
        assert_private(&dir.join("session.json"));
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
    fn stored_entries_hold_the_token_as_a_secret() {
        let stored: StoredSession = serde_json::from_str(
            r#"{"user_id":"TT0001","access_token":"sekrit","login_time":"2026-11-24T09:15:00+05:30","expires_at":"2026-11-25T06:00:00+05:30"}"#,
        )
        .unwrap();
        assert_eq!(stored.access_token.expose(), "sekrit");
        let text = format!("{stored:?}");
        assert!(!text.contains("sekrit"), "{text}");
    }

    /// The old temporary name was `session.json.tmp-<pid>`, opened with truncate: a link
    /// planted there (or a stale file) was written through.
    #[cfg(unix)]
    #[test]
    fn saving_never_writes_through_a_file_planted_at_a_temporary_name() {
        let dir = dir("planted");
        fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, b"untouched").unwrap();
        let planted = dir.join(format!("session.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let store = SessionStore::new(dir.join("session.json"));
        let tomorrow = datetime!(2026-11-25 06:00 +05:30);
        store.save("k1", Some(&session("tok1", tomorrow))).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"untouched");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn saving_leaves_only_the_file_and_its_lock() {
        let dir = dir("tidy");
        let store = SessionStore::new(dir.join("session.json"));
        let tomorrow = datetime!(2026-11-25 06:00 +05:30);
        for token in ["a", "b", "c"] {
            store.save("k1", Some(&session(token, tomorrow))).unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["session.json", "session.json.lock"]);
        assert_private(&dir.join("session.json.lock"));
        let _ = fs::remove_dir_all(&dir);
    }

    /// Eight programs (separate stores on one file) saving their own keys at once: the lock
    /// makes each read-modify-write whole, so no entry is lost.
    #[test]
    fn concurrent_saves_keep_every_entry() {
        let dir = dir("concurrent");
        let path = dir.join("session.json");
        let tomorrow = datetime!(2026-11-25 06:00 +05:30);
        let now = datetime!(2026-11-24 10:00 +05:30);
        for round in 0..5 {
            let barrier = std::sync::Barrier::new(8);
            std::thread::scope(|scope| {
                for writer in 0..8 {
                    let (barrier, path) = (&barrier, path.clone());
                    scope.spawn(move || {
                        let store = SessionStore::new(path);
                        barrier.wait();
                        let key = format!("r{round}k{writer}");
                        store.save(&key, Some(&session(&key, tomorrow))).unwrap();
                    });
                }
            });
            let store = SessionStore::new(path.clone());
            for writer in 0..8 {
                let key = format!("r{round}k{writer}");
                let saved = store.load(&key, now).unwrap();
                assert_eq!(
                    saved.map(|s| s.access_token.expose().to_owned()),
                    Some(key.clone()),
                    "{key}"
                );
            }
        }
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
