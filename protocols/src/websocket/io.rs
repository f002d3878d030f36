//! Reading and writing the upgraded connection, plain or TLS, in either
//! mode: what the two drivers call, so that neither knows which it has.

use std::future::poll_fn;
use std::io::{Read, Write};
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};
use transport::NetworkStream;

use crate::http::client::stream::{transport_error, Io};

/// Reads some bytes, blocking (bounded by the socket's read timeout).
pub(crate) fn read_sync(io: &mut Io, buf: &mut [u8]) -> Result<usize, transport::Error> {
    match io {
        Io::Plain(s) => NetworkStream::read_sync(s, buf),
        Io::Tls(s) => Read::read(&mut **s, buf).map_err(|e| transport_error(e, "read")),
    }
}

/// Writes all of `buf` and flushes TLS records, blocking.
pub(crate) fn write_all_sync(io: &mut Io, buf: &[u8]) -> Result<(), transport::Error> {
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
pub(crate) async fn read_async(io: &mut Io, buf: &mut [u8]) -> Result<usize, transport::Error> {
    poll_fn(|cx| match io {
        Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
        Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
    })
    .await
    .map_err(|e| transport_error(e, "read"))
}

/// Writes all of `buf` and flushes, without blocking a thread.
pub(crate) async fn write_all_async(io: &mut Io, mut buf: &[u8]) -> Result<(), transport::Error> {
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
