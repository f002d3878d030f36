//! `Socket`: one OS socket, in the shape of .NET's `System.Net.Sockets.Socket`.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use once_cell::race::OnceBox;

use crate::bound_path::BoundPath;
use crate::cancel;
use crate::endpoint::EndPoint;
use crate::error::{Error, Result, SocketError};
use crate::handle::{Guard, Handle};
use crate::kind::{AddressFamily, ProtocolType, SocketType};
use crate::registration::Registration;
use crate::source::Direction;
use crate::wait::{deadline_after, wait_blocking, wait_ready, SelectMode, Waited};
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
/// use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
/// # fn main() -> netstack::sockets::Result<()> {
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
    /// The protocol's number (a `ProtocolType` takes twice the room).
    protocol: i32,
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
    /// What few sockets need, made on first use (out of line: most sockets
    /// never need it).
    extras: OnceBox<Extras>,
    /// Serialises changes of `O_NONBLOCK` and the reactor registration.
    mode_lock: Mutex<()>,
}

/// What few sockets need and most never do.
#[derive(Default)]
pub(crate) struct Extras {
    /// Waker slots of the `AsyncRead`/`AsyncWrite` impls.
    pub(crate) trait_waiters: TraitWaiters,
    /// The file of a Unix socket bound to a path, removed when it closes.
    pub(crate) bound_path: OnceLock<BoundPath>,
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
    /// use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
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
                let icmp = matches!(protocol, ProtocolType::Icmp | ProtocolType::IcmpV6);
                match (err.kind(), socket_type) {
                    (SocketError::AccessDenied, SocketType::Raw) => err.with_detail(
                        "raw sockets need CAP_NET_RAW: run as root or grant the capability (setcap cap_net_raw+ep)",
                    ),
                    (SocketError::AccessDenied, SocketType::Dgram) if icmp => err.with_detail(
                        "ICMP datagram sockets are allowed only to the groups in net.ipv4.ping_group_range (sysctl)",
                    ),
                    _ => err,
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
        Socket {
            handle: Handle::new(socket),
            family,
            socket_type,
            protocol: protocol.number(),
            blocking: AtomicBool::new(true),
            async_registered: AtomicBool::new(false),
            receive_timeout_us: AtomicU64::new(NO_TIMEOUT),
            send_timeout_us: AtomicU64::new(NO_TIMEOUT),
            packet_info_enabled: AtomicBool::new(false),
            extras: OnceBox::new(),
            mode_lock: Mutex::new(()),
        }
    }

    /// A socket taken over from an open descriptor whose descriptor is in
    /// `blocking` mode (see `conversions.rs`).
    pub(crate) fn adopt(
        socket: socket2::Socket,
        family: AddressFamily,
        socket_type: SocketType,
        protocol: ProtocolType,
        blocking: bool,
    ) -> Socket {
        let adopted = Socket::from_parts(socket, family, socket_type, protocol);
        adopted.blocking.store(blocking, Ordering::Relaxed);
        adopted
    }

    /// Gives up the descriptor, out of its reactor and still open; `None`
    /// once closed. Its `O_NONBLOCK` is as the socket left it.
    /// A Unix socket's file goes with the descriptor: it is not removed.
    pub(crate) fn into_descriptor(self) -> Option<socket2::Socket> {
        if let Some(bound) = self.extras_if_made().and_then(|e| e.bound_path.get()) {
            bound.keep();
        }
        self.handle.into_socket()
    }

    /// The address family given at creation (or read from the descriptor of
    /// a socket converted from elsewhere).
    pub fn address_family(&self) -> AddressFamily {
        self.family
    }

    /// The socket type given at creation (or read from the descriptor).
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The protocol given at creation (or read from the descriptor).
    pub fn protocol_type(&self) -> ProtocolType {
        ProtocolType::from_number(self.protocol)
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
        Error::new(SocketError::OperationAborted, operation).by_close()
    }

    /// A synchronous call that was blocked in the socket when `close` came
    /// ends as .NET's does: `accept` with `Interrupted`, a send or receive
    /// with `ConnectionAborted`, anything else with `OperationAborted`
    /// (asynchronous calls always end with `OperationAborted`).
    #[cold]
    pub(crate) fn closed_while_blocked(&self, err: Error, verb: &str) -> Error {
        if !err.is_aborted_by_close() {
            return err;
        }
        match verb {
            "accept" => err.with_kind(SocketError::Interrupted),
            v if v.starts_with("receive") || v.starts_with("send") => {
                err.with_kind(SocketError::ConnectionAborted)
            }
            _ => err,
        }
    }

    /// [`aborted_if_closed`](Self::aborted_if_closed) for a synchronous call.
    #[inline]
    pub(crate) fn sync_aborted_if_closed(&self, n: usize, verb: &'static str) -> Result<usize> {
        self.aborted_if_closed(n, verb)
            .map_err(|e| self.closed_while_blocked(e, verb))
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
            return error.with_kind(SocketError::OperationAborted).by_close();
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

    /// `n` unless it is the 0 of a receive that ended because the socket was closed.
    #[inline]
    pub(crate) fn aborted_if_closed(&self, n: usize, verb: &'static str) -> Result<usize> {
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
        if cancel::may_be_entered() && self.blocking() && !self.async_mode() && cancel::is_entered()
        {
            // The kernel's own blocking wait cannot be cancelled: wait with
            // poll(2), which watches the thread's token too.
            self.enter_async_mode(&guard, verb)?;
        }
        match op(&guard) {
            Ok(value) => Ok(value),
            Err(err) => self
                .sync_retry(&guard, verb, mode, err, op)
                .map_err(|e| self.closed_while_blocked(e, verb)),
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
                    match wait_blocking(guard.as_raw_fd(), mode, deadline)
                        .map_err(|e| self.os_error(&e, self.describe(verb)))?
                    {
                        Waited::Ready => {}
                        Waited::Cancelled => {
                            return Err(Error::new(SocketError::Cancelled, self.describe(verb)))
                        }
                        // Let the call itself report what happened (reset, end of stream, …).
                        Waited::Final => after_end_state = true,
                        Waited::TimedOut => {
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
    pub(crate) fn emulates_blocking(&self) -> bool {
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
        // SAFETY: the mode lock is held.
        Ok(unsafe { self.handle.set_registration(registration) })
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

    pub(crate) fn lock_mode(&self) -> MutexGuard<'_, ()> {
        self.mode_lock.lock().unwrap_or_else(|p| p.into_inner())
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
            .map_err(|e| self.os_error(&e, format!("bind {endpoint}")))?;
        if let Some(crate::UnixEndPoint::Path(path)) = endpoint.as_unix() {
            if let Some(bound) = BoundPath::created(path) {
                let _ = self.extras().bound_path.set(bound);
            }
        }
        Ok(())
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
        let accepted =
            Socket::from_parts(socket, self.family, self.socket_type, self.protocol_type());
        // Linux copies SO_RCVTIMEO/SO_SNDTIMEO to accepted sockets: so does the cache.
        accepted.cache_timeouts(
            Some(self.cached_timeout(SelectMode::Read)),
            Some(self.cached_timeout(SelectMode::Write)),
        );
        accepted
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

    /// True when the asynchronous mode knows, without a system call, that
    /// the socket is not ready for `mode`: an asynchronous call found it not
    /// ready (`WouldBlock`, or a short read or write on a stream) and its
    /// reactor has reported nothing since. False when that is not known: the
    /// socket was never used asynchronously, a report came, or `mode` is
    /// [`SelectMode::Error`]. [`Socket::poll`] asks the system instead.
    ///
    /// A reactor learns of new readiness when it next turns, so the answer
    /// can lag the kernel by that much. Only reactors that are always
    /// driven answer: netstack's, async-io's, and a multi-thread tokio
    /// runtime's; a socket on a current-thread runtime's driver (turned
    /// only inside its `block_on`) is never known not ready. A connection
    /// pool uses it to see an idle connection is still open (the peer's
    /// close or stray bytes are a readiness report) without a `poll(2)`
    /// per reuse.
    pub fn known_not_ready(&self, mode: SelectMode) -> bool {
        let direction = match mode {
            SelectMode::Read => Direction::Read,
            SelectMode::Write => Direction::Write,
            SelectMode::Error => return false,
        };
        self.handle
            .registration()
            .is_some_and(|registration| registration.known_not_ready(direction))
    }

    pub(crate) fn trait_waiters(&self) -> &TraitWaiters {
        &self.extras().trait_waiters
    }

    pub(crate) fn extras(&self) -> &Extras {
        self.extras.get_or_init(Box::default)
    }

    /// The extras, if anything has made them.
    pub(crate) fn extras_if_made(&self) -> Option<&Extras> {
        self.extras.get()
    }

    /// The handle, for the calls that end the socket's life.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    pub(crate) fn packet_info_enabled(&self) -> &AtomicBool {
        &self.packet_info_enabled
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Socket");
        d.field("fd", &self.handle.raw_fd())
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
    /// The descriptor number. After [`Socket::close`] it names an inert
    /// placeholder until the socket is dropped.
    fn as_raw_fd(&self) -> RawFd {
        self.handle.raw_fd()
    }
}
