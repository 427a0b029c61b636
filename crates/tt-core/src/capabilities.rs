//! What a broker supports, checked before any network call.
//!
//! Each adapter declares one [`Capabilities`] value as a constant. The client verifies every
//! request against it first, so an unsupported segment, order type, product, validity or stream
//! mode fails at once with a message such as `zerodha does not support MCX segment`, never as a
//! broker rejection after a round trip.

use crate::{
    Error, Exchange, OrderModification, OrderRequest, OrderType, ProductType, StreamMode,
    ValidityKind,
};

/// A broker's capability matrix.
///
/// Built as a constant with the `with_*` methods:
///
/// ```
/// use tt_core::{Capabilities, Exchange, OrderType, ProductType, StreamMode, ValidityKind};
///
/// const PAPER: Capabilities = Capabilities::new("paper")
///     .with_segments(&[Exchange::Nse, Exchange::Nfo])
///     .with_order_types(&[OrderType::Market, OrderType::Limit])
///     .with_products(&[ProductType::Cnc, ProductType::Mis, ProductType::Nrml])
///     .with_validities(&[ValidityKind::Day])
///     .with_stream_modes(&[StreamMode::Ltp]);
///
/// let err = PAPER.verify_segment(Exchange::Mcx).unwrap_err();
/// assert_eq!(err.to_string(), "paper does not support MCX segment");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    broker: &'static str,
    segments: &'static [Exchange],
    order_types: &'static [OrderType],
    products: &'static [ProductType],
    validities: &'static [ValidityKind],
    stream_modes: &'static [StreamMode],
    after_market_orders: bool,
}

impl Capabilities {
    /// A broker that supports nothing yet; add to it with the `with_*` methods.
    pub const fn new(broker: &'static str) -> Capabilities {
        Capabilities {
            broker,
            segments: &[],
            order_types: &[],
            products: &[],
            validities: &[],
            stream_modes: &[],
            after_market_orders: false,
        }
    }

    /// The exchange segments the broker trades.
    pub const fn with_segments(mut self, segments: &'static [Exchange]) -> Self {
        self.segments = segments;
        self
    }

    /// The order types the broker accepts.
    pub const fn with_order_types(mut self, order_types: &'static [OrderType]) -> Self {
        self.order_types = order_types;
        self
    }

    /// The products the broker offers.
    pub const fn with_products(mut self, products: &'static [ProductType]) -> Self {
        self.products = products;
        self
    }

    /// The validities the broker accepts.
    pub const fn with_validities(mut self, validities: &'static [ValidityKind]) -> Self {
        self.validities = validities;
        self
    }

    /// The market-data stream modes the broker offers.
    pub const fn with_stream_modes(mut self, modes: &'static [StreamMode]) -> Self {
        self.stream_modes = modes;
        self
    }

    /// Whether the broker takes after-market orders.
    pub const fn with_after_market_orders(mut self, supported: bool) -> Self {
        self.after_market_orders = supported;
        self
    }

    /// The broker's name, as used in messages (`zerodha`).
    pub const fn broker(&self) -> &'static str {
        self.broker
    }

    /// The supported segments.
    pub const fn segments(&self) -> &'static [Exchange] {
        self.segments
    }

    /// The supported order types.
    pub const fn order_types(&self) -> &'static [OrderType] {
        self.order_types
    }

    /// The supported products.
    pub const fn products(&self) -> &'static [ProductType] {
        self.products
    }

    /// The supported validities.
    pub const fn validities(&self) -> &'static [ValidityKind] {
        self.validities
    }

    /// The supported stream modes.
    pub const fn stream_modes(&self) -> &'static [StreamMode] {
        self.stream_modes
    }

    /// Whether after-market orders are supported.
    pub const fn after_market_orders(&self) -> bool {
        self.after_market_orders
    }

    fn unsupported(&self, feature: String) -> Error {
        Error::UnsupportedFeature {
            broker: self.broker,
            feature,
        }
    }

    /// # Errors
    /// [`Error::UnsupportedFeature`] (`<broker> does not support <X> segment`).
    pub fn verify_segment(&self, exchange: Exchange) -> Result<(), Error> {
        if self.segments.contains(&exchange) {
            Ok(())
        } else {
            Err(self.unsupported(format!("{exchange} segment")))
        }
    }

    /// # Errors
    /// [`Error::UnsupportedFeature`] (`<broker> does not support <X> order type`).
    pub fn verify_order_type(&self, order_type: OrderType) -> Result<(), Error> {
        if self.order_types.contains(&order_type) {
            Ok(())
        } else {
            Err(self.unsupported(format!("{order_type} order type")))
        }
    }

    /// # Errors
    /// [`Error::UnsupportedFeature`] (`<broker> does not support <X> product`).
    pub fn verify_product(&self, product: ProductType) -> Result<(), Error> {
        if self.products.contains(&product) {
            Ok(())
        } else {
            Err(self.unsupported(format!("{product} product")))
        }
    }

    /// # Errors
    /// [`Error::UnsupportedFeature`] (`<broker> does not support <X> validity`).
    pub fn verify_validity(&self, validity: ValidityKind) -> Result<(), Error> {
        if self.validities.contains(&validity) {
            Ok(())
        } else {
            Err(self.unsupported(format!("{validity} validity")))
        }
    }

    /// # Errors
    /// [`Error::UnsupportedFeature`] (`<broker> does not support <x> stream mode`).
    pub fn verify_stream_mode(&self, mode: StreamMode) -> Result<(), Error> {
        if self.stream_modes.contains(&mode) {
            Ok(())
        } else {
            Err(self.unsupported(format!("{mode} stream mode")))
        }
    }

    /// Verifies everything about a new order that the matrix covers: segment, order type,
    /// product, validity and after-market placement.
    ///
    /// # Errors
    /// [`Error::UnsupportedFeature`] for the first unsupported term, in that order.
    pub fn verify_order(&self, order: &OrderRequest) -> Result<(), Error> {
        self.verify_segment(order.instrument().exchange())?;
        self.verify_order_type(order.order_type())?;
        self.verify_product(order.product())?;
        self.verify_validity(order.validity().kind())?;
        if order.after_market() && !self.after_market_orders {
            return Err(self.unsupported("after-market orders".to_owned()));
        }
        Ok(())
    }

    /// Verifies the order type and validity a modification changes to.
    ///
    /// # Errors
    /// [`Error::UnsupportedFeature`] for an unsupported new order type or validity.
    pub fn verify_modification(&self, change: &OrderModification) -> Result<(), Error> {
        if let Some(order_type) = change.new_order_type() {
            self.verify_order_type(order_type)?;
        }
        if let Some(validity) = change.new_validity() {
            self.verify_validity(validity.kind())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Instrument, Price, Validity};
    use std::num::NonZeroU16;

    const LIMITED: Capabilities = Capabilities::new("limited")
        .with_segments(&[Exchange::Nse, Exchange::Nfo])
        .with_order_types(&[OrderType::Market, OrderType::Limit, OrderType::StopLoss])
        .with_products(&[ProductType::Cnc, ProductType::Mis])
        .with_validities(&[ValidityKind::Day, ValidityKind::Ioc])
        .with_stream_modes(&[StreamMode::Ltp, StreamMode::Full]);

    fn instrument(text: &str) -> Instrument {
        text.parse().unwrap()
    }

    fn error_text(result: Result<(), Error>) -> String {
        match result {
            Err(e @ Error::UnsupportedFeature { .. }) => e.to_string(),
            other => panic!("expected UnsupportedFeature, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_supported_order() {
        let order = OrderRequest::buy(instrument("NSE:RELIANCE"), 1, ProductType::Cnc)
            .limit(Price::from_rupees(100).unwrap())
            .validity(Validity::Ioc)
            .build()
            .unwrap();
        assert!(LIMITED.verify_order(&order).is_ok());
    }

    #[test]
    fn names_each_unsupported_term() {
        let mcx = OrderRequest::buy(instrument("MCX:GOLD:2026-12-05:FUT"), 1, ProductType::Mis)
            .market()
            .build()
            .unwrap();
        assert_eq!(
            error_text(LIMITED.verify_order(&mcx)),
            "limited does not support MCX segment"
        );

        let slm = OrderRequest::sell(instrument("NSE:RELIANCE"), 1, ProductType::Mis)
            .stop_loss_market(Price::from_rupees(90).unwrap())
            .build()
            .unwrap();
        assert_eq!(
            error_text(LIMITED.verify_order(&slm)),
            "limited does not support SL-M order type"
        );

        let nrml = OrderRequest::buy(
            instrument("NFO:NIFTY:2026-12-29:FUT"),
            75,
            ProductType::Nrml,
        )
        .market()
        .build()
        .unwrap();
        assert_eq!(
            error_text(LIMITED.verify_order(&nrml)),
            "limited does not support NRML product"
        );

        let ttl = OrderRequest::buy(instrument("NSE:RELIANCE"), 1, ProductType::Cnc)
            .market()
            .validity(Validity::Ttl {
                minutes: NonZeroU16::new(5).unwrap(),
            })
            .build()
            .unwrap();
        assert_eq!(
            error_text(LIMITED.verify_order(&ttl)),
            "limited does not support TTL validity"
        );

        let amo = OrderRequest::buy(instrument("NSE:RELIANCE"), 1, ProductType::Cnc)
            .market()
            .after_market()
            .build()
            .unwrap();
        assert_eq!(
            error_text(LIMITED.verify_order(&amo)),
            "limited does not support after-market orders"
        );
    }

    #[test]
    fn stream_modes_and_modifications() {
        assert!(LIMITED.verify_stream_mode(StreamMode::Full).is_ok());
        assert_eq!(
            error_text(LIMITED.verify_stream_mode(StreamMode::Quote)),
            "limited does not support quote stream mode"
        );
        let change = OrderModification::new().order_type(OrderType::StopLossMarket);
        assert_eq!(
            error_text(LIMITED.verify_modification(&change)),
            "limited does not support SL-M order type"
        );
        assert!(
            LIMITED
                .verify_modification(&OrderModification::new().quantity(2))
                .is_ok()
        );
    }
}
