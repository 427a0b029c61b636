//! What a simulator is started with: the instrument master, the app it accepts, the accounts'
//! opening funds, each broker's rate limits, where its state is kept and which clock it reads.

use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use tt_core::{Amount, Clock, Secret, SystemClock};
use tt_instruments::InstrumentMaster;

use crate::{SimBroker, StreamConfig};

/// The app the simulator recognises, and the user who logs in through it. Both brokers accept
/// the same app: Kite's `api_key` / `api_secret` / redirect URL are Upstox's `client_id` /
/// `client_secret` / `redirect_uri`.
///
/// The defaults are what `tt sim` uses: api key (client id) `tt_sim_key`, secret
/// `tt_sim_secret`, redirect URL `http://127.0.0.1/callback`, user `TT0001`.
///
/// ```
/// let app = tt_sim::KiteApp::default();
/// assert_eq!(app.api_key, "tt_sim_key");
/// assert_eq!(app.api_secret.expose(), "tt_sim_secret");
/// ```
#[derive(Debug, Clone)]
pub struct KiteApp {
    /// The app's api_key (Upstox: `client_id`).
    pub api_key: String,
    /// The app's api_secret, which Kite's session checksum is computed with (Upstox:
    /// `client_secret`).
    pub api_secret: Secret,
    /// Where `/connect/login` sends the browser with its `request_token` (Upstox: the
    /// registered `redirect_uri`, which the login dialog and the token call must name).
    pub redirect_url: String,
    /// The user id every session belongs to (`user_id`, `placed_by`).
    pub user_id: String,
    /// The user's full name (`user_name`).
    pub user_name: String,
    /// The user's short name (`user_shortname`).
    pub user_shortname: String,
    /// The user's e-mail address (`email`).
    pub email: String,
}

impl Default for KiteApp {
    fn default() -> Self {
        KiteApp {
            api_key: "tt_sim_key".to_owned(),
            api_secret: Secret::new("tt_sim_secret"),
            redirect_url: "http://127.0.0.1/callback".to_owned(),
            user_id: "TT0001".to_owned(),
            user_name: "Sim Trader".to_owned(),
            user_shortname: "Sim".to_owned(),
            email: "tt0001@sim.invalid".to_owned(),
        }
    }
}

/// Requests allowed per calendar second, minute and half hour, by endpoint class, for one
/// broker. `None` lifts a limit. Beyond a limit the simulator answers HTTP 429 in the broker's
/// format (Kite: a `NetworkException` "Too many requests"; Upstox: `UDAPI10005`).
///
/// Kite counts quotes, historical candles, orders and everything else apart; Upstox counts
/// order placement, modification and cancellation as one class and every other API as
/// "standard" (its quote and historical limits are the standard ones). Minutes and half hours
/// are calendar ones (`:00` and `:30`), counted on the simulator's clock.
///
/// ```
/// use tt_sim::RateLimits;
///
/// assert_eq!(RateLimits::KITE.quote_per_second.map(|n| n.get()), Some(1));
/// assert_eq!(RateLimits::UPSTOX.orders_per_30_minutes.map(|n| n.get()), Some(2000));
/// assert_eq!(RateLimits::UNLIMITED.orders_per_minute, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Quotes (Kite: `/quote`, `/quote/ohlc`, `/quote/ltp`, 1/s; Upstox: standard).
    pub quote_per_second: Option<NonZeroU32>,
    /// Historical candles (Kite: `/instruments/historical/...`, 3/s; Upstox: standard).
    pub historical_per_second: Option<NonZeroU32>,
    /// Order placement, modification and cancellation (Kite: 10/s; Upstox: 10/s).
    pub orders_per_second: Option<NonZeroU32>,
    /// Order placement, modification and cancellation per calendar minute (Kite: 400;
    /// Upstox: 500).
    pub orders_per_minute: Option<NonZeroU32>,
    /// Order placement, modification and cancellation per half hour (Upstox: 2000).
    pub orders_per_30_minutes: Option<NonZeroU32>,
    /// Every other endpoint (Kite: 10/s, all of them together; Upstox: 50/s for each standard
    /// API on its own).
    pub other_per_second: Option<NonZeroU32>,
    /// Every other endpoint per calendar minute (Upstox: 500).
    pub other_per_minute: Option<NonZeroU32>,
    /// Every other endpoint per half hour (Upstox: 2000).
    pub other_per_30_minutes: Option<NonZeroU32>,
}

const fn limit(n: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(n)
}

impl RateLimits {
    /// Kite's documented limits: quote 1/s, historical 3/s, orders 10/s and 400/min, others 10/s.
    pub const KITE: RateLimits = RateLimits {
        quote_per_second: limit(1),
        historical_per_second: limit(3),
        orders_per_second: limit(10),
        orders_per_minute: limit(400),
        orders_per_30_minutes: None,
        other_per_second: limit(10),
        other_per_minute: None,
        other_per_30_minutes: None,
    };

    /// Upstox's documented limits: orders 10/s, 500/min and 2000 per half hour; standard APIs
    /// 50/s, 500/min and 2000 per half hour.
    pub const UPSTOX: RateLimits = RateLimits {
        quote_per_second: limit(50),
        historical_per_second: limit(50),
        orders_per_second: limit(10),
        orders_per_minute: limit(500),
        orders_per_30_minutes: limit(2000),
        other_per_second: limit(50),
        other_per_minute: limit(500),
        other_per_30_minutes: limit(2000),
    };

    /// No limits at all, for tests that send bursts.
    pub const UNLIMITED: RateLimits = RateLimits {
        quote_per_second: None,
        historical_per_second: None,
        orders_per_second: None,
        orders_per_minute: None,
        orders_per_30_minutes: None,
        other_per_second: None,
        other_per_minute: None,
        other_per_30_minutes: None,
    };

    /// The broker's documented limits ([`RateLimits::KITE`] or [`RateLimits::UPSTOX`]).
    pub const fn of(broker: SimBroker) -> RateLimits {
        match broker {
            SimBroker::Kite => RateLimits::KITE,
            SimBroker::Upstox => RateLimits::UPSTOX,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::KITE
    }
}

/// How a simulator starts.
///
/// ```no_run
/// use std::sync::Arc;
/// use tt_instruments::InstrumentMaster;
/// use tt_sim::{RateLimits, SimConfig, Simulator};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let master = Arc::new(InstrumentMaster::open("_cache/instruments.db")?);
/// let sim = Simulator::start(SimConfig::new(master).rate_limits(RateLimits::UNLIMITED)).await?;
/// println!("Kite root: {}", sim.url());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub(crate) master: Arc<InstrumentMaster>,
    pub(crate) addr: SocketAddr,
    pub(crate) app: KiteApp,
    pub(crate) equity_funds: Amount,
    pub(crate) commodity_funds: Amount,
    pub(crate) seed_holdings: usize,
    /// Per broker, by [`SimBroker::index`].
    pub(crate) rate_limits: [RateLimits; 2],
    pub(crate) state_file: Option<PathBuf>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) admin_token: Option<Secret>,
    pub(crate) reject_synchronously: bool,
    pub(crate) stream: StreamConfig,
}

impl SimConfig {
    /// A simulator trading the Kite and Upstox listings of `master`, on `127.0.0.1:0` (a free
    /// port), with the default app, one account per broker each opening with ₹10,00,000 of
    /// equity funds, no commodity funds and three seeded holdings, each broker's documented rate
    /// limits, no state file and the system clock.
    pub fn new(master: Arc<InstrumentMaster>) -> SimConfig {
        SimConfig {
            master,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            app: KiteApp::default(),
            // ₹10,00,000 (ten lakh).
            equity_funds: Amount::from_rupees(1_000_000),
            commodity_funds: Amount::ZERO,
            seed_holdings: 3,
            rate_limits: [RateLimits::KITE, RateLimits::UPSTOX],
            state_file: None,
            clock: Arc::new(SystemClock),
            admin_token: None,
            reject_synchronously: false,
            stream: StreamConfig::default(),
        }
    }

    /// Listens on `addr`, which must be a loopback address (port 0 picks a free port).
    pub fn addr(mut self, addr: SocketAddr) -> SimConfig {
        self.addr = addr;
        self
    }

    /// Accepts this app instead of the default one.
    pub fn app(mut self, app: KiteApp) -> SimConfig {
        self.app = app;
        self
    }

    /// Opening cash of the equity segment (NSE, BSE, NFO, BFO, CDS, BCD), in each broker's
    /// account.
    pub fn equity_funds(mut self, funds: Amount) -> SimConfig {
        self.equity_funds = funds;
        self
    }

    /// Opening cash of the commodity segment (MCX), in each broker's account.
    pub fn commodity_funds(mut self, funds: Amount) -> SimConfig {
        self.commodity_funds = funds;
        self
    }

    /// How many holdings each account opens with: the first `count` NSE equities the broker
    /// lists, 10, 20, 30, ... shares each, bought at 90% of their opening price.
    pub fn seed_holdings(mut self, count: usize) -> SimConfig {
        self.seed_holdings = count;
        self
    }

    /// Applies these rate limits to every broker ([`RateLimits::UNLIMITED`] for bursts).
    pub fn rate_limits(mut self, limits: RateLimits) -> SimConfig {
        self.rate_limits = [limits; 2];
        self
    }

    /// Applies these rate limits to one broker's endpoints.
    pub fn rate_limits_for(mut self, broker: SimBroker, limits: RateLimits) -> SimConfig {
        if let Some(slot) = self.rate_limits.get_mut(broker.index()) {
            *slot = limits;
        }
        self
    }

    /// Keeps the accounts (orders, trades, positions, holdings, funds, sessions; the prices)
    /// in this SQLite database, readable by its owner only: read at start when it exists
    /// (created otherwise), and after each request the rows it changed are written, in one
    /// transaction. A file of another schema version, or with a row that does not read back,
    /// is refused at start ([`SimError::State`](crate::SimError::State),
    /// [`SimError::StateRow`](crate::SimError::StateRow)) and left as it is.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> SimConfig {
        self.state_file = Some(path.into());
        self
    }

    /// Reads the time from `clock` (timestamps, session expiry, rate-limit windows).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> SimConfig {
        self.clock = clock;
        self
    }

    /// With `true`, refuses a placement short of funds or holdings outright (Kite: 400
    /// `MarginException` / `HoldingException`; Upstox: 400 `UDAPI100500`) instead of doing what
    /// the brokers do, which is the default: accept it (the place call answers its order id)
    /// and reject it in the book, where the next read of the order finds it `REJECTED` with the
    /// broker's message.
    pub fn reject_synchronously(mut self, synchronously: bool) -> SimConfig {
        self.reject_synchronously = synchronously;
        self
    }

    /// Configures the WebSocket feeds (Kite's ticker, Upstox's market data and portfolio
    /// feeds): their tick interval, an optional seeded price walk and a frame tap. The default
    /// ([`StreamConfig::default`]) ticks every 250 ms and never moves a price by itself.
    pub fn stream(mut self, stream: StreamConfig) -> SimConfig {
        self.stream = stream;
        self
    }

    /// Requires this token (in the `X-Sim-Admin-Token` header) on every call under
    /// `/__sim/`, instead of a random one per start. Either way
    /// [`SimHandle::admin_token`](crate::SimHandle::admin_token) tells it.
    pub fn admin_token(mut self, token: impl Into<Secret>) -> SimConfig {
        self.admin_token = Some(token.into());
        self
    }
}
