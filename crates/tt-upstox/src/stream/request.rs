//! What the client sends on the market data feed: subscription requests (JSON, which Upstox
//! requires in a binary frame), and Upstox's per-mode subscription limits, checked before
//! anything is sent.

use std::fmt;

use serde_json::{Map, Value, json};
use tt_core::StreamMode;

/// A request's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Start streaming the keys (in `ltpc` when no mode is given).
    Sub,
    /// Stop streaming the keys; a mode is not needed.
    Unsub,
    /// Stream already-subscribed keys in another mode.
    ChangeMode,
}

impl Method {
    const fn as_str(self) -> &'static str {
        match self {
            Method::Sub => "sub",
            Method::Unsub => "unsub",
            Method::ChangeMode => "change_mode",
        }
    }
}

/// One of Upstox's feed modes: tt-core's [`StreamMode`]s less `Quote`, which Upstox lacks, so
/// a request in a mode Upstox cannot stream cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FeedMode {
    /// `ltpc`: last price, time, quantity and previous close.
    Ltpc,
    /// `full`: five levels of depth, OHLC, totals and greeks.
    Full,
    /// `option_greeks`: the best bid and ask with greeks.
    OptionGreeks,
    /// `full_d30`: thirty levels of depth (Upstox Plus).
    FullD30,
}

impl FeedMode {
    /// The mode's name in a request.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            FeedMode::Ltpc => "ltpc",
            FeedMode::Full => "full",
            FeedMode::OptionGreeks => "option_greeks",
            FeedMode::FullD30 => "full_d30",
        }
    }
}

/// Upstox streams nothing in tt-core's `Quote` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("upstox has no {0} stream mode (it streams ltp, full, option_greeks and full_depth30)")]
pub(crate) struct UnsupportedMode(pub(crate) StreamMode);

impl TryFrom<StreamMode> for FeedMode {
    type Error = UnsupportedMode;

    fn try_from(mode: StreamMode) -> Result<FeedMode, UnsupportedMode> {
        match mode {
            StreamMode::Ltp => Ok(FeedMode::Ltpc),
            StreamMode::Full => Ok(FeedMode::Full),
            StreamMode::OptionGreeks => Ok(FeedMode::OptionGreeks),
            StreamMode::FullDepth30 => Ok(FeedMode::FullD30),
            StreamMode::Quote => Err(UnsupportedMode(mode)),
        }
    }
}

/// A subscription request's bytes, to be sent as a binary frame:
/// `{"guid":..,"method":..,"data":{"mode":..,"instrumentKeys":[..]}}`. With `mode` `None` the
/// `mode` member is left out (Upstox subscribes in `ltpc` then; `unsub` needs none).
pub(crate) fn feed_request(
    guid: &str,
    method: Method,
    mode: Option<FeedMode>,
    keys: &[&str],
) -> Vec<u8> {
    let mut data = Map::new();
    if let Some(mode) = mode {
        data.insert("mode".to_owned(), Value::from(mode.as_str()));
    }
    data.insert("instrumentKeys".to_owned(), Value::from(keys.to_vec()));
    // A `Value` prints without a fallible serializer: no error path for a request to carry.
    json!({"guid": guid, "method": method.as_str(), "data": data})
        .to_string()
        .into_bytes()
}

/// How many instrument keys one connection streams in each mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ModeCounts {
    pub(crate) ltpc: usize,
    pub(crate) full: usize,
    pub(crate) option_greeks: usize,
    pub(crate) full_d30: usize,
}

impl ModeCounts {
    fn get(self, mode: FeedMode) -> usize {
        match mode {
            FeedMode::Ltpc => self.ltpc,
            FeedMode::Full => self.full,
            FeedMode::OptionGreeks => self.option_greeks,
            FeedMode::FullD30 => self.full_d30,
        }
    }
}

/// One mode's keys past Upstox's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) struct LimitExceeded {
    /// The mode.
    pub(crate) mode: FeedMode,
    /// Its limit, as the other modes in use make it.
    pub(crate) limit: usize,
    /// The keys asked for in it.
    pub(crate) requested: usize,
    /// Whether other modes were in use (the lower, combined limit applied).
    pub(crate) combined: bool,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alone = if self.combined {
            "with other modes in use"
        } else {
            "alone"
        };
        write!(
            f,
            "upstox streams at most {} instrument keys in {} mode {alone}; {} were asked",
            self.limit,
            self.mode.as_str(),
            self.requested
        )
    }
}

/// Each mode's limits: (alone, combined with another mode).
const LIMITS: [(FeedMode, usize, usize); 4] = [
    (FeedMode::Ltpc, 5000, 2000),
    (FeedMode::OptionGreeks, 3000, 2000),
    (FeedMode::Full, 2000, 1500),
    // Upstox Plus lists full_d30 as "50, 1500 combined". A combined limit is the lower one
    // everywhere else, and reading 1500 as a raise past 50 would let a connection hold 1500
    // thirty-level books it cannot have alone, so full_d30 is 50 either way.
    (FeedMode::FullD30, 50, 50),
];

/// Whether `counts` fits Upstox's subscription limits for one connection.
///
/// The rule: a mode used alone (every other mode at 0 keys) has its individual limit (ltpc
/// 5000, option_greeks 3000, full 2000, full_d30 50); when two or more modes have keys, each
/// has its combined limit (ltpc 2000, option_greeks 2000, full 1500, full_d30 50). A mode at
/// exactly its limit passes. These are a normal account's limits; `full_d30` exists only with
/// Upstox Plus, which Upstox itself checks.
///
/// # Errors
/// [`LimitExceeded`] for the first mode (ltpc, option_greeks, full, full_d30) over its limit.
pub(crate) fn check_limits(counts: ModeCounts) -> Result<(), LimitExceeded> {
    let modes_in_use = LIMITS
        .iter()
        .filter(|(mode, _, _)| counts.get(*mode) > 0)
        .count();
    let combined = modes_in_use > 1;
    for (mode, alone, with_others) in LIMITS {
        let limit = if combined { with_others } else { alone };
        let requested = counts.get(mode);
        if requested > limit {
            return Err(LimitExceeded {
                mode,
                limit,
                requested,
                combined,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parsed(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn every_method_and_mode_writes_upstox_json() {
        let cases = [
            (
                Method::Sub,
                Some(FeedMode::Ltpc),
                r#"{"guid":"g1","method":"sub","data":{"mode":"ltpc","instrumentKeys":["NSE_INDEX|Nifty Bank","NSE_EQ|INE002A01018"]}}"#,
            ),
            (
                Method::Sub,
                Some(FeedMode::Full),
                r#"{"guid":"g1","method":"sub","data":{"mode":"full","instrumentKeys":["NSE_INDEX|Nifty Bank","NSE_EQ|INE002A01018"]}}"#,
            ),
            (
                Method::Sub,
                Some(FeedMode::OptionGreeks),
                r#"{"guid":"g1","method":"sub","data":{"mode":"option_greeks","instrumentKeys":["NSE_INDEX|Nifty Bank","NSE_EQ|INE002A01018"]}}"#,
            ),
            (
                Method::ChangeMode,
                Some(FeedMode::FullD30),
                r#"{"guid":"g1","method":"change_mode","data":{"mode":"full_d30","instrumentKeys":["NSE_INDEX|Nifty Bank","NSE_EQ|INE002A01018"]}}"#,
            ),
            (
                Method::Unsub,
                None,
                r#"{"guid":"g1","method":"unsub","data":{"instrumentKeys":["NSE_INDEX|Nifty Bank","NSE_EQ|INE002A01018"]}}"#,
            ),
        ];
        for (method, mode, expected) in cases {
            let bytes = feed_request(
                "g1",
                method,
                mode,
                &["NSE_INDEX|Nifty Bank", "NSE_EQ|INE002A01018"],
            );
            assert_eq!(
                parsed(&bytes),
                parsed(expected.as_bytes()),
                "{method:?} {mode:?}"
            );
        }
    }

    #[test]
    fn a_key_with_quotes_is_escaped() {
        let bytes = feed_request("g\"2", Method::Sub, None, &["NSE_EQ|A\"B"]);
        let value = parsed(&bytes);
        assert_eq!(value["guid"], "g\"2");
        assert_eq!(value["data"]["instrumentKeys"][0], "NSE_EQ|A\"B");
        assert!(value["data"].get("mode").is_none());
    }

    #[test]
    fn stream_modes_map_to_upstox_modes_and_quote_is_refused() {
        let cases = [
            (StreamMode::Ltp, Ok(FeedMode::Ltpc)),
            (StreamMode::Full, Ok(FeedMode::Full)),
            (StreamMode::OptionGreeks, Ok(FeedMode::OptionGreeks)),
            (StreamMode::FullDepth30, Ok(FeedMode::FullD30)),
            (StreamMode::Quote, Err(UnsupportedMode(StreamMode::Quote))),
        ];
        for (mode, expected) in cases {
            assert_eq!(FeedMode::try_from(mode), expected, "{mode}");
        }
        assert!(
            UnsupportedMode(StreamMode::Quote)
                .to_string()
                .contains("quote")
        );
    }

    fn counts(ltpc: usize, full: usize, option_greeks: usize, full_d30: usize) -> ModeCounts {
        ModeCounts {
            ltpc,
            full,
            option_greeks,
            full_d30,
        }
    }

    #[test]
    fn each_limit_passes_at_the_limit_and_fails_one_over() {
        // (counts at the limit, the mode one more key would break, its limit, combined)
        let cases = [
            (counts(5000, 0, 0, 0), FeedMode::Ltpc, 5000, false),
            (counts(0, 2000, 0, 0), FeedMode::Full, 2000, false),
            (counts(0, 0, 3000, 0), FeedMode::OptionGreeks, 3000, false),
            (counts(0, 0, 0, 50), FeedMode::FullD30, 50, false),
            (counts(2000, 1, 0, 0), FeedMode::Ltpc, 2000, true),
            (counts(1, 1500, 0, 0), FeedMode::Full, 1500, true),
            (counts(1, 0, 2000, 0), FeedMode::OptionGreeks, 2000, true),
            (counts(1, 0, 0, 50), FeedMode::FullD30, 50, true),
            (counts(2000, 1500, 2000, 50), FeedMode::Ltpc, 2000, true),
        ];
        for (at_limit, mode, limit, combined) in cases {
            assert_eq!(check_limits(at_limit), Ok(()), "{at_limit:?}");
            let mut over = at_limit;
            match mode {
                FeedMode::Ltpc => over.ltpc += 1,
                FeedMode::Full => over.full += 1,
                FeedMode::OptionGreeks => over.option_greeks += 1,
                FeedMode::FullD30 => over.full_d30 += 1,
            }
            assert_eq!(
                check_limits(over),
                Err(LimitExceeded {
                    mode,
                    limit,
                    requested: limit + 1,
                    combined
                }),
                "{over:?}"
            );
        }
    }

    #[test]
    fn a_second_mode_lowers_the_first_ones_limit() {
        assert_eq!(check_limits(counts(5000, 0, 0, 0)), Ok(()));
        let error = check_limits(counts(5000, 1, 0, 0)).unwrap_err();
        assert_eq!(
            (error.mode, error.limit, error.requested),
            (FeedMode::Ltpc, 2000, 5000)
        );
        assert_eq!(
            error.to_string(),
            "upstox streams at most 2000 instrument keys in ltpc mode with other modes in use; 5000 were asked"
        );
        assert_eq!(check_limits(ModeCounts::default()), Ok(()));
    }
}
