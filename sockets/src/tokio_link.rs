//! A socket on tokio's I/O driver (the `tokio` feature): its readiness is
//! reported by the runtime's own driver, on the worker thread that turns it,
//! so no netstack thread is involved and a wake-up does not cross threads.
//!
//! The socket is registered through [`tokio::io::unix::AsyncFd`], whose
//! readiness is also the cache: an operation runs its system call only when
//! tokio says the direction may be ready, and clears that readiness on
//! `WouldBlock` (or a short stream transfer). `AsyncFd` keeps one waker per
//! direction; netstack's futures may be many per direction (several pending
//! receives on one datagram socket), so the waker given to tokio is a
//! *forwarder* that wakes every waiter in the socket's [`Source`](crate::source::Source).
//!
//! A runtime built without its I/O driver (no `enable_io`) cannot take
//! sockets: tokio panics when asked. netstack asks once per thread and
//! runtime with the panic caught (and its message kept off the panic hook),
//! and uses its own reactor for that runtime from then on. In a program built
//! with `panic = "abort"` a panic cannot be caught, so there the runtime is
//! assumed to have its I/O driver, as tokio's own sockets assume.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::hash::{Hash, Hasher};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::io::Interest;
use tokio::runtime::{Handle, Id, RuntimeFlavor};
use tokio::task::coop::unconstrained;

use crate::source::{Attempt, Direction};

/// The descriptor as `AsyncFd` wants it; the socket's handle owns it and
/// drops the `AsyncFd` (deregistering) before it closes the descriptor.
struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

pub(crate) struct TokioLink {
    runtime: Id,
    fd: AsyncFd<Fd>,
}

thread_local! {
    /// The last runtime on this thread found unable to take a socket.
    static UNUSABLE: Cell<Option<Id>> = const { Cell::new(None) };
}

/// The tokio runtime this thread runs in, unless it is known not to take sockets.
pub(crate) fn current_runtime() -> Option<Handle> {
    let handle = Handle::try_current().ok()?;
    if UNUSABLE.get() == Some(handle.id()) {
        return None;
    }
    Some(handle)
}

/// True for a multi-thread runtime, whose workers drive its I/O driver for
/// as long as it lives.
pub(crate) fn multi_thread(runtime: &Handle) -> bool {
    runtime.runtime_flavor() == RuntimeFlavor::MultiThread
}

/// True inside a tokio runtime's context.
#[inline]
pub(crate) fn in_runtime() -> bool {
    Handle::try_current().is_ok()
}

/// The id of the tokio task being polled on this thread, as a number:
/// never 0 (tokio's ids are non-zero) nor one of the two highest numbers,
/// which the registration keeps for itself.
#[inline]
pub(crate) fn current_task() -> Option<u64> {
    /// Keeps the number an id hashes as: a task id is a `NonZeroU64`,
    /// which hashes as that one `u64`.
    struct Number(u64);

    impl Hasher for Number {
        fn write(&mut self, bytes: &[u8]) {
            for byte in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
            }
        }

        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }

        fn finish(&self) -> u64 {
            self.0
        }
    }

    let id = tokio::task::try_id()?;
    let mut number = Number(0);
    id.hash(&mut number);
    Some(number.finish()).filter(|n| (1..u64::MAX - 1).contains(n))
}

impl TokioLink {
    /// Registers `fd` with `runtime`'s driver, or `None` when it cannot
    /// take it (no I/O driver, or shutting down); that is remembered.
    pub(crate) fn new(runtime: &Handle, fd: RawFd) -> Option<TokioLink> {
        let _context = runtime.enter();
        let registered = catch_quietly(|| {
            // SAFETY: `fd` is an open socket, and stays open and the same
            // socket for the life of the `AsyncFd`: the socket's handle drops
            // this link (deregistering) before it closes the descriptor.
            unsafe {
                AsyncFd::register_with_interest(Fd(fd), Interest::READABLE | Interest::WRITABLE)
            }
        });
        match registered {
            Some(Ok(fd)) => Some(TokioLink {
                runtime: runtime.id(),
                fd,
            }),
            Some(Err(_)) | None => {
                UNUSABLE.set(Some(runtime.id()));
                None
            }
        }
    }

    pub(crate) fn runtime(&self) -> Id {
        self.runtime
    }

    /// Runs `op` while tokio reports the direction ready, with the task's
    /// own waker: the direction's only waiter, as with tokio's own sockets.
    /// On `WouldBlock` it clears that readiness (unless a newer report
    /// came) and asks again, which leaves the task's waker with tokio when
    /// it says not ready. tokio's readiness poll spends the task's
    /// cooperative budget itself, and wakes the task when it is spent.
    #[inline]
    pub(crate) fn try_io_direct<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<T>,
        drained: impl Fn(&T) -> bool,
    ) -> Attempt<T> {
        loop {
            let ready = match direction {
                Direction::Read => self.fd.poll_read_ready(cx),
                Direction::Write => self.fd.poll_write_ready(cx),
            };
            match ready {
                Poll::Pending => return Attempt::WaitingDirectly,
                // The driver is gone (its runtime shut down).
                Poll::Ready(Err(_)) => return Attempt::Stale,
                Poll::Ready(Ok(guard)) => {
                    if let Some(attempt) = run_while_ready(guard, &mut op, &drained) {
                        return attempt;
                    }
                }
            }
        }
    }

    /// Like [`TokioLink::try_io_direct`] for a shared direction: `forwarder`
    /// (the direction's) is left with tokio, and it wakes every waiter.
    ///
    /// Each operation spends one unit of the task's cooperative budget, as
    /// tokio's own sockets do; when it is spent the task yields. The budget
    /// is checked here, with the task's own waker: the readiness poll runs
    /// unconstrained, or tokio would wake the forwarder to make the task
    /// yield, and the forwarder cannot tell that from readiness.
    #[inline]
    pub(crate) fn try_io<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        forwarder: &Waker,
        mut op: impl FnMut() -> io::Result<T>,
        drained: impl Fn(&T) -> bool,
    ) -> Attempt<T> {
        let Poll::Ready(budget) = tokio::task::coop::poll_proceed(cx) else {
            return Attempt::Yield;
        };
        let mut forwarder = Context::from_waker(forwarder);
        loop {
            let ready = pin!(unconstrained(poll_fn(|cx| match direction {
                Direction::Read => self.fd.poll_read_ready(cx),
                Direction::Write => self.fd.poll_write_ready(cx),
            })))
            .poll(&mut forwarder);
            match ready {
                Poll::Pending => return Attempt::NotReady,
                // The driver is gone (its runtime shut down).
                Poll::Ready(Err(_)) => return Attempt::Stale,
                Poll::Ready(Ok(guard)) => {
                    if let Some(attempt) = run_while_ready(guard, &mut op, &drained) {
                        if matches!(attempt, Attempt::Done(_)) {
                            budget.made_progress();
                        }
                        return attempt;
                    }
                }
            }
        }
    }

    /// True when tokio's readiness says `direction` is not ready; the poll
    /// leaves `forwarder` (the direction's) with tokio, as a wait would.
    pub(crate) fn known_not_ready(&self, direction: Direction, forwarder: &Waker) -> bool {
        let mut forwarder = Context::from_waker(forwarder);
        let ready = pin!(unconstrained(poll_fn(|cx| match direction {
            Direction::Read => self.fd.poll_read_ready(cx),
            Direction::Write => self.fd.poll_write_ready(cx),
        })))
        .poll(&mut forwarder);
        ready.is_pending()
    }
}

/// Runs `op` once tokio said the direction may be ready; `None` when it
/// was not (the readiness is cleared: ask tokio again).
#[inline(always)]
fn run_while_ready<T>(
    mut guard: AsyncFdReadyGuard<'_, Fd>,
    op: &mut impl FnMut() -> io::Result<T>,
    drained: &impl Fn(&T) -> bool,
) -> Option<Attempt<T>> {
    match op() {
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            // tokio keeps a hang-up for good, but a socket that was
            // registered before it connected reported one then (an
            // unconnected TCP socket polls as hung up): that one is stale,
            // and only a new registration forgets it.
            let ready = guard.ready();
            if ready.is_read_closed() || ready.is_write_closed() {
                return Some(Attempt::Stale);
            }
            guard.clear_ready();
            None
        }
        result => {
            if result.as_ref().is_ok_and(drained) {
                guard.clear_ready();
            }
            Some(Attempt::Done(result))
        }
    }
}

/// Runs `f`, turning a panic into `None` without reporting it to the panic
/// hook (tokio panics when a runtime without I/O driver is asked to take a
/// descriptor; nothing else here can panic).
#[cfg(panic = "unwind")]
fn catch_quietly<R>(f: impl FnOnce() -> R) -> Option<R> {
    use std::panic;
    use std::sync::Once;

    thread_local! {
        static QUIET: Cell<bool> = const { Cell::new(false) };
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
    QUIET.set(true);
    let result = panic::catch_unwind(panic::AssertUnwindSafe(f));
    QUIET.set(false);
    result.ok()
}

#[cfg(not(panic = "unwind"))]
fn catch_quietly<R>(f: impl FnOnce() -> R) -> Option<R> {
    Some(f())
}
