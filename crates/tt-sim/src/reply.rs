//! HTTP responses the simulator writes: JSON, CSV (gzip when the client accepts it), gzip
//! files, HTML pages and redirects.

use std::io::Write;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// A complete response, body in memory.
pub(crate) type Reply = Response<Full<Bytes>>;

fn with_type(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
    let mut reply = Response::new(Full::new(body));
    *reply.status_mut() = status;
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
}

/// A JSON body, already serialised.
pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Reply {
    with_type(status, "application/json", Bytes::from(body))
}

/// A CSV body; gzip-encoded when `gzip` (the client sent `Accept-Encoding: gzip`), as Kite
/// serves its instrument dumps.
pub(crate) fn csv(body: String, gzip: bool) -> Reply {
    if gzip {
        // Writing to a Vec cannot fail; should it, the plain body below is still correct.
        if let Ok(compressed) = compress(body.as_bytes()) {
            let mut reply = with_type(StatusCode::OK, "text/csv", Bytes::from(compressed));
            reply
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return reply;
        }
    }
    with_type(StatusCode::OK, "text/csv", Bytes::from(body))
}

/// `body` gzip-compressed.
pub(crate) fn compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// A gzip file, as Upstox serves its instrument files (`application/gzip`, no
/// `Content-Encoding`: the client decompresses it itself).
pub(crate) fn gzip(body: Vec<u8>) -> Reply {
    with_type(StatusCode::OK, "application/gzip", Bytes::from(body))
}

/// A small HTML page, as the login host answers a browser.
pub(crate) fn html(status: StatusCode, title: &str, text: &str) -> Reply {
    let page = format!(
        "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>\n",
        title = escape_html(title),
        text = escape_html(text),
    );
    with_type(status, "text/html; charset=utf-8", Bytes::from(page))
}

/// A `302 Found` to `location`; a location that is not a valid header value is a 400 page.
pub(crate) fn redirect(location: &str) -> Reply {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut reply = Response::new(Full::new(Bytes::new()));
            *reply.status_mut() = StatusCode::FOUND;
            reply.headers_mut().insert(LOCATION, value);
            reply
        }
        Err(_) => html(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "The redirect URL cannot be sent as a header.",
        ),
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
