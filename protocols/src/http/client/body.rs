//! Request bodies: bytes (replayable, sent with `Content-Length`) or readers
//! (sent once, chunked when the length is unknown).

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read};
use std::pin::Pin;

use bytes::Bytes;

/// A request body.
///
/// - From bytes or text ([`From`] `Vec<u8>`, `String`, `&'static str`,
///   `&'static [u8]`, [`Bytes`]): sent with `Content-Length`, and
///   *replayable*, so the client can resend it on a retry or a redirect
///   that keeps the method (307, 308; 301 and 302 of all but `POST`).
/// - From a reader ([`Body::from_reader`], [`Body::from_async_reader`]):
///   streamed once, with `Transfer-Encoding: chunked` unless a length is
///   given ([`Body::from_reader_with_length`]). A sync reader is for
///   [`Client`](super::Client), an async reader for
///   [`AsyncClient`](super::AsyncClient). A redirect that would send it
///   again is not followed: the redirect is the response. One that came
///   before it was read (it waited for `100 Continue`) takes it along.
///
/// ```
/// use netstack::protocols::http::client::Body;
/// let body = Body::from("name=value");
/// assert_eq!(body.len(), Some(10));
/// assert!(body.is_replayable());
/// let streamed = Body::from_reader(std::io::Cursor::new(vec![1u8, 2, 3]));
/// assert_eq!(streamed.len(), None);
/// ```
pub struct Body {
    pub(crate) kind: BodyKind,
}

pub(crate) enum BodyKind {
    Empty,
    Bytes(Bytes),
    Reader(Exclusive<Box<dyn Read + Send>>, Option<u64>),
    AsyncReader(
        Exclusive<Pin<Box<dyn futures_io::AsyncRead + Send>>>,
        Option<u64>,
    ),
    /// Local data (memory, files) of a known length, read in place by
    /// either client: a multipart form with files.
    Local(Exclusive<Box<dyn Read + Send>>, u64),
}

/// A `Send` value made `Sync` (a `Mutex` never locked: the value is only
/// taken out whole), so a body reader need not be `Sync` for a request —
/// and the async client's futures — to be `Send`.
pub(crate) struct Exclusive<T>(std::sync::Mutex<T>);

impl<T> Exclusive<T> {
    pub(crate) fn new(value: T) -> Exclusive<T> {
        Exclusive(std::sync::Mutex::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl Body {
    /// No body.
    pub fn empty() -> Body {
        Body {
            kind: BodyKind::Empty,
        }
    }

    /// A body streamed from a synchronous reader, sent chunked (the length is unknown).
    pub fn from_reader(reader: impl Read + Send + 'static) -> Body {
        Body {
            kind: BodyKind::Reader(Exclusive::new(Box::new(reader)), None),
        }
    }

    /// A body streamed from a synchronous reader that yields exactly
    /// `length` bytes, sent with `Content-Length` (a reader that yields
    /// another amount fails the request).
    pub fn from_reader_with_length(reader: impl Read + Send + 'static, length: u64) -> Body {
        Body {
            kind: BodyKind::Reader(Exclusive::new(Box::new(reader)), Some(length)),
        }
    }

    /// A body streamed from an asynchronous reader (`futures_io::AsyncRead`), sent chunked.
    pub fn from_async_reader(reader: impl futures_io::AsyncRead + Send + 'static) -> Body {
        Body {
            kind: BodyKind::AsyncReader(Exclusive::new(Box::pin(reader)), None),
        }
    }

    /// A body streamed from a `Stream` of chunks (`Bytes`, `Vec<u8>`,
    /// `&'static str`…), sent chunked, as each arrives; an error from the
    /// stream fails the request (the asynchronous client only).
    pub fn from_stream<S, B, E>(stream: S) -> Body
    where
        S: futures_core::Stream<Item = Result<B, E>> + Send + 'static,
        B: AsRef<[u8]> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        use futures_util::TryStreamExt;
        let reader = Box::pin(stream.map_err(std::io::Error::other)).into_async_read();
        Body::from_async_reader(reader)
    }

    /// A body streamed from an asynchronous reader that yields exactly `length` bytes.
    pub fn from_async_reader_with_length(
        reader: impl futures_io::AsyncRead + Send + 'static,
        length: u64,
    ) -> Body {
        Body {
            kind: BodyKind::AsyncReader(Exclusive::new(Box::pin(reader)), Some(length)),
        }
    }

    /// Local data of exactly `length` bytes, readable by both clients (a
    /// file read on the polling thread is short).
    pub(crate) fn from_local_reader(reader: impl Read + Send + 'static, length: u64) -> Body {
        Body {
            kind: BodyKind::Local(Exclusive::new(Box::new(reader)), length),
        }
    }

    /// The length, when it is known before sending.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Option<u64> {
        match &self.kind {
            BodyKind::Empty => Some(0),
            BodyKind::Bytes(b) => Some(b.len() as u64),
            BodyKind::Reader(_, len) | BodyKind::AsyncReader(_, len) => *len,
            BodyKind::Local(_, len) => Some(*len),
        }
    }

    /// True when the body is held in memory and can be sent again (a
    /// retry, a redirect that keeps the body).
    pub fn is_replayable(&self) -> bool {
        matches!(self.kind, BodyKind::Empty | BodyKind::Bytes(_))
    }

    /// True for no body at all.
    pub(crate) fn is_empty(&self) -> bool {
        match &self.kind {
            BodyKind::Empty => true,
            BodyKind::Bytes(b) => b.is_empty(),
            _ => false,
        }
    }

    /// A copy for a resend, when the body is replayable.
    pub(crate) fn try_clone(&self) -> Option<Body> {
        match &self.kind {
            BodyKind::Empty => Some(Body::empty()),
            BodyKind::Bytes(b) => Some(Body::from(b.clone())),
            _ => None,
        }
    }
}

/// A request body being streamed from its reader: the exchange asks its
/// driver to read the next piece, in the driver's mode.
pub(crate) enum BodyReader {
    Blocking(Box<dyn Read + Send>),
    Async(Pin<Box<dyn futures_io::AsyncRead + Send>>),
    Local(Box<dyn Read + Send>),
}

impl BodyReader {
    /// The reader of a streamed body; `None` for bytes (sent as they are).
    pub(crate) fn of(kind: BodyKind) -> Option<BodyReader> {
        match kind {
            BodyKind::Empty | BodyKind::Bytes(_) => None,
            BodyKind::Reader(reader, _) => Some(BodyReader::Blocking(reader.into_inner())),
            BodyKind::AsyncReader(reader, _) => Some(BodyReader::Async(reader.into_inner())),
            BodyKind::Local(reader, _) => Some(BodyReader::Local(reader.into_inner())),
        }
    }

    /// Reads the next piece, blocking (the blocking client's step).
    pub(crate) fn read_blocking(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BodyReader::Blocking(reader) | BodyReader::Local(reader) => reader.read(buf),
            BodyReader::Async(_) => Err(wrong_mode("an async reader", "AsyncClient")),
        }
    }

    /// Reads the next piece without blocking a thread (the async client's step).
    pub(crate) async fn read_async(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BodyReader::Async(reader) => poll_fn(|cx| reader.as_mut().poll_read(cx, buf)).await,
            BodyReader::Local(reader) => reader.read(buf),
            BodyReader::Blocking(_) => Err(wrong_mode("a blocking reader", "blocking Client")),
        }
    }
}

/// Requests are checked for this before they are sent; kept as an error
/// rather than a panic all the same.
fn wrong_mode(reader: &str, client: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("a body from {reader} needs the {client}"),
    )
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Bytes(b) => write!(f, "Body::Bytes({} bytes)", b.len()),
            BodyKind::Reader(_, len) => write!(f, "Body::Reader(length {len:?})"),
            BodyKind::AsyncReader(_, len) => write!(f, "Body::AsyncReader(length {len:?})"),
            BodyKind::Local(_, len) => write!(f, "Body::Local(length {len})"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body {
            kind: BodyKind::Bytes(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Body {
        Body::from(Bytes::from_static(bytes))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Body {
        Body::empty()
    }
}
