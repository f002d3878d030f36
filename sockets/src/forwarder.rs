//! The waker a foreign reactor holds for a socket (tokio's driver, async-io's
//! reactor): those keep one waker per direction, while netstack's futures
//! may be many per direction, so the waker they are given reports readiness
//! to the socket's [`Source`], which wakes every waiter of that direction.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::source::{Direction, Source, SourceOwner};

/// Calls `f` with the forwarder of one direction: a waker that reports
/// readiness to `owner`'s [`Source`], which wakes every waiter of that
/// direction. It is `owner`'s `Arc` pointer with the direction in its
/// lowest bit, so it costs no allocation; the one lent to `f` holds no
/// count, and a reactor that keeps it clones it, which takes one.
#[inline]
pub(crate) fn with_forwarder<T: SourceOwner, R>(
    owner: &Arc<T>,
    direction: Direction,
    f: impl FnOnce(&Waker) -> R,
) -> R {
    const {
        assert!(
            std::mem::align_of::<T>() >= 2,
            "the direction bit needs a spare low bit"
        )
    };
    let data = Arc::as_ptr(owner)
        .cast::<()>()
        .map_addr(|addr| addr | direction as usize);
    // SAFETY: `owner` keeps the data alive while `f` runs, and the lent
    // waker is never dropped (it holds no count to give back); clones take
    // a count of their own, which their drop or wake gives back.
    let lent =
        ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, Vtable::<T>::get())) });
    f(&lent)
}

struct Vtable<T>(PhantomData<T>);

impl<T: SourceOwner> Vtable<T> {
    fn get() -> &'static RawWakerVTable {
        &RawWakerVTable::new(Self::clone, Self::wake, Self::wake_by_ref, Self::drop)
    }

    fn parts(data: *const ()) -> (*const T, Direction) {
        let direction = match data.addr() & 1 {
            0 => Direction::Read,
            _ => Direction::Write,
        };
        (data.map_addr(|addr| addr & !1).cast::<T>(), direction)
    }

    unsafe fn clone(data: *const ()) -> RawWaker {
        let (owner, _) = Self::parts(data);
        // SAFETY: `owner` came from an `Arc` that is alive while the waker
        // being cloned exists (lent by its owner, or holding a count).
        unsafe { Arc::increment_strong_count(owner) };
        RawWaker::new(data, Self::get())
    }

    unsafe fn wake(data: *const ()) {
        // SAFETY: only clones are woken by value (the lent waker is never
        // given away): report, then give the clone's count back.
        unsafe {
            Self::wake_by_ref(data);
            Self::drop(data);
        }
    }

    unsafe fn wake_by_ref(data: *const ()) {
        let (owner, direction) = Self::parts(data);
        // SAFETY: the waker holds a count or is lent by the owner: alive.
        let source: &Source = unsafe { (*owner).source() };
        source.ready(direction);
    }

    unsafe fn drop(data: *const ()) {
        let (owner, _) = Self::parts(data);
        // SAFETY: only clones are dropped; this gives back the clone's count.
        unsafe { Arc::decrement_strong_count(owner) };
    }
}
