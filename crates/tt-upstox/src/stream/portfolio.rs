//! The portfolio stream's messages: one JSON object per frame (text, or binary holding UTF-8
//! JSON), told apart by `update_type` (`order`, `position`, `holding`, `gtt_order`), each read
//! into the crate's wire types with Upstox's own field names.
//!
//! An order update is an order-book row plus `update_type`, `user_id`, `userId` and
//! `instrument_key`, which the row's type ignores, so it is read as one ([`OrderData`]); a
//! position update likewise as a position row. A holding update lacks a holding row's prices,
//! so it has its own type, as has a GTT update.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tt_core::Error;

use crate::transformer::READ;
use crate::wire::{GttOrderUpdateData, HoldingUpdateData, OrderData, PositionData};

/// One portfolio stream message.
#[derive(Debug)]
pub(crate) enum PortfolioMessage {
    /// An order changed (placed, modified, filled, cancelled, rejected).
    Order(OrderData),
    /// A position changed.
    Position(PositionData),
    /// A holding changed.
    Holding(HoldingUpdateData),
    /// A GTT order changed.
    GttOrder(GttOrderUpdateData),
    /// An `update_type` this version does not know, kept by name so it can be logged.
    Other(String),
}

/// Just the discriminator, borrowed where the JSON has no escapes.
#[derive(Deserialize)]
struct UpdateType<'a> {
    #[serde(borrow)]
    update_type: Option<Cow<'a, str>>,
}

/// Reads one portfolio stream frame.
///
/// # Errors
/// [`Error::MalformedResponse`] for bytes that are not a JSON object, one without
/// `update_type`, or an update whose fields do not fit its type (naming the update type and
/// serde's description of the field).
pub(crate) fn parse_portfolio(bytes: &[u8]) -> Result<PortfolioMessage, Error> {
    let kind: UpdateType<'_> =
        serde_json::from_slice(bytes).map_err(|e| READ.malformed("portfolio stream message", e))?;
    let Some(kind) = kind.update_type else {
        return Err(READ.malformed("portfolio stream message", "no `update_type`"));
    };
    match kind.as_ref() {
        "order" => update(bytes, "portfolio order update").map(PortfolioMessage::Order),
        "position" => update(bytes, "portfolio position update").map(PortfolioMessage::Position),
        "holding" => update(bytes, "portfolio holding update").map(PortfolioMessage::Holding),
        "gtt_order" => update(bytes, "portfolio gtt_order update").map(PortfolioMessage::GttOrder),
        other => Ok(PortfolioMessage::Other(other.to_owned())),
    }
}

fn update<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| READ.malformed(what, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    /// The order update of Upstox's documentation, as its webhook and stream send it.
    const ORDER: &str = r#"{"update_type":"order","user_id":"AB1234","userId":"AB1234","exchange":"NSE","instrument_token":"NSE_EQ|INE528G01035","instrument_key":"NSE_EQ|INE528G01035","trading_symbol":"YESBANK","tradingsymbol":"YESBANK","product":"D","order_type":"LIMIT","average_price":0,"price":18.5,"trigger_price":0,"quantity":1,"disclosed_quantity":0,"pending_quantity":1,"transaction_type":"BUY","order_ref_id":"","exchange_order_id":null,"parent_order_id":null,"validity":"DAY","status":"put order req received","is_amo":false,"variety":"SIMPLE","tag":null,"exchange_timestamp":null,"status_message":null,"order_id":"240221025467654","order_request_id":"1","order_timestamp":"2024-02-21 14:40:02","filled_quantity":0,"guid":null,"placed_by":"AB1234","status_message_raw":null}"#;

    const POSITION: &str = r#"{"update_type":"position","instrument_token":"NSE_EQ|INE848E01016","instrument_key":"NSE_EQ|INE848E01016","average_price":0.0,"buy_value":1650.5,"overnight_quantity":0,"exchange":"NSE_EQ","day_buy_value":1650.5,"day_buy_price":16.505,"overnight_buy_amount":0.0,"overnight_buy_quantity":0,"day_buy_quantity":100,"day_sell_value":0.0,"day_sell_price":0.0,"overnight_sell_amount":0.0,"overnight_sell_quantity":0,"day_sell_quantity":0,"multiplier":1.0,"quantity":100,"product":"I","sell_value":0.0,"buy_price":16.505,"sell_price":0.0}"#;

    const HOLDING: &str = r#"{"update_type":"holding","instrument_token":"NSE_EQ|INE002A01018","instrument_key":"NSE_EQ|INE002A01018","average_price":2345.65,"isin":"INE002A01018","cnc_used_quantity":0,"collateral_quantity":0,"collateral_type":"WC","collateral_update_quantity":0,"company_name":"RELIANCE INDUSTRIES LTD","haircut":0.2,"product":"D","quantity":10,"t1_quantity":0,"exchange":"NSE","trading_symbol":"RELIANCE"}"#;

    const GTT: &str = r#"{"update_type":"gtt_order","type":"SINGLE","exchange":"NSE_EQ","instrument_token":"NSE_EQ|INE002A01018","quantity":1,"product":"D","gtt_order_id":"GTT-CU25270200024002","expires_at":1790000000000000,"created_at":1758523800000000,"rules":[{"strategy":"ENTRY","status":"SCHEDULED","trigger_type":"ABOVE","trigger_price":1500.05,"transaction_type":"BUY","message":null,"order_id":null,"trailing_gap":null}]}"#;

    #[test]
    fn an_order_update_reads_as_an_order_book_row() {
        let PortfolioMessage::Order(order) = parse_portfolio(ORDER.as_bytes()).unwrap() else {
            panic!("not an order");
        };
        assert_eq!(order.order_id, "240221025467654");
        assert_eq!(order.status.as_deref(), Some("put order req received"));
        assert_eq!(order.price, Some("18.5".parse().unwrap()));
        assert_eq!(order.exchange_timestamp, None);
        assert_eq!(order.symbol.symbol(), "YESBANK");
    }

    #[test]
    fn a_position_update_reads_as_a_position_row() {
        let PortfolioMessage::Position(position) = parse_portfolio(POSITION.as_bytes()).unwrap()
        else {
            panic!("not a position");
        };
        assert_eq!(position.quantity, 100);
        assert_eq!(position.day_buy_price, Some("16.505".parse().unwrap()));
        assert_eq!(position.exchange, "NSE_EQ");
    }

    #[test]
    fn a_holding_update_reads_without_the_day_prices() {
        let PortfolioMessage::Holding(holding) = parse_portfolio(HOLDING.as_bytes()).unwrap()
        else {
            panic!("not a holding");
        };
        assert_eq!(holding.average_price, "2345.65".parse().unwrap());
        assert_eq!(holding.quantity, 10);
        assert_eq!(holding.collateral_type.as_deref(), Some("WC"));
    }

    #[test]
    fn a_gtt_update_keeps_its_rules_and_microsecond_times() {
        let PortfolioMessage::GttOrder(gtt) = parse_portfolio(GTT.as_bytes()).unwrap() else {
            panic!("not a gtt order");
        };
        assert_eq!(gtt.gtt_order_id, "GTT-CU25270200024002");
        assert_eq!(gtt.created_at, Some(1_758_523_800_000_000));
        assert_eq!(gtt.rules.len(), 1);
        assert_eq!(gtt.rules[0].trigger_price, Some("1500.05".parse().unwrap()));
    }

    #[test]
    fn an_unknown_update_type_is_kept_by_name() {
        let message = parse_portfolio(br#"{"update_type":"margin","x":1}"#).unwrap();
        assert!(matches!(message, PortfolioMessage::Other(name) if name == "margin"));
    }

    #[test]
    fn malformed_messages_say_what_was_wrong() {
        let cases: [(&[u8], &str); 5] = [
            (b"not json", "portfolio stream message"),
            (b"[1,2]", "portfolio stream message"),
            (br#"{"status":"ok"}"#, "no `update_type`"),
            (
                br#"{"update_type":"order","order_id":"1"}"#,
                "portfolio order update",
            ),
            (
                br#"{"update_type":"holding","quantity":"ten"}"#,
                "portfolio holding update",
            ),
        ];
        for (bytes, expected) in cases {
            let error = parse_portfolio(bytes).unwrap_err().to_string();
            assert!(
                error.contains(expected) && error.contains("upstox"),
                "{}: {error}",
                String::from_utf8_lossy(bytes)
            );
        }
        let error = parse_portfolio(&[0xff, 0xfe]).unwrap_err();
        assert!(matches!(error, Error::MalformedResponse { .. }));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse_portfolio(text.as_bytes());
        }

        #[test]
        fn arbitrary_update_objects_never_panic(
            kind in prop_oneof!["order", "position", "holding", "gtt_order", "[a-z_]{0,10}"],
            body in "[\\PC]{0,80}",
        ) {
            let _ = parse_portfolio(format!(r#"{{"update_type":"{kind}",{body}}}"#).as_bytes());
        }
    }
}
