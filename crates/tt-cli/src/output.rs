//! Writing to stdout without panicking when the reader goes away (`tt ... | head`).

use std::io::{self, Write};

/// Writes one line to stdout; a closed pipe ends the program quietly.
pub(crate) fn line(text: impl std::fmt::Display) {
    let mut out = io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        std::process::exit(0);
    }
}

/// The process's peak resident memory in bytes, where the platform reports it (Linux).
pub(crate) fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
