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

mod book;

use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tt_connect::{
    Amount, Broker, Capabilities, Error, Exchange, FeedEvent, FeedStream, Funds, Holding,
    Instrument, MarketFeed, Order, OrderId, OrderModification, OrderRequest, OrderType, Positions,
    Price, ProductType, Profile, QuoteDetail, Result, SegmentFunds, Stream, StreamMode, Tick,
    Trade, Trading, ValidityKind, async_trait,
};

use book::Book;

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
    book: Mutex<Book>,
}

impl PaperBroker {
    /// An account with `cash` and nothing else.
    pub fn new(cash: Amount) -> Self {
        PaperBroker {
            book: Mutex::new(Book::new(cash, Vec::new())),
        }
    }

    /// An account with `cash` and some demat holdings.
    pub fn with_holdings(cash: Amount, holdings: Vec<Holding>) -> Self {
        PaperBroker {
            book: Mutex::new(Book::new(cash, holdings)),
        }
    }

    /// Moves the market: sets the last traded price of `instrument`, streams a tick, and fills
    /// resting limit orders that became marketable.
    pub fn set_price(&self, instrument: &Instrument, price: Price) {
        self.book().set_price(instrument, price);
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // A panic while holding the lock cannot leave the book half-updated in a way later
        // calls care about (every update is applied before events are sent), so a poisoned lock
        // is still safe to use.
        self.book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
            user_id: "PAPER1".to_owned(),
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

#[async_trait]
impl MarketFeed for PaperBroker {
    async fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<FeedStream> {
        if mode != StreamMode::Ltp {
            return Err(Error::UnsupportedFeature {
                broker: NAME,
                feature: format!("{mode} stream mode"),
            });
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        self.book().subscribe(instruments, sender);
        Ok(Box::pin(Events(receiver)))
    }
}

/// The receiving end of a subscription, as a stream.
struct Events(mpsc::UnboundedReceiver<FeedEvent>);

impl Stream for Events {
    type Item = FeedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        self.0.poll_recv(cx)
    }
}
