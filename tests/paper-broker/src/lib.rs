//! A paper-trading broker that lives outside tt-connect.
//!
//! It implements tt-connect's broker traits ([`Broker`], [`Trading`], [`MarketFeed`]) using only
//! what the `tt-connect` facade exports, with no built-in broker compiled in. That is the
//! contract a third-party broker crate relies on, and this crate's tests hold tt-connect to it.
//!
//! The book is in memory: prices are set by the caller ([`PaperBroker::set_price`]); market orders
//! fill at the current price; limit orders rest until marketable; IOC orders cancel what does not
//! fill at once; buys block cash; positions, funds and trades follow the fills; subscribers get a
//! tick per price change and an update per order change.
//!
//! It registers itself as `"paper"`, so a program that links it builds it by name with
//! `tt_connect::Client::from_name("paper", settings)`: no line of tt-connect names it. A program
//! that only uses it by name must still name the crate once, or the linker drops it along with
//! its registration:
//!
//! ```
//! use paper_broker as _; // keeps the registration linked
//! use tt_connect::{BrokerSettings, Client, RedirectParams};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_name("paper", BrokerSettings::new("key", "secret"))?;
//! // The paper login has no page: its login URL already is the redirect back to the app.
//! let redirect = RedirectParams::from_url(&client.login_url())?;
//! let session = client.complete_login(&redirect).await?;
//! assert_eq!(session.user_id, "PAPER1");
//! # Ok(())
//! # }
//! ```
//!
//! Its login ([`Login`]) is shaped like a real broker's; the book trades with or without a
//! session.

mod book;
mod session;

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tt_connect::{
    Amount, Broker, BrokerSettings, Capabilities, Error, Exchange, Feed, FeedControl, FeedEvent,
    FeedOptions, FeedStream, Funds, Holding, Instrument, Login, MarketFeed, Order, OrderId,
    OrderModification, OrderRequest, OrderType, Positions, Price, ProductType, Profile,
    QuoteDetail, RedirectParams, Result, SegmentFunds, SessionExpiryHook, SessionInfo, Stream,
    StreamMode, Tick, Trade, Trading, ValidityKind, async_trait,
};

use book::Book;
use session::Sessions;

pub use session::DEFAULT_REDIRECT_URL;

/// The name the paper broker reports.
pub const NAME: &str = "paper";

/// What the paper broker supports: cash and F&O segments on NSE and BSE, market and limit
/// orders, CNC/MIS/NRML, DAY and IOC, LTP streaming.
pub const CAPABILITIES: Capabilities = Capabilities::new(NAME)
    .with_segments(&[Exchange::Nse, Exchange::Bse, Exchange::Nfo, Exchange::Bfo])
    .with_order_types(&[OrderType::Market, OrderType::Limit])
    .with_products(&[ProductType::Cnc, ProductType::Mis, ProductType::Nrml])
    .with_validities(&[ValidityKind::Day, ValidityKind::Ioc])
    .with_stream_modes(&[StreamMode::Ltp]);

/// The cash a paper account built by name starts with: ten lakh rupees.
pub const DEFAULT_CASH: Amount = Amount::from_rupees(1_000_000);

// Linking this crate is all it takes for `Client::from_name("paper", settings)` to find it.
tt_connect::register_broker!("paper", PaperBroker::from_settings);

/// An in-memory paper-trading account.
///
/// ```
/// use paper_broker::PaperBroker;
/// use tt_connect::{Amount, Client, Instrument, OrderRequest, ProductType};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let paper = PaperBroker::new(Amount::from_rupees(100_000));
/// let infy: Instrument = "NSE:INFY".parse()?;
/// paper.set_price(&infy, "1500".parse()?);
///
/// let client = Client::new(paper);
/// let order = OrderRequest::buy(infy, 10, ProductType::Cnc).market().build()?;
/// client.place_order(&order).await?;
/// assert_eq!(client.positions().await?.net[0].quantity, 10);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PaperBroker {
    book: Arc<Mutex<Book>>,
    sessions: Sessions,
}

impl PaperBroker {
    /// An account with `cash` and nothing else.
    pub fn new(cash: Amount) -> Self {
        PaperBroker::with_holdings(cash, Vec::new())
    }

    /// An account with `cash` and some demat holdings.
    pub fn with_holdings(cash: Amount, holdings: Vec<Holding>) -> Self {
        PaperBroker {
            book: Arc::new(Mutex::new(Book::new(cash, holdings))),
            sessions: Sessions::new(None, None),
        }
    }

    /// An account with [`DEFAULT_CASH`], built from broker-neutral settings: the factory
    /// `Client::from_name("paper", settings)` calls. The login redirects to the settings'
    /// redirect URL (else [`DEFAULT_REDIRECT_URL`]) and sessions read the settings' clock;
    /// credentials and paths are not used.
    ///
    /// # Errors
    /// None: every setting is optional here (the signature is the registry's).
    pub fn from_settings(settings: BrokerSettings) -> Result<Self> {
        Ok(PaperBroker {
            book: Arc::new(Mutex::new(Book::new(DEFAULT_CASH, Vec::new()))),
            sessions: Sessions::new(settings.redirect(), settings.clock_source().cloned()),
        })
    }

    /// Ends the current session as if the broker had, calling the session-expiry hook with
    /// `reason`: for testing what a program does when its session ends on its own.
    pub fn expire_session(&self, reason: impl Into<String>) {
        self.sessions.end(reason.into());
    }

    /// Moves the market: sets the last traded price of `instrument`, streams a tick, and fills
    /// resting limit orders that became marketable.
    pub fn set_price(&self, instrument: &Instrument, price: Price) {
        self.book().set_price(instrument, price);
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        lock(&self.book)
    }
}

impl Broker for PaperBroker {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }
}

#[async_trait]
impl Trading for PaperBroker {
    async fn profile(&self) -> Result<Profile> {
        Ok(Profile {
            user_id: session::USER_ID.to_owned(),
            user_name: "Paper Trader".to_owned(),
            email: None,
            broker: NAME.to_owned(),
            exchanges: CAPABILITIES.segments().to_vec(),
            products: CAPABILITIES.products().to_vec(),
            order_types: CAPABILITIES.order_types().to_vec(),
        })
    }

    async fn funds(&self) -> Result<Funds> {
        let book = self.book();
        Ok(Funds {
            equity: Some(SegmentFunds {
                available: book.available_cash(),
                used: book.blocked_cash(),
                opening_balance: Some(book.opening_cash()),
                collateral: None,
            }),
            commodity: None,
        })
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        Ok(self.book().holdings())
    }

    async fn positions(&self) -> Result<Positions> {
        let positions = self.book().positions();
        Ok(Positions {
            net: positions.clone(),
            day: positions,
        })
    }

    async fn orders(&self) -> Result<Vec<Order>> {
        Ok(self.book().orders())
    }

    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        self.book().history(order_id)
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        self.book().place(order)
    }

    async fn modify_order(
        &self,
        order_id: &OrderId,
        change: &OrderModification,
    ) -> Result<OrderId> {
        self.book().modify(order_id, change)
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        self.book().cancel(order_id)
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        Ok(self.book().trades(None))
    }

    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        self.book().history(order_id)?;
        Ok(self.book().trades(Some(order_id)))
    }

    /// The paper market only has last prices, so every detail gets last-price ticks.
    async fn quotes(&self, instruments: &[Instrument], _detail: QuoteDetail) -> Result<Vec<Tick>> {
        Ok(self.book().quotes(instruments))
    }
}

/// The paper login: see the crate's documentation.
#[async_trait]
impl Login for PaperBroker {
    fn login_url(&self) -> String {
        self.sessions.login_url()
    }

    async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        self.sessions.complete_login(redirect)
    }

    async fn logout(&self) -> Result<()> {
        self.sessions.logout();
        Ok(())
    }

    fn session(&self) -> Option<SessionInfo> {
        self.sessions.session()
    }

    fn on_session_expired(&self, hook: SessionExpiryHook) {
        self.sessions.on_session_expired(hook);
    }
}

#[async_trait]
impl MarketFeed for PaperBroker {
    async fn open_feed(&self, options: FeedOptions) -> Result<Feed> {
        let (control, events) = PaperFeed::open(Arc::clone(&self.book), options.order_updates);
        Ok(Feed {
            control: Arc::new(control),
            events,
        })
    }
}

/// A paper feed's control: its subscriber in the book. The paper market has no sockets, so
/// nothing drops, stalls or lags; a closed feed resumes as a fresh subscriber.
struct PaperFeed {
    book: Arc<Mutex<Book>>,
    subscriber: Mutex<u64>,
    order_updates: bool,
}

impl PaperFeed {
    fn open(book: Arc<Mutex<Book>>, order_updates: bool) -> (PaperFeed, FeedStream) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let id = lock(&book).add_subscriber(sender, order_updates);
        let feed = PaperFeed {
            book,
            subscriber: Mutex::new(id),
            order_updates,
        };
        (feed, Box::pin(Events(receiver)))
    }

    fn id(&self) -> u64 {
        *lock(&self.subscriber)
    }
}

#[async_trait]
impl FeedControl for PaperFeed {
    async fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        if mode != StreamMode::Ltp {
            return Err(Error::UnsupportedFeature {
                broker: NAME,
                feature: format!("{mode} stream mode"),
            });
        }
        lock(&self.book).watch(self.id(), instruments);
        Ok(())
    }

    async fn unsubscribe(&self, instruments: &[Instrument]) -> Result<()> {
        lock(&self.book).unwatch(self.id(), instruments);
        Ok(())
    }

    fn subscriptions(&self) -> Vec<(Instrument, StreamMode)> {
        lock(&self.book)
            .watched(self.id())
            .into_iter()
            .map(|instrument| (instrument, StreamMode::Ltp))
            .collect()
    }

    async fn resume(&self) -> Result<FeedStream> {
        let watched = lock(&self.book).watched(self.id());
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut book = lock(&self.book);
        book.close_subscriber(self.id());
        let id = book.add_subscriber(sender, self.order_updates);
        book.watch(id, &watched);
        *lock(&self.subscriber) = id;
        Ok(Box::pin(Events(receiver)))
    }

    fn close(&self) {
        lock(&self.book).close_subscriber(self.id());
    }
}

/// Locks a mutex whose holder cannot have left it half-updated in a way later calls care
/// about (every update is applied before events are sent), so a poisoned lock is still safe.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The receiving end of a subscriber, as a stream.
struct Events(mpsc::UnboundedReceiver<FeedEvent>);

impl Stream for Events {
    type Item = FeedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        self.0.poll_recv(cx)
    }
}
