//! Writing to stdout without panicking when the reader goes away (`tt ... | head`).

use std::io::{self, Write};

/// Writes one line to stdout; a closed pipe ends the program quietly.
pub(crate) fn line(text: impl std::fmt::Display) {
    if write_line(text).is_err() {
        std::process::exit(0);
    }
}

/// Writes one line to stdout, for a caller that must finish its work (flush a file) when the
/// reader goes away instead of exiting on the spot.
///
/// # Errors
/// The write's error: a closed pipe (`tt stream | head`), a full disk.
pub(crate) fn write_line(text: impl std::fmt::Display) -> io::Result<()> {
    writeln!(io::stdout().lock(), "{text}")
}

/// The process's peak resident memory in bytes, where the platform reports it (Linux).
pub(crate) fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A one-line download progress display on stderr, redrawn only when the shown figure changes,
/// and only when stderr is a terminal.
#[derive(Debug, Default)]
pub(crate) struct ProgressLine {
    last: std::sync::Mutex<Option<(String, u64)>>,
}

impl ProgressLine {
    pub(crate) fn update(&self, label: &str, done: u64, total: Option<u64>) {
        use std::io::IsTerminal;
        if !io::stderr().is_terminal() {
            return;
        }
        let mb = |bytes: u64| bytes as f64 / 1_048_576.0;
        let (key, text) = match total {
            Some(total) if total > 0 => {
                let percent = done * 100 / total;
                (
                    percent,
                    format!(
                        "{label}: {:.1} of {:.1} MB ({percent}%)",
                        mb(done),
                        mb(total)
                    ),
                )
            }
            _ => (done / 1_048_576, format!("{label}: {:.1} MB", mb(done))),
        };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() == Some(&(label.to_owned(), key)) {
            return;
        }
        *last = Some((label.to_owned(), key));
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        if total.is_some_and(|t| done >= t) {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
