//! A reactor timer kept armed across the waits of one connection: arming
//! a timer costs a lock and an insert (and later a remove) in the
//! reactor's timer map, so a wait whose deadline is later than the armed
//! one keeps it (when it fires early, it is re-armed for the later
//! deadline); only an earlier deadline replaces it. The server bounds its
//! reads with one, the client each wait of a connection (its timer stays
//! armed while the connection idles in the pool, holding the last waiting
//! task's waker until it fires or the connection is used again).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The armed timer of a connection.
pub(crate) struct ArmedTimer {
    at: Instant,
    timer: sockets::Sleep,
    /// The waker the timer was last polled with, which the reactor holds
    /// until the timer fires.
    waker: Option<Waker>,
}

impl std::fmt::Debug for ArmedTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmedTimer")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Makes sure `cx` is woken by `deadline`; `Ready` once it has passed.
pub(crate) fn poll_deadline(
    slot: &mut Option<ArmedTimer>,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Poll::Ready(());
        }
        let armed = slot.as_mut().filter(|t| t.at <= deadline && now < t.at);
        let armed = match armed {
            Some(armed) => armed,
            None => slot.insert(ArmedTimer {
                at: deadline,
                timer: sockets::sleep(deadline - now),
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
            let kept_earlier = armed.at < deadline;
            *slot = None;
            if kept_earlier {
                // An earlier deadline's timer, which passed since `now`
                // was read: arm one for this deadline.
                continue;
            }
            return Poll::Ready(());
        }
        armed.waker = Some(cx.waker().clone());
        return Poll::Pending;
    }
}
