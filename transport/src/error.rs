//! The transport layer's error: it wraps the sockets layer's, and adds the
//! failures that belong to this layer (connect races, TLS).

use std::io;
use std::time::Duration;

use crate::attempt::ConnectAttempt;

/// A transport-layer failure. [`Error::Socket`] carries the sockets
/// layer's error (with its Winsock-named condition and OS code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket call failed.
    #[error("transport: {0}")]
    Socket(#[from] sockets::Error),
    /// The name resolved to no address this client can use.
    #[error("transport: {host} has no usable address")]
    NoAddresses {
        /// The host name.
        host: String,
    },
    /// Every address was tried and none connected.
    #[error("transport: could not connect to {host}:{port}: {}", summarize(.attempts))]
    ConnectFailed {
        /// The host name.
        host: String,
        /// The port.
        port: u16,
        /// Each attempt and how it ended.
        attempts: Vec<ConnectAttempt>,
    },
    /// The overall connect timeout expired before any attempt succeeded.
    #[error("transport: connecting to {host}:{port} timed out after {timeout:?} ({})", summarize(.attempts))]
    ConnectTimeout {
        /// The host name.
        host: String,
        /// The port.
        port: u16,
        /// The timeout that expired.
        timeout: Duration,
        /// The attempts made before the timeout.
        attempts: Vec<ConnectAttempt>,
    },
    /// A bad argument or option (e.g. a Unix endpoint given to a TCP client).
    #[error("transport: {0}")]
    InvalidInput(String),
    /// [`NetworkStream::new`](crate::NetworkStream::new) was given a socket
    /// in non-blocking mode ([`sockets::Socket::blocking`] is false).
    #[error("transport: the operation is not allowed on a non-blocking socket: a NetworkStream needs a socket in blocking mode (call set_blocking(true) first)")]
    NonBlockingSocket,
    /// [`NetworkStream::new`](crate::NetworkStream::new) was given a socket
    /// that is not a stream socket.
    #[error(
        "transport: a NetworkStream needs a stream socket, and this is a {socket_type} socket"
    )]
    NotStreamSocket {
        /// The socket's type.
        socket_type: sockets::SocketType,
    },
    /// [`NetworkStream::new`](crate::NetworkStream::new) was given a socket
    /// that has no connected peer.
    #[error("transport: a NetworkStream needs a connected socket, and this one is not connected")]
    NotConnected,
    /// A listener was asked to accept, or whether a connection is pending,
    /// before [`start`](crate::TcpListener::start).
    #[error(
        "transport: {operation} needs a listening socket: call start() before calling this method"
    )]
    NotListening {
        /// The method called (`accept`, `accept_async`, `pending`).
        operation: &'static str,
    },
    /// A TLS failure (its message names the TLS layer).
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// The transport layer's result type.
pub type Result<T> = std::result::Result<T, Error>;

fn summarize(attempts: &[ConnectAttempt]) -> String {
    if attempts.is_empty() {
        return "no attempt was made".to_string();
    }
    attempts
        .iter()
        .map(|a| format!("{} {}", a.address, a.outcome))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The sockets-layer condition behind this error, if a socket call failed.
    pub fn socket_error(&self) -> Option<sockets::SocketError> {
        match self {
            Error::Socket(e) => Some(e.kind()),
            Error::ConnectTimeout { .. } => Some(sockets::SocketError::TimedOut),
            _ => None,
        }
    }

    /// True when the failure was a timeout (connect, read, write or handshake).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::ConnectTimeout { .. })
            || self.socket_error() == Some(sockets::SocketError::TimedOut)
            || matches!(self, Error::Tls(t) if t.is_timeout())
    }

    /// True when a [`sockets::CancelToken`] ended the call, directly or
    /// beneath TLS: the connection is whole, nothing broke.
    pub fn is_cancelled(&self) -> bool {
        let cancelled = sockets::SocketError::Cancelled;
        match self {
            Error::Socket(e) => e.kind() == cancelled,
            Error::Tls(crate::tls::TlsError::Io(e)) => e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<sockets::Error>())
                .is_some_and(|e| e.kind() == cancelled),
            _ => false,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Socket(e) => e.into(),
            Error::Tls(t) => t.into(),
            Error::ConnectTimeout { .. } => io::Error::new(io::ErrorKind::TimedOut, err),
            Error::InvalidInput(_)
            | Error::NonBlockingSocket
            | Error::NotStreamSocket { .. }
            | Error::NotListening { .. } => io::Error::new(io::ErrorKind::InvalidInput, err),
            Error::NotConnected => io::Error::new(io::ErrorKind::NotConnected, err),
            Error::NoAddresses { .. } => io::Error::new(io::ErrorKind::NotFound, err),
            Error::ConnectFailed { .. } => io::Error::new(io::ErrorKind::ConnectionRefused, err),
        }
    }
}
