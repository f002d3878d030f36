//! `Socket`: one OS socket, in the shape of .NET's `System.Net.Sockets.Socket`.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Shutdown as StdShutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use socket2::{MaybeUninitSlice, SockAddr};

use crate::dns::Dns;
use crate::endpoint::EndPoint;
use crate::error::{Error, Result, SocketError};
use crate::flags::SocketFlags;
use crate::handle::{Guard, Handle};
use crate::kind::{AddressFamily, ProtocolType, SocketType};
use crate::registration::Registration;
use crate::wait::{deadline_after, wait_for, wait_ready, Readiness, SelectMode};
use crate::waiter::TraitWaiters;

/// Which direction(s) [`Socket::shutdown`] closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// No more receives (`SHUT_RD`).
    Receive,
    /// No more sends: the peer sees end of stream (`SHUT_WR`).
    Send,
    /// Both directions (`SHUT_RDWR`).
    Both,
}

/// A socket: the one object through which all of netstack reaches the OS.
///
/// As in .NET, one `Socket` has a synchronous mode (calls block, bounded by
/// [`receive_timeout`](Socket::receive_timeout) and
/// [`send_timeout`](Socket::send_timeout)) and can be switched to
/// non-blocking with [`set_blocking`](Socket::set_blocking), where a call that
/// cannot complete fails with [`SocketError::WouldBlock`].
///
/// All methods take `&self`: a socket can be shared between threads (for
/// example in an `Arc`), and [`close`](Socket::close) from one thread ends a
/// call blocked in another with [`SocketError::OperationAborted`].
///
/// ```
/// use sockets::{AddressFamily, ProtocolType, Socket, SocketType};
/// # fn main() -> sockets::Result<()> {
/// let listener = Socket::new(AddressFamily::InterNetwork, SocketType::Stream, ProtocolType::Tcp)?;
/// listener.bind(([127, 0, 0, 1], 0))?;
/// listener.listen(16)?;
/// let address = listener.local_endpoint()?;
///
/// let client = Socket::new(AddressFamily::InterNetwork, SocketType::Stream, ProtocolType::Tcp)?;
/// client.connect(address)?;
/// let server_side = listener.accept()?;
///
/// client.send(b"hello")?;
/// let mut buf = [0u8; 16];
/// let n = server_side.receive(&mut buf)?;
/// assert_eq!(&buf[..n], b"hello");
/// # Ok(())
/// # }
/// ```
pub struct Socket {
    handle: Handle,
    family: AddressFamily,
    socket_type: SocketType,
    protocol: ProtocolType,
    /// The user's mode (`set_blocking`).
    blocking: AtomicBool,
    /// Once used asynchronously the descriptor stays `O_NONBLOCK`, and the
    /// synchronous calls wait with `poll(2)` to keep blocking semantics.
    async_registered: AtomicBool,
    /// `SO_RCVTIMEO`/`SO_SNDTIMEO` in microseconds (`NO_TIMEOUT` for none),
    /// kept here because the async mode and the emulated blocking mode apply
    /// them without asking the OS on every call.
    receive_timeout_us: AtomicU64,
    send_timeout_us: AtomicU64,
    packet_info_enabled: AtomicBool,
    /// Waker slots of the `AsyncRead`/`AsyncWrite` impls, made on first use
    /// (out of line: most sockets never need them).
    trait_waiters: OnceLock<Box<TraitWaiters>>,
    /// Serialises changes of `O_NONBLOCK` and the reactor registration.
    mode_lock: Mutex<()>,
    raw_fd: RawFd,
}

const NO_TIMEOUT: u64 = u64::MAX;

fn encode_timeout(timeout: Option<Duration>) -> u64 {
    timeout.map_or(NO_TIMEOUT, |t| {
        t.as_micros().min(NO_TIMEOUT as u128 - 1) as u64
    })
}

fn decode_timeout(us: u64) -> Option<Duration> {
    (us != NO_TIMEOUT).then(|| Duration::from_micros(us))
}

impl Socket {
    /// Creates a socket (`socket(2)`), blocking, close-on-exec.
    ///
    /// ```
    /// use sockets::{AddressFamily, ProtocolType, Socket, SocketType};
    /// let udp = Socket::new(AddressFamily::InterNetworkV6, SocketType::Dgram, ProtocolType::Udp).unwrap();
    /// assert_eq!(udp.socket_type(), SocketType::Dgram);
    /// ```
    pub fn new(
        family: AddressFamily,
        socket_type: SocketType,
        protocol: ProtocolType,
    ) -> Result<Socket> {
        let protocol_arg = match protocol {
            ProtocolType::Unspecified => None,
            other => Some(socket2::Protocol::from(other.number())),
        };
        let socket = socket2::Socket::new(family.domain(), socket_type.raw(), protocol_arg)
            .map_err(|e| {
                let err = Error::from_io(
                    &e,
                    format!("socket {family} {socket_type:?} {protocol:?}"),
                );
                if err.kind() == SocketError::AccessDenied && socket_type == SocketType::Raw {
                    err.with_detail(
                        "raw sockets need CAP_NET_RAW: run as root or grant the capability (setcap cap_net_raw+ep)",
                    )
                } else {
                    err
                }
            })?;
        Ok(Socket::from_parts(socket, family, socket_type, protocol))
    }

    /// Creates an IPv6 socket in dual mode: it also sends to and accepts from
    /// IPv4 peers, which appear as IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`).
    pub fn new_dual_mode(socket_type: SocketType, protocol: ProtocolType) -> Result<Socket> {
        let socket = Socket::new(AddressFamily::InterNetworkV6, socket_type, protocol)?;
        socket.set_dual_mode(true)?;
        Ok(socket)
    }

    /// Creates a pair of connected Unix domain sockets (`socketpair(2)`).
    pub fn pair(socket_type: SocketType) -> Result<(Socket, Socket)> {
        let (a, b) = socket2::Socket::pair(socket2::Domain::UNIX, socket_type.raw(), None)
            .map_err(|e| Error::from_io(&e, "socketpair"))?;
        let unspecified = ProtocolType::Unspecified;
        Ok((
            Socket::from_parts(a, AddressFamily::Unix, socket_type, unspecified),
            Socket::from_parts(b, AddressFamily::Unix, socket_type, unspecified),
        ))
    }

    fn from_parts(
        socket: socket2::Socket,
        family: AddressFamily,
        socket_type: SocketType,
        protocol: ProtocolType,
    ) -> Socket {
        let raw_fd = socket.as_raw_fd();
        Socket {
            handle: Handle::new(socket),
            family,
            socket_type,
            protocol,
            blocking: AtomicBool::new(true),
            async_registered: AtomicBool::new(false),
            receive_timeout_us: AtomicU64::new(NO_TIMEOUT),
            send_timeout_us: AtomicU64::new(NO_TIMEOUT),
            packet_info_enabled: AtomicBool::new(false),
            trait_waiters: OnceLock::new(),
            mode_lock: Mutex::new(()),
            raw_fd,
        }
    }

    /// The address family given at creation.
    pub fn address_family(&self) -> AddressFamily {
        self.family
    }

    /// The socket type given at creation.
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The protocol given at creation.
    pub fn protocol_type(&self) -> ProtocolType {
        self.protocol
    }

    // ----- plumbing shared by every call -----

    /// Enters the handle for one call; fails with `OperationAborted` once closed.
    #[inline]
    pub(crate) fn enter(&self, operation: &'static str) -> Result<Guard<'_>> {
        self.handle
            .enter()
            .ok_or_else(|| self.closed_error(operation))
    }

    pub(crate) fn closed_error(
        &self,
        operation: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Error {
        Error::new(SocketError::OperationAborted, operation)
    }

    /// Maps an OS failure: `OperationAborted` when the socket was closed under
    /// the call, `TimedOut` when a blocking call hit its timeout.
    #[cold]
    pub(crate) fn os_error(
        &self,
        err: &io::Error,
        operation: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Error {
        let error = Error::from_io(err, operation);
        if self.handle.is_closed() {
            return error.with_kind(SocketError::OperationAborted);
        }
        if error.kind() == SocketError::WouldBlock && self.blocking.load(Ordering::Relaxed) {
            return error.with_kind(SocketError::TimedOut);
        }
        error
    }

    /// "receive on 127.0.0.1:4000 (peer 127.0.0.1:80)": names the socket,
    /// and its peer when connected, in error messages (error path only).
    #[cold]
    pub(crate) fn describe(&self, verb: &str) -> String {
        let Some(guard) = self.handle.enter() else {
            return verb.to_string();
        };
        match (guard.local_addr(), guard.peer_addr()) {
            (Ok(local), Ok(peer)) => format!(
                "{verb} on {} (peer {})",
                EndPoint::from_sockaddr(&local),
                EndPoint::from_sockaddr(&peer)
            ),
            (Ok(local), Err(_)) => format!("{verb} on {}", EndPoint::from_sockaddr(&local)),
            _ => verb.to_string(),
        }
    }

    /// The registration, if an asynchronous call has made it.
    #[inline]
    pub(crate) fn registration_if_made(&self) -> Option<&Arc<Registration>> {
        self.handle.registration()
    }

    #[inline]
    pub(crate) fn handle_enter(&self) -> Option<Guard<'_>> {
        self.handle.enter()
    }

    #[inline]
    pub(crate) fn aborted_if_closed(&self, n: usize, verb: &'static str) -> Result<usize> {
        self.check_aborted(n, verb)
    }

    #[cold]
    pub(crate) fn truncated(&self, len: usize) -> Error {
        self.truncated_error("receive", len)
    }

    #[cold]
    pub(crate) fn no_usable_address(&self, addresses: &[IpAddr], port: u16) -> Error {
        Error::new(
            SocketError::AddressFamilyNotSupported,
            format!("connect {addresses:?} port {port}"),
        )
        .with_detail(format!("no address fits this {} socket", self.family))
    }

    #[inline]
    fn check_aborted(&self, n: usize, verb: &'static str) -> Result<usize> {
        if n == 0 && self.handle.is_closed() {
            return Err(self.closed_error(verb));
        }
        Ok(n)
    }

    /// Runs one synchronous call. The fast path is the bare system call;
    /// `sync_retry` handles `EINTR` and the blocking emulation.
    #[inline]
    pub(crate) fn sync_op<T>(
        &self,
        verb: &'static str,
        mode: SelectMode,
        mut op: impl FnMut(&socket2::Socket) -> io::Result<T>,
    ) -> Result<T> {
        let guard = self.enter(verb)?;
        match op(&guard) {
            Ok(value) => Ok(value),
            Err(err) => self.sync_retry(&guard, verb, mode, err, op),
        }
    }

    #[cold]
    fn sync_retry<T>(
        &self,
        guard: &Guard<'_>,
        verb: &'static str,
        mode: SelectMode,
        mut err: io::Error,
        mut op: impl FnMut(&socket2::Socket) -> io::Result<T>,
    ) -> Result<T> {
        let mut deadline = None;
        let mut after_end_state = false;
        loop {
            if self.handle.is_closed() {
                return Err(self.closed_error(verb));
            }
            match err.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock if self.emulates_blocking() => {
                    if after_end_state {
                        // The socket is finished but the call still would
                        // block: report the pending error (or a shutdown).
                        return Err(self.end_state_error(guard, verb));
                    }
                    let deadline =
                        *deadline.get_or_insert_with(|| deadline_after(self.cached_timeout(mode)));
                    match wait_for(guard.as_raw_fd(), mode, deadline)
                        .map_err(|e| self.os_error(&e, self.describe(verb)))?
                    {
                        Readiness::Ready => {}
                        // Let the call itself report what happened (reset, end of stream, …).
                        Readiness::Final => after_end_state = true,
                        Readiness::TimedOut => {
                            if self.handle.is_closed() {
                                return Err(self.closed_error(verb));
                            }
                            return Err(Error::new(SocketError::TimedOut, self.describe(verb)));
                        }
                    }
                }
                _ => return Err(self.os_error(&err, self.describe(verb))),
            }
            match op(guard) {
                Ok(value) => return Ok(value),
                Err(next) => err = next,
            }
        }
    }

    #[cold]
    fn end_state_error(&self, guard: &Guard<'_>, verb: &'static str) -> Error {
        match guard.take_error() {
            Ok(Some(e)) | Err(e) => self.os_error(&e, self.describe(verb)),
            Ok(None) => Error::from_errno(libc::EPIPE, self.describe(verb)),
        }
    }

    /// True once the socket has been used asynchronously (its descriptor is `O_NONBLOCK`).
    #[inline]
    pub(crate) fn async_mode(&self) -> bool {
        self.async_registered.load(Ordering::Relaxed)
    }

    /// True when the user wants blocking calls but the descriptor is
    /// non-blocking because the socket has been used asynchronously.
    #[inline]
    fn emulates_blocking(&self) -> bool {
        self.blocking.load(Ordering::Relaxed) && self.async_registered.load(Ordering::Relaxed)
    }

    /// The receive (read) or send (write) timeout in force, from the cache.
    #[inline]
    pub(crate) fn cached_timeout(&self, mode: SelectMode) -> Option<Duration> {
        let us = match mode {
            SelectMode::Write => self.send_timeout_us.load(Ordering::Relaxed),
            _ => self.receive_timeout_us.load(Ordering::Relaxed),
        };
        decode_timeout(us)
    }

    pub(crate) fn cache_timeouts(
        &self,
        receive: Option<Option<Duration>>,
        send: Option<Option<Duration>>,
    ) {
        if let Some(t) = receive {
            self.receive_timeout_us
                .store(encode_timeout(t), Ordering::Relaxed);
        }
        if let Some(t) = send {
            self.send_timeout_us
                .store(encode_timeout(t), Ordering::Relaxed);
        }
    }

    /// The registration for the asynchronous mode, made (and the
    /// descriptor switched to `O_NONBLOCK`) at the first asynchronous call.
    pub(crate) fn registration(&self, verb: &'static str) -> Result<&Arc<Registration>> {
        if let Some(registration) = self.handle.registration() {
            return Ok(registration);
        }
        let _mode = self.lock_mode();
        if let Some(registration) = self.handle.registration() {
            return Ok(registration);
        }
        let guard = self.enter(verb)?;
        self.switch_to_async_mode(&guard, verb)?;
        let registration = Registration::new(guard.as_raw_fd())
            .map_err(|e| self.os_error(&e, "register with a reactor"))?;
        Ok(self.handle.set_registration(registration))
    }

    /// Makes the descriptor `O_NONBLOCK` for good before an asynchronous
    /// connect starts; the connect registers the socket afterwards, once it
    /// is no longer an unconnected socket (which polls as hung up).
    pub(crate) fn enter_async_mode(&self, guard: &Guard<'_>, verb: &'static str) -> Result<()> {
        let _mode = self.lock_mode();
        self.switch_to_async_mode(guard, verb)
    }

    /// Makes the descriptor `O_NONBLOCK` for good; the caller holds the mode lock.
    fn switch_to_async_mode(&self, guard: &Guard<'_>, verb: &'static str) -> Result<()> {
        if self.async_mode() {
            return Ok(());
        }
        guard
            .set_nonblocking(true)
            .map_err(|e| self.os_error(&e, self.describe(verb)))?;
        self.async_registered.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn lock_mode(&self) -> MutexGuard<'_, ()> {
        self.mode_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends a connect that is still in progress, leaving the socket
    /// unconnected and reusable (`connect(AF_UNSPEC)`).
    pub(crate) fn abandon_connect(&self, guard: &Guard<'_>) {
        let _ = guard.connect(&unspecified_sockaddr());
    }

    #[cold]
    pub(crate) fn connect_timed_out(
        &self,
        guard: &Guard<'_>,
        endpoint: &EndPoint,
        timeout: Option<Duration>,
    ) -> Error {
        self.abandon_connect(guard);
        let error = Error::new(SocketError::TimedOut, format!("connect {endpoint}"));
        match timeout {
            Some(t) => error.with_detail(format!(
                "no answer within {t:?}; the socket is unconnected again"
            )),
            None => error,
        }
    }

    #[cold]
    pub(crate) fn backlog_full(&self, err: &io::Error, endpoint: &EndPoint) -> Error {
        Error::from_io(err, format!("connect {endpoint}"))
            .with_detail("the listener's backlog is full; nothing was started, try again later")
    }

    // ----- lifecycle -----

    /// Binds the socket to a local endpoint (`bind(2)`).
    ///
    /// A [`DnsEndPoint`](crate::DnsEndPoint) is refused: resolve it first.
    pub fn bind(&self, endpoint: impl Into<EndPoint>) -> Result<()> {
        let endpoint = endpoint.into();
        let addr = endpoint.to_sockaddr(self.family, "bind")?;
        let guard = self.enter("bind")?;
        guard
            .bind(&addr)
            .map_err(|e| self.os_error(&e, format!("bind {endpoint}")))
    }

    /// Starts listening for connections with a backlog (`listen(2)`).
    pub fn listen(&self, backlog: i32) -> Result<()> {
        let guard = self.enter("listen")?;
        guard
            .listen(backlog)
            .map_err(|e| self.os_error(&e, self.describe("listen")))
    }

    /// Accepts a pending connection (`accept4(2)`), blocking until one arrives
    /// (bounded by the receive timeout), or failing with `WouldBlock` in
    /// non-blocking mode. The new socket is blocking.
    pub fn accept(&self) -> Result<Socket> {
        let (socket, _) = self.sync_op("accept", SelectMode::Read, |s| s.accept())?;
        Ok(self.accepted(socket))
    }

    pub(crate) fn accepted(&self, socket: socket2::Socket) -> Socket {
        let accepted = Socket::from_parts(socket, self.family, self.socket_type, self.protocol);
        // Linux copies SO_RCVTIMEO/SO_SNDTIMEO to accepted sockets: so does the cache.
        accepted.cache_timeouts(
            Some(self.cached_timeout(SelectMode::Read)),
            Some(self.cached_timeout(SelectMode::Write)),
        );
        accepted
    }

    /// Connects to an endpoint (`connect(2)`).
    ///
    /// A [`DnsEndPoint`](crate::DnsEndPoint) is resolved with
    /// [`Dns::get_host_addresses`] and its addresses of a family this socket
    /// can reach are tried in order. In non-blocking mode a TCP connect fails
    /// with [`SocketError::InProgress`] and completes in the background: wait
    /// for [`SelectMode::Write`] (success) or [`SelectMode::Error`] (failure,
    /// see [`pending_error`](Socket::pending_error)).
    ///
    /// In blocking mode (and in [`connect_async`](Socket::connect_async)) the
    /// [`send_timeout`](Socket::send_timeout) bounds the connect, as Linux
    /// does for blocking sockets: on expiry the call fails with `TimedOut`
    /// and the socket is unconnected again, ready for another attempt. A
    /// Unix-domain listener whose backlog is full gives `WouldBlock` at once.
    pub fn connect(&self, endpoint: impl Into<EndPoint>) -> Result<()> {
        match endpoint.into() {
            EndPoint::Dns(dns) => {
                let addresses = Dns::get_host_addresses(&dns.host)?;
                self.connect_addresses(&addresses, dns.port)
            }
            endpoint => {
                let addr = endpoint.to_sockaddr(self.family, "connect")?;
                self.connect_sockaddr(&addr, &endpoint)
            }
        }
    }

    fn connect_sockaddr(&self, addr: &SockAddr, endpoint: &EndPoint) -> Result<()> {
        let guard = self.enter("connect")?;
        match guard.connect(addr) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) && self.blocking() => {
                if self.emulates_blocking() {
                    let timeout = self.cached_timeout(SelectMode::Write);
                    self.finish_connect(&guard, deadline_after(timeout), timeout, endpoint)
                } else {
                    // A blocking connect returns EINPROGRESS when SO_SNDTIMEO expires.
                    Err(self.connect_timed_out(
                        &guard,
                        endpoint,
                        self.cached_timeout(SelectMode::Write),
                    ))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(self.backlog_full(&e, endpoint)),
            Err(e) => Err(self.os_error(&e, format!("connect {endpoint}"))),
        }
    }

    /// Waits for an in-progress connect and reports how it ended.
    fn finish_connect(
        &self,
        guard: &Guard<'_>,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
        endpoint: &EndPoint,
    ) -> Result<()> {
        let operation = || format!("connect {endpoint}");
        let ready = wait_ready(guard.as_raw_fd(), SelectMode::Write, deadline)
            .map_err(|e| self.os_error(&e, operation()))?;
        if self.handle.is_closed() {
            return Err(self.closed_error(operation()));
        }
        if !ready {
            match guard.take_error() {
                Ok(Some(e)) => return Err(self.os_error(&e, operation())),
                _ if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(self.connect_timed_out(guard, endpoint, timeout))
                }
                _ => {}
            }
        }
        match guard.take_error() {
            Ok(Some(e)) | Err(e) => Err(self.os_error(&e, operation())),
            Ok(None) => Ok(()),
        }
    }

    /// Connects to a host name and port: resolves it, then tries each address in order.
    pub fn connect_host(&self, host: &str, port: u16) -> Result<()> {
        self.connect(crate::DnsEndPoint::new(host, port))
    }

    /// Tries each address in order until one connects; fails with the last
    /// address's error. Addresses of a family this socket cannot use are skipped.
    pub fn connect_addresses(&self, addresses: &[IpAddr], port: u16) -> Result<()> {
        let mut last_error = None;
        for ip in addresses {
            if !self.can_reach(ip) {
                continue;
            }
            match self.connect(SocketAddr::new(*ip, port)) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == SocketError::OperationAborted => return Err(e),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| self.no_usable_address(addresses, port)))
    }

    /// Connects with a time limit, whatever the blocking mode: fails with
    /// `TimedOut` if the connection is not made in time.
    pub fn connect_timeout(&self, endpoint: impl Into<EndPoint>, timeout: Duration) -> Result<()> {
        let endpoint = endpoint.into();
        let addr = endpoint.to_sockaddr(self.family, "connect")?;
        let guard = self.enter("connect")?;
        let _mode = self.lock_mode();
        let os_blocking = self.blocking() && !self.async_registered.load(Ordering::Relaxed);
        let set_nonblocking = |on: bool| {
            guard
                .set_nonblocking(on)
                .map_err(|e| self.os_error(&e, format!("connect {endpoint}")))
        };
        if os_blocking {
            set_nonblocking(true)?;
        }
        let deadline = Instant::now().checked_add(timeout);
        let result = match guard.connect(&addr) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
                self.finish_connect(&guard, deadline, Some(timeout), &endpoint)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(self.backlog_full(&e, &endpoint))
            }
            Err(e) => Err(self.os_error(&e, format!("connect {endpoint}"))),
        };
        if os_blocking {
            set_nonblocking(false)?;
        }
        result
    }

    /// Closes one or both directions (`shutdown(2)`).
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let guard = self.enter("shutdown")?;
        let how = match how {
            Shutdown::Receive => StdShutdown::Read,
            Shutdown::Send => StdShutdown::Write,
            Shutdown::Both => StdShutdown::Both,
        };
        guard
            .shutdown(how)
            .map_err(|e| self.os_error(&e, self.describe("shutdown")))
    }

    /// Ends the connection. With `reuse_socket` the socket returns to the
    /// unconnected state and can connect again (on Linux this dissolves the
    /// association with `connect(AF_UNSPEC)`; a TCP connection whose peer has
    /// not finished closing is reset); without it the socket is closed.
    pub fn disconnect(&self, reuse_socket: bool) -> Result<()> {
        if !reuse_socket {
            self.close();
            return Ok(());
        }
        let guard = self.enter("disconnect")?;
        if self.socket_type == SocketType::Stream {
            match guard.shutdown(StdShutdown::Both) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {}
                Err(e) => return Err(self.os_error(&e, "disconnect")),
            }
        }
        let unspec = unspecified_sockaddr();
        match guard.connect(&unspec) {
            Ok(()) => Ok(()),
            // Linux reports EAFNOSUPPORT for some families even though the
            // association is dissolved.
            Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => Ok(()),
            Err(e) => Err(self.os_error(&e, "disconnect")),
        }
    }

    /// Closes the socket. Calls blocked in it on other threads end with
    /// [`SocketError::OperationAborted`]; every later call fails the same way.
    /// Closing twice is harmless. Dropping the socket closes it too.
    pub fn close(&self) {
        self.handle.close(|socket| {
            // Wakes blocked accept/receive/connect/poll calls on Linux, for
            // connected, listening and datagram sockets alike.
            let _ = socket.shutdown(StdShutdown::Both);
        });
        if let Some(registration) = self.handle.registration() {
            registration.source.wake_all();
        }
    }

    /// Closes the socket after setting linger to `timeout`: the close waits up
    /// to `timeout` for unsent data to be delivered (`Duration::ZERO` resets
    /// the connection at once), like .NET's `Close(int timeout)`.
    pub fn close_timeout(&self, timeout: Duration) -> Result<()> {
        self.set_linger(Some(timeout))?;
        self.close();
        Ok(())
    }

    /// True once [`close`](Socket::close) was called.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    // ----- sending -----

    /// Sends bytes (`send(2)`); returns how many were sent. Never raises `SIGPIPE`.
    #[inline]
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.sync_op("send", SelectMode::Write, |s| {
            s.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Sends bytes with flags (out-of-band, don't-route, more).
    pub fn send_with_flags(&self, buf: &[u8], flags: SocketFlags) -> Result<usize> {
        self.sync_op("send", SelectMode::Write, |s| {
            s.send_with_flags(buf, flags.to_msg() | libc::MSG_NOSIGNAL)
        })
    }

    /// Sends several buffers in one call (`sendmsg(2)`, gather); zero-length buffers are fine.
    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        self.send_vectored_with_flags(bufs, SocketFlags::empty())
    }

    /// Sends several buffers in one call, with flags.
    pub fn send_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        flags: SocketFlags,
    ) -> Result<usize> {
        self.sync_op("send", SelectMode::Write, |s| {
            s.send_vectored_with_flags(bufs, flags.to_msg() | libc::MSG_NOSIGNAL)
        })
    }

    /// Sends a datagram to an endpoint (`sendto(2)`). A
    /// [`DnsEndPoint`](crate::DnsEndPoint) is refused.
    pub fn send_to(&self, buf: &[u8], endpoint: impl Into<EndPoint>) -> Result<usize> {
        self.send_to_with_flags(buf, endpoint, SocketFlags::empty())
    }

    /// Sends a datagram to an endpoint, with flags.
    pub fn send_to_with_flags(
        &self,
        buf: &[u8],
        endpoint: impl Into<EndPoint>,
        flags: SocketFlags,
    ) -> Result<usize> {
        let endpoint = endpoint.into();
        let addr = endpoint.to_sockaddr(self.family, "send_to")?;
        self.sync_op("send_to", SelectMode::Write, |s| {
            s.send_to_with_flags(buf, &addr, flags.to_msg() | libc::MSG_NOSIGNAL)
        })
    }

    // ----- receiving -----

    /// Receives bytes (`recv(2)`).
    ///
    /// On a stream socket, returns 0 at end of stream. An empty `buf` waits
    /// (as in Winsock) until data can be read, then returns 0 without consuming
    /// anything. On a datagram socket one call returns one datagram; one larger
    /// than `buf` fails with [`SocketError::MessageSize`] after filling `buf`
    /// (use [`receive_with_flags`](Socket::receive_with_flags) to get the
    /// truncated bytes without an error).
    #[inline]
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() || self.socket_type.has_message_boundaries() {
            let (n, flags) = self.receive_with_flags(buf, SocketFlags::empty())?;
            if flags.contains(SocketFlags::TRUNCATED) {
                return Err(self.truncated_error("receive", buf.len()));
            }
            return Ok(n);
        }
        let n = self.sync_op("receive", SelectMode::Read, |s| s.recv(as_uninit(buf)))?;
        self.check_aborted(n, "receive")
    }

    #[cold]
    fn truncated_error(&self, verb: &str, len: usize) -> Error {
        Error::new(SocketError::MessageSize, self.describe(verb)).with_detail(format!(
            "the datagram was larger than the {len}-byte buffer and was cut"
        ))
    }

    /// Receives bytes with flags; returns the count and the reported flags
    /// ([`SocketFlags::TRUNCATED`] when a datagram was cut to fit `buf`).
    pub fn receive_with_flags(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<(usize, SocketFlags)> {
        if buf.is_empty() && self.socket_type == SocketType::Stream {
            self.wait_for_data("receive")?;
            return Ok((0, SocketFlags::empty()));
        }
        let (n, reported) = self.sync_op("receive", SelectMode::Read, |s| {
            let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
            s.recv_vectored_with_flags(&mut bufs, flags.to_msg())
        })?;
        Ok((self.check_aborted(n, "receive")?, reported_flags(reported)))
    }

    /// The Winsock zero-byte receive: wait until data (or end of stream) can be read.
    fn wait_for_data(&self, verb: &'static str) -> Result<()> {
        let timeout = if self.blocking() {
            self.receive_timeout()?
        } else {
            Some(Duration::ZERO)
        };
        if self.poll(timeout, SelectMode::Read)? {
            return Ok(());
        }
        if self.handle.is_closed() {
            return Err(self.closed_error(verb));
        }
        let kind = if self.blocking() {
            SocketError::TimedOut
        } else {
            SocketError::WouldBlock
        };
        Err(Error::new(kind, self.describe(verb)))
    }

    /// Receives into several buffers in one call (`recvmsg(2)`, scatter).
    pub fn receive_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        let (n, flags) = self.receive_vectored_with_flags(bufs, SocketFlags::empty())?;
        if flags.contains(SocketFlags::TRUNCATED) {
            let len = bufs.iter().map(|b| b.len()).sum();
            return Err(self.truncated_error("receive", len));
        }
        Ok(n)
    }

    /// Receives into several buffers with flags; returns the count and the reported flags.
    pub fn receive_vectored_with_flags(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: SocketFlags,
    ) -> Result<(usize, SocketFlags)> {
        let bufs = as_uninit_slices(bufs);
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let (n, reported) = self.sync_op("receive", SelectMode::Read, |s| {
            s.recv_vectored_with_flags(bufs, flags.to_msg())
        })?;
        let n = if total == 0 {
            n
        } else {
            self.check_aborted(n, "receive")?
        };
        Ok((n, reported_flags(reported)))
    }

    /// Receives a datagram and its sender (`recvfrom(2)`). A datagram larger
    /// than `buf` fails with [`SocketError::MessageSize`] after filling `buf`.
    pub fn receive_from(&self, buf: &mut [u8]) -> Result<(usize, EndPoint)> {
        let (n, from, flags) = self.receive_from_with_flags(buf, SocketFlags::empty())?;
        if flags.contains(SocketFlags::TRUNCATED) {
            return Err(self.truncated_error("receive_from", buf.len()));
        }
        Ok((n, from))
    }

    /// Receives a datagram and its sender with flags; reports truncation in the returned flags.
    pub fn receive_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<(usize, EndPoint, SocketFlags)> {
        let (n, reported, addr) = self.sync_op("receive_from", SelectMode::Read, |s| {
            let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
            s.recv_from_vectored_with_flags(&mut bufs, flags.to_msg())
        })?;
        let n = self.check_aborted(n, "receive_from")?;
        Ok((n, EndPoint::from_sockaddr(&addr), reported_flags(reported)))
    }

    // ----- state -----

    /// The local endpoint (`getsockname(2)`).
    pub fn local_endpoint(&self) -> Result<EndPoint> {
        let guard = self.enter("local_endpoint")?;
        guard
            .local_addr()
            .map(|a| EndPoint::from_sockaddr(&a))
            .map_err(|e| self.os_error(&e, "local_endpoint"))
    }

    /// The connected peer's endpoint (`getpeername(2)`); `NotConnected` when there is none.
    pub fn remote_endpoint(&self) -> Result<EndPoint> {
        let guard = self.enter("remote_endpoint")?;
        guard
            .peer_addr()
            .map(|a| EndPoint::from_sockaddr(&a))
            .map_err(|e| self.os_error(&e, "remote_endpoint"))
    }

    /// True when the socket has a connected peer, as the OS reports it now.
    pub fn connected(&self) -> bool {
        self.handle
            .enter()
            .is_some_and(|guard| guard.peer_addr().is_ok())
    }

    /// True when the socket has a local address (bound explicitly, or by connect/listen).
    pub fn is_bound(&self) -> bool {
        match self.local_endpoint() {
            Ok(EndPoint::Ip(addr)) => addr.port() != 0,
            Ok(EndPoint::Unix(crate::UnixEndPoint::Unnamed)) | Err(_) => false,
            Ok(_) => true,
        }
    }

    /// The number of bytes that can be received without blocking (`FIONREAD`).
    pub fn available(&self) -> Result<usize> {
        let guard = self.enter("available")?;
        let mut count: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int through the pointer, which is valid.
        let rc = unsafe { libc::ioctl(guard.as_raw_fd(), libc::FIONREAD, &mut count) };
        if rc == -1 {
            return Err(self.os_error(&io::Error::last_os_error(), "available"));
        }
        Ok(count as usize)
    }

    /// True in blocking mode (the default).
    pub fn blocking(&self) -> bool {
        self.blocking.load(Ordering::Relaxed)
    }

    /// Switches between blocking and non-blocking mode (`O_NONBLOCK`).
    pub fn set_blocking(&self, blocking: bool) -> Result<()> {
        let guard = self.enter("set_blocking")?;
        let _mode = self.lock_mode();
        // An async-registered descriptor stays O_NONBLOCK; blocking is then emulated.
        if !self.async_registered.load(Ordering::Relaxed) {
            guard
                .set_nonblocking(!blocking)
                .map_err(|e| self.os_error(&e, "set_blocking"))?;
        }
        self.blocking.store(blocking, Ordering::Relaxed);
        Ok(())
    }

    /// The error a non-blocking connect failed with, if any (`SO_ERROR`); reading it clears it.
    pub fn pending_error(&self) -> Result<Option<Error>> {
        let guard = self.enter("pending_error")?;
        match guard.take_error() {
            // Not connected, so no peer to name (the caller knows the target):
            // "connect from 127.0.0.1:41234".
            Ok(Some(e)) => {
                let operation = match guard.local_addr() {
                    Ok(local) => format!("connect from {}", EndPoint::from_sockaddr(&local)),
                    Err(_) => "connect".to_string(),
                };
                Ok(Some(Error::from_io(&e, operation)))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.os_error(&e, "pending_error")),
        }
    }

    /// Waits until the socket is ready for `mode`, up to `timeout` (`None`
    /// waits without limit); see [`SelectMode`] for what each mode means.
    pub fn poll(&self, timeout: Option<Duration>, mode: SelectMode) -> Result<bool> {
        let guard = self.enter("poll")?;
        let deadline = deadline_after(timeout);
        wait_ready(guard.as_raw_fd(), mode, deadline)
            .map_err(|e| self.os_error(&e, self.describe("poll")))
    }

    pub(crate) fn trait_waiters(&self) -> &TraitWaiters {
        self.trait_waiters.get_or_init(Box::default)
    }

    pub(crate) fn packet_info_enabled(&self) -> &AtomicBool {
        &self.packet_info_enabled
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Socket");
        d.field("fd", &self.raw_fd)
            .field("family", &self.family)
            .field("type", &self.socket_type)
            .field("protocol", &self.protocol);
        if self.is_closed() {
            d.field("closed", &true);
        } else {
            if let Ok(local) = self.local_endpoint() {
                d.field("local", &local.to_string());
            }
            if let Ok(remote) = self.remote_endpoint() {
                d.field("remote", &remote.to_string());
            }
        }
        d.finish()
    }
}

impl AsRawFd for Socket {
    /// The descriptor number. After [`Socket::close`] it no longer refers to this socket.
    fn as_raw_fd(&self) -> RawFd {
        self.raw_fd
    }
}

impl Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.receive(buf)?)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(self.receive_vectored(bufs)?)
    }
}

impl Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(self.send_vectored(bufs)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) fn reported_flags(reported: socket2::RecvFlags) -> SocketFlags {
    if reported.is_truncated() {
        SocketFlags::TRUNCATED
    } else {
        SocketFlags::empty()
    }
}

pub(crate) fn as_uninit_slices<'a, 'b>(
    bufs: &'a mut [IoSliceMut<'b>],
) -> &'a mut [MaybeUninitSlice<'b>] {
    // SAFETY: `IoSliceMut` and `MaybeUninitSlice` are both
    // `repr(transparent)` over `iovec` on Unix, and the OS only writes
    // initialised bytes into the buffers.
    unsafe { &mut *(bufs as *mut [IoSliceMut<'b>] as *mut [MaybeUninitSlice<'b>]) }
}

#[inline]
pub(crate) fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; the OS only writes
    // initialised bytes, so the slice stays initialised for the caller.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

fn unspecified_sockaddr() -> SockAddr {
    // SAFETY: a zeroed sockaddr_storage with family AF_UNSPEC is a valid
    // address of length sizeof(sa_family_t) for connect(2).
    unsafe {
        SockAddr::try_init(|storage, len| {
            (*storage.cast::<libc::sockaddr>()).sa_family = libc::AF_UNSPEC as libc::sa_family_t;
            *len = std::mem::size_of::<libc::sa_family_t>() as libc::socklen_t;
            Ok(())
        })
        .map(|((), addr)| addr)
        .expect("initialising an AF_UNSPEC address cannot fail")
    }
}
