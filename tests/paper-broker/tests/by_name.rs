//! The paper broker registers itself: this program names it only with `use paper_broker as _;`
//! (what keeps a crate used only by name linked), and tt-connect, which has no line naming it,
//! builds it by name and logs in to it through the `Login` trait, never matching on a broker.
// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use paper_broker as _;
use time::Duration;
use time::macros::datetime;
use tt_connect::{
    AnyBroker, BrokerSettings, Client, Clock, Error, ManualClock, RedirectParams,
    registered_brokers,
};

fn paper_by_name(settings: BrokerSettings) -> Client<AnyBroker> {
    Client::from_name("paper", settings).unwrap()
}

/// Logs in the way any program would: the login URL's redirect, then its parameters.
async fn log_in(client: &Client<AnyBroker>) {
    let redirect = RedirectParams::from_url(&client.login_url()).unwrap();
    client.complete_login(&redirect).await.unwrap();
}

#[test]
fn linking_the_crate_registers_paper() {
    assert!(
        registered_brokers().contains(&"paper"),
        "{:?}",
        registered_brokers()
    );
}

#[tokio::test]
async fn from_name_builds_the_paper_broker() {
    let client = paper_by_name(BrokerSettings::new("key", "secret"));
    assert_eq!(client.name(), "paper");
    assert_eq!(client.profile().await.unwrap().broker, "paper");
    let funds = client.funds().await.unwrap().equity.unwrap();
    assert_eq!(funds.available, paper_broker::DEFAULT_CASH);
}

#[test]
fn an_unknown_name_lists_paper_among_the_registered_brokers() {
    let err = Client::from_name("angel", BrokerSettings::new("key", "secret")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("registered brokers: "), "{text}");
    assert!(text.contains("paper"), "{text}");
}

#[tokio::test]
async fn a_client_built_by_name_logs_in_and_out_through_the_login_trait() {
    let client = paper_by_name(
        BrokerSettings::new("key", "secret").redirect_url("http://127.0.0.1/app/callback"),
    );
    assert!(client.session().is_none());
    let login_url = client.login_url();
    assert!(
        login_url.starts_with("http://127.0.0.1/app/callback?"),
        "{login_url}"
    );

    let redirect = RedirectParams::from_url(&login_url).unwrap();
    let session = client.complete_login(&redirect).await.unwrap();
    assert_eq!(session.user_id, "PAPER1");
    assert_eq!(client.session(), Some(session));

    client.logout().await.unwrap();
    assert!(client.session().is_none());
}

#[tokio::test]
async fn a_redirect_without_the_login_code_is_refused() {
    let client = paper_by_name(BrokerSettings::new("key", "secret"));
    let forged = RedirectParams::from_pairs([("code", "guessed")]);
    let err = client.complete_login(&forged).await.unwrap_err();
    assert!(matches!(err, Error::Authentication { .. }), "{err}");
    assert!(client.session().is_none());
}

#[tokio::test]
async fn the_expiry_hook_hears_of_a_session_that_outlived_its_day() {
    let clock = Arc::new(ManualClock::new(datetime!(2031-03-15 03:00 +05:30)));
    let client = paper_by_name(BrokerSettings::new("key", "secret").clock(clock.clone()));
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    client.on_session_expired(move |end| seen.lock().unwrap().push(end.clone()));
    log_in(&client).await;

    clock.set(clock.now() + Duration::days(1) + Duration::seconds(1));
    assert!(client.session().is_none());
    let ended = ended.lock().unwrap();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].user_id.as_deref(), Some("PAPER1"));
    assert!(ended[0].reason.contains("expired"), "{:?}", ended[0]);
}

#[test]
fn the_blocking_client_built_by_name_logs_in_too() {
    let client =
        tt_connect::blocking::Client::from_name("paper", BrokerSettings::new("key", "secret"))
            .unwrap();
    let redirect = RedirectParams::from_url(&client.login_url()).unwrap();
    assert_eq!(client.complete_login(&redirect).unwrap().user_id, "PAPER1");
    client.logout().unwrap();
    assert!(client.session().is_none());
}
