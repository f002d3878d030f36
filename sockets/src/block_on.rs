//! [`block_on`]: netstack's minimal executor, which drives the reactor its
//! sockets wait on from the thread that runs it.

use std::future::Future;
#[cfg(not(feature = "async-io"))]
use std::pin::pin;
#[cfg(not(feature = "async-io"))]
use std::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(feature = "async-io"))]
use std::sync::Arc;
#[cfg(not(feature = "async-io"))]
use std::task::{Context, Poll};

#[cfg(not(feature = "async-io"))]
use crate::reactor::Reactor;

/// Runs a future to completion on the current thread. A minimal executor for
/// programs (and doctests) that have no runtime of their own; netstack's
/// futures also run under tokio, smol or any other executor.
///
/// With the `async-io` feature this is async-io's `block_on`, which drives
/// async-io's reactor (where the sockets wait) on this thread.
#[cfg(feature = "async-io")]
pub fn block_on<F: Future>(future: F) -> F::Output {
    async_io::block_on(future)
}

/// Runs a future to completion on the current thread. A minimal executor for
/// programs (and doctests) that have no runtime of their own; netstack's
/// futures also run under tokio, smol or any other executor.
///
/// While the future waits, this thread drives netstack's reactor itself
/// (unless another `block_on` thread already does): it waits in the poller
/// and runs the wake-ups of its own sockets in place, with no thread switch.
#[cfg(not(feature = "async-io"))]
pub fn block_on<F: Future>(future: F) -> F::Output {
    use std::task::Waker;

    let signal = Arc::new(Signal {
        state: AtomicU8::new(IDLE),
        thread: std::thread::current(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut driving = None;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        signal.wait(&mut driving);
    }
}

#[cfg(not(feature = "async-io"))]
const IDLE: u8 = 0;
#[cfg(not(feature = "async-io"))]
const NOTIFIED: u8 = 1;
#[cfg(not(feature = "async-io"))]
const PARKED: u8 = 2;
#[cfg(not(feature = "async-io"))]
const DRIVING: u8 = 3;

#[cfg(not(feature = "async-io"))]
std::thread_local! {
    /// True while this thread waits in the reactor's poller for `block_on`.
    static DRIVING_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(not(feature = "async-io"))]
/// The wake-up state of one `block_on`.
struct Signal {
    state: AtomicU8,
    thread: std::thread::Thread,
}

#[cfg(not(feature = "async-io"))]
/// Counts this thread among those inside `block_on` while it lives.
struct BlockOnThread(&'static Reactor);

#[cfg(not(feature = "async-io"))]
impl Drop for BlockOnThread {
    fn drop(&mut self) {
        self.0.leave_block_on();
    }
}

#[cfg(not(feature = "async-io"))]
impl Signal {
    /// Returns once the future has been woken: drives the reactor meanwhile
    /// when it can, else parks the thread.
    fn wait(&self, driving: &mut Option<BlockOnThread>) {
        loop {
            if self
                .state
                .compare_exchange(NOTIFIED, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
            if let Some(reactor) = Reactor::running() {
                driving.get_or_insert_with(|| {
                    reactor.enter_block_on();
                    BlockOnThread(reactor)
                });
                let drove = reactor.drive_for_block_on(|| {
                    let idle = self
                        .state
                        .compare_exchange(IDLE, DRIVING, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok();
                    DRIVING_HERE.set(idle);
                    idle
                });
                if drove.is_some() {
                    DRIVING_HERE.set(false);
                    // DRIVING back to IDLE, or NOTIFIED: the loop sees which.
                    let _ = self.state.compare_exchange(
                        DRIVING,
                        IDLE,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    continue;
                }
            }
            // Another thread drives (or there is no reactor): sleep until woken.
            if self
                .state
                .compare_exchange(IDLE, PARKED, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            while self.state.load(Ordering::Acquire) == PARKED {
                std::thread::park();
            }
        }
    }
}

#[cfg(not(feature = "async-io"))]
impl std::task::Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match self.state.swap(NOTIFIED, Ordering::AcqRel) {
            PARKED => self.thread.unpark(),
            // Woken from another thread while this one waits in the poller.
            DRIVING if !DRIVING_HERE.get() => {
                if let Some(reactor) = Reactor::running() {
                    reactor.notify();
                }
            }
            _ => {}
        }
    }
}
