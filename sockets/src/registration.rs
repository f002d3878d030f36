//! A socket's registration for the asynchronous mode: its [`Source`] and
//! the reactor that reports its readiness — tokio's I/O driver when the
//! socket waits inside a tokio runtime (with the `tokio` feature), and
//! everywhere else netstack's own reactor, or async-io's with the `async-io`
//! feature.
//!
//! A socket follows the context it waits in: when an operation is about to
//! wait and the socket is linked to another reactor than the current
//! context's (it was first used under `sockets::block_on` and now waits in a
//! tokio runtime, or its runtime has shut down), it moves there first. The
//! move is transparent: the data stays where it is, the new reactor
//! reports the socket's state afresh, and the waiters try again there
//! (woken at once when it is tokio's, by its reports otherwise).

use std::io;
use std::os::fd::RawFd;
#[cfg(feature = "tokio")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::Context;

#[cfg(feature = "async-io")]
use crate::async_io_link::AsyncIoLink;
#[cfg(any(feature = "tokio", feature = "async-io"))]
use crate::forwarder::with_forwarder;
use crate::reactor::Reactor;
use crate::source::{Attempt, Direction, Source, SourceOwner};
#[cfg(feature = "tokio")]
use crate::tokio_link::{self, TokioLink};

/// Made at a socket's first asynchronous call, in one allocation that the
/// reactors share (they hold it to report readiness to its source), so that
/// the socket itself stays small: an idle connection's task holds it.
pub(crate) struct Registration {
    pub(crate) source: Source,
    /// The context the link was last found right for, so that a wait
    /// there takes no lock and asks tokio nothing: [`ANY_CONTEXT`] for a
    /// multi-thread runtime's driver (always driven), the id of the tokio
    /// task last seen waiting on a current-thread runtime's driver (a task
    /// runs on its runtime only), [`ON_FALLBACK`], or [`UNCONFIRMED`].
    #[cfg(feature = "tokio")]
    confirmed: AtomicU64,
    link: RwLock<Link>,
}

#[cfg(feature = "tokio")]
const UNCONFIRMED: u64 = 0;
#[cfg(feature = "tokio")]
const ANY_CONTEXT: u64 = u64::MAX;
/// On the fallback reactor (netstack's own, or async-io's): a wait needs a
/// closer look only when it runs inside a tokio runtime.
#[cfg(feature = "tokio")]
const ON_FALLBACK: u64 = u64::MAX - 1;

impl SourceOwner for Registration {
    fn source(&self) -> &Source {
        &self.source
    }
}

enum Link {
    /// netstack's own reactor, under the source's key.
    #[cfg_attr(feature = "async-io", allow(dead_code))]
    Own,
    #[cfg(feature = "async-io")]
    AsyncIo(AsyncIoLink),
    #[cfg(feature = "tokio")]
    Tokio(TokioLink),
    /// Deregistered: the descriptor is being closed.
    Gone,
}

impl Registration {
    /// Registers the non-blocking descriptor `fd` with the current context's reactor.
    pub(crate) fn new(fd: RawFd) -> io::Result<Arc<Registration>> {
        // Inside a tokio runtime, tokio's registration is made first: the
        // order of the two allocations decides how glibc packs them beside
        // the task's (C10K in `BENCHMARKS.md`).
        #[cfg(feature = "tokio")]
        let runtime = tokio_link::current_runtime();
        #[cfg(feature = "tokio")]
        let tokio = runtime
            .as_ref()
            .and_then(|runtime| TokioLink::new(runtime, fd));
        #[cfg(feature = "tokio")]
        let first = tokio.map_or(Link::Gone, Link::Tokio);
        #[cfg(not(feature = "tokio"))]
        let first = Link::Gone;
        let linked = !matches!(first, Link::Gone);
        let registration = Arc::new(Registration {
            source: Source::new(),
            #[cfg(feature = "tokio")]
            confirmed: AtomicU64::new(UNCONFIRMED),
            link: RwLock::new(first),
        });
        if !linked {
            let link = Link::fallback(fd, &registration)?;
            *write(&registration.link) = link;
        }
        #[cfg(feature = "tokio")]
        registration.confirm(&read(&registration.link), runtime.as_ref());
        Ok(registration)
    }

    /// Tries `op` unless the direction is known not to be ready. `tick` is
    /// the source's tick, read before. `drained` tells from a result that
    /// the direction is no longer ready (a short stream read or write).
    #[inline]
    pub(crate) fn try_io<T>(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        direction: Direction,
        tick: u64,
        op: impl FnMut() -> io::Result<T>,
        drained: impl Fn(&T) -> bool,
    ) -> Attempt<T> {
        let link = read(&self.link);
        match &*link {
            Link::Own => {
                let _ = cx;
                try_own(&self.source, direction, tick, op, drained)
            }
            #[cfg(feature = "async-io")]
            Link::AsyncIo(link) => with_forwarder(self, direction, |forwarder| {
                link.try_io(&self.source, direction, tick, forwarder, op)
            }),
            #[cfg(feature = "tokio")]
            Link::Tokio(tokio) if !self.source.is_shared(direction) => {
                tokio.try_io_direct(cx, direction, op, drained)
            }
            #[cfg(feature = "tokio")]
            Link::Tokio(tokio) => with_forwarder(self, direction, |forwarder| {
                tokio.try_io(cx, direction, forwarder, op, drained)
            }),
            Link::Gone => Attempt::Done(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    /// True when the reactor knows `direction` is not ready (see
    /// [`Socket::known_not_ready`](crate::Socket::known_not_ready)). Only a
    /// reactor that is always driven can know: netstack's and async-io's
    /// (a background thread turns them while no thread waits), a
    /// multi-thread tokio runtime's (its idle workers do). A current-thread
    /// runtime's driver turns only inside its `block_on`, so what happened
    /// while it was idle is not reported yet.
    pub(crate) fn known_not_ready(self: &Arc<Self>, direction: Direction) -> bool {
        let link = read(&self.link);
        match &*link {
            Link::Own => own_known_not_ready(&self.source, direction),
            #[cfg(feature = "async-io")]
            Link::AsyncIo(_) => own_known_not_ready(&self.source, direction),
            #[cfg(feature = "tokio")]
            Link::Tokio(tokio) if self.confirmed.load(Ordering::Acquire) == ANY_CONTEXT => {
                with_forwarder(self, direction, |forwarder| {
                    tokio.known_not_ready(direction, forwarder)
                })
            }
            #[cfg(feature = "tokio")]
            Link::Tokio(_) => false,
            Link::Gone => false,
        }
    }

    /// Moves the registration to the current context's reactor unless it
    /// is there already (`stale`: the current reactor is gone, move to the
    /// fallback: netstack's own, or async-io's with that feature). Returns
    /// true when it moved: try the call again.
    #[inline]
    pub(crate) fn follow_context(self: &Arc<Self>, fd: RawFd, stale: bool) -> io::Result<bool> {
        #[cfg(feature = "tokio")]
        if !stale {
            let confirmed = self.confirmed.load(Ordering::Acquire);
            if confirmed == ANY_CONTEXT
                || (confirmed == ON_FALLBACK && !tokio_link::in_runtime())
                || (confirmed != UNCONFIRMED && tokio_link::current_task() == Some(confirmed))
            {
                return Ok(false);
            }
        }
        self.move_to_context(fd, stale)
    }

    /// The rest of [`Registration::follow_context`], once the wait is not
    /// known to be in the right context.
    #[inline(never)]
    fn move_to_context(self: &Arc<Self>, fd: RawFd, stale: bool) -> io::Result<bool> {
        #[cfg(feature = "tokio")]
        {
            let here = read(&self.link).runtime();
            let wanted = match stale {
                true => None,
                false => tokio_link::current_runtime(),
            };
            let wanted_id = wanted.as_ref().map(|handle| handle.id());
            if here == Some(wanted_id) {
                self.confirm(&read(&self.link), wanted.as_ref());
                return Ok(false);
            }
            let mut link = write(&self.link);
            let here = match link.runtime() {
                None => return Ok(false), // deregistered meanwhile
                Some(here) if here == wanted_id => return Ok(false),
                Some(here) => here,
            };
            let new = match wanted.as_ref().and_then(|rt| TokioLink::new(rt, fd)) {
                Some(tokio) => Link::Tokio(tokio),
                // That runtime cannot take it: stay on the fallback reactor.
                None if here.is_none() => return Ok(false),
                None => Link::fallback(fd, self)?,
            };
            self.confirm(&new, wanted.as_ref());
            let into_tokio = matches!(new, Link::Tokio(_));
            std::mem::replace(&mut *link, new).unlink(fd, &self.source);
            drop(link);
            self.source.assume_ready();
            // tokio's driver wakes only the wakers given to it, so the
            // waiters listed in the source try again there. The fallback
            // reactor's reports wake the source's list, where a task whose
            // own waker the old reactor held has its copy. Waking on every
            // move would let two waiters in different contexts move the
            // socket back and forth without end.
            if into_tokio {
                self.source.wake_all();
            }
            Ok(true)
        }
        #[cfg(not(feature = "tokio"))]
        {
            let _ = (fd, stale);
            Ok(false)
        }
    }

    /// Records which context `link` (made for, or found right for,
    /// `runtime`) suits. A multi-thread runtime's workers turn its driver
    /// for as long as it lives (and when it shuts down, the next attempt
    /// says so), so a wait there needs no look at the current context.
    #[cfg(feature = "tokio")]
    fn confirm(&self, link: &Link, runtime: Option<&tokio::runtime::Handle>) {
        let confirmed = match (link, runtime) {
            (Link::Tokio(_), Some(runtime)) if tokio_link::multi_thread(runtime) => ANY_CONTEXT,
            (Link::Tokio(_), Some(_)) => tokio_link::current_task().unwrap_or(UNCONFIRMED),
            (Link::Own, _) => ON_FALLBACK,
            #[cfg(feature = "async-io")]
            (Link::AsyncIo(_), _) => ON_FALLBACK,
            _ => UNCONFIRMED,
        };
        self.confirmed.store(confirmed, Ordering::Release);
    }

    /// Removes the descriptor from its reactor, before it is closed.
    pub(crate) fn deregister(&self, fd: RawFd) {
        let mut link = write(&self.link);
        #[cfg(feature = "tokio")]
        self.confirmed.store(UNCONFIRMED, Ordering::Release);
        std::mem::replace(&mut *link, Link::Gone).unlink(fd, &self.source);
    }
}

impl Link {
    /// The reactor of any context but a tokio runtime's: async-io's with
    /// the `async-io` feature, netstack's own otherwise.
    fn fallback(fd: RawFd, registration: &Arc<Registration>) -> io::Result<Link> {
        #[cfg(feature = "async-io")]
        {
            let _ = registration;
            Ok(Link::AsyncIo(AsyncIoLink::new(fd)?))
        }
        #[cfg(not(feature = "async-io"))]
        {
            Reactor::get()?.register(fd, Arc::clone(registration) as Arc<dyn SourceOwner>)?;
            Ok(Link::Own)
        }
    }

    /// `Some(None)`: netstack's reactor; `Some(Some(id))`: that tokio
    /// runtime; `None`: deregistered.
    #[cfg(feature = "tokio")]
    fn runtime(&self) -> Option<Option<tokio::runtime::Id>> {
        match self {
            Link::Own => Some(None),
            #[cfg(feature = "async-io")]
            Link::AsyncIo(_) => Some(None),
            Link::Tokio(tokio) => Some(Some(tokio.runtime())),
            Link::Gone => None,
        }
    }

    fn unlink(self, fd: RawFd, source: &Source) {
        match self {
            Link::Own => {
                if let Some(reactor) = Reactor::running() {
                    reactor.deregister(fd, source);
                }
            }
            // Dropping the `AsyncFd` deregisters it from tokio's driver.
            #[cfg(feature = "tokio")]
            Link::Tokio(tokio) => drop(tokio),
            // Dropping the `Async` deregisters it from async-io's reactor.
            #[cfg(feature = "async-io")]
            Link::AsyncIo(link) => drop(link),
            Link::Gone => {}
        }
    }
}

/// One attempt on netstack's reactor, with the source's readiness cache.
#[inline]
fn try_own<T>(
    source: &Source,
    direction: Direction,
    tick: u64,
    mut op: impl FnMut() -> io::Result<T>,
    drained: impl Fn(&T) -> bool,
) -> Attempt<T> {
    if source.known_not_ready(direction, tick) {
        return Attempt::NotReady;
    }
    match op() {
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            source.clear(direction, tick);
            Attempt::NotReady
        }
        Ok(value) => {
            if drained(&value) {
                source.clear(direction, tick);
            }
            Attempt::Done(Ok(value))
        }
        Err(err) => Attempt::Done(Err(err)),
    }
}

/// What the source's readiness cache knows (netstack's and async-io's reactors).
fn own_known_not_ready(source: &Source, direction: Direction) -> bool {
    source.known_not_ready(direction, source.tick(direction))
}

fn read(link: &RwLock<Link>) -> RwLockReadGuard<'_, Link> {
    link.read().unwrap_or_else(|p| p.into_inner())
}

fn write(link: &RwLock<Link>) -> RwLockWriteGuard<'_, Link> {
    link.write().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::Registration;

    /// An idle connection on tokio's driver holds tokio's task, tokio's
    /// `ScheduledIo` and this. How glibc packs the three decides the
    /// connection's RSS more than their sizes do: at 152 bytes (168 with
    /// its reference counts), made after tokio's and before the task (at
    /// accept), an idle connection costs what tokio's does; at 168, 5 bytes
    /// more; at 176, 56 more (C10K in `BENCHMARKS.md`).
    #[test]
    fn a_registration_stays_within_152_bytes() {
        let size = std::mem::size_of::<Registration>();
        assert!(size <= 152, "a Registration takes {size} bytes");
    }
}
