//! `TlsStream<S>`: a TLS session over any stream, with a synchronous and an
//! asynchronous driver around the one shared [`Core`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConnection, Connection, HandshakeKind, ServerConnection};

use super::core::Core;
use super::{
    CertificateInfo, StreamControl, TlsClientConfig, TlsError, TlsServerConfig, TlsVersion,
};

/// A TLS session (client or server) over a stream `S`.
///
/// - **Synchronous** over `S: Read + Write + `[`StreamControl`]
///   ([`NetworkStream`](crate::NetworkStream), `&NetworkStream`, a
///   [`Socket`](sockets::Socket), or any std stream wrapped in
///   [`Unmanaged`](super::Unmanaged)): [`connect`](Self::connect),
///   [`accept`](Self::accept), [`handshake`](Self::handshake),
///   [`shutdown`](Self::shutdown), and std [`Read`]/[`Write`] (for which
///   plain `S: Read + Write` is enough).
/// - **Asynchronous** over `S: futures_io::AsyncRead + AsyncWrite + Unpin`
///   (`NetworkStream` and `&NetworkStream` are): [`connect_async`](Self::connect_async),
///   [`accept_async`](Self::accept_async), [`handshake_async`](Self::handshake_async),
///   [`read_async`](Self::read_async), [`write_all_async`](Self::write_all_async),
///   [`shutdown_async`](Self::shutdown_async), the `futures-io` traits, and
///   tokio's `AsyncRead`/`AsyncWrite` with the `tokio` feature. The futures
///   run on netstack's reactor under any executor, and can be dropped
///   (cancelled) without losing data.
///
/// Both modes drive the same core, so they behave the same: the handshake
/// is bounded by the configuration's handshake timeout
/// ([`TlsError::HandshakeTimeout`]); a read returns `Ok(0)` only after the
/// peer's `close_notify`, and a connection cut without it is
/// [`TlsError::Truncated`]; the peer's certificate problems and alerts
/// have their own [`TlsError`] variants. Through the I/O traits these
/// arrive inside an [`io::Error`] ([`TlsError::from_io`] gets them back).
///
/// If the handshake has not been done explicitly, the first read or write
/// does it (without the handshake timeout; the stream's own timeouts apply).
/// Dropping a `TlsStream` does not send `close_notify`: call
/// [`shutdown`](Self::shutdown) / [`shutdown_async`](Self::shutdown_async).
pub struct TlsStream<S> {
    stream: S,
    core: Core,
    handshake_timeout: Duration,
}

impl<S> TlsStream<S> {
    /// A client session over `stream` that will ask for `server_name`
    /// (a DNS name, used for SNI and checked against the certificate, or an
    /// IP address). No I/O happens until the handshake, read or write.
    pub fn client(
        config: &TlsClientConfig,
        server_name: &str,
        stream: S,
    ) -> Result<Self, TlsError> {
        let name = ServerName::try_from(server_name.to_string()).map_err(|e| {
            TlsError::Config(format!("'{server_name}' is not a valid server name: {e}"))
        })?;
        let conn = ClientConnection::new(config.rustls_config().clone(), name)
            .map_err(|e| TlsError::from_rustls(e, server_name))?;
        Ok(TlsStream {
            stream,
            core: Core::new(Connection::Client(conn), server_name.to_string()),
            handshake_timeout: config.handshake_timeout(),
        })
    }

    /// A server session over `stream` (an accepted connection). No I/O
    /// happens until the handshake, read or write.
    pub fn server(config: &TlsServerConfig, stream: S) -> Result<Self, TlsError> {
        let conn = ServerConnection::new(config.rustls_config().clone())
            .map_err(|e| TlsError::from_rustls(e, "client"))?;
        Ok(TlsStream {
            stream,
            core: Core::new(Connection::Server(conn), "client".to_string()),
            handshake_timeout: config.handshake_timeout(),
        })
    }

    /// True until the handshake has completed.
    pub fn is_handshaking(&self) -> bool {
        self.core.is_handshaking()
    }

    /// True for the server side of a session.
    pub fn is_server(&self) -> bool {
        matches!(self.core.connection(), Connection::Server(_))
    }

    /// The application protocol agreed by ALPN (e.g. `b"http/1.1"`), if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.core.connection().alpn_protocol()
    }

    /// The protocol version negotiated (after the handshake).
    pub fn protocol_version(&self) -> Option<TlsVersion> {
        self.core
            .connection()
            .protocol_version()
            .and_then(TlsVersion::from_rustls)
    }

    /// The cipher suite negotiated, by its IANA name (e.g.
    /// `TLS13_AES_256_GCM_SHA384`), after the handshake.
    pub fn cipher_suite(&self) -> Option<&'static str> {
        self.core
            .connection()
            .negotiated_cipher_suite()
            .map(|suite| suite.suite().as_str().unwrap_or("unknown"))
    }

    /// The peer's certificate chain (DER, leaf first), if it presented one.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.core.connection().peer_certificates()
    }

    /// Subject, issuer, validity and names of the peer's leaf certificate.
    pub fn peer_certificate(&self) -> Option<CertificateInfo> {
        self.peer_certificates()?
            .first()
            .and_then(|der| CertificateInfo::parse(der))
    }

    /// The server name: on a server, the one the client asked for by SNI
    /// (if it sent one); on a client, the one it connected to.
    pub fn server_name(&self) -> Option<&str> {
        match self.core.connection() {
            Connection::Server(conn) => conn.server_name(),
            Connection::Client(_) => Some(self.core.peer()),
        }
    }

    /// True when the session was resumed rather than fully negotiated.
    pub fn is_resumed(&self) -> bool {
        self.core.connection().handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// How long the handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Sets how long the handshake may take (the configuration's by default).
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.handshake_timeout = timeout;
    }

    /// The rustls connection, for what this type does not expose.
    pub fn rustls_connection(&self) -> &Connection {
        self.core.connection()
    }

    /// The stream beneath.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream beneath, mutably. Reading or writing it directly breaks the session.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Gives the stream beneath back (without sending `close_notify`).
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl<S> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("side", &if self.is_server() { "server" } else { "client" })
            .field("server_name", &self.server_name())
            .field("handshaking", &self.is_handshaking())
            .field("version", &self.protocol_version())
            .field("cipher_suite", &self.cipher_suite())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// The synchronous driver.

impl<S: Read + Write + StreamControl> TlsStream<S> {
    /// Connects as a client: [`client`](Self::client), then the
    /// [`handshake`](Self::handshake), bounded by the handshake timeout.
    pub fn connect(
        config: &TlsClientConfig,
        server_name: &str,
        stream: S,
    ) -> Result<Self, TlsError> {
        let mut tls = TlsStream::client(config, server_name, stream)?;
        tls.handshake()?;
        Ok(tls)
    }

    /// Accepts as a server: [`server`](Self::server), then the
    /// [`handshake`](Self::handshake), bounded by the handshake timeout.
    pub fn accept(config: &TlsServerConfig, stream: S) -> Result<Self, TlsError> {
        let mut tls = TlsStream::server(config, stream)?;
        tls.handshake()?;
        Ok(tls)
    }

    /// Completes the handshake, or fails with [`TlsError::HandshakeTimeout`]
    /// when it takes longer than the handshake timeout. The stream's read and
    /// write timeouts are set to the time left during the handshake and
    /// restored afterwards. Does nothing once the handshake is done.
    pub fn handshake(&mut self) -> Result<(), TlsError> {
        if !self.core.is_handshaking() {
            return Ok(());
        }
        let timeout = self.handshake_timeout;
        let mut io = Deadline::new(&mut self.stream, Instant::now() + timeout);
        let result = self.core.handshake(&mut io);
        let expired = io.expired;
        io.restore()?;
        match result {
            Err(TlsError::Io(_)) if expired => Err(TlsError::HandshakeTimeout { timeout }),
            other => other,
        }
    }

    /// Sends `close_notify`, then shuts down the write side of the stream
    /// beneath (where [`StreamControl`] can), so the peer reads a clean end
    /// of stream. Reading stays possible until the peer closes too.
    pub fn shutdown(&mut self) -> Result<(), TlsError> {
        self.core.close(&mut self.stream)?;
        match self.stream.shutdown_write() {
            // The peer has already gone: there is no write side left to close.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => Ok(other?),
        }
    }
}

impl<S: Read + Write> Read for TlsStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.core.read(&mut self.stream, buf)?)
    }
}

impl<S: Read + Write> Write for TlsStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.core.write(&mut self.stream, buf)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.core.flush(&mut self.stream)?)
    }
}

/// The synchronous handshake's view of the stream: every read and write
/// is bounded by the time left before the deadline (through the stream's
/// timeouts), and one that times out after the deadline marks it expired.
struct Deadline<'a, S: StreamControl> {
    stream: &'a mut S,
    deadline: Instant,
    expired: bool,
    saved: Option<(Option<Duration>, Option<Duration>)>,
    /// When each direction's timeout was last set, and to what: it is set
    /// again only when keeping it would overshoot the deadline noticeably
    /// (each `setsockopt` costs a system call per record otherwise).
    armed: [Option<(Instant, Duration)>; 2],
}

/// How far a read or write may outlast the deadline before its timeout is re-armed.
const DEADLINE_SLACK: Duration = Duration::from_millis(50);

/// Poll interval for a non-blocking stream during the handshake.
const NONBLOCKING_RETRY: Duration = Duration::from_millis(5);

impl<'a, S: StreamControl> Deadline<'a, S> {
    fn new(stream: &'a mut S, deadline: Instant) -> Deadline<'a, S> {
        let saved = match (stream.read_timeout(), stream.write_timeout()) {
            (Ok(r), Ok(w)) => Some((r, w)),
            _ => None,
        };
        Deadline {
            stream,
            deadline,
            expired: false,
            saved,
            armed: [None, None],
        }
    }

    /// The time left, at least 1 ms (a zero timeout means "forever" to some OSes).
    fn left(&mut self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.expired = true;
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "handshake deadline passed",
            ));
        }
        Ok(left.max(Duration::from_millis(1)))
    }

    /// Runs one bounded I/O call, retrying timeouts until the deadline.
    fn bounded<T>(
        &mut self,
        direction: usize,
        set: fn(&mut S, Option<Duration>) -> io::Result<()>,
        mut op: impl FnMut(&mut S) -> io::Result<T>,
    ) -> io::Result<T> {
        loop {
            let left = self.left()?;
            let now = Instant::now();
            let stale = match self.armed[direction] {
                // A call now could block until `now + timeout`.
                Some((_, timeout)) => now + timeout > self.deadline + DEADLINE_SLACK,
                None => true,
            };
            if stale {
                set(self.stream, Some(left))?;
                self.armed[direction] = Some((now, left));
            }
            match op(self.stream) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    if Instant::now() >= self.deadline {
                        self.expired = true;
                        return Err(e);
                    }
                    self.armed[direction] = None;
                    if e.kind() == io::ErrorKind::WouldBlock {
                        std::thread::sleep(left.min(NONBLOCKING_RETRY));
                    }
                }
                other => return other,
            }
        }
    }

    /// Puts the stream's own timeouts back.
    fn restore(mut self) -> io::Result<()> {
        match self.saved.take() {
            Some((read, write)) => {
                self.stream.set_read_timeout(read)?;
                self.stream.set_write_timeout(write)
            }
            None => Ok(()),
        }
    }
}

impl<S: StreamControl> Drop for Deadline<'_, S> {
    fn drop(&mut self) {
        if let Some((read, write)) = self.saved.take() {
            let _ = self.stream.set_read_timeout(read);
            let _ = self.stream.set_write_timeout(write);
        }
    }
}

const READ: usize = 0;
const WRITE: usize = 1;

impl<S: Read + StreamControl> Read for Deadline<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bounded(READ, S::set_read_timeout, |s| s.read(buf))
    }
}

impl<S: Write + StreamControl> Write for Deadline<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bounded(WRITE, S::set_write_timeout, |s| s.write(buf))
    }

    /// Forwarded so rustls's queued records leave in one system call (the
    /// default would send one record per call, a segment each).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.bounded(WRITE, S::set_write_timeout, |s| s.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.bounded(WRITE, S::set_write_timeout, |s| s.flush())
    }
}

// ---------------------------------------------------------------------------
// The asynchronous driver.

/// The asynchronous driver's view of the stream: each read or write polls
/// the async stream once, and `Pending` becomes `WouldBlock` (noted, so the
/// driver can tell it from a real `WouldBlock` error and return `Pending`).
struct AsyncIo<'a, 'b, S> {
    stream: &'a mut S,
    cx: &'a mut Context<'b>,
    pending: bool,
}

impl<S> AsyncIo<'_, '_, S> {
    fn ready<T>(&mut self, poll: Poll<io::Result<T>>) -> io::Result<T> {
        match poll {
            Poll::Ready(result) => result,
            Poll::Pending => {
                self.pending = true;
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }
}

impl<S: AsyncRead + Unpin> Read for AsyncIo<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let poll = Pin::new(&mut *self.stream).poll_read(self.cx, buf);
        self.ready(poll)
    }
}

impl<S: AsyncWrite + Unpin> Write for AsyncIo<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let poll = Pin::new(&mut *self.stream).poll_write(self.cx, buf);
        self.ready(poll)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let poll = Pin::new(&mut *self.stream).poll_write_vectored(self.cx, bufs);
        self.ready(poll)
    }

    fn flush(&mut self) -> io::Result<()> {
        let poll = Pin::new(&mut *self.stream).poll_flush(self.cx);
        self.ready(poll)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Runs one core operation against the async stream; `WouldBlock` from
    /// a pending poll becomes `Poll::Pending` (the stream has registered the waker).
    fn poll_core<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut Core, &mut AsyncIo<'_, '_, S>) -> Result<T, TlsError>,
    ) -> Poll<Result<T, TlsError>> {
        let mut io = AsyncIo {
            stream: &mut self.stream,
            cx,
            pending: false,
        };
        match op(&mut self.core, &mut io) {
            Err(TlsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock && io.pending => {
                Poll::Pending
            }
            result => Poll::Ready(result),
        }
    }

    /// Connects as a client without blocking a thread: [`client`](Self::client),
    /// then [`handshake_async`](Self::handshake_async).
    pub async fn connect_async(
        config: &TlsClientConfig,
        server_name: &str,
        stream: S,
    ) -> Result<Self, TlsError> {
        let mut tls = TlsStream::client(config, server_name, stream)?;
        tls.handshake_async().await?;
        Ok(tls)
    }

    /// Accepts as a server without blocking a thread: [`server`](Self::server),
    /// then [`handshake_async`](Self::handshake_async).
    pub async fn accept_async(config: &TlsServerConfig, stream: S) -> Result<Self, TlsError> {
        let mut tls = TlsStream::server(config, stream)?;
        tls.handshake_async().await?;
        Ok(tls)
    }

    /// Polls the handshake to completion (no timeout: see [`handshake_async`](Self::handshake_async)).
    pub fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TlsError>> {
        if !self.core.is_handshaking() {
            return Poll::Ready(Ok(()));
        }
        self.poll_core(cx, |core, io| core.handshake(io))
    }

    /// Completes the handshake, or fails with [`TlsError::HandshakeTimeout`]
    /// when it takes longer than the handshake timeout (a timer in netstack's
    /// reactor). Does nothing once the handshake is done.
    pub async fn handshake_async(&mut self) -> Result<(), TlsError> {
        if !self.core.is_handshaking() {
            return Ok(());
        }
        let timeout = self.handshake_timeout;
        let mut timer = pin!(sockets::sleep(timeout));
        poll_fn(|cx| {
            if let Poll::Ready(result) = self.poll_handshake(cx) {
                return Poll::Ready(result);
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(TlsError::HandshakeTimeout { timeout })),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Reads plaintext without blocking a thread; `Ok(0)` after the peer's `close_notify`.
    pub async fn read_async(&mut self, buf: &mut [u8]) -> Result<usize, TlsError> {
        poll_fn(|cx| self.poll_core(cx, |core, io| core.read(io, buf))).await
    }

    /// Writes some of `buf` without blocking a thread; returns how much was taken.
    pub async fn write_async(&mut self, buf: &[u8]) -> Result<usize, TlsError> {
        poll_fn(|cx| self.poll_core(cx, |core, io| core.write(io, buf))).await
    }

    /// Writes all of `buf` and flushes it to the stream beneath.
    pub async fn write_all_async(&mut self, mut buf: &[u8]) -> Result<(), TlsError> {
        while !buf.is_empty() {
            let n = self.write_async(buf).await?;
            buf = &buf[n..];
        }
        self.flush_async().await
    }

    /// Sends every queued record.
    pub async fn flush_async(&mut self) -> Result<(), TlsError> {
        poll_fn(|cx| self.poll_core(cx, |core, io| core.flush(io))).await
    }

    /// Sends `close_notify`, then closes the write side of the stream
    /// beneath (`poll_close`), so the peer reads a clean end of stream.
    pub async fn shutdown_async(&mut self) -> Result<(), TlsError> {
        poll_fn(|cx| self.poll_shutdown_tls(cx)).await
    }

    fn poll_shutdown_tls(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TlsError>> {
        match self.poll_core(cx, |core, io| core.close(io)) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        match Pin::new(&mut self.stream).poll_close(cx) {
            // The peer has already gone: there is no write side left to close.
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            other => other.map_err(TlsError::Io),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_core(cx, |core, io| core.read(io, buf))
            .map_err(io::Error::from)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_core(cx, |core, io| core.write(io, buf))
            .map_err(io::Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_core(cx, |core, io| core.flush(io))
            .map_err(io::Error::from)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_shutdown_tls(cx)
            .map_err(io::Error::from)
    }
}

#[cfg(feature = "tokio")]
impl<S: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        match AsyncRead::poll_read(self, cx, dst) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(feature = "tokio")]
impl<S: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(self, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_close(self, cx)
    }
}
