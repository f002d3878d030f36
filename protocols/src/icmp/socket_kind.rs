//! The two kinds of socket ICMP echo can travel on, and how each is opened.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sockets::{AddressFamily, ProtocolType, Socket, SocketError, SocketType};

/// Which kind of socket a [`Pinger`](super::Pinger) sends its echo requests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpSocketKind {
    /// A raw ICMP socket (`SOCK_RAW`): needs root or `CAP_NET_RAW`. It
    /// sees every ICMP message that reaches the host, error reports
    /// included, and IPv4 packets with their IP header (so replies show
    /// their TTL).
    Raw,
    /// An unprivileged ICMP datagram socket (`SOCK_DGRAM` with
    /// `IPPROTO_ICMP`/`IPPROTO_ICMPV6`, Linux's "ping socket"): allowed to
    /// the groups in the `net.ipv4.ping_group_range` sysctl. The kernel
    /// sets the echo identifier to the socket's local port, computes the
    /// checksum, and delivers only this socket's echo replies, without an
    /// IP header (the kernel reports the TTL beside it) and without error
    /// reports (a request that draws one times out).
    Datagram,
}

impl fmt::Display for IcmpSocketKind {
    /// "a raw ICMP socket" / "an unprivileged ICMP datagram socket".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IcmpSocketKind::Raw => "a raw ICMP socket",
            IcmpSocketKind::Datagram => "an unprivileged ICMP datagram socket",
        })
    }
}

impl IcmpSocketKind {
    /// Opens a socket of this kind for echo to `target`. A datagram socket
    /// is bound at once, so the kernel has chosen its echo identifier.
    pub(super) fn open(self, target: IpAddr) -> sockets::Result<Socket> {
        let (family, protocol, unspecified) = match target {
            IpAddr::V4(_) => (
                AddressFamily::InterNetwork,
                ProtocolType::Icmp,
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ),
            IpAddr::V6(_) => (
                AddressFamily::InterNetworkV6,
                ProtocolType::IcmpV6,
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            ),
        };
        match self {
            IcmpSocketKind::Raw => Socket::new(family, SocketType::Raw, protocol),
            IcmpSocketKind::Datagram => {
                let socket = Socket::new(family, SocketType::Dgram, protocol)?;
                socket.bind((unspecified, 0))?;
                Ok(socket)
            }
        }
    }

    /// Opens a raw socket, or a datagram socket when the raw one is
    /// refused for want of privilege. When both are refused the error is
    /// `AccessDenied` and says what each kind needs.
    pub(super) fn open_either(target: IpAddr) -> sockets::Result<(Socket, IcmpSocketKind)> {
        let raw_refused = match IcmpSocketKind::Raw.open(target) {
            Ok(socket) => return Ok((socket, IcmpSocketKind::Raw)),
            Err(err) if err.kind() == SocketError::AccessDenied => err,
            Err(err) => return Err(err),
        };
        match IcmpSocketKind::Datagram.open(target) {
            Ok(socket) => Ok((socket, IcmpSocketKind::Datagram)),
            Err(err) if err.kind() == SocketError::AccessDenied => Err(sockets::Error::new(
                SocketError::AccessDenied,
                format!("open an ICMP socket for {target}"),
            )
            .with_detail(
                "a raw ICMP socket needs root or CAP_NET_RAW (run as root, or setcap \
                 cap_net_raw+ep on the program), and an unprivileged ICMP datagram socket \
                 needs one of the process's groups in net.ipv4.ping_group_range (sysctl)",
            )),
            // No datagram ICMP sockets on this system: the raw refusal says what to do.
            Err(_) => Err(raw_refused),
        }
    }
}
