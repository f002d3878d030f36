//! Where the synchronous server keeps keep-alive connections between
//! requests: one thread waits on all of them at once (`poll(2)`, through
//! [`sockets::select`]) and hands a connection back to the worker pool when
//! its next request begins, or closes it at its idle deadline. So an idle
//! connection holds no worker, and a hundred keep-alive clients cannot
//! starve the next one of the pool's threads.
//!
//! A worker keeps a connection for [`HANDOFF_AFTER`] first: a client that
//! sends its next request at once is served without the hop to this thread
//! and back.

use std::collections::HashSet;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockets::{AddressFamily, ProtocolType, Socket, SocketType};
use transport::NetworkStream;

use super::body::ConnectionInfo;
use super::conn::Wait;
use super::io::close_sync;
use super::state::ConnGuard;
use super::stream::{lock, Link};
use crate::http::span::Span;

/// How long a worker waits for a connection's next request itself before
/// it hands the connection to the idle thread.
pub(crate) const HANDOFF_AFTER: Duration = Duration::from_millis(2);

/// The longest the idle thread sleeps without looking at the shutdown flag.
const TICK: Duration = Duration::from_millis(250);

/// A connection between two requests, with everything its worker held.
pub(crate) struct Parked {
    pub(crate) link: Link,
    pub(crate) net: Arc<NetworkStream>,
    pub(crate) guard: ConnGuard,
    pub(crate) info: ConnectionInfo,
    pub(crate) span: Span,
}

/// The idle thread's side of the server: park connections here.
pub(crate) struct IdleConnections {
    shared: Arc<Shared>,
}

struct Shared {
    arrived: Mutex<Vec<Parked>>,
    /// A UDP socket the idle thread waits on too; a datagram to it wakes
    /// the thread to take newly parked connections into its set.
    bell: Socket,
    ringer: Socket,
    stopping: AtomicBool,
}

impl IdleConnections {
    /// Starts the idle thread; `resume` gets each connection whose next
    /// request has begun (it queues it for a worker).
    pub(crate) fn start(
        resume: impl Fn(Parked) + Send + 'static,
    ) -> std::io::Result<IdleConnections> {
        let bell = udp_on_loopback()?;
        let ringer = udp_on_loopback()?;
        ringer.connect(bell.local_endpoint()?)?;
        bell.set_blocking(false)?;
        let shared = Arc::new(Shared {
            arrived: Mutex::new(Vec::new()),
            bell,
            ringer,
            stopping: AtomicBool::new(false),
        });
        let watcher = Arc::clone(&shared);
        thread::Builder::new()
            .name("netstack-http-idle".to_string())
            .spawn(move || watch(&watcher, resume))?;
        Ok(IdleConnections { shared })
    }

    /// Keeps `parked` until its next request begins or its idle time ends.
    pub(crate) fn park(&self, parked: Parked) {
        self.shared
            .arrived
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(parked);
        let _ = self.shared.ringer.send(b"!");
    }

    /// Closes every parked connection and ends the idle thread.
    pub(crate) fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let _ = self.shared.ringer.send(b"!");
    }
}

fn udp_on_loopback() -> std::io::Result<Socket> {
    let socket = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )?;
    socket.bind(([127, 0, 0, 1], 0))?;
    Ok(socket)
}

/// The idle thread: waits on every parked connection and the bell.
fn watch(shared: &Shared, resume: impl Fn(Parked)) {
    let mut parked: Vec<(Parked, Instant)> = Vec::new();
    loop {
        let arrived =
            std::mem::take(&mut *shared.arrived.lock().unwrap_or_else(|p| p.into_inner()));
        for p in arrived {
            let (_, deadline) = lock(&p.link).core.read_wait(Instant::now());
            parked.push((p, deadline));
        }
        if shared.stopping.load(Ordering::SeqCst) {
            for (p, _) in parked.drain(..) {
                close(p);
            }
            return;
        }
        let now = Instant::now();
        // Past its idle time, or closed under us (a shutdown closes idle
        // connections): closed here, its guard dropped.
        let (done, waiting): (Vec<_>, Vec<_>) = parked
            .drain(..)
            .partition(|(p, deadline)| *deadline <= now || p.net.socket().is_closed());
        for (p, _) in done {
            lock(&p.link).core.timed_out(Wait::Idle);
            close(p);
        }
        parked = waiting;
        let next_deadline = parked.iter().map(|(_, deadline)| *deadline).min();
        let timeout = next_deadline
            .map_or(TICK, |d| d.saturating_duration_since(now))
            .min(TICK);
        let mut read: Vec<&Socket> = parked.iter().map(|(p, _)| p.net.socket()).collect();
        read.push(&shared.bell);
        let selected = sockets::select(&mut read, &mut vec![], &mut vec![], Some(timeout));
        let ready: HashSet<i32> = read.iter().map(|s| s.as_raw_fd()).collect();
        if selected.is_err() {
            // A socket closed between the check above and the wait: the
            // next round closes it.
            thread::sleep(Duration::from_millis(10));
            continue;
        }
        drain_bell(&shared.bell);
        let (woken, still): (Vec<_>, Vec<_>) = parked
            .drain(..)
            .partition(|(p, _)| ready.contains(&p.net.socket().as_raw_fd()));
        parked = still;
        for (p, _) in woken {
            resume(p);
        }
    }
}

fn drain_bell(bell: &Socket) {
    let mut buf = [0u8; 16];
    while matches!(bell.receive(&mut buf), Ok(n) if n > 0) {}
}

fn close(parked: Parked) {
    close_sync(&parked.link);
    drop(parked.guard);
}
