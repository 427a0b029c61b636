//! `tt instruments`: build, refresh and query the instrument master.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::str::FromStr;
use time::{Date, OffsetDateTime};

use std::sync::Arc;

use tt_core::{Exchange, IST, Instrument, InstrumentSource, Secret, SystemClock};
use tt_instruments::{
    BuildOptions, DumpFetcher, DumpInput, InstrumentMaster, OnStale, RefreshOutcome, Refresher,
    Resolved, build_master, default_master_path, open_dump,
};
use tt_transport::{HttpClient, HttpConfig};
use tt_upstox::{Upstox, UpstoxConfig};
use tt_zerodha::{Zerodha, ZerodhaConfig};

use crate::output::{ProgressLine, line, peak_memory_bytes};

/// The brokers whose tokens `resolve` prints, in this order, present or not.
const BROKERS: [&str; 2] = ["zerodha", "upstox"];

#[derive(Debug, Args)]
pub(crate) struct MasterPath {
    /// The instrument master [default: $TT_CACHE_DIR/instruments.db, else _cache/instruments.db].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

impl MasterPath {
    fn path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_master_path)
    }

    fn open(&self) -> Result<InstrumentMaster, String> {
        InstrumentMaster::open(self.path()).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a master from local dump files (either may be omitted) and print the load report.
    Import {
        /// Kite's instrument CSV (plain or gzipped).
        #[arg(long, value_name = "FILE")]
        zerodha: Option<PathBuf>,
        /// Upstox's BOD instrument JSON (`.json` or `.json.gz`).
        #[arg(long, value_name = "FILE")]
        upstox: Option<PathBuf>,
        #[command(flatten)]
        master: MasterPath,
    },
    /// Download every broker's dump and rebuild the master (when it is not from today, IST).
    Refresh {
        #[command(flatten)]
        master: MasterPath,
        /// Rebuild even when the master is from today.
        #[arg(long)]
        force: bool,
        /// When the refresh fails: `fail`, or `warn` and keep the stale master.
        #[arg(long, default_value = "fail", value_parser = OnStale::from_str)]
        on_stale: OnStale,
        /// The brokers whose dumps to download, in merge order.
        #[arg(long, value_delimiter = ',', default_value = "zerodha,upstox")]
        brokers: Vec<String>,
        /// Kite's API root.
        #[arg(long, env = "TT_ZERODHA_API_ROOT", default_value = tt_zerodha::DEFAULT_API_ROOT)]
        zerodha_api_root: String,
        /// The Kite app's API key (sent with the access token).
        #[arg(long, env = "TT_ZERODHA_API_KEY", default_value = "")]
        zerodha_api_key: String,
        /// A Kite access token, when the dump needs one.
        #[arg(long, env = "TT_ZERODHA_ACCESS_TOKEN", hide_env_values = true)]
        zerodha_access_token: Option<String>,
        /// Where Upstox's instrument file is.
        #[arg(long, env = "TT_UPSTOX_INSTRUMENTS_URL", default_value = tt_upstox::DEFAULT_INSTRUMENTS_URL)]
        upstox_url: String,
    },
    /// Print each broker's token for instruments given in canonical form.
    Resolve {
        #[command(flatten)]
        master: MasterPath,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Instruments, e.g. `NFO:NIFTY:2026-12-29:24000:CE`; `-` reads them from stdin, one a line.
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<String>,
    },
    /// Find equities and indices by symbol or name prefix.
    Search {
        #[command(flatten)]
        master: MasterPath,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// The start of a symbol or name.
        query: String,
    },
    /// Print an underlying's option chain for an expiry (or its expiries, without one).
    Chain {
        #[command(flatten)]
        master: MasterPath,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// The expiry, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        expiry: Option<Date>,
        /// The underlying on its derivatives exchange, e.g. `NFO:NIFTY`.
        underlying: String,
    },
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("`{text}` is not a YYYY-MM-DD date"))
}

pub(crate) fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Import {
            zerodha,
            upstox,
            master,
        } => import(zerodha.as_deref(), upstox.as_deref(), &master.path()),
        Command::Refresh {
            master,
            force,
            on_stale,
            brokers,
            zerodha_api_root,
            zerodha_api_key,
            zerodha_access_token,
            upstox_url,
        } => {
            let sources = RefreshSources {
                brokers,
                zerodha_api_root,
                zerodha_api_key,
                zerodha_access_token,
                upstox_url,
            };
            refresh(&master.path(), force, on_stale, &sources)
        }
        Command::Resolve {
            master,
            json,
            specs,
        } => resolve(&master.open()?, json, &specs),
        Command::Search {
            master,
            json,
            limit,
            query,
        } => search(&master.open()?, json, &query, limit),
        Command::Chain {
            master,
            json,
            expiry,
            underlying,
        } => chain(&master.open()?, json, &underlying, expiry),
    }
}

/// The latest trading date a dump file can describe: its modification day in IST (the build
/// dates it earlier when it lists a derivative that expired before that).
fn file_date(path: &Path) -> Result<Date, String> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(OffsetDateTime::from(modified).to_offset(IST).date())
}

fn import(zerodha: Option<&Path>, upstox: Option<&Path>, db: &Path) -> Result<ExitCode, String> {
    if zerodha.is_none() && upstox.is_none() {
        return Err("give at least one of --zerodha FILE and --upstox FILE".to_owned());
    }
    let kite = Zerodha::new(ZerodhaConfig::new("", ""));
    let upstox_broker = Upstox::new(UpstoxConfig::new("", "", ""));
    let mut inputs = Vec::new();
    let sources: [(Option<&Path>, &dyn InstrumentSource); 2] =
        [(zerodha, &kite), (upstox, &upstox_broker)];
    for (path, broker) in sources {
        if let Some(path) = path {
            inputs.push(DumpInput {
                broker,
                reader: open_dump(path).map_err(|e| e.to_string())?,
                source_name: path.display().to_string(),
                dump_date: file_date(path)?,
            });
        }
    }
    let report = build_master(db, inputs, &BuildOptions::default()).map_err(|e| e.to_string())?;
    line(&report);
    if let Some(peak) = peak_memory_bytes() {
        line(format_args!("peak memory {} MB", peak / (1024 * 1024)));
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON object whose keys print in the order they were added.
#[derive(Debug, Default)]
struct Ordered(Vec<(String, Field)>);

/// A value in an [`Ordered`] object: plain JSON, or another ordered object.
#[derive(Debug)]
enum Field {
    Json(Value),
    Object(Ordered),
}

impl<T: Into<Value>> From<T> for Field {
    fn from(value: T) -> Field {
        Field::Json(value.into())
    }
}

impl Ordered {
    fn with(mut self, key: &str, value: impl Into<Field>) -> Self {
        self.0.push((key.to_owned(), value.into()));
        self
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(value) => value.serialize(serializer),
            Field::Object(object) => object.serialize(serializer),
        }
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl std::fmt::Display for Ordered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// Where `refresh` downloads from.
struct RefreshSources {
    brokers: Vec<String>,
    zerodha_api_root: String,
    zerodha_api_key: String,
    zerodha_access_token: Option<String>,
    upstox_url: String,
}

fn refresh(
    db: &Path,
    force: bool,
    on_stale: OnStale,
    sources: &RefreshSources,
) -> Result<ExitCode, String> {
    let http = HttpClient::new(HttpConfig {
        // Dumps are tens of megabytes: allow long pauses on slow links.
        response_timeout: std::time::Duration::from_secs(60),
        ..HttpConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let kite = tt_zerodha::InstrumentDumpFetcher::new(
        Zerodha::new(
            ZerodhaConfig::new(sources.zerodha_api_key.clone(), "")
                .api_root(sources.zerodha_api_root.clone()),
        ),
        sources.zerodha_access_token.clone().map(Secret::new),
        http.clone(),
    );
    let upstox =
        tt_upstox::InstrumentDumpFetcher::new(Upstox::new(UpstoxConfig::new("", "", "")), http)
            .url(sources.upstox_url.clone());
    let mut fetchers: Vec<&dyn DumpFetcher> = Vec::new();
    for broker in &sources.brokers {
        match broker.as_str() {
            "zerodha" => fetchers.push(&kite),
            "upstox" => fetchers.push(&upstox),
            other => {
                return Err(format!(
                    "unknown broker `{other}` (expected zerodha or upstox)"
                ));
            }
        }
    }
    let clock = SystemClock;
    let refresher = Refresher::new(db, &clock, fetchers).on_stale(on_stale);
    let progress = ProgressLine::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let outcome = runtime
        .block_on(async {
            let show =
                |broker: &str, done: u64, total: Option<u64>| progress.update(broker, done, total);
            if force {
                refresher.refresh(&show).await
            } else {
                refresher.refresh_if_stale(&show).await
            }
        })
        .map_err(|e| e.to_string())?;
    match outcome {
        RefreshOutcome::UpToDate => line(format_args!(
            "{} is up to date (today's dumps, IST)",
            db.display()
        )),
        RefreshOutcome::Rebuilt(report) => {
            line(&report);
            for broker in report.brokers.iter().filter(|b| b.carried_over.is_some()) {
                eprintln!(
                    "tt: warning: the {} instruments are still from {}: {}",
                    broker.broker,
                    broker.dump_date,
                    broker.carried_over.as_deref().unwrap_or_default()
                );
            }
            if let Some(peak) = peak_memory_bytes() {
                line(format_args!("peak memory {} MB", peak / (1024 * 1024)));
            }
        }
        RefreshOutcome::KeptStale { warning } => eprintln!("tt: warning: {warning}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// What the master has for one spec as one broker lists it.
enum Slot {
    /// The broker lists it once.
    Listed(Arc<Resolved>),
    /// The broker does not list it.
    Absent,
    /// The broker lists it more than once, or the lookup failed.
    Failed(tt_core::Error),
}

impl Slot {
    fn of(master: &InstrumentMaster, instrument: &Instrument, broker: &'static str) -> Slot {
        match master.resolve_for(instrument, broker) {
            Ok(resolved) => Slot::Listed(resolved),
            Err(tt_core::Error::InstrumentNotFound { .. }) => Slot::Absent,
            Err(error) => Slot::Failed(error),
        }
    }
}

/// `{"token": ..., "symbol": ..., "exchange": ..., "lot": ..., "tick": ..., "freeze": ...}`,
/// as the broker lists the instrument, or `null`.
fn token_json(resolved: &Resolved, broker: &str) -> Field {
    match resolved.listing(broker) {
        None => Field::Json(Value::Null),
        Some(listing) => {
            let token = &listing.token;
            let mut object = Ordered::default().with("token", token.token.as_str());
            if let Some(symbol) = &token.symbol {
                object = object.with("symbol", symbol.as_str());
            }
            if let Some(exchange) = &token.exchange {
                object = object.with("exchange", exchange.as_str());
            }
            let contract = listing.contract;
            object = object
                .with("lot", contract.lot_size)
                .with("tick", contract.tick_size.to_string());
            if let Some(freeze) = contract.freeze_quantity {
                object = object.with("freeze", freeze);
            }
            Field::Object(object)
        }
    }
}

/// `{"<spec_key>": spec, "zerodha": {...} | null, "upstox": {...} | null}`.
fn resolved_json(resolved: &Resolved, spec_key: &str, spec: &str) -> Ordered {
    let mut object = Ordered::default().with(spec_key, spec);
    for broker in BROKERS {
        object = object.with(broker, token_json(resolved, broker));
    }
    object
}

/// One broker's listing as text: `zerodha 12345602 (NFO:NIFTY26DEC24000CE) lot 75 tick 0.05`.
fn listing_text(resolved: &Resolved, broker: &str) -> String {
    match resolved.listing(broker) {
        None => format!("{broker} -"),
        Some(listing) => {
            let contract = listing.contract;
            let mut text = format!(
                "{broker} {} lot {} tick {}",
                listing.token, contract.lot_size, contract.tick_size
            );
            if let Some(freeze) = contract.freeze_quantity {
                text.push_str(&format!(" freeze {freeze}"));
            }
            text
        }
    }
}

/// Resolves one spec for every broker: each broker's own listing, or why it has none. Fails
/// only when no broker lists it, or one lists it ambiguously.
fn resolve_one(master: &InstrumentMaster, json: bool, spec: &str) -> bool {
    let fail = |error: &dyn std::fmt::Display| {
        if json {
            line(
                Ordered::default()
                    .with("spec", spec)
                    .with("error", error.to_string()),
            );
        } else {
            eprintln!("{spec}: {error}");
        }
        false
    };
    let instrument: Instrument = match spec.parse() {
        Ok(instrument) => instrument,
        Err(error) => return fail(&tt_core::Error::from(error)),
    };
    let slots: Vec<(&'static str, Slot)> = BROKERS
        .iter()
        .map(|&broker| (broker, Slot::of(master, &instrument, broker)))
        .collect();
    if slots.iter().all(|(_, slot)| matches!(slot, Slot::Absent)) {
        return fail(&tt_core::Error::InstrumentNotFound {
            spec: instrument.to_string(),
            broker: None,
        });
    }
    let mut object = Ordered::default().with("spec", spec);
    let mut text = instrument.to_string();
    let mut ok = true;
    for (broker, slot) in &slots {
        match slot {
            Slot::Listed(resolved) => {
                object = object.with(broker, token_json(resolved, broker));
                text.push_str(&format!("  {}", listing_text(resolved, broker)));
            }
            Slot::Absent => {
                object = object.with(broker, Field::Json(Value::Null));
                text.push_str(&format!("  {broker} -"));
            }
            Slot::Failed(error) => {
                ok = false;
                object = object.with(
                    broker,
                    Field::Object(Ordered::default().with("error", error.to_string())),
                );
                text.push_str(&format!("  {broker} ?"));
                if !json {
                    eprintln!("{spec} on {broker}: {error}");
                }
            }
        }
    }
    line(if json { object.to_string() } else { text });
    ok
}

fn resolve(master: &InstrumentMaster, json: bool, specs: &[String]) -> Result<ExitCode, String> {
    let mut failed = false;
    let mut handle = |spec: &str| failed |= !resolve_one(master, json, spec);
    for spec in specs {
        if spec == "-" {
            for text in io::stdin().lock().lines() {
                let text = text.map_err(|e| format!("reading stdin: {e}"))?;
                let text = text.trim();
                if !text.is_empty() {
                    handle(text);
                }
            }
        } else {
            handle(spec);
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn search(
    master: &InstrumentMaster,
    json: bool,
    query: &str,
    limit: usize,
) -> Result<ExitCode, String> {
    let hits = master.search(query, limit).map_err(|e| e.to_string())?;
    for hit in &hits {
        if json {
            let name = hit.name.as_deref().map_or(Value::Null, Value::from);
            line(resolved_json(hit, "instrument", &hit.instrument.to_string()).with("name", name));
        } else {
            line(format_args!(
                "{:<40} {}",
                hit.instrument.to_string(),
                hit.name.as_deref().unwrap_or("")
            ));
        }
    }
    Ok(if hits.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn chain(
    master: &InstrumentMaster,
    json: bool,
    underlying: &str,
    expiry: Option<Date>,
) -> Result<ExitCode, String> {
    let (exchange, symbol) = underlying
        .split_once(':')
        .ok_or_else(|| format!("`{underlying}` is not EXCHANGE:UNDERLYING (e.g. NFO:NIFTY)"))?;
    let exchange: Exchange = exchange
        .parse()
        .map_err(|e: tt_core::UnknownExchange| e.to_string())?;
    let Some(expiry) = expiry else {
        let expiries = master
            .expiries(exchange, symbol)
            .map_err(|e| e.to_string())?;
        for expiry in expiries {
            line(expiry);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let strikes = master
        .option_chain(exchange, symbol, expiry)
        .map_err(|e| e.to_string())?;
    for strike in &strikes {
        if json {
            let leg = |leg: &Option<Arc<Resolved>>| match leg {
                Some(resolved) => Field::Object(resolved_json(
                    resolved,
                    "instrument",
                    &resolved.instrument.to_string(),
                )),
                None => Field::Json(Value::Null),
            };
            line(
                Ordered::default()
                    .with("strike", strike.strike.to_string())
                    .with("call", leg(&strike.call))
                    .with("put", leg(&strike.put)),
            );
        } else {
            let leg = |leg: &Option<Arc<Resolved>>| {
                leg.as_ref().map_or_else(
                    || "-".to_owned(),
                    |r| {
                        BROKERS
                            .iter()
                            .map(|b| r.token(b).map_or("-".to_owned(), |t| t.token.clone()))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    },
                )
            };
            line(format_args!(
                "{:>12}  CE {:<34} PE {}",
                strike.strike.to_string(),
                leg(&strike.call),
                leg(&strike.put)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
