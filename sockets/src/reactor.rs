//! netstack's own reactor: it waits on the OS readiness API (epoll on
//! Linux, called directly; kqueue elsewhere through `polling`; see
//! [`crate::poller`]), reports readiness to each socket's [`Source`], and
//! fires timers.
//!
//! Whoever holds the *driver* does that: a thread about to park in
//! [`crate::block_on()`] takes it and waits in the poller itself, so the
//! wake-ups of its own tasks run in place, with no thread switch (as
//! async-io does). A background thread drives while no thread is inside
//! `block_on`; while one is, it stands back and only collects what is
//! pending now and then (after a pause that grows while there is nothing to
//! collect), for the futures of other executors and for the moments when
//! every `block_on` thread is busy.
//!
//! It starts at the first asynchronous call that needs it and never
//! before: a program that only uses the synchronous mode (or whose sockets
//! all live on tokio's driver and set no timeouts) has no reactor thread.
//!
//! Sockets are registered edge-triggered, for both directions at once.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::num::NonZeroU64;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::poller::{Poller, Readiness};
use crate::source::{lock, next_waiter_id, Direction, Source, SourceOwner};

/// The name of the reactor's thread, as `/proc/self/task/*/comm` shows it (at most 15 bytes on Linux).
pub const REACTOR_THREAD_NAME: &str = "netstack-io";

static REACTOR: OnceLock<&'static Reactor> = OnceLock::new();

pub(crate) struct Reactor {
    poller: Poller,
    sources: Mutex<HashMap<usize, Arc<dyn SourceOwner>>>,
    timers: Mutex<Timers>,
    /// Held by the thread that waits in the poller and dispatches.
    driver: Mutex<Turn>,
    /// Who holds the driver (`NOBODY`, `BACKGROUND`, `BLOCK_ON`).
    holder: AtomicU8,
    /// Threads inside `block_on` (which drive when they park).
    block_on_threads: AtomicUsize,
    background: OnceLock<Thread>,
}

/// The pending timers, and the deadline of the driver's current wait.
#[derive(Default)]
struct Timers {
    pending: BTreeMap<(Instant, u64), Waker>,
    /// The latest moment the thread in the poller wakes by itself (`None`:
    /// it waits without a deadline). A timer due before it needs a
    /// [`Poller::notify`]; one due later is found by the driver's next turn
    /// at no cost. Without this, every operation that arms a timeout would
    /// wake the driving thread (a cross-thread wake-up per request of an
    /// `AsyncClient` on tokio, whose sockets need the reactor only for timers).
    wait_until: Option<Instant>,
}

/// The buffers of one turn, reused: no allocation per wake-up.
struct Turn {
    reports: Vec<Readiness>,
    ready: Vec<(Arc<dyn SourceOwner>, Readiness)>,
}

const NOBODY: u8 = 0;
const BACKGROUND: u8 = 1;
#[cfg(not(feature = "async-io"))]
const BLOCK_ON: u8 = 2;

/// The background thread's pauses while `block_on` threads drive.
const PAUSE_MIN: Duration = Duration::from_micros(100);
const PAUSE_MAX: Duration = Duration::from_millis(10);

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
            timers: Mutex::new(Timers::default()),
            driver: Mutex::new(Turn {
                reports: Vec::with_capacity(1024),
                ready: Vec::with_capacity(1024),
            }),
            holder: AtomicU8::new(NOBODY),
            block_on_threads: AtomicUsize::new(0),
            background: OnceLock::new(),
        }));
        // Publish the reactor only once its thread runs, so that a failed
        // spawn leaves no reactor that nothing drives (the next call retries).
        let spawned = thread::Builder::new()
            .name(REACTOR_THREAD_NAME.into())
            .spawn(move || reactor.run());
        match spawned {
            Ok(handle) => {
                let _ = reactor.background.set(handle.thread().clone());
            }
            Err(err) => {
                // SAFETY: the thread was not started, so nothing else holds
                // `reactor`; it came from `Box::leak` just above.
                drop(unsafe { Box::from_raw(reactor as *const Reactor as *mut Reactor) });
                return Err(err);
            }
        }
        Ok(REACTOR.get_or_init(|| reactor))
    }

    /// The reactor if it has been started.
    pub(crate) fn running() -> Option<&'static Reactor> {
        REACTOR.get().copied()
    }

    /// Registers a non-blocking descriptor for both directions,
    /// edge-triggered; its readiness goes to `source`.
    #[cfg_attr(feature = "async-io", allow(dead_code))]
    pub(crate) fn register(&self, fd: RawFd, owner: Arc<dyn SourceOwner>) -> io::Result<()> {
        let key = owner.source().key();
        lock(&self.sources).insert(key, owner);
        // The descriptor stays open until `deregister` is called, which the
        // socket's handle does before it closes the descriptor.
        if let Err(err) = self.poller.add(fd, key) {
            lock(&self.sources).remove(&key);
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
            sources.remove(&source.key())
        };
        drop(removed);
    }

    /// The background thread: drives while no thread is inside `block_on`.
    fn run(&self) {
        let mut pause = PAUSE_MIN;
        loop {
            if self.block_on_threads.load(Ordering::Acquire) > 0 {
                thread::park_timeout(pause);
                let collected = match self.try_drive(BACKGROUND) {
                    Some(mut turn) => {
                        let n = self.turn(&mut turn, Some(Duration::ZERO));
                        self.release(turn);
                        n
                    }
                    None => 0,
                };
                pause = match collected {
                    0 => (pause * 2).min(PAUSE_MAX),
                    _ => PAUSE_MIN,
                };
                continue;
            }
            pause = PAUSE_MIN;
            let mut turn = lock(&self.driver);
            self.holder.store(BACKGROUND, Ordering::Release);
            if self.block_on_threads.load(Ordering::Acquire) == 0 {
                self.turn(&mut turn, None);
            }
            self.release(turn);
        }
    }

    /// Takes the driver if nobody holds it.
    fn try_drive(&self, who: u8) -> Option<MutexGuard<'_, Turn>> {
        let turn = self.driver.try_lock().ok()?;
        self.holder.store(who, Ordering::Release);
        Some(turn)
    }

    fn release(&self, turn: MutexGuard<'_, Turn>) {
        self.holder.store(NOBODY, Ordering::Release);
        drop(turn);
    }

    /// Waits for readiness (at most `timeout`, and never past the next
    /// timer), reports it to the sources and fires due timers. Returns how
    /// many reports and timers there were.
    fn turn(&self, turn: &mut Turn, timeout: Option<Duration>) -> usize {
        let (mut fired, timeout) = self.fire_timers(timeout);
        turn.reports.clear();
        if let Err(err) = self.poller.wait(&mut turn.reports, timeout) {
            if err.kind() != io::ErrorKind::Interrupted {
                // Nothing sensible can be done but retry after a pause.
                thread::sleep(Duration::from_millis(10));
            }
            return fired;
        }
        {
            let sources = lock(&self.sources);
            turn.ready.extend(
                turn.reports
                    .iter()
                    .filter_map(|r| sources.get(&r.key).map(|s| (Arc::clone(s), *r))),
            );
        }
        let reported = turn.ready.len();
        for (owner, report) in turn.ready.drain(..) {
            let source = owner.source();
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
        fired += self.fire_timers(Some(Duration::ZERO)).0;
        fired + reported
    }

    #[cfg(not(feature = "async-io"))]
    /// A thread enters `block_on`: from now on it drives when it parks, and
    /// the background thread stands back (it is woken from a long wait).
    pub(crate) fn enter_block_on(&self) {
        if self.block_on_threads.fetch_add(1, Ordering::AcqRel) == 0 {
            let _ = self.poller.notify();
        }
    }

    #[cfg(not(feature = "async-io"))]
    /// A thread leaves `block_on`; the last one hands driving back to the
    /// background thread.
    pub(crate) fn leave_block_on(&self) {
        if self.block_on_threads.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(background) = self.background.get() {
                background.unpark();
            }
        }
    }

    #[cfg(not(feature = "async-io"))]
    /// Drives for a thread about to park in `block_on`: `None` when another
    /// thread drives (its dispatch will wake this one), else one turn that
    /// ends at a readiness report, a due timer or [`notify`](Reactor::notify).
    /// `parked` is checked after the driver is taken: a wake-up that came
    /// first must not be slept through.
    pub(crate) fn drive_for_block_on(&self, still_idle: impl FnOnce() -> bool) -> Option<()> {
        let mut turn = loop {
            if let Some(turn) = self.try_drive(BLOCK_ON) {
                break turn;
            }
            if self.holder.load(Ordering::Acquire) != BACKGROUND {
                return None;
            }
            // The background thread collects briefly and lets go.
            thread::yield_now();
        };
        if still_idle() {
            self.turn(&mut turn, None);
        }
        self.release(turn);
        Some(())
    }

    #[cfg(not(feature = "async-io"))]
    /// Makes the thread that waits in the poller return from its turn.
    pub(crate) fn notify(&self) {
        let _ = self.poller.notify();
    }

    /// Wakes the timers that are due and plans the driver's next wait, at
    /// most `bound` (`None`: unbounded) and never past the next timer; a
    /// timer that fired may have woken the driving thread's own future, so
    /// then the wait only collects what is ready. Returns how many fired,
    /// and the wait's timeout.
    fn fire_timers(&self, bound: Option<Duration>) -> (usize, Option<Duration>) {
        let now = Instant::now();
        let mut due = Vec::new();
        let timeout = {
            let mut timers = lock(&self.timers);
            while let Some(entry) = timers.pending.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
            let next = timers
                .pending
                .keys()
                .next()
                .map(|(at, _)| at.saturating_duration_since(now));
            let timeout = match (bound, next) {
                _ if !due.is_empty() => Some(Duration::ZERO),
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            timers.wait_until = timeout.and_then(|t| now.checked_add(t));
            timeout
        };
        let fired = due.len();
        for waker in due {
            waker.wake();
        }
        (fired, timeout)
    }

    fn insert_timer(&self, at: Instant, id: u64, waker: &Waker) {
        let mut replaced = None;
        let wakes_too_late = {
            let mut timers = lock(&self.timers);
            match timers.pending.get_mut(&(at, id)) {
                Some(existing) if existing.will_wake(waker) => return,
                Some(existing) => replaced = Some(std::mem::replace(existing, waker.clone())),
                None => {
                    timers.pending.insert((at, id), waker.clone());
                }
            }
            timers.wait_until.is_none_or(|until| at < until)
        };
        // Wakers are dropped outside the lock: an executor's drop may call back in.
        drop(replaced);
        if wakes_too_late {
            let _ = self.poller.notify();
        }
    }

    fn remove_timer(&self, at: Instant, id: u64) {
        let removed = lock(&self.timers).pending.remove(&(at, id));
        drop(removed);
    }
}

/// A deadline in the reactor: ready once `at` has passed.
pub(crate) struct Timer {
    /// Nanoseconds from [`epoch`], plus one: a waiting operation keeps its
    /// timer in 16 bytes, and `Option<Timer>` in no more.
    at: NonZeroU64,
    /// The timer's id in the reactor, with `ARMED` set while it is there.
    id: u64,
}

/// Ids come from a counter that never reaches the top bit.
const ARMED: u64 = 1 << 63;

/// A deadline further away than this is taken as this far (30 years).
const FARTHEST: Duration = Duration::from_secs(86400 * 365 * 30);

/// The instant that timers count from: the first use of one.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Timer {
    pub(crate) fn after(duration: Duration) -> Timer {
        let epoch = epoch();
        let at = Instant::now().saturating_duration_since(epoch) + duration.min(FARTHEST);
        let nanos = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX - 1);
        Timer {
            at: NonZeroU64::MIN.saturating_add(nanos),
            id: next_waiter_id(),
        }
    }

    fn deadline(&self) -> Instant {
        epoch() + Duration::from_nanos(self.at.get() - 1)
    }

    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let at = self.deadline();
        if Instant::now() >= at {
            self.disarm();
            return Poll::Ready(());
        }
        match Reactor::get() {
            Ok(reactor) => {
                reactor.insert_timer(at, self.id & !ARMED, cx.waker());
                self.id |= ARMED;
                Poll::Pending
            }
            // Without a reactor no timer can fire; fail safe by expiring now.
            Err(_) => Poll::Ready(()),
        }
    }

    fn disarm(&mut self) {
        if self.id & ARMED != 0 {
            self.id &= !ARMED;
            if let Some(reactor) = Reactor::running() {
                reactor.remove_timer(self.deadline(), self.id);
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// True once the reactor thread has been started in this process.
pub fn reactor_started() -> bool {
    REACTOR.get().is_some()
}
