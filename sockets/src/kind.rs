//! What a socket is: its address family, its type and its protocol.

use std::fmt;

/// The address family of a socket (`AF_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    InterNetwork,
    /// IPv6 (`AF_INET6`); with dual mode it also carries IPv4 as IPv4-mapped addresses.
    InterNetworkV6,
    /// Unix domain sockets (`AF_UNIX`): file-system paths and Linux abstract names.
    Unix,
    /// Any other family (`AF_*` number, an `sa_family_t`), such as a netlink
    /// or packet socket taken over from a descriptor; `Other(0)` (`AF_UNSPEC`)
    /// when the descriptor could not tell (it is not a socket).
    Other(u16),
}

impl AddressFamily {
    pub(crate) fn domain(self) -> socket2::Domain {
        match self {
            AddressFamily::InterNetwork => socket2::Domain::IPV4,
            AddressFamily::InterNetworkV6 => socket2::Domain::IPV6,
            AddressFamily::Unix => socket2::Domain::UNIX,
            AddressFamily::Other(n) => socket2::Domain::from(i32::from(n)),
        }
    }

    pub(crate) fn from_domain(domain: socket2::Domain) -> AddressFamily {
        match domain {
            socket2::Domain::IPV4 => AddressFamily::InterNetwork,
            socket2::Domain::IPV6 => AddressFamily::InterNetworkV6,
            socket2::Domain::UNIX => AddressFamily::Unix,
            other => AddressFamily::Other(u16::try_from(i32::from(other)).unwrap_or(0)),
        }
    }

    /// True for the two IP families.
    pub fn is_ip(self) -> bool {
        matches!(
            self,
            AddressFamily::InterNetwork | AddressFamily::InterNetworkV6
        )
    }
}

impl fmt::Display for AddressFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressFamily::InterNetwork => f.write_str("IPv4"),
            AddressFamily::InterNetworkV6 => f.write_str("IPv6"),
            AddressFamily::Unix => f.write_str("Unix"),
            AddressFamily::Other(n) => write!(f, "family {n}"),
        }
    }
}

/// The type of a socket (`SOCK_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// A reliable byte stream (`SOCK_STREAM`): TCP, Unix stream.
    Stream,
    /// Datagrams (`SOCK_DGRAM`): UDP, Unix datagram, unprivileged ICMP on Linux.
    Dgram,
    /// Raw IP packets (`SOCK_RAW`): needs `CAP_NET_RAW`.
    Raw,
    /// Reliable, ordered datagrams with boundaries (`SOCK_SEQPACKET`).
    SeqPacket,
    /// Any other type (`SOCK_*` number; Linux keeps them under 16), as found
    /// on a descriptor taken over from elsewhere; `Other(0)` when the
    /// descriptor could not tell. (The small numbers keep a `Socket` small.)
    Other(u8),
}

impl SocketType {
    pub(crate) fn raw(self) -> socket2::Type {
        match self {
            SocketType::Stream => socket2::Type::STREAM,
            SocketType::Dgram => socket2::Type::DGRAM,
            SocketType::Raw => socket2::Type::RAW,
            SocketType::SeqPacket => socket2::Type::SEQPACKET,
            SocketType::Other(n) => socket2::Type::from(i32::from(n)),
        }
    }

    pub(crate) fn from_raw(socket_type: socket2::Type) -> SocketType {
        match socket_type {
            socket2::Type::STREAM => SocketType::Stream,
            socket2::Type::DGRAM => SocketType::Dgram,
            socket2::Type::RAW => SocketType::Raw,
            socket2::Type::SEQPACKET => SocketType::SeqPacket,
            other => SocketType::Other(u8::try_from(i32::from(other)).unwrap_or(0)),
        }
    }

    /// True when each receive returns at most one message (datagram, raw, seqpacket),
    /// so a message longer than the buffer is cut.
    pub fn has_message_boundaries(self) -> bool {
        !matches!(self, SocketType::Stream)
    }
}

impl fmt::Display for SocketType {
    /// The type as prose: "stream", "datagram", "raw", "seqpacket", or "type N".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SocketType::Stream => "stream",
            SocketType::Dgram => "datagram",
            SocketType::Raw => "raw",
            SocketType::SeqPacket => "seqpacket",
            SocketType::Other(n) => return write!(f, "type {n}"),
        })
    }
}

/// The protocol of a socket (`IPPROTO_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolType {
    /// Let the OS choose the default protocol for the family and type (0).
    Unspecified,
    /// TCP (`IPPROTO_TCP`).
    Tcp,
    /// UDP (`IPPROTO_UDP`).
    Udp,
    /// ICMP for IPv4 (`IPPROTO_ICMP`).
    Icmp,
    /// ICMP for IPv6 (`IPPROTO_ICMPV6`).
    IcmpV6,
    /// Raw IP (`IPPROTO_RAW`): the application writes the IP header.
    Raw,
    /// Any other protocol number.
    Other(i32),
}

impl ProtocolType {
    /// The protocol number given to `socket(2)`.
    pub fn number(self) -> i32 {
        match self {
            ProtocolType::Unspecified => 0,
            ProtocolType::Tcp => libc::IPPROTO_TCP,
            ProtocolType::Udp => libc::IPPROTO_UDP,
            ProtocolType::Icmp => libc::IPPROTO_ICMP,
            ProtocolType::IcmpV6 => libc::IPPROTO_ICMPV6,
            ProtocolType::Raw => libc::IPPROTO_RAW,
            ProtocolType::Other(n) => n,
        }
    }

    /// The protocol for a number (`IPPROTO_*`), as `SO_PROTOCOL` reports it.
    pub(crate) fn from_number(number: i32) -> ProtocolType {
        match number {
            0 => ProtocolType::Unspecified,
            libc::IPPROTO_TCP => ProtocolType::Tcp,
            libc::IPPROTO_UDP => ProtocolType::Udp,
            libc::IPPROTO_ICMP => ProtocolType::Icmp,
            libc::IPPROTO_ICMPV6 => ProtocolType::IcmpV6,
            libc::IPPROTO_RAW => ProtocolType::Raw,
            n => ProtocolType::Other(n),
        }
    }
}
