//! The life of one OS socket descriptor shared by many threads.
//!
//! .NET lets any thread `Close` a socket while another is blocked in `Accept`
//! or `Receive`, and the blocked call ends with `OperationAborted`. POSIX does
//! not: closing a descriptor that another thread is blocked on neither wakes
//! that thread nor is safe (the number can be reused at once). So every call
//! *enters* the handle for its duration; `close` marks the handle closed,
//! shuts the socket down to wake the calls that are blocked in it, and the
//! last call to leave releases the descriptor. No call starts after `close`.

use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::registration::Registration;

const CLOSED: usize = 1 << (usize::BITS - 1);

pub(crate) struct Handle {
    socket: UnsafeCell<ManuallyDrop<socket2::Socket>>,
    /// The number of calls inside the handle, and the `CLOSED` bit.
    state: AtomicUsize,
    released: AtomicBool,
    /// The registration for the asynchronous mode, made at the first asynchronous call.
    registration: OnceLock<Arc<Registration>>,
}

// SAFETY: the socket inside is only reached through a `Guard`, and is dropped
// only once, by `release`, when no guard exists and none can be made.
unsafe impl Sync for Handle {}

// A panic while a guard is held leaves the handle consistent (the guard's
// drop still leaves it), as std's sockets are unwind-safe.
impl std::panic::RefUnwindSafe for Handle {}
impl std::panic::UnwindSafe for Handle {}

/// Proof that a call is inside the handle: the socket stays open until it is dropped.
pub(crate) struct Guard<'a> {
    handle: &'a Handle,
}

impl Handle {
    pub(crate) fn new(socket: socket2::Socket) -> Handle {
        Handle {
            socket: UnsafeCell::new(ManuallyDrop::new(socket)),
            state: AtomicUsize::new(0),
            released: AtomicBool::new(false),
            registration: OnceLock::new(),
        }
    }

    /// Enters the handle, or `None` when it is closed.
    #[inline]
    pub(crate) fn enter(&self) -> Option<Guard<'_>> {
        let previous = self.state.fetch_add(1, Ordering::Acquire);
        let guard = Guard { handle: self };
        if previous & CLOSED != 0 {
            drop(guard);
            return None;
        }
        Some(guard)
    }

    /// The registration, if the socket has been used asynchronously.
    #[inline]
    pub(crate) fn registration(&self) -> Option<&Arc<Registration>> {
        self.registration.get()
    }

    /// Keeps this handle's registration. The caller holds the socket's mode
    /// lock, so no other registration can race this one.
    pub(crate) fn set_registration(&self, registration: Arc<Registration>) -> &Arc<Registration> {
        self.registration.get_or_init(|| registration)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Marks the handle closed. `wake` runs (inside the handle) with
    /// whether other calls are still inside, to make their blocking system
    /// calls return. The descriptor is released when the last call leaves.
    /// Returns false when the handle was already closed.
    pub(crate) fn close(&self, wake: impl FnOnce(&socket2::Socket, bool)) -> bool {
        let Some(guard) = self.enter() else {
            return false;
        };
        let previous = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if previous & CLOSED != 0 {
            return false;
        }
        let others_inside = (previous & !CLOSED) - 1;
        wake(&guard, others_inside > 0);
        true
    }

    #[inline]
    fn leave(&self) {
        let previous = self.state.fetch_sub(1, Ordering::AcqRel);
        if previous == CLOSED | 1 {
            self.release();
        }
    }

    /// Takes the descriptor out of its reactor; the caller closes it next.
    fn deregister(&self, fd: std::os::fd::RawFd) {
        if let Some(registration) = self.registration.get() {
            registration.deregister(fd);
            // Whoever still waits learns of the close when it polls again.
            registration.source.wake_all();
        }
    }

    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            // SAFETY: as below, the socket has not been dropped yet.
            let fd = unsafe { (*self.socket.get()).as_raw_fd() };
            self.deregister(fd);
            // SAFETY: the handle is closed and no guard exists (the count
            // reached zero with CLOSED set, and no new guard can be made), and
            // `released` makes this the only drop.
            unsafe { ManuallyDrop::drop(&mut *self.socket.get()) };
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.released.load(Ordering::Acquire) {
            *self.released.get_mut() = true;
            let fd = self.socket.get_mut().as_raw_fd();
            self.deregister(fd);
            // SAFETY: `&mut self` proves no guard exists; not yet released.
            unsafe { ManuallyDrop::drop(self.socket.get_mut()) };
        }
    }
}

impl Deref for Guard<'_> {
    type Target = socket2::Socket;

    #[inline]
    fn deref(&self) -> &socket2::Socket {
        // SAFETY: while a guard exists the socket is not released (see `release`).
        unsafe { &*self.handle.socket.get() }
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.handle.leave();
    }
}
