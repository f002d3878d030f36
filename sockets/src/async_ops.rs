//! The asynchronous mode: `receive_async`, `accept_async`, … on the same
//! [`Socket`], usable under any executor.
//!
//! # Which reactor wakes a socket
//!
//! Inside a tokio runtime that has its I/O driver (with the `tokio`
//! feature), a socket registers with that driver: its wake-ups run on the
//! runtime's own worker threads and no netstack thread is involved. Under
//! any other executor (`sockets::block_on`, `futures::executor`, smol, a
//! tokio runtime without I/O driver, or without the feature) netstack's own
//! reactor (epoll; kqueue elsewhere), started at the first call that needs
//! it, wakes it: a thread parked in [`block_on`](crate::block_on()) drives it itself and runs
//! its own wake-ups in place, and a background thread drives it while no
//! thread is in `block_on`. With the `async-io` feature, async-io's reactor
//! (smol's and async-std's, driven by their executors on the waiting
//! thread) takes its place for sockets, and [`block_on`](crate::block_on()) is async-io's. A socket follows the context it
//! waits in: if it waits somewhere else than where it was registered (first
//! used under `block_on`, now in a runtime; or its runtime has shut down, or
//! is no longer driven), it moves first, keeping its data; its waiters try
//! again on the new reactor.
//! Timers (the socket timeouts, [`with_timeout`], [`sleep`]) are
//! netstack's in every case, so timeouts behave the same everywhere.
//!
//! Each direction keeps a readiness cache: after `WouldBlock`, or a short
//! read or write on a stream, the next call waits for the reactor's next
//! report instead of trying a system call that would fail.
//!
//! # How the two modes share one socket
//!
//! The first asynchronous call registers the socket and switches its
//! descriptor to `O_NONBLOCK` for good (as .NET does). The
//! synchronous calls keep their meaning afterwards: in blocking mode they wait
//! with `poll(2)`, bounded by the receive and send timeouts, so sync and async
//! calls can be mixed on one socket. [`Socket::set_blocking`] only changes how
//! the *synchronous* calls behave; asynchronous calls never block a thread.
//!
//! # Timeouts
//!
//! The socket's [`receive_timeout`](Socket::receive_timeout) bounds every
//! asynchronous receive and accept, and its [`send_timeout`](Socket::send_timeout)
//! every asynchronous send: a call that waits longer fails with
//! [`SocketError::TimedOut`] and the socket stays usable. [`with_timeout`]
//! bounds any one call (for example a connect).
//!
//! # Cancellation
//!
//! Dropping a pending future cancels it: its wait ends (a copy of its
//! waker may stay with the reactor and wake the task once for nothing), no data is
//! consumed (a system call only runs while the future is polled, and its
//! result is returned at once), and the socket stays usable. A dropped
//! `connect_async` leaves the connection attempt running in the kernel.
//! [`Socket::close`] completes pending futures with
//! [`SocketError::OperationAborted`].

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use socket2::MaybeUninitSlice;

use crate::endpoint::EndPoint;
use crate::error::{Error, Result, SocketError};
use crate::flags::SocketFlags;
use crate::kind::AddressFamily;
use crate::message::{receive_message, ReceivedMessage};
use crate::reactor::Timer;

use crate::buffers::{as_uninit, as_uninit_slices, reported_flags, segment_window};
use crate::op::Verb;
use crate::send_file::{open_for_sending, send_file_chunks};
use crate::socket::Socket;
use crate::source::{Attempt, Direction};
use crate::wait::{wait_for, wait_ready, SelectMode, Waited};
use crate::waiter::Waiter;
use crate::Dns;

impl Socket {
    /// One step of an asynchronous operation: try the non-blocking call
    /// unless the direction is known not to be ready; otherwise register
    /// the waker (and the timeout) and return `Pending`.
    #[inline(always)]
    #[expect(
        clippy::too_many_arguments,
        reason = "every poll of every operation comes here with the parts its future keeps apart"
    )]
    pub(crate) fn poll_op<T>(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
        direction: Direction,
        verb: Verb,
        bounded_by: Option<SelectMode>,
        mut op: impl FnMut(&socket2::Socket) -> io::Result<T>,
        drained: impl Fn(&T) -> bool,
    ) -> Poll<Result<T>> {
        loop {
            // The first poll registers the socket.
            let registration = match self.registration_if_made() {
                Some(registration) => registration,
                None => match self.registration(verb.as_str()) {
                    Ok(registration) => registration,
                    Err(err) => return Poll::Ready(Err(err)),
                },
            };
            let source = &registration.source;
            let Some(guard) = self.handle_enter() else {
                waiter.done(direction, source);
                return Poll::Ready(Err(self.closed_error(verb.as_str())));
            };
            let tick = source.tick(direction);
            let attempt = registration.try_io(cx, direction, tick, || op(&guard), &drained);
            let (stale, direct) = match attempt {
                Attempt::Done(Ok(value)) => {
                    waiter.done(direction, source);
                    return Poll::Ready(Ok(value));
                }
                Attempt::Done(Err(err)) => {
                    drop(guard);
                    if err.kind() == io::ErrorKind::Interrupted && !self.is_closed() {
                        continue;
                    }
                    waiter.done(direction, source);
                    return Poll::Ready(Err(self.os_error(&err, self.describe(verb.as_str()))));
                }
                // The executor wants the task to yield; it has arranged the wake-up.
                Attempt::Yield => return Poll::Pending,
                Attempt::NotReady => (false, false),
                Attempt::WaitingDirectly => (false, true),
                Attempt::Stale => (true, false),
            };
            if !stale {
                let registered = match direct {
                    true => {
                        let again = waiter.waits_directly_since(tick);
                        source.register_direct(direction, tick, again, cx.waker())
                    }
                    false => source.register(direction, tick, waiter.id(), cx.waker()),
                };
                if !registered {
                    continue; // readiness or another waiter came meanwhile: try again
                }
                waiter.registered_at(tick, direct);
            }
            match registration.follow_context(guard.as_raw_fd(), stale) {
                Ok(moved) if moved || stale => continue, // try on the new reactor
                Ok(_) => {}
                Err(err) => {
                    waiter.done(direction, source);
                    return Poll::Ready(Err(self.os_error(&err, "register with a reactor")));
                }
            }
            drop(guard);
            if let Some(timeout) = bounded_by.and_then(|mode| self.cached_timeout(mode)) {
                let timer = waiter.timer.get_or_insert_with(|| Timer::after(timeout));
                if timer.poll_expired(cx).is_ready() {
                    waiter.done(direction, source);
                    return Poll::Ready(Err(Error::new(
                        SocketError::TimedOut,
                        self.describe(verb.as_str()),
                    )
                    .with_detail(format!("nothing happened within {timeout:?}"))));
                }
            }
            return Poll::Pending;
        }
    }

    /// On a stream, fewer bytes than the `len` asked for mean the direction
    /// is drained (the receive buffer is empty, or the send buffer full), so
    /// the next call waits for readiness instead of trying a system call
    /// that would fail.
    pub(crate) fn short_transfer(&self, len: usize) -> impl Fn(&usize) -> bool + Unpin {
        let stream = !self.socket_type().has_message_boundaries();
        move |n: &usize| stream && *n > 0 && *n < len
    }

    /// Accepts a connection without blocking a thread; bounded by the receive timeout.
    /// The accepted socket is registered for the asynchronous mode at once
    /// (as tokio's accept registers its stream), with the reactor of the
    /// context the accept runs in; it follows its first wait elsewhere.
    pub async fn accept_async(&self) -> Result<Socket> {
        let (socket, _) = self
            .async_op(Verb::Accept, Direction::Read, |_, s| s.accept())
            .await?;
        let accepted = self.accepted(socket);
        accepted.registration("accept")?;
        Ok(accepted)
    }

    /// Connects without blocking a thread. A
    /// [`DnsEndPoint`](crate::DnsEndPoint) is resolved with
    /// [`Dns::get_host_addresses_async`] and its addresses tried in order.
    pub async fn connect_async(&self, endpoint: impl Into<EndPoint>) -> Result<()> {
        match endpoint.into() {
            EndPoint::Dns(dns) => {
                let addresses = Dns::get_host_addresses_async(&dns.host).await?;
                self.connect_addresses_async(&addresses, dns.port).await
            }
            endpoint => self.connect_resolved_async(endpoint).await,
        }
    }

    /// Connects to an endpoint that needs no name resolution.
    async fn connect_resolved_async(&self, endpoint: EndPoint) -> Result<()> {
        let verb = "connect";
        let addr = endpoint.to_sockaddr(self.address_family(), verb)?;
        {
            let guard = self.handle_enter().ok_or_else(|| self.closed_error(verb))?;
            self.refuse_if_connected(&guard, &endpoint)?;
            self.enter_async_mode(&guard, verb)?;
            match guard.connect(&addr) {
                Ok(()) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(self.backlog_full(&e, &endpoint))
                }
                Err(e) => return Err(self.os_error(&e, format!("connect {endpoint}"))),
            }
        }
        self.registration(verb)?;
        // The connect completes in the background: wait until the socket is
        // writable (bounded by the send timeout, as a blocking connect is),
        // then read how it ended.
        let timeout = self.cached_timeout(SelectMode::Write);
        let result = self
            .async_op(Verb::Connect, Direction::Write, |_, s| {
                match s.take_error()? {
                    Some(err) => Err(err),
                    None => match s.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                }
            })
            .await;
        result.map_err(|e| match e.kind() {
            SocketError::OperationAborted => e,
            SocketError::TimedOut => match self.handle_enter() {
                Some(guard) => self.connect_timed_out(&guard, &endpoint, timeout),
                None => self.closed_error(verb),
            },
            _ => e.with_operation(format!("connect {endpoint}")),
        })
    }

    /// Tries each address in order until one connects (see [`Socket::connect_addresses`]).
    pub async fn connect_addresses_async(&self, addresses: &[IpAddr], port: u16) -> Result<()> {
        let mut last_error = None;
        for ip in addresses {
            if !self.can_reach(ip) {
                continue;
            }
            match self
                .connect_resolved_async(SocketAddr::new(*ip, port).into())
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == SocketError::OperationAborted => return Err(e),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| self.no_usable_address(addresses, port)))
    }

    /// Resolves `host` asynchronously and connects to its addresses in order.
    pub async fn connect_host_async(&self, host: &str, port: u16) -> Result<()> {
        self.connect_async(crate::DnsEndPoint::new(host, port))
            .await
    }

    /// Sends bytes without blocking a thread; bounded by the send timeout.
    pub fn send_async<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = Result<usize>> + 'a {
        self.async_transfer(Verb::Send, Direction::Write, buf.len(), move |_, s| {
            s.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Sends bytes with flags, asynchronously.
    pub async fn send_with_flags_async(&self, buf: &[u8], flags: SocketFlags) -> Result<usize> {
        self.async_op(Verb::Send, Direction::Write, |_, s| {
            s.send_with_flags(buf, flags.to_msg() | libc::MSG_NOSIGNAL)
        })
        .await
    }

    /// Sends several buffers in one system call, asynchronously. On a
    /// stream past 1,024 buffers the first 1,024 go (from the first
    /// non-empty one), and the count says how far: one call is one system
    /// call, so a dropped future never leaves bytes sent but unreported. A
    /// datagram with more fails with [`SocketError::MessageSize`].
    pub async fn send_vectored_async(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        let datagram = self.socket_type().has_message_boundaries();
        let bufs = &bufs[segment_window(bufs.iter().map(|b| b.len()), datagram, "send")?];
        self.async_op(Verb::Send, Direction::Write, |_, s| {
            s.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
        })
        .await
    }

    /// Sends a datagram to an endpoint, asynchronously.
    pub async fn send_to_async(&self, buf: &[u8], endpoint: impl Into<EndPoint>) -> Result<usize> {
        let addr = endpoint
            .into()
            .to_sockaddr(self.address_family(), "send_to")?;
        self.async_op(Verb::SendTo, Direction::Write, |_, s| {
            s.send_to_with_flags(buf, &addr, libc::MSG_NOSIGNAL)
        })
        .await
    }

    /// Receives bytes without blocking a thread (see [`Socket::receive`] for
    /// the meaning of 0, an empty buffer and truncation); bounded by the receive timeout.
    pub fn receive_async<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = Result<usize>> + 'a {
        self.async_transfer(
            Verb::Receive,
            Direction::Read,
            buf.len(),
            move |socket, s| {
                if socket.socket_type().has_message_boundaries() {
                    let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
                    let (n, flags) = s.recv_vectored_with_flags(&mut bufs, 0)?;
                    if flags.is_truncated() {
                        return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
                    }
                    Ok(n)
                } else if buf.is_empty() {
                    // Winsock's zero-byte receive: wait for data without consuming it.
                    use std::os::fd::AsRawFd;
                    match wait_ready(
                        s.as_raw_fd(),
                        SelectMode::Read,
                        Some(std::time::Instant::now()),
                    )? {
                        true => Ok(0),
                        false => Err(io::ErrorKind::WouldBlock.into()),
                    }
                } else {
                    match s.recv(as_uninit(buf))? {
                        // End of stream because `close` shut the socket down: aborted.
                        0 if socket.is_closed() => Err(io::ErrorKind::ConnectionAborted.into()),
                        n => Ok(n),
                    }
                }
            },
        )
    }

    /// Receives bytes with flags, asynchronously; reports truncation in the returned flags.
    pub async fn receive_with_flags_async(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<(usize, SocketFlags)> {
        if buf.is_empty() && self.socket_type() == crate::SocketType::Stream {
            // Winsock's zero-byte receive: wait for data without consuming it.
            self.async_op(Verb::Receive, Direction::Read, |_, s| {
                use std::os::fd::AsRawFd;
                match wait_ready(
                    s.as_raw_fd(),
                    SelectMode::Read,
                    Some(std::time::Instant::now()),
                )? {
                    true => Ok(()),
                    false => Err(io::ErrorKind::WouldBlock.into()),
                }
            })
            .await?;
            return Ok((0, SocketFlags::empty()));
        }
        let stream = !self.socket_type().has_message_boundaries();
        let (n, reported) = self
            .async_op(Verb::Receive, Direction::Read, |_, s| {
                if stream && flags.is_empty() {
                    return s.recv(as_uninit(buf)).map(|n| (n, SocketFlags::empty()));
                }
                let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
                s.recv_vectored_with_flags(&mut bufs, flags.to_msg())
                    .map(|(n, f)| (n, reported_flags(f)))
            })
            .await?;
        Ok((self.aborted_if_closed(n, "receive")?, reported))
    }

    /// Receives into several buffers, asynchronously (the buffers as
    /// [`receive_vectored`](Socket::receive_vectored) takes them).
    pub async fn receive_vectored_async(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        let datagram = self.socket_type().has_message_boundaries();
        let window = segment_window(bufs.iter().map(|b| b.len()), datagram, "receive")?;
        let bufs = &mut bufs[window];
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let bufs = as_uninit_slices(bufs);
        let (n, reported) = self
            .async_op(Verb::Receive, Direction::Read, |_, s| {
                s.recv_vectored_with_flags(bufs, 0)
            })
            .await?;
        if reported.is_truncated() {
            return Err(self.truncated(total));
        }
        if total == 0 {
            return Ok(n);
        }
        self.aborted_if_closed(n, "receive")
    }

    /// Receives a datagram and its sender, asynchronously.
    pub async fn receive_from_async(&self, buf: &mut [u8]) -> Result<(usize, EndPoint)> {
        let len = buf.len();
        let (n, reported, addr) = self
            .async_op(Verb::ReceiveFrom, Direction::Read, |_, s| {
                let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
                s.recv_from_vectored_with_flags(&mut bufs, 0)
            })
            .await?;
        if reported.is_truncated() {
            return Err(self.truncated(len));
        }
        let n = self.aborted_if_closed(n, "receive_from")?;
        Ok((n, EndPoint::from_sockaddr(&addr)))
    }

    /// Receives a datagram with its sender and packet information, asynchronously.
    pub async fn receive_message_from_async(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<ReceivedMessage> {
        self.enable_packet_info()?;
        let raw = self
            .async_op(Verb::ReceiveMessageFrom, Direction::Read, |_, s| {
                receive_message(s, buf, flags)
            })
            .await?;
        self.finish_message(raw)
    }

    /// Sends a file (with optional bytes before and after it) without
    /// blocking a thread; returns the total bytes sent.
    pub async fn send_file_async(
        &self,
        path: impl AsRef<Path>,
        pre_buffer: Option<&[u8]>,
        post_buffer: Option<&[u8]>,
    ) -> Result<u64> {
        let file = open_for_sending(path.as_ref())?;
        let mut total = 0u64;
        if let Some(pre) = pre_buffer {
            total += self.send_all_async(pre, SocketFlags::MORE).await? as u64;
        }
        let mut sent = 0u64;
        loop {
            // One wait per call: the send timeout bounds each stall, not the whole file.
            let finished = self
                .async_op(Verb::SendFile, Direction::Write, |_, s| {
                    send_file_chunks(s, &file, &mut sent)
                })
                .await
                .map_err(|e| e.with_detail(format!("{sent} bytes of the file were sent")))?;
            if finished {
                break;
            }
        }
        total += sent;
        if let Some(post) = post_buffer {
            total += self.send_all_async(post, SocketFlags::empty()).await? as u64;
        }
        Ok(total)
    }

    async fn send_all_async(&self, mut buf: &[u8], flags: SocketFlags) -> Result<usize> {
        let len = buf.len();
        while !buf.is_empty() {
            let n = self.send_with_flags_async(buf, flags).await?;
            buf = &buf[n..];
        }
        Ok(len)
    }

    /// Waits, without blocking a thread and without consuming anything,
    /// until the socket is ready for `mode` (`true`), or has reached an end
    /// state (hang-up or error) in which it never will be (`false`: the next
    /// call reports why). The receive timeout (`Read`, `Error`) or the send
    /// timeout (`Write`) bounds the wait.
    pub async fn wait_async(&self, mode: SelectMode) -> Result<bool> {
        // Urgent data (POLLPRI) arrives as a read edge; errors wake both directions.
        let direction = match mode {
            SelectMode::Write => Direction::Write,
            _ => Direction::Read,
        };
        self.async_op(Verb::Wait, direction, |_, s| {
            use std::os::fd::AsRawFd;
            match wait_for(s.as_raw_fd(), mode, Some(std::time::Instant::now()))? {
                Waited::Ready => Ok(true),
                Waited::Final => Ok(false),
                // `wait_for` is never cancelled.
                Waited::TimedOut | Waited::Cancelled => Err(io::ErrorKind::WouldBlock.into()),
            }
        })
        .await
    }

    pub(crate) fn can_reach(&self, ip: &IpAddr) -> bool {
        match (self.address_family(), ip) {
            (AddressFamily::InterNetwork, IpAddr::V4(_)) => true,
            (AddressFamily::InterNetworkV6, IpAddr::V6(_)) => true,
            (AddressFamily::InterNetworkV6, IpAddr::V4(_)) => self.dual_mode().unwrap_or(false),
            _ => false,
        }
    }
}

/// Bounds any socket future by `timeout`: when it expires the inner future
/// is dropped (which cancels it cleanly) and the result is
/// [`SocketError::TimedOut`].
///
/// ```
/// use std::time::Duration;
/// use netstack::sockets::{with_timeout, AddressFamily, ProtocolType, Socket, SocketError, SocketType};
/// let udp = Socket::new(AddressFamily::InterNetwork, SocketType::Dgram, ProtocolType::Udp).unwrap();
/// udp.bind(([127, 0, 0, 1], 0)).unwrap();
/// let mut buf = [0u8; 16];
/// let result = futures_lite_block_on(with_timeout(Duration::from_millis(20), udp.receive_from_async(&mut buf)));
/// assert_eq!(result.unwrap_err().kind(), SocketError::TimedOut);
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output { netstack::sockets::block_on(f) }
/// ```
pub async fn with_timeout<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    let mut future = pin!(future);
    let mut timer = Timer::after(timeout);
    poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        match timer.poll_expired(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::new(SocketError::TimedOut, "with_timeout")
                .with_detail(format!(
                    "the operation did not finish within {timeout:?} and was cancelled"
                )))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Waits `duration` without blocking a thread (a timer in netstack's
/// reactor). The duration counts from this call, not from the first poll,
/// as with tokio's `sleep`.
///
/// ```
/// use std::time::{Duration, Instant};
/// let started = Instant::now();
/// netstack::sockets::block_on(netstack::sockets::sleep(Duration::from_millis(20)));
/// assert!(started.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        timer: Timer::after(duration),
    }
}

/// The future [`sleep`] returns: ready once its duration has passed. It is
/// `Unpin`, so a struct can keep one without a box; dropping it cancels
/// the timer.
#[must_use = "a sleep does nothing unless polled"]
pub struct Sleep {
    timer: Timer,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.timer.poll_expired(cx)
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}
