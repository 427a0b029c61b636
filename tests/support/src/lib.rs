//! Helpers shared by tests: where the real broker fixtures are, a loopback HTTP server, a
//! capture of what `tracing` logs, and broker-style decimals for property tests.
//!
//! The fixtures (recorded broker responses, instrument dumps) live beside the project in
//! `../shared/fixtures` and are never copied into the repository. A test that needs one calls
//! [`fixture`]: when the folder is absent it prints a notice and gets `None` (so the test can
//! skip), except under `CI=true`, where a missing fixture fails the test.
#![allow(clippy::panic)]

pub mod decimals;
pub mod http;
pub mod logs;

use std::path::PathBuf;

/// Overrides the fixtures folder.
pub const FIXTURES_ENV: &str = "TT_FIXTURES";

/// The shared fixtures folder, if present: `$TT_FIXTURES`, else `../shared/fixtures` beside the
/// project root.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(FIXTURES_ENV).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

/// The path of one fixture (relative to the fixtures folder), or `None` with a printed notice
/// when it is absent.
///
/// # Panics
/// When the fixture is absent and `CI=true`: CI must run every fixture test.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let path = fixtures_dir()
        .map(|dir| dir.join(relative))
        .filter(|p| p.exists());
    if path.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("fixture {relative} is missing and CI=true: fixture tests must run in CI");
        }
        eprintln!(
            "notice: fixture {relative} not found; skipping (set {FIXTURES_ENV} to point at the fixtures)"
        );
    }
    path
}

/// Asserts that only the file's owner may read or write it (mode 0600; on Unix, a no-op
/// elsewhere): for files that hold tokens.
///
/// # Panics
/// When the file cannot be read or its mode is wider.
pub fn assert_owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    #[cfg(not(unix))]
    let _ = path;
}
