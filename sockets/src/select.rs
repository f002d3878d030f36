//! [`select`] over many sockets, as in Winsock (one socket: `Socket::poll`).
//!
//! [`select`]: select()

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::error::{Error, Result, SocketError};
use crate::socket::Socket;
use crate::wait::{deadline_after, is_ready, poll_events, poll_fds, SelectMode};

/// Waits until at least one socket is ready, then keeps in each list only the
/// sockets that are ready for it, like Winsock's `select`; returns the total
/// number of ready entries. `timeout` of `None` waits without limit; an
/// elapsed timeout leaves all three lists empty.
///
/// Unlike `select(2)` there is no limit on descriptor numbers (it is built on `poll(2)`).
///
/// ```
/// use std::time::Duration;
/// use netstack::sockets::{select, AddressFamily, ProtocolType, Socket, SocketType};
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
