//! The sockets layer's error: a Winsock-named condition, the OS code, and the
//! operation that failed.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// The condition behind a failed socket call, named as Winsock and .NET's
/// `System.Net.Sockets.SocketError` name it.
///
/// The OS error number that produced it (if any) is kept in [`Error::native_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketError {
    /// The operation succeeded (never carried by an [`Error`]; present for parity with Winsock).
    Success,
    /// A non-blocking call could not complete at once (`EAGAIN`/`EWOULDBLOCK`).
    WouldBlock,
    /// A non-blocking connect has started and will complete later (`EINPROGRESS`).
    InProgress,
    /// An operation of the same kind is already in progress (`EALREADY`).
    AlreadyInProgress,
    /// A blocking call was interrupted by a signal (`EINTR`).
    Interrupted,
    /// Permission denied (`EACCES`, `EPERM`), e.g. a raw socket without `CAP_NET_RAW`.
    AccessDenied,
    /// A bad address was passed to the OS (`EFAULT`).
    Fault,
    /// An argument was invalid, or the call does not fit the socket's state (`EINVAL`).
    InvalidArgument,
    /// The process or system has too many open descriptors (`EMFILE`, `ENFILE`).
    TooManyOpenSockets,
    /// The handle is not a socket (`ENOTSOCK`).
    NotSocket,
    /// A destination address is required (`EDESTADDRREQ`).
    DestinationAddressRequired,
    /// A datagram was larger than the buffer, or too large to send (`EMSGSIZE`).
    MessageSize,
    /// The protocol does not fit the socket type (`EPROTOTYPE`).
    ProtocolType,
    /// An unknown or unsupported option or level (`ENOPROTOOPT`).
    ProtocolOption,
    /// The protocol is not supported (`EPROTONOSUPPORT`).
    ProtocolNotSupported,
    /// The socket type is not supported in this address family (`ESOCKTNOSUPPORT`).
    SocketNotSupported,
    /// The operation is not supported on this kind of socket (`EOPNOTSUPP`).
    OperationNotSupported,
    /// The protocol family is not supported (`EPFNOSUPPORT`).
    ProtocolFamilyNotSupported,
    /// The address family is not supported by the protocol, or does not fit the socket (`EAFNOSUPPORT`).
    AddressFamilyNotSupported,
    /// The address is already in use (`EADDRINUSE`).
    AddressAlreadyInUse,
    /// The address is not available on this machine, or a Unix socket path does not exist
    /// (`EADDRNOTAVAIL`, `ENOENT`).
    AddressNotAvailable,
    /// The network is down (`ENETDOWN`).
    NetworkDown,
    /// No route to the network (`ENETUNREACH`).
    NetworkUnreachable,
    /// The connection was reset by the network (`ENETRESET`).
    NetworkReset,
    /// The connection was aborted on this host (`ECONNABORTED`).
    ConnectionAborted,
    /// The connection was reset by the peer (`ECONNRESET`).
    ConnectionReset,
    /// No buffer space or memory (`ENOBUFS`, `ENOMEM`).
    NoBufferSpaceAvailable,
    /// The socket is already connected (`EISCONN`).
    IsConnected,
    /// The socket is not connected (`ENOTCONN`).
    NotConnected,
    /// The socket has been shut down in this direction (`ESHUTDOWN`, `EPIPE`).
    Shutdown,
    /// The operation timed out (`ETIMEDOUT`, or a receive/send timeout that expired).
    TimedOut,
    /// The peer refused the connection (`ECONNREFUSED`).
    ConnectionRefused,
    /// The host is down (`EHOSTDOWN`).
    HostDown,
    /// No route to the host (`EHOSTUNREACH`).
    HostUnreachable,
    /// The name has no address: the host is unknown (`EAI_NONAME`).
    HostNotFound,
    /// A temporary failure in name resolution (`EAI_AGAIN`).
    TryAgain,
    /// A non-recoverable failure in name resolution (`EAI_FAIL`).
    NoRecovery,
    /// The name is known but has no address of the requested kind (`EAI_NODATA`, `EAI_ADDRFAMILY`).
    NoData,
    /// The operation was aborted because the socket was closed (`ECANCELED`).
    OperationAborted,
    /// A blocking call was cancelled by its thread's
    /// [`CancelToken`](crate::CancelToken) (netstack's own; no OS code): the
    /// call took no data and the connection stays usable.
    Cancelled,
    /// Any other OS error; see [`Error::native_code`].
    SocketError,
}

impl SocketError {
    /// Maps an OS error number (`errno`) to its Winsock name.
    pub fn from_errno(code: i32) -> SocketError {
        use SocketError as E;
        match code {
            0 => E::Success,
            libc::EAGAIN => E::WouldBlock,
            libc::EINPROGRESS => E::InProgress,
            libc::EALREADY => E::AlreadyInProgress,
            libc::EINTR => E::Interrupted,
            libc::EACCES | libc::EPERM => E::AccessDenied,
            libc::EFAULT => E::Fault,
            libc::EINVAL => E::InvalidArgument,
            libc::EMFILE | libc::ENFILE => E::TooManyOpenSockets,
            libc::ENOTSOCK | libc::EBADF => E::NotSocket,
            libc::EDESTADDRREQ => E::DestinationAddressRequired,
            libc::EMSGSIZE => E::MessageSize,
            libc::EPROTOTYPE => E::ProtocolType,
            libc::ENOPROTOOPT => E::ProtocolOption,
            libc::EPROTONOSUPPORT => E::ProtocolNotSupported,
            libc::ESOCKTNOSUPPORT => E::SocketNotSupported,
            libc::EOPNOTSUPP => E::OperationNotSupported,
            libc::EPFNOSUPPORT => E::ProtocolFamilyNotSupported,
            libc::EAFNOSUPPORT => E::AddressFamilyNotSupported,
            libc::EADDRINUSE => E::AddressAlreadyInUse,
            libc::EADDRNOTAVAIL | libc::ENOENT => E::AddressNotAvailable,
            libc::ENETDOWN => E::NetworkDown,
            libc::ENETUNREACH => E::NetworkUnreachable,
            libc::ENETRESET => E::NetworkReset,
            libc::ECONNABORTED => E::ConnectionAborted,
            libc::ECONNRESET => E::ConnectionReset,
            libc::ENOBUFS | libc::ENOMEM => E::NoBufferSpaceAvailable,
            libc::EISCONN => E::IsConnected,
            libc::ENOTCONN => E::NotConnected,
            libc::ESHUTDOWN | libc::EPIPE => E::Shutdown,
            libc::ETIMEDOUT => E::TimedOut,
            libc::ECONNREFUSED => E::ConnectionRefused,
            libc::EHOSTDOWN => E::HostDown,
            libc::EHOSTUNREACH => E::HostUnreachable,
            libc::ECANCELED => E::OperationAborted,
            _ => E::SocketError,
        }
    }

    /// A short English description of the condition.
    pub fn description(self) -> &'static str {
        use SocketError as E;
        match self {
            E::Success => "success",
            E::WouldBlock => "operation would block",
            E::InProgress => "operation now in progress",
            E::AlreadyInProgress => "operation already in progress",
            E::Interrupted => "interrupted",
            E::AccessDenied => "access denied",
            E::Fault => "bad address",
            E::InvalidArgument => "invalid argument",
            E::TooManyOpenSockets => "too many open sockets",
            E::NotSocket => "not a socket",
            E::DestinationAddressRequired => "destination address required",
            E::MessageSize => "message too long for the buffer",
            E::ProtocolType => "wrong protocol type for socket",
            E::ProtocolOption => "option not supported by protocol",
            E::ProtocolNotSupported => "protocol not supported",
            E::SocketNotSupported => "socket type not supported",
            E::OperationNotSupported => "operation not supported",
            E::ProtocolFamilyNotSupported => "protocol family not supported",
            E::AddressFamilyNotSupported => "address family not supported",
            E::AddressAlreadyInUse => "address already in use",
            E::AddressNotAvailable => "address not available",
            E::NetworkDown => "network is down",
            E::NetworkUnreachable => "network is unreachable",
            E::NetworkReset => "connection reset by network",
            E::ConnectionAborted => "connection aborted",
            E::ConnectionReset => "connection reset by peer",
            E::NoBufferSpaceAvailable => "no buffer space available",
            E::IsConnected => "socket is already connected",
            E::NotConnected => "socket is not connected",
            E::Shutdown => "socket has been shut down",
            E::TimedOut => "timed out",
            E::ConnectionRefused => "connection refused",
            E::HostDown => "host is down",
            E::HostUnreachable => "no route to host",
            E::HostNotFound => "host not found",
            E::TryAgain => "temporary failure in name resolution",
            E::NoRecovery => "non-recoverable failure in name resolution",
            E::NoData => "name has no address of the requested kind",
            E::OperationAborted => "operation aborted: the socket was closed",
            E::Cancelled => "cancelled by the thread's cancel token",
            E::SocketError => "socket error",
        }
    }

    /// The closest [`io::ErrorKind`], used when an [`Error`] becomes an [`io::Error`].
    pub fn io_kind(self) -> io::ErrorKind {
        use io::ErrorKind as K;
        use SocketError as E;
        match self {
            E::WouldBlock | E::InProgress | E::AlreadyInProgress => K::WouldBlock,
            E::Interrupted => K::Interrupted,
            E::AccessDenied => K::PermissionDenied,
            E::InvalidArgument | E::Fault | E::DestinationAddressRequired | E::ProtocolOption => {
                K::InvalidInput
            }
            E::AddressAlreadyInUse => K::AddrInUse,
            E::AddressNotAvailable => K::AddrNotAvailable,
            E::NetworkDown => K::NetworkDown,
            E::NetworkUnreachable => K::NetworkUnreachable,
            E::HostUnreachable | E::HostDown => K::HostUnreachable,
            E::ConnectionAborted | E::OperationAborted => K::ConnectionAborted,
            E::ConnectionReset | E::NetworkReset => K::ConnectionReset,
            E::NotConnected => K::NotConnected,
            E::Shutdown => K::BrokenPipe,
            E::TimedOut => K::TimedOut,
            E::ConnectionRefused => K::ConnectionRefused,
            E::HostNotFound | E::NoData => K::NotFound,
            E::OperationNotSupported
            | E::SocketNotSupported
            | E::ProtocolNotSupported
            | E::ProtocolFamilyNotSupported
            | E::AddressFamilyNotSupported => K::Unsupported,
            E::NoBufferSpaceAvailable => K::OutOfMemory,
            // Not `Interrupted`, which readers such as `read_exact` retry.
            E::Cancelled => K::Other,
            _ => K::Other,
        }
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed socket operation: what failed (`"connect 127.0.0.1:9"`), the
/// Winsock-named condition, and the OS code when the OS reported one.
#[derive(Debug)]
pub struct Error {
    kind: SocketError,
    native_code: Option<i32>,
    operation: Cow<'static, str>,
    detail: Option<Cow<'static, str>>,
    aborted_by_close: bool,
}

/// The sockets layer's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a condition and the operation that failed, without an OS code.
    pub fn new(kind: SocketError, operation: impl Into<Cow<'static, str>>) -> Error {
        Error {
            kind,
            native_code: None,
            operation: operation.into(),
            detail: None,
            aborted_by_close: false,
        }
    }

    /// Adds a sentence that explains the failure (shown after the condition).
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Error {
        self.detail = Some(detail.into());
        self
    }

    /// An error from an OS error number.
    pub fn from_errno(code: i32, operation: impl Into<Cow<'static, str>>) -> Error {
        Error {
            kind: SocketError::from_errno(code),
            native_code: Some(code),
            operation: operation.into(),
            detail: None,
            aborted_by_close: false,
        }
    }

    /// An error from an [`io::Error`] (its OS code is kept when it has one).
    pub fn from_io(err: &io::Error, operation: impl Into<Cow<'static, str>>) -> Error {
        match err.raw_os_error() {
            Some(code) => Error::from_errno(code, operation),
            None => {
                let kind = match err.kind() {
                    io::ErrorKind::InvalidInput => SocketError::InvalidArgument,
                    io::ErrorKind::TimedOut => SocketError::TimedOut,
                    io::ErrorKind::WouldBlock => SocketError::WouldBlock,
                    _ => SocketError::SocketError,
                };
                Error::new(kind, operation).with_detail(err.to_string())
            }
        }
    }

    /// The Winsock-named condition.
    pub fn kind(&self) -> SocketError {
        self.kind
    }

    /// The OS error number, when the OS reported the failure.
    pub fn native_code(&self) -> Option<i32> {
        self.native_code
    }

    /// The operation that failed, with its argument, e.g. `"connect 127.0.0.1:9"`.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    pub(crate) fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Error {
        self.operation = operation.into();
        self
    }

    pub(crate) fn with_kind(mut self, kind: SocketError) -> Error {
        self.kind = kind;
        self
    }

    /// True when the call failed because its socket was closed with
    /// [`Socket::close`](crate::Socket::close) (or dropped), from any thread.
    /// The kind says more, as .NET reports it: a synchronous `accept` that
    /// was blocked when the close came ends with
    /// [`SocketError::Interrupted`], a blocked synchronous send or receive
    /// with [`SocketError::ConnectionAborted`], and everything else (an
    /// asynchronous call, a call made after the close) with
    /// [`SocketError::OperationAborted`]. A caller that does not care which
    /// needs only this check.
    pub fn is_aborted_by_close(&self) -> bool {
        self.aborted_by_close
    }

    /// Marks the error as caused by the socket's own close.
    pub(crate) fn by_close(mut self) -> Error {
        self.aborted_by_close = true;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.kind)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(code) = self.native_code {
            let os = io::Error::from_raw_os_error(code);
            write!(f, " ({os})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        io::Error::new(err.kind.io_kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_maps_to_winsock_names() {
        assert_eq!(
            SocketError::from_errno(libc::ECONNREFUSED),
            SocketError::ConnectionRefused
        );
        assert_eq!(
            SocketError::from_errno(libc::EADDRINUSE),
            SocketError::AddressAlreadyInUse
        );
        assert_eq!(SocketError::from_errno(libc::EPIPE), SocketError::Shutdown);
        assert_eq!(SocketError::from_errno(9999), SocketError::SocketError);
    }

    #[test]
    fn display_names_operation_condition_and_os_code() {
        let err = Error::from_errno(libc::ECONNREFUSED, "connect 127.0.0.1:9");
        let text = err.to_string();
        assert!(
            text.starts_with("connect 127.0.0.1:9: connection refused"),
            "{text}"
        );
        assert!(text.contains("os error 111"), "{text}");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
    }
}
