//! Project chores, run as `cargo xtask <command>`:
//!
//! - `deny`: checks licences, bans and sources with cargo-deny (installing it if missing).
//! - `features`: proves each broker feature compiles alone and pulls in no other broker.
//! - `gen-instruments [--out DIR]`: writes a full-size Kite dump and the matching Upstox JSON.
//! - `bench instruments`: times a full import and the resolver (see `docs/performance.md`).
//! - `bench rest`: times `place_order` through tt-connect against a raw POST (same document).
//! - `bench json`: times serde_json against simd-json on Upstox's JSON (same document).
#![allow(clippy::print_stdout)]

mod bench;
mod gen_instruments;

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The cargo-deny release the project checks with.
const CARGO_DENY_VERSION: &str = "0.20.2";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("deny") => deny(),
        Some("features") => features(),
        Some("gen-instruments") => gen_instruments(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <deny|features|gen-instruments [--out DIR]|bench instruments>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where generated data goes unless `--out` says otherwise.
pub(crate) const GENERATED_DIR: &str = "_cache/generated";

fn gen_instruments(args: &[String]) -> Result<(), String> {
    let dir = match args {
        [] => PathBuf::from(GENERATED_DIR),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask gen-instruments [--out DIR]".to_owned()),
    };
    let rows = gen_instruments::generate(&dir)?;
    println!(
        "wrote {rows} contracts to {0}/kite-instruments.csv and {0}/upstox-complete.json",
        dir.display()
    );
    Ok(())
}

pub(crate) fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs cargo-deny's offline checks. Advisories need the RustSec database from the network,
/// which this project's machines cannot reach, so they are left to a networked job.
fn deny() -> Result<(), String> {
    let installed = cargo()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!("cargo-deny not found; installing {CARGO_DENY_VERSION} (takes a few minutes)");
        run(cargo().args([
            "install",
            "cargo-deny",
            "--locked",
            "--version",
            CARGO_DENY_VERSION,
        ]))?;
    }
    run(cargo().args([
        "deny",
        "--all-features",
        "check",
        "bans",
        "licenses",
        "sources",
    ]))
}

/// For each broker feature alone: the facade compiles, and the other brokers' crates are not in
/// its dependency graph at all.
fn features() -> Result<(), String> {
    let brokers = ["zerodha", "upstox"];
    for broker in brokers {
        let tree = output(cargo().args([
            "tree",
            "--package",
            "tt-connect",
            "--no-default-features",
            "--features",
            broker,
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ]))?;
        let own = format!("tt-{broker} ");
        if !tree.lines().any(|line| line.starts_with(&own)) {
            return Err(format!(
                "with only `{broker}`, tt-{broker} is missing from the tree"
            ));
        }
        for other in brokers.iter().filter(|&&b| b != broker) {
            let crate_name = format!("tt-{other} ");
            if tree.lines().any(|line| line.starts_with(&crate_name)) {
                return Err(format!(
                    "with only the `{broker}` feature, tt-{other} is still in tt-connect's dependency tree"
                ));
            }
        }
        println!("feature `{broker}` alone: no other broker in the dependency tree");
        check_facade(&["--features", broker])?;
        println!("feature `{broker}` alone: compiles");
    }
    check_facade(&[])?;
    println!("no broker features: compiles");
    Ok(())
}

/// `cargo check` of the facade with no default features plus `features`.
fn check_facade(features: &[&str]) -> Result<(), String> {
    let base = [
        "check",
        "--quiet",
        "--package",
        "tt-connect",
        "--no-default-features",
    ];
    run(cargo().args(base).args(features))
}
