//! Responses: [`Response`] (blocking) and [`AsyncResponse`], over one
//! shared body state that returns the connection to the pool once the body
//! has been read to its end.

use std::future::poll_fn;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderMap, CONTENT_LENGTH};
use http::{StatusCode, Version};
use url::Url;

use crate::http::client::conn::{version_name, BodyPipeline, BodyStep, Timeouts};
use crate::http::client::decoding::decode_text;
use crate::http::client::pool::{Pool, PoolKey};
use crate::http::client::stream::{RunningTimeout, Stream};
use crate::http::client::Timings;
use crate::http::{Error, Phase, Result};

/// How much of an unread body is read (and thrown away) to keep the
/// connection, when a response is discarded (a redirect).
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The response body's state: the connection, the decoding pipeline, and
/// whether the connection may go back to the pool at the end.
pub(crate) struct BodyState {
    stream: Option<Stream>,
    pipeline: BodyPipeline,
    reusable: bool,
    pool: Pool,
    key: PoolKey,
    timeouts: Timeouts,
    started: Instant,
    finished: Option<Instant>,
    timer: Option<RunningTimeout>,
    failed: bool,
}

impl std::fmt::Debug for BodyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyState")
            .field("received", &self.pipeline.received())
            .field("done", &self.finished.is_some())
            .field("reusable", &self.reusable)
            .finish_non_exhaustive()
    }
}

/// The parts of a response every driver builds the same way.
pub(crate) struct Parts {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub raw_head: Bytes,
    pub url: Url,
    pub timings: Timings,
    pub max_body_size: u64,
    pub tls: Option<std::sync::Arc<crate::http::client::TlsInfo>>,
}

impl BodyState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        stream: Stream,
        pipeline: BodyPipeline,
        reusable: bool,
        upgraded: bool,
        pool: Pool,
        key: PoolKey,
        timeouts: Timeouts,
        started: Instant,
    ) -> BodyState {
        let mut state = BodyState {
            stream: Some(stream),
            pipeline,
            reusable,
            pool,
            key,
            timeouts,
            started,
            finished: None,
            timer: None,
            failed: false,
        };
        // A bodiless response (HEAD, 204, 304, Content-Length: 0) frees the
        // connection at once; after a 101 it carries the new protocol.
        if state.pipeline.transfer_done() && !upgraded {
            let _ = state.step(&mut [0u8; 1]);
        }
        state
    }

    /// The connection, and the bytes that followed the head, after a `101
    /// Switching Protocols`; `None` for any other response.
    pub(crate) fn upgrade(&mut self, status: StatusCode) -> Option<(Stream, Vec<u8>)> {
        if status != StatusCode::SWITCHING_PROTOCOLS {
            return None;
        }
        let stream = self.stream.take()?;
        self.finished.get_or_insert_with(Instant::now);
        Some((stream, self.pipeline.reader.take_buffered()))
    }

    fn complete(&mut self) {
        self.finished.get_or_insert_with(Instant::now);
        if let Some(mut stream) = self.stream.take() {
            if self.reusable && self.pipeline.clean_end() {
                stream.read_buffers = self.pipeline.reader.take_buffers();
                self.pool.put(std::mem::take(&mut self.key), stream);
            }
        }
    }

    fn fail(&mut self, err: Error) -> Error {
        self.stream = None;
        self.failed = true;
        err
    }

    /// One step of the pipeline, with the bookkeeping for its end and its errors.
    fn step(&mut self, out: &mut [u8]) -> Result<BodyStep> {
        if self.finished.is_some() {
            return Ok(BodyStep::Done);
        }
        if self.failed {
            return Err(closed_error());
        }
        match self.pipeline.poll_read(out) {
            Ok(BodyStep::Done) => {
                self.complete();
                Ok(BodyStep::Done)
            }
            Ok(step) => Ok(step),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Finishes the body from buffered bytes alone, when they hold the rest of it.
    fn settle_without_io(&mut self) {
        let mut scratch = [0u8; 1024];
        loop {
            match self.step(&mut scratch) {
                Ok(BodyStep::Data(_)) => continue,
                Ok(BodyStep::Done) | Err(_) => return,
                Ok(BodyStep::NeedRead) => return,
            }
        }
    }

    pub fn read_sync(&mut self, out: &mut [u8]) -> Result<usize> {
        loop {
            match self.step(out)? {
                BodyStep::Data(n) => return Ok(n),
                BodyStep::Done => return Ok(0),
                BodyStep::NeedRead => {
                    let Some(stream) = self.stream.as_mut() else {
                        return Err(self.fail(closed_error()));
                    };
                    if self.pipeline.can_read_direct(out.len()) {
                        match stream.read_timed(out, &self.timeouts) {
                            Ok(0) => self.pipeline.reader.filled(0),
                            Ok(n) => match self.direct(out, n) {
                                Ok(0) => {}
                                other => return other,
                            },
                            Err(e) => return Err(self.fail(e)),
                        }
                        continue;
                    }
                    match stream.read_timed(self.pipeline.reader.body_read_space(), &self.timeouts)
                    {
                        Ok(n) => self.pipeline.reader.filled(n),
                        Err(e) => return Err(self.fail(e)),
                    }
                }
            }
        }
    }

    pub fn poll_read_async(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<Result<usize>> {
        loop {
            match self.step(out) {
                Err(e) => return Poll::Ready(Err(e)),
                Ok(BodyStep::Data(n)) => return Poll::Ready(Ok(n)),
                Ok(BodyStep::Done) => return Poll::Ready(Ok(0)),
                Ok(BodyStep::NeedRead) => {
                    let Some(stream) = self.stream.as_mut() else {
                        return Poll::Ready(Err(self.fail(closed_error())));
                    };
                    let t = self.timeouts;
                    if self.pipeline.can_read_direct(out.len()) {
                        match stream.poll_read_timed(
                            cx,
                            out,
                            &t,
                            t.read,
                            Phase::Read,
                            &mut self.timer,
                        ) {
                            Poll::Ready(Ok(0)) => self.pipeline.reader.filled(0),
                            Poll::Ready(Ok(n)) => match self.direct(out, n) {
                                Ok(0) => {}
                                other => return Poll::Ready(other),
                            },
                            Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                            Poll::Pending => return Poll::Pending,
                        }
                        continue;
                    }
                    match stream.poll_read_timed(
                        cx,
                        self.pipeline.reader.body_read_space(),
                        &t,
                        t.read,
                        Phase::Read,
                        &mut self.timer,
                    ) {
                        Poll::Ready(Ok(n)) => self.pipeline.reader.filled(n),
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                        Poll::Pending => return Poll::Pending,
                    }
                }
            }
        }
    }

    /// Decodes bytes read straight into `out`; frees the connection when the body ended.
    fn direct(&mut self, out: &mut [u8], n: usize) -> Result<usize> {
        match self.pipeline.decode_in_place(out, n) {
            Ok(len) => {
                if self.pipeline.transfer_done() {
                    self.complete();
                }
                Ok(len)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn timings(&self, mut timings: Timings) -> Timings {
        timings.total = self.finished.map(|f| f.duration_since(self.started));
        timings
    }

    /// True when the rest of the body is small enough to read for the connection's sake.
    fn worth_draining(&self, headers: &HeaderMap) -> bool {
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        self.reusable && length.is_none_or(|l| l <= DRAIN_LIMIT)
    }
}

impl Drop for BodyState {
    fn drop(&mut self) {
        if self.stream.is_some() && !self.failed {
            self.settle_without_io();
        }
    }
}

fn closed_error() -> Error {
    Error::Transport(transport::Error::Socket(
        sockets::Error::new(sockets::SocketError::NotConnected, "read response body")
            .with_detail("the connection was dropped after an earlier error"),
    ))
}

/// The http error inside an `io::Error`, with a fitting kind (the
/// original stays reachable through `get_ref`/`into_inner` and downcasting).
fn into_io(err: Error) -> io::Error {
    let kind = match &err {
        Error::Timeout { .. } => io::ErrorKind::TimedOut,
        Error::Transport(t) if t.is_timeout() => io::ErrorKind::TimedOut,
        Error::Transport(_) => io::ErrorKind::ConnectionAborted,
        Error::Parse(crate::http::ParseError::IncompleteBody { .. }) => {
            io::ErrorKind::UnexpectedEof
        }
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, err)
}

macro_rules! accessors {
    () => {
        /// The connection and the bytes that followed the head, after a
        /// `101 Switching Protocols` (a WebSocket's opening handshake).
        #[allow(dead_code)]
        pub(crate) fn into_upgraded(mut self) -> Option<(Stream, Vec<u8>)> {
            self.body.upgrade(self.parts.status)
        }

        /// The status code.
        pub fn status(&self) -> StatusCode {
            self.parts.status
        }

        /// The HTTP version of the response (1.0 or 1.1).
        pub fn version(&self) -> Version {
            self.parts.version
        }

        /// The header fields (without `Content-Encoding`/`Content-Length` when the client decoded the body).
        pub fn headers(&self) -> &HeaderMap {
            &self.parts.headers
        }

        /// The head exactly as the server sent it: the status line and the
        /// field lines, names in the server's case, CRLFs included, up to
        /// and with the blank line (as `curl -i` prints it).
        pub fn raw_head(&self) -> &[u8] {
            &self.parts.raw_head
        }

        /// The URL that answered, after redirects.
        pub fn url(&self) -> &Url {
            &self.parts.url
        }

        /// The body length the server announced, if it did.
        pub fn content_length(&self) -> Option<u64> {
            self.parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        }

        /// Timings of the request so far (`total` once the body has been read).
        pub fn timings(&self) -> Timings {
            self.body.timings(self.parts.timings.clone())
        }

        /// The TLS session the response came over (`https` only).
        pub fn tls_info(&self) -> Option<&crate::http::client::TlsInfo> {
            self.parts.tls.as_deref()
        }

        /// The trailer fields of a chunked body (empty until it has been read).
        pub fn trailers(&self) -> &HeaderMap {
            self.body.pipeline.trailers()
        }

        /// This response as the `http` crate's: its status, version and
        /// header fields, and itself as the body, which reads as before
        /// (the final URL, timings and the rest stay on it).
        pub fn into_http(self) -> http::Response<Self> {
            let mut head = http::Response::new(());
            *head.status_mut() = self.parts.status;
            *head.version_mut() = self.parts.version;
            *head.headers_mut() = self.parts.headers.clone();
            head.map(|()| self)
        }

        /// Where [`bytes`](Self::bytes) gathers the body, sized by the
        /// announced length; a length over the limit fails at once.
        fn collector(&self) -> Result<Collector> {
            let limit = self.parts.max_body_size;
            match self.content_length() {
                Some(length) if length > limit => Err(Error::BodyTooLarge { limit }),
                announced => Ok(Collector::new(announced, limit)),
            }
        }
    };
}

/// A response of the blocking [`Client`](super::Client): the head at once,
/// the body as a [`Read`] stream or whole ([`bytes`](Response::bytes),
/// [`text`](Response::text)). Reading the body to its end returns the
/// connection to the pool; dropping the response early closes it (unless
/// the rest of the body had already arrived).
///
/// A body read fails, rather than ends early, when the connection closes
/// before the announced length or the last chunk (`IncompleteBody`), when
/// the framing is invalid, or when a timeout expires; through [`Read`] the
/// [`Error`] is inside the `io::Error`.
pub struct Response {
    parts: Parts,
    body: BodyState,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.parts.url.as_str())
            .field("version", &version_name(self.parts.version))
            .field("status", &self.parts.status)
            .field("headers", &self.parts.headers)
            .field("body", &self.body)
            .finish()
    }
}

impl Response {
    pub(crate) fn new(parts: Parts, body: BodyState) -> Response {
        Response { parts, body }
    }

    accessors!();

    /// Reads the whole body, up to [`ClientBuilder::max_body_size`](super::ClientBuilder::max_body_size)
    /// (then `Error::BodyTooLarge`).
    pub fn bytes(mut self) -> Result<Bytes> {
        let mut collector = self.collector()?;
        loop {
            let n = self.body.read_sync(collector.room())?;
            if collector.filled(n)? {
                return Ok(collector.into_bytes());
            }
        }
    }

    /// Reads the whole body as text, decoded by the `Content-Type` charset:
    /// UTF-8 by default, lossily (invalid sequences become U+FFFD, never an
    /// error); ISO-8859-1 byte for byte; other charsets as UTF-8.
    pub fn text(self) -> Result<String> {
        let headers = self.parts.headers.clone();
        let bytes = self.bytes()?;
        Ok(decode_text(&bytes, &headers))
    }

    /// Reads the whole body (as [`bytes`](Response::bytes) does) and
    /// deserialises it from JSON (the `json` feature); a body that is not
    /// the JSON `T` expects is [`Error::Json`].
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        serde_json::from_slice(&self.bytes()?).map_err(Error::Json)
    }

    /// Reads body data into `buf` (0 at the end), as [`Read::read`] does but with this layer's error.
    pub fn read_body(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.body.read_sync(buf)
    }

    /// Throws the response away, reading a small rest of the body first so
    /// the connection can be reused.
    pub(crate) fn discard(mut self) {
        if self.body.finished.is_some() || !self.body.worth_draining(&self.parts.headers) {
            return;
        }
        let mut buf = [0u8; 8 * 1024];
        let mut drained = 0u64;
        while drained <= DRAIN_LIMIT {
            match self.body.read_sync(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => drained += n as u64,
            }
        }
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read_sync(buf).map_err(into_io)
    }
}

/// A response of the [`AsyncClient`](super::AsyncClient): the head at once,
/// the body through [`read_body`](AsyncResponse::read_body) or
/// `futures_io::AsyncRead`, or whole ([`bytes`](AsyncResponse::bytes),
/// [`text`](AsyncResponse::text)). Same rules as [`Response`].
pub struct AsyncResponse {
    parts: Parts,
    body: BodyState,
}

impl std::fmt::Debug for AsyncResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncResponse")
            .field("url", &self.parts.url.as_str())
            .field("version", &version_name(self.parts.version))
            .field("status", &self.parts.status)
            .field("headers", &self.parts.headers)
            .field("body", &self.body)
            .finish()
    }
}

impl AsyncResponse {
    pub(crate) fn new(parts: Parts, body: BodyState) -> AsyncResponse {
        AsyncResponse { parts, body }
    }

    accessors!();

    /// Reads body data into `buf` (0 at the end), as the blocking
    /// [`Response::read_body`] does. (Named so that it does not shadow
    /// `read` of the `AsyncRead` extension traits, which work on it too.)
    pub async fn read_body(&mut self, buf: &mut [u8]) -> Result<usize> {
        poll_fn(|cx| self.body.poll_read_async(cx, buf)).await
    }

    /// Reads the whole body, up to [`ClientBuilder::max_body_size`](super::ClientBuilder::max_body_size).
    pub async fn bytes(mut self) -> Result<Bytes> {
        let mut collector = self.collector()?;
        loop {
            let n = self.read_body(collector.room()).await?;
            if collector.filled(n)? {
                return Ok(collector.into_bytes());
            }
        }
    }

    /// Reads the whole body as text (see [`Response::text`]).
    pub async fn text(self) -> Result<String> {
        let headers = self.parts.headers.clone();
        let bytes = self.bytes().await?;
        Ok(decode_text(&bytes, &headers))
    }

    /// Reads the whole body and deserialises it from JSON (see [`Response::json`]).
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        serde_json::from_slice(&self.bytes().await?).map_err(Error::Json)
    }

    /// The body as a `Stream` of `Bytes` chunks (`futures::StreamExt`
    /// and the like read it); a failure is the item's `io::Error`, with
    /// this layer's [`Error`] inside.
    pub fn bytes_stream(self) -> crate::BodyStream<AsyncResponse> {
        crate::BodyStream::new(self)
    }

    pub(crate) async fn discard(mut self) {
        if self.body.finished.is_some() || !self.body.worth_draining(&self.parts.headers) {
            return;
        }
        let mut buf = [0u8; 8 * 1024];
        let mut drained = 0u64;
        while drained <= DRAIN_LIMIT {
            match self.read_body(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => drained += n as u64,
            }
        }
    }
}

crate::body_traits::ecosystem_body_traits!(AsyncResponse);

impl futures_io::AsyncRead for AsyncResponse {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .body
            .poll_read_async(cx, buf)
            .map_err(into_io)
    }
}

/// A whole body gathered into one buffer, each read going straight into
/// its spare room: no scratch buffer to zero and copy from.
struct Collector {
    body: Vec<u8>,
    limit: u64,
    /// Where the room of the last [`Collector::room`] begins.
    filled_to: usize,
}

/// The most room one read gets.
const ROOM_MAX: usize = 16 * 1024;
/// The room a read gets once the buffer is full.
const ROOM_MIN: usize = 4 * 1024;

impl Collector {
    /// For a body of `announced` bytes (already checked against `limit`),
    /// or of unknown length.
    fn new(announced: Option<u64>, limit: u64) -> Collector {
        // One byte more than announced, so that the read that finds the end
        // has room without growing the buffer.
        let capacity = announced.map_or(0, |length| length.min(1 << 20) as usize + 1);
        Collector {
            body: Vec::with_capacity(capacity),
            limit,
            filled_to: 0,
        }
    }

    /// Room for the next read: the spare capacity (up to 16 KiB), or 4 KiB
    /// more once it is used up.
    fn room(&mut self) -> &mut [u8] {
        let start = self.body.len();
        let spare = self.body.capacity() - start;
        let room = if spare > 0 {
            spare.min(ROOM_MAX)
        } else {
            ROOM_MIN
        };
        self.body.resize(start + room, 0);
        self.filled_to = start;
        &mut self.body[start..]
    }

    /// `n` bytes were read into the room; true at the end of the body.
    fn filled(&mut self, n: usize) -> Result<bool> {
        let len = self.filled_to + n;
        self.body.truncate(len);
        if len as u64 > self.limit {
            return Err(Error::BodyTooLarge { limit: self.limit });
        }
        Ok(n == 0)
    }

    fn into_bytes(self) -> Bytes {
        Bytes::from(self.body)
    }
}
