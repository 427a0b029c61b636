//! The REST operations: account, portfolio, orders, trades and quotes, Kite's calls translated
//! through the transformer.

use tt_core::{
    Error, Funds, Holding, Instrument, Order, OrderAction, OrderChange, OrderId, OrderModification,
    OrderRecord, OrderRequest, Positions, Profile, QuoteDetail, Result, Tick, Trade, Trading,
    async_trait,
};
use tt_transport::{RawResponse, percent_encode};

use crate::errors::{BROKER, KiteCheck};
use crate::http::{KiteRequest, QUOTE};
use crate::{CAPABILITIES, Zerodha, transformer, wire};

/// Kite's per-call instrument caps for quotes.
const FULL_QUOTE_BATCH: usize = 500;
const LIGHT_QUOTE_BATCH: usize = 1000;

impl Zerodha {
    /// An order's history, remembering its variety for later modifications.
    async fn history(&self, order_id: &OrderId) -> Result<Vec<wire::OrderData>> {
        let path = format!("/orders/{}", percent_encode(order_id.as_str()));
        let history: Vec<wire::OrderData> = self
            .get(
                KiteRequest::read(&path, &KiteCheck::about(order_id)),
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

    /// Today's order book as Kite sends it, remembering each order's variety for later
    /// modifications and cancellations.
    async fn order_book(&self) -> Result<Vec<wire::OrderData>> {
        let data: Vec<wire::OrderData> = self
            .get(
                KiteRequest::read("/orders", &KiteCheck::read()),
                "order book",
            )
            .await?;
        for order in &data {
            if let (Ok(id), Some(variety)) = (
                OrderId::new(order.order_id.clone()),
                order.variety.as_deref().and_then(variety_code),
            ) {
                self.remember_variety(&id, variety);
            }
        }
        Ok(data)
    }

    /// Sends an order call and parses the `{order_id}` of its success; anything else in a
    /// success means the outcome is unknown.
    async fn send_order(&self, call: KiteRequest<'_>) -> Result<OrderId> {
        let check = call.check().clone();
        let Some(action) = call.action().cloned() else {
            return Err(Error::Config(
                "zerodha: an order call without its action".to_owned(),
            ));
        };
        let response = self.send(call).await?;
        Self::order_id_of(&response, action, &check)
    }

    fn order_id_of(
        response: &RawResponse,
        action: OrderAction,
        check: &KiteCheck,
    ) -> Result<OrderId> {
        let read = transformer::data::<wire::OrderIdData>(response, "order response", check);
        let data = action.answer(BROKER, read)?;
        action.answered_id(BROKER, data.order_id)
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

#[async_trait]
impl Trading for Zerodha {
    async fn profile(&self) -> Result<Profile> {
        let data: wire::ProfileData = self
            .get(
                KiteRequest::read("/user/profile", &KiteCheck::read()),
                "profile",
            )
            .await?;
        Ok(transformer::profile(data))
    }

    async fn funds(&self) -> Result<Funds> {
        let data: wire::MarginsData = self
            .get(
                KiteRequest::read("/user/margins", &KiteCheck::read()),
                "margins",
            )
            .await?;
        transformer::funds(data)
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        let data: Vec<wire::HoldingData> = self
            .get(
                KiteRequest::read("/portfolio/holdings", &KiteCheck::read()),
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
                KiteRequest::read("/portfolio/positions", &KiteCheck::read()),
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
        let data = self.order_book().await?;
        let master = self.instrument_master()?;
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

    async fn order_records(&self) -> Result<Vec<OrderRecord>> {
        let data = self.order_book().await?;
        data.into_iter().map(transformer::order_record).collect()
    }

    async fn order_record_history(&self, order_id: &OrderId) -> Result<Vec<OrderRecord>> {
        let data = self.history(order_id).await?;
        data.into_iter().map(transformer::order_record).collect()
    }

    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        CAPABILITIES.verify_order(order)?;
        let listing = self
            .instrument_master()?
            .listing_for(order.instrument(), BROKER)?;
        // Kite's own lot and tick size: another broker's may differ.
        order.check_contract(&listing.contract)?;
        let form = transformer::order_form(order, &listing.token)?;
        let variety = if order.after_market() {
            "amo"
        } else {
            "regular"
        };
        let check = KiteCheck::order_call(None);
        let path = format!("/orders/{variety}");
        let id = self
            .send_order(KiteRequest::place(&path, order.tag().clone(), &check).form(&form))
            .await?;
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
        let contract = resolved.contract_for(BROKER)?;
        change.check_contract(&resolved.instrument, contract)?;
        let check = KiteCheck::order_call(Some(order_id.clone()));
        let path = format!("/orders/{variety}/{}", percent_encode(order_id.as_str()));
        let form = transformer::modify_form(change);
        let asked = OrderChange::Modify(change.clone());
        self.send_order(KiteRequest::change(&path, order_id.clone(), asked, &check).form(&form))
            .await
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        let remembered = self
            .inner
            .varieties
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(order_id.as_str())
            .copied();
        let variety = match remembered {
            Some(variety) => variety,
            None => self.existing(order_id).await?.0,
        };
        let check = KiteCheck::order_call(Some(order_id.clone()));
        let path = format!("/orders/{variety}/{}", percent_encode(order_id.as_str()));
        let call = KiteRequest::change(&path, order_id.clone(), OrderChange::Cancel, &check);
        self.send_order(call).await
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        let data: Vec<wire::TradeData> = self
            .get(KiteRequest::read("/trades", &KiteCheck::read()), "trades")
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
                KiteRequest::read(&path, &KiteCheck::about(order_id)),
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
            match token.and_then(|t| Some((t.exchange.as_deref()?, t.symbol.as_deref()?, &t.token)))
            {
                Some((exchange, symbol, token)) => keys.push((
                    format!("{exchange}:{symbol}"),
                    instrument.clone(),
                    std::sync::Arc::<str>::from(token.as_str()),
                )),
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
            let query: Vec<(&str, &str)> = chunk
                .iter()
                .map(|(key, _, _)| ("i", key.as_str()))
                .collect();
            let data: wire::QuotesData = self
                .get(
                    KiteRequest::read(path, &KiteCheck::read())
                        .query(&query)
                        .class(QUOTE),
                    "quotes",
                )
                .await?;
            for (key, instrument, token) in chunk {
                if let Some(quote) = data.get(key) {
                    let instrument = instrument.clone();
                    let token = std::sync::Arc::clone(token);
                    ticks.push(transformer::quote(instrument, token, quote, detail)?);
                }
            }
        }
        Ok(ticks)
    }
}
