//! Endpoints: where a socket is bound or connected.

use std::ffi::OsStr;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use socket2::SockAddr;

use crate::error::{Error, Result, SocketError};
use crate::kind::AddressFamily;

/// A network endpoint, as .NET's `EndPoint` hierarchy models it.
///
/// IP endpoints carry a port (and, for IPv6, flow info and scope id); Unix
/// endpoints a path or a Linux abstract name; a [`DnsEndPoint`] a host name
/// that only [`Socket::connect`](crate::Socket::connect) accepts, resolving it first.
///
/// ```
/// use netstack::sockets::EndPoint;
/// let ep: EndPoint = "127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap().into();
/// assert_eq!(ep.to_string(), "127.0.0.1:8080");
/// let unix = EndPoint::unix_abstract(b"netstack-demo");
/// assert_eq!(unix.to_string(), "unix:@netstack-demo");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndPoint {
    /// An IPv4 or IPv6 address and port.
    Ip(SocketAddr),
    /// A Unix domain address.
    Unix(UnixEndPoint),
    /// A host name and port, resolved at connect time.
    Dns(DnsEndPoint),
}

/// A Unix domain socket address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnixEndPoint {
    /// A file-system path.
    Path(PathBuf),
    /// A Linux abstract name (no file; the name is not NUL-terminated).
    Abstract(Vec<u8>),
    /// An unnamed socket (e.g. the peer of a client that never bound).
    Unnamed,
}

/// A host name and port: the target of a connect that resolves the name
/// through [`Dns`](crate::Dns) and tries each address in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnsEndPoint {
    /// The host name (or an address literal).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl DnsEndPoint {
    /// A host name and port.
    pub fn new(host: impl Into<String>, port: u16) -> DnsEndPoint {
        DnsEndPoint {
            host: host.into(),
            port,
        }
    }
}

impl EndPoint {
    /// A Unix domain endpoint at a file-system path.
    pub fn unix_path(path: impl AsRef<Path>) -> EndPoint {
        EndPoint::Unix(UnixEndPoint::Path(path.as_ref().to_path_buf()))
    }

    /// A Unix domain endpoint with a Linux abstract name.
    pub fn unix_abstract(name: impl AsRef<[u8]>) -> EndPoint {
        EndPoint::Unix(UnixEndPoint::Abstract(name.as_ref().to_vec()))
    }

    /// An IPv6 endpoint with a scope id (interface index), for link-local addresses.
    pub fn ipv6_scoped(ip: Ipv6Addr, port: u16, scope_id: u32) -> EndPoint {
        EndPoint::Ip(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope_id)))
    }

    /// The IP address and port, if this is an IP endpoint.
    pub fn as_ip(&self) -> Option<SocketAddr> {
        match self {
            EndPoint::Ip(addr) => Some(*addr),
            _ => None,
        }
    }

    /// The Unix address, if this is a Unix endpoint.
    pub fn as_unix(&self) -> Option<&UnixEndPoint> {
        match self {
            EndPoint::Unix(unix) => Some(unix),
            _ => None,
        }
    }

    /// The address family this endpoint belongs to (`None` for a [`DnsEndPoint`]).
    pub fn family(&self) -> Option<AddressFamily> {
        match self {
            EndPoint::Ip(SocketAddr::V4(_)) => Some(AddressFamily::InterNetwork),
            EndPoint::Ip(SocketAddr::V6(_)) => Some(AddressFamily::InterNetworkV6),
            EndPoint::Unix(_) => Some(AddressFamily::Unix),
            EndPoint::Dns(_) => None,
        }
    }

    /// The OS address for this endpoint, for a socket of `family`.
    ///
    /// An IPv4 endpoint given to an IPv6 socket becomes an IPv4-mapped address
    /// (the dual-mode rule). A [`DnsEndPoint`] cannot be turned into an OS
    /// address: `operation` names the call that was refused.
    pub(crate) fn to_sockaddr(&self, family: AddressFamily, operation: &str) -> Result<SockAddr> {
        if let Some(own) = self.family() {
            let fits = own == family
                || (family == AddressFamily::InterNetworkV6 && own == AddressFamily::InterNetwork);
            if !fits {
                return Err(Error::new(
                    SocketError::AddressFamilyNotSupported,
                    format!("{operation} {self}"),
                )
                .with_detail(format!(
                    "the {own} endpoint does not fit this {family} socket"
                )));
            }
        }
        match self {
            EndPoint::Ip(addr) => {
                let addr = match (family, addr) {
                    (AddressFamily::InterNetworkV6, SocketAddr::V4(v4)) => SocketAddr::V6(
                        SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
                    ),
                    _ => *addr,
                };
                Ok(SockAddr::from(addr))
            }
            EndPoint::Unix(UnixEndPoint::Path(path)) => SockAddr::unix(path)
                .map_err(|e| Error::from_io(&e, format!("{operation} {self}"))),
            EndPoint::Unix(UnixEndPoint::Abstract(name)) => {
                let mut bytes = Vec::with_capacity(name.len() + 1);
                bytes.push(0);
                bytes.extend_from_slice(name);
                SockAddr::unix(OsStr::from_bytes(&bytes))
                    .map_err(|e| Error::from_io(&e, format!("{operation} {self}")))
            }
            EndPoint::Unix(UnixEndPoint::Unnamed) => {
                Err(Error::new(SocketError::InvalidArgument, format!("{operation} {self}"))
                    .with_detail("an unnamed Unix endpoint has no address to use"))
            }
            EndPoint::Dns(_) => Err(Error::new(
                SocketError::InvalidArgument,
                format!("{operation} {self}"),
            )
            .with_detail(
                "a DnsEndPoint can only be connected to; resolve it with Dns::get_host_addresses first",
            )),
        }
    }

    /// The endpoint for an OS address.
    pub(crate) fn from_sockaddr(addr: &SockAddr) -> EndPoint {
        if let Some(ip) = addr.as_socket() {
            return EndPoint::Ip(ip);
        }
        if addr.is_unix() {
            if let Some(path) = addr.as_pathname() {
                return EndPoint::Unix(UnixEndPoint::Path(path.to_path_buf()));
            }
            if let Some(name) = addr.as_abstract_namespace() {
                return EndPoint::Unix(UnixEndPoint::Abstract(name.to_vec()));
            }
        }
        EndPoint::Unix(UnixEndPoint::Unnamed)
    }
}

impl fmt::Display for EndPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndPoint::Ip(addr) => write!(f, "{addr}"),
            EndPoint::Unix(UnixEndPoint::Path(path)) => write!(f, "unix:{}", path.display()),
            EndPoint::Unix(UnixEndPoint::Abstract(name)) => {
                write!(f, "unix:@{}", String::from_utf8_lossy(name))
            }
            EndPoint::Unix(UnixEndPoint::Unnamed) => f.write_str("unix:(unnamed)"),
            EndPoint::Dns(dns) => write!(f, "{dns}"),
        }
    }
}

impl fmt::Display for DnsEndPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl From<SocketAddr> for EndPoint {
    fn from(addr: SocketAddr) -> EndPoint {
        EndPoint::Ip(addr)
    }
}

impl From<SocketAddrV4> for EndPoint {
    fn from(addr: SocketAddrV4) -> EndPoint {
        EndPoint::Ip(addr.into())
    }
}

impl From<SocketAddrV6> for EndPoint {
    fn from(addr: SocketAddrV6) -> EndPoint {
        EndPoint::Ip(addr.into())
    }
}

impl From<(IpAddr, u16)> for EndPoint {
    fn from((ip, port): (IpAddr, u16)) -> EndPoint {
        EndPoint::Ip(SocketAddr::new(ip, port))
    }
}

impl From<(Ipv4Addr, u16)> for EndPoint {
    fn from((ip, port): (Ipv4Addr, u16)) -> EndPoint {
        EndPoint::Ip(SocketAddr::new(ip.into(), port))
    }
}

impl From<(Ipv6Addr, u16)> for EndPoint {
    fn from((ip, port): (Ipv6Addr, u16)) -> EndPoint {
        EndPoint::Ip(SocketAddr::new(ip.into(), port))
    }
}

impl From<([u8; 4], u16)> for EndPoint {
    fn from((ip, port): ([u8; 4], u16)) -> EndPoint {
        EndPoint::Ip(SocketAddr::from((ip, port)))
    }
}

impl From<([u16; 8], u16)> for EndPoint {
    fn from((ip, port): ([u16; 8], u16)) -> EndPoint {
        EndPoint::Ip(SocketAddr::from((ip, port)))
    }
}

impl From<UnixEndPoint> for EndPoint {
    fn from(unix: UnixEndPoint) -> EndPoint {
        EndPoint::Unix(unix)
    }
}

impl From<DnsEndPoint> for EndPoint {
    fn from(dns: DnsEndPoint) -> EndPoint {
        EndPoint::Dns(dns)
    }
}

impl From<&EndPoint> for EndPoint {
    fn from(ep: &EndPoint) -> EndPoint {
        ep.clone()
    }
}

/// The `AF_UNSPEC` address: `connect(2)` to it dissolves a connection (or
/// ends one in progress), leaving the socket unconnected and reusable.
pub(crate) fn unspecified_sockaddr() -> SockAddr {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_endpoint_becomes_mapped_for_an_ipv6_socket() {
        let ep = EndPoint::from((Ipv4Addr::LOCALHOST, 80));
        let addr = ep
            .to_sockaddr(AddressFamily::InterNetworkV6, "connect")
            .unwrap();
        assert_eq!(
            addr.as_socket().unwrap().ip(),
            IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())
        );
    }

    #[test]
    fn an_endpoint_of_another_family_is_refused() {
        let ep = EndPoint::from((Ipv6Addr::LOCALHOST, 80));
        let err = ep
            .to_sockaddr(AddressFamily::InterNetwork, "bind")
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported);
        assert!(
            err.to_string()
                .contains("IPv6 endpoint does not fit this IPv4 socket"),
            "{err}"
        );
        let unix = EndPoint::unix_path("/tmp/x");
        assert!(unix
            .to_sockaddr(AddressFamily::InterNetworkV6, "connect")
            .is_err());
    }

    #[test]
    fn dns_endpoint_is_refused_where_an_address_is_needed() {
        let ep = EndPoint::from(DnsEndPoint::new("localhost", 80));
        let err = ep
            .to_sockaddr(AddressFamily::InterNetwork, "bind")
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::InvalidArgument);
        assert!(err.to_string().contains("only be connected to"), "{err}");
    }

    #[test]
    fn unix_endpoints_round_trip() {
        for ep in [
            EndPoint::unix_path("/tmp/netstack.sock"),
            EndPoint::unix_abstract(b"netstack"),
        ] {
            let addr = ep.to_sockaddr(AddressFamily::Unix, "bind").unwrap();
            assert_eq!(EndPoint::from_sockaddr(&addr), ep);
        }
    }
}
