//! Shared set-up for the end-to-end tests: an instrument master holding both brokers' listings,
//! a running simulator speaking both brokers' APIs, and Zerodha and Upstox clients logged in to
//! it through each broker's real login flow.
//!
//! One [`ManualClock`] drives every clock of a world: the master's dump date, the simulator's
//! and the client's. Tests therefore mean the same on any day they run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod errors;
pub mod side;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use time::OffsetDateTime;
use time::macros::datetime;
use tt_connect::{Clock, ManualClock, Upstox, UpstoxConfig, Zerodha, ZerodhaConfig};
use tt_instruments::{BuildOptions, DumpInput, InstrumentMaster, build_master, open_dump};
use tt_sim::{RateLimits, SimConfig, SimHandle, Simulator};
use tt_transport::{HttpClient, HttpConfig};

/// The instruments every test trades: Kite's dump formatting, real-looking tokens.
pub const MASTER_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.1,1,EQ,NSE,NSE
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
779521,3045,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,NSE,NSE
519937,2031,M&M,\"MAHINDRA & MAHINDRA\",0,,0,0.05,1,EQ,NSE,NSE
12345602,48225,NIFTY26DEC24000CE,\"NIFTY\",0,2026-12-29,24000,0.05,75,CE,NFO-OPT,NFO
12345858,48226,NIFTY26DEC24000PE,\"NIFTY\",0,2026-12-29,24000,0.05,75,PE,NFO-OPT,NFO
412675,1612,USDINR26DECFUT,\"USDINR\",0,2026-12-29,0,0.0025,1,FUT,CDS-FUT,CDS
";

/// The same contracts as Upstox's BOD file lists them (its JSON, tick sizes in paise, expiries
/// in epoch milliseconds at 23:59:59 IST), so the master holds both brokers' tokens for each.
pub const MASTER_UPSTOX_JSON: &str = r#"[
{"segment":"NSE_INDEX","name":"Nifty 50","exchange":"NSE","instrument_type":"INDEX","instrument_key":"NSE_INDEX|Nifty 50","exchange_token":"26000","trading_symbol":"NIFTY"},
{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":10.0,"trading_symbol":"RELIANCE","qty_multiplier":1.0,"security_type":"NORMAL"},
{"segment":"NSE_EQ","name":"INFOSYS LIMITED","exchange":"NSE","isin":"INE009A01021","instrument_type":"EQ","instrument_key":"NSE_EQ|INE009A01021","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"1594","tick_size":5.0,"trading_symbol":"INFY","qty_multiplier":1.0,"security_type":"NORMAL"},
{"segment":"NSE_EQ","name":"STATE BANK OF INDIA","exchange":"NSE","isin":"INE062A01020","instrument_type":"EQ","instrument_key":"NSE_EQ|INE062A01020","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"3045","tick_size":5.0,"trading_symbol":"SBIN","qty_multiplier":1.0,"security_type":"NORMAL"},
{"segment":"NSE_EQ","name":"MAHINDRA & MAHINDRA LTD","exchange":"NSE","isin":"INE101A01026","instrument_type":"EQ","instrument_key":"NSE_EQ|INE101A01026","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2031","tick_size":5.0,"trading_symbol":"M&M","qty_multiplier":1.0,"security_type":"NORMAL"},
{"weekly":false,"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":1798568999000,"instrument_type":"CE","asset_symbol":"NIFTY","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|48225","lot_size":75,"freeze_quantity":1800.0,"exchange_token":"48225","minimum_lot":75,"asset_key":"NSE_INDEX|Nifty 50","underlying_key":"NSE_INDEX|Nifty 50","tick_size":5.0,"asset_type":"INDEX","underlying_type":"INDEX","trading_symbol":"NIFTY 24000 CE 29 DEC 26","strike_price":24000.0,"qty_multiplier":1.0},
{"weekly":false,"segment":"NSE_FO","name":"NIFTY","exchange":"NSE","expiry":1798568999000,"instrument_type":"PE","asset_symbol":"NIFTY","underlying_symbol":"NIFTY","instrument_key":"NSE_FO|48226","lot_size":75,"freeze_quantity":1800.0,"exchange_token":"48226","minimum_lot":75,"asset_key":"NSE_INDEX|Nifty 50","underlying_key":"NSE_INDEX|Nifty 50","tick_size":5.0,"asset_type":"INDEX","underlying_type":"INDEX","trading_symbol":"NIFTY 24000 PE 29 DEC 26","strike_price":24000.0,"qty_multiplier":1.0},
{"weekly":false,"segment":"NCD_FO","name":"USDINR","exchange":"NSE","expiry":1798568999000,"instrument_type":"FUT","asset_symbol":"USDINR","underlying_symbol":"USDINR","instrument_key":"NCD_FO|1612","lot_size":1,"freeze_quantity":10000.0,"exchange_token":"1612","minimum_lot":1,"tick_size":0.25,"asset_type":"CUR","underlying_type":"CUR","trading_symbol":"USDINR FUT 29 DEC 26","strike_price":0.0,"qty_multiplier":1000.0}
]"#;

/// `count` synthetic NSE equities (`NSE:TTS00000`, …) as Kite's dump rows and, for the first
/// `upstox` of them, Upstox's: tokens as each broker makes them, joining on the exchange token.
pub fn synthetic_equities(count: u32, upstox: u32) -> (String, Vec<String>) {
    let kite = (0..count)
        .map(|n| {
            let exchange_token = 900_000 + n;
            format!(
                "{},{exchange_token},TTS{n:05},\"TT STOCK {n}\",0,,0,0.05,1,EQ,NSE,NSE\n",
                exchange_token * 256 + 1
            )
        })
        .collect();
    let upstox = (0..upstox.min(count))
        .map(|n| {
            format!(
                r#"{{"segment":"NSE_EQ","name":"TT STOCK {n}","exchange":"NSE","isin":"INE{n:05}A01{d}","instrument_type":"EQ","instrument_key":"NSE_EQ|INE{n:05}A01{d}","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"{t}","tick_size":5.0,"trading_symbol":"TTS{n:05}","qty_multiplier":1.0,"security_type":"NORMAL"}}"#,
                d = n % 10,
                t = 900_000 + n
            )
        })
        .collect();
    (kite, upstox)
}

/// Runs each scenario (an `async fn name<S: Side>()` of the calling test file) once per broker,
/// as the tests `zerodha::name` and `upstox::name`; the file imports `ZerodhaSide` and
/// `UpstoxSide`.
#[macro_export]
macro_rules! for_each_broker {
    ($($scenario:ident),* $(,)?) => {
        mod zerodha {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario::<super::ZerodhaSide>().await;
                }
            )*
        }
        mod upstox {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario::<super::UpstoxSide>().await;
                }
            )*
        }
    };
}

/// A canonical instrument from its text (`NSE:INFY`).
pub fn instrument(text: &str) -> tt_connect::Instrument {
    text.parse().unwrap()
}

/// A price from its text (`1500.05`).
pub fn price(text: &str) -> tt_connect::Price {
    text.parse().unwrap()
}

/// The instant every world starts at: a Tuesday, 10:00 IST, market hours.
pub const WORLD_START: OffsetDateTime = datetime!(2026-11-24 10:00 +05:30);

/// A broker config (any broker's: they share these setters) reading the world's master and
/// clock, keeping its session in the world's directory, answering within two seconds.
macro_rules! in_world {
    ($world:expr, $config:expr) => {
        $config
            .instrument_master(Arc::clone(&$world.master))
            .session_file($world.dir.join("session.json"))
            .clock(Arc::clone(&$world.clock) as Arc<dyn Clock>)
            .http(HttpConfig {
                response_timeout: Duration::from_secs(2),
                ..HttpConfig::default()
            })
    };
}

/// A test's world: a temporary directory, the master, the simulator, and the one clock they
/// and the clients read.
pub struct World {
    /// The temporary directory (removed on drop).
    pub dir: PathBuf,
    /// The instrument master the simulator and the client share.
    pub master: Arc<InstrumentMaster>,
    /// The running simulator.
    pub sim: SimHandle,
    /// The clock of the master's dump date, the simulator and every client from
    /// [`World::zerodha_config`]; starts at [`WORLD_START`] and runs in real time from there.
    pub clock: Arc<ManualClock>,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl World {
    /// A master from [`MASTER_CSV`] and a simulator with Kite's rate limits off.
    pub async fn start(name: &str) -> World {
        World::start_with(name, RateLimits::UNLIMITED).await
    }

    /// As [`World::start`], with the simulator enforcing `limits`.
    pub async fn start_with(name: &str, limits: RateLimits) -> World {
        World::start_configured(name, |config| config.rate_limits(limits)).await
    }

    /// As [`World::start`], the simulator's configuration adjusted by `configure`.
    pub async fn start_configured(
        name: &str,
        configure: impl FnOnce(SimConfig) -> SimConfig,
    ) -> World {
        World::start_with_rows(name, "", &[], configure).await
    }

    /// As [`World::start_configured`], with more rows of Kite's dump (CSV lines, each ending
    /// in a newline) and of Upstox's (JSON objects, each joining one of the Kite rows).
    pub async fn start_with_rows(
        name: &str,
        kite_rows: &str,
        upstox_rows: &[String],
        configure: impl FnOnce(SimConfig) -> SimConfig,
    ) -> World {
        let clock = Arc::new(ManualClock::running(WORLD_START));
        let dir = std::env::temp_dir().join(format!("tt-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kite.csv"), format!("{MASTER_CSV}{kite_rows}")).unwrap();
        let upstox_json = match upstox_rows {
            [] => MASTER_UPSTOX_JSON.to_owned(),
            rows => format!(
                "{},\n{}\n]",
                MASTER_UPSTOX_JSON
                    .trim_end()
                    .trim_end_matches(']')
                    .trim_end(),
                rows.join(",\n")
            ),
        };
        std::fs::write(dir.join("upstox.json"), upstox_json).unwrap();
        let kite = Zerodha::new(ZerodhaConfig::new("", ""));
        let upstox = Upstox::new(UpstoxConfig::new("", "", ""));
        let db = dir.join("instruments.db");
        let report = build_master(
            &db,
            vec![
                DumpInput {
                    broker: &kite,
                    reader: open_dump(&dir.join("kite.csv")).unwrap(),
                    source_name: "e2e".into(),
                    dump_date: clock.today_ist(),
                },
                DumpInput {
                    broker: &upstox,
                    reader: open_dump(&dir.join("upstox.json")).unwrap(),
                    source_name: "e2e".into(),
                    dump_date: clock.today_ist(),
                },
            ],
            &BuildOptions::default(),
        )
        .unwrap();
        assert_eq!(
            report.joins.joined,
            8 + upstox_rows.len() as u64,
            "every contract joins across the two brokers: {report:?}"
        );
        let master = Arc::new(InstrumentMaster::open(&db).unwrap());
        let sim = Simulator::start(configure(
            SimConfig::new(Arc::clone(&master))
                .rate_limits(RateLimits::UNLIMITED)
                .clock(Arc::clone(&clock) as Arc<dyn Clock>),
        ))
        .await
        .unwrap();
        World {
            dir,
            master,
            sim,
            clock,
        }
    }

    /// A Zerodha client for the simulator's app, its session kept in this world's directory,
    /// reading this world's clock, with its own rate limiter on (as by default).
    pub fn zerodha_config(&self) -> ZerodhaConfig {
        let app = self.sim.app();
        let config = ZerodhaConfig::new(app.api_key.clone(), app.api_secret.clone())
            .api_root(self.sim.url())
            .login_url(format!("{}/connect/login", self.sim.url()));
        in_world!(self, config)
    }

    /// Follows Kite's login as a browser would: the login page redirects to the app's URL
    /// with a `request_token`, which the client exchanges for a session.
    pub async fn log_in(&self, zerodha: &Zerodha) {
        let (location, token) = self
            .login_redirect(&zerodha.login_url(), "request_token")
            .await;
        assert!(
            location.contains("status=success") && location.contains("action=login"),
            "{location}"
        );
        zerodha.complete_login(&token).await.unwrap();
    }

    /// An Upstox client for the simulator's app (its client id, secret and redirect URI), both
    /// its hosts (REST and orders) at the simulator, its session kept in this world's
    /// directory, reading this world's clock, with its own rate limiter on (as by default).
    pub fn upstox_config(&self) -> UpstoxConfig {
        let app = self.sim.app();
        let config = UpstoxConfig::new(
            app.api_key.clone(),
            app.api_secret.clone(),
            app.redirect_url.clone(),
        )
        .api_root(self.sim.url());
        in_world!(self, config)
    }

    /// Follows Upstox's OAuth2 login as a browser would: the authorization dialog redirects
    /// to the app's redirect URI with a `code`, which the client exchanges for a token.
    pub async fn log_in_upstox(&self, upstox: &Upstox) {
        let (_, code) = self.login_redirect(&upstox.login_url(), "code").await;
        upstox.complete_login(&code).await.unwrap();
    }

    /// A logged-in Upstox client.
    pub async fn logged_in_upstox(&self) -> Upstox {
        let upstox = Upstox::new(self.upstox_config());
        self.log_in_upstox(&upstox).await;
        upstox
    }

    /// Opens a login page as a browser would and checks that it sends the browser to the app's
    /// redirect URL; returns that URL and its `key` parameter.
    pub async fn login_redirect(&self, url: &str, key: &str) -> (String, String) {
        let location = self.redirect_of(url).await;
        assert!(
            location.starts_with(&self.sim.app().redirect_url),
            "{location}"
        );
        let value = location
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {key} in {location}"))
            .to_owned();
        (location, value)
    }

    /// Where a login page sends the browser: the `Location` of its 302.
    pub async fn redirect_of(&self, url: &str) -> String {
        let http = HttpClient::new(HttpConfig::default()).unwrap();
        let request = http::Request::get(url).body(Bytes::new()).unwrap();
        let response = http.send(request).await.unwrap();
        assert_eq!(response.status, 302, "the login page redirects");
        response
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A logged-in client.
    pub async fn logged_in(&self) -> Zerodha {
        let zerodha = Zerodha::new(self.zerodha_config());
        self.log_in(&zerodha).await;
        zerodha
    }
}
