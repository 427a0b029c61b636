//! The login flow and authentication, over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Kite, TestSim, send};
use sha2::{Digest, Sha256};

fn checksum(api_key: &str, request_token: &str, secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{api_key}{request_token}{secret}")))
}

/// The request token from the login page's redirect.
async fn request_token(sim: &TestSim) -> String {
    let page = send(
        sim.handle.addr(),
        "GET",
        "/connect/login?v=3&api_key=tt_sim_key",
        &[],
        "",
    )
    .await
    .unwrap();
    assert_eq!(page.status, 302);
    let location = page.header("location").unwrap();
    let query = location.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("request_token="))
        .unwrap()
        .to_owned()
}

async fn exchange(sim: &TestSim, request_token: &str, checksum: &str) -> common::Response {
    let form = format!("api_key=tt_sim_key&request_token={request_token}&checksum={checksum}");
    send(
        sim.handle.addr(),
        "POST",
        "/session/token",
        &[("X-Kite-Version", "3")],
        &form,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn login_page_redirects_with_a_request_token() {
    let sim = TestSim::start("login-redirect").await;
    let page = send(
        sim.handle.addr(),
        "GET",
        "/connect/login?v=3&api_key=tt_sim_key&redirect_params=state%3Dabc%26x%3D1",
        &[],
        "",
    )
    .await
    .unwrap();
    assert_eq!(page.status, 302);
    let location = page.header("location").unwrap();
    assert!(
        location.starts_with("http://127.0.0.1/callback?request_token="),
        "{location}"
    );
    assert!(
        location.contains("&action=login&status=success"),
        "{location}"
    );
    assert!(location.ends_with("&state=abc&x=1"), "{location}");
}

#[tokio::test]
async fn login_page_refuses_an_unknown_api_key() {
    let sim = TestSim::start("login-unknown-key").await;
    let page = send(
        sim.handle.addr(),
        "GET",
        "/connect/login?v=3&api_key=nope",
        &[],
        "",
    )
    .await
    .unwrap();
    assert_eq!(page.status, 400);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("api_key"));
}

#[tokio::test]
async fn request_token_becomes_a_working_session_once() {
    let sim = TestSim::start("login-session").await;
    let token = request_token(&sim).await;
    let sum = checksum("tt_sim_key", &token, "tt_sim_secret");
    let session = exchange(&sim, &token, &sum).await.data();
    assert_eq!(session["user_id"], "TT0001");
    assert_eq!(session["api_key"], "tt_sim_key");
    assert_eq!(session["refresh_token"], "");
    assert_eq!(session["login_time"], "2026-11-24 09:30:00");
    let access_token = session["access_token"].as_str().unwrap().to_owned();
    assert_eq!(access_token.len(), 32);
    if let Some(mock) = common::mock("generate_session.json") {
        common::assert_same_shape("session", &session, &mock, &[]);
    }

    let kite = Kite {
        access_token,
        ..sim.kite.clone()
    };
    assert_eq!(kite.get("/user/profile").await.data()["user_id"], "TT0001");

    // Single use: the same token again is refused.
    exchange(&sim, &token, &sum)
        .await
        .error(403, "TokenException");
}

#[tokio::test]
async fn wrong_checksum_is_a_token_exception() {
    let sim = TestSim::start("login-checksum").await;
    let token = request_token(&sim).await;
    let wrong = checksum("tt_sim_key", &token, "not_the_secret");
    let message = exchange(&sim, &token, &wrong)
        .await
        .error(403, "TokenException");
    assert!(message.contains("checksum"), "{message}");
    // The token was not used up by the failed attempt.
    let right = checksum("tt_sim_key", &token, "tt_sim_secret");
    exchange(&sim, &token, &right).await.data();
}

#[tokio::test]
async fn made_up_request_token_is_a_token_exception() {
    let sim = TestSim::start("login-made-up").await;
    let sum = checksum("tt_sim_key", "madeup", "tt_sim_secret");
    exchange(&sim, "madeup", &sum)
        .await
        .error(403, "TokenException");
}

#[tokio::test]
async fn logout_invalidates_the_access_token() {
    let sim = TestSim::start("login-logout").await;
    let kite = &sim.kite;
    let target = format!(
        "/session/token?api_key={}&access_token={}",
        kite.api_key, kite.access_token
    );
    let answer = kite.delete(&target).await;
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "success", "data": true})
    );
    kite.get("/user/profile").await.error(403, "TokenException");
}

#[tokio::test]
async fn calls_without_version_header_are_input_exceptions() {
    let sim = TestSim::start("login-version").await;
    let auth = format!("token {}:{}", sim.kite.api_key, sim.kite.access_token);
    let answer = send(
        sim.handle.addr(),
        "GET",
        "/user/profile",
        &[("Authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    answer.error(400, "InputException");
}

#[tokio::test]
async fn bad_credentials_are_token_exceptions() {
    let sim = TestSim::start("login-auth").await;
    let addr = sim.handle.addr();
    let cases = [
        None,
        Some("token tt_sim_key:wrong".to_owned()),
        Some(format!("token other_key:{}", sim.kite.access_token)),
        Some(format!("Bearer {}", sim.kite.access_token)),
        Some("token garbage".to_owned()),
    ];
    for auth in cases {
        let mut headers = vec![("X-Kite-Version", "3")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        let answer = send(addr, "GET", "/orders", &headers, "").await.unwrap();
        answer.error(403, "TokenException");
    }
}

#[tokio::test]
async fn sessions_expire_at_six_in_the_morning() {
    let sim = TestSim::start("login-expiry").await;
    sim.kite.get("/user/profile").await.data();
    // 05:59 IST the next day: still valid; 06:00: gone.
    sim.clock
        .set(time::macros::datetime!(2026-11-25 00:29:59 UTC));
    sim.kite.get("/user/profile").await.data();
    sim.clock
        .set(time::macros::datetime!(2026-11-25 00:30:00 UTC));
    sim.kite
        .get("/user/profile")
        .await
        .error(403, "TokenException");
}

#[tokio::test]
async fn unknown_routes_are_general_exceptions() {
    let sim = TestSim::start("login-routes").await;
    sim.kite
        .get("/no/such/route")
        .await
        .error(404, "GeneralException");
    sim.kite
        .call("PATCH", "/orders/regular/1", "")
        .await
        .error(405, "GeneralException");
}
