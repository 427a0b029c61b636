//! `tt decode`: a capture (`tt stream --record`) decoded into one JSON line per tick.
//!
//! Heartbeats and messages without ticks are skipped. A frame that does not decode, or a
//! capture cut short, is reported on stderr with its byte offset, and decoding goes on with
//! the next frame (a cut-short capture ends there).

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tt_core::{Instrument, TickData};
use tt_instruments::InstrumentMaster;

use crate::output::line;
use crate::ticks::tick_line;

/// The largest frame a capture may hold (a Kite frame of 3,000 full packets is ~560 kB).
const MAX_FRAME: usize = 64 << 20;

/// Decode a capture of a broker's feed into JSON lines, one per tick.
#[derive(Debug, Args)]
pub(crate) struct Command {
    /// Whose feed the capture holds.
    #[arg(long, value_enum)]
    broker: BrokerName,
    /// An instrument master, to name each tick's instrument.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// The capture.
    file: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BrokerName {
    Zerodha,
    Upstox,
}

impl BrokerName {
    fn name(self) -> &'static str {
        match self {
            BrokerName::Zerodha => "zerodha",
            BrokerName::Upstox => "upstox",
        }
    }

    /// The ticks of one message, with their tokens as text.
    fn decode(self, message: &[u8]) -> Result<Vec<(String, TickData)>, String> {
        match self {
            BrokerName::Zerodha => tt_zerodha::stream::decode_ticks(message)
                .map(|ticks| {
                    ticks
                        .into_iter()
                        .map(|(token, data)| (token.to_string(), data))
                        .collect()
                })
                .map_err(|e| e.to_string()),
            BrokerName::Upstox => {
                tt_upstox::stream::decode_ticks(message).map_err(|e| e.to_string())
            }
        }
    }
}

pub(crate) fn run(command: Command) -> Result<ExitCode, String> {
    let master = match &command.db {
        Some(path) => Some(InstrumentMaster::open(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let file = File::open(&command.file).map_err(|e| format!("{}: {e}", command.file.display()))?;
    let mut reader = BufReader::new(file);
    let broker = command.broker;
    let mut offset: u64 = 0;
    let mut problems = 0u64;
    let mut message = Vec::new();
    loop {
        let mut length = [0u8; 4];
        match read_exactly(&mut reader, &mut length) {
            Ok(0) => break,
            Ok(4) => {}
            Ok(_) => {
                eprintln!("tt decode: offset {offset}: the capture ends inside a frame's length");
                problems += 1;
                break;
            }
            Err(e) => return Err(format!("{}: {e}", command.file.display())),
        }
        let size = u32::from_be_bytes(length) as usize;
        if size > MAX_FRAME {
            // A length no feed sends: the capture is corrupt from here on.
            eprintln!(
                "tt decode: offset {offset}: a frame of {size} bytes is past any feed's size; stopping"
            );
            problems += 1;
            break;
        }
        message.resize(size, 0);
        let read = read_exactly(&mut reader, &mut message)
            .map_err(|e| format!("{}: {e}", command.file.display()))?;
        if read < size {
            eprintln!(
                "tt decode: offset {offset}: the capture ends inside a frame ({read} of {size} bytes)"
            );
            problems += 1;
            break;
        }
        match broker.decode(&message) {
            Ok(ticks) => {
                for (token, data) in ticks {
                    let instrument = master
                        .as_ref()
                        .and_then(|m| instrument_of(m, broker.name(), &token));
                    line(tick_line(&token, instrument.as_ref(), &data));
                }
            }
            Err(problem) => {
                eprintln!("tt decode: offset {offset}: frame skipped: {problem}");
                problems += 1;
            }
        }
        offset += 4 + size as u64;
    }
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn instrument_of(master: &InstrumentMaster, broker: &str, token: &str) -> Option<Instrument> {
    master
        .instrument_for_token(broker, token)
        .ok()
        .map(|resolved| resolved.instrument.clone())
}

/// Reads until `buf` is full or the input ends; the count read.
fn read_exactly(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
