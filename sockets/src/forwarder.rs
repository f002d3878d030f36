//! The waker a foreign reactor holds for a socket (tokio's driver, async-io's
//! reactor): those keep one waker per direction, while netstack's futures
//! may be many per direction, so the waker they are given reports readiness
//! to the socket's [`Source`], which wakes every waiter of that direction.

use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::source::{Direction, Source};

/// The forwarder of one direction: a waker that reports readiness to the
/// socket's [`Source`], which wakes every waiter of that direction. It is
/// the `Source`'s `Arc` pointer with the direction in its lowest bit (a
/// `Source` is 8-byte aligned), so it costs no allocation per socket.
pub(crate) fn forwarder(source: &Arc<Source>, direction: Direction) -> Waker {
    let data = Arc::into_raw(Arc::clone(source))
        .cast::<()>()
        .map_addr(|addr| addr | direction as usize);
    // SAFETY: `data` carries one strong count of the `Source`, which the
    // vtable's functions keep balanced: clone adds one, drop and wake
    // (by value) give one back.
    unsafe { Waker::from_raw(RawWaker::new(data, &FORWARDER)) }
}

// The direction bit needs a spare low bit in the pointer.
const _: () = assert!(std::mem::align_of::<Source>() >= 2);

static FORWARDER: RawWakerVTable = RawWakerVTable::new(
    clone_forwarder,
    wake_forwarder,
    wake_forwarder_by_ref,
    drop_forwarder,
);

fn forwarder_parts(data: *const ()) -> (*const Source, Direction) {
    let direction = match data.addr() & 1 {
        0 => Direction::Read,
        _ => Direction::Write,
    };
    (data.map_addr(|addr| addr & !1).cast::<Source>(), direction)
}

unsafe fn clone_forwarder(data: *const ()) -> RawWaker {
    let (source, _) = forwarder_parts(data);
    // SAFETY: `source` came from `Arc::into_raw` and the waker being cloned
    // holds a strong count, so the `Source` is alive.
    unsafe { Arc::increment_strong_count(source) };
    RawWaker::new(data, &FORWARDER)
}

unsafe fn wake_forwarder(data: *const ()) {
    // SAFETY: the waker is consumed: report, then give its count back.
    unsafe {
        wake_forwarder_by_ref(data);
        drop_forwarder(data);
    }
}

unsafe fn wake_forwarder_by_ref(data: *const ()) {
    let (source, direction) = forwarder_parts(data);
    // SAFETY: the waker holds a strong count, so the `Source` is alive.
    unsafe { (*source).ready(direction) };
}

unsafe fn drop_forwarder(data: *const ()) {
    let (source, _) = forwarder_parts(data);
    // SAFETY: gives back the strong count this waker held.
    unsafe { Arc::decrement_strong_count(source) };
}
