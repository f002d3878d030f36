//! The timers of a connection: a reactor timer, and the one that bounds a
//! connection's reads. A leaf of the server's modules.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A timer in netstack's reactor (`Unpin`: it lives in structs as it is).
pub(crate) type Sleep = sockets::Sleep;

pub(crate) fn sleep_for(after: Duration) -> Sleep {
    sockets::sleep(after)
}

/// The reactor timer that bounds a connection's reads. Arming a timer
/// costs a lock and an insert (and later a remove) in the reactor's timer
/// map, so it is not armed anew for every read: a read whose deadline is
/// later than the armed one keeps it (when it fires early, it is re-armed
/// for the later deadline); only an earlier deadline replaces it.
pub(crate) struct ReadTimer {
    at: Instant,
    timer: Sleep,
    /// The waker the timer was last polled with (it stays registered).
    waker: Option<Waker>,
}

impl std::fmt::Debug for ReadTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTimer")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Makes sure `cx` is woken by `deadline`; `Ready` once it has passed.
pub(crate) fn poll_read_deadline(
    slot: &mut Option<ReadTimer>,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let now = Instant::now();
    if now >= deadline {
        return Poll::Ready(());
    }
    let armed = slot.as_mut().filter(|t| t.at <= deadline && now < t.at);
    let armed = match armed {
        Some(armed) => armed,
        None => slot.insert(ReadTimer {
            at: deadline,
            timer: sleep_for(deadline - now),
            waker: None,
        }),
    };
    if armed
        .waker
        .as_ref()
        .is_some_and(|w| w.will_wake(cx.waker()))
    {
        return Poll::Pending;
    }
    if Pin::new(&mut armed.timer).poll(cx).is_ready() {
        *slot = None;
        return Poll::Ready(());
    }
    armed.waker = Some(cx.waker().clone());
    Poll::Pending
}
