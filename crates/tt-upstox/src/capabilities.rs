//! What the Upstox API supports (from its order and market-data-feed documentation).

use tt_core::{Capabilities, Exchange, OrderType, ProductType, StreamMode, ValidityKind};

/// Upstox's capability matrix: every segment, every order type, delivery (`D`, which serves as
/// both CNC and NRML), intraday (`I`, MIS) and MTF, DAY and IOC validities (no TTL), the `ltpc`
/// and `full` feed modes (no quote-without-depth mode), and after-market orders (`is_amo`).
pub const CAPABILITIES: Capabilities = Capabilities::new("upstox")
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
    .with_validities(&[ValidityKind::Day, ValidityKind::Ioc])
    .with_stream_modes(&[
        StreamMode::Ltp,
        StreamMode::Full,
        StreamMode::OptionGreeks,
        StreamMode::FullDepth30,
    ])
    .with_after_market_orders(true);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_no_ttl_validity_and_no_quote_mode() {
        assert_eq!(
            CAPABILITIES
                .verify_validity(ValidityKind::Ttl)
                .unwrap_err()
                .to_string(),
            "upstox does not support TTL validity"
        );
        assert_eq!(
            CAPABILITIES
                .verify_stream_mode(StreamMode::Quote)
                .unwrap_err()
                .to_string(),
            "upstox does not support quote stream mode"
        );
    }
}
