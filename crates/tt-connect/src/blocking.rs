//! A blocking client for programs without an async runtime.
//!
//! [`Client`] owns the async [`crate::Client`] and a single-threaded tokio runtime that lives on
//! a thread of its own (as reqwest's `blocking` does): that thread drives the runtime's network
//! and timers, and each call is polled to completion on the caller's thread with the runtime
//! entered, the caller sleeping between wake-ups. So the client works from any thread,
//! `spawn_blocking` included, and dropping it anywhere (async code included) only tells its
//! thread to stop. The operations themselves are written once, on the async client; the
//! blocking methods are generated from the same declarations, so the two can never drift.
//!
//! Connections are never shared with another runtime: the transport keeps a pool per runtime,
//! so a client made with [`Client::from_async`] opens its own.
//!
//! ```
//! use tt_connect::blocking::Client;
//! use tt_connect::{BrokerSettings, Error};
//!
//! # #[cfg(not(feature = "zerodha"))] fn main() {}
//! # #[cfg(feature = "zerodha")]
//! # fn main() -> Result<(), Error> {
//! let client = Client::from_name("zerodha", BrokerSettings::new("key", "secret"))?;
//! assert_eq!(client.name(), "zerodha");
//! assert!(client.login_url().contains("api_key=key")); // logging in, as on the async client
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tt_core::{
    Broker, Capabilities, Error, FeedEvent, FeedOptions, Instrument, Login, MarketFeed,
    OrderModification, OrderRequest, RedirectParams, Result, SessionEnded, SessionInfo, StreamMode,
};

use crate::{AnyBroker, BrokerSettings};

/// The blocking client.
///
/// Its calls block the calling thread until they finish. That is what a program without a
/// runtime wants, and it is fine from `spawn_blocking`; called from async code it would hold up
/// that runtime's thread for the call, so use the async [`crate::Client`] there.
#[derive(Debug)]
pub struct Client<B> {
    inner: crate::Client<B>,
    runtime: Arc<RuntimeThread>,
}

impl<B: Broker> Client<B> {
    /// A blocking client for a typed broker value.
    ///
    /// # Errors
    /// [`Error::Config`] if the runtime or its thread cannot be started.
    pub fn new(broker: B) -> Result<Self> {
        Self::from_async(crate::Client::new(broker))
    }

    /// A blocking client sharing the broker (session, settings) of an async one. It still
    /// opens connections of its own: the transport pools them per runtime.
    ///
    /// # Errors
    /// [`Error::Config`] if the runtime or its thread cannot be started.
    pub fn from_async(inner: crate::Client<B>) -> Result<Self> {
        Ok(Client {
            inner,
            runtime: Arc::new(RuntimeThread::start()?),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client<B> {
        &self.inner
    }

    /// The broker.
    pub fn broker(&self) -> &B {
        self.inner.broker()
    }

    /// The broker's name.
    pub fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// The broker's capability matrix.
    pub fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    /// See [`crate::Client::check_order`].
    ///
    /// # Errors
    /// [`Error::UnsupportedFeature`] naming the first unsupported term.
    pub fn check_order(&self, order: &OrderRequest) -> Result<()> {
        self.inner.check_order(order)
    }

    /// See [`crate::Client::check_modification`].
    ///
    /// # Errors
    /// [`Error::InvalidOrder`] or [`Error::UnsupportedFeature`].
    pub fn check_modification(&self, change: &OrderModification) -> Result<()> {
        self.inner.check_modification(change)
    }

    /// Runs any async client call to completion on the client's runtime: the one place the
    /// blocking client blocks.
    ///
    /// # Errors
    /// The call's own error.
    pub fn run<'a, T, F>(&'a self, call: impl FnOnce(&'a crate::Client<B>) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        self.runtime.block_on(call(&self.inner))
    }
}

/// A current-thread runtime running on a thread of its own until dropped.
#[derive(Debug)]
struct RuntimeThread {
    handle: Handle,
    /// Dropping it ends the runtime's thread (and the runtime, there).
    _stop: oneshot::Sender<()>,
}

impl RuntimeThread {
    fn start() -> Result<RuntimeThread> {
        let failed = |e: std::io::Error| {
            Error::Config(format!("cannot start the blocking client's runtime: {e}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(failed)?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("tt-connect-blocking".to_owned())
            .spawn(move || {
                // Driving the runtime here is what moves every other thread's calls along:
                // their sockets and timers are this runtime's.
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })
            .map_err(failed)?;
        Ok(RuntimeThread {
            handle,
            _stop: stop,
        })
    }

    /// Polls `future` on this thread with the runtime entered, sleeping until woken, so the
    /// future may borrow from the caller and need not be `Send`. Unlike `Handle::block_on` it
    /// never refuses to run inside another runtime's context (the caller is merely blocked),
    /// and cooperative budgeting is off, since a budget borrowed from an enclosing task could
    /// never be refilled while this blocks it.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _entered = self.handle.enter();
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut context = Context::from_waker(&waker);
        let mut future = pin!(tokio::task::unconstrained(future));
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            // A wake-up between the poll and here leaves the token set, so this returns at once.
            std::thread::park();
        }
    }
}

/// Wakes the thread blocked in [`RuntimeThread::block_on`].
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl Client<AnyBroker> {
    /// A blocking client for a broker chosen by name; see [`crate::Client::from_name`].
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown or compiled-out broker, or missing settings.
    pub fn from_name(name: &str, settings: BrokerSettings) -> Result<Self> {
        Self::from_async(crate::Client::from_name(name, settings)?)
    }
}

impl<B: Login> Client<B> {
    /// See [`crate::Client::login_url`].
    pub fn login_url(&self) -> String {
        self.inner.login_url()
    }

    /// See [`crate::Client::complete_login`].
    ///
    /// # Errors
    /// [`Error::Authentication`] when the parameters lack the credential or the broker refuses
    /// it; network errors; [`Error::Config`] when the session cannot be kept.
    pub fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        self.run(|client| client.complete_login(redirect))
    }

    /// See [`crate::Client::logout`].
    ///
    /// # Errors
    /// Network errors; the session is forgotten locally either way.
    pub fn logout(&self) -> Result<()> {
        self.run(|client| client.logout())
    }

    /// See [`crate::Client::session`].
    pub fn session(&self) -> Option<SessionInfo> {
        self.inner.session()
    }

    /// See [`crate::Client::on_session_expired`].
    pub fn on_session_expired(&self, hook: impl Fn(&SessionEnded) + Send + Sync + 'static) {
        self.inner.on_session_expired(hook);
    }
}

impl<B: MarketFeed> Client<B> {
    /// See [`crate::Client::stream`]: the handle, and the events as a blocking iterator. The
    /// feed's sockets run on this client's runtime thread, so the iterator may be read from
    /// any thread.
    ///
    /// # Errors
    /// As [`crate::Client::stream`].
    pub fn stream(&self) -> Result<(StreamHandle, FeedEvents)> {
        self.stream_with(FeedOptions::default())
    }

    /// See [`crate::Client::stream_with`].
    ///
    /// # Errors
    /// As [`crate::Client::stream`].
    pub fn stream_with(&self, options: FeedOptions) -> Result<(StreamHandle, FeedEvents)> {
        let (handle, events) = self.run(|client| client.stream_with(options))?;
        Ok((
            StreamHandle {
                inner: handle,
                runtime: Arc::clone(&self.runtime),
            },
            FeedEvents {
                inner: events,
                runtime: Arc::clone(&self.runtime),
            },
        ))
    }
}

/// The blocking [`crate::StreamHandle`].
#[derive(Debug, Clone)]
pub struct StreamHandle {
    inner: crate::StreamHandle,
    runtime: Arc<RuntimeThread>,
}

impl StreamHandle {
    /// See [`crate::StreamHandle::subscribe`].
    ///
    /// # Errors
    /// As there.
    pub fn subscribe(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        self.runtime
            .block_on(self.inner.subscribe(instruments, mode))
    }

    /// See [`crate::StreamHandle::set_mode`].
    ///
    /// # Errors
    /// As there.
    pub fn set_mode(&self, instruments: &[Instrument], mode: StreamMode) -> Result<()> {
        self.runtime
            .block_on(self.inner.set_mode(instruments, mode))
    }

    /// See [`crate::StreamHandle::unsubscribe`].
    ///
    /// # Errors
    /// As there.
    pub fn unsubscribe(&self, instruments: &[Instrument]) -> Result<()> {
        self.runtime.block_on(self.inner.unsubscribe(instruments))
    }

    /// See [`crate::StreamHandle::subscriptions`].
    pub fn subscriptions(&self) -> Vec<(Instrument, StreamMode)> {
        self.inner.subscriptions()
    }

    /// See [`crate::StreamHandle::resume`].
    ///
    /// # Errors
    /// As there.
    pub fn resume(&self) -> Result<FeedEvents> {
        let events = self.runtime.block_on(self.inner.resume())?;
        Ok(FeedEvents {
            inner: events,
            runtime: Arc::clone(&self.runtime),
        })
    }

    /// See [`crate::StreamHandle::close`].
    pub fn close(&self) {
        self.inner.close();
    }
}

/// A feed's events as a blocking iterator: [`Iterator::next`] waits for the next event and
/// returns `None` once the feed has closed.
#[derive(Debug)]
pub struct FeedEvents {
    inner: crate::FeedEvents,
    runtime: Arc<RuntimeThread>,
}

impl FeedEvents {
    /// The next event if one comes within `timeout`; `Ok(None)` once the feed has closed.
    ///
    /// # Errors
    /// [`Error::Timeout`] (broker `feed`) when nothing came in time; the feed goes on.
    pub fn next_within(&mut self, timeout: std::time::Duration) -> Result<Option<FeedEvent>> {
        let next = self.inner.next();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, next).await })
            .map_err(|_| Error::Timeout {
                broker: "feed",
                after: timeout,
            })
    }
}

impl Iterator for FeedEvents {
    type Item = FeedEvent;

    fn next(&mut self) -> Option<FeedEvent> {
        self.runtime.block_on(self.inner.next())
    }
}
