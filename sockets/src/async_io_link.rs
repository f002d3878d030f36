//! A socket on async-io's reactor (the `async-io` feature): the reactor of
//! smol and async-std, which their executors drive on the thread that is
//! about to park, so a wake-up runs where the task runs. With the feature,
//! it takes the place of netstack's own reactor for sockets; timers stay
//! netstack's.
//!
//! async-io arms readiness one wait at a time and keeps one waker per
//! direction, so netstack keeps its own readiness cache in the socket's
//! [`Source`] and gives async-io a forwarder (see [`crate::forwarder`]). A
//! direction is cleared only once async-io holds the forwarder for it, so a
//! cleared direction is always reopened by the next report.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};

use async_io::Async;

use crate::source::{Attempt, Direction, Source};

/// The descriptor as `Async` wants it; the socket's handle owns it and
/// drops the `Async` (deregistering) before it closes the descriptor.
struct Fd(RawFd);

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open while this link lives: the
        // socket's handle drops the link before it closes the descriptor.
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

pub(crate) struct AsyncIoLink {
    fd: Async<Fd>,
}

impl AsyncIoLink {
    /// Registers the non-blocking descriptor `fd` with async-io's reactor.
    pub(crate) fn new(fd: RawFd) -> io::Result<AsyncIoLink> {
        Ok(AsyncIoLink {
            fd: Async::new_nonblocking(Fd(fd))?,
        })
    }

    /// Runs `op` unless the cache knows the direction is not ready; on
    /// `WouldBlock` arms async-io with `forwarder` (the direction's), and
    /// clears the direction only once async-io holds it.
    #[inline]
    pub(crate) fn try_io<T>(
        &self,
        source: &Source,
        direction: Direction,
        tick: u64,
        forwarder: &Waker,
        mut op: impl FnMut() -> io::Result<T>,
    ) -> Attempt<T> {
        if source.known_not_ready(direction, tick) {
            return Attempt::NotReady;
        }
        let mut forwarder = Context::from_waker(forwarder);
        loop {
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    let armed = match direction {
                        Direction::Read => self.fd.poll_readable(&mut forwarder),
                        Direction::Write => self.fd.poll_writable(&mut forwarder),
                    };
                    match armed {
                        Poll::Pending => {
                            source.clear(direction, tick);
                            return Attempt::NotReady;
                        }
                        // A report came since the last wait: try again.
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(err)) => return Attempt::Done(Err(err)),
                    }
                }
                result => return Attempt::Done(result),
            }
        }
    }
}
