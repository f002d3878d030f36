//! The per-connection state machine both server drivers share. It is
//! sans-IO: the driver asks for the next step ([`Conn::next_step`]: read,
//! handle a request, close), reads bytes into [`Conn::spare`], lets the
//! handler read body bytes ([`Conn::read_body`]), hands the response over
//! ([`Conn::start_response`], [`Conn::body_data`], [`Conn::finish_response`],
//! in `conn/response.rs`) and writes whatever [`Conn::output`] holds.
//! Keep-alive, pipelining (strictly in order), 100-continue, the bodiless
//! responses, limits and the read deadlines are all decided here.

use std::time::{Duration, Instant};

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use http::{Method, StatusCode, Uri, Version};

use crate::http::head::{could_begin_request, parse_shared_request_head};
use crate::http::head_arena::HeadArena;
use crate::http::{
    keep_alive, request_body_length, BodyDecoder, BodyLength, Limits, ParseError, Phase,
};

use super::events;
use super::rejection::{encode_rejection, RejectReason, Rejection};
use super::ServerConfig;

/// How much room a read gets at least.
const READ_CHUNK: usize = 16 * 1024;
/// The room for the first read of a head when nothing is buffered: a
/// request head fits, and an idle connection keeps no more than this.
const HEAD_READ: usize = 2 * 1024;
/// The output buffer a connection keeps between responses; a larger one
/// (a big body went out) is given back.
const OUT_KEPT: usize = 4 * 1024;
/// How many bytes of an unread request body are read and discarded so the
/// connection can be reused; past that it is closed instead.
const DRAIN_LIMIT: u64 = 256 * 1024;
/// How many empty lines before a request line are skipped (RFC 9112 §2.2).
const MAX_LEADING_EMPTY_LINES: usize = 8;
/// Fixed bodies larger than this are written straight from the handler's
/// buffer instead of being copied behind the head.
pub(crate) const DIRECT_WRITE: usize = 64 * 1024;
/// Reads from a streaming response body use a buffer this large.
pub(crate) const STREAM_CHUNK: usize = 16 * 1024;

/// What [`Conn::poll_head`] found.
#[derive(Debug)]
pub(crate) enum HeadEvent {
    /// A request head: call the handler, then respond.
    Request(http::request::Parts),
    /// Read more bytes (see [`Conn::read_wait`]).
    NeedInput,
    /// The client ended the connection between requests (or mid-head); close it.
    Closed,
    /// The request was refused: write [`Conn::output`] (an error response), then close.
    Rejected(#[cfg_attr(not(test), allow(dead_code))] Rejection),
}

/// What [`Conn::read_body`] found.
#[derive(Debug)]
pub(crate) enum BodyEvent {
    /// This many body bytes were copied out.
    Data(usize),
    /// The body is complete.
    Done,
    /// Write [`Conn::output`] (it may hold `100 Continue`), then read more bytes.
    NeedInput,
    /// The body is invalid, too large, timed out or cut short.
    Failed(Rejection),
}

/// What a read waits for, which decides its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A keep-alive connection between requests.
    Idle,
    /// A request head.
    Head,
    /// Request body bytes.
    Body,
    /// Request body bytes, when the body's minimum rate ends the wait
    /// before the per-read timeout does.
    BodyRate,
}

/// How the handler's response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// Bytes in memory, of this length.
    Full(u64),
    /// A stream of a known length.
    Sized(u64),
    /// A stream of unknown length.
    Unsized,
}

/// How the response body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body bytes are sent (HEAD, 204, 304, or an error response
    /// replacing the handler's).
    Skip,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (an HTTP/1.0 client, unknown length).
    UntilClose,
}

impl Framing {
    pub(crate) fn sends_body(self) -> bool {
        self != Framing::Skip
    }
}

/// What a driver does next on a connection (see [`Conn::next_step`]).
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per step and consumed at once, as the request's parts move on to the handler"
)]
pub(crate) enum Step {
    /// Write [`Conn::output`] (it may hold `100 Continue`), then read more
    /// bytes before the deadline of [`Conn::read_wait`]. `idle`: the
    /// connection waits between requests (a server short of connections
    /// may close it instead).
    Read { idle: bool },
    /// A request head is in: call the handler and hand its response over
    /// ([`Conn::start_response`] … [`Conn::finish_response`]).
    Handle(http::request::Parts),
    /// The connection is over: write what [`Conn::output`] holds, end TLS,
    /// and close, lingering first when [`Conn::wants_linger`] says so.
    Close,
}

/// What comes after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Read the next request (keep-alive; pipelined bytes may be buffered).
    Continue,
    /// The handler left part of the body unread: call
    /// [`Conn::drain_body`] until `Done`, then [`Conn::end_exchange`] again.
    Drain,
    /// Close the connection (after writing [`Conn::output`]).
    Close,
}

/// The response body has more bytes than its declared length, or fewer.
#[derive(Debug)]
pub(crate) struct LengthMismatch;

#[derive(Debug)]
struct Exchange {
    method: Method,
    keep_alive: bool,
    decoder: BodyDecoder,
    expect_continue: bool,
    continue_sent: bool,
    body_error: Option<Rejection>,
    response: Option<Framing>,
    written: u64,
    close: bool,
    drained: u64,
    draining: bool,
    chunked_version_ok: bool,
    /// The response was handed over whole ([`Conn::finish_response`]).
    finished: bool,
    /// When a read first waited for body bytes: the minimum rate counts from here.
    body_since: Option<Instant>,
}

#[derive(Debug)]
enum State {
    Head,
    Exchange(Box<Exchange>),
    Closed,
}

/// One connection's HTTP/1.1 server state.
#[derive(Debug)]
pub(crate) struct Conn {
    limits: Limits,
    max_body: u64,
    head_timeout: Duration,
    body_timeout: Duration,
    min_body_rate: u64,
    idle_timeout: Duration,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes from `start` already looked at for a line end.
    scanned: usize,
    eof: bool,
    state: State,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    out_pos: usize,
    closing: bool,
    served: u64,
    head_started: Option<Instant>,
    /// The client may still be sending bytes nobody will read: read and
    /// discard for a moment before closing, so the close does not reset
    /// the connection (and destroy the response) in the client's kernel.
    linger: bool,
    /// Where request heads are copied to for their parsed fields.
    heads: HeadArena,
    /// The last exchange's box, for the next request to use again.
    used_exchange: Option<Box<Exchange>>,
}

impl Conn {
    /// A connection that starts now (the first head's deadline counts from here).
    pub(crate) fn new(config: &ServerConfig, now: Instant) -> Conn {
        Conn {
            limits: config.limits,
            max_body: config.max_body_size,
            head_timeout: config.head_timeout,
            body_timeout: config.body_timeout,
            min_body_rate: config.min_body_rate,
            idle_timeout: config.idle_timeout,
            buf: Vec::new(),
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            state: State::Head,
            out: Vec::new(),
            out_pos: 0,
            closing: false,
            served: 0,
            head_started: Some(now),
            linger: false,
            heads: HeadArena::for_connection(),
            used_exchange: None,
        }
    }

    // ----- input -----

    /// Room to read into; call [`filled`](Self::filled) with the count read.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        let empty = self.start == self.end;
        let room = if empty && matches!(self.state, State::Head) {
            HEAD_READ
        } else {
            READ_CHUNK
        };
        if empty {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > room {
                // Between requests: what a body or a long head grew goes back.
                self.buf.truncate(room);
                self.buf.shrink_to(room);
            }
        } else if self.start > 0 && self.buf.len() - self.end < room {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < room {
            self.buf.resize(self.end + room, 0);
        }
        &mut self.buf[self.end..]
    }

    /// `n` bytes were read into [`spare`](Self::spare); 0 means end of stream.
    pub(crate) fn filled(&mut self, n: usize) {
        if n == 0 {
            self.eof = true;
        } else {
            self.end += n;
        }
    }

    /// The client ended its side (or the read failed for good).
    pub(crate) fn set_eof(&mut self) {
        self.eof = true;
    }

    fn input(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.scanned = self.scanned.saturating_sub(n);
    }

    /// True when request bytes are buffered (pipelined, or a head in progress).
    pub(crate) fn has_input(&self) -> bool {
        self.start < self.end
    }

    // ----- output -----

    /// Bytes to write to the client.
    pub(crate) fn output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// `n` bytes of [`output`](Self::output) were written.
    pub(crate) fn written(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.out.capacity() > OUT_KEPT {
                self.out = Vec::new();
            }
        }
    }

    /// True while output is waiting to be written.
    pub(crate) fn has_output(&self) -> bool {
        self.out_pos < self.out.len()
    }

    /// True when the client may still be sending bytes that will not be
    /// read (a refused request, an unread body): close with a linger.
    pub(crate) fn wants_linger(&self) -> bool {
        self.linger && !self.eof
    }

    /// The server is shutting down: the current response (or the next)
    /// says `Connection: close`, and no further request is read.
    pub(crate) fn set_closing(&mut self) {
        self.closing = true;
    }

    /// True once the connection must be closed.
    #[cfg(test)]
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    // ----- deadlines -----

    /// What the next read waits for and until when.
    pub(crate) fn read_wait(&mut self, now: Instant) -> (Wait, Instant) {
        match &mut self.state {
            State::Exchange(ex) => {
                let per_read = now + self.body_timeout;
                if self.min_body_rate == 0 {
                    return (Wait::Body, per_read);
                }
                // The body's allowance: the body timeout, then one second
                // more for every `min_body_rate` bytes received (a slow
                // body is slowloris too, and per-read timeouts alone let a
                // client send a byte every few seconds for ever).
                let since = *ex.body_since.get_or_insert(now);
                let earned = ex.decoder.received().saturating_mul(1000) / self.min_body_rate;
                match since.checked_add(self.body_timeout + Duration::from_millis(earned)) {
                    Some(by_rate) if by_rate < per_read => (Wait::BodyRate, by_rate),
                    _ => (Wait::Body, per_read),
                }
            }
            State::Head | State::Closed => {
                if self.head_started.is_none() && self.has_input() {
                    self.head_started = Some(now);
                }
                match self.head_started {
                    Some(started) => (Wait::Head, started + self.head_timeout),
                    None => (Wait::Idle, now + self.idle_timeout),
                }
            }
        }
    }

    /// A read waiting for `wait` passed its deadline. For a head in
    /// progress, [`output`](Self::output) gets a `408` and the connection
    /// closes; an idle connection just closes; a body read fails.
    pub(crate) fn timed_out(&mut self, wait: Wait) {
        let has_input = self.has_input();
        if let (Wait::Body | Wait::BodyRate, State::Exchange(ex)) = (wait, &mut self.state) {
            let reason = match wait {
                Wait::BodyRate => RejectReason::TooSlow(Phase::RequestBody, self.min_body_rate),
                _ => RejectReason::Timeout(Phase::RequestBody, self.body_timeout),
            };
            let rejection = Rejection {
                status: StatusCode::REQUEST_TIMEOUT,
                reason,
            };
            events::rejected(&rejection);
            ex.body_error.get_or_insert(rejection);
            return;
        }
        if wait == Wait::Head && matches!(self.state, State::Head) && has_input {
            let rejection = Rejection {
                status: StatusCode::REQUEST_TIMEOUT,
                reason: RejectReason::Timeout(Phase::RequestHead, self.head_timeout),
            };
            events::rejected(&rejection);
            encode_rejection(&rejection, &mut self.out);
        }
        self.state = State::Closed;
    }

    // ----- the request -----

    /// Parses the next request head from the buffered bytes.
    pub(crate) fn poll_head(&mut self) -> HeadEvent {
        // Shutting down: a keep-alive connection between requests closes; a
        // new connection still gets its first request answered, and a head
        // already arriving is still read (all bounded by the head timeout).
        if !matches!(self.state, State::Head)
            || (self.closing && self.served > 0 && !self.has_input())
        {
            self.state = State::Closed;
            return HeadEvent::Closed;
        }
        // Skip empty lines before the request line.
        let mut skipped = 0;
        loop {
            let input = self.input();
            let n = if input.starts_with(b"\r\n") {
                2
            } else if input.starts_with(b"\n") {
                1
            } else {
                break;
            };
            skipped += 1;
            if skipped > MAX_LEADING_EMPTY_LINES {
                return self.reject(Rejection::other(
                    StatusCode::BAD_REQUEST,
                    "too many empty lines before the request line",
                ));
            }
            self.consume(n);
        }
        if !self.has_input() {
            if self.eof {
                self.state = State::Closed;
                return HeadEvent::Closed;
            }
            return HeadEvent::NeedInput;
        }
        // Only parse again once a new line end has arrived (a trickled head
        // costs linear, not quadratic, time); the limits still apply.
        let input_len = self.end - self.start;
        let new_line = self.input()[self.scanned.min(input_len)..].contains(&b'\n');
        self.scanned = input_len;
        let parsed = if new_line
            || input_len > self.limits.line()
            || input_len >= self.limits.head_size()
            || !could_begin_request(self.input())
        {
            parse_shared_request_head(
                &self.buf[self.start..self.end],
                &self.limits,
                &mut self.heads,
            )
        } else {
            Ok(None)
        };
        let (head, len) = match parsed {
            Ok(Some(parsed)) => parsed,
            Ok(None) => {
                if self.eof {
                    self.state = State::Closed;
                    return HeadEvent::Closed;
                }
                return HeadEvent::NeedInput;
            }
            Err(e) => return self.reject(Rejection::parse(e)),
        };
        self.consume(len);
        self.scanned = 0;
        self.head_started = None;

        // One pass over the names finds the fields the server acts on, so
        // that a request without them costs no lookup each.
        let (mut hosts, mut framing, mut expects, mut connection) = (0, false, false, false);
        for name in head.headers.keys() {
            if *name == HOST {
                hosts = head.headers.get_all(HOST).iter().count();
            }
            framing |= *name == CONTENT_LENGTH || *name == TRANSFER_ENCODING;
            expects |= *name == EXPECT;
            connection |= *name == CONNECTION;
        }
        if head.version == Version::HTTP_11 && hosts != 1 {
            return self.reject(Rejection::other(
                StatusCode::BAD_REQUEST,
                format!("an HTTP/1.1 request needs exactly one Host header, not {hosts}"),
            ));
        }
        let length = match framing {
            false => BodyLength::Empty,
            true => match request_body_length(&head.headers) {
                Ok(length) => length,
                Err(e) => return self.reject(Rejection::parse(e)),
            },
        };
        if let BodyLength::Known(n) = length {
            if n > self.max_body {
                return self.reject(Rejection {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    reason: RejectReason::BodyTooLarge(self.max_body),
                });
            }
        }
        let uri = match Uri::from_maybe_shared(head.target.clone()) {
            Ok(uri) => uri,
            Err(_) => {
                return self.reject(Rejection::other(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "invalid request target {:?}",
                        String::from_utf8_lossy(&head.target)
                    ),
                ))
            }
        };
        let mut expect_continue = false;
        if let Some(expect) = expects.then(|| head.headers.get(EXPECT)).flatten() {
            if expect.as_bytes().eq_ignore_ascii_case(b"100-continue") {
                expect_continue = head.version == Version::HTTP_11;
            } else {
                return self.reject(Rejection::other(
                    StatusCode::EXPECTATION_FAILED,
                    "only Expect: 100-continue is supported",
                ));
            }
        }
        events::request(&head.method, &head.target);
        let decoder = BodyDecoder::new(length, self.limits);
        let expect_continue = expect_continue && !decoder.is_done();
        let exchange = Exchange {
            method: head.method.clone(),
            keep_alive: match connection {
                true => keep_alive(head.version, &head.headers),
                false => head.version == Version::HTTP_11,
            },
            decoder,
            expect_continue,
            continue_sent: false,
            body_error: None,
            response: None,
            written: 0,
            close: false,
            drained: 0,
            draining: false,
            chunked_version_ok: head.version == Version::HTTP_11,
            finished: false,
            body_since: None,
        };
        self.state = State::Exchange(match self.used_exchange.take() {
            Some(mut used) => {
                *used = exchange;
                used
            }
            None => Box::new(exchange),
        });

        let mut request = http::Request::new(());
        *request.method_mut() = head.method;
        *request.uri_mut() = uri;
        *request.version_mut() = head.version;
        *request.headers_mut() = head.headers;
        HeadEvent::Request(request.into_parts().0)
    }

    fn reject(&mut self, rejection: Rejection) -> HeadEvent {
        events::rejected(&rejection);
        encode_rejection(&rejection, &mut self.out);
        self.linger = true;
        self.state = State::Closed;
        HeadEvent::Rejected(rejection)
    }

    /// Copies request body bytes into `out`.
    pub(crate) fn read_body(&mut self, out: &mut [u8]) -> BodyEvent {
        self.body_step(Some(out))
    }

    /// Reads and discards the rest of an unread body (bounded).
    pub(crate) fn drain_body(&mut self) -> BodyEvent {
        self.body_step(None)
    }

    fn body_step(&mut self, mut out: Option<&mut [u8]>) -> BodyEvent {
        let State::Exchange(ex) = &mut self.state else {
            return BodyEvent::Done;
        };
        if let Some(rejection) = &ex.body_error {
            return BodyEvent::Failed(rejection.clone());
        }
        if out.as_ref().is_some_and(|o| o.is_empty()) {
            return BodyEvent::Data(0);
        }
        loop {
            if ex.decoder.is_done() {
                return BodyEvent::Done;
            }
            let available = &self.buf[self.start..self.end];
            if available.is_empty() {
                if self.eof {
                    let error =
                        ex.decoder
                            .finish_at_eof()
                            .err()
                            .unwrap_or(ParseError::IncompleteBody {
                                expected: None,
                                received: ex.decoder.received(),
                            });
                    let rejection = Rejection::parse(error);
                    ex.body_error = Some(rejection.clone());
                    return BodyEvent::Failed(rejection);
                }
                if ex.expect_continue && !ex.continue_sent && ex.response.is_none() {
                    ex.continue_sent = true;
                    self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                return BodyEvent::NeedInput;
            }
            let window = match &out {
                Some(o) => &available[..available.len().min(o.len().max(1))],
                None => available,
            };
            let step = match ex.decoder.decode(window) {
                Ok(step) => step,
                Err(e) => {
                    let rejection = Rejection::parse(e);
                    ex.body_error = Some(rejection.clone());
                    return BodyEvent::Failed(rejection);
                }
            };
            let (consumed, data_len) = (step.consumed, step.data.len());
            if data_len > 0 {
                if let Some(o) = out.as_deref_mut() {
                    o[..data_len].copy_from_slice(step.data);
                }
            }
            self.start += consumed;
            self.scanned = 0;
            if ex.decoder.received() > self.max_body {
                let rejection = Rejection {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    reason: RejectReason::BodyTooLarge(self.max_body),
                };
                ex.body_error = Some(rejection.clone());
                return BodyEvent::Failed(rejection);
            }
            if out.is_none() {
                ex.drained += data_len as u64;
                if ex.drained > DRAIN_LIMIT {
                    ex.close = true;
                    return BodyEvent::Failed(Rejection::other(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the unread request body is too large to skip",
                    ));
                }
                if consumed == 0 {
                    // Nothing usable in the buffer yet.
                    if self.eof {
                        continue;
                    }
                    return BodyEvent::NeedInput;
                }
                continue;
            }
            if data_len > 0 {
                return BodyEvent::Data(data_len);
            }
            if consumed == 0 {
                // Framing bytes were buffered inside the decoder; need more.
                if self.start == self.end {
                    continue;
                }
                return BodyEvent::NeedInput;
            }
        }
    }

    /// The next thing to do on the connection: after a response, drain
    /// what the handler left of the request body and decide whether the
    /// connection carries on; between responses, the next request head.
    pub(crate) fn next_step(&mut self, now: Instant) -> Step {
        loop {
            if let State::Exchange(ex) = &self.state {
                if !ex.finished {
                    // A response was not handed over whole: nothing else can follow.
                    self.state = State::Closed;
                    return Step::Close;
                }
                match self.end_exchange(now) {
                    Next::Continue => {}
                    Next::Close => return Step::Close,
                    Next::Drain => match self.drain_body() {
                        BodyEvent::NeedInput => return Step::Read { idle: false },
                        // Done or failed: `end_exchange` decides again.
                        _ => continue,
                    },
                }
            }
            return match self.poll_head() {
                HeadEvent::Request(parts) => Step::Handle(parts),
                HeadEvent::NeedInput => Step::Read {
                    idle: self.read_wait(now).0 == Wait::Idle,
                },
                HeadEvent::Closed | HeadEvent::Rejected(_) => Step::Close,
            };
        }
    }

    /// The response is done: decides whether the connection carries on.
    pub(crate) fn end_exchange(&mut self, now: Instant) -> Next {
        let State::Exchange(ex) = &mut self.state else {
            self.state = State::Closed;
            return Next::Close;
        };
        if ex.close || ex.body_error.is_some() || self.closing {
            self.linger = ex.body_error.is_some() || !ex.decoder.is_done();
            self.state = State::Closed;
            return Next::Close;
        }
        if !ex.decoder.is_done() {
            ex.draining = true;
            return Next::Drain;
        }
        self.served += 1;
        if let State::Exchange(used) = std::mem::replace(&mut self.state, State::Head) {
            self.used_exchange = Some(used);
        }
        self.head_started = if self.has_input() { Some(now) } else { None };
        Next::Continue
    }

    /// Requests served completely on this connection.
    #[cfg(test)]
    pub(crate) fn served(&self) -> u64 {
        self.served
    }
}

/// The response for a handler that panicked.
pub(crate) fn panic_response<B: Default>() -> http::Response<B> {
    let mut response = http::Response::new(B::default());
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

mod response;
#[cfg(test)]
mod tests;
