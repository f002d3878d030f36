//! What a running server shares between its accept loop, its connections
//! and [`ShutdownHandle`]: the registry of open connections and the
//! shutdown protocol (stop accepting, close idle connections, let busy ones
//! finish within the grace period, then close what is left).

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use sockets::CancelToken;
use transport::{NetworkStream, TcpListener};

/// How long a shutdown waits, after closing what was left at the end of
/// the grace period, for the connections to notice.
const FORCE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Entry {
    net: Arc<NetworkStream>,
    mode: Arc<ConnMode>,
}

/// What a connection is doing, shared by the registry and the
/// connection's guard, which flips it without the registry's lock (twice
/// per request on a keep-alive connection).
#[derive(Debug)]
struct ConnMode {
    /// `BUSY`, `IDLE`, `UPGRADED`, `UPGRADED_ASYNC` or `GOING_AWAY`.
    mode: AtomicU8,
    /// An asynchronous upgraded connection's task, woken when the server
    /// shuts down (a blocking one's read is cancelled instead).
    waker: Mutex<Option<Waker>>,
}

/// Reading or answering a request.
const BUSY: u8 = 0;
/// Between requests.
const IDLE: u8 = 1;
/// Taken over by another protocol after a `101` (a WebSocket), blocking.
const UPGRADED: u8 = 2;
/// The same, asynchronous.
const UPGRADED_ASYNC: u8 = 4;
/// Upgraded, and told that the server is shutting down.
const GOING_AWAY: u8 = 3;

#[derive(Debug, Default)]
struct Inner {
    conns: HashMap<u64, Entry>,
    next_id: u64,
    accepting: bool,
    wakers: Vec<Waker>,
    report: Option<ShutdownReport>,
}

#[derive(Debug)]
pub(crate) struct ServerState {
    shutting_down: AtomicBool,
    forced: AtomicBool,
    inner: Mutex<Inner>,
    changed: Condvar,
    listener: Arc<TcpListener>,
    grace: Duration,
    /// A blocking server's: its upgraded connections read inside it, and
    /// a shutdown cancels it to end their reads without touching the
    /// connections.
    cancel: Option<CancelToken>,
}

impl ServerState {
    /// `accepting`: whether an accept loop is already running (a shutdown
    /// waits for it to end). `cancel`: a blocking server's token, which its
    /// upgraded connections read inside ([`GoingAway::cancel_token`]).
    pub(crate) fn new(
        listener: Arc<TcpListener>,
        grace: Duration,
        accepting: bool,
        cancel: Option<CancelToken>,
    ) -> Arc<ServerState> {
        Arc::new(ServerState {
            shutting_down: AtomicBool::new(false),
            forced: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                accepting,
                ..Inner::default()
            }),
            changed: Condvar::new(),
            listener,
            grace,
            cancel,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, mut inner: MutexGuard<'_, Inner>) {
        let wakers = std::mem::take(&mut inner.wakers);
        drop(inner);
        self.changed.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }

    /// Wakes `waker` on the next change (a connection ending, shutdown).
    pub(crate) fn register_waker(&self, waker: &Waker) {
        let mut inner = self.lock();
        if !inner.wakers.iter().any(|w| w.will_wake(waker)) {
            inner.wakers.push(waker.clone());
        }
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    pub(crate) fn is_forced(&self) -> bool {
        self.forced.load(Ordering::SeqCst)
    }

    /// Records a new connection; it stays registered until the guard drops.
    pub(crate) fn register(self: &Arc<Self>, net: Arc<NetworkStream>) -> ConnGuard {
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let mode = Arc::new(ConnMode {
            mode: AtomicU8::new(BUSY),
            waker: Mutex::new(None),
        });
        inner.conns.insert(
            id,
            Entry {
                net,
                mode: Arc::clone(&mode),
            },
        );
        ConnGuard {
            state: Arc::clone(self),
            id,
            mode,
        }
    }

    /// How many connections are live.
    pub(crate) fn connection_count(&self) -> usize {
        self.lock().conns.len()
    }

    /// Records whether the accept loop runs.
    pub(crate) fn set_accepting(&self, accepting: bool) {
        let mut inner = self.lock();
        inner.accepting = accepting;
        self.notify(inner);
    }

    fn quiet(inner: &Inner) -> bool {
        inner.conns.is_empty() && !inner.accepting
    }

    /// Stops accepting and closes idle keep-alive connections; busy ones
    /// finish their request and close. An upgraded connection is told (see
    /// [`GoingAway`]) and woken: an asynchronous one through its task's
    /// waker; a blocking one, which may wait in a read, by cancelling the
    /// server's token, which its reads run inside. Its connection stays
    /// whole, so it can still send its close frame and read the answer.
    pub(crate) fn begin_shutdown(&self) {
        if self.shutting_down.swap(true, Ordering::SeqCst) {
            return;
        }
        self.listener.stop();
        let inner = self.lock();
        for entry in inner.conns.values() {
            // Pairs with `ConnGuard::set_idle` and `ConnGuard::upgraded`:
            // either the connection sees the shutdown after marking its
            // mode, or this sees the mode.
            match entry.mode.mode.load(Ordering::SeqCst) {
                IDLE => entry.net.close(),
                UPGRADED => entry.mode.mode.store(GOING_AWAY, Ordering::SeqCst),
                UPGRADED_ASYNC => {
                    entry.mode.mode.store(GOING_AWAY, Ordering::SeqCst);
                    entry.mode.wake();
                }
                _ => {}
            }
        }
        // After the marks: a read the cancel ends finds its connection told.
        if let Some(cancel) = &self.cancel {
            cancel.cancel();
        }
        self.notify(inner);
    }

    /// The grace period is over: closes every connection left.
    fn force(&self) -> usize {
        self.forced.store(true, Ordering::SeqCst);
        let inner = self.lock();
        for entry in inner.conns.values() {
            entry.net.close();
        }
        let count = inner.conns.len();
        self.notify(inner);
        count
    }

    fn finish(&self, graceful: bool, forced: usize) -> ShutdownReport {
        let mut inner = self.lock();
        *inner.report.get_or_insert(ShutdownReport {
            graceful,
            forced_connections: forced,
        })
    }

    fn wait_quiet(&self, deadline: Instant) -> bool {
        let mut inner = self.lock();
        loop {
            if Self::quiet(&inner) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            inner = self
                .changed
                .wait_timeout(inner, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    pub(crate) fn shutdown(&self) -> ShutdownReport {
        self.begin_shutdown();
        if self.wait_quiet(Instant::now() + self.grace) {
            return self.finish(true, 0);
        }
        let forced = self.force();
        self.wait_quiet(Instant::now() + FORCE_WAIT);
        self.finish(false, forced)
    }

    async fn wait_quiet_async(&self, timeout: Duration) -> bool {
        let mut timer = pin!(sockets::sleep(timeout));
        poll_fn(|cx| {
            {
                let mut inner = self.lock();
                if Self::quiet(&inner) {
                    return Poll::Ready(true);
                }
                if !inner.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    inner.wakers.push(cx.waker().clone());
                }
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(false),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    pub(crate) async fn shutdown_async(&self) -> ShutdownReport {
        self.begin_shutdown();
        if self.wait_quiet_async(self.grace).await {
            return self.finish(true, 0);
        }
        let forced = self.force();
        self.wait_quiet_async(FORCE_WAIT).await;
        self.finish(false, forced)
    }
}

/// A registered connection; dropping it deregisters it.
#[derive(Debug)]
pub(crate) struct ConnGuard {
    state: Arc<ServerState>,
    id: u64,
    mode: Arc<ConnMode>,
}

impl ConnGuard {
    /// Marks the connection idle (between requests) or busy. Returns false
    /// when it was marked idle during a shutdown: the connection should close.
    pub(crate) fn set_idle(&self, idle: bool) -> bool {
        self.mode
            .mode
            .store(if idle { IDLE } else { BUSY }, Ordering::SeqCst);
        !(idle && self.state.is_shutting_down())
    }

    /// Marks the connection taken over by another protocol, served
    /// `blocking` or not; what it is handed to learns of a shutdown through
    /// the returned [`GoingAway`].
    pub(crate) fn upgraded(&self, blocking: bool) -> GoingAway {
        let upgraded = match blocking {
            true => UPGRADED,
            false => UPGRADED_ASYNC,
        };
        self.mode.mode.store(upgraded, Ordering::SeqCst);
        if self.state.is_shutting_down() {
            self.mode.mode.store(GOING_AWAY, Ordering::SeqCst);
        }
        GoingAway {
            mode: Arc::clone(&self.mode),
            cancel: self.state.cancel.clone().filter(|_| blocking),
        }
    }
}

impl ConnMode {
    fn wake(&self) {
        let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Tells a connection that left HTTP (a served WebSocket) that its server
/// is shutting down, so that it can end its own protocol first (a close
/// frame with 1001, going away) instead of being cut at the end of the
/// grace period.
#[derive(Debug, Clone)]
pub(crate) struct GoingAway {
    mode: Arc<ConnMode>,
    /// A blocking connection's: the server's token, cancelled by the
    /// shutdown after it marks the connection.
    cancel: Option<CancelToken>,
}

impl GoingAway {
    pub(crate) fn is_set(&self) -> bool {
        self.mode.mode.load(Ordering::SeqCst) == GOING_AWAY
    }

    /// What a blocking connection reads inside, so that the shutdown ends
    /// a read that waits (and nothing else: its writes go on).
    pub(crate) fn cancel_token(&self) -> Option<&CancelToken> {
        self.cancel.as_ref()
    }

    /// Has the shutdown wake `waker` (an asynchronous connection's task,
    /// about to wait in a read); check [`GoingAway::is_set`] after.
    pub(crate) fn wake_on_shutdown(&self, waker: &Waker) {
        let mut slot = self.mode.waker.lock().unwrap_or_else(|p| p.into_inner());
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        inner.conns.remove(&self.id);
        self.state.notify(inner);
    }
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// True when every connection finished within the grace period.
    pub graceful: bool,
    /// Connections that were still open when the grace period ended and were closed.
    pub forced_connections: usize,
}

/// Shuts a running server down gracefully, from any thread or task: it
/// stops accepting (new connections are refused), closes idle keep-alive
/// connections, lets requests in flight finish (their responses say
/// `Connection: close`) for up to the configured grace period, closes the
/// connections still open after that, and returns. A served WebSocket is
/// closed with 1001 (going away) at its next read or send (a read that
/// waits ends at once), and the call fails with
/// `websocket::Error::ServerShutdown`.
///
/// Cloneable; every clone controls the same server.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    pub(crate) state: Arc<ServerState>,
}

impl ShutdownHandle {
    /// Shuts down and waits until the server has stopped (at most the
    /// grace period plus two seconds). Calling it again returns the first report.
    ///
    /// This blocks the calling thread: from async code — above all from a
    /// handler running on the executor that drives the server — use
    /// [`shutdown_async`](Self::shutdown_async) or [`begin_shutdown`](Self::begin_shutdown).
    pub fn shutdown(&self) -> ShutdownReport {
        self.state.shutdown()
    }

    /// [`shutdown`](Self::shutdown) without blocking a thread.
    pub async fn shutdown_async(&self) -> ShutdownReport {
        self.state.shutdown_async().await
    }

    /// Starts a shutdown and returns at once.
    pub fn begin_shutdown(&self) {
        self.state.begin_shutdown()
    }

    /// True once a shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.state.is_shutting_down()
    }
}
