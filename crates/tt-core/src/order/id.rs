//! Identifiers: the broker's order and trade ids, and the client tag a caller reconciles by.

use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};

/// An identifier or tag that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidId {
    /// An order or trade id was empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// A client tag broke the rules brokers share.
    #[error("client tag `{0}` must be 1 to 20 ASCII letters or digits")]
    Tag(String),
}

/// A broker's order id. Kept as text: Kite's run to 19 digits, Upstox's carry dates and dashes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// Wraps a broker's order id.
    ///
    /// # Errors
    /// [`InvalidId::Empty`] for an empty id.
    pub fn new(id: impl Into<String>) -> Result<OrderId, InvalidId> {
        let id = id.into();
        if id.is_empty() {
            return Err(InvalidId::Empty("order id"));
        }
        Ok(OrderId(id))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A broker's trade (fill) id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TradeId(String);

impl TradeId {
    /// Wraps a broker's trade id.
    ///
    /// # Errors
    /// [`InvalidId::Empty`] for an empty id.
    pub fn new(id: impl Into<String>) -> Result<TradeId, InvalidId> {
        let id = id.into();
        if id.is_empty() {
            return Err(InvalidId::Empty("trade id"));
        }
        Ok(TradeId(id))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The caller's own label on an order: 1 to 20 ASCII letters or digits, the intersection of what
/// Kite and Upstox accept.
///
/// Every order carries one, so an order whose outcome is unknown (a timeout after it was sent)
/// can be found again in the order book by its tag.
///
/// ```
/// use tt_core::ClientTag;
///
/// let tag = ClientTag::new("meanrev42")?;
/// assert_eq!(tag.as_str(), "meanrev42");
/// assert!(ClientTag::new("has space").is_err());
/// assert!(ClientTag::generate().as_str().len() <= 20);
/// # Ok::<(), tt_core::InvalidId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientTag(String);

impl ClientTag {
    /// The longest tag accepted.
    pub const MAX_LEN: usize = 20;

    /// Validates a tag.
    ///
    /// # Errors
    /// [`InvalidId::Tag`] when empty, longer than 20 characters, or not ASCII alphanumeric.
    pub fn new(tag: impl Into<String>) -> Result<ClientTag, InvalidId> {
        let tag = tag.into();
        if tag.is_empty()
            || tag.len() > Self::MAX_LEN
            || !tag.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(InvalidId::Tag(tag));
        }
        Ok(ClientTag(tag))
    }

    /// A fresh tag: `tt` and 18 random base-36 characters (about 93 bits), so tags from
    /// different processes, machines or container replicas (which all run as pid 1) collide
    /// with negligible likelihood.
    pub fn generate() -> ClientTag {
        let mut tag = String::from("tt");
        let random = (u128::from(random_u64()) << 64) | u128::from(random_u64());
        push_base36(&mut tag, random % 36u128.pow(18), 18);
        ClientTag(tag)
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 64 random bits. std's `RandomState` keys come from the operating system's random source
/// (once per thread, then stepped), and SipHash under a random key is a pseudo-random function,
/// so hashing a counter and the clock under a fresh key gives bits no other process can
/// predict or repeat, with no dependency and no I/O of our own.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

fn push_base36(out: &mut String, mut value: u128, width: usize) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = vec![b'0'; width];
    for slot in buf.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    out.extend(buf.into_iter().map(char::from));
}

macro_rules! display_and_validating_deserialize {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $ty::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

display_and_validating_deserialize!(OrderId, TradeId, ClientTag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_shared_broker_rules() {
        assert!(ClientTag::new("a").is_ok());
        assert!(ClientTag::new("A".repeat(20)).is_ok());
        for bad in ["", "tag-1", "tag_1", "with space", "ünï", &"A".repeat(21)] {
            assert!(ClientTag::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_tags_are_valid_and_distinct() {
        let tags: Vec<ClientTag> = (0..1000).map(|_| ClientTag::generate()).collect();
        for tag in &tags {
            assert!(ClientTag::new(tag.as_str()).is_ok(), "{tag}");
        }
        let unique: std::collections::HashSet<_> = tags.iter().collect();
        assert_eq!(unique.len(), tags.len());
    }

    /// The old tags spent five characters on the process id, the same in every replica of a
    /// container (pid 1), and eight on the clock: no position may be fixed within a process.
    #[test]
    fn generated_tags_are_random_in_every_position() {
        let tags: Vec<String> = (0..2000)
            .map(|_| ClientTag::generate().as_str().to_owned())
            .collect();
        for position in 2..ClientTag::MAX_LEN {
            let seen: std::collections::HashSet<u8> =
                tags.iter().map(|t| t.as_bytes()[position]).collect();
            assert!(
                seen.len() > 20,
                "position {position} took only {} values",
                seen.len()
            );
        }
    }

    #[test]
    fn ids_are_never_empty() {
        assert!(OrderId::new("").is_err());
        assert!(TradeId::new("").is_err());
        assert!(serde_json::from_str::<OrderId>("\"\"").is_err());
        let id: OrderId = serde_json::from_str("\"2100000000000001234\"").unwrap();
        assert_eq!(id.as_str(), "2100000000000001234");
    }
}
