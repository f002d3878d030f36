//! Reading and writing the upgraded connection, a client's or a
//! server's, plain or TLS, in either mode: what the two drivers call, so
//! that neither knows which it has.

use std::future::poll_fn;
use std::io::{Read, Write};
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};
use transport::NetworkStream;

use crate::http::client::stream::Stream as ClientStream;
use crate::http::client::stream::{transport_error, Io};
use crate::http::server::stream::Stream as ServerStream;

/// The connection under a WebSocket.
#[derive(Debug)]
pub(crate) enum Transport {
    /// A client's, from the HTTP client after its `101`.
    Client(ClientStream),
    /// A server's, from the HTTP server after the handler's `101`.
    Server(ServerStream, std::sync::Arc<NetworkStream>),
}

impl Transport {
    /// The socket under the stream (for its timeouts).
    pub(crate) fn network(&self) -> &NetworkStream {
        match self {
            Transport::Client(stream) => stream.network(),
            Transport::Server(_, net) => net,
        }
    }

    pub(crate) fn read_sync(&mut self, buf: &mut [u8]) -> Result<usize, transport::Error> {
        match self {
            Transport::Client(stream) => read_sync(&mut stream.io, buf),
            Transport::Server(stream, _) => {
                stream.read(buf).map_err(|e| transport_error(e, "read"))
            }
        }
    }

    pub(crate) fn write_all_sync(&mut self, buf: &[u8]) -> Result<(), transport::Error> {
        match self {
            Transport::Client(stream) => write_all_sync(&mut stream.io, buf),
            Transport::Server(stream, _) => stream
                .write_all(buf)
                .and_then(|()| stream.flush())
                .map_err(|e| transport_error(e, "write")),
        }
    }

    pub(crate) async fn read_async(&mut self, buf: &mut [u8]) -> Result<usize, transport::Error> {
        match self {
            Transport::Client(stream) => read_async(&mut stream.io, buf).await,
            Transport::Server(stream, _) => poll_fn(|cx| Pin::new(&mut *stream).poll_read(cx, buf))
                .await
                .map_err(|e| transport_error(e, "read")),
        }
    }

    pub(crate) async fn write_all_async(&mut self, buf: &[u8]) -> Result<(), transport::Error> {
        match self {
            Transport::Client(stream) => write_all_async(&mut stream.io, buf).await,
            Transport::Server(stream, _) => write_all_server(stream, buf).await,
        }
    }
}

async fn write_all_server(
    stream: &mut ServerStream,
    mut buf: &[u8],
) -> Result<(), transport::Error> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *stream).poll_write(cx, buf))
            .await
            .map_err(|e| transport_error(e, "write"))?;
        if n == 0 {
            return Err(transport_error(
                std::io::ErrorKind::WriteZero.into(),
                "write",
            ));
        }
        buf = &buf[n..];
    }
    poll_fn(|cx| Pin::new(&mut *stream).poll_flush(cx))
        .await
        .map_err(|e| transport_error(e, "write"))
}

/// Reads some bytes, blocking (bounded by the socket's read timeout).
fn read_sync(io: &mut Io, buf: &mut [u8]) -> Result<usize, transport::Error> {
    match io {
        Io::Plain(s) => NetworkStream::read_sync(s, buf),
        Io::Tls(s) => Read::read(&mut **s, buf).map_err(|e| transport_error(e, "read")),
    }
}

/// Writes all of `buf` and flushes TLS records, blocking.
fn write_all_sync(io: &mut Io, buf: &[u8]) -> Result<(), transport::Error> {
    match io {
        Io::Plain(s) => NetworkStream::write_all_sync(s, buf),
        Io::Tls(s) => s
            .write_all(buf)
            .and_then(|()| s.flush())
            .map_err(|e| transport_error(e, "write")),
    }
}

/// Reads some bytes without blocking a thread (bounded by the socket's
/// read timeout, which its asynchronous receives keep too).
async fn read_async(io: &mut Io, buf: &mut [u8]) -> Result<usize, transport::Error> {
    poll_fn(|cx| match io {
        Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
        Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
    })
    .await
    .map_err(|e| transport_error(e, "read"))
}

/// Writes all of `buf` and flushes, without blocking a thread.
async fn write_all_async(io: &mut Io, mut buf: &[u8]) -> Result<(), transport::Error> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| match io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        })
        .await
        .map_err(|e| transport_error(e, "write"))?;
        if n == 0 {
            return Err(transport_error(
                std::io::ErrorKind::WriteZero.into(),
                "write",
            ));
        }
        buf = &buf[n..];
    }
    poll_fn(|cx| match io {
        Io::Plain(_) => std::task::Poll::Ready(Ok(())),
        Io::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
    })
    .await
    .map_err(|e| transport_error(e, "write"))
}
