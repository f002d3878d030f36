//! The framing toolkit's error: what went wrong with a frame, or the layer
//! below that failed.

use std::io;

/// A framing failure. Each message starts with `framing:` and, for a failure
/// of the layer below, carries that layer's error
/// ([`Error::Transport`] → `transport::Error` → `sockets::Error`).
///
/// Bad input from a peer is always one of these values: an over-long line or
/// frame, a stream that ends inside a frame, an invalid length field or
/// invalid UTF-8 — never a panic and never silent truncation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line is longer than the codec's limit (the terminator not counted).
    ///
    /// The codec skips the rest of that line, up to and including its
    /// terminator, and the next read resumes with the following line.
    #[error("framing: line too long: {length} bytes exceed the limit of {limit}")]
    LineTooLong {
        /// How many bytes of the line had been seen when the limit was passed
        /// (or the whole line's length, when it arrived at once).
        length: usize,
        /// The codec's maximum line length.
        limit: usize,
    },
    /// A frame's announced (or given) length is larger than the codec's maximum.
    ///
    /// When decoding, the codec skips that frame's body and the next read
    /// resumes with the frame after it.
    #[error("framing: frame too long: {length} bytes exceed the limit of {limit}")]
    FrameTooLong {
        /// The frame's length (payload bytes).
        length: u64,
        /// The codec's maximum frame length.
        limit: usize,
    },
    /// The stream ended in the middle of a frame. The partial frame is not
    /// dropped silently: its bytes stay in [`Framed::read_buffer`](super::Framed::read_buffer).
    #[error("framing: the stream ended inside a frame ({buffered} bytes buffered)")]
    StreamEndedInFrame {
        /// How many bytes of the unfinished frame had arrived.
        buffered: usize,
    },
    /// A length field that cannot describe a frame (negative after the
    /// length adjustment, or a length that does not fit the field when encoding).
    #[error("framing: invalid length field: {0}")]
    InvalidLength(String),
    /// A line that is not valid UTF-8 (the line is consumed; the next read
    /// resumes with the following line).
    #[error("framing: line is not valid UTF-8: {0}")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// A frame the codec cannot decode or encode (for example a line to send
    /// that contains a line break). Codecs of your own report their protocol
    /// errors here.
    #[error("framing: invalid frame: {0}")]
    InvalidFrame(String),
    /// The transport layer below failed (its message names the layer:
    /// `transport: …`, and the socket condition under it).
    ///
    /// Boxed, so that every `Result<Frame>` stays small (32 bytes rather
    /// than 80): frames are returned by value, millions of times, and
    /// failures of the layer below are rare. Match the layer's error with
    /// `Error::Transport(e)` and then `match *e` (or `e.is_timeout()`, …).
    #[error("framing: {0}")]
    Transport(#[source] Box<transport::Error>),
    /// An I/O error from a stream that is not one of netstack's.
    #[error("framing: I/O failed: {0}")]
    Io(#[source] io::Error),
}

/// The framing toolkit's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error from the stream below; netstack's own errors
    /// (carried inside `io::Error` by the std and futures I/O traits) are
    /// unwrapped back into [`Error::Transport`], so the layer stays visible.
    pub fn from_io(err: io::Error) -> Error {
        let err = match downcast_inner::<sockets::Error>(err) {
            Ok(socket) => return transport::Error::Socket(socket).into(),
            Err(err) => err,
        };
        let err = match downcast_inner::<transport::tls::TlsError>(err) {
            Ok(tls) => return transport::Error::Tls(tls).into(),
            Err(err) => err,
        };
        match downcast_inner::<transport::Error>(err) {
            Ok(transport) => transport.into(),
            Err(err) => Error::Io(err),
        }
    }

    /// True when the layer below timed out (the stream stays usable and no
    /// buffered bytes are lost: read again to continue).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_timeout(),
            Error::Io(e) => e.kind() == io::ErrorKind::TimedOut,
            _ => false,
        }
    }

    /// True for bad input from the peer (as opposed to a failure of the layer below).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Transport(_) | Error::Io(_))
    }
}

/// The error inside `err` when it is a `T`; otherwise `err` unchanged.
fn downcast_inner<T>(err: io::Error) -> std::result::Result<T, io::Error>
where
    T: std::error::Error + Send + Sync + 'static,
{
    if !err.get_ref().is_some_and(|inner| inner.is::<T>()) {
        return Err(err);
    }
    let kind = err.kind();
    match err.into_inner().map(|inner| inner.downcast::<T>()) {
        Some(Ok(found)) => Ok(*found),
        Some(Err(other)) => Err(io::Error::new(kind, other)),
        None => Err(io::Error::from(kind)),
    }
}

impl From<transport::Error> for Error {
    fn from(err: transport::Error) -> Error {
        Error::Transport(Box::new(err))
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::from_io(err)
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Transport(e) => (*e).into(),
            Error::Io(e) => e,
            Error::StreamEndedInFrame { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, err),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_of_a_line_stays_small() {
        // Frames are returned by value; a large error would make every
        // `Result<Option<String>>` large (it was 80 bytes with an unboxed
        // `transport::Error`).
        assert!(std::mem::size_of::<Error>() <= 32);
        assert!(std::mem::size_of::<Result<Option<String>>>() <= 32);
    }
}
