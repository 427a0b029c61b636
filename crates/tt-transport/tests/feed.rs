//! The feed engine over real sockets on 127.0.0.1: a scriptable WebSocket server, a toy broker
//! protocol, and the engine's promises one per test (replay, stalls, refused sessions,
//! backoff, the bounded buffer, spreading over sockets, closing, refused URLs).
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{Connection, Ending, WsServer};
use common::toy::{Toy, fast_options, instruments, market, token};
use common::{assert_ended, assert_quiet, next_event};
use tt_core::{
    CloseReason, ConnectionId, ConnectionKind, Disconnect, Error, Feed, FeedError, FeedEvent,
    FeedOptions, FrameRecorder, Price, StreamMode,
};
use tt_transport::{FeedLayout, WsTarget, open_feed};

/// Every test gets this long before it fails instead of hanging.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn within_timeout(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("the test did not finish in time");
}

/// A feed streaming NSE:INFY from a fresh server: connected, the subscription received.
struct Streaming {
    server: WsServer,
    feed: Feed,
    first: Arc<Connection>,
}

async fn streaming(options: FeedOptions, mode: StreamMode) -> Streaming {
    let server = WsServer::start().await;
    let (_, mut feed) = feed_to(&server.url("/feed"), options);
    subscribe(&feed, &["NSE:INFY"], mode).await;
    assert_eq!(
        expect_connected(next_event(&mut feed.events).await),
        market(0)
    );
    let first = server.connection(0).await;
    assert_eq!(first.wait_messages(1).await, [sub("NSE:INFY", mode)]);
    Streaming {
        server,
        feed,
        first,
    }
}

/// A feed of a toy broker at `url`, one market socket, nothing subscribed.
fn feed_to(url: &str, options: FeedOptions) -> (Arc<Toy>, Feed) {
    feed_laid_out(url, layout(1, None), options)
}

/// A feed of a toy broker at `url` spread as `layout` says, nothing subscribed.
fn feed_laid_out(url: &str, layout: FeedLayout, options: FeedOptions) -> (Arc<Toy>, Feed) {
    let toy = Arc::new(Toy::with_layout(url, layout));
    let feed = open_feed(Arc::clone(&toy), options).unwrap();
    (toy, feed)
}

/// One market socket, order updates on `kind`'s first socket.
fn orders_on(kind: ConnectionKind, market_sockets: u8) -> FeedLayout {
    FeedLayout {
        order_updates: Some(kind),
        ..layout(market_sockets, None)
    }
}

async fn subscribe(feed: &Feed, names: &[&str], mode: StreamMode) {
    feed.control
        .subscribe(&instruments(names), mode)
        .await
        .unwrap();
}

fn layout(market_sockets: u8, per_socket: Option<usize>) -> FeedLayout {
    FeedLayout {
        market_sockets,
        per_socket,
        order_updates: None,
    }
}

fn sub(instrument: &str, mode: StreamMode) -> String {
    format!("sub:{}:{mode}", token(instrument))
}

fn tick(instrument: &str, price: i64) -> String {
    format!("tick:{}:{price}", token(instrument))
}

fn sorted(mut messages: Vec<String>) -> Vec<String> {
    messages.sort();
    messages
}

fn expect_connected(event: FeedEvent) -> ConnectionId {
    match event {
        FeedEvent::Connected { connection } => connection,
        other => panic!("expected Connected, got {other:?}"),
    }
}

fn expect_reconnecting(event: FeedEvent) -> (ConnectionId, u32, Disconnect) {
    match event {
        FeedEvent::Reconnecting {
            connection,
            attempt,
            reason,
        } => (connection, attempt, reason),
        other => panic!("expected Reconnecting, got {other:?}"),
    }
}

fn expect_closed(event: FeedEvent) -> CloseReason {
    match event {
        FeedEvent::Closed { reason } => reason,
        other => panic!("expected Closed, got {other:?}"),
    }
}

fn expect_price(event: FeedEvent) -> Price {
    match event {
        FeedEvent::Tick(tick) => tick.last_price,
        other => panic!("expected a tick, got {other:?}"),
    }
}

async fn next_prices(events: &mut tt_core::FeedStream, n: usize) -> Vec<Price> {
    let mut prices = Vec::with_capacity(n);
    while prices.len() < n {
        prices.push(expect_price(next_event(events).await));
    }
    prices
}

fn rupees(range: std::ops::RangeInclusive<i64>) -> Vec<Price> {
    range.map(|p| Price::from_rupees(p).unwrap()).collect()
}

fn failure_text(reason: &Disconnect) -> &str {
    match reason {
        Disconnect::Failed { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

// 1. Subscribing and ticks.

#[tokio::test]
async fn a_subscription_reaches_the_server_and_its_ticks_come_back_after_connected() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Quote).await;
        assert_eq!(s.first.path(), "/feed");

        s.first
            .push_text(&format!("tick:{}:1520.50", token("NSE:INFY")));
        let FeedEvent::Tick(tick) = next_event(&mut s.feed.events).await else {
            panic!("expected a tick");
        };
        assert_eq!(tick.instrument.to_string(), "NSE:INFY");
        assert_eq!(&*tick.token, token("NSE:INFY"));
        assert_eq!(tick.mode, StreamMode::Quote);
        assert_eq!(tick.last_price, "1520.50".parse().unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_fragmented_message_is_decoded_whole() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Ltp).await;
        let whole = tick("NSE:INFY", 1234);
        let (head, tail) = whole.split_at(7);
        s.first.push_fragmented(&[head, tail]);
        assert_eq!(
            expect_price(next_event(&mut s.feed.events).await),
            rupees(1234..=1234)[0]
        );
    })
    .await;
}

#[tokio::test]
async fn a_message_that_does_not_decode_is_an_error_event_and_the_feed_goes_on() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Ltp).await;
        s.first.push_text("garbage");
        s.first.push_binary(&[1, 2, 3]);
        s.first.push_text(&tick("NSE:INFY", 10));
        for expected in ["not a tick: garbage", "a binary message"] {
            match next_event(&mut s.feed.events).await {
                FeedEvent::Error(FeedError::Malformed { broker, problem }) => {
                    assert_eq!((broker, problem.as_str()), ("toy", expected));
                }
                other => panic!("expected a malformed-frame error, got {other:?}"),
            }
        }
        assert_eq!(next_prices(&mut s.feed.events, 1).await, rupees(10..=10));
    })
    .await;
}

// 2. Reconnecting and replaying.

#[tokio::test]
async fn a_dropped_socket_reconnects_and_replays_every_subscription_with_its_mode() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Ltp).await;
        subscribe(&s.feed, &["NSE:TCS"], StreamMode::Full).await;
        subscribe(&s.feed, &["NSE:SBIN", "NSE:RELIANCE"], StreamMode::Quote).await;
        s.first.wait_messages(4).await;
        let control = &s.feed.control;
        control
            .unsubscribe(&instruments(&["NSE:SBIN"]))
            .await
            .unwrap();
        let messages = s.first.wait_messages(5).await;
        assert_eq!(messages[4], format!("unsub:{}", token("NSE:SBIN")));

        // Dropped, then kept away (503) long enough to change subscriptions while away.
        s.server.refuse(503, "maintenance");
        s.first.drop_tcp();
        let (connection, attempt, reason) =
            expect_reconnecting(next_event(&mut s.feed.events).await);
        assert_eq!((connection, attempt), (market(0), 1));
        assert!(
            matches!(
                reason,
                Disconnect::Closed { .. } | Disconnect::Failed { .. }
            ),
            "{reason:?}"
        );
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut s.feed.events).await);
        assert_eq!(attempt, 2);
        assert!(failure_text(&reason).contains("503"), "{reason:?}");
        subscribe(&s.feed, &["NSE:ITC"], StreamMode::Quote).await;
        control
            .unsubscribe(&instruments(&["NSE:RELIANCE"]))
            .await
            .unwrap();
        s.server.accept();

        loop {
            match next_event(&mut s.feed.events).await {
                FeedEvent::Reconnecting { .. } => {}
                event => {
                    assert_eq!(expect_connected(event), market(0));
                    break;
                }
            }
        }
        let second = s.server.connection(1).await;
        assert_eq!(
            sorted(second.wait_messages(3).await),
            sorted(vec![
                sub("NSE:INFY", StreamMode::Ltp),
                sub("NSE:TCS", StreamMode::Full),
                sub("NSE:ITC", StreamMode::Quote),
            ])
        );
        // Nothing else was sent (no SBIN or RELIANCE, no duplicate): the next message is new.
        subscribe(&s.feed, &["NSE:WIPRO"], StreamMode::Ltp).await;
        let all = second.wait_messages(4).await;
        assert_eq!(all.len(), 4, "{all:?}");
        assert_eq!(all[3], sub("NSE:WIPRO", StreamMode::Ltp));
    })
    .await;
}

#[tokio::test]
async fn a_server_closing_with_a_code_is_reported_with_it_and_answered() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Ltp).await;
        s.first.close(4001);
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut s.feed.events).await);
        assert_eq!(attempt, 1);
        assert_eq!(reason, Disconnect::Closed { code: Some(4001) });
        // The engine answered the close frame: a closing handshake, not a dropped line.
        assert_eq!(
            s.first.wait_ended(Duration::from_secs(2)).await,
            Ending::ServerClosed
        );
        expect_connected(next_event(&mut s.feed.events).await);
        assert_eq!(
            s.server.connection(1).await.wait_messages(1).await,
            [sub("NSE:INFY", StreamMode::Ltp)]
        );
    })
    .await;
}

#[tokio::test]
async fn failures_count_again_from_zero_after_a_connection_succeeds() {
    within_timeout(async {
        let options = FeedOptions {
            max_attempts: Some(1),
            ..fast_options()
        };
        let mut s = streaming(options, StreamMode::Ltp).await;
        for reconnect in 1..=3 {
            s.server.connection(reconnect - 1).await.drop_tcp();
            let (_, attempt, _) = expect_reconnecting(next_event(&mut s.feed.events).await);
            assert_eq!(attempt, 1);
            expect_connected(next_event(&mut s.feed.events).await);
        }
        assert_eq!(s.server.connections(), 4);
    })
    .await;
}

#[tokio::test]
async fn the_recorder_sees_every_binary_market_data_message_as_received() {
    within_timeout(async {
        let recorded = Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
        let options = FeedOptions {
            recorder: Some(FrameRecorder::new({
                let recorded = Arc::clone(&recorded);
                move |payload: &[u8]| recorded.lock().unwrap().push(payload.to_vec())
            })),
            ..fast_options()
        };
        let server = WsServer::start().await;
        let (toy, mut feed) = feed_laid_out(
            &server.url("/feed"),
            orders_on(ConnectionKind::Portfolio, 1),
            options,
        );
        expect_connected(next_event(&mut feed.events).await);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        expect_connected(next_event(&mut feed.events).await);
        let (portfolio, market) = (server.connection(0).await, server.connection(1).await);
        market.wait_messages(1).await;

        portfolio.push_binary(&[9, 9]);
        market.push_binary(&[1, 2, 3]);
        market.push_text(&tick("NSE:INFY", 5));
        market.push_binary(&[]);
        market.push_binary(&[4, 5]);
        toy.wait_decoded(5).await;
        // Binary messages of the market socket, in order, byte for byte; not its text, not
        // the portfolio socket's.
        assert_eq!(
            *recorded.lock().unwrap(),
            [vec![1, 2, 3], vec![], vec![4, 5]]
        );
    })
    .await;
}

// 3. Stalls and pings.

#[tokio::test]
async fn a_mute_server_is_reported_stalled_and_replaced_by_a_fresh_connection() {
    within_timeout(async {
        let options = fast_options();
        let mut s = streaming(options.clone(), StreamMode::Ltp).await;
        s.first.mute();

        match next_event(&mut s.feed.events).await {
            FeedEvent::Stalled {
                connection,
                silent_for,
            } => {
                assert_eq!(connection, market(0));
                assert_eq!(silent_for, options.stall_timeout);
            }
            other => panic!("expected Stalled, got {other:?}"),
        }
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut s.feed.events).await);
        assert_eq!(attempt, 1);
        assert_eq!(
            reason,
            Disconnect::Stalled {
                silent_for: options.stall_timeout
            }
        );
        expect_connected(next_event(&mut s.feed.events).await);
        // The engine pinged the mute server before giving up on it, and let it go.
        s.first.wait_pings(1).await;
        assert_eq!(
            s.first.wait_ended(Duration::from_secs(2)).await,
            Ending::Dropped
        );
        assert_eq!(
            s.server.connection(1).await.wait_messages(1).await,
            [sub("NSE:INFY", StreamMode::Ltp)]
        );
    })
    .await;
}

#[tokio::test]
async fn a_silent_server_that_answers_pings_never_stalls() {
    within_timeout(async {
        let options = fast_options();
        let mut s = streaming(options.clone(), StreamMode::Ltp).await;
        // Pinged at half the stall timeout: at least twice before two timeouts have passed.
        s.first.wait_pings(2).await;
        assert_quiet(&mut s.feed.events, options.stall_timeout * 3).await;
        assert!(s.first.is_open());
        assert_eq!(s.server.connections(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_server_that_only_pings_is_alive_and_gets_its_pongs() {
    within_timeout(async {
        let options = fast_options();
        let mut s = streaming(options.clone(), StreamMode::Ltp).await;
        // The server never answers the engine's pings, but pings it every 100 ms itself: a
        // heartbeat of its own is a live line.
        s.first.ignore_pings();
        let pinger = {
            let connection = Arc::clone(&s.first);
            tokio::spawn(async move {
                loop {
                    connection.ping();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        assert_quiet(&mut s.feed.events, options.stall_timeout * 3).await;
        pinger.abort();
        assert!(s.first.pongs() >= 5, "{} pongs", s.first.pongs());
        assert!(s.first.is_open());
    })
    .await;
}

// 4. Refused sessions.

#[tokio::test]
async fn an_upgrade_refused_401_on_reconnect_closes_the_feed_until_it_is_resumed() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Full).await;
        s.server.refuse(401, "token expired");
        s.first.drop_tcp();
        let (_, attempt, _) = expect_reconnecting(next_event(&mut s.feed.events).await);
        assert_eq!(attempt, 1);
        match expect_closed(next_event(&mut s.feed.events).await) {
            CloseReason::SessionExpired { broker, message } => {
                assert_eq!(broker, "toy");
                assert!(message.contains("401"), "{message}");
                assert!(message.contains("token expired"), "{message}");
            }
            other => panic!("expected SessionExpired, got {other:?}"),
        }
        assert_ended(&mut s.feed.events).await;
        // No further attempt, well past the longest backoff.
        tokio::time::sleep(fast_options().reconnect_max * 3).await;
        assert_eq!(s.server.attempts(), 2);

        s.server.accept();
        let mut events = s.feed.control.resume().await.unwrap();
        expect_connected(next_event(&mut events).await);
        assert_eq!(
            s.server.connection(1).await.wait_messages(1).await,
            [sub("NSE:INFY", StreamMode::Full)]
        );
    })
    .await;
}

#[tokio::test]
async fn an_upgrade_refused_403_at_the_first_connect_closes_the_feed_at_once() {
    within_timeout(async {
        let server = WsServer::start().await;
        server.refuse(403, "forbidden");
        let (_, mut feed) = feed_to(&server.url("/feed"), fast_options());
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        assert!(matches!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::SessionExpired { .. }
        ));
        assert_ended(&mut feed.events).await;
        assert_eq!(server.attempts(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_session_refused_on_one_socket_closes_every_socket_once() {
    within_timeout(async {
        let server = WsServer::start().await;
        let (_, mut feed) = feed_laid_out(&server.url("/feed"), layout(2, Some(1)), fast_options());
        subscribe(&feed, &["NSE:INFY", "NSE:TCS"], StreamMode::Ltp).await;
        expect_connected(next_event(&mut feed.events).await);
        expect_connected(next_event(&mut feed.events).await);
        let (a, b) = (server.connection(0).await, server.connection(1).await);

        server.refuse(401, "token expired");
        a.drop_tcp();
        expect_reconnecting(next_event(&mut feed.events).await);
        assert!(matches!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::SessionExpired { .. }
        ));
        assert_ended(&mut feed.events).await;
        // The other socket was closed too, politely.
        assert_eq!(
            b.wait_ended(Duration::from_secs(2)).await,
            Ending::ClientClosed(Some(1000))
        );
    })
    .await;
}

#[tokio::test]
async fn a_target_refusing_the_session_closes_the_feed_and_resume_reconnects() {
    within_timeout(async {
        let server = WsServer::start().await;
        let (toy, mut feed) = feed_to(&server.url("/feed"), fast_options());
        toy.set_session_expired(true);
        subscribe(&feed, &["NSE:INFY", "NSE:TCS"], StreamMode::Quote).await;
        match expect_closed(next_event(&mut feed.events).await) {
            CloseReason::SessionExpired { broker, message } => {
                assert_eq!(broker, "toy");
                assert!(message.contains("the toy token expired"), "{message}");
            }
            other => panic!("expected SessionExpired, got {other:?}"),
        }
        assert_ended(&mut feed.events).await;
        assert_eq!(toy.targets(), 1);
        assert_eq!(server.attempts(), 0);

        toy.set_session_expired(false);
        let mut events = feed.control.resume().await.unwrap();
        expect_connected(next_event(&mut events).await);
        assert_eq!(
            sorted(server.connection(0).await.wait_messages(2).await),
            sorted(vec![
                sub("NSE:INFY", StreamMode::Quote),
                sub("NSE:TCS", StreamMode::Quote)
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn resume_is_refused_while_the_feed_runs() {
    within_timeout(async {
        let s = streaming(fast_options(), StreamMode::Ltp).await;
        assert!(matches!(
            s.feed.control.resume().await,
            Err(Error::Config(_))
        ));
    })
    .await;
}

// 5. Backoff and giving up.

#[tokio::test]
async fn a_refused_upgrade_500_is_retried_with_backoff_until_max_attempts() {
    within_timeout(async {
        let server = WsServer::start().await;
        server.refuse(500, "internal error");
        let options = FeedOptions {
            max_attempts: Some(2),
            ..fast_options()
        };
        let started = Instant::now();
        let (_, mut feed) = feed_to(&server.url("/feed"), options.clone());
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        for expected in 1..=2 {
            let (connection, attempt, reason) =
                expect_reconnecting(next_event(&mut feed.events).await);
            assert_eq!((connection, attempt), (market(0), expected));
            let error = failure_text(&reason);
            assert!(
                error.contains("500") && error.contains("internal error"),
                "{error}"
            );
        }
        match expect_closed(next_event(&mut feed.events).await) {
            CloseReason::GaveUp { attempts, last } => {
                assert_eq!(attempts, 2);
                assert!(failure_text(&last).contains("500"));
            }
            other => panic!("expected GaveUp, got {other:?}"),
        }
        assert_ended(&mut feed.events).await;
        // The first connect and two reconnects, each after at least half its backoff.
        assert_eq!(server.attempts(), 3);
        let least = options.reconnect_initial / 2 + options.reconnect_initial;
        assert!(started.elapsed() >= least, "{:?}", started.elapsed());
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_is_retried_until_max_attempts() {
    within_timeout(async {
        // A port nothing listens on any more.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/feed", closed.local_addr().unwrap());
        drop(closed);
        let options = FeedOptions {
            max_attempts: Some(2),
            ..fast_options()
        };
        let (toy, mut feed) = feed_to(&url, options);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        for expected in 1..=2 {
            let (_, attempt, reason) = expect_reconnecting(next_event(&mut feed.events).await);
            assert_eq!(attempt, expected);
            assert!(
                failure_text(&reason).contains("connection failed"),
                "{reason:?}"
            );
        }
        assert!(matches!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::GaveUp { attempts: 2, .. }
        ));
        assert_ended(&mut feed.events).await;
        assert_eq!(toy.targets(), 3);
    })
    .await;
}

/// A server that accepts TCP connections and holds them without a word; it reports each.
async fn holding_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/feed", listener.local_addr().unwrap());
    let (accepted, report) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
            let _ = accepted.send(());
        }
    });
    (url, report)
}

#[tokio::test]
async fn a_server_that_never_answers_the_upgrade_times_out_and_is_retried() {
    within_timeout(async {
        let (url, mut accepted) = holding_server().await;
        let options = FeedOptions {
            connect_timeout: Duration::from_millis(200),
            ..fast_options()
        };
        let (_, mut feed) = feed_to(&url, options);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut feed.events).await);
        assert_eq!(attempt, 1);
        assert!(
            failure_text(&reason).contains("no WebSocket connection within 200ms"),
            "{reason:?}"
        );
        let (_, attempt, _) = expect_reconnecting(next_event(&mut feed.events).await);
        assert_eq!(attempt, 2);
        for _ in 0..2 {
            accepted.recv().await.unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn close_during_a_connect_ends_the_feed_at_once() {
    within_timeout(async {
        let (url, mut accepted) = holding_server().await;
        let options = FeedOptions {
            connect_timeout: Duration::from_secs(60),
            ..fast_options()
        };
        let (_, mut feed) = feed_to(&url, options);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        accepted.recv().await.unwrap();
        // The socket waits on the upgrade's answer (for up to a minute); close() cuts it short.
        feed.control.close();
        assert_eq!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::Requested
        );
        assert_ended(&mut feed.events).await;
    })
    .await;
}

#[tokio::test]
async fn close_during_a_long_backoff_ends_the_feed_at_once() {
    within_timeout(async {
        let server = WsServer::start().await;
        server.refuse(500, "internal error");
        let options = FeedOptions {
            reconnect_initial: Duration::from_secs(60),
            reconnect_max: Duration::from_secs(60),
            ..fast_options()
        };
        let (_, mut feed) = feed_to(&server.url("/feed"), options);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        expect_reconnecting(next_event(&mut feed.events).await);
        feed.control.close();
        assert_eq!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::Requested
        );
        assert_ended(&mut feed.events).await;
        assert_eq!(server.attempts(), 1);
    })
    .await;
}

// 6. A slow consumer.

#[tokio::test]
async fn a_slow_consumer_gets_lagged_with_exactly_what_it_missed_and_the_socket_lives_on() {
    within_timeout(async {
        let server = WsServer::start().await;
        let options = FeedOptions {
            capacity: 8,
            ..fast_options()
        };
        let (toy, mut feed) = feed_to(&server.url("/feed"), options);
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let connection = server.connection(0).await;
        connection.wait_messages(1).await;

        // 1,000 ticks while nobody reads: the buffer holds Connected and 7 of them.
        for price in 1..=1000 {
            connection.push_text(&tick("NSE:INFY", price));
        }
        toy.wait_decoded(1000).await;
        assert_eq!(
            expect_connected(next_event(&mut feed.events).await),
            market(0)
        );
        let before = next_prices(&mut feed.events, 7).await;
        let dropped = match next_event(&mut feed.events).await {
            FeedEvent::Lagged { dropped } => dropped,
            other => panic!("expected Lagged once the buffer is read, got {other:?}"),
        };
        // The socket lives on: later ticks arrive, and nothing else (no stall, no reconnect).
        for price in 1001..=1005 {
            connection.push_text(&tick("NSE:INFY", price));
        }
        let after = next_prices(&mut feed.events, 5).await;
        assert_eq!(before, rupees(1..=7));
        assert_eq!(dropped, 993);
        assert_eq!(after, rupees(1001..=1005));
        assert_eq!(before.len() as u64 + dropped + after.len() as u64, 1005);
        assert_eq!(server.connections(), 1);
    })
    .await;
}

// 7. Spreading over sockets.

#[tokio::test]
async fn subscriptions_spread_over_sockets_and_one_past_the_total_is_refused_whole() {
    within_timeout(async {
        let server = WsServer::start().await;
        let (_, mut feed) = feed_laid_out(&server.url("/feed"), layout(2, Some(3)), fast_options());
        let five = ["NSE:INFY", "NSE:TCS", "NSE:SBIN", "NSE:RELIANCE", "NSE:ITC"];
        subscribe(&feed, &five, StreamMode::Ltp).await;

        let mut connected = vec![
            expect_connected(next_event(&mut feed.events).await),
            expect_connected(next_event(&mut feed.events).await),
        ];
        connected.sort_by_key(|c| c.index);
        assert_eq!(connected, [market(0), market(1)]);
        let (a, b) = (server.connection(0).await, server.connection(1).await);
        // Which connection is which socket depends on who connected first.
        let on_first_socket: Vec<String> =
            five[..3].iter().map(|i| sub(i, StreamMode::Ltp)).collect();
        let (three, two) = if on_first_socket.contains(&a.wait_messages(1).await[0]) {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(
            sorted(three.wait_messages(3).await),
            sorted(on_first_socket)
        );
        assert_eq!(
            sorted(two.wait_messages(2).await),
            sorted(five[3..].iter().map(|i| sub(i, StreamMode::Ltp)).collect())
        );

        // Room for one more, not three: all three are refused.
        let refused = feed
            .control
            .subscribe(
                &instruments(&["NSE:WIPRO", "NSE:HDFCBANK", "NSE:LT"]),
                StreamMode::Ltp,
            )
            .await;
        match refused {
            Err(Error::SubscriptionLimit {
                broker,
                allowed,
                requested,
                ..
            }) => {
                assert_eq!(broker, "toy");
                assert_eq!(allowed, 6);
                assert_eq!(requested, 8);
            }
            other => panic!("expected SubscriptionLimit, got {other:?}"),
        }
        assert_eq!(feed.control.subscriptions().len(), 5);

        // A new mode for one on each socket stays where it is; nothing of the refused batch
        // was sent before it.
        subscribe(&feed, &["NSE:INFY", "NSE:ITC"], StreamMode::Full).await;
        let on_three = three.wait_messages(4).await;
        let on_two = two.wait_messages(3).await;
        assert_eq!(on_three.len(), 4, "{on_three:?}");
        assert_eq!(on_three[3], sub("NSE:INFY", StreamMode::Full));
        assert_eq!(on_two.len(), 3, "{on_two:?}");
        assert_eq!(on_two[2], sub("NSE:ITC", StreamMode::Full));
        assert_eq!(feed.control.subscriptions().len(), 5);
        assert!(
            feed.control
                .subscriptions()
                .contains(&("NSE:INFY".parse().unwrap(), StreamMode::Full))
        );

        // The sixth fits, on the socket with room; a seventh does not.
        subscribe(&feed, &["NSE:WIPRO"], StreamMode::Quote).await;
        assert_eq!(
            two.wait_messages(4).await[3],
            sub("NSE:WIPRO", StreamMode::Quote)
        );
        let refused = feed
            .control
            .subscribe(&instruments(&["NSE:LT"]), StreamMode::Ltp)
            .await;
        assert!(
            matches!(
                refused,
                Err(Error::SubscriptionLimit {
                    allowed: 6,
                    requested: 7,
                    ..
                })
            ),
            "{refused:?}"
        );
        assert_eq!(feed.control.subscriptions().len(), 6);
        assert_eq!(server.connections(), 2);
    })
    .await;
}

// 8. Closing.

#[tokio::test]
async fn close_ends_the_stream_with_requested_and_closes_the_socket() {
    within_timeout(async {
        let mut s = streaming(fast_options(), StreamMode::Ltp).await;
        s.feed.control.close();
        assert_eq!(
            expect_closed(next_event(&mut s.feed.events).await),
            CloseReason::Requested
        );
        assert_ended(&mut s.feed.events).await;
        assert_eq!(
            s.first.wait_ended(Duration::from_secs(2)).await,
            Ending::ClientClosed(Some(1000))
        );
    })
    .await;
}

#[tokio::test]
async fn close_without_any_socket_ends_the_stream() {
    within_timeout(async {
        let (_, mut feed) = feed_to("ws://127.0.0.1:9/unused", fast_options());
        feed.control.close();
        assert_eq!(
            expect_closed(next_event(&mut feed.events).await),
            CloseReason::Requested
        );
        assert_ended(&mut feed.events).await;
    })
    .await;
}

#[tokio::test]
async fn dropping_the_events_stops_the_sockets_at_once_and_the_feed_can_resume() {
    within_timeout(async {
        // With a stall timeout this long the engine pings only every 10 s: noticing the
        // consumer left must not wait for that.
        let options = FeedOptions {
            stall_timeout: Duration::from_secs(20),
            ..fast_options()
        };
        let s = streaming(options, StreamMode::Ltp).await;
        drop(s.feed.events);
        let ending = s.first.wait_ended(Duration::from_secs(1)).await;
        assert_eq!(ending, Ending::ClientClosed(Some(1000)));
        let mut events = s.feed.control.resume().await.unwrap();
        expect_connected(next_event(&mut events).await);
    })
    .await;
}

#[tokio::test]
async fn dropping_the_whole_feed_stops_the_sockets() {
    within_timeout(async {
        let options = FeedOptions {
            stall_timeout: Duration::from_secs(20),
            ..fast_options()
        };
        let s = streaming(options, StreamMode::Ltp).await;
        drop(s.feed);
        let ending = s.first.wait_ended(Duration::from_secs(1)).await;
        assert_eq!(ending, Ending::ClientClosed(Some(1000)));
        // Nothing reconnects.
        tokio::time::sleep(fast_options().reconnect_max * 2).await;
        assert_eq!(s.server.attempts(), 1);
    })
    .await;
}

// 9. Where order updates arrive.

#[tokio::test]
async fn order_updates_on_the_market_socket_open_it_at_once_without_subscriptions() {
    within_timeout(async {
        let server = WsServer::start().await;
        let (toy, mut feed) = feed_laid_out(
            &server.url("/feed"),
            orders_on(ConnectionKind::MarketData, 2),
            fast_options(),
        );
        assert_eq!(
            expect_connected(next_event(&mut feed.events).await),
            market(0)
        );
        assert_eq!(toy.sockets(), [(market(0), true)]);
        let connection = server.connection(0).await;

        // A subscription then goes on that same connection.
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        assert_eq!(
            connection.wait_messages(1).await,
            [sub("NSE:INFY", StreamMode::Ltp)]
        );
        assert_eq!(server.connections(), 1);
    })
    .await;
}

#[tokio::test]
async fn without_order_updates_no_socket_opens_until_a_subscription() {
    within_timeout(async {
        let server = WsServer::start().await;
        let options = FeedOptions {
            order_updates: false,
            ..fast_options()
        };
        let (toy, mut feed) = feed_laid_out(
            &server.url("/feed"),
            orders_on(ConnectionKind::MarketData, 1),
            options,
        );
        assert_quiet(&mut feed.events, Duration::from_millis(300)).await;
        assert_eq!(toy.targets(), 0);
        assert_eq!(server.attempts(), 0);

        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        assert_eq!(
            expect_connected(next_event(&mut feed.events).await),
            market(0)
        );
        assert_eq!(toy.sockets(), [(market(0), false)]);
    })
    .await;
}

#[tokio::test]
async fn order_updates_on_a_portfolio_socket_open_it_apart_from_market_data() {
    within_timeout(async {
        let server = WsServer::start().await;
        let (toy, mut feed) = feed_laid_out(
            &server.url("/feed"),
            orders_on(ConnectionKind::Portfolio, 1),
            fast_options(),
        );
        let portfolio = ConnectionId {
            kind: ConnectionKind::Portfolio,
            index: 0,
        };
        assert_eq!(
            expect_connected(next_event(&mut feed.events).await),
            portfolio
        );
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        assert_eq!(
            expect_connected(next_event(&mut feed.events).await),
            market(0)
        );
        assert_eq!(toy.sockets(), [(portfolio, true), (market(0), false)]);
        // The subscription went to the market socket only.
        assert_eq!(
            server.connection(1).await.wait_messages(1).await,
            [sub("NSE:INFY", StreamMode::Ltp)]
        );
        assert!(server.connection(0).await.messages().is_empty());
    })
    .await;
}

// 10. Refused URLs and certificates.

#[tokio::test]
async fn plain_ws_beyond_loopback_is_refused_before_connecting() {
    within_timeout(async {
        let (_, mut feed) = feed_to("ws://example.invalid/feed?token=secret", fast_options());
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut feed.events).await);
        assert_eq!(attempt, 1);
        let error = failure_text(&reason);
        // WsError::Insecure's message: refused by the scheme check, not by DNS or TCP.
        assert!(
            error.starts_with("refusing ws://example.invalid/feed:"),
            "{error}"
        );
        assert!(error.contains("only allowed to loopback"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        feed.control.close();
    })
    .await;
}

#[tokio::test]
async fn wss_to_a_self_signed_certificate_is_refused() {
    within_timeout(async {
        let tls = common::tls::SelfSignedServer::start().await;
        let (_, mut feed) = feed_to(&tls.url(), fast_options());
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let (_, _, reason) = expect_reconnecting(next_event(&mut feed.events).await);
        let error = failure_text(&reason);
        assert!(error.contains("certificate"), "{error}");
        // The server saw the handshake fail: the client refused before any HTTP.
        let handshake = tls.first_handshake().await;
        assert!(handshake.is_err(), "{handshake:?}");
        feed.control.close();
    })
    .await;
}

#[tokio::test]
async fn a_101_answer_with_the_wrong_accept_key_is_not_a_websocket() {
    within_timeout(async {
        let server = WsServer::start().await;
        server.answer_with_a_wrong_accept();
        let (_, mut feed) = feed_to(&server.url("/feed"), fast_options());
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let (_, attempt, reason) = expect_reconnecting(next_event(&mut feed.events).await);
        assert_eq!(attempt, 1);
        assert!(
            failure_text(&reason).contains("Sec-WebSocket-Accept"),
            "{reason:?}"
        );
        server.accept();
        loop {
            match next_event(&mut feed.events).await {
                FeedEvent::Reconnecting { .. } => {}
                event => break assert_eq!(expect_connected(event), market(0)),
            }
        }
    })
    .await;
}

// 11. Secrets stay out of messages.

#[tokio::test]
async fn upgrade_headers_reach_the_server_and_a_refusal_message_hides_the_query() {
    within_timeout(async {
        let server = WsServer::start().await;
        server.refuse(500, "busy");
        let target = WsTarget::new(server.url("/feed?access_token=s3cr3t"))
            .header("Authorization", "token key:s3cr3t")
            .unwrap();
        let toy = Arc::new(Toy::with_target(target));
        let options = FeedOptions {
            max_attempts: Some(0),
            ..fast_options()
        };
        let mut feed = open_feed(Arc::clone(&toy), options).unwrap();
        subscribe(&feed, &["NSE:INFY"], StreamMode::Ltp).await;
        let CloseReason::GaveUp { last, .. } = expect_closed(next_event(&mut feed.events).await)
        else {
            panic!("expected GaveUp");
        };
        let error = failure_text(&last);
        assert!(error.contains("/feed") && error.contains("busy"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");

        server.accept();
        let mut events = feed.control.resume().await.unwrap();
        expect_connected(next_event(&mut events).await);
        let connection = server.connection(0).await;
        assert_eq!(connection.path(), "/feed?access_token=s3cr3t");
        assert_eq!(
            connection.header("authorization").as_deref(),
            Some("token key:s3cr3t")
        );
        assert_eq!(
            connection.header("host"),
            Some(server.url("").trim_start_matches("ws://").to_owned())
        );
    })
    .await;
}

#[test]
fn a_targets_debug_shows_neither_its_query_nor_header_values_nor_userinfo() {
    let target = WsTarget::new("wss://user:pa55@feed.example/ws?api_key=k&access_token=s3cr3t")
        .header("Authorization", "token k:t0ken")
        .unwrap();
    let debug = format!("{target:?}");
    assert!(debug.contains("wss://feed.example/ws"), "{debug}");
    assert!(debug.contains("authorization"), "{debug}");
    for secret in ["s3cr3t", "api_key", "t0ken", "pa55", "user"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert_eq!(target.display_url(), "wss://feed.example/ws");
}

#[test]
fn a_header_that_is_not_header_text_is_refused_without_echoing_it() {
    let error = WsTarget::new("wss://feed.example/ws")
        .header("Authorization", "token\nsecret")
        .unwrap_err();
    assert!(!error.to_string().contains("secret"), "{error}");
}

#[test]
fn opening_a_feed_outside_a_tokio_runtime_is_an_error_not_a_panic() {
    let toy = Arc::new(Toy::with_layout(
        "ws://127.0.0.1:9/unused",
        orders_on(ConnectionKind::MarketData, 1),
    ));
    match open_feed(toy, fast_options()) {
        Err(Error::Config(message)) => assert!(message.contains("tokio runtime"), "{message}"),
        other => panic!("expected a Config error, got {other:?}"),
    }
}
