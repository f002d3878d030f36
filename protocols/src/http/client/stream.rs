//! The connection under the client: a plain or TLS stream over a
//! [`NetworkStream`], with timed reads and writes in both modes.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use transport::tls::{TlsError, TlsStream};
use transport::NetworkStream;

use crate::http::armed_timer::{poll_deadline, ArmedTimer};
use crate::http::client::conn::{Limit, ReaderBuffers, Timeouts};
use crate::http::{Error, Phase, Result};

/// A connection's byte stream.
pub(crate) enum Io {
    Plain(NetworkStream),
    Tls(ClosingTls),
}

/// A client's TLS stream, which ends with `close_notify` when the client
/// lets it go (not pooled, evicted, or the client dropped), as curl's
/// does. Never waiting: the socket goes non-blocking first, so a full
/// send buffer or a vanished peer costs only the alert.
pub(crate) struct ClosingTls(Box<TlsStream<NetworkStream>>);

impl ClosingTls {
    pub fn new(tls: Box<TlsStream<NetworkStream>>) -> ClosingTls {
        ClosingTls(tls)
    }
}

impl std::ops::Deref for ClosingTls {
    type Target = TlsStream<NetworkStream>;

    fn deref(&self) -> &TlsStream<NetworkStream> {
        &self.0
    }
}

impl std::ops::DerefMut for ClosingTls {
    fn deref_mut(&mut self) -> &mut TlsStream<NetworkStream> {
        &mut self.0
    }
}

impl Drop for ClosingTls {
    fn drop(&mut self) {
        if self.0.get_ref().socket().set_blocking(false).is_ok() {
            let _ = self.0.shutdown();
        }
    }
}

/// A connection: its stream and the socket timeouts last set on it.
pub(crate) struct Stream {
    pub io: Io,
    /// The TLS session, kept for every response the connection carries.
    pub tls_info: Option<std::sync::Arc<crate::http::client::TlsInfo>>,
    /// The peer's address, asked once per connection (every response
    /// reports it).
    pub remote: Option<std::net::SocketAddr>,
    /// The response reader's buffers, kept while the connection idles in
    /// the pool so that the next exchange on it does not allocate and
    /// zero-fill new ones.
    pub read_buffers: ReaderBuffers,
    /// The reactor timer that bounds this connection's async waits, kept
    /// armed from one wait to the next (see [`ArmedTimer`]).
    timer: Option<ArmedTimer>,
    read_set: Option<Option<Duration>>,
    write_set: Option<Option<Duration>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.io {
            Io::Plain(s) => f.debug_tuple("Plain").field(s).finish(),
            Io::Tls(s) => f.debug_tuple("Tls").field(&**s).finish(),
        }
    }
}

/// Turns an I/O error from a stream back into the transport error inside it.
pub(crate) fn transport_error(err: io::Error, operation: &'static str) -> transport::Error {
    if err.get_ref().is_some_and(|e| e.is::<TlsError>()) {
        if let Some(Ok(tls)) = err.into_inner().map(|e| e.downcast::<TlsError>()) {
            return transport::Error::Tls(*tls);
        }
        unreachable!("checked above");
    }
    if err.get_ref().is_some_and(|e| e.is::<sockets::Error>()) {
        if let Some(Ok(socket)) = err.into_inner().map(|e| e.downcast::<sockets::Error>()) {
            return transport::Error::Socket(*socket);
        }
        unreachable!("checked above");
    }
    transport::Error::Socket(sockets::Error::from_io(&err, operation))
}

fn classify(err: transport::Error, t: &Timeouts, phase: Phase, limit: Option<Limit>) -> Error {
    if err.is_timeout() {
        t.expired(phase, limit)
    } else {
        Error::Transport(err)
    }
}

/// 1 ms at least: a zero socket timeout means "wait forever".
fn socket_timeout(limit: Option<Limit>) -> Option<Duration> {
    limit.map(|l| l.wait.max(Duration::from_millis(1)))
}

impl Stream {
    pub fn new(io: Io) -> Stream {
        let tls_info = match &io {
            Io::Plain(_) => None,
            Io::Tls(tls) => Some(std::sync::Arc::new(crate::http::client::TlsInfo::of(tls))),
        };
        let mut stream = Stream {
            io,
            tls_info,
            remote: None,
            read_buffers: ReaderBuffers::default(),
            timer: None,
            read_set: None,
            write_set: None,
        };
        stream.remote = stream
            .network()
            .remote_endpoint()
            .ok()
            .and_then(|e| e.as_ip());
        stream
    }

    pub fn network(&self) -> &NetworkStream {
        match &self.io {
            Io::Plain(s) => s,
            Io::Tls(s) => s.get_ref(),
        }
    }

    /// False when the peer has closed the connection (or sent something
    /// unasked) while it sat idle: a read would not block.
    ///
    /// A connection the async client used is asked of its reactor first,
    /// which knows without a system call while nothing was reported since
    /// its last read found no more data.
    pub fn idle_and_open(&self) -> bool {
        let socket = self.network().socket();
        socket.known_not_ready(sockets::SelectMode::Read)
            || matches!(
                socket.poll(Some(Duration::ZERO), sockets::SelectMode::Read),
                Ok(false)
            )
    }

    // ----- synchronous -----

    fn set_read(&mut self, timeout: Option<Duration>) -> Result<()> {
        if self.read_set != Some(timeout) {
            self.network().set_read_timeout(timeout)?;
            self.read_set = Some(timeout);
        }
        Ok(())
    }

    fn set_write(&mut self, timeout: Option<Duration>) -> Result<()> {
        if self.write_set != Some(timeout) {
            self.network().set_write_timeout(timeout)?;
            self.write_set = Some(timeout);
        }
        Ok(())
    }

    /// Reads some bytes, bounded by the read timeout and the deadline.
    pub fn read_timed(&mut self, buf: &mut [u8], t: &Timeouts) -> Result<usize> {
        self.read_with(buf, t, t.read, Phase::Read)
    }

    /// Reads some bytes, bounded by `per_call` and the deadline.
    pub fn read_with(
        &mut self,
        buf: &mut [u8],
        t: &Timeouts,
        per_call: Option<Duration>,
        phase: Phase,
    ) -> Result<usize> {
        let limit = t.limit(per_call)?;
        self.set_read(socket_timeout(limit))?;
        let result = match &mut self.io {
            Io::Plain(s) => NetworkStream::read_sync(s, buf),
            Io::Tls(s) => Read::read(&mut **s, buf).map_err(|e| transport_error(e, "read")),
        };
        result.map_err(|e| classify(e, t, phase, limit))
    }

    /// True when bytes from the peer wait on the socket (`FIONREAD`); it
    /// never waits, in either mode.
    pub fn has_input(&self) -> bool {
        let socket = match &self.io {
            Io::Plain(s) => s.socket(),
            Io::Tls(s) => s.get_ref().socket(),
        };
        socket.available().is_ok_and(|n| n > 0)
    }

    /// Writes all of `buf` (and flushes TLS records), each write bounded by
    /// the write timeout and the deadline.
    pub fn write_all_timed(&mut self, mut buf: &[u8], t: &Timeouts) -> Result<()> {
        while !buf.is_empty() {
            let limit = t.limit(t.write)?;
            self.set_write(socket_timeout(limit))?;
            let result = match &mut self.io {
                Io::Plain(s) => NetworkStream::write_sync(s, buf),
                Io::Tls(s) => Write::write(&mut **s, buf).map_err(|e| transport_error(e, "write")),
            };
            match result {
                Ok(0) => {
                    return Err(Error::Transport(transport::Error::Socket(
                        sockets::Error::new(sockets::SocketError::ConnectionAborted, "write")
                            .with_detail("the connection accepted no more bytes"),
                    )))
                }
                Ok(n) => buf = &buf[n..],
                Err(e) => return Err(classify(e, t, Phase::Write, limit)),
            }
        }
        if let Io::Tls(s) = &mut self.io {
            let limit = t.limit(t.write)?;
            self.write_set = None;
            s.get_ref().set_write_timeout(socket_timeout(limit))?;
            s.flush()
                .map_err(|e| classify(transport_error(e, "write"), t, Phase::Write, limit))?;
        }
        Ok(())
    }

    // ----- asynchronous -----

    fn poll_read_io(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }

    fn poll_write_io(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(_) => Poll::Ready(Ok(())),
            Io::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    /// Polls a read bounded by the read timeout and the deadline; `timer`
    /// keeps the wait's timeout between polls (reset after each read), and
    /// the connection's armed timer wakes the task by then.
    pub fn poll_read_timed(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        t: &Timeouts,
        per_call: Option<Duration>,
        phase: Phase,
        timer: &mut Option<RunningTimeout>,
    ) -> Poll<Result<usize>> {
        if timer.is_none() {
            // Checks the deadline before every read, even when data is ready.
            if let Err(e) = t.limit(per_call) {
                return Poll::Ready(Err(e));
            }
        }
        match self.poll_read_io(cx, buf) {
            Poll::Ready(result) => {
                *timer = None;
                Poll::Ready(result.map_err(|e| {
                    classify(
                        transport_error(e, "read"),
                        t,
                        phase,
                        t.limit(per_call).ok().flatten(),
                    )
                }))
            }
            Poll::Pending => {
                RunningTimeout::poll_expiry(timer, &mut self.timer, cx, t, per_call, phase)
            }
        }
    }

    /// Reads some bytes without blocking a thread (see [`poll_read_timed`](Self::poll_read_timed)).
    pub async fn read_async(
        &mut self,
        buf: &mut [u8],
        t: &Timeouts,
        per_call: Option<Duration>,
        phase: Phase,
    ) -> Result<usize> {
        let mut timer = None;
        poll_fn(|cx| self.poll_read_timed(cx, buf, t, per_call, phase, &mut timer)).await
    }

    /// Writes all of `buf` and flushes, without blocking a thread; each
    /// wait bounded by the write timeout and the deadline.
    pub async fn write_all_async(&mut self, buf: &[u8], t: &Timeouts) -> Result<()> {
        let mut written = 0;
        let mut timer: Option<RunningTimeout> = None;
        poll_fn(|cx| loop {
            if timer.is_none() {
                if let Err(e) = t.limit(t.write) {
                    return Poll::Ready(Err(e));
                }
            }
            let poll = if written < buf.len() {
                self.poll_write_io(cx, &buf[written..])
            } else {
                self.poll_flush_io(cx).map_ok(|()| 0)
            };
            match poll {
                Poll::Ready(Ok(0)) if written < buf.len() => {
                    return Poll::Ready(Err(Error::Transport(transport::Error::Socket(
                        sockets::Error::new(sockets::SocketError::ConnectionAborted, "write")
                            .with_detail("the connection accepted no more bytes"),
                    ))))
                }
                Poll::Ready(Ok(n)) => {
                    timer = None;
                    if written == buf.len() {
                        return Poll::Ready(Ok(()));
                    }
                    written += n;
                }
                Poll::Ready(Err(e)) => {
                    let limit = t.limit(t.write).ok().flatten();
                    return Poll::Ready(Err(classify(
                        transport_error(e, "write"),
                        t,
                        Phase::Write,
                        limit,
                    )));
                }
                Poll::Pending => {
                    return RunningTimeout::poll_expiry(
                        &mut timer,
                        &mut self.timer,
                        cx,
                        t,
                        t.write,
                        Phase::Write,
                    )
                    .map(|r: Result<()>| r)
                }
            }
        })
        .await
    }
}

/// The timeout of one async wait: its limit and when it ends. The
/// connection's [`ArmedTimer`] wakes the wait by then.
#[derive(Debug)]
pub(crate) struct RunningTimeout {
    deadline: Instant,
    limit: Limit,
}

impl RunningTimeout {
    /// Starts the timeout on the first `Pending`, and turns its expiry into
    /// the timeout error; `armed` is the connection's timer.
    fn poll_expiry<T>(
        running: &mut Option<RunningTimeout>,
        armed: &mut Option<ArmedTimer>,
        cx: &mut Context<'_>,
        t: &Timeouts,
        per_call: Option<Duration>,
        phase: Phase,
    ) -> Poll<Result<T>> {
        let deadline = match running {
            Some(running) => running.deadline,
            None => match t.limit(per_call) {
                Err(e) => return Poll::Ready(Err(e)),
                Ok(None) => return Poll::Pending,
                Ok(Some(limit)) => {
                    let deadline = Instant::now() + limit.wait;
                    *running = Some(RunningTimeout { deadline, limit });
                    deadline
                }
            },
        };
        match poll_deadline(armed, deadline, cx) {
            Poll::Ready(()) => {
                let limit = running.take().map(|r| r.limit);
                Poll::Ready(Err(t.expired(phase, limit)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Runs `future` for at most `limit` (`None`: without limit); `None` when it expired.
pub(crate) async fn timed<F: Future>(limit: Option<Duration>, future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let Some(limit) = limit else {
        return Some(future.await);
    };
    let mut sleep = std::pin::pin!(sockets::sleep(limit));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
