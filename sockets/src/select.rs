//! Readiness: `Socket::poll` for one socket and [`select`] over many, as in Winsock.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, SocketError};
use crate::socket::Socket;

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

fn poll_events(mode: SelectMode) -> libc::c_short {
    match mode {
        SelectMode::Read => libc::POLLIN | libc::POLLRDHUP,
        SelectMode::Write => libc::POLLOUT,
        SelectMode::Error => libc::POLLPRI,
    }
}

fn is_ready(mode: SelectMode, revents: libc::c_short) -> bool {
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
fn poll_fds(fds: &mut [libc::pollfd], deadline: Option<Instant>) -> io::Result<usize> {
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
pub(crate) enum Readiness {
    /// Ready for the mode asked.
    Ready,
    /// The deadline passed first.
    TimedOut,
    /// The socket reached an end state (hang-up or error) in which it will
    /// never become ready for the mode asked: the next call reports why.
    Final,
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
) -> io::Result<Readiness> {
    let mut fds = [libc::pollfd {
        fd,
        events: poll_events(mode),
        revents: 0,
    }];
    loop {
        if poll_fds(&mut fds, deadline)? == 0 {
            return Ok(Readiness::TimedOut);
        }
        if is_ready(mode, fds[0].revents) {
            return Ok(Readiness::Ready);
        }
        if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            // Ready for something else only (e.g. POLLERR while waiting to
            // write): the condition will not change by waiting longer.
            return Ok(Readiness::Final);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Readiness::TimedOut);
        }
    }
}

/// Waits until `fd` is ready for `mode`; false on timeout or an end state.
pub(crate) fn wait_ready(
    fd: RawFd,
    mode: SelectMode,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    Ok(wait_for(fd, mode, deadline)? == Readiness::Ready)
}

/// Waits until at least one socket is ready, then keeps in each list only the
/// sockets that are ready for it, like Winsock's `select`; returns the total
/// number of ready entries. `timeout` of `None` waits without limit; an
/// elapsed timeout leaves all three lists empty.
///
/// Unlike `select(2)` there is no limit on descriptor numbers (it is built on `poll(2)`).
///
/// ```
/// use std::time::Duration;
/// use sockets::{select, AddressFamily, ProtocolType, Socket, SocketType};
/// let a = Socket::new(AddressFamily::InterNetwork, SocketType::Dgram, ProtocolType::Udp).unwrap();
/// a.bind(([127, 0, 0, 1], 0)).unwrap();
/// let mut read = vec![&a];
/// let ready = select(&mut read, &mut vec![], &mut vec![], Some(Duration::from_millis(10))).unwrap();
/// assert_eq!(ready, 0);
/// assert!(read.is_empty());
/// ```
pub fn select<'s>(
    read: &mut Vec<&'s Socket>,
    write: &mut Vec<&'s Socket>,
    error: &mut Vec<&'s Socket>,
    timeout: Option<Duration>,
) -> Result<usize> {
    let lists: [(&mut Vec<&'s Socket>, SelectMode); 3] = [
        (read, SelectMode::Read),
        (write, SelectMode::Write),
        (error, SelectMode::Error),
    ];
    let total: usize = lists.iter().map(|(l, _)| l.len()).sum();
    if total == 0 {
        if let Some(timeout) = timeout {
            std::thread::sleep(timeout);
            return Ok(0);
        }
        return Err(
            Error::new(SocketError::InvalidArgument, "select").with_detail(
                "all three lists are empty and there is no timeout: it would wait forever",
            ),
        );
    }
    let mut guards = Vec::with_capacity(total);
    let mut fds = Vec::with_capacity(total);
    for (list, mode) in lists.iter() {
        for socket in list.iter() {
            guards.push(socket.enter("select")?);
            fds.push(libc::pollfd {
                fd: socket.as_raw_fd(),
                events: poll_events(*mode),
                revents: 0,
            });
        }
    }
    let deadline = deadline_after(timeout);
    let [(read, _), (write, _), (error, _)] = lists;
    loop {
        let n = poll_fds(&mut fds, deadline).map_err(|e| Error::from_io(&e, "select"))?;
        let mut index = 0;
        let mut keep = |list: &mut Vec<&'s Socket>, mode: SelectMode| {
            let start = index;
            index += list.len();
            let mut i = start;
            list.retain(|_| {
                let ready = is_ready(mode, fds[i].revents);
                i += 1;
                ready
            });
        };
        if n == 0 {
            read.clear();
            write.clear();
            error.clear();
            return Ok(0);
        }
        let (mut r, mut w, mut e) = (read.clone(), write.clone(), error.clone());
        keep(&mut r, SelectMode::Read);
        keep(&mut w, SelectMode::Write);
        keep(&mut e, SelectMode::Error);
        let ready = r.len() + w.len() + e.len();
        // poll(2) may report a condition that is not readiness for the
        // asked mode (e.g. POLLERR on a write entry): wait again in that case.
        if ready > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            *read = r;
            *write = w;
            *error = e;
            drop(guards);
            return Ok(ready);
        }
        for fd in fds.iter_mut() {
            // Stop asking about descriptors whose state cannot change any more.
            if fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                fd.fd = -1;
            }
            fd.revents = 0;
        }
        if fds.iter().all(|fd| fd.fd < 0) {
            read.clear();
            write.clear();
            error.clear();
            return Ok(0);
        }
    }
}
