//! The async client: one broker behind one typed interface, with every request checked against
//! the broker's capabilities before it goes out.

use std::sync::Arc;
use std::time::Instant;

use tt_core::{
    Broker, Capabilities, Funds, Holding, Instrument, Order, OrderChange, OrderId,
    OrderModification, OrderRecord, OrderRequest, Positions, Profile, QuoteDetail, Result, Tick,
    Trade, Trading,
};

use crate::reconcile::{ChangeReconciliation, ReconcileWindow, Reconciliation, shows_change};
use crate::{AnyBroker, BrokerSettings};

/// The async client.
///
/// Wraps one broker (a typed value such as `Zerodha`, an [`AnyBroker`] chosen by name, or any
/// external type implementing the broker traits). Cloning is cheap and shares the broker.
///
/// Every operation is checked before the network: an order's segment, order type, product,
/// validity and after-market flag against the broker's [`Capabilities`], a modification's new
/// terms likewise, a subscription's mode and segments.
///
/// ```
/// use tt_connect::{BrokerSettings, Client, Error};
///
/// # #[cfg(not(feature = "zerodha"))] fn main() {}
/// # #[cfg(feature = "zerodha")]
/// # fn main() -> Result<(), Error> {
/// let client = Client::from_name("zerodha", BrokerSettings::new("api_key", "api_secret"))?;
/// assert_eq!(client.name(), "zerodha");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Client<B> {
    broker: Arc<B>,
}

impl<B> Clone for Client<B> {
    fn clone(&self) -> Self {
        Client {
            broker: Arc::clone(&self.broker),
        }
    }
}

impl<B: Broker> Client<B> {
    /// A client for a typed broker value.
    pub fn new(broker: B) -> Self {
        Client {
            broker: Arc::new(broker),
        }
    }

    /// The broker.
    pub fn broker(&self) -> &B {
        &self.broker
    }

    /// The broker's name (`zerodha`).
    pub fn name(&self) -> &'static str {
        self.broker.name()
    }

    /// The broker's capability matrix.
    pub fn capabilities(&self) -> &Capabilities {
        self.broker.capabilities()
    }

    /// Checks an order against the broker's capabilities without sending it.
    ///
    /// # Errors
    /// [`tt_core::Error::UnsupportedFeature`] naming the first unsupported term.
    pub fn check_order(&self, order: &OrderRequest) -> Result<()> {
        self.capabilities().verify_order(order)
    }

    /// Checks a modification on its own and against the broker's capabilities, without
    /// sending it.
    ///
    /// # Errors
    /// [`tt_core::Error::InvalidOrder`] or [`tt_core::Error::UnsupportedFeature`].
    pub fn check_modification(&self, change: &OrderModification) -> Result<()> {
        change.check()?;
        self.capabilities().verify_modification(change)
    }
}

impl Client<AnyBroker> {
    /// A client for a broker chosen by name (`"zerodha"`, `"upstox"`), for config-driven
    /// programs.
    ///
    /// # Errors
    /// [`tt_core::Error::Config`] for an unknown name, for a broker whose cargo feature is not
    /// enabled (the message names the feature), or for settings the broker needs but lacks.
    pub fn from_name(name: &str, settings: BrokerSettings) -> Result<Self> {
        AnyBroker::from_name(name, settings).map(Client::new)
    }
}

/// Declares each REST operation once: the async method on [`Client`] with its body, and the
/// blocking method on [`crate::blocking::Client`] that runs it to completion. Adding an
/// operation here is the only step needed for both clients to offer it.
macro_rules! trading_operations {
    ($(
        $(#[$meta:meta])*
        fn $name:ident(&$self:ident $(, $arg:ident: $ty:ty)*) -> $ret:ty $body:block
    )*) => {
        impl<B: Trading> Client<B> {
            $(
                $(#[$meta])*
                pub async fn $name(&$self $(, $arg: $ty)*) -> Result<$ret> $body
            )*
        }

        impl<B: Trading> crate::blocking::Client<B> {
            $(
                $(#[$meta])*
                pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    self.run(|client| client.$name($($arg),*))
                }
            )*
        }
    };
}

trading_operations! {
    /// The account holder's profile.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn profile(&self) -> Profile {
        self.broker.profile().await
    }

    /// Funds and margins per segment group.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn funds(&self) -> Funds {
        self.broker.funds().await
    }

    /// Demat holdings.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn holdings(&self) -> Vec<Holding> {
        self.broker.holdings().await
    }

    /// Net and day positions.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn positions(&self) -> Positions {
        self.broker.positions().await
    }

    /// Today's orders.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn orders(&self) -> Vec<Order> {
        self.broker.orders().await
    }

    /// Every state an order went through, oldest first.
    ///
    /// # Errors
    /// [`tt_core::Error::OrderNotFound`], or any broker, network or session error.
    fn order_history(&self, order_id: &OrderId) -> Vec<Order> {
        self.broker.order_history(order_id).await
    }

    /// Places an order, after checking it against the broker's capabilities. Never retried:
    /// when the outcome is unknown the error is [`tt_core::Error::OrderOutcomeUnknown`] with the
    /// order's tag; find the order with [`Client::reconcile`] before trying again. Once the
    /// request has left, dropping this future does not stop it: the exchange finishes on its
    /// own task and its outcome is logged.
    ///
    /// # Errors
    /// [`tt_core::Error::UnsupportedFeature`] before the network; the broker's refusals after.
    fn place_order(&self, order: &OrderRequest) -> OrderId {
        self.check_order(order)?;
        self.broker.place_order(order).await
    }

    /// Modifies an open order, after checking the change. Never retried: an unknown outcome is
    /// [`tt_core::Error::OrderChangeOutcomeUnknown`], for [`Client::reconcile_change`].
    ///
    /// # Errors
    /// [`tt_core::Error::InvalidOrder`] or [`tt_core::Error::UnsupportedFeature`] before the
    /// network; the broker's refusals after.
    fn modify_order(&self, order_id: &OrderId, change: &OrderModification) -> OrderId {
        self.check_modification(change)?;
        self.broker.modify_order(order_id, change).await
    }

    /// Cancels an open order. Never retried: an unknown outcome is
    /// [`tt_core::Error::OrderChangeOutcomeUnknown`], for [`Client::reconcile_change`].
    ///
    /// # Errors
    /// [`tt_core::Error::OrderNotFound`], [`tt_core::Error::Order`] for an order that is no
    /// longer open, or any broker, network or session error.
    fn cancel_order(&self, order_id: &OrderId) -> OrderId {
        self.broker.cancel_order(order_id).await
    }

    /// Today's fills.
    ///
    /// # Errors
    /// Any broker, network or session error.
    fn trades(&self) -> Vec<Trade> {
        self.broker.trades().await
    }

    /// The fills of one order.
    ///
    /// # Errors
    /// [`tt_core::Error::OrderNotFound`], or any broker, network or session error.
    fn order_trades(&self, order_id: &OrderId) -> Vec<Trade> {
        self.broker.order_trades(order_id).await
    }

    /// Snapshot quotes, one tick per instrument the broker knows, in `detail`'s depth.
    ///
    /// # Errors
    /// [`tt_core::Error::UnsupportedFeature`] for a broker without quotes, or any broker,
    /// network or session error.
    fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Vec<Tick> {
        self.broker.quotes(instruments, detail).await
    }

    /// Finds a placement whose outcome was unknown ([`tt_core::Error::OrderOutcomeUnknown`]):
    /// every order in today's order book carrying `tag`, polling for the default
    /// [`ReconcileWindow`] (five seconds) before answering that none is there. The order book
    /// is read raw, without the instrument master. See [`crate::reconcile`] for what each answer
    /// proves; place again only after [`Reconciliation::NotFound`].
    ///
    /// # Errors
    /// Any broker, network or session error while reading the order book.
    fn reconcile(&self, tag: &tt_core::ClientTag) -> Reconciliation {
        self.reconcile_within(tag, ReconcileWindow::default()).await
    }

    /// [`Client::reconcile`] with a window of your own.
    ///
    /// # Errors
    /// Any broker, network or session error while reading the order book.
    fn reconcile_within(&self, tag: &tt_core::ClientTag, window: ReconcileWindow) -> Reconciliation {
        let started = Instant::now();
        loop {
            let found: Vec<OrderRecord> = self
                .broker
                .order_records()
                .await?
                .into_iter()
                .filter(|order| order.tag.as_deref() == Some(tag.as_str()))
                .collect();
            if !found.is_empty() {
                return Ok(Reconciliation::Found(found));
            }
            if !window.wait_for_next_poll(started).await {
                return Ok(Reconciliation::NotFound {
                    waited: started.elapsed(),
                });
            }
        }
    }

    /// Finds out whether a modification or cancellation whose outcome was unknown
    /// ([`tt_core::Error::OrderChangeOutcomeUnknown`]) took, from the order's history, polling
    /// for the default [`ReconcileWindow`]. See [`crate::reconcile`] for what each answer
    /// proves.
    ///
    /// # Errors
    /// [`tt_core::Error::OrderNotFound`], or any broker, network or session error while reading
    /// the history.
    fn reconcile_change(&self, order_id: &OrderId, change: &OrderChange) -> ChangeReconciliation {
        self.reconcile_change_within(order_id, change, ReconcileWindow::default()).await
    }

    /// [`Client::reconcile_change`] with a window of your own.
    ///
    /// # Errors
    /// [`tt_core::Error::OrderNotFound`], or any broker, network or session error while reading
    /// the history.
    fn reconcile_change_within(
        &self,
        order_id: &OrderId,
        change: &OrderChange,
        window: ReconcileWindow
    ) -> ChangeReconciliation {
        let started = Instant::now();
        loop {
            let latest = self
                .broker
                .order_record_history(order_id)
                .await?
                .pop()
                .ok_or_else(|| tt_core::Error::OrderNotFound {
                    broker: self.broker.name(),
                    order_id: order_id.clone(),
                })?;
            match shows_change(&latest, change) {
                Some(true) => return Ok(ChangeReconciliation::Applied(latest)),
                Some(false) => {
                    return Ok(ChangeReconciliation::NotApplied {
                        order: latest,
                        waited: started.elapsed(),
                    });
                }
                None if !window.wait_for_next_poll(started).await => {
                    return Ok(ChangeReconciliation::NotApplied {
                        order: latest,
                        waited: started.elapsed(),
                    });
                }
                None => {}
            }
        }
    }
}
