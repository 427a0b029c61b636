//! The ticker's text frames: the JSON messages Kite sends (order updates, errors, notices)
//! and the subscription requests the client sends.
//!
//! Kite tags every message with a `type`; an order update's `data` is an order row exactly as
//! `GET /orders` lists it (plus postback extras such as `unfilled_quantity` and `checksum`,
//! which are ignored), so it is read into the same wire struct and goes through the same
//! translation.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use tt_core::{Error, StreamMode};

use crate::errors::BROKER;
use crate::transformer::malformed;
use crate::wire::OrderData;

/// What a text message is read as in errors.
const MESSAGE: &str = "ticker text message";
const ORDER_UPDATE: &str = "ticker order update";

/// One text message from the ticker.
#[derive(Debug)]
pub(crate) enum TextMessage {
    /// `{"type":"order","data":{…}}`: an update to one of the account's orders. Boxed: an
    /// order row is many times the size of the other variants.
    Order(Box<OrderData>),
    /// `{"type":"error","data":"…"}`: the server's error text.
    Error(String),
    /// `{"type":"message","data":…}`: a notice; its text, or its JSON when it is not a string.
    Message(String),
    /// A message of another type, kept as its type so that a new kind is seen, not dropped.
    Other(String),
}

/// The envelope every text message shares.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Option<Value>,
}

/// Reads one text frame.
///
/// # Errors
/// [`Error::MalformedResponse`] when the text is not JSON, has no `type`, or is an order
/// update whose `data` is not an order row; the detail says which.
pub(crate) fn parse_text(text: &[u8]) -> Result<TextMessage, Error> {
    let envelope: Envelope = serde_json::from_slice(text).map_err(|e| malformed(MESSAGE, e))?;
    match envelope.kind.as_str() {
        "order" => {
            let data = envelope
                .data
                .ok_or_else(|| malformed(ORDER_UPDATE, "no `data`"))?;
            let order = OrderData::deserialize(data).map_err(|e| malformed(ORDER_UPDATE, e))?;
            Ok(TextMessage::Order(Box::new(order)))
        }
        // An error's text is kept whatever its shape: losing the server's words would be worse
        // than reading them as JSON.
        "error" => Ok(TextMessage::Error(text_of(envelope.data))),
        "message" => Ok(TextMessage::Message(text_of(envelope.data))),
        _ => Ok(TextMessage::Other(envelope.kind)),
    }
}

/// A message's `data` as text: a string as it is, anything else as compact JSON, nothing as
/// an empty string.
fn text_of(data: Option<Value>) -> String {
    match data {
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A mode Kite's ticker streams in. Only these three exist there, so a request for another
/// cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TickerMode {
    /// `ltp`: the last price.
    Ltp,
    /// `quote`: price, volume, OHLC and totals.
    Quote,
    /// `full`: the quote, open interest, timestamps and five levels of depth.
    Full,
}

impl TickerMode {
    /// The mode's name on the wire.
    const fn as_str(self) -> &'static str {
        match self {
            TickerMode::Ltp => "ltp",
            TickerMode::Quote => "quote",
            TickerMode::Full => "full",
        }
    }
}

impl TryFrom<StreamMode> for TickerMode {
    type Error = Error;

    /// # Errors
    /// [`Error::UnsupportedFeature`] for a mode Kite does not stream.
    fn try_from(mode: StreamMode) -> Result<TickerMode, Error> {
        match mode {
            StreamMode::Ltp => Ok(TickerMode::Ltp),
            StreamMode::Quote => Ok(TickerMode::Quote),
            StreamMode::Full => Ok(TickerMode::Full),
            StreamMode::OptionGreeks | StreamMode::FullDepth30 => Err(Error::UnsupportedFeature {
                broker: BROKER,
                feature: format!("{mode} stream mode"),
            }),
        }
    }
}

/// A request the client sends the ticker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickerRequest<'a> {
    /// Start streaming these instruments (in `quote` mode until a mode is set).
    Subscribe(&'a [u32]),
    /// Stop streaming these instruments.
    Unsubscribe(&'a [u32]),
    /// Stream these (subscribed) instruments in this mode.
    Mode(TickerMode, &'a [u32]),
}

/// The text frame for `request`: `{"a":"subscribe","v":[408065,884737]}`,
/// `{"a":"unsubscribe","v":[…]}` or `{"a":"mode","v":["full",[…]]}`.
pub(crate) fn encode_request(request: TickerRequest<'_>) -> String {
    request.to_string()
}

impl fmt::Display for TickerRequest<'_> {
    /// The request's JSON. Tokens and mode names need no escaping, so it is written directly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TickerRequest::Subscribe(tokens) => {
                f.write_str(r#"{"a":"subscribe","v":"#)?;
                write_tokens(f, tokens)?;
            }
            TickerRequest::Unsubscribe(tokens) => {
                f.write_str(r#"{"a":"unsubscribe","v":"#)?;
                write_tokens(f, tokens)?;
            }
            TickerRequest::Mode(mode, tokens) => {
                write!(f, r#"{{"a":"mode","v":["{}","#, mode.as_str())?;
                write_tokens(f, tokens)?;
                f.write_str("]")?;
            }
        }
        f.write_str("}")
    }
}

/// A JSON array of tokens.
fn write_tokens(f: &mut fmt::Formatter<'_>, tokens: &[u32]) -> fmt::Result {
    f.write_str("[")?;
    for (position, token) in tokens.iter().enumerate() {
        if position > 0 {
            f.write_str(",")?;
        }
        write!(f, "{token}")?;
    }
    f.write_str("]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order_of(text: &str) -> OrderData {
        match parse_text(text.as_bytes()).unwrap() {
            TextMessage::Order(order) => *order,
            other => panic!("not an order update: {other:?}"),
        }
    }

    fn malformed_detail(text: &str) -> (String, String) {
        match parse_text(text.as_bytes()) {
            Err(Error::MalformedResponse { what, detail, .. }) => (what, detail),
            other => panic!("not a malformed-message error for {text}: {other:?}"),
        }
    }

    #[test]
    fn reads_a_postback_as_an_order_update_ignoring_its_extras() {
        let Some(path) = tt_test_support::fixture("kite/mocks/postback.json") else {
            return;
        };
        let postback = std::fs::read_to_string(path).unwrap();
        let order = order_of(&format!(r#"{{"type":"order","data":{postback}}}"#));
        assert_eq!(order.order_id, "220303000308932");
        assert_eq!(order.status.as_deref(), Some("COMPLETE"));
        assert_eq!(order.tradingsymbol, "SBIN");
        assert_eq!(order.instrument_token, "779521");
        assert_eq!(order.average_price, Some(470.0));
        assert_eq!(order.filled_quantity, Some(1.0));
    }

    #[test]
    fn reads_every_order_book_row_as_an_order_update() {
        let Some(path) = tt_test_support::fixture("kite/mocks/orders.json") else {
            return;
        };
        let book: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let rows = book["data"].as_array().unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            let order = order_of(&format!(r#"{{"type":"order","data":{row}}}"#));
            assert_eq!(order.order_id, row["order_id"].as_str().unwrap());
            assert_eq!(order.exchange, row["exchange"].as_str().unwrap());
        }
    }

    #[test]
    fn reads_errors_notices_and_other_types() {
        let cases = [
            (
                r#"{"type":"error","data":"Invalid token"}"#,
                "Error",
                "Invalid token",
            ),
            (
                r#"{"type":"error","data":{"code":7}}"#,
                "Error",
                r#"{"code":7}"#,
            ),
            (
                r#"{"type":"message","data":"Exchange closed"}"#,
                "Message",
                "Exchange closed",
            ),
            (
                r#"{"type":"message","data":{"text":"hi","n":[1, 2]}}"#,
                "Message",
                r#"{"n":[1,2],"text":"hi"}"#,
            ),
            (r#"{"type":"message"}"#, "Message", ""),
            (r#"{"type":"alert","data":{}}"#, "Other", "alert"),
        ];
        for (text, kind, expected) in cases {
            let (read_kind, read) = match parse_text(text.as_bytes()).unwrap() {
                TextMessage::Error(message) => ("Error", message),
                TextMessage::Message(message) => ("Message", message),
                TextMessage::Other(kind) => ("Other", kind),
                TextMessage::Order(order) => panic!("{text} read as {order:?}"),
            };
            assert_eq!((read_kind, read.as_str()), (kind, expected), "{text}");
        }
    }

    #[test]
    fn unreadable_messages_are_malformed_errors_saying_why() {
        let cases = [
            ("not json", "ticker text message", "expected"),
            (
                r#"{"data":"x"}"#,
                "ticker text message",
                "missing field `type`",
            ),
            (r#"{"type":"order"}"#, "ticker order update", "no `data`"),
            (
                r#"{"type":"order","data":{"status":"OPEN"}}"#,
                "ticker order update",
                "missing field `order_id`",
            ),
            (
                r#"{"type":"order","data":"text"}"#,
                "ticker order update",
                "invalid type",
            ),
        ];
        for (text, what, detail) in cases {
            let (read_what, read_detail) = malformed_detail(text);
            assert_eq!(read_what, what, "{text}");
            assert!(read_detail.contains(detail), "{text}: {read_detail}");
        }
    }

    #[test]
    fn encodes_requests_as_kite_documents_them() {
        let tokens = [408_065, 884_737];
        let cases = [
            (
                TickerRequest::Subscribe(&tokens),
                r#"{"a":"subscribe","v":[408065,884737]}"#,
            ),
            (
                TickerRequest::Unsubscribe(&tokens[..1]),
                r#"{"a":"unsubscribe","v":[408065]}"#,
            ),
            (
                TickerRequest::Mode(TickerMode::Full, &tokens[..1]),
                r#"{"a":"mode","v":["full",[408065]]}"#,
            ),
            (
                TickerRequest::Mode(TickerMode::Ltp, &tokens),
                r#"{"a":"mode","v":["ltp",[408065,884737]]}"#,
            ),
            (
                TickerRequest::Mode(TickerMode::Quote, &[]),
                r#"{"a":"mode","v":["quote",[]]}"#,
            ),
            (TickerRequest::Subscribe(&[]), r#"{"a":"subscribe","v":[]}"#),
        ];
        for (request, expected) in cases {
            let encoded = encode_request(request);
            assert_eq!(encoded, expected);
            assert!(serde_json::from_str::<Value>(&encoded).is_ok(), "{encoded}");
        }
    }

    #[test]
    fn only_kites_three_modes_become_ticker_modes() {
        let cases = [
            (StreamMode::Ltp, Some(TickerMode::Ltp)),
            (StreamMode::Quote, Some(TickerMode::Quote)),
            (StreamMode::Full, Some(TickerMode::Full)),
            (StreamMode::OptionGreeks, None),
            (StreamMode::FullDepth30, None),
        ];
        for (mode, expected) in cases {
            match (TickerMode::try_from(mode), expected) {
                (Ok(read), Some(expected)) => assert_eq!(read, expected),
                (Err(Error::UnsupportedFeature { broker, feature }), None) => {
                    assert_eq!(broker, "zerodha");
                    assert_eq!(feature, format!("{mode} stream mode"));
                }
                (other, _) => panic!("{mode}: {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(text in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_text(&text);
        }

        #[test]
        fn arbitrary_messages_of_each_type_never_panic(
            kind in prop_oneof![
                Just("order".to_owned()),
                Just("error".to_owned()),
                Just("message".to_owned()),
                "[a-z]{0,8}",
            ],
            data in "\\PC{0,64}",
        ) {
            let _ = parse_text(format!(r#"{{"type":"{kind}","data":{data}}}"#).as_bytes());
            let _ = parse_text(format!(r#"{{"type":"{kind}","data":"{data}"}}"#).as_bytes());
        }
    }
}
