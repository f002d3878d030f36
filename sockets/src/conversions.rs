//! Conversions between a [`Socket`] and the descriptors and socket types of
//! the OS and of its neighbours: `OwnedFd` and raw descriptors, std's socket
//! types (`std::net` and `std::os::unix::net`), and `socket2::Socket`.
//!
//! On the way in, the socket is described by its descriptor, not by the
//! type it came from: the address family, type and protocol (`SO_DOMAIN`,
//! `SO_TYPE`, `SO_PROTOCOL`), the blocking mode (`O_NONBLOCK`) and the
//! timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`). Whether it listens or is
//! connected the `Socket` asks the OS when asked, so that needs no copy.
//!
//! On the way out, the socket first leaves whichever reactor holds it
//! (netstack's own, tokio's driver, or async-io's), then gives up its
//! descriptor without closing it. A socket used asynchronously has an
//! `O_NONBLOCK` descriptor for good, with the blocking mode emulated; when
//! it goes out in blocking mode (the default, and what std's types expect)
//! its descriptor is made blocking again. The descriptor always leaves in
//! the mode [`Socket::blocking`] reports, with its timeouts set.
//!
//! A closed socket has no descriptor to give: converting one out panics.

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

use crate::kind::{AddressFamily, ProtocolType, SocketType};
use crate::socket::Socket;

/// Takes over an open socket, reading what it is from its descriptor.
fn adopt(socket: socket2::Socket) -> Socket {
    let (family, protocol) = family_and_protocol(&socket);
    let socket_type = socket
        .r#type()
        .map_or(SocketType::Other(0), SocketType::from_raw);
    // A descriptor that cannot tell is taken as blocking, as a new socket is.
    let blocking = !socket.nonblocking().unwrap_or(false);
    let receive_timeout = socket.read_timeout().ok().flatten();
    let send_timeout = socket.write_timeout().ok().flatten();
    let adopted = Socket::adopt(socket, family, socket_type, protocol, blocking);
    adopted.cache_timeouts(Some(receive_timeout), Some(send_timeout));
    adopted
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn family_and_protocol(socket: &socket2::Socket) -> (AddressFamily, ProtocolType) {
    let family = socket
        .domain()
        .map_or(AddressFamily::Other(0), AddressFamily::from_domain);
    let protocol = match socket.protocol() {
        Ok(Some(protocol)) => ProtocolType::from_number(protocol.into()),
        Ok(None) | Err(_) => ProtocolType::Unspecified,
    };
    (family, protocol)
}

/// Without `SO_DOMAIN`, the family of the socket's local address; without
/// `SO_PROTOCOL`, the family's default protocol.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn family_and_protocol(socket: &socket2::Socket) -> (AddressFamily, ProtocolType) {
    let family = socket
        .local_addr()
        .map_or(AddressFamily::Other(0), |address| {
            AddressFamily::from_domain(address.domain())
        });
    (family, ProtocolType::Unspecified)
}

/// Gives up the socket's descriptor, out of its reactor, in the mode
/// [`Socket::blocking`] reports.
fn give_up(socket: Socket) -> socket2::Socket {
    let restore_blocking = socket.async_mode() && socket.blocking();
    let descriptor = socket
        .into_descriptor()
        .expect("a closed Socket has no descriptor to convert into another socket type");
    if restore_blocking {
        // Clearing a flag on a descriptor this code owns cannot fail.
        let _ = descriptor.set_nonblocking(false);
    }
    descriptor
}

/// Takes over an open socket descriptor, reading its family, type,
/// protocol, blocking mode and timeouts from it.
///
/// A std listener round-trips through `OwnedFd`:
///
/// ```
/// use std::os::fd::OwnedFd;
/// use netstack::sockets::{AddressFamily, Socket, SocketType};
///
/// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let listener = Socket::from(OwnedFd::from(std_listener));
/// assert_eq!(listener.address_family(), AddressFamily::InterNetwork);
/// assert_eq!(listener.socket_type(), SocketType::Stream);
/// assert!(listener.blocking());
///
/// let client = std::net::TcpStream::connect(listener.local_endpoint().unwrap().as_ip().unwrap()).unwrap();
/// let accepted = listener.accept().unwrap();
/// assert_eq!(accepted.remote_endpoint().unwrap().as_ip(), Some(client.local_addr().unwrap()));
///
/// let std_listener = std::net::TcpListener::from(OwnedFd::from(listener));
/// assert!(std_listener.local_addr().is_ok());
/// ```
impl From<OwnedFd> for Socket {
    fn from(descriptor: OwnedFd) -> Socket {
        adopt(socket2::Socket::from(descriptor))
    }
}

/// Gives up the socket's descriptor without closing it: out of its reactor,
/// in the mode [`Socket::blocking`] reports (see [`Socket`]'s conversions).
///
/// # Panics
///
/// When the socket was closed ([`Socket::close`]): it has no descriptor left.
impl From<Socket> for OwnedFd {
    fn from(socket: Socket) -> OwnedFd {
        OwnedFd::from(give_up(socket))
    }
}

impl FromRawFd for Socket {
    /// Takes over the open socket descriptor `fd`, as [`From<OwnedFd>`] does.
    ///
    /// Socket activation: a service manager such as systemd passes listening
    /// sockets from descriptor 3 on, and says how many in `LISTEN_FDS`
    /// (`LISTEN_PID` names the process they are for). Run without it, this
    /// example makes its own listener:
    ///
    /// ```
    /// use std::os::fd::FromRawFd;
    /// use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
    ///
    /// let inherited = std::env::var("LISTEN_PID").is_ok_and(|pid| pid == std::process::id().to_string())
    ///     && std::env::var("LISTEN_FDS").is_ok_and(|count| count.parse::<u32>().is_ok_and(|n| n >= 1));
    /// let listener = if inherited {
    ///     // SAFETY: the service manager passed descriptor 3, an open
    ///     // listening socket, to this process, and nothing else owns it.
    ///     unsafe { Socket::from_raw_fd(3) }
    /// } else {
    ///     let own = Socket::new(AddressFamily::InterNetwork, SocketType::Stream, ProtocolType::Tcp).unwrap();
    ///     own.bind(([127, 0, 0, 1], 0)).unwrap();
    ///     own.listen(128).unwrap();
    ///     own
    /// };
    /// assert_eq!(listener.socket_type(), SocketType::Stream);
    /// ```
    ///
    /// # Safety
    ///
    /// `fd` must be an open socket descriptor that nothing else owns: the
    /// `Socket` closes it.
    unsafe fn from_raw_fd(fd: RawFd) -> Socket {
        // SAFETY: the caller's contract: `fd` is open and owned by no one else.
        Socket::from(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

impl IntoRawFd for Socket {
    /// Gives up the descriptor, as [`From<Socket> for OwnedFd`](OwnedFd) does;
    /// the caller closes it.
    ///
    /// # Panics
    ///
    /// When the socket was closed ([`Socket::close`]).
    fn into_raw_fd(self) -> RawFd {
        OwnedFd::from(self).into_raw_fd()
    }
}

impl AsFd for Socket {
    /// Borrows the descriptor. After [`Socket::close`] it names an inert
    /// placeholder (every call on it fails) until the socket is dropped.
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the number stays open while the socket lives: `close`
        // puts a placeholder on it rather than closing it, and only drop or
        // a conversion out (which take the socket by value) give it up.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl From<socket2::Socket> for Socket {
    /// Takes over a `socket2` socket, reading what it is from its descriptor.
    fn from(socket: socket2::Socket) -> Socket {
        adopt(socket)
    }
}

impl From<Socket> for socket2::Socket {
    /// Gives up the descriptor to `socket2`, out of its reactor, in the mode
    /// [`Socket::blocking`] reports. Panics when the socket was closed.
    fn from(socket: Socket) -> socket2::Socket {
        give_up(socket)
    }
}

/// `From` in both directions between `Socket` and std's socket types.
macro_rules! std_conversions {
    ($($std:ty),* $(,)?) => {$(
        impl From<$std> for Socket {
            #[doc = concat!("Takes over a std `", stringify!($std), "`, reading its family, type, protocol, blocking mode and timeouts from its descriptor.")]
            fn from(socket: $std) -> Socket {
                Socket::from(OwnedFd::from(socket))
            }
        }

        impl From<Socket> for $std {
            #[doc = concat!("Gives up the descriptor to a std `", stringify!($std), "`, out of its reactor. A socket in blocking mode (std's default) gets a blocking descriptor back even after asynchronous use; a non-blocking one stays non-blocking. Panics when the socket was closed. The descriptor's type is not checked, as std does not check it.")]
            fn from(socket: Socket) -> $std {
                <$std>::from(OwnedFd::from(socket))
            }
        }
    )*};
}

std_conversions!(
    TcpStream,
    TcpListener,
    UdpSocket,
    UnixStream,
    UnixListener,
    UnixDatagram
);
