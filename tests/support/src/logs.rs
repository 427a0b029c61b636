//! Capturing what `tracing` writes, for tests that check what is (and is not) logged.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A `tracing_subscriber` writer that keeps everything written to it; clones share the buffer.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// A subscriber writing plain text (no colours) at every level into `self`.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// Everything the process's global subscriber wrote, installing it on first use.
    ///
    /// Global, not per thread: a thread-local subscriber misses events whose callsite another
    /// test thread reached first (tracing caches that callsite as uninteresting), so tests in
    /// parallel share this one and pick out their own lines, by a tag no other test uses.
    ///
    /// # Panics
    /// When another global subscriber was installed first.
    pub fn global() -> CapturedLogs {
        static GLOBAL: OnceLock<CapturedLogs> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let logs = CapturedLogs::default();
                if tracing::subscriber::set_global_default(logs.subscriber()).is_err() {
                    panic!("another global tracing subscriber was installed first");
                }
                logs
            })
            .clone()
    }

    /// The first line containing every one of `needles`, waiting (asynchronously, so tasks of
    /// a single-threaded test runtime keep running) up to `within` for it to be written.
    ///
    /// # Panics
    /// When no such line is written in time.
    pub async fn line_with(&self, needles: &[&str], within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let text = self.text();
            if let Some(line) = text
                .lines()
                .find(|line| needles.iter().all(|needle| line.contains(needle)))
            {
                return line.to_owned();
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("no line with {needles:?} logged within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The text written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}
