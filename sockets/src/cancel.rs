//! Cancelling a thread's blocking socket calls from another thread,
//! without closing or shutting down the sockets they wait on.
//!
//! A blocking call that has to wait polls its socket; a thread that has
//! entered a [`CancelToken`] polls the token's `eventfd(2)` beside it. The
//! token's cancellation writes to that descriptor once and never drains it,
//! so it stays readable: every wait of every thread inside the token ends,
//! now and later, until the thread leaves.

use std::cell::RefCell;
use std::fmt;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// Cancels the blocking socket calls of the threads that have entered it
/// ([`CancelToken::enter`]), from any thread: once [`CancelToken::cancel`]
/// is called, every receive, send or accept of those threads that waits,
/// or would wait, ends with [`SocketError::Cancelled`], until the thread
/// leaves the token. The connection is untouched: a cancelled call took
/// no data, and a call made after leaving works as before, so the thread
/// can still end its protocol properly (send a close frame, read the
/// peer's answer). Neither Winsock nor .NET has this; it is netstack's own.
///
/// It does what [`Socket::close`] and [`Socket::shutdown`] cannot for a
/// thread blocked in a receive: closing resets the connection, and shutting
/// the reading side makes the peer's next bytes reset it.
///
/// Not cancelled: calls that complete without waiting; `connect`,
/// `send_file`, a receive into an empty buffer (which waits like
/// [`Socket::poll`]), [`Socket::poll`] itself, [`select`](crate::select()),
/// name resolution; and the asynchronous calls (drop their future
/// instead). Cancel a send with care: a protocol whose frame was cut
/// midway cannot go on, and a cancelled send may have sent part of its
/// buffer (the count of a successful send says how much; a cancelled one
/// took none of what it waited to send).
///
/// To wait this way, a blocking socket's descriptor is made `O_NONBLOCK`
/// by its first call inside a token, for good: its blocking calls then
/// wait with `poll(2)` (as after asynchronous use, a `send` may then
/// report a short count, as Winsock's may; loops such as `write_all` are
/// unaffected).
///
/// Clones share one cancellation. One token costs one descriptor.
///
/// ```
/// use std::time::Duration;
/// use netstack::sockets::{AddressFamily, CancelToken, ProtocolType, Socket, SocketError, SocketType};
/// # fn main() -> netstack::sockets::Result<()> {
/// let socket = Socket::new(AddressFamily::InterNetwork, SocketType::Dgram, ProtocolType::Udp)?;
/// socket.bind(([127, 0, 0, 1], 0))?;
/// let token = CancelToken::new()?;
/// let canceller = token.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(20));
///     canceller.cancel();
/// });
/// let mut buf = [0u8; 16];
/// let waited = {
///     let _inside = token.enter();
///     socket.receive(&mut buf) // no datagram comes: this would wait forever
/// };
/// assert_eq!(waited.unwrap_err().kind(), SocketError::Cancelled);
/// # Ok(())
/// # }
/// ```
///
/// [`SocketError::Cancelled`]: crate::SocketError::Cancelled
/// [`Socket::close`]: crate::Socket::close
/// [`Socket::shutdown`]: crate::Socket::shutdown
/// [`Socket::poll`]: crate::Socket::poll
#[derive(Clone)]
pub struct CancelToken(Arc<Inner>);

struct Inner {
    cancelled: AtomicBool,
    /// Readable once cancelled; never drained.
    event: OwnedFd,
}

/// Set by the first [`CancelToken::enter`] of the process, so that the
/// blocking calls of a program that never enters one skip the thread-local.
static EVER_ENTERED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The token the thread has entered, if any.
    static ENTERED: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

impl CancelToken {
    /// A token not yet cancelled. Fails only when no descriptor is left.
    pub fn new() -> Result<CancelToken> {
        // SAFETY: eventfd takes no pointers; the result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            let err = std::io::Error::last_os_error();
            return Err(Error::from_io(&err, "create a cancel token"));
        }
        // SAFETY: `fd` is a descriptor just opened and owned by nothing else.
        let event = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(CancelToken(Arc::new(Inner {
            cancelled: AtomicBool::new(false),
            event,
        })))
    }

    /// Cancels the blocking calls of every thread inside the token, those
    /// waiting now and those that will wait; idempotent.
    pub fn cancel(&self) {
        if self.0.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        let one: u64 = 1;
        // SAFETY: writes the 8 bytes of a live u64 to the token's own
        // eventfd. It cannot fail: the counter is far from its maximum.
        let _ = unsafe {
            libc::write(
                self.0.event.as_raw_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    /// True once [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Puts the calling thread inside the token until the returned guard
    /// drops; the thread's previous token, if any, applies again then.
    pub fn enter(&self) -> Entered {
        EVER_ENTERED.store(true, Ordering::Relaxed);
        let previous = ENTERED.with_borrow_mut(|entered| entered.replace(self.clone()));
        Entered {
            token: self.clone(),
            previous,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The calling thread is inside a [`CancelToken`] while this lives
/// ([`CancelToken::enter`]). It stays on the thread that made it; guards
/// nest, and drop in the reverse order of their making (as scopes do).
#[must_use = "the thread leaves the token when this drops"]
pub struct Entered {
    token: CancelToken,
    previous: Option<CancelToken>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = ENTERED.try_with(|entered| {
            let left = entered.replace(previous);
            debug_assert!(
                left.is_some_and(|t| Arc::ptr_eq(&t.0, &self.token.0)),
                "CancelToken guards dropped out of order"
            );
        });
    }
}

impl fmt::Debug for Entered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entered")
    }
}

/// What a blocking wait of this thread must watch beside its socket.
pub(crate) enum Watch {
    /// The thread is inside no token.
    Nothing,
    /// The thread's token is already cancelled: do not wait.
    Cancelled,
    /// Poll this descriptor too; readable means cancelled.
    Event(RawFd),
}

/// False while no thread of the process ever entered a token.
#[inline]
pub(crate) fn may_be_entered() -> bool {
    EVER_ENTERED.load(Ordering::Relaxed)
}

/// True when the calling thread is inside a token.
pub(crate) fn is_entered() -> bool {
    ENTERED
        .try_with(|entered| entered.borrow().is_some())
        .unwrap_or(false)
}

/// The calling thread's token, for a wait about to start. The descriptor
/// stays open while the wait runs: the thread's guard holds the token.
pub(crate) fn watch() -> Watch {
    ENTERED
        .try_with(|entered| match &*entered.borrow() {
            None => Watch::Nothing,
            Some(token) if token.is_cancelled() => Watch::Cancelled,
            Some(token) => Watch::Event(token.0.event.as_raw_fd()),
        })
        .unwrap_or(Watch::Nothing)
}
