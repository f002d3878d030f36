//! Socket options: one method pair per option, a typed [`SocketOption`] for
//! generic code, and raw byte-level access for anything else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::TcpKeepalive;

use crate::error::{Error, Result, SocketError};
use crate::kind::AddressFamily;
use crate::socket::Socket;

/// TCP keep-alive timing (`TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepAlive {
    /// Idle time before the first probe.
    pub idle: Option<Duration>,
    /// Time between probes.
    pub interval: Option<Duration>,
    /// Unanswered probes before the connection is dropped.
    pub retries: Option<u32>,
}

/// The name of an option, to read it with [`Socket::get_option`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketOptionName {
    /// `SO_REUSEADDR`.
    ReuseAddress,
    /// `SO_REUSEPORT`.
    ReusePort,
    /// Neither `SO_REUSEADDR` nor `SO_REUSEPORT` (see [`Socket::exclusive_address_use`]).
    ExclusiveAddressUse,
    /// `SO_KEEPALIVE`.
    KeepAlive,
    /// `TCP_NODELAY`.
    NoDelay,
    /// `SO_LINGER`.
    Linger,
    /// `SO_RCVBUF`.
    ReceiveBuffer,
    /// `SO_SNDBUF`.
    SendBuffer,
    /// `SO_RCVTIMEO`.
    ReceiveTimeout,
    /// `SO_SNDTIMEO`.
    SendTimeout,
    /// `SO_BROADCAST`.
    Broadcast,
    /// `IP_TTL` / `IPV6_UNICAST_HOPS`.
    Ttl,
    /// `IP_MTU_DISCOVER` / `IPV6_MTU_DISCOVER` set to "do".
    DontFragment,
    /// `IP_MULTICAST_TTL` / `IPV6_MULTICAST_HOPS`.
    MulticastTtl,
    /// `IP_MULTICAST_LOOP` / `IPV6_MULTICAST_LOOP`.
    MulticastLoopback,
    /// `IPV6_V6ONLY`, inverted.
    DualMode,
    /// `SO_OOBINLINE`.
    OutOfBandInline,
    /// `SO_ACCEPTCONN` (read only).
    AcceptConnection,
}

/// An option with its value, for [`Socket::set_option`] and [`Socket::get_option`].
///
/// ```
/// use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketOption, SocketOptionName, SocketType};
/// let s = Socket::new(AddressFamily::InterNetwork, SocketType::Stream, ProtocolType::Tcp).unwrap();
/// s.set_option(SocketOption::NoDelay(true)).unwrap();
/// assert_eq!(s.get_option(SocketOptionName::NoDelay).unwrap(), SocketOption::NoDelay(true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketOption {
    /// Allow binding an address in `TIME_WAIT` (`SO_REUSEADDR`).
    ReuseAddress(bool),
    /// Allow several sockets to bind the same port (`SO_REUSEPORT`).
    ReusePort(bool),
    /// Refuse to share the port (see [`Socket::set_exclusive_address_use`]).
    ExclusiveAddressUse(bool),
    /// Send keep-alive probes (`SO_KEEPALIVE`).
    KeepAlive(bool),
    /// Disable Nagle's algorithm (`TCP_NODELAY`).
    NoDelay(bool),
    /// Linger on close (`SO_LINGER`); `None` is off.
    Linger(Option<Duration>),
    /// Receive buffer size in bytes (`SO_RCVBUF`).
    ReceiveBuffer(usize),
    /// Send buffer size in bytes (`SO_SNDBUF`).
    SendBuffer(usize),
    /// Receive timeout in blocking mode (`SO_RCVTIMEO`); `None` waits forever.
    ReceiveTimeout(Option<Duration>),
    /// Send timeout in blocking mode (`SO_SNDTIMEO`); `None` waits forever.
    SendTimeout(Option<Duration>),
    /// Allow sending to broadcast addresses (`SO_BROADCAST`).
    Broadcast(bool),
    /// Unicast time-to-live / hop limit.
    Ttl(u32),
    /// Set the don't-fragment bit (path MTU discovery "do").
    DontFragment(bool),
    /// Multicast time-to-live / hop limit.
    MulticastTtl(u32),
    /// Receive our own multicast datagrams.
    MulticastLoopback(bool),
    /// Accept IPv4 peers on an IPv6 socket.
    DualMode(bool),
    /// Receive out-of-band data inline (`SO_OOBINLINE`).
    OutOfBandInline(bool),
    /// The socket is listening (read only).
    AcceptConnection(bool),
}

impl SocketOption {
    /// The option's name.
    pub fn name(&self) -> SocketOptionName {
        use SocketOption as O;
        use SocketOptionName as N;
        match self {
            O::ReuseAddress(_) => N::ReuseAddress,
            O::ReusePort(_) => N::ReusePort,
            O::ExclusiveAddressUse(_) => N::ExclusiveAddressUse,
            O::KeepAlive(_) => N::KeepAlive,
            O::NoDelay(_) => N::NoDelay,
            O::Linger(_) => N::Linger,
            O::ReceiveBuffer(_) => N::ReceiveBuffer,
            O::SendBuffer(_) => N::SendBuffer,
            O::ReceiveTimeout(_) => N::ReceiveTimeout,
            O::SendTimeout(_) => N::SendTimeout,
            O::Broadcast(_) => N::Broadcast,
            O::Ttl(_) => N::Ttl,
            O::DontFragment(_) => N::DontFragment,
            O::MulticastTtl(_) => N::MulticastTtl,
            O::MulticastLoopback(_) => N::MulticastLoopback,
            O::DualMode(_) => N::DualMode,
            O::OutOfBandInline(_) => N::OutOfBandInline,
            O::AcceptConnection(_) => N::AcceptConnection,
        }
    }
}

/// The OS reads a zero timeout as "wait forever": refuse it (and anything
/// shorter than its microsecond resolution) rather than invert its meaning.
fn check_timeout(operation: &'static str, timeout: Option<Duration>) -> Result<()> {
    match timeout {
        Some(t) if t < Duration::from_micros(1) => Err(Error::new(
            SocketError::InvalidArgument,
            operation,
        )
        .with_detail(format!(
            "a timeout of {t:?} is refused: use None to wait without limit, or set_blocking(false) for calls that never wait"
        ))),
        _ => Ok(()),
    }
}

/// Implements a getter and setter pair that forwards to socket2.
macro_rules! forward_option {
    ($(#[$doc:meta])* $get:ident, $set:ident, $ty:ty, $s2get:ident, $s2set:ident) => {
        $(#[$doc])*
        pub fn $get(&self) -> Result<$ty> {
            let guard = self.enter(stringify!($get))?;
            guard
                .$s2get()
                .map_err(|e| self.os_error(&e, stringify!($get)))
        }

        #[doc = concat!("Sets the value that [`", stringify!($get), "`](Socket::", stringify!($get), ") reads.")]
        pub fn $set(&self, value: $ty) -> Result<()> {
            let guard = self.enter(stringify!($set))?;
            guard
                .$s2set(value)
                .map_err(|e| self.os_error(&e, format!("{} {:?}", stringify!($set), value)))
        }
    };
}

impl Socket {
    fn require_family(&self, operation: &'static str, ip: bool) -> Result<()> {
        if ip && !self.address_family().is_ip() {
            return Err(
                Error::new(SocketError::AddressFamilyNotSupported, operation).with_detail(format!(
                    "this option applies to IP sockets, not to a {} socket",
                    self.address_family()
                )),
            );
        }
        Ok(())
    }

    fn require_v6(&self, operation: &'static str) -> Result<()> {
        if self.address_family() != AddressFamily::InterNetworkV6 {
            return Err(
                Error::new(SocketError::AddressFamilyNotSupported, operation).with_detail(format!(
                    "this option applies to IPv6 sockets, not to a {} socket",
                    self.address_family()
                )),
            );
        }
        Ok(())
    }

    forward_option!(
        /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
        no_delay, set_no_delay, bool, tcp_nodelay, set_tcp_nodelay
    );
    forward_option!(
        /// Whether `SO_REUSEADDR` is set: bind may take an address in `TIME_WAIT`.
        reuse_address, set_reuse_address, bool, reuse_address, set_reuse_address
    );
    forward_option!(
        /// Whether `SO_REUSEPORT` is set: sockets that all set it may bind the same port.
        reuse_port, set_reuse_port, bool, reuse_port, set_reuse_port
    );
    forward_option!(
        /// Whether keep-alive probes are sent (`SO_KEEPALIVE`).
        keep_alive, set_keep_alive, bool, keepalive, set_keepalive
    );
    forward_option!(
        /// The receive buffer size in bytes (`SO_RCVBUF`; Linux doubles the value set).
        receive_buffer_size, set_receive_buffer_size, usize, recv_buffer_size, set_recv_buffer_size
    );
    forward_option!(
        /// The send buffer size in bytes (`SO_SNDBUF`; Linux doubles the value set).
        send_buffer_size, set_send_buffer_size, usize, send_buffer_size, set_send_buffer_size
    );
    /// How long a receive or accept waits before failing with `TimedOut`
    /// (`SO_RCVTIMEO`); `None` waits forever. It bounds the synchronous calls
    /// and, unlike .NET's, the asynchronous ones too.
    pub fn receive_timeout(&self) -> Result<Option<Duration>> {
        // The value this socket set (kept in step with the OS by every
        // setter, raw ones included): no system call.
        drop(self.enter("receive_timeout")?);
        Ok(self.cached_timeout(crate::SelectMode::Read))
    }

    /// Sets the receive timeout; a zero duration is refused (use non-blocking mode).
    pub fn set_receive_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        check_timeout("set_receive_timeout", timeout)?;
        let guard = self.enter("set_receive_timeout")?;
        guard
            .set_read_timeout(timeout)
            .map_err(|e| self.os_error(&e, format!("set_receive_timeout {timeout:?}")))?;
        self.cache_timeouts(Some(timeout), None);
        Ok(())
    }

    /// How long a send waits before failing with `TimedOut` (`SO_SNDTIMEO`);
    /// `None` waits forever. It bounds synchronous and asynchronous sends.
    pub fn send_timeout(&self) -> Result<Option<Duration>> {
        drop(self.enter("send_timeout")?);
        Ok(self.cached_timeout(crate::SelectMode::Write))
    }

    /// Sets the send timeout; a zero duration is refused (use non-blocking mode).
    pub fn set_send_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        check_timeout("set_send_timeout", timeout)?;
        let guard = self.enter("set_send_timeout")?;
        guard
            .set_write_timeout(timeout)
            .map_err(|e| self.os_error(&e, format!("set_send_timeout {timeout:?}")))?;
        self.cache_timeouts(None, Some(timeout));
        Ok(())
    }
    forward_option!(
        /// Linger on close (`SO_LINGER`): `Some(t)` makes close wait up to `t` for unsent data.
        linger, set_linger, Option<Duration>, linger, set_linger
    );
    forward_option!(
        /// Whether datagrams may be sent to broadcast addresses (`SO_BROADCAST`).
        broadcast, set_broadcast, bool, broadcast, set_broadcast
    );
    forward_option!(
        /// Whether out-of-band data is received inline (`SO_OOBINLINE`).
        out_of_band_inline, set_out_of_band_inline, bool, out_of_band_inline, set_out_of_band_inline
    );

    /// Sets keep-alive timing and turns keep-alive on (`TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
    pub fn set_keep_alive_params(&self, params: KeepAlive) -> Result<()> {
        let mut ka = TcpKeepalive::new();
        if let Some(idle) = params.idle {
            ka = ka.with_time(idle);
        }
        if let Some(interval) = params.interval {
            ka = ka.with_interval(interval);
        }
        if let Some(retries) = params.retries {
            ka = ka.with_retries(retries);
        }
        let guard = self.enter("set_keep_alive_params")?;
        guard
            .set_tcp_keepalive(&ka)
            .map_err(|e| self.os_error(&e, format!("set_keep_alive_params {params:?}")))
    }

    /// The keep-alive timing in force.
    pub fn keep_alive_params(&self) -> Result<KeepAlive> {
        let guard = self.enter("keep_alive_params")?;
        let map = |e: std::io::Error| self.os_error(&e, "keep_alive_params");
        Ok(KeepAlive {
            idle: Some(guard.tcp_keepalive_time().map_err(map)?),
            interval: Some(guard.tcp_keepalive_interval().map_err(map)?),
            retries: Some(guard.tcp_keepalive_retries().map_err(map)?),
        })
    }

    /// True when the port is not shared: neither `SO_REUSEADDR` nor
    /// `SO_REUSEPORT` is set. (Windows' `SO_EXCLUSIVEADDRUSE`; on Unix a
    /// socket that opts in to neither never shares its port.)
    pub fn exclusive_address_use(&self) -> Result<bool> {
        Ok(!self.reuse_address()? && !self.reuse_port()?)
    }

    /// `true` clears `SO_REUSEADDR` and `SO_REUSEPORT`; `false` sets
    /// `SO_REUSEPORT` so that other sockets that also opt in may share the port.
    /// Set it before `bind`.
    pub fn set_exclusive_address_use(&self, exclusive: bool) -> Result<()> {
        if exclusive {
            self.set_reuse_address(false)?;
            self.set_reuse_port(false)
        } else {
            self.set_reuse_port(true)
        }
    }

    /// The unicast time-to-live (IPv4 `IP_TTL`) or hop limit (IPv6 `IPV6_UNICAST_HOPS`).
    pub fn ttl(&self) -> Result<u32> {
        self.require_family("ttl", true)?;
        let guard = self.enter("ttl")?;
        let value = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.unicast_hops_v6()
        } else {
            guard.ttl_v4()
        };
        value.map_err(|e| self.os_error(&e, "ttl"))
    }

    /// Sets the unicast time-to-live or hop limit.
    pub fn set_ttl(&self, ttl: u32) -> Result<()> {
        self.require_family("set_ttl", true)?;
        let guard = self.enter("set_ttl")?;
        let result = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.set_unicast_hops_v6(ttl)
        } else {
            guard.set_ttl_v4(ttl)
        };
        result.map_err(|e| self.os_error(&e, format!("set_ttl {ttl}")))
    }

    /// Whether the don't-fragment bit is set (path MTU discovery "do").
    pub fn dont_fragment(&self) -> Result<bool> {
        self.require_family("dont_fragment", true)?;
        let (level, name) = self.mtu_discover_option();
        let mut value = [0u8; 4];
        self.get_raw_option(level, name, &mut value)?;
        Ok(libc::c_int::from_ne_bytes(value) == libc::IP_PMTUDISC_DO)
    }

    /// Sets or clears the don't-fragment bit.
    pub fn set_dont_fragment(&self, dont_fragment: bool) -> Result<()> {
        self.require_family("set_dont_fragment", true)?;
        let (level, name) = self.mtu_discover_option();
        let value = if dont_fragment {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_DONT
        };
        self.set_raw_option(level, name, &value.to_ne_bytes())
    }

    fn mtu_discover_option(&self) -> (i32, i32) {
        if self.address_family() == AddressFamily::InterNetworkV6 {
            (libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER)
        } else {
            (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER)
        }
    }

    /// True when an IPv6 socket also carries IPv4 (`IPV6_V6ONLY` off).
    pub fn dual_mode(&self) -> Result<bool> {
        self.require_v6("dual_mode")?;
        let guard = self.enter("dual_mode")?;
        guard
            .only_v6()
            .map(|only| !only)
            .map_err(|e| self.os_error(&e, "dual_mode"))
    }

    /// Lets an IPv6 socket carry IPv4 too (set before `bind`).
    pub fn set_dual_mode(&self, dual: bool) -> Result<()> {
        self.require_v6("set_dual_mode")?;
        let guard = self.enter("set_dual_mode")?;
        guard
            .set_only_v6(!dual)
            .map_err(|e| self.os_error(&e, format!("set_dual_mode {dual}")))
    }

    /// The multicast time-to-live (IPv4) or hop limit (IPv6).
    pub fn multicast_ttl(&self) -> Result<u32> {
        self.require_family("multicast_ttl", true)?;
        let guard = self.enter("multicast_ttl")?;
        let value = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.multicast_hops_v6()
        } else {
            guard.multicast_ttl_v4()
        };
        value.map_err(|e| self.os_error(&e, "multicast_ttl"))
    }

    /// Sets the multicast time-to-live or hop limit.
    pub fn set_multicast_ttl(&self, ttl: u32) -> Result<()> {
        self.require_family("set_multicast_ttl", true)?;
        let guard = self.enter("set_multicast_ttl")?;
        let result = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.set_multicast_hops_v6(ttl)
        } else {
            guard.set_multicast_ttl_v4(ttl)
        };
        result.map_err(|e| self.os_error(&e, format!("set_multicast_ttl {ttl}")))
    }

    /// Whether this host receives its own multicast datagrams.
    pub fn multicast_loopback(&self) -> Result<bool> {
        self.require_family("multicast_loopback", true)?;
        let guard = self.enter("multicast_loopback")?;
        let value = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.multicast_loop_v6()
        } else {
            guard.multicast_loop_v4()
        };
        value.map_err(|e| self.os_error(&e, "multicast_loopback"))
    }

    /// Sets whether this host receives its own multicast datagrams.
    pub fn set_multicast_loopback(&self, enabled: bool) -> Result<()> {
        self.require_family("set_multicast_loopback", true)?;
        let guard = self.enter("set_multicast_loopback")?;
        let result = if self.address_family() == AddressFamily::InterNetworkV6 {
            guard.set_multicast_loop_v6(enabled)
        } else {
            guard.set_multicast_loop_v4(enabled)
        };
        result.map_err(|e| self.os_error(&e, format!("set_multicast_loopback {enabled}")))
    }

    /// Sends multicast from the IPv4 interface with this address.
    pub fn set_multicast_interface_v4(&self, interface: Ipv4Addr) -> Result<()> {
        let guard = self.enter("set_multicast_interface_v4")?;
        guard
            .set_multicast_if_v4(&interface)
            .map_err(|e| self.os_error(&e, format!("set_multicast_interface_v4 {interface}")))
    }

    /// Sends multicast from the IPv6 interface with this index.
    pub fn set_multicast_interface_v6(&self, interface_index: u32) -> Result<()> {
        let guard = self.enter("set_multicast_interface_v6")?;
        guard
            .set_multicast_if_v6(interface_index)
            .map_err(|e| self.os_error(&e, format!("set_multicast_interface_v6 {interface_index}")))
    }

    /// Joins an IPv4 multicast group on the interface with address `interface`
    /// (`Ipv4Addr::UNSPECIFIED` lets the OS choose).
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        let guard = self.enter("join_multicast")?;
        guard
            .join_multicast_v4(&group, &interface)
            .map_err(|e| self.os_error(&e, format!("join_multicast {group} on {interface}")))
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        let guard = self.enter("leave_multicast")?;
        guard
            .leave_multicast_v4(&group, &interface)
            .map_err(|e| self.os_error(&e, format!("leave_multicast {group} on {interface}")))
    }

    /// Joins an IPv6 multicast group on the interface with this index (0 lets the OS choose).
    pub fn join_multicast_v6(&self, group: Ipv6Addr, interface_index: u32) -> Result<()> {
        let guard = self.enter("join_multicast")?;
        guard
            .join_multicast_v6(&group, interface_index)
            .map_err(|e| self.os_error(&e, format!("join_multicast {group} on {interface_index}")))
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, group: Ipv6Addr, interface_index: u32) -> Result<()> {
        let guard = self.enter("leave_multicast")?;
        guard
            .leave_multicast_v6(&group, interface_index)
            .map_err(|e| self.os_error(&e, format!("leave_multicast {group} on {interface_index}")))
    }

    /// Joins a multicast group of either family: IPv4 on the OS's default
    /// interface, IPv6 on interface `0`.
    pub fn join_multicast(&self, group: IpAddr) -> Result<()> {
        match group {
            IpAddr::V4(g) => self.join_multicast_v4(g, Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(g) => self.join_multicast_v6(g, 0),
        }
    }

    /// Leaves a multicast group joined with [`join_multicast`](Socket::join_multicast).
    pub fn leave_multicast(&self, group: IpAddr) -> Result<()> {
        match group {
            IpAddr::V4(g) => self.leave_multicast_v4(g, Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(g) => self.leave_multicast_v6(g, 0),
        }
    }

    /// Reads an option by name.
    pub fn get_option(&self, name: SocketOptionName) -> Result<SocketOption> {
        use SocketOption as O;
        use SocketOptionName as N;
        Ok(match name {
            N::ReuseAddress => O::ReuseAddress(self.reuse_address()?),
            N::ReusePort => O::ReusePort(self.reuse_port()?),
            N::ExclusiveAddressUse => O::ExclusiveAddressUse(self.exclusive_address_use()?),
            N::KeepAlive => O::KeepAlive(self.keep_alive()?),
            N::NoDelay => O::NoDelay(self.no_delay()?),
            N::Linger => O::Linger(self.linger()?),
            N::ReceiveBuffer => O::ReceiveBuffer(self.receive_buffer_size()?),
            N::SendBuffer => O::SendBuffer(self.send_buffer_size()?),
            N::ReceiveTimeout => O::ReceiveTimeout(self.receive_timeout()?),
            N::SendTimeout => O::SendTimeout(self.send_timeout()?),
            N::Broadcast => O::Broadcast(self.broadcast()?),
            N::Ttl => O::Ttl(self.ttl()?),
            N::DontFragment => O::DontFragment(self.dont_fragment()?),
            N::MulticastTtl => O::MulticastTtl(self.multicast_ttl()?),
            N::MulticastLoopback => O::MulticastLoopback(self.multicast_loopback()?),
            N::DualMode => O::DualMode(self.dual_mode()?),
            N::OutOfBandInline => O::OutOfBandInline(self.out_of_band_inline()?),
            N::AcceptConnection => {
                let guard = self.enter("get_option AcceptConnection")?;
                O::AcceptConnection(
                    guard
                        .is_listener()
                        .map_err(|e| self.os_error(&e, "get_option AcceptConnection"))?,
                )
            }
        })
    }

    /// Sets an option.
    pub fn set_option(&self, option: SocketOption) -> Result<()> {
        use SocketOption as O;
        match option {
            O::ReuseAddress(v) => self.set_reuse_address(v),
            O::ReusePort(v) => self.set_reuse_port(v),
            O::ExclusiveAddressUse(v) => self.set_exclusive_address_use(v),
            O::KeepAlive(v) => self.set_keep_alive(v),
            O::NoDelay(v) => self.set_no_delay(v),
            O::Linger(v) => self.set_linger(v),
            O::ReceiveBuffer(v) => self.set_receive_buffer_size(v),
            O::SendBuffer(v) => self.set_send_buffer_size(v),
            O::ReceiveTimeout(v) => self.set_receive_timeout(v),
            O::SendTimeout(v) => self.set_send_timeout(v),
            O::Broadcast(v) => self.set_broadcast(v),
            O::Ttl(v) => self.set_ttl(v),
            O::DontFragment(v) => self.set_dont_fragment(v),
            O::MulticastTtl(v) => self.set_multicast_ttl(v),
            O::MulticastLoopback(v) => self.set_multicast_loopback(v),
            O::DualMode(v) => self.set_dual_mode(v),
            O::OutOfBandInline(v) => self.set_out_of_band_inline(v),
            O::AcceptConnection(_) => Err(Error::new(
                SocketError::InvalidArgument,
                "set_option AcceptConnection",
            )
            .with_detail("SO_ACCEPTCONN is read only: call listen")),
        }
    }

    /// Reads an option as raw bytes (`getsockopt(2)` with the OS's level and
    /// name numbers); returns how many bytes the OS wrote.
    pub fn get_raw_option(&self, level: i32, name: i32, value: &mut [u8]) -> Result<usize> {
        let guard = self.enter("get_raw_option")?;
        let mut len = value.len() as libc::socklen_t;
        // SAFETY: `value` is valid for writes of `len` bytes and `len` is its length.
        let rc = unsafe {
            libc::getsockopt(
                guard.as_raw_fd(),
                level,
                name,
                value.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc == -1 {
            let err = std::io::Error::last_os_error();
            return Err(self.os_error(&err, format!("get_raw_option level {level} name {name}")));
        }
        Ok(len as usize)
    }

    /// Sets an option from raw bytes (`setsockopt(2)` with the OS's level and name numbers).
    pub fn set_raw_option(&self, level: i32, name: i32, value: &[u8]) -> Result<()> {
        let guard = self.enter("set_raw_option")?;
        // SAFETY: `value` is valid for reads of its length.
        let rc = unsafe {
            libc::setsockopt(
                guard.as_raw_fd(),
                level,
                name,
                value.as_ptr().cast(),
                value.len() as libc::socklen_t,
            )
        };
        if rc == -1 {
            let err = std::io::Error::last_os_error();
            return Err(self.os_error(&err, format!("set_raw_option level {level} name {name}")));
        }
        if level == libc::SOL_SOCKET && name == libc::SO_RCVTIMEO {
            let timeout = guard
                .read_timeout()
                .map_err(|e| self.os_error(&e, "receive_timeout"))?;
            self.cache_timeouts(Some(timeout), None);
        }
        if level == libc::SOL_SOCKET && name == libc::SO_SNDTIMEO {
            let timeout = guard
                .write_timeout()
                .map_err(|e| self.os_error(&e, "send_timeout"))?;
            self.cache_timeouts(None, Some(timeout));
        }
        Ok(())
    }
}
