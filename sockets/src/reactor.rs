//! netstack's own reactor: one background thread waits on the OS readiness
//! API (epoll on Linux, called directly; kqueue elsewhere through `polling`;
//! see [`crate::poller`]) and reports readiness to each socket's
//! [`Source`], and fires timers.
//!
//! It starts at the first asynchronous call that needs it and never
//! before: a program that only uses the synchronous mode (or whose sockets
//! all live on tokio's driver and set no timeouts) has no reactor thread.
//!
//! Sockets are registered edge-triggered, for both directions at once.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use crate::poller::{Poller, Readiness};
use crate::source::{lock, next_waiter_id, Direction, Source};

/// The name of the reactor's thread, as `/proc/self/task/*/comm` shows it (at most 15 bytes on Linux).
pub const REACTOR_THREAD_NAME: &str = "netstack-io";

static REACTOR: OnceLock<&'static Reactor> = OnceLock::new();

pub(crate) struct Reactor {
    poller: Poller,
    sources: Mutex<HashMap<usize, Arc<Source>>>,
    timers: Mutex<BTreeMap<(Instant, u64), Waker>>,
}

impl Reactor {
    /// The reactor, started on first use.
    pub(crate) fn get() -> io::Result<&'static Reactor> {
        if let Some(reactor) = REACTOR.get() {
            return Ok(reactor);
        }
        static START: Mutex<()> = Mutex::new(());
        let _once = lock(&START);
        if let Some(reactor) = REACTOR.get() {
            return Ok(reactor);
        }
        let reactor: &'static Reactor = Box::leak(Box::new(Reactor {
            poller: Poller::new()?,
            sources: Mutex::new(HashMap::new()),
            timers: Mutex::new(BTreeMap::new()),
        }));
        // Publish the reactor only once its thread runs, so that a failed
        // spawn leaves no reactor that nothing drives (the next call retries).
        let spawned = thread::Builder::new()
            .name(REACTOR_THREAD_NAME.into())
            .spawn(move || reactor.run());
        if let Err(err) = spawned {
            // SAFETY: the thread was not started, so nothing else holds
            // `reactor`; it came from `Box::leak` just above.
            drop(unsafe { Box::from_raw(reactor as *const Reactor as *mut Reactor) });
            return Err(err);
        }
        Ok(REACTOR.get_or_init(|| reactor))
    }

    /// The reactor if it has been started.
    pub(crate) fn running() -> Option<&'static Reactor> {
        REACTOR.get().copied()
    }

    /// Registers a non-blocking descriptor for both directions,
    /// edge-triggered; its readiness goes to `source`.
    pub(crate) fn register(&self, fd: RawFd, source: &Arc<Source>) -> io::Result<()> {
        lock(&self.sources).insert(source.key, Arc::clone(source));
        // The descriptor stays open until `deregister` is called, which the
        // socket's handle does before it closes the descriptor.
        if let Err(err) = self.poller.add(fd, source.key) {
            lock(&self.sources).remove(&source.key);
            return Err(err);
        }
        Ok(())
    }

    /// Removes a descriptor (before it is closed, or when the socket moves
    /// to another reactor).
    pub(crate) fn deregister(&self, fd: RawFd, source: &Source) {
        let removed = {
            let mut sources = lock(&self.sources);
            // The descriptor is still open: the caller closes it afterwards.
            let _ = self.poller.delete(fd);
            sources.remove(&source.key)
        };
        drop(removed);
    }

    fn run(&self) {
        // Buffers reused across iterations: no allocation per wake-up.
        let mut reports: Vec<Readiness> = Vec::with_capacity(1024);
        let mut ready: Vec<(Arc<Source>, Readiness)> = Vec::with_capacity(1024);
        loop {
            let timeout = self.fire_timers();
            reports.clear();
            if let Err(err) = self.poller.wait(&mut reports, timeout) {
                if err.kind() != io::ErrorKind::Interrupted {
                    // Nothing sensible can be done but retry after a pause.
                    thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            {
                let sources = lock(&self.sources);
                ready.extend(
                    reports
                        .iter()
                        .filter_map(|r| sources.get(&r.key).map(|s| (Arc::clone(s), *r))),
                );
            }
            for (source, report) in ready.drain(..) {
                if report.read_closed {
                    source.close_direction(Direction::Read);
                }
                if report.write_closed {
                    source.close_direction(Direction::Write);
                }
                if report.readable {
                    source.ready(Direction::Read);
                }
                if report.writable {
                    source.ready(Direction::Write);
                }
            }
        }
    }

    /// Wakes the timers that are due; returns how long until the next one.
    fn fire_timers(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut due = Vec::new();
        let next = {
            let mut timers = lock(&self.timers);
            while let Some(entry) = timers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
            timers
                .keys()
                .next()
                .map(|(at, _)| at.saturating_duration_since(now))
        };
        for waker in due {
            waker.wake();
        }
        next
    }

    fn insert_timer(&self, at: Instant, id: u64, waker: &Waker) {
        let mut replaced = None;
        let earliest = {
            let mut timers = lock(&self.timers);
            let previous_first = timers.keys().next().map(|(t, _)| *t);
            match timers.get_mut(&(at, id)) {
                Some(existing) if existing.will_wake(waker) => return,
                Some(existing) => replaced = Some(std::mem::replace(existing, waker.clone())),
                None => {
                    timers.insert((at, id), waker.clone());
                }
            }
            previous_first.is_none_or(|first| at < first)
        };
        // Wakers are dropped outside the lock: an executor's drop may call back in.
        drop(replaced);
        if earliest {
            let _ = self.poller.notify();
        }
    }

    fn remove_timer(&self, at: Instant, id: u64) {
        let removed = lock(&self.timers).remove(&(at, id));
        drop(removed);
    }
}

/// A deadline in the reactor: ready once `at` has passed.
pub(crate) struct Timer {
    at: Instant,
    id: u64,
    armed: bool,
}

impl Timer {
    pub(crate) fn at(at: Instant) -> Timer {
        Timer {
            at,
            id: next_waiter_id(),
            armed: false,
        }
    }

    pub(crate) fn after(duration: Duration) -> Timer {
        Timer::at(
            Instant::now()
                .checked_add(duration)
                .unwrap_or_else(far_future),
        )
    }

    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.at {
            self.disarm();
            return Poll::Ready(());
        }
        match Reactor::get() {
            Ok(reactor) => {
                reactor.insert_timer(self.at, self.id, cx.waker());
                self.armed = true;
                Poll::Pending
            }
            // Without a reactor no timer can fire; fail safe by expiring now.
            Err(_) => Poll::Ready(()),
        }
    }

    fn disarm(&mut self) {
        if self.armed {
            if let Some(reactor) = Reactor::running() {
                reactor.remove_timer(self.at, self.id);
            }
            self.armed = false;
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.disarm();
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365 * 30)
}

/// True once the reactor thread has been started in this process.
pub fn reactor_started() -> bool {
    REACTOR.get().is_some()
}
