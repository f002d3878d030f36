//! `Framed`: a codec driven over a stream, in both modes.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use futures_io::{AsyncRead, AsyncWrite};

use super::codec::{Decoder, Encoder};
use super::error::{Error, Result};

/// The initial capacity of each buffer.
const INITIAL_CAPACITY: usize = 8 * 1024;
/// The smallest and largest single read.
const MIN_READ: usize = 8 * 1024;
const MAX_READ: usize = 64 * 1024;
/// The Sink flushes before accepting more once this much is buffered.
const BACKPRESSURE_BOUNDARY: usize = 64 * 1024;

/// A stream and a codec: read and write whole frames, synchronously or
/// asynchronously.
///
/// - **Sync** (`S: Read + Write`, e.g. a [`transport::NetworkStream`] or a
///   [`transport::tls::TlsStream`]): [`read_frame`](Framed::read_frame)
///   (`Ok(None)` at a clean end of stream), [`write_frame`](Framed::write_frame),
///   [`feed_frame`](Framed::feed_frame) + [`flush`](Framed::flush) to batch,
///   and [`frames`](Framed::frames), an iterator.
/// - **Async** (`S: futures_io::AsyncRead + AsyncWrite + Unpin`):
///   [`read_frame_async`](Framed::read_frame_async),
///   [`write_frame_async`](Framed::write_frame_async),
///   [`flush_async`](Framed::flush_async), and the `futures` `Stream`
///   (items `Result<Frame>`) and `Sink` traits. The futures are
///   cancel-safe: dropping one loses no bytes (they stay in the buffers).
///
/// Buffering: one read buffer and one write buffer, reused for the life of
/// the connection; a decoded frame is the only allocation per frame (and
/// with [`Bytes`](bytes::Bytes) frames, not even a copy). The read buffer
/// holds at most the codec's largest frame plus one read (≤ 64 KiB),
/// because the codecs reject over-long frames as soon as they are seen.
/// Reads start at 8 KiB and double, up to 64 KiB, while the stream fills
/// them (a busy stream costs fewer system calls), halving again when it
/// does not.
///
/// Errors from the stream's timeouts leave everything usable: read again to
/// go on where it stopped.
///
/// ```
/// use netstack::protocols::framing::{Framed, LinesCodec};
/// use netstack::transport::{TcpClient, TcpListener};
///
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
/// listener.start(8).unwrap();
/// let endpoint = listener.local_endpoint().unwrap();
/// let server = std::thread::spawn(move || {
///     let mut conn = Framed::new(listener.accept().unwrap(), LinesCodec::new());
///     while let Some(line) = conn.read_frame().unwrap() {
///         conn.write_frame(line.to_uppercase()).unwrap();
///     }
/// });
///
/// let mut client = Framed::new(TcpClient::connect_endpoint(endpoint).unwrap().into_stream(), LinesCodec::new());
/// client.write_frame("hello").unwrap();
/// assert_eq!(client.read_frame().unwrap().as_deref(), Some("HELLO"));
/// client.get_ref().shutdown(netstack::sockets::Shutdown::Send).unwrap();
/// assert_eq!(client.read_frame().unwrap(), None);
/// server.join().unwrap();
/// ```
///
/// The same, asynchronously, under any executor:
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use netstack::protocols::framing::{Framed, LinesCodec};
/// use netstack::transport::{TcpClient, TcpListener};
///
/// netstack::sockets::block_on(async {
///     let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
///     listener.start(8).unwrap();
///     let connect = TcpClient::connect_endpoint_async(listener.local_endpoint().unwrap());
///     let (client, server) = futures::join!(connect, listener.accept_async());
///     let mut client = Framed::new(client.unwrap().into_stream(), LinesCodec::new());
///     let mut server = Framed::new(server.unwrap(), LinesCodec::new());
///
///     client.write_frame_async("one").await.unwrap();
///     client.send("two").await.unwrap(); // the Sink
///     assert_eq!(server.read_frame_async().await.unwrap().as_deref(), Some("one"));
///     assert_eq!(server.next().await.unwrap().unwrap(), "two"); // the Stream
/// });
/// ```
#[derive(Debug)]
pub struct Framed<S, C> {
    io: S,
    codec: C,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// The stream has reported its end.
    eof: bool,
    /// The end was handed to the caller (`None` or an error); reads return `None`.
    finished: bool,
    /// The size of the next read (MIN_READ..=MAX_READ): doubled after a
    /// read that filled it, halved after one that used less than half.
    read_size: usize,
}

impl<S, C> Framed<S, C> {
    /// Frames `io` with `codec`.
    pub fn new(io: S, codec: C) -> Framed<S, C> {
        Framed::from_parts(io, codec, BytesMut::with_capacity(INITIAL_CAPACITY))
    }

    /// Frames `io` with `codec`, starting with bytes already read from it
    /// (for example the rest of a buffer after a handshake, or the read
    /// buffer of another `Framed` from [`into_parts`](Framed::into_parts)).
    pub fn from_parts(io: S, codec: C, read_buf: BytesMut) -> Framed<S, C> {
        Framed {
            io,
            codec,
            read_buf,
            write_buf: BytesMut::with_capacity(INITIAL_CAPACITY),
            eof: false,
            finished: false,
            read_size: MIN_READ,
        }
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The stream, mutably (reading or writing through it directly bypasses
    /// the buffers).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The codec.
    pub fn codec(&self) -> &C {
        &self.codec
    }

    /// The codec, mutably (to change its settings between frames).
    pub fn codec_mut(&mut self) -> &mut C {
        &mut self.codec
    }

    /// Bytes read but not yet decoded (after [`Error::StreamEndedInFrame`],
    /// the partial frame).
    pub fn read_buffer(&self) -> &BytesMut {
        &self.read_buf
    }

    /// Bytes encoded but not yet written (see [`flush`](Framed::flush)).
    pub fn write_buffer(&self) -> &BytesMut {
        &self.write_buf
    }

    /// Swaps the codec, keeping the stream and both buffers (a protocol that
    /// changes framing mid-stream, as after an HTTP upgrade).
    pub fn map_codec<D>(self, f: impl FnOnce(C) -> D) -> Framed<S, D> {
        Framed {
            io: self.io,
            codec: f(self.codec),
            read_buf: self.read_buf,
            write_buf: self.write_buf,
            eof: self.eof,
            finished: self.finished,
            read_size: self.read_size,
        }
    }

    /// Gives back the stream, the codec and the unread bytes. Unflushed
    /// frames in the write buffer are dropped: flush first.
    pub fn into_parts(self) -> (S, C, BytesMut) {
        (self.io, self.codec, self.read_buf)
    }

    /// Gives back the stream (unread and unflushed bytes are dropped).
    pub fn into_inner(self) -> S {
        self.io
    }

    /// Empties the write buffer once all of it is written, and moves its
    /// start back to the start of its allocation (`try_reclaim` never
    /// allocates; here it copies nothing, the buffer being empty). Without
    /// that, the next batch would be encoded after the bytes just written,
    /// and the `reserve` that finds the end of the allocation would copy
    /// the whole batch (up to 64 KiB) back to the front.
    fn write_buffer_written(&mut self) {
        self.write_buf.clear();
        let _ = self.write_buf.try_reclaim(self.write_buf.capacity() + 1);
    }

    fn encode_into_buffer<I>(&mut self, item: I) -> Result<()>
    where
        C: Encoder<I>,
    {
        let before = self.write_buf.len();
        let result = self.codec.encode(item, &mut self.write_buf);
        if result.is_err() {
            self.write_buf.truncate(before);
        }
        result
    }
}

impl<S, C: Decoder> Framed<S, C> {
    /// Decodes after the stream has ended: the last frames, then `None`
    /// (or the error for bytes left inside a frame), then `None` for good.
    /// Before the end, both modes call the codec's `decode` directly: that
    /// is the path of almost every frame, kept free of extra wrapping.
    fn decode_at_eof(&mut self) -> Result<Option<C::Item>> {
        if self.finished {
            return Ok(None);
        }
        let decoded = self.codec.decode_eof(&mut self.read_buf);
        if !matches!(decoded, Ok(Some(_))) {
            self.finished = true;
        }
        decoded
    }

    /// Makes room for one read at the end of the read buffer; returns where it starts.
    fn prepare_read(&mut self) -> usize {
        let start = self.read_buf.len();
        if self.read_buf.capacity() - start < self.read_size
            && !self.read_buf.try_reclaim(self.read_size)
            && start < MIN_READ
        {
            // Too small even with the decoded front reclaimed: grow to one
            // read past the few unread bytes, compactly (`reserve` would
            // keep the decoded front inside the new allocation and round
            // it up to double). A large partial frame takes the `resize`
            // below instead, whose growth is amortised.
            let mut grown = BytesMut::with_capacity(start + self.read_size);
            grown.extend_from_slice(&self.read_buf);
            self.read_buf = grown;
        }
        let spare = self.read_buf.capacity() - start;
        self.read_buf
            .resize(start + spare.clamp(MIN_READ, self.read_size), 0);
        start
    }

    /// Keeps what a read returned (or nothing, on error), and sizes the
    /// next read: a busy stream is read in fewer, larger reads (fewer
    /// system calls), a quiet one in small ones (less to zero-fill).
    fn finish_read(&mut self, start: usize, read: io::Result<usize>) -> io::Result<()> {
        let n = *read.as_ref().unwrap_or(&0);
        let asked = self.read_buf.len() - start;
        self.read_buf.truncate(start + n);
        if n == asked && n >= self.read_size {
            self.read_size = (self.read_size * 2).min(MAX_READ);
        } else if n > 0 && n < self.read_size / 2 {
            self.read_size = (self.read_size / 2).max(MIN_READ);
        }
        match read {
            Ok(0) => {
                self.eof = true;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl<S: Read, C: Decoder> Framed<S, C> {
    /// Reads the next frame, blocking (bounded by the stream's read timeout).
    /// `Ok(None)`: the stream ended cleanly between frames.
    pub fn read_frame(&mut self) -> Result<Option<C::Item>> {
        loop {
            if self.eof {
                return self.decode_at_eof();
            }
            // Returned as the codec made it, not unpacked with `?` and
            // packed again (a copy of the result per frame).
            let decoded = self.codec.decode(&mut self.read_buf);
            if !matches!(decoded, Ok(None)) {
                return decoded;
            }
            let start = self.prepare_read();
            let read = self.io.read(&mut self.read_buf[start..]);
            match self.finish_read(start, read) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => other?,
            }
        }
    }

    /// An iterator over the frames, ending at the end of the stream (or
    /// after an error at the end of the stream).
    pub fn frames(&mut self) -> Frames<'_, S, C> {
        Frames { framed: self }
    }
}

impl<S: Write, C> Framed<S, C> {
    /// Encodes `item` and writes it (and anything fed before) to the stream.
    pub fn write_frame<I>(&mut self, item: I) -> Result<()>
    where
        C: Encoder<I>,
    {
        self.encode_into_buffer(item)?;
        self.flush()
    }

    /// Encodes `item` into the write buffer without writing it; many frames
    /// then go out in one write with [`flush`](Framed::flush).
    pub fn feed_frame<I>(&mut self, item: I) -> Result<()>
    where
        C: Encoder<I>,
    {
        self.encode_into_buffer(item)
    }

    /// Writes the write buffer out and flushes the stream. After a timeout,
    /// the unwritten rest stays buffered: flush again to go on.
    pub fn flush(&mut self) -> Result<()> {
        while !self.write_buf.is_empty() {
            match self.io.write(&self.write_buf) {
                Ok(0) => {
                    return Err(Error::from_io(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no bytes",
                    )))
                }
                Ok(n) => self.write_buf.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::from_io(e)),
            }
        }
        self.write_buffer_written();
        self.io.flush().map_err(Error::from_io)
    }
}

/// The frames of a [`Framed`] as an iterator (from [`Framed::frames`]):
/// each item is `Result<Frame>`; the iterator ends at the end of the stream.
#[derive(Debug)]
pub struct Frames<'a, S, C> {
    framed: &'a mut Framed<S, C>,
}

impl<S: Read, C: Decoder> Iterator for Frames<'_, S, C> {
    type Item = Result<C::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.framed.read_frame().transpose()
    }
}

impl<S: AsyncRead + Unpin, C: Decoder> Framed<S, C> {
    /// Polls for the next frame (the core of
    /// [`read_frame_async`](Framed::read_frame_async) and the `Stream`).
    pub fn poll_read_frame(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<C::Item>>> {
        loop {
            if self.eof {
                return Poll::Ready(self.decode_at_eof());
            }
            let decoded = self.codec.decode(&mut self.read_buf);
            if !matches!(decoded, Ok(None)) {
                return Poll::Ready(decoded);
            }
            let start = self.prepare_read();
            let read = match Pin::new(&mut self.io).poll_read(cx, &mut self.read_buf[start..]) {
                Poll::Ready(read) => read,
                Poll::Pending => {
                    self.read_buf.truncate(start);
                    return Poll::Pending;
                }
            };
            match self.finish_read(start, read) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => other?,
            }
        }
    }

    /// Reads the next frame without blocking a thread. `Ok(None)`: the
    /// stream ended cleanly between frames. Cancel-safe.
    pub async fn read_frame_async(&mut self) -> Result<Option<C::Item>> {
        poll_fn(|cx| self.poll_read_frame(cx)).await
    }
}

impl<S: AsyncWrite + Unpin, C> Framed<S, C> {
    /// Polls until the write buffer is written out (not flushing the stream).
    fn poll_write_buffer(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        while !self.write_buf.is_empty() {
            match ready!(Pin::new(&mut self.io).poll_write(cx, &self.write_buf)) {
                Ok(0) => {
                    return Poll::Ready(Err(Error::from_io(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no bytes",
                    ))))
                }
                Ok(n) => self.write_buf.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(Error::from_io(e))),
            }
        }
        self.write_buffer_written();
        Poll::Ready(Ok(()))
    }

    /// Polls until the write buffer is written out and the stream flushed.
    pub fn poll_flush_frames(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        ready!(self.poll_write_buffer(cx))?;
        Pin::new(&mut self.io)
            .poll_flush(cx)
            .map_err(Error::from_io)
    }

    /// Encodes `item` and writes it (and anything fed before) without
    /// blocking a thread. If the future is dropped midway, the unwritten
    /// bytes stay buffered and go out with the next write or flush.
    pub async fn write_frame_async<I>(&mut self, item: I) -> Result<()>
    where
        C: Encoder<I>,
    {
        self.encode_into_buffer(item)?;
        self.flush_async().await
    }

    /// Writes the write buffer out and flushes the stream, without blocking a thread.
    pub async fn flush_async(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_flush_frames(cx)).await
    }

    /// Flushes, then closes the stream's sending side (the peer sees the end of the stream).
    pub async fn close_async(&mut self) -> Result<()> {
        self.flush_async().await?;
        poll_fn(|cx| Pin::new(&mut self.io).poll_close(cx))
            .await
            .map_err(Error::from_io)
    }
}

impl<S: AsyncRead + Unpin, C: Decoder + Unpin> futures_core::Stream for Framed<S, C> {
    type Item = Result<C::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // A frame already buffered goes straight into the `Stream`'s item
        // (not through `poll_read_frame`'s result and a `transpose`).
        if !this.eof {
            match this.codec.decode(&mut this.read_buf) {
                Ok(Some(frame)) => return Poll::Ready(Some(Ok(frame))),
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(None) => {}
            }
        }
        this.poll_read_frame(cx).map(Result::transpose)
    }
}

impl<S: AsyncWrite + Unpin, C: Unpin + Encoder<I>, I> futures_sink::Sink<I> for Framed<S, C> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.write_buf.len() >= BACKPRESSURE_BOUNDARY {
            ready!(this.poll_write_buffer(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: I) -> Result<()> {
        self.get_mut().encode_into_buffer(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_frames(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_frames(cx))?;
        Pin::new(&mut this.io)
            .poll_close(cx)
            .map_err(Error::from_io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::LinesCodec;

    /// A reader that returns at most `chunk` bytes per read.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        chunk: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.chunk).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn reads_grow_on_a_busy_stream_and_shrink_on_a_quiet_one() {
        let data: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("{i:010} the quick brown fox\n").into_bytes())
            .collect();
        let total = data.len();
        let busy = Trickle {
            data,
            at: 0,
            chunk: usize::MAX,
        };
        let mut framed = Framed::new(busy, LinesCodec::new());
        assert_eq!(framed.read_size, MIN_READ);
        let mut count = 0;
        while framed.get_ref().at < total / 2 {
            framed.read_frame().unwrap().unwrap();
            count += 1;
        }
        assert_eq!(framed.read_size, MAX_READ, "after {count} lines");
        // One read past a partial line, not a doubled allocation.
        assert!(framed.read_buffer().capacity() <= MAX_READ + 64);

        // The same stream, now 100 bytes at a time: back to small reads.
        framed.get_mut().chunk = 100;
        while framed.read_frame().unwrap().is_some() {
            count += 1;
        }
        assert_eq!(count, 20_000);
        assert_eq!(framed.read_size, MIN_READ);
    }
}
