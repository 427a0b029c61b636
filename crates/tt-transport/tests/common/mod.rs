//! What the feed engine's tests share: a scriptable loopback WebSocket server and a toy
//! broker protocol.
// Each test binary uses a part of these helpers, and `pub` here means the test binary's.
#![allow(dead_code, unreachable_pub)]

pub mod server;
pub mod tls;
pub mod toy;

use std::time::Duration;

use futures_util::StreamExt;
use tt_core::{FeedEvent, FeedStream};

/// The next event, failing the test if none comes within a few seconds or the stream ended.
pub async fn next_event(events: &mut FeedStream) -> FeedEvent {
    match tokio::time::timeout(server::PATIENCE, events.next()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the stream ended"),
        Err(_) => panic!("no event within {:?}", server::PATIENCE),
    }
}

/// Asserts that no event arrives for `quiet`.
pub async fn assert_quiet(events: &mut FeedStream, quiet: Duration) {
    if let Ok(event) = tokio::time::timeout(quiet, events.next()).await {
        panic!("expected no event for {quiet:?}, got {event:?}");
    }
}

/// The end of a stream: it yields nothing more.
pub async fn assert_ended(events: &mut FeedStream) {
    match tokio::time::timeout(server::PATIENCE, events.next()).await {
        Ok(None) => {}
        Ok(Some(event)) => panic!("expected the end of the stream, got {event:?}"),
        Err(_) => panic!("the stream did not end within {:?}", server::PATIENCE),
    }
}
