//! What Kite Connect v3 supports (from its order and WebSocket documentation).

use tt_core::{Capabilities, Exchange, OrderType, ProductType, StreamMode, ValidityKind};

/// Zerodha's capability matrix: every segment, every order type, CNC/MIS/NRML/MTF, DAY/IOC/TTL,
/// the `ltp`, `quote` and `full` ticker modes, and after-market (`amo`) orders.
pub const CAPABILITIES: Capabilities = Capabilities::new("zerodha")
    .with_segments(&Exchange::ALL)
    .with_order_types(&[
        OrderType::Market,
        OrderType::Limit,
        OrderType::StopLoss,
        OrderType::StopLossMarket,
    ])
    .with_products(&[
        ProductType::Cnc,
        ProductType::Mis,
        ProductType::Nrml,
        ProductType::Mtf,
    ])
    .with_validities(&[ValidityKind::Day, ValidityKind::Ioc, ValidityKind::Ttl])
    .with_stream_modes(&[StreamMode::Ltp, StreamMode::Quote, StreamMode::Full])
    .with_after_market_orders(true);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supports_every_segment_and_the_ttl_validity() {
        for exchange in Exchange::ALL {
            assert!(CAPABILITIES.verify_segment(exchange).is_ok(), "{exchange}");
        }
        assert!(CAPABILITIES.verify_validity(ValidityKind::Ttl).is_ok());
        assert!(CAPABILITIES.verify_stream_mode(StreamMode::Quote).is_ok());
    }
}
