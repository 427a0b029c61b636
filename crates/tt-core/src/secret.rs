//! Secrets (API secrets, access tokens) that never show up in `Debug`, `Display` or errors.

use std::fmt;

/// A secret string. `Debug` prints `Secret("***")`; there is no `Display` and no `Serialize`,
/// so it cannot slip into a log line or a JSON dump by accident. Read it with
/// [`Secret::expose`] at the one place that must send it. It does implement `Deserialize` (from
/// a JSON string), so a broker's token response is read straight into one.
///
/// ```
/// use tt_core::Secret;
///
/// let token = Secret::new("abc123");
/// assert_eq!(format!("{token:?}"), r#"Secret("***")"#);
/// assert_eq!(token.expose(), "abc123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into().into_boxed_str())
    }

    /// The secret text, for the request that needs it. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for an empty secret (an unset setting).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(Secret::new)
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Secret::new(secret)
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Self {
        Secret::new(secret)
    }
}
