//! Shared set-up for the end-to-end tests: an instrument master, a running simulator, and a
//! Zerodha client logged in to it through Kite's real login flow.
//!
//! One [`ManualClock`] drives every clock of a world: the master's dump date, the simulator's
//! and the client's. Tests therefore mean the same on any day they run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use time::OffsetDateTime;
use time::macros::datetime;
use tt_connect::{Clock, ManualClock, Zerodha, ZerodhaConfig};
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

/// The instant every world starts at: a Tuesday, 10:00 IST, market hours.
pub const WORLD_START: OffsetDateTime = datetime!(2026-11-24 10:00 +05:30);

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
        let clock = Arc::new(ManualClock::running(WORLD_START));
        let dir = std::env::temp_dir().join(format!("tt-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kite.csv"), MASTER_CSV).unwrap();
        let parser = Zerodha::new(ZerodhaConfig::new("", ""));
        let db = dir.join("instruments.db");
        build_master(
            &db,
            vec![DumpInput {
                broker: &parser,
                reader: open_dump(&dir.join("kite.csv")).unwrap(),
                source_name: "e2e".into(),
                dump_date: clock.today_ist(),
            }],
            &BuildOptions::default(),
        )
        .unwrap();
        let master = Arc::new(InstrumentMaster::open(&db).unwrap());
        let sim = Simulator::start(
            SimConfig::new(Arc::clone(&master))
                .rate_limits(limits)
                .clock(Arc::clone(&clock) as Arc<dyn Clock>),
        )
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
        ZerodhaConfig::new(app.api_key.clone(), app.api_secret.clone())
            .api_root(self.sim.url())
            .login_url(format!("{}/connect/login", self.sim.url()))
            .instrument_master(Arc::clone(&self.master))
            .session_file(self.dir.join("session.json"))
            .clock(Arc::clone(&self.clock) as Arc<dyn Clock>)
            .http(HttpConfig {
                response_timeout: Duration::from_secs(2),
                ..HttpConfig::default()
            })
    }

    /// Follows Kite's login as a browser would: the login page redirects to the app's URL
    /// with a `request_token`, which the client exchanges for a session.
    pub async fn log_in(&self, zerodha: &Zerodha) {
        let http = HttpClient::new(HttpConfig::default()).unwrap();
        let request = http::Request::get(zerodha.login_url())
            .body(Bytes::new())
            .unwrap();
        let response = http.send(request).await.unwrap();
        assert_eq!(response.status, 302, "the login page redirects");
        let location = response
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            location.starts_with(&self.sim.app().redirect_url),
            "{location}"
        );
        let token = location
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix("request_token="))
            .unwrap();
        assert!(
            location.contains("status=success") && location.contains("action=login"),
            "{location}"
        );
        zerodha.complete_login(token).await.unwrap();
    }

    /// A logged-in client.
    pub async fn logged_in(&self) -> Zerodha {
        let zerodha = Zerodha::new(self.zerodha_config());
        self.log_in(&zerodha).await;
        zerodha
    }
}
