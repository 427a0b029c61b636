//! `tt sim`: the simulated brokers (Kite and Upstox, one address, dispatched by path) on a
//! loopback address, trading the instrument master, with their accounts kept beside the master
//! so a restarted simulator continues them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tt_core::{Amount, Secret};
use tt_instruments::{InstrumentMaster, default_master_path};
use tt_sim::{KiteApp, PriceWalk, RateLimits, SimConfig, Simulator, StreamConfig, state_path_for};

use crate::output::line;

/// Run a simulated Kite Connect v3 and Upstox v2/v3 broker on one address (for tests, demos and
/// paper trading).
#[derive(Debug, Args)]
pub(crate) struct Command {
    /// Where to listen: a loopback address (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8765")]
    addr: SocketAddr,
    /// The instrument master it lists and trades [default: $TT_CACHE_DIR/instruments.db, else _cache/instruments.db].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// The accounts' state database (SQLite, owner-only, written as each request changes it)
    /// [default: the master's path with .sim-state.db appended].
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// The app's api_key (Upstox: client_id).
    #[arg(long, env = "TT_SIM_API_KEY", default_value = "tt_sim_key")]
    api_key: String,
    /// The app's api_secret (Kite's session checksum key; Upstox: client_secret).
    #[arg(
        long,
        env = "TT_SIM_API_SECRET",
        default_value = "tt_sim_secret",
        hide_env_values = true
    )]
    api_secret: String,
    /// Where the login page redirects with the request token (Upstox: the redirect_uri).
    #[arg(long, default_value = "http://127.0.0.1/callback")]
    redirect_url: String,
    /// The user every session belongs to.
    #[arg(long, default_value = "TT0001")]
    user_id: String,
    /// The user's name.
    #[arg(long, default_value = "Sim Trader")]
    user_name: String,
    /// Opening cash of the equity segment of each broker's account, in rupees (a fresh account
    /// only).
    #[arg(long, default_value = "1000000", value_parser = parse_amount)]
    funds: Amount,
    /// Opening cash of the commodity segment (MCX), in rupees (a fresh account only).
    #[arg(long, default_value = "0", value_parser = parse_amount)]
    commodity_funds: Amount,
    /// Switch every broker's rate limits off (otherwise each broker's documented ones apply).
    #[arg(long)]
    no_rate_limits: bool,
    /// Refuse an order short of funds or holdings at placement (Kite: 400 MarginException or
    /// HoldingException; Upstox: 400 UDAPI100500) instead of accepting it and rejecting it in
    /// the order book, as the brokers do.
    #[arg(long)]
    reject_synchronously: bool,
    /// The token calls under /__sim/ must carry in X-Sim-Admin-Token [default: a random one,
    /// printed at start].
    #[arg(long, env = "TT_SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// How often the feeds (Kite's ticker, Upstox's market data feed) send each subscribed
    /// instrument a tick, in milliseconds.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 250,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    tick_ms: u64,
    /// Move every streamed instrument's price by a seeded random walk (up to two ticks of its
    /// tick size each interval), so a demo sees a moving market; without it prices move only
    /// when set (POST /__sim/prices) or traded through.
    #[arg(long)]
    walk: bool,
    /// The walk's seed (implies --walk): the same seed and subscriptions give the same walk
    /// [default: 1].
    #[arg(long, value_name = "N")]
    walk_seed: Option<u64>,
}

/// The walk's seed without --walk-seed: fixed, so that two demos run alike.
const DEFAULT_WALK_SEED: u64 = 1;

/// The largest move of the walk per tick interval, in ticks of the instrument's tick size.
const WALK_STEP_TICKS: u32 = 2;

impl Command {
    /// The feeds' configuration the flags ask for.
    fn stream_config(&self) -> StreamConfig {
        let config = StreamConfig::default().tick_interval(Duration::from_millis(self.tick_ms));
        if self.walk || self.walk_seed.is_some() {
            config.walk(PriceWalk {
                seed: self.walk_seed.unwrap_or(DEFAULT_WALK_SEED),
                step_ticks: WALK_STEP_TICKS,
            })
        } else {
            config
        }
    }
}

fn parse_amount(text: &str) -> Result<Amount, String> {
    text.parse::<Amount>().map_err(|e| e.to_string())
}

pub(crate) fn run(command: Command) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(command))
}

async fn serve(command: Command) -> Result<ExitCode, String> {
    let stream = command.stream_config();
    let db = command.db.unwrap_or_else(default_master_path);
    let master = InstrumentMaster::open(&db).map_err(|e| e.to_string())?;
    let state = command.state.unwrap_or_else(|| state_path_for(&db));
    let app = KiteApp {
        api_key: command.api_key,
        api_secret: Secret::new(command.api_secret),
        redirect_url: command.redirect_url,
        user_id: command.user_id,
        user_name: command.user_name,
        ..KiteApp::default()
    };
    let mut config = SimConfig::new(Arc::new(master))
        .addr(command.addr)
        .app(app)
        .equity_funds(command.funds)
        .commodity_funds(command.commodity_funds)
        .reject_synchronously(command.reject_synchronously)
        .state_file(state)
        .stream(stream);
    if command.no_rate_limits {
        config = config.rate_limits(RateLimits::UNLIMITED);
    }
    if let Some(token) = command.admin_token {
        config = config.admin_token(token);
    }
    let handle = Simulator::start(config).await.map_err(|e| e.to_string())?;
    line(format_args!("listening on {}", handle.url()));
    // The admin endpoints can wipe the account: only whoever reads this may call them.
    line(format_args!(
        "admin token {}",
        handle.admin_token().expose()
    ));
    // Every change is already saved; Ctrl-C only has to stop listening.
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use clap::Parser;

    use super::*;

    /// `tt sim`'s flags on their own.
    #[derive(Debug, Parser)]
    struct Sim {
        #[command(flatten)]
        command: Command,
    }

    fn feeds(args: &[&str]) -> StreamConfig {
        let args = std::iter::once("sim").chain(args.iter().copied());
        Sim::try_parse_from(args).unwrap().command.stream_config()
    }

    #[test]
    fn the_feeds_tick_every_250_ms_without_a_walk_by_default() {
        let config = feeds(&[]);
        assert_eq!(config.tick_period(), Duration::from_millis(250));
        assert!(!format!("{config:?}").contains("PriceWalk"), "{config:?}");
    }

    #[test]
    fn walk_flags_turn_the_seeded_walk_on() {
        for (args, seed) in [
            (&["--walk"][..], DEFAULT_WALK_SEED),
            (&["--walk-seed", "7"][..], 7),
            (&["--walk", "--walk-seed", "9", "--tick-ms", "20"][..], 9),
        ] {
            let walk = PriceWalk {
                seed,
                step_ticks: WALK_STEP_TICKS,
            };
            let config = feeds(args);
            assert!(
                format!("{config:?}").contains(&format!("{walk:?}")),
                "{args:?}: {config:?}"
            );
        }
        assert_eq!(
            feeds(&["--tick-ms", "20"]).tick_period(),
            Duration::from_millis(20)
        );
    }

    #[test]
    fn a_tick_interval_of_zero_is_refused() {
        let refused = Sim::try_parse_from(["sim", "--tick-ms", "0"]).unwrap_err();
        assert!(refused.to_string().contains("--tick-ms"), "{refused}");
    }
}
