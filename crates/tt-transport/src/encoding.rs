//! Percent-encoding for query strings and form bodies (`application/x-www-form-urlencoded`).

/// Percent-encodes `text` for a query string or form body: everything but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`, a space included (`%20`, valid in both).
///
/// ```
/// assert_eq!(tt_transport::percent_encode("NSE:M&M"), "NSE%3AM%26M");
/// assert_eq!(tt_transport::percent_encode("NIFTY 50"), "NIFTY%2050");
/// ```
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            other => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(other >> 4)]));
                out.push(char::from(HEX[usize::from(other & 0x0F)]));
            }
        }
    }
    out
}

/// `key=value&key=value`, each side percent-encoded; repeated keys are kept (Kite's `i=..&i=..`).
///
/// ```
/// let body = tt_transport::form_body(&[("i", "NSE:INFY"), ("i", "NSE:M&M")]);
/// assert_eq!(body, "i=NSE%3AINFY&i=NSE%3AM%26M");
/// ```
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(key));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// A request builder for `method` on `root` + `path` with `query` (percent-encoded, none when
/// empty) and the `User-Agent` every tt-connect call carries; the broker adds its own headers
/// and the body.
///
/// ```
/// let request = tt_transport::request_to(
///     http::Method::GET,
///     "https://api.example",
///     "/v2/order/details",
///     &[("order_id", "24 01")],
/// )
/// .body(())
/// .unwrap();
/// assert_eq!(request.uri(), "https://api.example/v2/order/details?order_id=24%2001");
/// assert!(request.headers()["user-agent"].to_str().unwrap().starts_with("tt-connect/"));
/// ```
pub fn request_to(
    method: http::Method,
    root: &str,
    path: &str,
    query: &[(&str, &str)],
) -> http::request::Builder {
    let mut url = format!("{root}{path}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(&form_body(query));
    }
    http::Request::builder().method(method).uri(url).header(
        "User-Agent",
        concat!("tt-connect/", env!("CARGO_PKG_VERSION")),
    )
}
