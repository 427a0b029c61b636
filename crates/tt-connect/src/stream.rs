//! Streaming through the client: a handle that changes what is streamed, checked against the
//! broker's capabilities first, and the events as a `futures::Stream`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tt_core::{
    Capabilities, FeedControl, FeedEvent, FeedOptions, FeedStream, Instrument, MarketFeed, Result,
    Stream, StreamMode,
};

use crate::Client;

impl<B: MarketFeed> Client<B> {
    /// Opens the broker's feed with the default [`FeedOptions`]: a handle to subscribe with,
    /// and the events. Nothing is subscribed yet; order updates stream at once.
    ///
    /// ```no_run
    /// use tt_connect::{Client, FeedEvent, Instrument, StreamMode, Zerodha};
    ///
    /// # async fn run(client: Client<Zerodha>) -> Result<(), Box<dyn std::error::Error>> {
    /// let (handle, mut events) = client.stream().await?;
    /// let infy: Instrument = "NSE:INFY".parse()?;
    /// handle.subscribe(&[infy], StreamMode::Full).await?;
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         FeedEvent::Tick(tick) => println!("{} {}", tick.instrument, tick.last_price),
    ///         FeedEvent::Closed { reason } => eprintln!("feed closed: {reason}"),
    ///         other => eprintln!("{other:?}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`tt_core::Error::SessionExpired`] when not logged in;
    /// [`tt_core::Error::UnsupportedFeature`] from a broker that does not stream.
    pub async fn stream(&self) -> Result<(StreamHandle, FeedEvents)> {
        self.stream_with(FeedOptions::default()).await
    }

    /// [`Client::stream`] with options: reconnect backoff, stall timeout, buffer, order
    /// updates.
    ///
    /// # Errors
    /// As [`Client::stream`].
    pub async fn stream_with(&self, options: FeedOptions) -> Result<(StreamHandle, FeedEvents)> {
        let feed = self.broker().open_feed(options).await?;
        let handle = StreamHandle {
            control: feed.control,
            capabilities: *self.capabilities(),
        };
        Ok((handle, FeedEvents(feed.events)))
    }
}

/// Changes what a feed streams while it streams. Cloning is cheap and shares the feed;
/// dropping every handle does not close it (call [`StreamHandle::close`], or drop the
/// events).
#[derive(Clone)]
pub struct StreamHandle {
    control: Arc<dyn FeedControl>,
    capabilities: Capabilities,
}

impl std::fmt::Debug for StreamHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHandle")
            .field("broker", &self.capabilities.broker())
            .field("subscriptions", &self.control.subscriptions().len())
            .finish()
    }
}

impl StreamHandle {
    /// Streams `instruments` in `mode`; ones already streamed change to `mode`. The mode and
    /// every instrument's segment are checked against the broker's capabilities, and every
    /// instrument is resolved through the master, before anything is sent.
    ///
    /// # Errors
    /// [`tt_core::Error::UnsupportedFeature`], [`tt_core::Error::InstrumentNotFound`], a stale
    /// master's error, or [`tt_core::Error::SubscriptionLimit`] past the broker's limits; the
    /// feed's subscriptions are unchanged then.
    pub async fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        self.capabilities.verify_stream_mode(mode)?;
        for instrument in instruments {
            self.capabilities.verify_segment(instrument.exchange())?;
        }
        self.control.subscribe(instruments, mode).await
    }

    /// Changes the mode of `instruments` (subscribing those not yet streamed): the same as
    /// [`StreamHandle::subscribe`].
    ///
    /// # Errors
    /// As [`StreamHandle::subscribe`].
    pub async fn set_mode(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        self.subscribe(instruments, mode).await
    }

    /// Stops streaming `instruments`; ones not streamed are ignored.
    ///
    /// # Errors
    /// A master that cannot be read.
    pub async fn unsubscribe(&self, instruments: &[Instrument]) -> Result<()> {
        self.control.unsubscribe(instruments).await
    }

    /// What is streamed now, and in which mode.
    pub fn subscriptions(&self) -> Vec<(Instrument, StreamMode)> {
        self.control.subscriptions()
    }

    /// After [`FeedEvent::Closed`] (the session expired, say: log in again or hand the broker
    /// a fresh access token first), reopens the feed with the same subscriptions, as fresh
    /// events.
    ///
    /// # Errors
    /// [`tt_core::Error::SessionExpired`] while there is still no valid session.
    pub async fn resume(&self) -> Result<FeedEvents> {
        self.control.resume().await.map(FeedEvents)
    }

    /// Closes the feed: its events end with [`FeedEvent::Closed`].
    pub fn close(&self) {
        self.control.close();
    }
}

/// A feed's events, in order: ticks, order updates and the connections' life, ending after
/// [`FeedEvent::Closed`]. A `futures::Stream`; [`FeedEvents::next`] needs no extension trait.
pub struct FeedEvents(FeedStream);

impl std::fmt::Debug for FeedEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedEvents")
    }
}

impl FeedEvents {
    /// The next event; `None` once the feed has closed.
    pub async fn next(&mut self) -> Option<FeedEvent> {
        std::future::poll_fn(|cx| self.0.as_mut().poll_next(cx)).await
    }
}

impl Stream for FeedEvents {
    type Item = FeedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        self.0.as_mut().poll_next(cx)
    }
}
