//! `tt stream`: a broker's live feed as JSON lines, optionally recorded as a capture that
//! `tt decode` reads back.
//!
//! A capture is a sequence of frames, each a 4-byte big-endian length and then one WebSocket
//! binary message exactly as received (Kite's ticker frames, Upstox's protobuf messages).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, ValueEnum};
use tt_connect::{
    Client, FeedEvent, FeedOptions, FrameRecorder, Instrument, Login, MarketFeed, Secret,
    StreamMode, Upstox, UpstoxConfig, Zerodha, ZerodhaConfig,
};
use tt_instruments::default_master_path;

use crate::output::write_line;
use crate::ticks::event_line;

/// Stream ticks and order updates from a broker (or `tt sim`) as JSON lines.
#[derive(Debug, Args)]
pub(crate) struct Command {
    /// The broker.
    #[arg(long, value_enum)]
    broker: BrokerName,
    /// The mode: ltp, quote, full (Upstox also option_greeks, full_depth30; it has no quote).
    #[arg(long, default_value = "ltp", value_parser = parse_mode)]
    mode: StreamMode,
    /// Write every market-data message as received to FILE (a capture `tt decode` reads).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// The app's api_key (Upstox: client_id).
    #[arg(long, env = "TT_API_KEY", default_value = "tt_sim_key")]
    api_key: String,
    /// The app's api_secret (Upstox: client_secret); streaming itself does not use it.
    #[arg(
        long,
        env = "TT_API_SECRET",
        default_value = "tt_sim_secret",
        hide_env_values = true
    )]
    api_secret: String,
    /// An access token to stream with; without it, the session saved by a login is used.
    #[arg(long, env = "TT_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// The REST root: `http://127.0.0.1:8765` for `tt sim` (which serves the feeds there too)
    /// [default: the broker's production hosts].
    #[arg(long, value_name = "URL")]
    root: Option<String>,
    /// The instrument master [default: $TT_CACHE_DIR/instruments.db, else _cache/instruments.db].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// The session file [default: beside the master, session.json].
    #[arg(long, value_name = "PATH")]
    session: Option<PathBuf>,
    /// Stop after this many ticks.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    seconds: Option<u64>,
    /// Leave order updates out.
    #[arg(long)]
    no_order_updates: bool,
    /// The instruments, in canonical form (`NSE:INFY`, `NFO:NIFTY:2026-12-29:24000:CE`).
    #[arg(required = true, value_name = "SPEC")]
    instruments: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BrokerName {
    Zerodha,
    Upstox,
}

fn parse_mode(text: &str) -> Result<StreamMode, String> {
    text.parse::<StreamMode>().map_err(|e| e.to_string())
}

pub(crate) fn run(command: Command) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(stream(command))
}

async fn stream(command: Command) -> Result<ExitCode, String> {
    // Everything the command line alone can refuse is refused before a file is opened.
    let instruments = command
        .instruments
        .iter()
        .map(|spec| {
            spec.parse::<Instrument>()
                .map_err(|e| format!("{spec}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let db = command.db.clone().unwrap_or_else(default_master_path);
    let session = command
        .session
        .clone()
        .unwrap_or_else(|| db.with_file_name("session.json"));
    let token = command.access_token.clone().map(Secret::new);
    let feed = Feed {
        command: &command,
        instruments: &instruments,
        session: &session,
    };
    match command.broker {
        BrokerName::Zerodha => {
            let mut config = ZerodhaConfig::new(&command.api_key, command.api_secret.as_str())
                .session_file(&session)
                .instrument_master_path(&db);
            if let Some(root) = &command.root {
                config = config.api_root(root);
            }
            let broker = Zerodha::new(config);
            if let Some(token) = token {
                broker
                    .use_access_token("cli", token)
                    .map_err(|e| e.to_string())?;
            }
            feed.follow(Client::new(broker)).await
        }
        BrokerName::Upstox => {
            let mut config = UpstoxConfig::new(
                &command.api_key,
                command.api_secret.as_str(),
                "http://127.0.0.1/callback",
            )
            .session_file(&session)
            .instrument_master_path(&db);
            if let Some(root) = &command.root {
                config = config.api_root(root);
            }
            let broker = Upstox::new(config);
            if let Some(token) = token {
                broker
                    .use_access_token("cli", token)
                    .map_err(|e| e.to_string())?;
            }
            feed.follow(Client::new(broker)).await
        }
    }
}

/// What to stream, and where the session was looked for.
struct Feed<'a> {
    command: &'a Command,
    instruments: &'a [Instrument],
    session: &'a Path,
}

impl Feed<'_> {
    /// Checks the mode, the segments and the session, then streams until the count, the time
    /// limit, Ctrl-C or the feed's end.
    async fn follow<B: MarketFeed + Login>(&self, client: Client<B>) -> Result<ExitCode, String> {
        let command = self.command;
        let capabilities = client.capabilities();
        // Before connecting: a mode the broker lacks would otherwise surface only after the
        // feed (and its order stream) opened.
        capabilities
            .verify_stream_mode(command.mode)
            .map_err(|e| format!("{e} (it streams {})", modes(capabilities.stream_modes())))?;
        for instrument in self.instruments {
            capabilities
                .verify_segment(instrument.exchange())
                .map_err(|e| format!("{instrument}: {e}"))?;
        }
        if client.broker().session().is_none() {
            return Err(format!(
                "not logged in to {}: pass --access-token TOKEN (or set TT_ACCESS_TOKEN), or \
                 --session PATH naming a session a login saved (none usable at {})",
                capabilities.broker(),
                self.session.display()
            ));
        }
        let capture = match &command.record {
            Some(path) => Some(Capture::create(path)?),
            None => None,
        };
        let options = FeedOptions {
            order_updates: !command.no_order_updates,
            recorder: capture.as_ref().map(Capture::recorder),
            ..FeedOptions::default()
        };
        let (handle, mut events) = client
            .stream_with(options)
            .await
            .map_err(|e| e.to_string())?;
        handle
            .subscribe(self.instruments, command.mode)
            .await
            .map_err(|e| e.to_string())?;
        let deadline = command
            .seconds
            .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        // One listener for the whole run: a signal between two events is not lost.
        let stop = stop_requested();
        tokio::pin!(stop);
        let mut ticks = 0u64;
        let mut code = ExitCode::SUCCESS;
        loop {
            let next = async {
                match deadline {
                    Some(at) => tokio::time::timeout_at(at, events.next()).await.ok(),
                    None => Some(events.next().await),
                }
            };
            let event = tokio::select! {
                event = next => event,
                () = &mut stop => None,
            };
            let Some(Some(event)) = event else { break };
            // Nobody reads any more (`tt stream | head`): stop, but finish the capture first.
            if write_line(event_line(&event)).is_err() {
                break;
            }
            match event {
                FeedEvent::Tick(_) => {
                    ticks += 1;
                    if command.count.is_some_and(|n| ticks >= n) {
                        break;
                    }
                }
                FeedEvent::Closed { .. } => {
                    code = ExitCode::FAILURE;
                    break;
                }
                _ => {}
            }
        }
        handle.close();
        if let Some(capture) = capture {
            capture.finish()?;
        }
        Ok(code)
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what `kill` and `timeout` send), so that either
/// ends the stream with the capture flushed. A signal that cannot be listened for never fires.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                () = ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Resolves on Ctrl-C; never, when Ctrl-C cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Modes by name, comma-separated.
fn modes(modes: &[StreamMode]) -> String {
    modes
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A capture file being written.
struct Capture {
    file: Arc<Mutex<Option<BufWriter<File>>>>,
    path: PathBuf,
}

impl Capture {
    fn create(path: &PathBuf) -> Result<Capture, String> {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Capture {
            file: Arc::new(Mutex::new(Some(BufWriter::new(file)))),
            path: path.clone(),
        })
    }

    fn recorder(&self) -> FrameRecorder {
        let file = Arc::clone(&self.file);
        FrameRecorder::new(move |payload| {
            let mut slot = file.lock().unwrap_or_else(|p| p.into_inner());
            let Some(writer) = slot.as_mut() else { return };
            let Ok(length) = u32::try_from(payload.len()) else {
                return;
            };
            // A failed write leaves the capture short; finish() reports it.
            if writer.write_all(&length.to_be_bytes()).is_err()
                || writer.write_all(payload).is_err()
            {
                *slot = None;
            }
        })
    }

    fn finish(self) -> Result<(), String> {
        let mut slot = self.file.lock().unwrap_or_else(|p| p.into_inner());
        match slot.take() {
            Some(mut writer) => writer
                .flush()
                .map_err(|e| format!("{}: {e}", self.path.display())),
            None => Err(format!(
                "{}: writing the capture failed; it is incomplete",
                self.path.display()
            )),
        }
    }
}
