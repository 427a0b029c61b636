//! One HTTP call as the handlers see it: method, decoded path, query, headers and the whole
//! body.

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::form::{self, BadEncoding, Form};

/// A request, read in full.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The method.
    pub(crate) method: Method,
    /// The path as sent (still percent-encoded).
    pub(crate) path: String,
    /// The query string as sent, without `?`.
    pub(crate) query: String,
    /// The headers.
    pub(crate) headers: HeaderMap,
    /// The body.
    pub(crate) body: Bytes,
}

impl Call {
    /// The path's segments, percent-decoded: `/orders/regular/1` is `["orders", "regular", "1"]`.
    pub(crate) fn segments(&self) -> Result<Vec<String>, BadEncoding> {
        self.path
            .strip_prefix('/')
            .unwrap_or(&self.path)
            .split('/')
            .map(|segment| form::decode(segment.as_bytes(), false))
            .collect()
    }

    /// The query string's pairs.
    pub(crate) fn query_form(&self) -> Result<Form, BadEncoding> {
        Form::parse(self.query.as_bytes())
    }

    /// The body's pairs (`application/x-www-form-urlencoded`).
    pub(crate) fn body_form(&self) -> Result<Form, BadEncoding> {
        Form::parse(&self.body)
    }

    /// A header's value as text, if present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True when the client accepts a gzip-encoded body.
    pub(crate) fn accepts_gzip(&self) -> bool {
        self.headers
            .get_all(http::header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|coding| {
                let mut parts = coding.split(';');
                let name = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                name.eq_ignore_ascii_case("gzip") && !refused
            })
    }
}
