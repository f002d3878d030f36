//! The waiter of one pending asynchronous operation (its waker slot in the
//! socket's [`Source`] and its timer), and the two slots that the
//! `AsyncRead`/`AsyncWrite` impls keep per socket. A leaf: it knows the
//! source and the reactor's timers, not sockets.

use std::sync::{Mutex, MutexGuard};

use crate::reactor::Timer;
use crate::source::{next_waiter_id, Direction, Source};

/// A registered waker slot of one pending operation, removed when the
/// operation completes or its future is dropped. It names no `Source`: the
/// socket's registration, which the operation borrows, has it, so an
/// operation costs no reference count.
pub(crate) struct Waiter {
    id: u64,
    /// The tick the waker was last registered at (with `DIRECTLY` when the
    /// reactor holds the task's own waker), or `NOT_REGISTERED`. A report
    /// moves the tick and takes every waiter with it, so once the tick has
    /// moved there is nothing left to unregister.
    registered: u64,
    pub(crate) timer: Option<Timer>,
}

/// Ticks start at 1.
const NOT_REGISTERED: u64 = 0;

/// Marks a registration made with [`Source::register_direct`]; ticks
/// take the low 32 bits.
const DIRECTLY: u64 = 1 << 32;

/// Waiter ids come from a counter that starts at 1 and never gets here.
const NO_ID: u64 = u64::MAX;

impl Waiter {
    /// A waiter whose id is taken when it first registers (most operations
    /// complete at once and never need one).
    pub(crate) fn new() -> Waiter {
        Waiter::with_id(NO_ID)
    }

    pub(crate) fn with_id(id: u64) -> Waiter {
        Waiter {
            id,
            registered: NOT_REGISTERED,
            timer: None,
        }
    }

    /// The waiter's id, taken now if it has none yet.
    #[inline]
    pub(crate) fn id(&mut self) -> u64 {
        if self.id == NO_ID {
            self.id = next_waiter_id();
        }
        self.id
    }

    /// True when there is nothing to forget: no waker registered, no timer.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.registered == NOT_REGISTERED && self.timer.is_none()
    }

    /// Records that the waker was registered at `tick`, `directly` (with
    /// [`Source::register_direct`]) or not.
    #[inline]
    pub(crate) fn registered_at(&mut self, tick: u64, directly: bool) {
        self.registered = match directly {
            true => tick | DIRECTLY,
            false => tick,
        };
    }

    /// True when the waiter registered directly at `tick` already.
    #[inline]
    pub(crate) fn waits_directly_since(&self, tick: u64) -> bool {
        self.registered == tick | DIRECTLY
    }

    /// The operation is over (done, failed or dropped): forget its waker
    /// unless a report already took it, and drop its timer.
    #[inline]
    pub(crate) fn done(&mut self, direction: Direction, source: &Source) {
        let registered = std::mem::replace(&mut self.registered, NOT_REGISTERED);
        if registered & DIRECTLY != 0 {
            source.leave_direct(direction, registered & !DIRECTLY);
        } else if registered != NOT_REGISTERED && source.tick(direction) == registered {
            source.unregister(direction, self.id);
        }
        self.timer = None;
    }
}

/// The waker slots the trait impls use, one per direction: the trait
/// methods have no future of their own to keep a waiter in.
#[derive(Default)]
pub(crate) struct TraitWaiters([Mutex<Option<Waiter>>; 2]);

impl TraitWaiters {
    pub(crate) fn slot(&self, direction: Direction) -> MutexGuard<'_, Option<Waiter>> {
        self.0[direction as usize]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}
