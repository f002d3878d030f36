//! `Error`: what can go wrong with a DNS query.

use std::time::Duration;

use crate::framing;

/// A DNS failure. Each message starts with `dns:`; a failure of a layer
/// below carries that layer's error (`dns: framing: …`, `dns: transport: …`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No acceptable reply arrived: every attempt waited its timeout.
    /// (Replies with the wrong ID or question do not count: they are
    /// ignored as stray or spoofed, and the wait goes on.)
    #[error("dns: no reply from {server} after {attempts} attempts of {timeout:?} each")]
    Timeout {
        /// The server queried.
        server: String,
        /// How many times the query was sent.
        attempts: u32,
        /// The wait of each attempt.
        timeout: Duration,
    },
    /// The server could not answer (RCODE 2, SERVFAIL).
    #[error("dns: the server failed to answer for {name} (SERVFAIL)")]
    ServerFailure {
        /// The name asked for.
        name: String,
    },
    /// The name does not exist (RCODE 3, NXDOMAIN).
    #[error("dns: {name} does not exist (NXDOMAIN)")]
    NameError {
        /// The name asked for.
        name: String,
    },
    /// The server refused to answer (RCODE 5, REFUSED).
    #[error("dns: the server refused to answer for {name} (REFUSED)")]
    Refused {
        /// The name asked for.
        name: String,
    },
    /// Another error code (1 FORMERR, 4 NOTIMP, …).
    #[error("dns: the server answered for {name} with error code {rcode}")]
    Rcode {
        /// The name asked for.
        name: String,
        /// The response code (4 bits).
        rcode: u8,
    },
    /// A reply that matches the query (ID and question) but cannot be
    /// parsed: the message says what is wrong and where.
    #[error("dns: malformed reply: {0}")]
    Malformed(String),
    /// The name cannot be sent: an empty label, a label over 63 bytes, a
    /// name over 255 bytes, or a byte that is not printable ASCII.
    #[error("dns: invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TCP server closed the connection without replying.
    #[error("dns: the server {server} closed the TCP connection without a reply")]
    ConnectionClosed {
        /// The server queried.
        server: String,
    },
    /// A socket operation failed (binding, sending, receiving, connecting).
    #[error("dns: {0}")]
    Transport(#[from] transport::Error),
    /// The TCP reply could not be framed (the stream ended inside a frame,
    /// or the stream below failed).
    #[error("dns: {0}")]
    Framing(#[from] framing::Error),
}

/// The DNS module's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// True when the failure was a timeout (of the UDP attempts, or of the
    /// TCP connection below).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport(e) => e.is_timeout(),
            Error::Framing(e) => e.is_timeout(),
            _ => false,
        }
    }
}

/// For code that works in `io::Error`s: the kind says what happened, the
/// error stays the source; a failure of the layer below becomes its own
/// `io::Error`.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match error {
            Error::Transport(e) => return e.into(),
            Error::Framing(e) => return e.into(),
            Error::Timeout { .. } => ErrorKind::TimedOut,
            Error::NameError { .. } => ErrorKind::NotFound,
            Error::InvalidName { .. } => ErrorKind::InvalidInput,
            Error::Malformed(_) => ErrorKind::InvalidData,
            Error::ConnectionClosed { .. } => ErrorKind::UnexpectedEof,
            Error::ServerFailure { .. } | Error::Refused { .. } | Error::Rcode { .. } => {
                ErrorKind::Other
            }
        };
        std::io::Error::new(kind, error)
    }
}
