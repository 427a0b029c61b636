//! `follow_login_redirect` over real sockets on 127.0.0.1: it follows a login page's redirects
//! to the app's redirect URL (never requesting it) and hands back that URL's query parameters.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "transport")]

use tt_connect::{LoginRedirectError, follow_login_redirect};
use tt_test_support::http::{Route, TestServer};

fn redirect_to(location: &str) -> Route {
    let mut route = Route::status(302, "");
    route
        .headers
        .push(("Location".to_owned(), location.to_owned()));
    route
}

#[tokio::test]
async fn redirects_are_followed_to_the_redirect_url_and_its_parameters_returned() {
    let server = TestServer::start([
        ("/connect/login", redirect_to("/connect/approve?step=2")),
        (
            "/connect/approve",
            redirect_to("http://127.0.0.1/callback?code=abc%2B1&state=s1"),
        ),
    ]);
    let redirect = follow_login_redirect(
        &server.url("/connect/login?api_key=key"),
        "http://127.0.0.1/callback",
    )
    .await
    .unwrap();
    assert_eq!(redirect.get("code"), Some("abc+1"));
    assert_eq!(redirect.get("state"), Some("s1"));
    let paths: Vec<String> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/connect/login?api_key=key", "/connect/approve?step=2"]
    );
}

#[tokio::test]
async fn a_login_page_that_wants_a_person_is_reported_as_such() {
    let server = TestServer::start([("/connect/login", Route::ok("<form>user id</form>"))]);
    let err = follow_login_redirect(
        &server.url("/connect/login?api_key=key"),
        "http://127.0.0.1/callback",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, LoginRedirectError::NoRedirect { status: 200, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("api_key=key"), "{err}");
}

#[tokio::test]
async fn a_redirect_loop_ends_in_an_error() {
    let server = TestServer::start([("/loop", redirect_to("/loop"))]);
    let err = follow_login_redirect(&server.url("/loop"), "http://127.0.0.1/callback")
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginRedirectError::TooManyRedirects { .. }),
        "{err}"
    );
}
