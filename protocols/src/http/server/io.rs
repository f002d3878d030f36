//! The I/O both drivers do around the shared [`Conn`](super::conn::Conn):
//! fill its input before a deadline, write its output, close the
//! connection. One synchronous and one poll-based asynchronous form of each.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use transport::NetworkStream;

use super::conn::Wait;
use super::stream::{is_timeout, lock, Link, Shared, Stream};
use crate::http::armed_timer::poll_deadline;
use sockets::{sleep, Sleep};

/// How long a closing connection keeps reading (and discarding) what the
/// client still sends, and how much of it.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 256 * 1024;

/// How a read for more request bytes ended.
#[derive(Debug)]
pub(crate) enum Filled {
    /// Bytes arrived, or the client ended its side ([`Conn`](super::conn::Conn) knows which).
    Progress,
    /// The deadline passed; the core has been told.
    TimedOut,
    /// The connection broke.
    Failed(io::Error),
}

// ----- synchronous -----

/// Writes everything the core has queued (bounded by the socket's write timeout).
pub(crate) fn flush_sync(shared: &mut Shared) -> io::Result<()> {
    let Shared { stream, core, .. } = shared;
    while core.has_output() {
        match stream.write(core.output()) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => core.written(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    stream.flush()
}

/// Writes `data` directly (a large fixed body).
pub(crate) fn write_all_sync(shared: &mut Shared, data: &[u8]) -> io::Result<()> {
    shared.stream.write_all(data)?;
    shared.stream.flush()
}

/// Writes the core's output, then reads more request bytes before the
/// deadline the core sets for what it waits for.
pub(crate) fn fill_sync(shared: &mut Shared) -> Filled {
    if let Err(e) = flush_sync(shared) {
        shared.core.set_eof();
        return Filled::Failed(e);
    }
    let (wait, deadline) = shared.core.read_wait(Instant::now());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            shared.core.timed_out(wait);
            return Filled::TimedOut;
        }
        let left = left.max(Duration::from_millis(1));
        if let Err(e) = shared.net.set_read_timeout(Some(left)) {
            shared.core.set_eof();
            return Filled::Failed(e.into());
        }
        let Shared { stream, core, .. } = shared;
        match stream.read(core.spare()) {
            Ok(n) => {
                core.filled(n);
                return Filled::Progress;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) => {
                core.set_eof();
                return Filled::Failed(e);
            }
        }
    }
}

/// Flushes, ends TLS with `close_notify`, shuts the write side, lingers
/// if the client may still be sending, and closes.
pub(crate) fn close_sync(link: &Link) {
    let mut guard = lock(link);
    let shared = &mut *guard;
    let _ = flush_sync(shared);
    let linger = shared.core.wants_linger();
    end_sending_sync(Some(&mut shared.stream), &shared.net, None);
    let net = shared.net.clone();
    drop(guard);
    if linger {
        linger_sync(&net);
    }
    net.close();
}

/// Ends the sending side: a TLS `stream` with `close_notify` first, its
/// write bounded by `limit` (at most 2 s) when one is given (otherwise by
/// the socket's write timeout).
pub(crate) fn end_sending_sync(
    stream: Option<&mut Stream>,
    net: &NetworkStream,
    limit: Option<Duration>,
) {
    if let Some(Stream::Tls(tls)) = stream {
        if let Some(limit) = limit {
            let _ = net.set_write_timeout(Some(limit.min(LINGER_TIME)));
        }
        if tls.shutdown().is_ok() {
            return;
        }
    }
    let _ = net.shutdown(sockets::Shutdown::Send);
}

/// Reads and discards what the client still sends, until it ends its side,
/// for at most `LINGER_TIME` and `LINGER_BYTES`, so that closing does not
/// reset the connection under what was sent last. The write side is shut
/// already.
pub(crate) fn linger_sync(net: &NetworkStream) {
    let deadline = Instant::now() + LINGER_TIME;
    let mut buf = [0u8; 8192];
    let mut total = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || total > LINGER_BYTES {
            break;
        }
        if net.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match net.read_sync(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

// ----- asynchronous -----

/// Polls the core's output onto the stream (and flushes it).
fn poll_output(shared: &mut Shared, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    let Shared { stream, core, .. } = shared;
    while core.has_output() {
        match Pin::new(&mut *stream).poll_write(cx, core.output()) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => core.written(n),
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    Pin::new(&mut *stream).poll_flush(cx)
}

fn write_timed_out(after: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("http server: writing the response timed out after {after:?}"),
    )
}

/// A write's deadline: `timeout` from the start of the write, armed in the
/// reactor only once the write has to wait (most writes never do).
struct WriteDeadline {
    started: Instant,
    timeout: Duration,
    timer: Option<Sleep>,
}

impl WriteDeadline {
    fn new(timeout: Duration) -> WriteDeadline {
        WriteDeadline {
            started: Instant::now(),
            timeout,
            timer: None,
        }
    }

    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let (started, timeout) = (self.started, self.timeout);
        let timer = self
            .timer
            .get_or_insert_with(|| sleep(timeout.saturating_sub(started.elapsed())));
        Pin::new(&mut *timer)
            .poll(cx)
            .map(|()| write_timed_out(timeout))
    }
}

/// Writes everything the core has queued, within `timeout`.
pub(crate) async fn flush_async(link: &Link, timeout: Duration) -> io::Result<()> {
    let mut deadline = WriteDeadline::new(timeout);
    poll_fn(|cx| {
        if let Poll::Ready(result) = poll_output(&mut lock(link), cx) {
            return Poll::Ready(result);
        }
        deadline.poll_expired(cx).map(Err)
    })
    .await
}

/// Writes `data` directly (a large fixed body), within `timeout`.
pub(crate) async fn write_all_async(link: &Link, data: &[u8], timeout: Duration) -> io::Result<()> {
    let mut deadline = WriteDeadline::new(timeout);
    let mut at = 0;
    poll_fn(|cx| {
        {
            let mut shared = lock(link);
            loop {
                if at == data.len() {
                    match Pin::new(&mut shared.stream).poll_flush(cx) {
                        Poll::Ready(result) => return Poll::Ready(result),
                        Poll::Pending => break,
                    }
                }
                match Pin::new(&mut shared.stream).poll_write(cx, &data[at..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => at += n,
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => break,
                }
            }
        }
        deadline.poll_expired(cx).map(Err)
    })
    .await
}

/// The poll form of [`fill_sync`]: writes the core's output, then reads
/// more request bytes before the core's deadline. `slot` holds what the
/// read waits for and its deadline between polls; it is cleared when the
/// fill completes.
pub(crate) fn poll_fill(
    link: &Link,
    cx: &mut Context<'_>,
    slot: &mut Option<(Wait, Instant)>,
) -> Poll<Filled> {
    let mut guard = lock(link);
    let shared = &mut *guard;
    let (wait, deadline) = *slot.get_or_insert_with(|| shared.core.read_wait(Instant::now()));
    let ready = match poll_output(shared, cx) {
        Poll::Ready(Err(e)) => {
            shared.core.set_eof();
            Some(Filled::Failed(e))
        }
        Poll::Pending => None,
        Poll::Ready(Ok(())) => loop {
            let Shared { stream, core, .. } = &mut *shared;
            match Pin::new(stream).poll_read(cx, core.spare()) {
                Poll::Ready(Ok(n)) => {
                    core.filled(n);
                    break Some(Filled::Progress);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => {
                    core.set_eof();
                    break Some(Filled::Failed(e));
                }
                Poll::Pending => break None,
            }
        },
    };
    if let Some(filled) = ready {
        *slot = None;
        return Poll::Ready(filled);
    }
    match poll_deadline(&mut shared.read_timer, deadline, cx) {
        Poll::Ready(()) => {
            shared.core.timed_out(wait);
            *slot = None;
            Poll::Ready(Filled::TimedOut)
        }
        Poll::Pending => Poll::Pending,
    }
}

/// [`poll_fill`] as a future.
pub(crate) async fn fill_async(link: &Link) -> Filled {
    let mut slot = None;
    poll_fn(|cx| poll_fill(link, cx, &mut slot)).await
}

/// The asynchronous [`close_sync`].
pub(crate) async fn close_async(link: &Link, write_timeout: Duration) {
    let _ = flush_async(link, write_timeout).await;
    let (linger, net) = {
        let shared = lock(link);
        (shared.core.wants_linger(), shared.net.clone())
    };
    let mut deadline = sleep(write_timeout.min(LINGER_TIME));
    poll_fn(|cx| poll_end_sending(&mut lock(link).stream, &mut deadline, cx)).await;
    let _ = net.shutdown(sockets::Shutdown::Send);
    if linger {
        // Boxed: this future is part of every connection's.
        Box::pin(linger_async(&net)).await;
    }
    net.close();
}

/// Sends a TLS `stream`'s `close_notify` (ready at once for a plain one),
/// or gives up when `deadline` fires; the caller shuts the sending side
/// after.
pub(crate) fn poll_end_sending(
    stream: &mut Stream,
    deadline: &mut Sleep,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let closed = match stream {
        Stream::Tls(tls) => Pin::new(&mut **tls).poll_close(cx),
        Stream::Plain(_) => return Poll::Ready(()),
    };
    if closed.is_ready() {
        return Poll::Ready(());
    }
    Pin::new(deadline).poll(cx)
}

/// The asynchronous [`end_sending_sync`]: at most `limit` (and 2 s) for
/// the `close_notify`.
pub(crate) async fn end_sending_async(
    stream: Option<Stream>,
    net: &NetworkStream,
    limit: Duration,
) {
    if let Some(mut stream) = stream {
        let mut deadline = sleep(limit.min(LINGER_TIME));
        poll_fn(|cx| poll_end_sending(&mut stream, &mut deadline, cx)).await;
    }
    let _ = net.shutdown(sockets::Shutdown::Send);
}

/// The asynchronous [`linger_sync`].
pub(crate) async fn linger_async(net: &NetworkStream) {
    let mut deadline = sleep(LINGER_TIME);
    let mut buf = vec![0u8; 8192];
    let mut total = 0;
    poll_fn(|cx| loop {
        if total > LINGER_BYTES {
            return Poll::Ready(());
        }
        match Pin::new(&mut &*net).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Ready(Ok(n)) => total += n,
            Poll::Pending => return Pin::new(&mut deadline).poll(cx),
        }
    })
    .await;
}
