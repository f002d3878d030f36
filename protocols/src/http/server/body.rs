//! Request and response bodies of the server: the handler reads the
//! request body as a stream and answers with a fixed or a streaming body.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::AsyncRead;

use crate::http::span::Span;
use transport::tls::rustls::pki_types::CertificateDer;
use transport::tls::{CertificateInfo, TlsStream, TlsVersion};

use super::conn::{BodyEvent, BodyKind, Wait};
use super::io::{fill_sync, poll_fill, Filled};
use super::rejection::Rejection;
use super::stream::{lock, Link};
use crate::http::Error;

/// A request as the synchronous handler gets it: the `http` crate's
/// request head with a streaming [`RequestBody`].
pub type Request = http::Request<RequestBody>;
/// What the synchronous handler returns.
pub type Response = http::Response<ResponseBody>;
/// A request as the asynchronous handler gets it.
pub type AsyncRequest = http::Request<AsyncRequestBody>;
/// What the asynchronous handler returns.
pub type AsyncResponse = http::Response<AsyncResponseBody>;

/// Facts about the connection a request came on, in the request's
/// extensions (`request.extensions().get::<ConnectionInfo>()`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// The client's address.
    pub remote: Option<SocketAddr>,
    /// The server's address the client connected to.
    pub local: Option<SocketAddr>,
    /// True when the connection is TLS.
    pub tls: bool,
    /// On a TLS connection, what its handshake settled (shared: each
    /// request's copy of the connection's facts costs no allocation).
    pub tls_session: Option<Arc<TlsSession>>,
}

/// What the TLS handshake of a connection settled, as the handler sees it
/// (in [`ConnectionInfo::tls_session`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsSession {
    /// The host name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The application protocol agreed by ALPN, if any.
    pub alpn: Option<Vec<u8>>,
    /// The protocol version.
    pub version: Option<TlsVersion>,
    /// The cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher_suite: Option<&'static str>,
    /// The client's certificate chain, its own first: empty unless the
    /// server asks for client certificates
    /// (`TlsServerConfigBuilder::client_auth`) and the client sent one.
    pub client_certificates: Vec<CertificateDer<'static>>,
}

impl TlsSession {
    pub(crate) fn of<S>(tls: &TlsStream<S>) -> TlsSession {
        TlsSession {
            server_name: tls.server_name().map(str::to_string),
            alpn: tls.alpn_protocol().map(<[u8]>::to_vec),
            version: tls.protocol_version(),
            cipher_suite: tls.cipher_suite(),
            client_certificates: tls.peer_certificates().unwrap_or_default().to_vec(),
        }
    }

    /// Subject, issuer, validity and names of the client's certificate,
    /// read from its bytes now; `None` when it sent none or it cannot be read.
    pub fn client_certificate(&self) -> Option<CertificateInfo> {
        CertificateInfo::parse(self.client_certificates.first()?)
    }
}

impl ConnectionInfo {
    /// Who is on the other end of `net`, as the handler sees it.
    pub(crate) fn of(net: &transport::NetworkStream, tls: bool) -> ConnectionInfo {
        ConnectionInfo {
            remote: net.remote_endpoint().ok().and_then(|e| e.as_ip()),
            local: net.local_endpoint().ok().and_then(|e| e.as_ip()),
            tls,
            tls_session: None,
        }
    }

    /// The span events of this connection happen in.
    pub(crate) fn span(&self) -> Span {
        Span::server_connection(self.remote, self.local, self.tls)
    }
}

fn body_error(rejection: &Rejection) -> io::Error {
    io::Error::new(rejection.io_kind(), rejection.to_error())
}

fn limit_error(limit: u64) -> Error {
    Error::BodyTooLarge { limit }
}

/// The body of a request to the synchronous server, read as it arrives
/// ([`Read`]). A body that is malformed, larger than the server's
/// `max_body_size`, cut short or too slow fails the read with an
/// [`io::Error`] whose inner error is the HTTP layer's [`Error`]; the
/// server then answers `400`/`413`/`408` instead of the handler's
/// response. With `Expect: 100-continue`, the first read sends
/// `100 Continue`.
pub struct RequestBody {
    link: Link,
}

impl RequestBody {
    pub(crate) fn new(link: Link) -> RequestBody {
        RequestBody { link }
    }

    /// Reads the whole body, refusing one longer than `limit` bytes (the
    /// server's `max_body_size` applies as well).
    pub fn read_all(&mut self, limit: u64) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = self.read(&mut buf).map_err(into_error)?;
            if n == 0 {
                return Ok(body);
            }
            if body.len() as u64 + n as u64 > limit {
                return Err(limit_error(limit));
            }
            body.extend_from_slice(&buf[..n]);
        }
    }
}

fn into_error(e: io::Error) -> Error {
    let socket_error = sockets::Error::from_io(&e, "read the request body");
    match e.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(error)) => *error,
        _ => Error::Transport(transport::Error::Socket(socket_error)),
    }
}

impl Read for RequestBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut shared = lock(&self.link);
        loop {
            match shared.core.read_body(buf) {
                BodyEvent::Data(n) => return Ok(n),
                BodyEvent::Done => return Ok(0),
                BodyEvent::Failed(rejection) => return Err(body_error(&rejection)),
                BodyEvent::NeedInput => match fill_sync(&mut shared) {
                    Filled::Progress | Filled::TimedOut => {}
                    Filled::Failed(e) => return Err(e),
                },
            }
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBody").finish_non_exhaustive()
    }
}

/// The body of a request to the asynchronous server, read as it arrives
/// ([`futures_io::AsyncRead`], or [`read_async`](Self::read_async)). The
/// same rules as [`RequestBody`] apply; the body timeout is a timer in
/// netstack's reactor, so it works under any executor.
pub struct AsyncRequestBody {
    link: Link,
    timer: Option<(Wait, Instant)>,
}

impl AsyncRequestBody {
    pub(crate) fn new(link: Link) -> AsyncRequestBody {
        AsyncRequestBody { link, timer: None }
    }

    /// Reads body bytes into `buf`; `Ok(0)` at the end of the body.
    pub async fn read_async(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    /// Reads the whole body, refusing one longer than `limit` bytes.
    pub async fn read_all_async(&mut self, limit: u64) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = self.read_async(&mut buf).await.map_err(into_error)?;
            if n == 0 {
                return Ok(body);
            }
            if body.len() as u64 + n as u64 > limit {
                return Err(limit_error(limit));
            }
            body.extend_from_slice(&buf[..n]);
        }
    }
}

crate::body_traits::ecosystem_body_traits!(AsyncRequestBody);

impl AsyncRequestBody {
    /// The body as a `Stream` of `Bytes` chunks.
    pub fn bytes_stream(self) -> crate::BodyStream<AsyncRequestBody> {
        crate::BodyStream::new(self)
    }
}

impl AsyncRead for AsyncRequestBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            let event = lock(&this.link).core.read_body(buf);
            match event {
                BodyEvent::Data(n) => return Poll::Ready(Ok(n)),
                BodyEvent::Done => return Poll::Ready(Ok(0)),
                BodyEvent::Failed(rejection) => return Poll::Ready(Err(body_error(&rejection))),
                BodyEvent::NeedInput => match poll_fill(&this.link, cx, &mut this.timer) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Filled::Progress | Filled::TimedOut) => {}
                    Poll::Ready(Filled::Failed(e)) => return Poll::Ready(Err(e)),
                },
            }
        }
    }
}

impl fmt::Debug for AsyncRequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRequestBody").finish_non_exhaustive()
    }
}

pub(crate) enum Content<R> {
    Full(Cow<'static, [u8]>),
    Stream { reader: R, length: Option<u64> },
}

impl<R> Content<R> {
    pub(crate) fn kind(&self) -> BodyKind {
        match self {
            Content::Full(bytes) => BodyKind::Full(bytes.len() as u64),
            Content::Stream {
                length: Some(n), ..
            } => BodyKind::Sized(*n),
            Content::Stream { length: None, .. } => BodyKind::Unsized,
        }
    }

    fn length(&self) -> Option<u64> {
        match self {
            Content::Full(bytes) => Some(bytes.len() as u64),
            Content::Stream { length, .. } => *length,
        }
    }
}

macro_rules! response_body {
    ($(#[$doc:meta])* $name:ident, $reader:ty, $bound:path, $reader_doc:literal) => {
        $(#[$doc])*
        pub struct $name {
            pub(crate) content: Content<$reader>,
        }

        impl $name {
            /// No body (`Content-Length: 0`).
            pub fn empty() -> $name {
                $name { content: Content::Full(Cow::Borrowed(&[])) }
            }

            /// A body in memory, sent with its `Content-Length`.
            pub fn full(bytes: impl Into<Cow<'static, [u8]>>) -> $name {
                $name { content: Content::Full(bytes.into()) }
            }

            #[doc = concat!("A body streamed from ", $reader_doc, " of unknown length: sent chunked (to an HTTP/1.0 client, delimited by closing the connection).")]
            pub fn from_reader(reader: impl $bound + Send + Unpin + 'static) -> $name {
                $name { content: Content::Stream { reader: Box::new(reader), length: None } }
            }

            #[doc = concat!("A body of exactly `length` bytes streamed from ", $reader_doc, ", sent with its `Content-Length`. A reader that ends early (or yields more) breaks off the connection: the client sees an incomplete body, never a silently truncated one.")]
            pub fn from_reader_with_length(reader: impl $bound + Send + Unpin + 'static, length: u64) -> $name {
                $name { content: Content::Stream { reader: Box::new(reader), length: Some(length) } }
            }

            /// The body's length when known.
            pub fn len(&self) -> Option<u64> {
                self.content.length()
            }

            /// True for a known-empty body.
            pub fn is_empty(&self) -> bool {
                self.len() == Some(0)
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match &self.content {
                    Content::Full(bytes) => f.debug_struct(stringify!($name)).field("len", &bytes.len()).finish(),
                    Content::Stream { length, .. } => f.debug_struct(stringify!($name)).field("stream_length", length).finish(),
                }
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(bytes: Vec<u8>) -> $name {
                $name::full(bytes)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> $name {
                $name::full(text.into_bytes())
            }
        }

        impl From<&'static str> for $name {
            fn from(text: &'static str) -> $name {
                $name::full(text.as_bytes())
            }
        }

        impl From<&'static [u8]> for $name {
            fn from(bytes: &'static [u8]) -> $name {
                $name::full(bytes)
            }
        }

        impl From<()> for $name {
            fn from(_: ()) -> $name {
                $name::empty()
            }
        }
    };
}

response_body!(
    /// The body of a synchronous handler's response: bytes in memory (sent
    /// with `Content-Length`) or a [`Read`] stream (chunked when its length
    /// is unknown). Build it with `From` (`Vec<u8>`, `String`, `&'static str`)
    /// or the constructors. HEAD requests and `204`/`304` responses get no
    /// body bytes whatever the body is.
    ResponseBody,
    Box<dyn Read + Send + Unpin>,
    Read,
    "a reader"
);

response_body!(
    /// The body of an asynchronous handler's response: bytes in memory or a
    /// [`futures_io::AsyncRead`] stream; the rules of [`ResponseBody`] apply.
    AsyncResponseBody,
    Box<dyn AsyncRead + Send + Unpin>,
    AsyncRead,
    "an async reader"
);
