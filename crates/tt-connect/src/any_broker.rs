//! A broker chosen by name at run time, for config-driven programs.

use std::sync::Arc;

use tt_core::{
    Broker, BrokerSettings, Capabilities, Funds, Holding, Instrument, Login, Order, OrderId,
    OrderModification, OrderRecord, OrderRequest, Positions, Profile, QuoteDetail, RedirectParams,
    RegisteredBroker, Result, SessionExpiryHook, SessionInfo, Tick, Trade, Trading, async_trait,
};

use crate::registry;

/// Any registered broker, chosen at run time: whatever [`AnyBroker::from_name`] finds among
/// the brokers linked into the program (see [`crate::registered_brokers`]). It trades and logs
/// in through the same traits as a typed broker, so a program never matches on which one it
/// holds. Cloning is cheap and shares the broker.
#[derive(Debug, Clone)]
pub struct AnyBroker {
    inner: Arc<dyn RegisteredBroker>,
}

impl AnyBroker {
    /// Builds the broker registered as `name` (case-insensitive) from `settings`.
    ///
    /// # Errors
    /// [`tt_core::Error::Config`] for a name no linked broker has (the message lists those
    /// that are, or names the cargo feature of a built-in broker compiled out of this build),
    /// or for settings the broker needs but lacks.
    pub fn from_name(name: &str, settings: BrokerSettings) -> Result<AnyBroker> {
        registry::build(name, settings).map(|broker| AnyBroker {
            inner: Arc::from(broker),
        })
    }

    /// Wraps a typed broker, to hold it where brokers chosen by name are held.
    pub fn new(broker: impl RegisteredBroker) -> AnyBroker {
        AnyBroker {
            inner: Arc::new(broker),
        }
    }
}

impl Broker for AnyBroker {
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

#[async_trait]
impl Trading for AnyBroker {
    async fn profile(&self) -> Result<Profile> {
        self.inner.profile().await
    }

    async fn funds(&self) -> Result<Funds> {
        self.inner.funds().await
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        self.inner.holdings().await
    }

    async fn positions(&self) -> Result<Positions> {
        self.inner.positions().await
    }

    async fn orders(&self) -> Result<Vec<Order>> {
        self.inner.orders().await
    }

    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        self.inner.order_history(order_id).await
    }

    // Forwarded, not left to the trait's defaults: the broker's own reading of its book
    // without the master is what reconciliation relies on.
    async fn order_records(&self) -> Result<Vec<OrderRecord>> {
        self.inner.order_records().await
    }

    async fn order_record_history(&self, order_id: &OrderId) -> Result<Vec<OrderRecord>> {
        self.inner.order_record_history(order_id).await
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        self.inner.place_order(order).await
    }

    async fn modify_order(
        &self,
        order_id: &OrderId,
        change: &OrderModification,
    ) -> Result<OrderId> {
        self.inner.modify_order(order_id, change).await
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        self.inner.cancel_order(order_id).await
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        self.inner.trades().await
    }

    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        self.inner.order_trades(order_id).await
    }

    async fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Result<Vec<Tick>> {
        self.inner.quotes(instruments, detail).await
    }
}

#[async_trait]
impl tt_core::MarketFeed for AnyBroker {
    async fn open_feed(&self, options: tt_core::FeedOptions) -> Result<tt_core::Feed> {
        self.inner.open_feed(options).await
    }
}

#[async_trait]
impl Login for AnyBroker {
    fn login_url(&self) -> String {
        self.inner.login_url()
    }

    async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        self.inner.complete_login(redirect).await
    }

    async fn logout(&self) -> Result<()> {
        self.inner.logout().await
    }

    fn session(&self) -> Option<SessionInfo> {
        self.inner.session()
    }

    fn on_session_expired(&self, hook: SessionExpiryHook) {
        self.inner.on_session_expired(hook);
    }
}

/// A broker for tests of what is built and forwarded: it reads its raw order book, and every
/// call that would need an instrument master fails.
#[cfg(test)]
pub(crate) mod fake {
    use super::*;
    use tt_core::Error;

    /// Registered nowhere; its name is `rawbook`.
    #[derive(Debug)]
    pub(crate) struct RawBookOnly;

    const RAW_BOOK_ONLY: Capabilities = Capabilities::new("rawbook");

    fn no_master<T>() -> Result<T> {
        Err(Error::Config("no instrument master".to_owned()))
    }

    /// It streams nothing: its feed is refused as unsupported.
    impl tt_core::MarketFeed for RawBookOnly {}

    impl Broker for RawBookOnly {
        fn capabilities(&self) -> &Capabilities {
            &RAW_BOOK_ONLY
        }
    }

    #[async_trait]
    impl Trading for RawBookOnly {
        async fn profile(&self) -> Result<Profile> {
            no_master()
        }
        async fn funds(&self) -> Result<Funds> {
            no_master()
        }
        async fn holdings(&self) -> Result<Vec<Holding>> {
            no_master()
        }
        async fn positions(&self) -> Result<Positions> {
            no_master()
        }
        async fn orders(&self) -> Result<Vec<Order>> {
            no_master()
        }
        async fn order_history(&self, _: &OrderId) -> Result<Vec<Order>> {
            no_master()
        }
        async fn order_records(&self) -> Result<Vec<OrderRecord>> {
            Ok(Vec::new())
        }
        async fn order_record_history(&self, _: &OrderId) -> Result<Vec<OrderRecord>> {
            Ok(Vec::new())
        }
        async fn place_order(&self, _: &OrderRequest) -> Result<OrderId> {
            no_master()
        }
        async fn modify_order(&self, _: &OrderId, _: &OrderModification) -> Result<OrderId> {
            no_master()
        }
        async fn cancel_order(&self, _: &OrderId) -> Result<OrderId> {
            no_master()
        }
        async fn trades(&self) -> Result<Vec<Trade>> {
            no_master()
        }
        async fn order_trades(&self, _: &OrderId) -> Result<Vec<Trade>> {
            no_master()
        }
    }

    #[async_trait]
    impl Login for RawBookOnly {
        fn login_url(&self) -> String {
            String::new()
        }
        async fn complete_login(&self, _: &RedirectParams) -> Result<SessionInfo> {
            no_master()
        }
        async fn logout(&self) -> Result<()> {
            Ok(())
        }
        fn session(&self) -> Option<SessionInfo> {
            None
        }
        fn on_session_expired(&self, _: SessionExpiryHook) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake::RawBookOnly;

    // Only forwarding the raw reads to the broker, not the trait's defaults over `orders`
    // (which fail on this broker), can succeed.
    #[tokio::test(flavor = "current_thread")]
    async fn raw_order_book_reads_reach_the_broker_not_the_trait_defaults() {
        let broker = AnyBroker::new(RawBookOnly);
        assert!(broker.orders().await.is_err());
        assert!(broker.order_records().await.unwrap().is_empty());
        let id = OrderId::new("1").unwrap();
        assert!(broker.order_record_history(&id).await.unwrap().is_empty());
    }

    #[test]
    fn an_unknown_name_is_a_config_error() {
        let err = AnyBroker::from_name("angel", BrokerSettings::new("key", "secret")).unwrap_err();
        assert!(matches!(err, tt_core::Error::Config(_)), "{err}");
        assert!(err.to_string().contains("unknown broker `angel`"), "{err}");
    }

    #[cfg(feature = "zerodha")]
    #[test]
    fn zerodha_by_name() {
        let broker = AnyBroker::from_name("Zerodha", BrokerSettings::new("key", "secret")).unwrap();
        assert_eq!(broker.name(), "zerodha");
    }

    #[cfg(feature = "zerodha")]
    #[test]
    fn zerodha_by_name_sends_its_login_page_to_the_api_root() {
        let broker = AnyBroker::from_name(
            "zerodha",
            BrokerSettings::new("key", "secret").api_root("http://127.0.0.1:9/"),
        )
        .unwrap();
        assert_eq!(
            broker.login_url(),
            "http://127.0.0.1:9/connect/login?v=3&api_key=key"
        );
    }

    #[cfg(feature = "upstox")]
    #[test]
    fn upstox_by_name_sends_its_authorization_dialog_to_the_api_root() {
        let broker = AnyBroker::from_name(
            "upstox",
            BrokerSettings::new("key", "secret")
                .redirect_url("http://127.0.0.1/cb")
                .api_root("http://127.0.0.1:9/"),
        )
        .unwrap();
        assert_eq!(broker.name(), "upstox");
        assert_eq!(
            broker.login_url(),
            "http://127.0.0.1:9/v2/login/authorization/dialog?response_type=code&client_id=key&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
        );
    }
}
