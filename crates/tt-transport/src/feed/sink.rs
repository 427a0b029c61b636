//! The bounded road from the sockets to the consumer: a slow consumer never stalls a socket
//! and never grows memory past the buffer, and what it misses is counted and reported as
//! [`FeedEvent::Lagged`] once it has caught up with the buffer (or before the next event it
//! gets, whichever comes first). The final [`FeedEvent::Closed`] (and a last `Lagged`) never
//! needs room in the buffer: the stream yields them once every socket has let go.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tt_core::{CloseReason, FeedEvent};

/// How a run of a feed ended, for the stream to report once the buffer has drained.
#[derive(Debug, Default)]
pub(crate) struct Ending {
    reason: Mutex<Option<CloseReason>>,
}

impl Ending {
    /// Records why the feed closed; the first reason wins.
    pub(crate) fn close(&self, reason: CloseReason) {
        let mut slot = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(reason);
    }

    fn take(&self) -> CloseReason {
        let mut slot = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        slot.take().unwrap_or(CloseReason::Requested)
    }
}

/// The sending side, shared by every socket of one run.
#[derive(Debug)]
pub(crate) struct Sink {
    sender: mpsc::Sender<FeedEvent>,
    /// Events dropped and not yet reported, shared with the stream: whichever side finds them
    /// first (the next event sent, or the consumer finding the buffer empty) reports them.
    dropped: Arc<AtomicU64>,
}

impl Sink {
    /// A sink buffering `capacity` events, and the stream that drains it.
    pub(crate) fn new(capacity: usize) -> (Arc<Sink>, Events, Arc<Ending>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let ending = Arc::new(Ending::default());
        let dropped = Arc::new(AtomicU64::new(0));
        let sink = Arc::new(Sink {
            sender,
            dropped: Arc::clone(&dropped),
        });
        let events = Events {
            receiver,
            dropped,
            ending: Arc::clone(&ending),
            finished: false,
            closed_sent: false,
        };
        (sink, events, ending)
    }

    /// Delivers `event` if there is room, after a `Lagged` for what was dropped before it;
    /// otherwise counts it dropped. False once the consumer is gone.
    pub(crate) fn emit(&self, event: FeedEvent) -> bool {
        let dropped = self.dropped.swap(0, Ordering::AcqRel);
        if dropped > 0 {
            match self.sender.try_send(FeedEvent::Lagged { dropped }) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    // Still no room: this event is dropped too, and reported with the rest.
                    self.dropped.fetch_add(dropped + 1, Ordering::AcqRel);
                    return true;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.sender.try_send(event) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::AcqRel);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// True once the consumer dropped the stream.
    pub(crate) fn consumer_gone(&self) -> bool {
        self.sender.is_closed()
    }

    /// Completes once the consumer has dropped the stream (at once if it has).
    pub(crate) async fn consumer_left(&self) {
        self.sender.closed().await;
    }
}

/// The events of one run of a feed.
#[derive(Debug)]
pub(crate) struct Events {
    receiver: mpsc::Receiver<FeedEvent>,
    dropped: Arc<AtomicU64>,
    ending: Arc<Ending>,
    finished: bool,
    closed_sent: bool,
}

impl Stream for Events {
    type Item = FeedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        if !self.finished {
            match self.receiver.poll_recv(cx) {
                Poll::Ready(Some(event)) => return Poll::Ready(Some(event)),
                Poll::Ready(None) => self.finished = true,
                Poll::Pending => {
                    // The buffer is empty: what was dropped comes before anything sent from
                    // now on, so it is reported now rather than when the next event comes
                    // (which, on a quiet feed, may be long after).
                    let dropped = self.dropped.swap(0, Ordering::AcqRel);
                    if dropped > 0 {
                        return Poll::Ready(Some(FeedEvent::Lagged { dropped }));
                    }
                    return Poll::Pending;
                }
            }
        }
        // Every sink is gone: what could not be delivered is still reported before `Closed`.
        let dropped = self.dropped.swap(0, Ordering::AcqRel);
        if dropped > 0 {
            return Poll::Ready(Some(FeedEvent::Lagged { dropped }));
        }
        if self.closed_sent {
            return Poll::Ready(None);
        }
        self.closed_sent = true;
        let reason = self.ending.take();
        Poll::Ready(Some(FeedEvent::Closed { reason }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::future::poll_fn;

    use super::*;

    async fn next(events: &mut Events) -> Option<FeedEvent> {
        poll_fn(|cx| Pin::new(&mut *events).poll_next(cx)).await
    }

    fn message(n: u32) -> FeedEvent {
        FeedEvent::Message(n.to_string())
    }

    #[tokio::test]
    async fn a_full_buffer_drops_and_reports_the_count_before_the_next_event() {
        let (sink, mut events, _) = Sink::new(2);
        for n in 0..5 {
            assert!(sink.emit(message(n)));
        }
        assert_eq!(next(&mut events).await, Some(message(0)));
        assert_eq!(next(&mut events).await, Some(message(1)));
        assert!(sink.emit(message(5)));
        assert_eq!(
            next(&mut events).await,
            Some(FeedEvent::Lagged { dropped: 3 })
        );
        assert_eq!(next(&mut events).await, Some(message(5)));
    }

    #[tokio::test]
    async fn a_consumer_that_caught_up_hears_of_the_drops_without_waiting_for_an_event() {
        let (sink, mut events, _) = Sink::new(2);
        for n in 0..5 {
            assert!(sink.emit(message(n)));
        }
        assert_eq!(next(&mut events).await, Some(message(0)));
        assert_eq!(next(&mut events).await, Some(message(1)));
        assert_eq!(
            next(&mut events).await,
            Some(FeedEvent::Lagged { dropped: 3 })
        );
        // Reported once.
        assert!(sink.emit(message(5)));
        assert_eq!(next(&mut events).await, Some(message(5)));
        drop(sink);
        assert!(matches!(
            next(&mut events).await,
            Some(FeedEvent::Closed { .. })
        ));
    }

    #[tokio::test]
    async fn the_end_reports_what_was_dropped_then_why_it_closed() {
        let (sink, mut events, ending) = Sink::new(1);
        sink.emit(message(0));
        sink.emit(message(1));
        ending.close(CloseReason::GaveUp {
            attempts: 3,
            last: tt_core::Disconnect::Closed { code: None },
        });
        drop(sink);
        assert_eq!(next(&mut events).await, Some(message(0)));
        assert_eq!(
            next(&mut events).await,
            Some(FeedEvent::Lagged { dropped: 1 })
        );
        assert!(matches!(
            next(&mut events).await,
            Some(FeedEvent::Closed {
                reason: CloseReason::GaveUp { attempts: 3, .. }
            })
        ));
        assert_eq!(next(&mut events).await, None);
    }

    #[tokio::test]
    async fn a_dropped_stream_tells_the_sockets_to_stop() {
        let (sink, events, _) = Sink::new(4);
        drop(events);
        assert!(sink.consumer_gone());
        assert!(!sink.emit(message(0)));
    }
}
