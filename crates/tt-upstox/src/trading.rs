//! The REST operations: account, portfolio, orders, trades and quotes, Upstox's calls translated
//! through the transformer.
//!
//! Orders are placed with v3 (`POST /v3/order/place`, answered `data.order_ids`), modified and
//! cancelled with v3 (`PUT /v3/order/modify`, `DELETE /v3/order/cancel`), all on the order root;
//! everything else is v2 on the API root.
//!
//! Every placement carries the order's tt-core `ClientTag` as Upstox's `tag`, which is how an
//! unknown outcome is reconciled (`order_records`, read without the master). Upstox documents no
//! length or alphabet for `tag`; `ClientTag` (1 to 20 ASCII letters and digits, Kite's limit) is
//! the conservative choice and is sent unchanged.

use tt_core::{
    Error, Funds, Holding, Instrument, Order, OrderAction, OrderChange, OrderId, OrderModification,
    OrderRecord, OrderRequest, Positions, Profile, QuoteDetail, Result, Tick, Trade, Trading,
    async_trait,
};
use tt_instruments::InstrumentMaster;
use tt_transport::RawResponse;

use crate::errors::{BROKER, UpstoxCheck};
use crate::http::{QUOTE, UpstoxRequest};
use crate::{CAPABILITIES, Upstox, transformer, wire};

/// Upstox's cap on instrument keys per quote call.
const QUOTE_BATCH: usize = 500;

impl Upstox {
    /// Today's order book as Upstox sends it.
    async fn order_book(&self) -> Result<Vec<wire::OrderData>> {
        self.read_versioned("/v2/order/retrieve-all", "order book")
            .await
    }

    /// An order's states, oldest first (`/v2/order/history`, which the official SDK calls
    /// "order details").
    async fn history(&self, order_id: &OrderId) -> Result<Vec<wire::OrderData>> {
        let query = [("order_id", order_id.as_str())];
        self.get(
            UpstoxRequest::read("/v2/order/history", &UpstoxCheck::about(order_id))
                .query(&query)
                .versioned(),
            "order history",
        )
        .await
    }

    /// An order's latest state (`/v2/order/details`, which the official SDK calls "order
    /// status"; the one v2 order read without `Api-Version`).
    async fn details(&self, order_id: &OrderId) -> Result<wire::OrderData> {
        let query = [("order_id", order_id.as_str())];
        self.get(
            UpstoxRequest::read("/v2/order/details", &UpstoxCheck::about(order_id)).query(&query),
            "order details",
        )
        .await
    }

    /// An order's latest state, with its instrument resolved through the master.
    ///
    /// # Errors
    /// [`Error::OrderNotFound`] for an id Upstox does not know; network and master errors.
    pub async fn order_details(&self, order_id: &OrderId) -> Result<Order> {
        let data = self.details(order_id).await?;
        let master = self.instrument_master()?;
        transformer::order(&master, data)
    }

    /// Places `order` with Upstox's auto-slicing on (`slice: true`): an order above the
    /// exchange's freeze quantity is split into up to 25 orders, one id each, all carrying the
    /// order's tag. [`Trading::place_order`] never slices.
    ///
    /// # Errors
    /// As [`Trading::place_order`]; a success naming no order id is
    /// [`Error::OrderOutcomeUnknown`].
    pub async fn place_order_sliced(&self, order: &OrderRequest) -> Result<Vec<OrderId>> {
        let response = self.send_placement(order, true).await?;
        let ids = Self::order_ids_of(&response, order)?;
        if ids.is_empty() {
            let action = OrderAction::Place {
                tag: order.tag().clone(),
            };
            return Err(action.unnamed(BROKER));
        }
        Ok(ids)
    }

    /// Checks `order` against the capability matrix and Upstox's own contract terms (before
    /// any network call) and sends it once.
    async fn send_placement(&self, order: &OrderRequest, slice: bool) -> Result<RawResponse> {
        CAPABILITIES.verify_order(order)?;
        let listing = self
            .instrument_master()?
            .listing_for(order.instrument(), BROKER)?;
        // Upstox's own lot and tick size: another broker's may differ.
        order.check_contract(&listing.contract)?;
        let body = transformer::place_body(order, &listing.token.token, &listing.contract, slice)?;
        let check = UpstoxCheck::order_call(None);
        self.send(UpstoxRequest::place("/v3/order/place", order.tag().clone(), &check).json(&body))
            .await
    }

    /// The order ids of a placement's success. An answer that cannot be read means the outcome
    /// is unknown (the order may stand), as does an empty id.
    fn order_ids_of(response: &RawResponse, order: &OrderRequest) -> Result<Vec<OrderId>> {
        let action = OrderAction::Place {
            tag: order.tag().clone(),
        };
        let check = UpstoxCheck::order_call(None);
        let read = transformer::data::<wire::PlaceData>(response, "order response", &check);
        let ids = action.answer(BROKER, read)?.order_ids.unwrap_or_default();
        ids.into_iter()
            .map(|id| action.answered_id(BROKER, Some(id)))
            .collect()
    }

    /// Sends a modification (with its JSON `body`) or a cancellation of `order_id` once and
    /// reads the `{order_id}` of its success; anything else in a success means the outcome is
    /// unknown.
    async fn send_change(
        &self,
        path: &str,
        order_id: &OrderId,
        change: OrderChange,
        body: Option<&serde_json::Value>,
    ) -> Result<OrderId> {
        let action = OrderAction::Change {
            order_id: order_id.clone(),
            change: change.clone(),
        };
        let check = UpstoxCheck::order_call(Some(order_id.clone()));
        let query = [("order_id", order_id.as_str())];
        let call = UpstoxRequest::change(path, order_id.clone(), change, &check);
        let call = match body {
            Some(body) => call.json(body),
            None => call.query(&query),
        };
        let response = self.send(call).await?;
        let read = transformer::data::<wire::PlaceData>(&response, "order response", &check);
        let data = action.answer(BROKER, read)?;
        action.answered_id(BROKER, data.order_id)
    }

    /// A read of a v2 endpoint that wants `Api-Version`, about no order in particular.
    async fn read_versioned<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<T> {
        let check = UpstoxCheck::read();
        self.get(UpstoxRequest::read(path, &check).versioned(), what)
            .await
    }

    /// Rows read into models, each resolved through the instrument master.
    fn resolve_rows<W, T>(
        &self,
        rows: Vec<W>,
        model: fn(&InstrumentMaster, W) -> Result<T>,
    ) -> Result<Vec<T>> {
        let master = self.instrument_master()?;
        rows.into_iter().map(|row| model(&master, row)).collect()
    }
}

#[async_trait]
impl Trading for Upstox {
    async fn profile(&self) -> Result<Profile> {
        let data = self.read_versioned("/v2/user/profile", "profile").await?;
        Ok(transformer::profile(data))
    }

    async fn funds(&self) -> Result<Funds> {
        let path = "/v2/user/get-funds-and-margin";
        let data = self.read_versioned(path, "funds and margin").await?;
        Ok(transformer::funds(data))
    }

    async fn holdings(&self) -> Result<Vec<Holding>> {
        let path = "/v2/portfolio/long-term-holdings";
        let data = self.read_versioned(path, "holdings").await?;
        self.resolve_rows(data, transformer::holding)
    }

    /// Upstox sends one row per position; `net` is each row, `day` today's trades of the rows
    /// that traded today (see the transformer for how the `day_*` fields map).
    async fn positions(&self) -> Result<Positions> {
        let path = "/v2/portfolio/short-term-positions";
        let data: Vec<wire::PositionData> = self.read_versioned(path, "positions").await?;
        let master = self.instrument_master()?;
        let mut positions = Positions::default();
        for row in data {
            let (net, day) = transformer::position(&master, row)?;
            positions.net.push(net);
            positions.day.extend(day);
        }
        Ok(positions)
    }

    async fn orders(&self) -> Result<Vec<Order>> {
        self.resolve_rows(self.order_book().await?, transformer::order)
    }

    async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        self.resolve_rows(self.history(order_id).await?, transformer::order)
    }

    /// The order book without the master (for reconciliation).
    async fn order_records(&self) -> Result<Vec<OrderRecord>> {
        transformer::order_records(self.order_book().await?)
    }

    /// An order's history without the master (for reconciliation).
    async fn order_record_history(&self, order_id: &OrderId) -> Result<Vec<OrderRecord>> {
        transformer::order_records(self.history(order_id).await?)
    }

    /// Places one order, unsliced (`slice: false`). A success naming one order id gives it; one
    /// naming none, or several (Upstox split the order), is [`Error::OrderOutcomeUnknown`]: the
    /// order book, read by the order's tag, says what stands.
    async fn place_order(&self, order: &OrderRequest) -> Result<OrderId> {
        let response = self.send_placement(order, false).await?;
        let mut ids = Self::order_ids_of(&response, order)?;
        let action = OrderAction::Place {
            tag: order.tag().clone(),
        };
        match (ids.pop(), ids.is_empty()) {
            (Some(id), true) => Ok(id),
            (None, _) => Err(action.unnamed(BROKER)),
            (Some(last), false) => {
                ids.push(last);
                let named: Vec<&str> = ids.iter().map(OrderId::as_str).collect();
                Err(action.outcome_unknown(
                    BROKER,
                    format!(
                        "the broker answered success with {} order ids ({}) for one order",
                        ids.len(),
                        named.join(", ")
                    ),
                ))
            }
        }
    }

    async fn modify_order(
        &self,
        order_id: &OrderId,
        change: &OrderModification,
    ) -> Result<OrderId> {
        // Refused before anything is read: what Upstox cannot do, then a change of nothing.
        CAPABILITIES.verify_modification(change)?;
        change.check()?;
        let current = self.details(order_id).await?;
        let master = self.instrument_master()?;
        // The order's own contract, found by its instrument key.
        let resolved = master.instrument_for_token(BROKER, &current.instrument_token)?;
        let contract = resolved.contract_for(BROKER)?;
        change.check_contract(&resolved.instrument, contract)?;
        let on = resolved.instrument.exchange();
        let current = transformer::order(&master, current)?;
        let body = transformer::modify_body(order_id, change, &current, on, contract)?;
        let asked = OrderChange::Modify(change.clone());
        self.send_change("/v3/order/modify", order_id, asked, Some(&body))
            .await
    }

    async fn cancel_order(&self, order_id: &OrderId) -> Result<OrderId> {
        self.send_change("/v3/order/cancel", order_id, OrderChange::Cancel, None)
            .await
    }

    async fn trades(&self) -> Result<Vec<Trade>> {
        let path = "/v2/order/trades/get-trades-for-day";
        let data = self.read_versioned(path, "trades").await?;
        self.resolve_rows(data, transformer::trade)
    }

    async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        let check = UpstoxCheck::about(order_id);
        let query = [("order_id", order_id.as_str())];
        let call = UpstoxRequest::read("/v2/order/trades", &check)
            .query(&query)
            .versioned();
        let data: Vec<wire::TradeData> = self.get(call, "order trades").await?;
        self.resolve_rows(data, transformer::trade)
    }

    /// Quotes by instrument key, up to 500 a call. Upstox keys its answer `NSE_EQ:SYMBOL`;
    /// each value names its instrument key (`instrument_token`), which is what a quote is
    /// matched back to the instrument asked by.
    async fn quotes(&self, instruments: &[Instrument], detail: QuoteDetail) -> Result<Vec<Tick>> {
        let master = self.instrument_master()?;
        let mut keys = Vec::with_capacity(instruments.len());
        for instrument in instruments {
            let resolved = master.resolve(instrument)?;
            match resolved.token(BROKER) {
                Some(token) => keys.push((token.token.clone(), instrument.clone())),
                None => {
                    return Err(Error::InstrumentNotFound {
                        spec: instrument.to_string(),
                        broker: Some(BROKER),
                    });
                }
            }
        }
        let path = match detail {
            QuoteDetail::Ltp => "/v2/market-quote/ltp",
            QuoteDetail::Ohlc => "/v2/market-quote/ohlc",
            QuoteDetail::Full => "/v2/market-quote/quotes",
        };
        let mut ticks = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(QUOTE_BATCH) {
            let joined = chunk
                .iter()
                .map(|(key, _)| key.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let mut query = vec![("instrument_key", joined.as_str())];
            if detail == QuoteDetail::Ohlc {
                query.push(("interval", "1d"));
            }
            let data: wire::QuotesData = self
                .get(
                    UpstoxRequest::read(path, &UpstoxCheck::read())
                        .query(&query)
                        .class(QUOTE)
                        .versioned(),
                    "quotes",
                )
                .await?;
            let by_key: std::collections::HashMap<&str, &wire::QuoteData> = data
                .values()
                .map(|quote| (quote.instrument_token.as_str(), quote))
                .collect();
            for (key, instrument) in chunk {
                if let Some(quote) = by_key.get(key.as_str()) {
                    let token = std::sync::Arc::<str>::from(key.as_str());
                    ticks.push(transformer::quote(
                        instrument.clone(),
                        token,
                        quote,
                        detail,
                    )?);
                }
            }
        }
        Ok(ticks)
    }
}
