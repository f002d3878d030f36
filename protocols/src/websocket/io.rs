//! Reading and writing the upgraded connection, a client's or a
//! server's, plain or TLS, in either mode: what the two drivers call, so
//! that neither knows which it has.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use transport::NetworkStream;

use crate::http::client::stream::Stream as ClientStream;
use crate::http::client::stream::{transport_error, Io};
use crate::http::server::stream::Stream as ServerStream;
use crate::http::server::upgrade::StreamSlot;

/// The connection under a WebSocket.
#[derive(Debug)]
pub(crate) enum Transport {
    /// A client's, from the HTTP client after its `101` (boxed: the HTTP
    /// client's stream is several times the size of a server's).
    Client(Box<ClientStream>),
    /// A server's, from the HTTP server after the handler's `101`.
    Server(Lent, std::sync::Arc<NetworkStream>),
}

/// A served connection's stream, lent by the HTTP server and given back
/// when dropped, so that the server can end it properly (a TLS stream with
/// `close_notify`).
pub(crate) struct Lent {
    /// `Some` until the drop gives it back.
    stream: Option<ServerStream>,
    back: StreamSlot,
}

impl Lent {
    pub(crate) fn new(stream: ServerStream, back: StreamSlot) -> Lent {
        Lent {
            stream: Some(stream),
            back,
        }
    }

    fn stream(&mut self) -> &mut ServerStream {
        self.stream
            .as_mut()
            .expect("a lent stream is there until it is dropped")
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            self.back.put(stream);
        }
    }
}

impl std::fmt::Debug for Lent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lent")
            .field("stream", &self.stream)
            .finish()
    }
}

impl Transport {
    /// The socket under the stream (for its timeouts).
    pub(crate) fn network(&self) -> &NetworkStream {
        match self {
            Transport::Client(stream) => stream.network(),
            Transport::Server(_, net) => net,
        }
    }

    /// Reads some bytes, blocking (bounded by the socket's read timeout).
    pub(crate) fn read_sync(&mut self, buf: &mut [u8]) -> Result<usize, transport::Error> {
        let read = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(s) => return NetworkStream::read_sync(s, buf),
                Io::Tls(s) => Read::read(&mut **s, buf),
            },
            Transport::Server(lent, _) => lent.stream().read(buf),
        };
        read.map_err(|e| transport_error(e, "read"))
    }

    /// Writes some bytes, blocking; never 0.
    pub(crate) fn write_sync(&mut self, buf: &[u8]) -> Result<usize, transport::Error> {
        let written = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(s) => return nonzero(NetworkStream::write_sync(s, buf)),
                Io::Tls(s) => Write::write(&mut **s, buf),
            },
            Transport::Server(lent, _) => lent.stream().write(buf),
        };
        nonzero(written.map_err(|e| transport_error(e, "write")))
    }

    /// Sends what TLS holds back, blocking.
    pub(crate) fn flush_sync(&mut self) -> Result<(), transport::Error> {
        let flushed = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(_) => Ok(()),
                Io::Tls(s) => s.flush(),
            },
            Transport::Server(lent, _) => lent.stream().flush(),
        };
        flushed.map_err(|e| transport_error(e, "write"))
    }

    /// Polls a read (bounded by the socket's read timeout, which its
    /// asynchronous receives keep too).
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, transport::Error>> {
        let read = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
                Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
            },
            Transport::Server(lent, _) => Pin::new(lent.stream()).poll_read(cx, buf),
        };
        read.map_err(|e| transport_error(e, "read"))
    }

    /// Polls a write of some bytes; never 0.
    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<Result<usize, transport::Error>> {
        let written = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
                Io::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            },
            Transport::Server(lent, _) => Pin::new(lent.stream()).poll_write(cx, buf),
        };
        written.map(|written| nonzero(written.map_err(|e| transport_error(e, "write"))))
    }

    /// Polls sending what TLS holds back.
    pub(crate) fn poll_flush(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), transport::Error>> {
        let flushed = match self {
            Transport::Client(stream) => match &mut stream.io {
                Io::Plain(_) => Poll::Ready(Ok(())),
                Io::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            },
            Transport::Server(lent, _) => Pin::new(lent.stream()).poll_flush(cx),
        };
        flushed.map_err(|e| transport_error(e, "write"))
    }
}

/// A write that took no byte is an error: the connection accepts no more.
fn nonzero(written: Result<usize, transport::Error>) -> Result<usize, transport::Error> {
    match written {
        Ok(0) => Err(transport_error(io::ErrorKind::WriteZero.into(), "write")),
        other => other,
    }
}
