//! Decoding what clients send as text: `application/x-www-form-urlencoded` bodies and query
//! strings (`i=NSE%3AM%26M&i=NSE:INFY`), and percent-encoded path segments.

/// Text that is not valid percent-encoding or not UTF-8 once decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadEncoding(pub(crate) String);

/// The decoded pairs of a form body or query string, in order, repeated keys kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Decodes `a=1&b=x+y&i=NSE%3AINFY`; `+` is a space, empty pieces are skipped.
    pub(crate) fn parse(text: &[u8]) -> Result<Form, BadEncoding> {
        let mut pairs = Vec::new();
        for piece in text.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (key, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &b""[..]),
            };
            pairs.push((decode(key, true)?, decode(value, true)?));
        }
        Ok(Form { pairs })
    }

    /// The first value of `key`, if sent.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key` when it is sent and not empty: Kite clients send empty fields
    /// for values they leave unset, and an empty field means the same as a missing one.
    pub(crate) fn value(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Every value of `key`, in order.
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`) into UTF-8 text.
pub(crate) fn decode(bytes: &[u8], plus_is_space: bool) -> Result<String, BadEncoding> {
    let bad = || BadEncoding(String::from_utf8_lossy(bytes).into_owned());
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let high = bytes.get(i + 1).and_then(|&b| hex_value(b));
                let low = bytes.get(i + 2).and_then(|&b| hex_value(b));
                match (high, low) {
                    (Some(high), Some(low)) => out.push(high << 4 | low),
                    _ => return Err(bad()),
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters stay as they are).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_repeated_keys_escapes_and_plus() {
        let form = Form::parse(b"i=NSE%3AM%26M&i=NSE:NIFTY+50&i=BSE:A%20B&tag=&x").unwrap();
        let all: Vec<&str> = form.all("i").collect();
        assert_eq!(all, ["NSE:M&M", "NSE:NIFTY 50", "BSE:A B"]);
        assert_eq!(form.get("tag"), Some(""));
        assert_eq!(form.value("tag"), None);
        assert_eq!(form.get("x"), Some(""));
        assert_eq!(form.get("missing"), None);
    }

    #[test]
    fn rejects_broken_escapes_and_invalid_utf8() {
        assert!(Form::parse(b"a=%4").is_err());
        assert!(Form::parse(b"a=%zz").is_err());
        assert!(Form::parse(b"a=%ff").is_err());
    }

    #[test]
    fn paths_keep_plus_signs() {
        assert_eq!(decode(b"a+b%20c", false).unwrap(), "a+b c");
    }

    #[test]
    fn encoding_round_trips() {
        let text = "request_token=a&b c/é";
        assert_eq!(decode(encode(text).as_bytes(), true).unwrap(), text);
    }
}
