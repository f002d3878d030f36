//! netstack's own reactor: one background thread waits on the OS readiness
//! API (epoll on Linux, called directly; kqueue elsewhere through `polling`;
//! see [`crate::poller`]) and wakes the futures waiting on each socket and
//! direction, and on timers.
//!
//! It starts at the first asynchronous call and never before: a program that
//! only uses the synchronous mode has no reactor thread.
//!
//! Sockets are registered edge-triggered, once. Each direction keeps a
//! *tick* that the reactor bumps on every readiness edge. A future records
//! the tick, tries its non-blocking system call, and on `WouldBlock`
//! registers its waker only if the tick has not moved meanwhile — so an edge
//! that arrives between the attempt and the registration is never lost.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use crate::poller::{Poller, Readiness};

/// The name of the reactor's thread, as `/proc/self/task/*/comm` shows it (at most 15 bytes on Linux).
pub const REACTOR_THREAD_NAME: &str = "netstack-io";

/// A direction of readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read = 0,
    Write = 1,
}

static REACTOR: OnceLock<&'static Reactor> = OnceLock::new();
static NEXT_WAITER: AtomicU64 = AtomicU64::new(1);

/// Waiter id 0 is the slot used by the `poll_read`/`poll_write` trait impls,
/// which have no future of their own to hold an id.
pub(crate) const TRAIT_WAITER: u64 = 0;

pub(crate) fn next_waiter_id() -> u64 {
    NEXT_WAITER.fetch_add(1, Ordering::Relaxed)
}

pub(crate) struct Reactor {
    poller: Poller,
    sources: Mutex<HashMap<usize, Arc<Source>>>,
    next_key: AtomicUsize,
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
            next_key: AtomicUsize::new(0),
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

    /// Registers a non-blocking descriptor for both directions, edge-triggered.
    pub(crate) fn register(&'static self, fd: RawFd) -> io::Result<Arc<Source>> {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let source = Arc::new(Source {
            key,
            fd,
            directions: [DirectionState::default(), DirectionState::default()],
        });
        lock(&self.sources).insert(key, Arc::clone(&source));
        // The descriptor stays open until `deregister` is called, which the
        // socket's handle does before it closes the descriptor.
        if let Err(err) = self.poller.add(fd, key) {
            lock(&self.sources).remove(&key);
            return Err(err);
        }
        Ok(source)
    }

    /// Removes a descriptor before it is closed; wakes anyone still waiting.
    pub(crate) fn deregister(&self, source: &Source) {
        let removed = {
            let mut sources = lock(&self.sources);
            // The descriptor is still open: the caller closes it afterwards.
            let _ = self.poller.delete(source.fd);
            sources.remove(&source.key)
        };
        drop(removed);
        source.wake_all();
    }

    fn run(&self) {
        // Buffers reused across iterations: no allocation per wake-up.
        let mut reports: Vec<Readiness> = Vec::with_capacity(1024);
        let mut ready: Vec<(Arc<Source>, Readiness)> = Vec::with_capacity(1024);
        let mut wakers: Vec<Waker> = Vec::with_capacity(64);
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
                if report.readable {
                    source.take_wakers(Direction::Read, &mut wakers);
                }
                if report.writable {
                    source.take_wakers(Direction::Write, &mut wakers);
                }
                for waker in wakers.drain(..) {
                    waker.wake();
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

/// One registered socket.
pub(crate) struct Source {
    key: usize,
    fd: RawFd,
    directions: [DirectionState; 2],
}

#[derive(Default)]
struct DirectionState {
    tick: AtomicU64,
    waiters: Mutex<Vec<(u64, Waker)>>,
}

impl Source {
    /// The readiness tick of a direction; read it before trying the system call.
    #[inline]
    pub(crate) fn tick(&self, direction: Direction) -> u64 {
        self.directions[direction as usize]
            .tick
            .load(Ordering::Acquire)
    }

    /// Registers `waker` for `direction` unless readiness arrived since
    /// `tick` was read; returns false in that case (try the call again).
    pub(crate) fn register(&self, direction: Direction, tick: u64, id: u64, waker: &Waker) -> bool {
        let state = &self.directions[direction as usize];
        let mut waiters = lock(&state.waiters);
        if state.tick.load(Ordering::Acquire) != tick {
            return false;
        }
        let replaced = match waiters.iter_mut().find(|(i, _)| *i == id) {
            Some((_, existing)) if existing.will_wake(waker) => None,
            Some((_, existing)) => Some(std::mem::replace(existing, waker.clone())),
            None => {
                waiters.push((id, waker.clone()));
                None
            }
        };
        drop(waiters);
        drop(replaced);
        true
    }

    /// Forgets a waiter (its future was dropped or completed).
    pub(crate) fn unregister(&self, direction: Direction, id: u64) {
        let removed = {
            let mut waiters = lock(&self.directions[direction as usize].waiters);
            waiters
                .iter()
                .position(|(i, _)| *i == id)
                .map(|at| waiters.swap_remove(at))
        };
        drop(removed);
    }

    /// Records a readiness edge and moves the direction's wakers into `out`
    /// (to be woken after the lock is released). The waiter list keeps its
    /// capacity, so steady-state wake-ups allocate nothing.
    fn take_wakers(&self, direction: Direction, out: &mut Vec<Waker>) {
        let state = &self.directions[direction as usize];
        let mut waiters = lock(&state.waiters);
        state.tick.fetch_add(1, Ordering::AcqRel);
        out.extend(waiters.drain(..).map(|(_, waker)| waker));
    }

    /// Wakes every waiter in both directions (the socket was closed).
    pub(crate) fn wake_all(&self) {
        let mut wakers = Vec::new();
        self.take_wakers(Direction::Read, &mut wakers);
        self.take_wakers(Direction::Write, &mut wakers);
        for waker in wakers {
            waker.wake();
        }
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

/// Locks a mutex, ignoring poisoning: the reactor's state stays consistent
/// across a panic in a waker because every critical section is short and total.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// True once the reactor thread has been started in this process.
pub fn reactor_started() -> bool {
    REACTOR.get().is_some()
}
