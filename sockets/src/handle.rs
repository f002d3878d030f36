//! The life of one OS socket descriptor shared by many threads.
//!
//! .NET lets any thread `Close` a socket while another is blocked in `Accept`
//! or `Receive`, and the blocked call ends with `OperationAborted`. POSIX does
//! not: closing a descriptor that another thread is blocked on neither wakes
//! that thread nor is safe (the number can be reused at once). So every call
//! *enters* the handle for its duration; `close` marks the handle closed,
//! shuts the socket down to wake the calls that are blocked in it, and the
//! last call to leave releases the socket. No call starts after `close`.
//!
//! Releasing closes the socket but not its descriptor *number*: an inert
//! placeholder takes the number over (`dup3(2)`) until the handle is dropped,
//! so a `BorrowedFd` lent out by the socket never names another file, as I/O
//! safety demands, while the port and the connection are freed at once.

use std::cell::UnsafeCell;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::registration::Registration;

const CLOSED: usize = 1 << (usize::BITS - 1);

pub(crate) struct Handle {
    /// The socket; after release its descriptor number holds the
    /// placeholder, so the number never changes.
    socket: ManuallyDrop<socket2::Socket>,
    /// The number of calls inside the handle, and the `CLOSED` bit.
    state: AtomicUsize,
    released: AtomicBool,
    /// Set once `registration` holds the registration: a `OnceLock` would
    /// take 8 bytes more in every socket, and a socket is what each idle
    /// connection's task holds.
    registered: AtomicBool,
    /// The registration for the asynchronous mode, made at the first asynchronous call.
    registration: UnsafeCell<Option<Arc<Registration>>>,
}

// SAFETY: `registration` is written once, by `set_registration` under the
// socket's mode lock, before `registered` is set, and read only after
// `registered` is seen set; afterwards only `&mut self` changes it.
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
            socket: ManuallyDrop::new(socket),
            state: AtomicUsize::new(0),
            released: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            registration: UnsafeCell::new(None),
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
        if !self.registered.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: set, so written once and for good (see `Sync` above).
        unsafe { (*self.registration.get()).as_ref() }
    }

    /// Keeps this handle's registration, unless it has one already.
    ///
    /// # Safety
    /// The caller holds the socket's mode lock, so that no other call sets one at the same time.
    pub(crate) unsafe fn set_registration(
        &self,
        registration: Arc<Registration>,
    ) -> &Arc<Registration> {
        if !self.registered.load(Ordering::Acquire) {
            // SAFETY: the caller's lock excludes other writers, and readers
            // wait for `registered`, which is set after this write.
            unsafe { *self.registration.get() = Some(registration) };
            self.registered.store(true, Ordering::Release);
        }
        self.registration()
            .expect("the registration was set just now")
    }

    /// The descriptor number (it never changes; see `socket`).
    #[inline]
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
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

    /// Takes the descriptor out of its reactor, before it is closed or given up.
    fn deregister(&self, fd: RawFd) {
        if let Some(registration) = self.registration() {
            registration.deregister(fd);
            // Whoever still waits learns of the close when it polls again.
            registration.source.wake_all();
        }
    }

    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            // No guard exists and none can be made (the count reached zero
            // with CLOSED set), and `released` makes this the only release.
            let fd = self.raw_fd();
            self.deregister(fd);
            retire(fd);
        }
    }

    /// Gives up the socket without closing it, after taking it out of its
    /// reactor; `None` once the handle was closed (the socket is gone).
    pub(crate) fn into_socket(mut self) -> Option<socket2::Socket> {
        if *self.released.get_mut() {
            return None;
        }
        let fd = self.raw_fd();
        self.deregister(fd);
        *self.registered.get_mut() = false;
        drop(self.registration.get_mut().take());
        // SAFETY: `self` is owned, so no guard exists; the handle is
        // forgotten next, so its `Drop` never touches the taken socket.
        let socket = unsafe { ManuallyDrop::take(&mut self.socket) };
        // Nothing else in the handle owns a resource (the registration is gone).
        std::mem::forget(self);
        Some(socket)
    }
}

/// Closes the socket on `fd` by putting a placeholder on the number. When
/// no placeholder can be made, the socket stays open (shut down) until the
/// handle is dropped: closing the number itself could close another file later.
fn retire(fd: RawFd) {
    static PLACEHOLDER: OnceLock<Option<OwnedFd>> = OnceLock::new();
    // An unconnected Unix stream socket: every call on it fails, none blocks.
    let placeholder = PLACEHOLDER.get_or_init(|| {
        socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)
            .ok()
            .map(OwnedFd::from)
    });
    let Some(placeholder) = placeholder else {
        return;
    };
    loop {
        // SAFETY: both descriptors are open: `fd` is the handle's (closed
        // here atomically, replaced by the placeholder the handle then owns),
        // and the placeholder lives for the program.
        let rc = unsafe { dup_onto(placeholder.as_raw_fd(), fd) };
        if rc != -1 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// `dup3(from, onto, O_CLOEXEC)`, or `dup2` then `FD_CLOEXEC` where there is no `dup3`.
///
/// # Safety
/// `onto` must be a descriptor whose owner expects it to be replaced.
unsafe fn dup_onto(from: RawFd, onto: RawFd) -> libc::c_int {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        // SAFETY: the caller's contract.
        unsafe { libc::dup3(from, onto, libc::O_CLOEXEC) }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        // SAFETY: the caller's contract; `fcntl` only sets a flag on `onto`.
        unsafe {
            let rc = libc::dup2(from, onto);
            if rc != -1 {
                libc::fcntl(onto, libc::F_SETFD, libc::FD_CLOEXEC);
            }
            rc
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !*self.released.get_mut() {
            let fd = self.raw_fd();
            self.deregister(fd);
        }
        // SAFETY: `&mut self` proves no guard exists; this is the only drop
        // (`into_socket` forgets the handle it takes the socket from).
        unsafe { ManuallyDrop::drop(&mut self.socket) };
    }
}

impl Deref for Guard<'_> {
    type Target = socket2::Socket;

    #[inline]
    fn deref(&self) -> &socket2::Socket {
        // While a guard exists the socket is not released (see `release`).
        &self.handle.socket
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.handle.leave();
    }
}
