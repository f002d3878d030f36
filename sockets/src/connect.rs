//! Connecting: `connect` and its variants (an endpoint, a host name, a list
//! of addresses, a deadline), and the errors a connect that does not finish
//! ends with. The asynchronous connect (in `async_ops`) shares the latter.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use socket2::SockAddr;

use crate::dns::Dns;
use crate::endpoint::{unspecified_sockaddr, EndPoint};
use crate::error::{Error, Result, SocketError};
use crate::handle::Guard;
use crate::socket::Socket;
use crate::wait::{deadline_after, wait_ready, SelectMode};

impl Socket {
    /// Connects to an endpoint (`connect(2)`).
    ///
    /// A [`DnsEndPoint`](crate::DnsEndPoint) is resolved with
    /// [`Dns::get_host_addresses`] and its addresses of a family this socket
    /// can reach are tried in order. In non-blocking mode a TCP connect fails
    /// with [`SocketError::WouldBlock`], as in .NET (the OS code stays
    /// `EINPROGRESS`, in [`Error::native_code`]), and completes in the
    /// background: wait for [`SelectMode::Write`] (success) or
    /// [`SelectMode::Error`] (failure, see
    /// [`pending_error`](Socket::pending_error)); [`connected`](Socket::connected)
    /// is true only once it succeeded.
    ///
    /// Connecting a stream socket that is already connected fails with
    /// [`SocketError::IsConnected`], in every mode. A datagram socket may
    /// connect again to change its default peer (std and POSIX allow it;
    /// .NET refuses it, which would only take that use away).
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
                let addr = endpoint.to_sockaddr(self.address_family(), "connect")?;
                self.connect_sockaddr(&addr, &endpoint)
            }
        }
    }

    fn connect_sockaddr(&self, addr: &SockAddr, endpoint: &EndPoint) -> Result<()> {
        let guard = self.enter("connect")?;
        self.refuse_if_connected(&guard, endpoint)?;
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
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Err(self
                .os_error(&e, format!("connect {endpoint}"))
                .with_kind(SocketError::WouldBlock)
                .with_detail(
                    "the connection is being made in the background: wait until the socket \
                     is writable (or has an error) to learn how it ended",
                )),
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
        if self.is_closed() {
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
        let addr = endpoint.to_sockaddr(self.address_family(), "connect")?;
        let guard = self.enter("connect")?;
        self.refuse_if_connected(&guard, &endpoint)?;
        let _mode = self.lock_mode();
        let os_blocking = self.blocking() && !self.async_mode();
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

    /// A stream socket that is connected already fails with `IsConnected`.
    /// The OS says so itself only once it has reported the connect's end
    /// through a second `connect(2)`, which a connect completed by waiting
    /// for writability never makes: the socket asks getpeername(2) first.
    pub(crate) fn refuse_if_connected(&self, guard: &Guard<'_>, endpoint: &EndPoint) -> Result<()> {
        if self.socket_type().has_message_boundaries() || guard.peer_addr().is_err() {
            return Ok(());
        }
        Err(
            Error::from_errno(libc::EISCONN, format!("connect {endpoint}"))
                .with_detail("the socket is connected already; disconnect it first"),
        )
    }

    #[cold]
    pub(crate) fn no_usable_address(&self, addresses: &[IpAddr], port: u16) -> Error {
        Error::new(
            SocketError::AddressFamilyNotSupported,
            format!("connect {addresses:?} port {port}"),
        )
        .with_detail(format!(
            "no address fits this {} socket",
            self.address_family()
        ))
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
}
