//! The connection's byte stream (plain TCP or TLS over it) and the state a
//! connection shares between its driver and the handler's body reader.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use transport::tls::{StreamControl, TlsStream};
use transport::NetworkStream;

use super::conn::{Conn, Step};
use crate::http::armed_timer::ArmedTimer;

/// A `NetworkStream` the server can close from another thread (shutdown)
/// while the connection's driver reads from it.
#[derive(Debug, Clone)]
pub(crate) struct SharedNet(pub(crate) Arc<NetworkStream>);

impl Read for SharedNet {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self.0, buf)
    }
}

impl Write for SharedNet {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self.0, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl StreamControl for SharedNet {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.0.read_timeout()?)
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(self.0.set_read_timeout(timeout)?)
    }

    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.0.write_timeout()?)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(self.0.set_write_timeout(timeout)?)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(self.0.shutdown(sockets::Shutdown::Send)?)
    }
}

impl AsyncRead for SharedNet {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedNet {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}

/// Plain TCP or TLS; both usable synchronously and asynchronously.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(SharedNet),
    Tls(Box<TlsStream<SharedNet>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_close(cx),
        }
    }
}

/// What the driver and the handler's body reader share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) stream: Stream,
    pub(crate) core: Conn,
    pub(crate) net: Arc<NetworkStream>,
    /// The async driver's read deadline timer, kept across reads.
    pub(crate) read_timer: Option<ArmedTimer>,
}

/// The shared connection.
pub(crate) type Link = Arc<Mutex<Shared>>;

/// Locks the connection; a panic elsewhere does not make it unusable
/// (every state change in [`Conn`] is completed before it returns).
pub(crate) fn lock(link: &Link) -> MutexGuard<'_, Shared> {
    link.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The connection's next step. A server shutting down lets the
/// connection finish the request under way, then close.
pub(crate) fn next_step(link: &Link, shutting_down: bool) -> Step {
    let mut shared = lock(link);
    if shutting_down {
        shared.core.set_closing();
    }
    shared.core.next_step(Instant::now())
}

/// True for the errors that mean "the wait timed out".
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}
