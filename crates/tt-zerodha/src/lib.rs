//! Zerodha (Kite Connect v3) for tt-connect.
//!
//! This crate owns everything Kite-specific: configuration, the capability matrix, the login and
//! session (module `auth`), Kite's JSON (`wire`) and its translation to tt-core models
//! (`transformer`), the error map (`errors`), and the instrument dump (`instruments`). Nothing
//! outside it knows Kite's field names. Users reach it through `tt-connect` with the `zerodha`
//! feature.
//!
//! ```no_run
//! use tt_zerodha::{Zerodha, ZerodhaConfig};
//!
//! # async fn run(request_token: &str) -> Result<(), tt_core::Error> {
//! let zerodha = Zerodha::new(ZerodhaConfig::new("api_key", "api_secret"));
//! println!("log in at {}", zerodha.login_url());
//! // ... the browser comes back to the app's redirect URL with ?request_token=...
//! zerodha.complete_login(request_token).await?; // saved, and reused until 06:00 IST
//! # Ok(())
//! # }
//! ```

mod auth;
mod capabilities;
mod config;
mod errors;
mod instruments;
mod transformer;
mod wire;

use std::collections::HashMap;
use std::io::BufRead;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use bytes::Bytes;
use http::{Method, Request};
use tt_core::{
    Broker, Capabilities, ClientTag, DumpRows, Error, Funds, Holding, Instrument, InstrumentSource,
    Order, OrderId, OrderModification, OrderRequest, Positions, Profile, QuoteDetail, Result,
    Secret, Tick, Trade, Trading, async_trait,
};
use tt_instruments::InstrumentMaster;
use tt_transport::{
    ApiClient, CallKind, HttpClient, RateClass, RateLimit, RateLimiter, RawResponse, form_body,
    percent_encode,
};

pub use auth::SessionInfo;
pub use capabilities::CAPABILITIES;
pub use config::{DEFAULT_API_ROOT, DEFAULT_LOGIN_URL, DEFAULT_ORDERS_PER_MINUTE, ZerodhaConfig};
pub use instruments::InstrumentDumpFetcher;

use auth::{Session, SessionStore};
use config::MasterSource;
use errors::{BROKER, KiteCheck};

/// Kite's rate-limit classes (kite-api §7): quotes 1/s, historical 3/s, placing orders 10/s (and
/// a cap per minute), everything else 10/s. Modifying and cancelling are limited apart from
/// placing (10/s), so a cancel never waits behind a burst of placements.
const QUOTE: RateClass = RateClass::Quote;
const ORDER: RateClass = RateClass::OrderPlace;
const ORDER_CHANGE: RateClass = RateClass::OrderChange;
const DEFAULT: RateClass = RateClass::Other;

/// Kite's per-call instrument caps for quotes.
const FULL_QUOTE_BATCH: usize = 500;
const LIGHT_QUOTE_BATCH: usize = 1000;

/// Why a session ended, as given to the session-expiry hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnded {
    /// The user whose session it was, if known.
    pub user_id: Option<String>,
    /// What ended it (Kite's message, or the 06:00 IST expiry).
    pub reason: String,
}

type ExpiryHook = Arc<dyn Fn(&SessionEnded) + Send + Sync>;

/// The Zerodha broker: a handle, cheap to clone, sharing one session and connection pool.
///
/// ```
/// use tt_core::{Broker, Exchange};
/// use tt_zerodha::{Zerodha, ZerodhaConfig};
///
/// let zerodha = Zerodha::new(ZerodhaConfig::new("key", "secret"));
/// assert_eq!(zerodha.name(), "zerodha");
/// assert!(zerodha.capabilities().verify_segment(Exchange::Mcx).is_ok());
/// ```
#[derive(Clone)]
pub struct Zerodha {
    inner: Arc<Inner>,
}

struct Inner {
    config: ZerodhaConfig,
    api: OnceLock<std::result::Result<ApiClient, String>>,
    master: OnceLock<std::result::Result<Arc<InstrumentMaster>, String>>,
    session: RwLock<Option<Session>>,
    /// Set once the session file has been read successfully (a failed read is tried again).
    session_loaded: AtomicBool,
    /// Held while the session file is read, so a second first call waits for the first's
    /// result instead of seeing no session.
    session_loading: Mutex<()>,
    store: SessionStore,
    /// Order id to variety (`regular`, `amo`), learned when placing or reading an order.
    varieties: Mutex<HashMap<String, &'static str>>,
    expiry_hook: RwLock<Option<ExpiryHook>>,
}

impl std::fmt::Debug for Zerodha {
    /// The session as held in memory: formatting never reads the session file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let session = self
            .inner
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(SessionInfo::from);
        f.debug_struct("Zerodha")
            .field("config", &self.inner.config)
            .field("session", &session)
            .finish_non_exhaustive()
    }
}

impl Zerodha {
    /// A Zerodha broker for the given app. Nothing is opened or sent until first use.
    pub fn new(config: ZerodhaConfig) -> Self {
        let store = SessionStore::new(config.session_file.clone());
        Zerodha {
            inner: Arc::new(Inner {
                config,
                api: OnceLock::new(),
                master: OnceLock::new(),
                session: RwLock::new(None),
                session_loaded: AtomicBool::new(false),
                session_loading: Mutex::new(()),
                store,
                varieties: Mutex::new(HashMap::new()),
                expiry_hook: RwLock::new(None),
            }),
        }
    }

    /// The app's settings.
    pub fn config(&self) -> &ZerodhaConfig {
        &self.inner.config
    }

    /// Where to send the user's browser to log in: Kite's page, which redirects to the app's
    /// registered URL with a `request_token`.
    pub fn login_url(&self) -> String {
        let config = &self.inner.config;
        format!(
            "{}?v=3&api_key={}",
            config.login_page(),
            percent_encode(config.key())
        )
    }

    /// Exchanges the `request_token` from the login redirect for a session, keeps it in memory
    /// and in the session file, and returns who logged in.
    ///
    /// # Errors
    /// [`Error::Authentication`] / [`Error::SessionExpired`] for a refused token or checksum;
    /// network errors; [`Error::Config`] if the session file cannot be written.
    pub async fn complete_login(&self, request_token: &str) -> Result<SessionInfo> {
        let config = &self.inner.config;
        let checksum = auth::checksum(config.key(), request_token, config.secret());
        let form = [
            ("api_key", config.key().to_owned()),
            ("request_token", request_token.to_owned()),
            ("checksum", checksum),
        ];
        let response = self
            .send(
                DEFAULT,
                CallKind::Once,
                Method::POST,
                "/session/token",
                &[],
                Some(&form),
                &KiteCheck::read(),
                false,
            )
            .await?;
        let data: wire::SessionData =
            transformer::data(&response, "session response", &KiteCheck::read())?;
        let login_time = data
            .login_time
            .as_deref()
            .and_then(auth::parse_ist)
            .unwrap_or_else(|| self.inner.config.clock.now());
        let session = Session {
            user_id: data.user_id,
            access_token: data.access_token,
            login_time,
            expires_at: auth::expiry_after(login_time),
        };
        self.install(session)
    }

    /// Uses an access token obtained elsewhere (it is saved like a login's, and assumed to
    /// expire at the next 06:00 IST).
    ///
    /// # Errors
    /// [`Error::Config`] if the session file cannot be written.
    pub fn use_access_token(
        &self,
        user_id: impl Into<String>,
        access_token: Secret,
    ) -> Result<SessionInfo> {
        let now = self.inner.config.clock.now();
        self.install(Session {
            user_id: user_id.into(),
            access_token,
            login_time: now,
            expires_at: auth::expiry_after(now),
        })
    }

    fn install(&self, session: Session) -> Result<SessionInfo> {
        self.inner
            .store
            .save(self.inner.config.key(), Some(&session))?;
        tracing::info!(
            broker = BROKER,
            user_id = %session.user_id,
            expires_at = %auth::rfc3339(session.expires_at),
            "session started"
        );
        let info = SessionInfo::from(&session);
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(session);
        self.inner.session_loaded.store(true, Ordering::SeqCst);
        Ok(info)
    }

    /// The current session, if logged in (a saved, unexpired one counts). An unreadable
    /// session file counts as none here (and is logged); calls that need the session report
    /// it as the error it is.
    pub fn session(&self) -> Option<SessionInfo> {
        if let Err(error) = self.load_saved_session() {
            tracing::warn!(broker = BROKER, %error, "the saved session could not be read");
        }
        self.inner
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(SessionInfo::from)
    }

    /// Ends the session at Kite (`DELETE /session/token`) and forgets it here.
    ///
    /// # Errors
    /// Network errors; the session is forgotten locally either way.
    pub async fn logout(&self) -> Result<()> {
        let token = self.access_token();
        let result = match token {
            Ok(token) => {
                let query = [
                    ("api_key", self.inner.config.key()),
                    ("access_token", token.expose()),
                ];
                self.send(
                    DEFAULT,
                    CallKind::Once,
                    Method::DELETE,
                    "/session/token",
                    &query,
                    None,
                    &KiteCheck::read(),
                    false,
                )
                .await
                .map(|_| ())
            }
            Err(_) => Ok(()),
        };
        self.forget_session()?;
        result
    }

    /// Calls `hook` whenever the session ends on its own (Kite answered `TokenException`, or the
    /// 06:00 IST expiry passed): the place to start a new login.
    pub fn on_session_expired(&self, hook: impl Fn(&SessionEnded) + Send + Sync + 'static) {
        *self
            .inner
            .expiry_hook
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(hook));
    }

    fn forget_session(&self) -> Result<()> {
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.inner.store.save(self.inner.config.key(), None)
    }

    fn session_ended(&self, reason: String) {
        let user_id = self
            .inner
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.user_id.clone());
        tracing::warn!(broker = BROKER, user_id = ?user_id, %reason, "session ended");
        // The stored session is useless now; failing to delete it only costs a refused token.
        let _ = self.forget_session();
        let hook = self
            .inner
            .expiry_hook
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&SessionEnded { user_id, reason });
        }
    }

    /// Reads the saved session into memory, once. Concurrent first calls wait for the one
    /// reading the file, so every one of them sees its session. A failed read is not
    /// remembered: the next call tries again (after the user fixed or deleted the file).
    ///
    /// # Errors
    /// [`Error::Config`] for an unreadable or corrupt session file, saying so.
    fn load_saved_session(&self) -> Result<()> {
        if self.inner.session_loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let _loading = self
            .inner
            .session_loading
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if self.inner.session_loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let saved = self
            .inner
            .store
            .load(self.inner.config.key(), self.inner.config.clock.now())?;
        if let Some(saved) = saved {
            let mut session = self
                .inner
                .session
                .write()
                .unwrap_or_else(|p| p.into_inner());
            if session.is_none() {
                *session = Some(saved);
            }
        }
        self.inner.session_loaded.store(true, Ordering::Release);
        Ok(())
    }

    /// The access token of a live session.
    fn access_token(&self) -> Result<Secret> {
        self.load_saved_session()?;
        let session = self
            .inner
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match session {
            None => Err(Error::Authentication {
                broker: BROKER,
                message: "not logged in: send the user to login_url() and call complete_login()"
                    .to_owned(),
            }),
            Some(session) if self.inner.config.clock.now() >= session.expires_at => {
                let reason = format!(
                    "the session expired at {}",
                    auth::rfc3339(session.expires_at)
                );
                self.session_ended(reason.clone());
                Err(Error::SessionExpired {
                    broker: BROKER,
                    message: reason,
                })
            }
            Some(session) => Ok(session.access_token),
        }
    }

    fn api(&self) -> Result<&ApiClient> {
        let config = &self.inner.config;
        self.inner
            .api
            .get_or_init(|| {
                let http = HttpClient::new(config.http).map_err(|e| e.to_string())?;
                let limiter = if config.rate_limited {
                    let n = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
                    RateLimiter::new([
                        (QUOTE, RateLimit::per_second(n(1))),
                        (RateClass::Historical, RateLimit::per_second(n(3))),
                        (
                            ORDER,
                            RateLimit::per_second(n(10)).and_per_minute(config.orders_per_minute),
                        ),
                        (ORDER_CHANGE, RateLimit::per_second(n(10))),
                        (DEFAULT, RateLimit::per_second(n(10))),
                    ])
                } else {
                    RateLimiter::unlimited()
                };
                Ok(ApiClient::new(BROKER, http, limiter, config.retry))
            })
            .as_ref()
            .map_err(|e| Error::Config(format!("zerodha HTTP client: {e}")))
    }

    /// The instrument master, opened on first use.
    pub fn instrument_master(&self) -> Result<Arc<InstrumentMaster>> {
        self.inner
            .master
            .get_or_init(|| match &self.inner.config.master {
                MasterSource::Open(master) => Ok(Arc::clone(master)),
                MasterSource::Path(path) => InstrumentMaster::open(path)
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
            })
            .clone()
            .map_err(Error::Config)
    }

    /// Sends one request through the shared transport.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        class: RateClass,
        kind: CallKind,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        form: Option<&[(&str, String)]>,
        check: &KiteCheck,
        authenticated: bool,
    ) -> Result<RawResponse> {
        let config = &self.inner.config;
        let mut url = format!("{}{path}", config.root());
        if !query.is_empty() {
            url.push('?');
            url.push_str(&form_body(query));
        }
        let mut request = Request::builder()
            .method(method)
            .uri(&url)
            .header("X-Kite-Version", "3")
            .header(
                "User-Agent",
                concat!("tt-connect/", env!("CARGO_PKG_VERSION")),
            );
        if authenticated {
            let token = self.access_token()?;
            request = request.header(
                "Authorization",
                format!("token {}:{}", config.key(), token.expose()),
            );
        }
        let body = match form {
            Some(form) => {
                request = request.header("Content-Type", "application/x-www-form-urlencoded");
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Bytes::from(form_body(&pairs))
            }
            None => Bytes::new(),
        };
        let request = request.body(body).map_err(|_| {
            Error::Config(format!("cannot build a request to {}{path}", config.root()))
        })?;
        let result = self.api()?.call(class, kind, request, check).await;
        if let Err(Error::SessionExpired { message, .. }) = &result {
            self.session_ended(message.clone());
        }
        result
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        class: RateClass,
        path: &str,
        query: &[(&str, &str)],
        check: &KiteCheck,
        what: &str,
    ) -> Result<T> {
        let response = self
            .send(
                class,
                CallKind::Read,
                Method::GET,
                path,
                query,
                None,
                check,
                true,
            )
            .await?;
        transformer::data(&response, what, check)
    }

    /// An order's history, remembering its variety for later modifications.
    async fn history(&self, order_id: &OrderId) -> Result<Vec<wire::OrderData>> {
        let path = format!("/orders/{}", percent_encode(order_id.as_str()));
        let history: Vec<wire::OrderData> = self
            .get(
                DEFAULT,
                &path,
                &[],
                &KiteCheck::about(order_id),
                "order history",
            )
            .await?;
        if let Some(variety) = history
            .last()
            .and_then(|o| o.variety.as_deref())
            .and_then(variety_code)
        {
            self.remember_variety(order_id, variety);
        }
        Ok(history)
    }

    fn remember_variety(&self, order_id: &OrderId, variety: &'static str) {
        self.inner
            .varieties
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(order_id.as_str().to_owned(), variety);
    }

    /// What an order-changing call needs about an existing order: its variety, its current
    /// state (for the tag and the contract checks).
    async fn existing(&self, order_id: &OrderId) -> Result<(&'static str, wire::OrderData)> {
        let mut history = self.history(order_id).await?;
        let last = history.pop().ok_or_else(|| Error::OrderNotFound {
            broker: BROKER,
            order_id: order_id.clone(),
        })?;
        let variety = last
            .variety
            .as_deref()
            .and_then(variety_code)
            .unwrap_or("regular");
        Ok((variety, last))
    }

    /// Parses the `{order_id}` of an order call's success; anything else there means the
    /// outcome is unknown.
    fn order_id_of(response: &RawResponse, tag: &ClientTag, check: &KiteCheck) -> Result<OrderId> {
        let unknown = |reason: String| Error::OrderOutcomeUnknown {
            broker: BROKER,
            tag: tag.clone(),
            reason,
        };
        match transformer::data::<wire::OrderIdData>(response, "order response", check) {
            Ok(wire::OrderIdData { order_id: Some(id) }) => OrderId::new(id)
                .map_err(|_| unknown("the broker answered success with an empty order id".into())),
            Ok(_) => Err(unknown(
                "the broker answered success without an order id".into(),
            )),
            Err(Error::MalformedResponse { detail, .. }) => {
                Err(unknown(format!("unreadable answer: {detail}")))
            }
            Err(other) => Err(other),
        }
    }
}

/// Kite's varieties tt-connect places orders in.
fn variety_code(text: &str) -> Option<&'static str> {
    match text {
        "regular" => Some("regular"),
        "amo" => Some("amo"),
        "co" => Some("co"),
        "iceberg" => Some("iceberg"),
        "auction" => Some("auction"),
        _ => None,
    }
}

impl Broker for Zerodha {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }
}

impl InstrumentSource for Zerodha {
    /// Parses Kite's instrument CSV (either the API's formatting or pykiteconnect's rewrite).
    fn parse_dump<'a>(&self, dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
        instruments::parse_dump(dump)
    }
}

#[async_trait]
impl Trading for Zerodha {
    async fn profile(&self) -> Result<Profile> {
        let data: wire::ProfileData = self
            .get(DEFAULT, "/user/profile", &[], &KiteCheck::read(), "profile")
            .await?;
        Ok(transformer::profile(data))
    }

    async fn funds(&self) -> Result<Funds> {
        let data: wire::MarginsData = self
            .get(DEFAULT, "/user/margins", &[], &KiteCheck::read(), "margins")
            .await?;
        transformer::funds(data)
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        let data: Vec<wire::HoldingData> = self
            .get(
                DEFAULT,
                "/portfolio/holdings",
                &[],
                &KiteCheck::read(),
                "holdings",
            )
            .await?;
        let master = self.instrument_master()?;
        data.into_iter()
            .map(|h| transformer::holding(&master, h))
            .collect()
    }

    async fn positions(&self) -> Result<Positions> {
        let data: wire::PositionsData = self
            .get(
                DEFAULT,
                "/portfolio/positions",
                &[],
                &KiteCheck::read(),
                "positions",
            )
            .await?;
        let master = self.instrument_master()?;
        Ok(Positions {
            net: data
                .net
                .into_iter()
                .map(|p| transformer::position(&master, p))
                .collect::<Result<_>>()?,
            day: data
                .day
                .into_iter()
                .map(|p| transformer::position(&master, p))
                .collect::<Result<_>>()?,
        })
    }

    async fn orders(&self) -> Result<Vec<Order>> {
        let data: Vec<wire::OrderData> = self
            .get(DEFAULT, "/orders", &[], &KiteCheck::read(), "order book")
            .await?;
        let master = self.instrument_master()?;
        for order in &data {
            if let (Ok(id), Some(variety)) = (
                OrderId::new(order.order_id.clone()),
                order.variety.as_deref().and_then(variety_code),
            ) {
                self.remember_variety(&id, variety);
            }
        }
        data.into_iter()
            .map(|o| transformer::order(&master, o))
            .collect()
    }

    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        let data = self.history(order_id).await?;
        let master = self.instrument_master()?;
        data.into_iter()
            .map(|o| transformer::order(&master, o))
            .collect()
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        CAPABILITIES.verify_order(order)?;
        let master = self.instrument_master()?;
        let resolved = master.resolve(order.instrument())?;
        order.check_contract(&resolved.contract)?;
        let token = resolved
            .token(BROKER)
            .ok_or_else(|| Error::InstrumentNotFound {
                spec: order.instrument().to_string(),
                broker: Some(BROKER),
            })?;
        let form = transformer::order_form(order, token)?;
        let variety = if order.after_market() {
            "amo"
        } else {
            "regular"
        };
        let check = KiteCheck::order_call(None);
        let tag = order.tag().clone();
        let response = self
            .send(
                ORDER,
                CallKind::Order { tag: tag.clone() },
                Method::POST,
                &format!("/orders/{variety}"),
                &[],
                Some(&form),
                &check,
                true,
            )
            .await?;
        let id = Self::order_id_of(&response, &tag, &check)?;
        self.remember_variety(&id, variety);
        Ok(id)
    }

    async fn modify_order(
        &self,
        order_id: &OrderId,
        change: &OrderModification,
    ) -> Result<OrderId> {
        change.check()?;
        CAPABILITIES.verify_modification(change)?;
        let (variety, current) = self.existing(order_id).await?;
        let master = self.instrument_master()?;
        // The order's own contract, found by its token (its symbol may be shared by a series).
        let resolved = transformer::resolved(
            &master,
            &current.instrument_token,
            &current.tradingsymbol,
            &current.exchange,
        )?;
        change.check_contract(&resolved.instrument, &resolved.contract)?;
        let tag = current
            .tag
            .as_deref()
            .and_then(|t| ClientTag::new(t).ok())
            .unwrap_or_else(ClientTag::generate);
        let check = KiteCheck::order_call(Some(order_id.clone()));
        let path = format!("/orders/{variety}/{}", percent_encode(order_id.as_str()));
        let form = transformer::modify_form(change);
        let response = self
            .send(
                ORDER_CHANGE,
                CallKind::Order { tag: tag.clone() },
                Method::PUT,
                &path,
                &[],
                Some(&form),
                &check,
                true,
            )
            .await?;
        Self::order_id_of(&response, &tag, &check)
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        let remembered = self
            .inner
            .varieties
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(order_id.as_str())
            .copied();
        let (variety, tag) = match remembered {
            Some(variety) => (variety, ClientTag::generate()),
            None => {
                let (variety, current) = self.existing(order_id).await?;
                let tag = current
                    .tag
                    .as_deref()
                    .and_then(|t| ClientTag::new(t).ok())
                    .unwrap_or_else(ClientTag::generate);
                (variety, tag)
            }
        };
        let check = KiteCheck::order_call(Some(order_id.clone()));
        let path = format!("/orders/{variety}/{}", percent_encode(order_id.as_str()));
        let response = self
            .send(
                ORDER_CHANGE,
                CallKind::Order { tag: tag.clone() },
                Method::DELETE,
                &path,
                &[],
                None,
                &check,
                true,
            )
            .await?;
        Self::order_id_of(&response, &tag, &check)
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        let data: Vec<wire::TradeData> = self
            .get(DEFAULT, "/trades", &[], &KiteCheck::read(), "trades")
            .await?;
        let master = self.instrument_master()?;
        data.into_iter()
            .map(|t| transformer::trade(&master, t))
            .collect()
    }

    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        let path = format!("/orders/{}/trades", percent_encode(order_id.as_str()));
        let data: Vec<wire::TradeData> = self
            .get(
                DEFAULT,
                &path,
                &[],
                &KiteCheck::about(order_id),
                "order trades",
            )
            .await?;
        let master = self.instrument_master()?;
        data.into_iter()
            .map(|t| transformer::trade(&master, t))
            .collect()
    }

    async fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Result<Vec<Tick>> {
        let master = self.instrument_master()?;
        // Kite keys quotes by `EXCHANGE:TRADINGSYMBOL` exactly as asked.
        let mut keys = Vec::with_capacity(instruments.len());
        for instrument in instruments {
            let resolved = master.resolve(instrument)?;
            let token = resolved.token(BROKER);
            match token.and_then(|t| Some((t.exchange.as_deref()?, t.symbol.as_deref()?))) {
                Some((exchange, symbol)) => {
                    keys.push((format!("{exchange}:{symbol}"), instrument.clone()))
                }
                None => {
                    return Err(Error::InstrumentNotFound {
                        spec: instrument.to_string(),
                        broker: Some(BROKER),
                    });
                }
            }
        }
        let (path, batch) = match detail {
            QuoteDetail::Ltp => ("/quote/ltp", LIGHT_QUOTE_BATCH),
            QuoteDetail::Ohlc => ("/quote/ohlc", LIGHT_QUOTE_BATCH),
            QuoteDetail::Full => ("/quote", FULL_QUOTE_BATCH),
        };
        let mut ticks = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(batch) {
            let query: Vec<(&str, &str)> =
                chunk.iter().map(|(key, _)| ("i", key.as_str())).collect();
            let data: wire::QuotesData = self
                .get(QUOTE, path, &query, &KiteCheck::read(), "quotes")
                .await?;
            for (key, instrument) in chunk {
                if let Some(quote) = data.get(key) {
                    ticks.push(transformer::quote(instrument.clone(), quote, detail)?);
                }
            }
        }
        Ok(ticks)
    }
}
