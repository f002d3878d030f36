//! TLS on rustls over any netstack stream (being built).

use std::io;

/// A TLS failure (placeholder until the TLS module lands).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The I/O beneath TLS failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl TlsError {
    /// True for a handshake timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, TlsError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
    }
}

impl From<TlsError> for io::Error {
    fn from(err: TlsError) -> io::Error {
        match err {
            TlsError::Io(e) => e,
        }
    }
}
