//! The accounts saved beside the master, so a restarted simulator continues where it stopped:
//! one JSON file, replaced atomically (written aside, synced, renamed over) after each change.
//! Version 2 keeps one account and its sessions per broker, keyed by canonical instrument;
//! version 1 files (Kite's account alone, keyed by Kite token) are refused.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SimError;
use crate::account::Account;
use crate::market::Market;
use crate::session::Session;
use crate::sim::{Desk, Inner};

/// The file format's version; a file of another version is refused, never misread.
const VERSION: u32 = 2;

/// One broker's part of the file.
#[derive(Debug, Deserialize)]
pub(crate) struct SavedDesk {
    /// Orders, trades, positions, holdings, funds.
    pub(crate) account: Account,
    /// Open sessions.
    pub(crate) sessions: Vec<Session>,
}

/// What the file holds.
#[derive(Debug, Deserialize)]
pub(crate) struct Saved {
    version: u32,
    /// Kite's account and sessions.
    pub(crate) kite: SavedDesk,
    /// Upstox's account and sessions.
    pub(crate) upstox: SavedDesk,
    /// Prices that were set, and the day's tapes.
    pub(crate) market: Market,
}

#[derive(Serialize)]
struct SavedDeskRef<'a> {
    account: &'a Account,
    sessions: &'a [Session],
}

impl<'a> SavedDeskRef<'a> {
    fn of(desk: &'a Desk) -> SavedDeskRef<'a> {
        SavedDeskRef {
            account: &desk.account,
            sessions: desk.sessions.open_sessions(),
        }
    }
}

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    kite: SavedDeskRef<'a>,
    upstox: SavedDeskRef<'a>,
    market: &'a Market,
}

fn failure(path: &Path, reason: impl ToString) -> SimError {
    SimError::State {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Reads the saved state; `None` when there is no file yet.
///
/// # Errors
/// [`SimError::State`] for a file that cannot be read, is not valid JSON of this format, or is
/// of another version.
pub(crate) fn load(path: &Path) -> Result<Option<Saved>, SimError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failure(path, e)),
    };
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    // The version first, so an old file is reported as such rather than as a shape mismatch.
    if let Ok(Version { version }) = serde_json::from_slice::<Version>(&text)
        && version != VERSION
    {
        return Err(failure(
            path,
            format!("version {version} is not {VERSION}; remove the file to start a fresh account"),
        ));
    }
    let saved: Saved = serde_json::from_slice(&text).map_err(|e| {
        failure(
            path,
            format!("{e}; remove the file to start a fresh account"),
        )
    })?;
    if saved.version != VERSION {
        return Err(failure(
            path,
            format!(
                "version {} is not {VERSION}; remove the file to start a fresh account",
                saved.version
            ),
        ));
    }
    Ok(Some(saved))
}

/// Replaces the file with this state, atomically, readable by its owner only (mode 0600).
///
/// # Errors
/// [`SimError::State`] when the file cannot be written; the previous file is left intact.
pub(crate) fn save(path: &Path, inner: &Inner) -> Result<(), SimError> {
    let body = serde_json::to_vec(&SavedRef {
        version: VERSION,
        kite: SavedDeskRef::of(&inner.kite),
        upstox: SavedDeskRef::of(&inner.upstox),
        market: &inner.market,
    })
    .map_err(|e| failure(path, e))?;
    let temporary = aside(path);
    // The file holds the sessions' access tokens: readable by its owner only.
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(&body)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        return Err(failure(path, e));
    }
    Ok(())
}

fn aside(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Where `tt sim` keeps the accounts for a master: `<master>.sim-state.json` beside it.
///
/// ```
/// use std::path::Path;
///
/// let path = tt_sim::state_path_for(Path::new("_cache/instruments.db"));
/// assert_eq!(path, Path::new("_cache/instruments.db.sim-state.json"));
/// ```
pub fn state_path_for(master: &Path) -> PathBuf {
    let mut name = master.file_name().unwrap_or_default().to_os_string();
    name.push(".sim-state.json");
    master.with_file_name(name)
}
