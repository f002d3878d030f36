//! Waiting for one descriptor's readiness with `poll(2)`: the blocking
//! mode's timeouts, `Socket::poll`, and the building blocks of [`select`].
//! It knows descriptors, not sockets (and a blocking call's wait also
//! watches the thread's cancel token).
//!
//! [`select`]: crate::select()

use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use crate::cancel::{watch, Watch};

/// What readiness to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectMode {
    /// Data can be received, a listener has a pending connection, or the
    /// connection was closed, reset or ended (a receive will not block).
    Read,
    /// Data can be sent, or a non-blocking connect has succeeded.
    Write,
    /// A non-blocking connect failed, an error is pending, or out-of-band data arrived.
    Error,
}

pub(crate) fn poll_events(mode: SelectMode) -> libc::c_short {
    match mode {
        SelectMode::Read => libc::POLLIN | libc::POLLRDHUP,
        SelectMode::Write => libc::POLLOUT,
        SelectMode::Error => libc::POLLPRI,
    }
}

pub(crate) fn is_ready(mode: SelectMode, revents: libc::c_short) -> bool {
    match mode {
        SelectMode::Read => {
            revents & (libc::POLLIN | libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
        }
        // A failed connect reports POLLOUT|POLLERR: Winsock puts it in the error set only.
        SelectMode::Write => revents & libc::POLLOUT != 0 && revents & libc::POLLERR == 0,
        SelectMode::Error => revents & (libc::POLLERR | libc::POLLPRI) != 0,
    }
}

fn remaining_ms(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            // Round up so a 0.4 ms wait does not become a busy zero-timeout poll.
            let ms = left.as_micros().div_ceil(1000);
            ms.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}

/// `poll(2)` over `fds`, retrying on `EINTR` with the time that is left.
pub(crate) fn poll_fds(fds: &mut [libc::pollfd], deadline: Option<Instant>) -> io::Result<usize> {
    loop {
        // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd of the given length.
        let rc = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                remaining_ms(deadline),
            )
        };
        if rc >= 0 {
            return Ok(rc as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// How a wait for readiness ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Ready for the mode asked.
    Ready,
    /// The deadline passed first.
    TimedOut,
    /// The socket reached an end state (hang-up or error) in which it will
    /// never become ready for the mode asked: the next call reports why.
    Final,
    /// The thread's [`CancelToken`](crate::CancelToken) was cancelled
    /// (only in [`wait_blocking`]).
    Cancelled,
}

/// `now + timeout`, or no deadline when there is no timeout or it is too
/// large to represent (it then waits without limit, never panics).
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// Waits until `fd` is ready for `mode`, the deadline passes, or the socket
/// reaches an end state.
pub(crate) fn wait_for(
    fd: RawFd,
    mode: SelectMode,
    deadline: Option<Instant>,
) -> io::Result<Waited> {
    wait_watching(fd, mode, deadline, None)
}

/// [`wait_for`] for a blocking call, which the calling thread's
/// [`CancelToken`](crate::CancelToken) can also end.
pub(crate) fn wait_blocking(
    fd: RawFd,
    mode: SelectMode,
    deadline: Option<Instant>,
) -> io::Result<Waited> {
    match watch() {
        Watch::Nothing => wait_watching(fd, mode, deadline, None),
        Watch::Cancelled => Ok(Waited::Cancelled),
        Watch::Event(event) => wait_watching(fd, mode, deadline, Some(event)),
    }
}

fn wait_watching(
    fd: RawFd,
    mode: SelectMode,
    deadline: Option<Instant>,
    cancel: Option<RawFd>,
) -> io::Result<Waited> {
    let mut fds = [
        libc::pollfd {
            fd,
            events: poll_events(mode),
            revents: 0,
        },
        libc::pollfd {
            fd: cancel.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let watched = if cancel.is_some() { 2 } else { 1 };
    loop {
        if poll_fds(&mut fds[..watched], deadline)? == 0 {
            return Ok(Waited::TimedOut);
        }
        if fds[1].revents != 0 {
            return Ok(Waited::Cancelled);
        }
        if is_ready(mode, fds[0].revents) {
            return Ok(Waited::Ready);
        }
        if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            // Ready for something else only (e.g. POLLERR while waiting to
            // write): the condition will not change by waiting longer.
            return Ok(Waited::Final);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Waited::TimedOut);
        }
    }
}

/// Waits until `fd` is ready for `mode`; false on timeout or an end state.
pub(crate) fn wait_ready(
    fd: RawFd,
    mode: SelectMode,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    Ok(wait_for(fd, mode, deadline)? == Waited::Ready)
}
