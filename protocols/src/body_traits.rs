//! The asynchronous bodies (the HTTP client's and the fetcher's responses,
//! the server's request bodies) in the shapes the ecosystem reads: a
//! `Stream` of `Bytes` chunks ([`BodyStream`]), tokio's `AsyncRead` (the
//! `tokio` feature) and `http_body::Body` (the `http-body` feature), all
//! on top of the `futures_io::AsyncRead` each body implements.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

/// How much one chunk of a [`BodyStream`] holds at most.
const CHUNK: usize = 16 * 1024;

/// A body as a `Stream` of chunks (`bytes_stream()` on the asynchronous
/// bodies); it ends after the last chunk or the first error.
pub struct BodyStream<R> {
    reader: R,
    done: bool,
}

impl<R> BodyStream<R> {
    pub(crate) fn new(reader: R) -> BodyStream<R> {
        BodyStream {
            reader,
            done: false,
        }
    }
}

impl<R> std::fmt::Debug for BodyStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: futures_io::AsyncRead + Unpin> Stream for BodyStream<R> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        poll_chunk(&mut this.reader, cx).map(|chunk| match chunk {
            Ok(None) => {
                this.done = true;
                None
            }
            Ok(Some(bytes)) => Some(Ok(bytes)),
            Err(e) => {
                this.done = true;
                Some(Err(e))
            }
        })
    }
}

/// The next chunk of `reader`, or `None` at its end.
fn poll_chunk<R: futures_io::AsyncRead + Unpin>(
    reader: &mut R,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Option<Bytes>>> {
    let mut chunk = BytesMut::zeroed(CHUNK);
    match Pin::new(reader).poll_read(cx, &mut chunk) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Ready(Ok(0)) => Poll::Ready(Ok(None)),
        Poll::Ready(Ok(n)) => {
            chunk.truncate(n);
            Poll::Ready(Ok(Some(chunk.freeze())))
        }
    }
}

/// tokio's `poll_read` on top of futures' (the `tokio` feature).
#[cfg(feature = "tokio")]
pub(crate) fn poll_read_tokio<R: futures_io::AsyncRead + Unpin>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let n = match Pin::new(reader).poll_read(cx, buf.initialize_unfilled()) {
        Poll::Pending => return Poll::Pending,
        Poll::Ready(result) => result?,
    };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// `http_body::Body::poll_frame` on top of futures' `poll_read` (the
/// `http-body` feature): data frames only (trailers stay on the response).
#[cfg(feature = "http-body")]
pub(crate) fn poll_frame<R: futures_io::AsyncRead + Unpin>(
    reader: &mut R,
    cx: &mut Context<'_>,
) -> Poll<Option<io::Result<http_body::Frame<Bytes>>>> {
    poll_chunk(reader, cx).map(|chunk| chunk.transpose().map(|c| c.map(http_body::Frame::data)))
}

/// Any `http_body::Body` read as a `futures_io::AsyncRead` (the
/// `http-body` feature): what a tower service's response body becomes on
/// netstack's server. Trailers are dropped; an error of the body is the
/// read's `io::Error`.
#[cfg(feature = "http-body")]
pub(crate) struct HttpBodyReader<B: http_body::Body> {
    body: Pin<Box<B>>,
    chunk: Option<B::Data>,
}

#[cfg(feature = "http-body")]
impl<B: http_body::Body> HttpBodyReader<B> {
    pub(crate) fn new(body: B) -> HttpBodyReader<B> {
        HttpBodyReader {
            body: Box::pin(body),
            chunk: None,
        }
    }
}

#[cfg(feature = "http-body")]
impl<B> futures_io::AsyncRead for HttpBodyReader<B>
where
    B: http_body::Body,
    B::Data: Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        use bytes::Buf;
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(chunk) = &mut this.chunk {
                if chunk.has_remaining() {
                    let n = chunk.remaining().min(buf.len());
                    chunk.copy_to_slice(&mut buf[..n]);
                    return Poll::Ready(Ok(n));
                }
                this.chunk = None;
            }
            match this.body.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(0)),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(io::Error::other(e))),
                Poll::Ready(Some(Ok(frame))) => this.chunk = frame.into_data().ok(),
            }
        }
    }
}

/// Implements tokio's `AsyncRead` (the `tokio` feature) and
/// `http_body::Body` (the `http-body` feature) for an `Unpin` body type
/// that implements `futures_io::AsyncRead`.
macro_rules! ecosystem_body_traits {
    ($body:ty) => {
        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $body {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::body_traits::poll_read_tokio(self.get_mut(), cx, buf)
            }
        }

        #[cfg(feature = "http-body")]
        impl http_body::Body for $body {
            type Data = bytes::Bytes;
            type Error = std::io::Error;

            fn poll_frame(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<std::io::Result<http_body::Frame<bytes::Bytes>>>> {
                $crate::body_traits::poll_frame(self.get_mut(), cx)
            }
        }
    };
}
pub(crate) use ecosystem_body_traits;
