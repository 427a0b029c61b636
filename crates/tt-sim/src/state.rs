//! The account saved beside the master, so a restarted simulator continues where it stopped:
//! one JSON file, replaced atomically (written aside, synced, renamed over) after each change.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SimError;
use crate::account::Account;
use crate::market::Market;
use crate::session::Session;

/// The file format's version; a file of another version is refused, never misread.
const VERSION: u32 = 1;

/// What the file holds.
#[derive(Debug, Deserialize)]
pub(crate) struct Saved {
    version: u32,
    /// Orders, trades, positions, holdings, funds.
    pub(crate) account: Account,
    /// Prices that were set, and the day's tapes.
    pub(crate) market: Market,
    /// Open sessions.
    pub(crate) sessions: Vec<Session>,
}

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    account: &'a Account,
    market: &'a Market,
    sessions: &'a [Session],
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
pub(crate) fn save(
    path: &Path,
    account: &Account,
    market: &Market,
    sessions: &[Session],
) -> Result<(), SimError> {
    let body = serde_json::to_vec(&SavedRef {
        version: VERSION,
        account,
        market,
        sessions,
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

/// Where `tt sim` keeps the account for a master: `<master>.sim-state.json` beside it.
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
