//! The session file as the Zerodha client sees it: loading it is race-free, a corrupt one is
//! reported as such, and `Debug` never reads it.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use time::macros::datetime;
use tt_core::{Error, ManualClock, Secret, Trading};
use tt_zerodha::{Zerodha, ZerodhaConfig};

/// A fresh folder for one test's session file.
fn dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tt-zerodha-session-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn zerodha(session_file: &std::path::Path) -> Zerodha {
    Zerodha::new(
        ZerodhaConfig::new("key", "secret")
            // Nothing here may reach the network: port 9 on loopback refuses.
            .api_root("http://127.0.0.1:9")
            .session_file(session_file)
            .clock(Arc::new(ManualClock::new(
                datetime!(2026-11-24 10:00 +05:30),
            )))
            .without_rate_limits(),
    )
}

#[test]
fn two_first_calls_at_once_both_see_the_saved_session() {
    let dir = dir("race");
    let file = dir.join("session.json");
    zerodha(&file)
        .use_access_token("TT0001", Secret::new("token"))
        .unwrap();
    for _ in 0..100 {
        // A new client each round: its first look at the session file is the race.
        let client = zerodha(&file);
        let barrier = Barrier::new(4);
        let seen: Vec<bool> = std::thread::scope(|scope| {
            let calls: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        client.session().is_some()
                    })
                })
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        assert_eq!(seen, [true; 4]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_corrupt_session_file_is_an_error_that_says_so() {
    let dir = dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session.json");
    std::fs::write(&file, b"{ half a session").unwrap();
    let error = zerodha(&file).profile().await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
    let text = error.to_string();
    assert!(text.contains("session.json"), "{text}");
    assert!(text.contains("not a session file"), "{text}");
    assert!(!text.contains("not logged in"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_never_reads_the_session_file() {
    let dir = dir("debug");
    let file = dir.join("session.json");
    zerodha(&file)
        .use_access_token("TT0001", Secret::new("token"))
        .unwrap();
    let client = zerodha(&file);
    let text = format!("{client:?}");
    // Formatting showed only what is in memory: nothing yet.
    assert!(text.contains("session: None"), "{text}");
    assert!(client.session().is_some());
    assert!(format!("{client:?}").contains("TT0001"));
    let _ = std::fs::remove_dir_all(&dir);
}
