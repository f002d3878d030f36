//! The OS readiness API under the reactor: edge-triggered registration of a
//! descriptor for both directions, a wait with a timeout, and a way to wake
//! the waiting thread.
//!
//! On Linux this calls epoll directly: one `epoll_wait` per wait. (The
//! `polling` crate's epoll backend re-arms a timerfd and an eventfd around
//! every wait — five system calls — which measurably slowed async round
//! trips; see BENCHMARKS.md.) Other platforms use `polling` (kqueue,
//! event ports) in edge mode where it exists.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// One readiness report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Readiness {
    pub(crate) key: usize,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    /// A final state that no later edge will report again: the peer shut
    /// down its side (reading ends in end of stream), a hang-up, an error.
    pub(crate) read_closed: bool,
    pub(crate) write_closed: bool,
}

/// The key reserved for [`Poller::notify`].
const NOTIFY_KEY: u64 = u64::MAX;

#[cfg(target_os = "linux")]
pub(crate) use epoll::Poller;
#[cfg(not(target_os = "linux"))]
pub(crate) use portable::Poller;

#[cfg(target_os = "linux")]
mod epoll {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    pub(crate) struct Poller {
        epoll: OwnedFd,
        notifier: OwnedFd,
        events: std::sync::Mutex<Vec<libc::epoll_event>>,
    }

    fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(rc)
        }
    }

    impl Poller {
        pub(crate) fn new() -> io::Result<Poller> {
            // SAFETY: plain system calls; each returned descriptor is owned at once.
            let epoll =
                unsafe { OwnedFd::from_raw_fd(check(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
            // SAFETY: as above.
            let notifier = unsafe {
                OwnedFd::from_raw_fd(check(libc::eventfd(
                    0,
                    libc::EFD_CLOEXEC | libc::EFD_NONBLOCK,
                ))?)
            };
            let poller = Poller {
                epoll,
                notifier,
                events: std::sync::Mutex::new(Vec::with_capacity(1024)),
            };
            poller.ctl(
                libc::EPOLL_CTL_ADD,
                poller.notifier.as_raw_fd(),
                NOTIFY_KEY,
                (libc::EPOLLIN | libc::EPOLLET) as u32,
            )?;
            Ok(poller)
        }

        fn ctl(&self, op: libc::c_int, fd: RawFd, key: u64, events: u32) -> io::Result<()> {
            let mut event = libc::epoll_event { events, u64: key };
            // SAFETY: `event` is a valid epoll_event for the duration of the call.
            check(unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) })?;
            Ok(())
        }

        /// Registers `fd` for both directions, edge-triggered, under `key`.
        #[cfg_attr(feature = "async-io", allow(dead_code))]
        pub(crate) fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
            let interest =
                libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLPRI | libc::EPOLLET;
            self.ctl(libc::EPOLL_CTL_ADD, fd, key as u64, interest as u32)
        }

        /// Removes `fd` (before it is closed).
        pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
            self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
        }

        /// Wakes the thread blocked in [`wait`](Poller::wait).
        pub(crate) fn notify(&self) -> io::Result<()> {
            let one = 1u64.to_ne_bytes();
            // SAFETY: writes 8 bytes from a valid buffer to our eventfd.
            let rc = unsafe { libc::write(self.notifier.as_raw_fd(), one.as_ptr().cast(), 8) };
            if rc < 0 {
                let err = io::Error::last_os_error();
                // A full counter already guarantees a wake-up.
                if err.kind() != io::ErrorKind::WouldBlock {
                    return Err(err);
                }
            }
            Ok(())
        }

        /// Waits for readiness (at most `timeout`; `None` waits without limit)
        /// and appends the reports to `out`.
        pub(crate) fn wait(
            &self,
            out: &mut Vec<Readiness>,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            let ms = match timeout {
                None => -1,
                // Round up so a timer is never fired early by a truncated wait.
                Some(t) => {
                    t.as_micros().div_ceil(1000).min(libc::c_int::MAX as u128) as libc::c_int
                }
            };
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            let capacity = events.capacity();
            // SAFETY: the kernel writes at most `capacity` events into the
            // vector's spare capacity, and we set the length to what it wrote.
            let n = unsafe {
                let n = check(libc::epoll_wait(
                    self.epoll.as_raw_fd(),
                    events.as_mut_ptr(),
                    capacity as libc::c_int,
                    ms,
                ))?;
                events.set_len(n as usize);
                n as usize
            };
            for event in &events[..n] {
                let key = event.u64;
                let flags = event.events as libc::c_int;
                if key == NOTIFY_KEY {
                    let mut buf = [0u8; 8];
                    // SAFETY: reads at most 8 bytes into a valid buffer; resets the counter.
                    let _ = unsafe {
                        libc::read(self.notifier.as_raw_fd(), buf.as_mut_ptr().cast(), 8)
                    };
                    continue;
                }
                let hangup = flags & (libc::EPOLLHUP | libc::EPOLLERR) != 0;
                out.push(Readiness {
                    key: key as usize,
                    readable: hangup
                        || flags & (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLRDHUP) != 0,
                    writable: hangup || flags & libc::EPOLLOUT != 0,
                    read_closed: hangup || flags & libc::EPOLLRDHUP != 0,
                    write_closed: hangup,
                });
            }
            events.clear();
            Ok(())
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod portable {
    use super::*;
    use polling::{Event, Events, PollMode};
    use std::os::fd::BorrowedFd;

    pub(crate) struct Poller {
        poller: polling::Poller,
        events: std::sync::Mutex<Events>,
    }

    impl Poller {
        pub(crate) fn new() -> io::Result<Poller> {
            let poller = polling::Poller::new()?;
            if !poller.supports_edge() {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "netstack's reactor needs edge-triggered readiness (epoll or kqueue)",
                ));
            }
            Ok(Poller {
                poller,
                events: std::sync::Mutex::new(Events::new()),
            })
        }

        pub(crate) fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
            // SAFETY: the reactor deletes `fd` before the socket closes it.
            unsafe {
                self.poller
                    .add_with_mode(fd, Event::all(key), PollMode::Edge)
            }
        }

        pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
            // SAFETY: `fd` is open: the caller deletes before closing.
            self.poller.delete(unsafe { BorrowedFd::borrow_raw(fd) })
        }

        pub(crate) fn notify(&self) -> io::Result<()> {
            self.poller.notify()
        }

        pub(crate) fn wait(
            &self,
            out: &mut Vec<Readiness>,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            events.clear();
            self.poller.wait(&mut events, timeout)?;
            for event in events.iter() {
                let hangup = event.is_interrupt() || event.is_err() == Some(true);
                out.push(Readiness {
                    key: event.key,
                    readable: event.readable || hangup,
                    writable: event.writable || hangup,
                    read_closed: hangup,
                    write_closed: hangup,
                });
            }
            Ok(())
        }
    }
}
