//! `tt`: the tt-connect command line.
//!
//! ```text
//! tt instruments import --zerodha kite.csv --upstox complete.json.gz
//! tt instruments resolve --json NFO:NIFTY:2026-12-29:24000:CE
//! tt instruments search RELI
//! tt instruments chain NFO:NIFTY --expiry 2026-12-29
//! tt sim --addr 127.0.0.1:8765
//! tt sim --addr 127.0.0.1:8765 --walk --walk-seed 7 --tick-ms 100
//! tt stream --broker zerodha --root http://127.0.0.1:8765 --mode full --record infy.cap NSE:INFY
//! tt stream --broker upstox --root http://127.0.0.1:8765 --access-token TOKEN --count 10 NSE:INFY
//! tt decode --broker zerodha --db _cache/instruments.db infy.cap
//! ```
#![allow(clippy::print_stdout)]

mod decode;
mod instruments;
mod output;
mod sim;
mod stream;
mod ticks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// tt-connect's command line.
#[derive(Debug, Parser)]
#[command(name = "tt", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build, refresh and query the instrument master.
    #[command(subcommand)]
    Instruments(instruments::Command),
    /// Run the simulated brokers (Kite Connect v3, Upstox v2/v3) on a loopback address.
    Sim(sim::Command),
    /// Stream ticks and order updates from a broker as JSON lines.
    Stream(stream::Command),
    /// Decode a recorded capture into one JSON line per tick.
    Decode(decode::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Instruments(command) => instruments::run(command),
        Command::Sim(command) => sim::run(command),
        Command::Stream(command) => stream::run(command),
        Command::Decode(command) => decode::run(command),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tt: {message}");
            ExitCode::FAILURE
        }
    }
}
