//! Where tt-connect keeps its runtime files (the instrument master, sessions).

use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable that overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "TT_CACHE_DIR";

/// The cache directory when nothing overrides it, relative to the working directory.
pub const DEFAULT_CACHE_DIR: &str = "_cache";

/// The cache directory: `$TT_CACHE_DIR` when set and not empty, else `_cache` under the working
/// directory.
pub fn cache_dir() -> PathBuf {
    cache_dir_from(std::env::var_os(CACHE_DIR_ENV))
}

/// The default path of the instrument master: `instruments.db` in [`cache_dir`].
pub fn default_master_path() -> PathBuf {
    cache_dir().join("instruments.db")
}

fn cache_dir_from(setting: Option<OsString>) -> PathBuf {
    match setting {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_CACHE_DIR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_default() {
        assert_eq!(cache_dir_from(None), PathBuf::from("_cache"));
        assert_eq!(
            cache_dir_from(Some(OsString::new())),
            PathBuf::from("_cache")
        );
        assert_eq!(
            cache_dir_from(Some(OsString::from("/tmp/tt"))),
            PathBuf::from("/tmp/tt")
        );
    }
}
