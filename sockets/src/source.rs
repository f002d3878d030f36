//! What every asynchronous socket keeps, whichever reactor reports its
//! readiness: per direction, the wakers of the operations waiting for it, a
//! *tick* that moves on every readiness report, and a readiness cache.
//!
//! A future reads the tick, tries its system call, and on `WouldBlock`
//! registers its waker only if the tick has not moved meanwhile — so a
//! readiness report that arrives between the attempt and the registration
//! is never lost.
//!
//! The readiness cache (as tokio's `ScheduledIo` keeps one): a direction
//! is *cleared* at the tick where a call found it not ready — `WouldBlock`,
//! or a short read or write on a stream, which drains the receive buffer or
//! fills the send buffer. While the tick has not moved since, a call skips
//! its system call, which is known to fail, and waits at once. Readiness is
//! edge-triggered, so the next report moves the tick and opens the way again.
//! A final state (the peer shut down its side, a hang-up, an error) is
//! reported once and never again, so once seen the direction is never
//! cleared: end of stream may wait behind the data a short read left.

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;

/// A direction of readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read = 0,
    Write = 1,
}

static NEXT_WAITER: AtomicU64 = AtomicU64::new(1);

/// Waiter id 0 is the slot used by the `poll_read`/`poll_write` trait impls,
/// which have no future of their own to hold an id.
pub(crate) const TRAIT_WAITER: u64 = 0;

/// The id under which a direction keeps the waker of the last operation
/// that waited directly (see [`Source::register_direct`]); waiter ids
/// count up from 1 and never get here.
const STICKY: u64 = u64::MAX - 1;

/// A fresh waiter id. Each thread takes ids from the shared counter a
/// block at a time: one counter bumped by every operation on every worker
/// would bounce its cache line between the cores.
pub(crate) fn next_waiter_id() -> u64 {
    const BLOCK: u64 = 1024;
    thread_local! {
        static BLOCK_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    BLOCK_LEFT
        .try_with(|left| {
            let (next, end) = left.get();
            if next < end {
                left.set((next + 1, end));
                return next;
            }
            let start = NEXT_WAITER.fetch_add(BLOCK, Ordering::Relaxed);
            left.set((start + 1, start + BLOCK));
            start
        })
        .unwrap_or_else(|_| NEXT_WAITER.fetch_add(1, Ordering::Relaxed))
}

/// What one attempt at a non-blocking call came to.
pub(crate) enum Attempt<T> {
    /// The call ran (or the reactor failed); this is its result.
    Done(io::Result<T>),
    /// The direction is not ready: register the waker and wait.
    NotReady,
    /// The direction is not ready, and the reactor holds the task's own
    /// waker, given as the direction's only waiter: record the waiter with
    /// [`Source::register_direct`] (close and deregistration wake it there).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    WaitingDirectly,
    /// The executor asks the task to yield (tokio's cooperative budget is
    /// spent); it will poll the task again.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Yield,
    /// The reactor is gone (its runtime shut down): move, then try again.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Stale,
}

/// What holds a socket's [`Source`] and is shared with the reactors (the
/// socket's registration): they keep it alive and report readiness to its
/// source.
pub(crate) trait SourceOwner: Send + Sync + 'static {
    fn source(&self) -> &Source;
}

/// The asynchronous state of one socket.
pub(crate) struct Source {
    /// Per direction, its tick and its readiness cache in one word (see
    /// [`DirectionState`]), so that an idle connection's registration stays
    /// within the size that glibc packs beside tokio's task for free (C10K
    /// in `BENCHMARKS.md`).
    directions: [DirectionState; 2],
    /// The wakers waiting, per direction, under one lock, for the same reason.
    waiters: Mutex<[Waiters; 2]>,
}

/// One direction's state in one atomic word:
///
/// - bits 0–29, the *tick*: moves on every readiness report, counting from
///   1 and wrapping past 0, which it never takes;
/// - bit 30, `DIRECT`: an operation waits with its task's own waker in the
///   reactor (see [`Source::register_direct`]); a report ends that wait;
/// - bit 31, `SHARED`: set for good once two operations waited in the
///   direction at the same time (until then a reactor that keeps one waker
///   per direction, tokio's, is given the task's own waker; from then on,
///   the forwarder);
/// - bits 32–61, the tick at which the direction was last found not ready
///   (0: never, or forgotten);
/// - bit 63, `CLOSED`: a final state was reported; never skip the system
///   call again.
///
/// A tick as the methods give and take it is the tick and `SHARED`.
///
/// A cleared tick equal to the current one is what the cache knows; since
/// ticks wrap, it could be right by accident only after 2^30 reports
/// between a call that found the direction not ready and the next look,
/// while that call's own wait was never woken (tokio's own tick has 15 bits).
struct DirectionState(AtomicU64);

const TICK: u64 = (1 << 30) - 1;
const DIRECT: u64 = 1 << 30;
const SHARED: u64 = 1 << 31;
const CLEARED_SHIFT: u32 = 32;
const CLOSED: u64 = 1 << 63;

impl DirectionState {
    #[inline]
    fn load(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Applies `f` to the word until no other change races it.
    fn update(&self, f: impl Fn(u64) -> Option<u64>) {
        let _ = self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, f);
    }
}

/// The tick (with `SHARED`, without `DIRECT`) of a word.
#[inline]
fn tick_of(word: u64) -> u64 {
    word & (TICK | SHARED)
}

/// The tick at which a word's direction was last found not ready.
#[inline]
fn cleared_of(word: u64) -> u64 {
    (word >> CLEARED_SHIFT) & TICK
}

impl Default for DirectionState {
    fn default() -> DirectionState {
        // Ready until a call finds otherwise: the first call tries at once.
        DirectionState(AtomicU64::new(1))
    }
}

impl Source {
    pub(crate) fn new() -> Source {
        Source {
            directions: [DirectionState::default(), DirectionState::default()],
            waiters: Mutex::default(),
        }
    }

    /// The readiness tick of a direction; read it before trying the system call.
    #[inline]
    pub(crate) fn tick(&self, direction: Direction) -> u64 {
        tick_of(self.directions[direction as usize].load())
    }

    /// True when the direction was found not ready at `tick` and nothing
    /// was reported since: the system call would fail with `WouldBlock`.
    #[inline]
    pub(crate) fn known_not_ready(&self, direction: Direction, tick: u64) -> bool {
        let word = self.directions[direction as usize].load();
        word & CLOSED == 0 && cleared_of(word) == tick & TICK && tick_of(word) == tick
    }

    /// Records a final state of `direction` (before its readiness report).
    pub(crate) fn close_direction(&self, direction: Direction) {
        self.directions[direction as usize]
            .0
            .fetch_or(CLOSED, Ordering::AcqRel);
    }

    /// Records that a call which read `tick` before it ran found the
    /// direction not ready; a report since then, or a final state, wins.
    #[inline]
    pub(crate) fn clear(&self, direction: Direction, tick: u64) {
        self.directions[direction as usize].update(|word| {
            (word & CLOSED == 0 && tick_of(word) == tick)
                .then_some(word & !(TICK << CLEARED_SHIFT) | (tick & TICK) << CLEARED_SHIFT)
        });
    }

    /// Forgets what the cache knows (the socket moved to another reactor,
    /// which reports the current state afresh); a final state stays.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn assume_ready(&self) {
        for state in &self.directions {
            state.update(|word| Some(word & !(TICK << CLEARED_SHIFT)));
        }
    }

    /// This socket's key in netstack's reactor: its address, which is
    /// unique while the reactor holds it. A key that comes back in a batch
    /// of events after its socket was deregistered can at worst name a new
    /// socket at the same address, for which the report is spurious.
    pub(crate) fn key(&self) -> usize {
        self as *const Source as usize
    }

    /// Registers `waker` for `direction` unless readiness arrived since
    /// `tick` was read; returns false in that case (try the call again).
    pub(crate) fn register(&self, direction: Direction, tick: u64, id: u64, waker: &Waker) -> bool {
        let mut waiters = lock(&self.waiters);
        if self.tick(direction) != tick {
            return false;
        }
        let replaced = waiters[direction as usize].set(id, waker);
        drop(waiters);
        drop(replaced);
        true
    }

    /// True once two operations waited in `direction` at the same time: a
    /// reactor with one waker per direction must then hold the forwarder.
    #[inline]
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn is_shared(&self, direction: Direction) -> bool {
        self.tick(direction) & SHARED != 0
    }

    /// Records that an operation waits with its task's own waker in the
    /// reactor (see [`Attempt::WaitingDirectly`]), and keeps a copy of
    /// that waker so that close and deregistration can wake it. `again` is
    /// true when this operation registered so at `tick` before (it was
    /// polled again without a report). Returns false when the caller must
    /// try again: readiness or a close arrived since `tick` was read, or
    /// another operation waits in this direction too. In that last case the
    /// direction becomes shared for good and every waiter is woken, since
    /// the reactor may have dropped another waiter's waker for this one's:
    /// each tries again and leaves the forwarder with the reactor.
    ///
    /// The copy stays after the operation ends (only [`DIRECT`] is
    /// cleared, by [`Source::leave_direct`], without the lock), so that the
    /// next operation of the same task finds it in place and neither
    /// clones nor drops a waker. It holds that task's allocation until
    /// another task waits here, a report takes it, or the socket is closed.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn register_direct(
        &self,
        direction: Direction,
        tick: u64,
        again: bool,
        waker: &Waker,
    ) -> bool {
        let state = &self.directions[direction as usize];
        let mut waiters = lock(&self.waiters);
        let word = state.load();
        if tick_of(word) != tick {
            return false;
        }
        let slot = &mut waiters[direction as usize];
        let another = !again && word & DIRECT != 0;
        if tick & SHARED != 0 || another || slot.has_other_than(STICKY) {
            state.0.fetch_or(SHARED, Ordering::AcqRel);
            drop(waiters);
            self.ready(direction);
            return false;
        }
        if !again {
            state.0.fetch_or(DIRECT, Ordering::AcqRel);
        }
        let replaced = slot.set(STICKY, waker);
        drop(waiters);
        drop(replaced);
        true
    }

    /// The operation that waited directly since `tick` ends: unless a
    /// report came since (which ended the wait and took the waker), the
    /// direction is free for the next one. The waker's copy stays.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn leave_direct(&self, direction: Direction, tick: u64) {
        self.directions[direction as usize]
            .update(|word| (tick_of(word) == tick && word & DIRECT != 0).then_some(word & !DIRECT));
    }

    /// Forgets a waiter (its future was dropped or completed).
    pub(crate) fn unregister(&self, direction: Direction, id: u64) {
        let removed = {
            let mut waiters = lock(&self.waiters);
            waiters[direction as usize].remove(id)
        };
        drop(removed);
    }

    /// Records a readiness report for `direction` and wakes the waiters
    /// present at that moment, all of them: a waiter registered with an
    /// earlier tick is never left behind. Wakers run outside the lock (an
    /// executor's wake or drop may call back in). The common single waiter
    /// is inline, so a report allocates nothing; several waiters take their
    /// `Vec` with them.
    pub(crate) fn ready(&self, direction: Direction) {
        let state = &self.directions[direction as usize];
        let (first, more) = {
            let mut waiters = lock(&self.waiters);
            state.update(|word| {
                let next = match (word & TICK) + 1 {
                    t if t > TICK => 1,
                    t => t,
                };
                Some(word & !(TICK | DIRECT) | next)
            });
            let waiters = &mut waiters[direction as usize];
            (waiters.first.take(), waiters.more.take())
        };
        if let Some((_, waker)) = first {
            waker.wake();
        }
        if let Some(more) = more {
            for (_, waker) in *more {
                waker.wake();
            }
        }
    }

    /// True while an operation waits in either direction.
    pub(crate) fn has_waiters(&self) -> bool {
        let waiters = lock(&self.waiters);
        self.directions
            .iter()
            .zip(waiters.iter())
            .any(|(state, waiters)| state.load() & DIRECT != 0 || waiters.has_other_than(STICKY))
    }

    /// Wakes every waiter in both directions (the socket was closed).
    pub(crate) fn wake_all(&self) {
        self.ready(Direction::Read);
        self.ready(Direction::Write);
    }
}

/// The wakers waiting for one direction: the first inline (an idle
/// connection has one pending receive, and no allocation for it), any more
/// out of line (every socket pays for the pointer only).
#[derive(Default)]
struct Waiters {
    first: Option<(u64, Waker)>,
    #[expect(
        clippy::box_collection,
        reason = "a pointer in every socket; the Vec only where a direction has several waiters"
    )]
    more: Option<Box<Vec<(u64, Waker)>>>,
}

impl Waiters {
    /// Sets the waker of waiter `id`; returns the one it replaces, to be
    /// dropped outside the lock.
    fn set(&mut self, id: u64, waker: &Waker) -> Option<Waker> {
        let first_free = self.first.is_none();
        let slot = match &mut self.first {
            Some((first, existing)) if *first == id => Some(existing),
            _ => self
                .more
                .iter_mut()
                .flat_map(|more| more.iter_mut())
                .find(|(i, _)| *i == id)
                .map(|(_, existing)| existing),
        };
        match slot {
            Some(existing) if existing.will_wake(waker) => None,
            Some(existing) => Some(std::mem::replace(existing, waker.clone())),
            None if first_free => {
                self.first = Some((id, waker.clone()));
                None
            }
            None => {
                self.more.get_or_insert_default().push((id, waker.clone()));
                None
            }
        }
    }

    fn has_other_than(&self, id: u64) -> bool {
        self.first.as_ref().is_some_and(|(first, _)| *first != id)
            || self
                .more
                .iter()
                .flat_map(|more| more.iter())
                .any(|(other, _)| *other != id)
    }

    fn remove(&mut self, id: u64) -> Option<(u64, Waker)> {
        let more = self.more.as_deref_mut();
        if matches!(&self.first, Some((first, _)) if *first == id) {
            return std::mem::replace(&mut self.first, more.and_then(Vec::pop));
        }
        let more = more?;
        let at = more.iter().position(|(i, _)| *i == id)?;
        Some(more.swap_remove(at))
    }
}

/// Locks a mutex, ignoring poisoning: every critical section here is short
/// and leaves the state consistent even if a waker panics.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counters(n: usize) -> Vec<Arc<Count>> {
        (0..n)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect()
    }

    /// How many times each counter was woken.
    fn woken(counts: &[Arc<Count>]) -> Vec<usize> {
        counts.iter().map(|c| c.0.load(Ordering::SeqCst)).collect()
    }

    #[test]
    fn a_report_wakes_every_waiter_present_and_only_those() {
        let source = Source::new();
        let counts = counters(10);
        let tick = source.tick(Direction::Read);
        for (id, count) in (1u64..).zip(&counts) {
            assert!(source.register(Direction::Read, tick, id, &Waker::from(Arc::clone(count))));
        }
        // One waiter leaves before the report.
        source.unregister(Direction::Read, 4);
        source.ready(Direction::Read);
        assert_eq!(woken(&counts), [1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
        // A registration made with the old tick is refused: try again.
        let late = Waker::from(Arc::clone(&counts[0]));
        assert!(!source.register(Direction::Read, tick, 1, &late));
        // Nothing is left to wake: a second report wakes no one.
        source.ready(Direction::Read);
        assert_eq!(counts[1].0.load(Ordering::SeqCst), 1);
        // The other direction is untouched.
        assert_eq!(source.tick(Direction::Write), tick);
    }

    #[test]
    fn several_waiters_in_both_directions_are_kept_and_woken_apart() {
        let source = Source::new();
        let counts = counters(6);
        let (read, write) = (source.tick(Direction::Read), source.tick(Direction::Write));
        // Ids 1-3 read, 4-6 write, registered interleaved.
        for (id, count) in (1u64..).zip(&counts) {
            let (direction, tick) = match id {
                1..=3 => (Direction::Read, read),
                _ => (Direction::Write, write),
            };
            let waker = Waker::from(Arc::clone(count));
            assert!(source.register(direction, tick, id, &waker));
        }
        // The first writer leaves: another writer takes its inline place,
        // and no reader is touched.
        source.unregister(Direction::Write, 4);
        // An id is looked up in its own direction only.
        source.unregister(Direction::Read, 5);
        source.ready(Direction::Write);
        assert_eq!(woken(&counts), [0, 0, 0, 0, 1, 1]);
        assert!(source.has_waiters());
        source.ready(Direction::Read);
        assert_eq!(woken(&counts), [1, 1, 1, 0, 1, 1]);
        assert!(!source.has_waiters());
    }

    #[test]
    fn the_readiness_cache_clears_at_a_tick_and_opens_at_the_next_report() {
        let source = Source::new();
        let tick = source.tick(Direction::Write);
        assert!(!source.known_not_ready(Direction::Write, tick));
        source.clear(Direction::Write, tick);
        assert!(source.known_not_ready(Direction::Write, tick));
        source.ready(Direction::Write);
        assert!(!source.known_not_ready(Direction::Write, source.tick(Direction::Write)));
        // A final state is never cleared.
        let tick = source.tick(Direction::Read);
        source.close_direction(Direction::Read);
        source.clear(Direction::Read, tick);
        assert!(!source.known_not_ready(Direction::Read, tick));
    }

    #[test]
    fn a_tick_wraps_past_zero_and_keeps_the_other_bits() {
        let source = Source::new();
        let state = &source.directions[Direction::Read as usize];
        state.0.store(TICK | SHARED, Ordering::SeqCst);
        source.clear(Direction::Read, TICK | SHARED);
        assert!(source.known_not_ready(Direction::Read, TICK | SHARED));
        source.ready(Direction::Read);
        assert_eq!(source.tick(Direction::Read), 1 | SHARED);
        assert!(source.is_shared(Direction::Read));
        assert!(!source.known_not_ready(Direction::Read, 1 | SHARED));
        // A clear made with a tick that has moved on is dropped.
        source.clear(Direction::Read, TICK | SHARED);
        assert!(!source.known_not_ready(Direction::Read, source.tick(Direction::Read)));
        source.clear(Direction::Read, 1 | SHARED);
        assert!(source.known_not_ready(Direction::Read, 1 | SHARED));
        source.assume_ready();
        assert!(!source.known_not_ready(Direction::Read, 1 | SHARED));
        assert_eq!(source.tick(Direction::Write), 1);
    }

    #[test]
    fn a_second_waiter_shares_the_direction_for_good_and_wakes_the_first() {
        let source = Source::new();
        let first = Arc::new(Count(AtomicUsize::new(0)));
        let second = Arc::new(Count(AtomicUsize::new(0)));
        let tick = source.tick(Direction::Read);
        let waker = Waker::from(Arc::clone(&first));
        assert!(source.register_direct(Direction::Read, tick, false, &waker));
        // The same waiter again (a spurious wake-up) stays direct.
        assert!(source.register_direct(Direction::Read, tick, true, &waker));
        assert!(!source.is_shared(Direction::Read));
        // A close wakes a direct waiter through its copy here.
        assert!(source.has_waiters());
        source.wake_all();
        assert_eq!(first.0.load(Ordering::SeqCst), 1);
        assert!(!source.has_waiters());

        // Operations one after another, of any task, stay direct: the
        // waker's copy outlives its operation but not its wait.
        let tick = source.tick(Direction::Read);
        assert!(source.register_direct(Direction::Read, tick, false, &waker));
        source.leave_direct(Direction::Read, tick);
        assert!(!source.has_waiters());
        let late = Waker::from(Arc::clone(&second));
        assert!(source.register_direct(Direction::Read, tick, false, &late));
        source.leave_direct(Direction::Read, tick);
        assert!(source.register_direct(Direction::Read, tick, false, &waker));
        assert!(!source.is_shared(Direction::Read));

        // A second waiter while the first waits: refused, the first is
        // woken (the reactor may have dropped its waker), and the direction
        // is shared from now on.
        assert!(!source.register_direct(Direction::Read, tick, false, &late));
        assert_eq!(first.0.load(Ordering::SeqCst), 2);
        assert_eq!(second.0.load(Ordering::SeqCst), 0);
        assert!(source.is_shared(Direction::Read));
        let tick = source.tick(Direction::Read);
        assert!(!source.register_direct(Direction::Read, tick, false, &late));
        // The other direction is untouched.
        assert!(!source.is_shared(Direction::Write));
    }
}
