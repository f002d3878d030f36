//! The client's sans-IO exchange core, shared by the synchronous and the
//! asynchronous drivers (the request head is `request_head`'s): a
//! [`ResponseReader`] that turns received bytes into a response head and
//! body data, content decoding, and the timeouts' arithmetic. The drivers
//! only move bytes between these and a stream.

use std::time::{Duration, Instant};

use http::header::{HeaderMap, HeaderName, CONTENT_ENCODING, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};

use crate::http::client::decoding::ContentDecoder;
use crate::http::head::parse_response_head_in;
use crate::http::head_arena::HeadArena;
use crate::http::{
    keep_alive, response_body_length, BodyDecoder, Error, Limits, ParseError, Phase, ResponseHead,
    Result,
};

/// The read buffer's first size: a head and a small body.
const FIRST_READ: usize = 8 * 1024;
/// The read buffer's size for bodies read through it.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// The smallest caller buffer that body reads go straight into.
const DIRECT_READ_MIN: usize = 8 * 1024;
/// How much compressed input is decoded between two checks of the decoded size.
const DECODE_STEP: usize = 4 * 1024;

/// The default `User-Agent`.
pub(crate) const USER_AGENT_VALUE: &str = "netstack/0.1";

// ---------------------------------------------------------------------------
// Timeouts.

/// The timeouts of one request: per read, per write, and an overall deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub read: Option<Duration>,
    pub write: Option<Duration>,
    /// When the whole request (redirects and body included) must be done, and the budget it came from.
    pub deadline: Option<(Instant, Duration)>,
}

/// How long one wait may last, and whether the deadline (rather than the per-call timeout) set it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    pub wait: Duration,
    pub by_deadline: bool,
}

impl Timeouts {
    /// The limit for one wait whose own timeout is `per_call`; fails once the deadline has passed.
    pub fn limit(&self, per_call: Option<Duration>) -> Result<Option<Limit>> {
        let left = match self.deadline {
            Some((at, total)) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(deadline_error(total));
                }
                Some(left)
            }
            None => None,
        };
        Ok(match (per_call, left) {
            (None, None) => None,
            (Some(wait), None) => Some(Limit {
                wait,
                by_deadline: false,
            }),
            (None, Some(left)) => Some(Limit {
                wait: left,
                by_deadline: true,
            }),
            (Some(wait), Some(left)) => Some(if left < wait {
                Limit {
                    wait: left,
                    by_deadline: true,
                }
            } else {
                Limit {
                    wait,
                    by_deadline: false,
                }
            }),
        })
    }

    /// The error for a wait bounded by `limit` that expired during `phase`.
    pub fn expired(&self, phase: Phase, limit: Option<Limit>) -> Error {
        match (limit, self.deadline) {
            (Some(l), Some((_, total))) if l.by_deadline => deadline_error(total),
            (Some(l), _) => Error::Timeout {
                phase,
                after: l.wait,
            },
            (None, Some((_, total))) => deadline_error(total),
            (None, None) => Error::Timeout {
                phase,
                after: Duration::ZERO,
            },
        }
    }
}

pub(crate) fn deadline_error(total: Duration) -> Error {
    Error::Timeout {
        phase: Phase::Deadline,
        after: total,
    }
}

// ---------------------------------------------------------------------------
// The response.

/// What the body decoder needs from the driver next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyStep {
    /// This many bytes were written to the caller's buffer.
    Data(usize),
    /// Read from the stream into [`ResponseReader::read_space`], then ask again.
    NeedRead,
    /// The body is complete.
    Done,
}

/// What a [`ResponseReader`] leaves for the next exchange on its
/// connection: its read buffer and the arena its heads are copied into.
#[derive(Debug, Default)]
pub(crate) struct ReaderBuffers {
    pub read: Vec<u8>,
    pub heads: HeadArena,
}

/// Received bytes, buffered, turned into response heads and body data.
#[derive(Debug)]
pub(crate) struct ResponseReader {
    buf: Vec<u8>,
    /// Where response heads are copied to for their parsed fields.
    heads: HeadArena,
    pos: usize,
    end: usize,
    eof: bool,
    received: u64,
    limits: Limits,
    informational: usize,
}

impl ResponseReader {
    pub fn new(limits: Limits) -> ResponseReader {
        ResponseReader {
            buf: Vec::new(),
            heads: HeadArena::for_connection(),
            pos: 0,
            end: 0,
            eof: false,
            received: 0,
            limits,
            informational: 0,
        }
    }

    /// Where the driver should read into (never empty).
    pub fn read_space(&mut self) -> &mut [u8] {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
        if self.buf.is_empty() {
            self.buf.resize(FIRST_READ, 0);
        }
        if self.end == self.buf.len() {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            } else {
                // Only a head can fill the buffer, and heads are bounded by the limits.
                let len = self.buf.len();
                self.buf.resize(len * 2, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Like [`read_space`](Self::read_space), with room for a large read (for bodies).
    pub fn body_read_space(&mut self) -> &mut [u8] {
        if self.buf.len() < READ_CHUNK {
            self.buf.resize(READ_CHUNK, 0);
        }
        self.read_space()
    }

    /// Records that the driver read `n` bytes into [`read_space`](Self::read_space); 0 is end of stream.
    pub fn filled(&mut self, n: usize) {
        if n == 0 {
            self.eof = true;
        } else {
            self.end += n;
            self.received += n as u64;
        }
    }

    /// True once any byte of a response has arrived.
    pub fn received_any(&self) -> bool {
        self.received > 0
    }

    /// The buffers, for the connection to keep while it idles: the head
    /// arena, and the read buffer only when everything in it was used and
    /// it is no larger than a body read's.
    pub fn take_buffers(&mut self) -> ReaderBuffers {
        let heads = std::mem::take(&mut self.heads);
        if self.has_buffered() || self.buf.len() > READ_CHUNK {
            return ReaderBuffers {
                read: Vec::new(),
                heads,
            };
        }
        self.pos = 0;
        self.end = 0;
        ReaderBuffers {
            read: std::mem::take(&mut self.buf),
            heads,
        }
    }

    /// Reads into the buffers an earlier exchange on the connection left
    /// instead of making new ones, if nothing was read yet.
    pub fn reuse(&mut self, buffers: ReaderBuffers) {
        if self.buf.is_empty() && self.end == 0 {
            self.buf = buffers.read;
            self.heads = buffers.heads;
        }
    }

    /// Takes the bytes buffered and not yet used (those that followed a
    /// `101 Switching Protocols` head belong to the new protocol).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.buf[self.pos..self.end].to_vec();
        self.pos = self.end;
        rest
    }

    /// True when bytes are buffered and not yet used.
    pub fn has_buffered(&self) -> bool {
        self.pos < self.end
    }

    /// The next response head in the buffer (an informational one too), or
    /// `None` when more bytes are needed.
    pub fn poll_head(&mut self) -> std::result::Result<Option<ResponseHead>, ParseError> {
        match parse_response_head_in(&self.buf[self.pos..self.end], &self.limits, &mut self.heads)?
        {
            Some((head, len)) => {
                self.pos += len;
                if head.status.is_informational() {
                    // A stream of 1xx heads is bounded like one head.
                    self.informational += len;
                    if self.informational > self.limits.head_size() {
                        return Err(ParseError::HeadTooLarge {
                            limit: self.limits.head_size(),
                        });
                    }
                }
                Ok(Some(head))
            }
            None if self.eof => Err(ParseError::IncompleteHead {
                received: self.end - self.pos,
            }),
            None => Ok(None),
        }
    }

    /// Decodes body data into `out`.
    pub fn poll_body(
        &mut self,
        decoder: &mut BodyDecoder,
        out: &mut [u8],
    ) -> std::result::Result<BodyStep, ParseError> {
        if out.is_empty() {
            return Ok(BodyStep::Data(0));
        }
        loop {
            if decoder.is_done() {
                return Ok(BodyStep::Done);
            }
            if self.pos == self.end {
                if self.eof {
                    decoder.finish_at_eof()?;
                    return Ok(BodyStep::Done);
                }
                return Ok(BodyStep::NeedRead);
            }
            // At most `out.len()` input bytes, so the data always fits.
            let input_end = self.end.min(self.pos.saturating_add(out.len()));
            let step = decoder.decode(&self.buf[self.pos..input_end])?;
            let n = step.data.len();
            out[..n].copy_from_slice(step.data);
            let consumed = step.consumed;
            self.pos += consumed;
            if n > 0 {
                return Ok(BodyStep::Data(n));
            }
            if consumed == 0 && !decoder.is_done() {
                return Ok(BodyStep::NeedRead);
            }
        }
    }
}

/// The body length and connection decision for a final response head.
pub(crate) fn body_decoder(
    method: &Method,
    head: &ResponseHead,
    limits: Limits,
) -> std::result::Result<(BodyDecoder, bool), ParseError> {
    let length = response_body_length(method, head.status, &head.headers)?;
    let decoder = BodyDecoder::new(length, limits);
    let keep = keep_alive(head.version, &head.headers)
        && !decoder.until_close()
        && head.status != StatusCode::SWITCHING_PROTOCOLS;
    Ok((decoder, keep))
}

/// The whole body path: transfer framing, then optional content decoding
/// with its size limit.
#[derive(Debug)]
pub(crate) struct BodyPipeline {
    pub reader: ResponseReader,
    decoder: BodyDecoder,
    content: Option<ContentDecoder>,
    content_done: bool,
    raw: Vec<u8>,
    decoded: u64,
    decoded_limit: u64,
}

impl BodyPipeline {
    pub fn new(
        reader: ResponseReader,
        decoder: BodyDecoder,
        content: Option<ContentDecoder>,
        decoded_limit: u64,
    ) -> BodyPipeline {
        BodyPipeline {
            reader,
            decoder,
            content,
            content_done: false,
            raw: Vec::new(),
            decoded: 0,
            decoded_limit,
        }
    }

    /// True when the next read can go straight into the caller's buffer:
    /// nothing is buffered, no content decoding, and the buffer is large.
    pub fn can_read_direct(&self, out_len: usize) -> bool {
        self.content.is_none()
            && !self.reader.has_buffered()
            && !self.reader.eof
            && !self.decoder.is_done()
            && out_len >= DIRECT_READ_MIN
    }

    /// Decodes `n` bytes that were read straight into `out`, in place: the
    /// body data moves to the front of `out` (its length is returned), and
    /// bytes past the body's end are kept in the reader's buffer.
    pub fn decode_in_place(&mut self, out: &mut [u8], n: usize) -> Result<usize> {
        self.reader.received += n as u64;
        let mut write = 0;
        let mut at = 0;
        while at < n && !self.decoder.is_done() {
            let base = out[at..].as_ptr() as usize;
            let step = self.decoder.decode(&out[at..n])?;
            let (len, consumed) = (step.data.len(), step.consumed);
            if len > 0 {
                // Body data is always a slice of the input.
                let from = at + step.data.as_ptr() as usize - base;
                if from != write {
                    out.copy_within(from..from + len, write);
                }
                write += len;
            }
            at += consumed;
            if consumed == 0 {
                break;
            }
        }
        if at < n {
            // Only possible once the body has ended: what follows it is kept
            // (and makes the connection unusable, see `clean_end`).
            let rest = &out[at..n];
            let reader = &mut self.reader;
            if reader.buf.len() < rest.len() {
                reader.buf.resize(rest.len().max(READ_CHUNK), 0);
            }
            reader.buf[..rest.len()].copy_from_slice(rest);
            reader.pos = 0;
            reader.end = rest.len();
        }
        Ok(write)
    }

    /// True once the transfer framing says the body is complete.
    pub fn transfer_done(&self) -> bool {
        self.decoder.is_done()
    }

    /// True when the body ended exactly at the end of the received bytes
    /// (nothing unexpected follows it), so the connection can carry another request.
    pub fn clean_end(&self) -> bool {
        self.decoder.is_done() && !self.reader.has_buffered()
    }

    /// Body bytes received so far (before content decoding).
    pub fn received(&self) -> u64 {
        self.decoder.received()
    }

    /// The trailers of a chunked body.
    pub fn trailers(&self) -> &HeaderMap {
        self.decoder.trailers()
    }

    /// Writes body data into `out`, or says what is needed.
    pub fn poll_read(&mut self, out: &mut [u8]) -> Result<BodyStep> {
        if out.is_empty() {
            return Ok(BodyStep::Data(0));
        }
        let Some(content) = self.content.as_mut() else {
            return Ok(self.reader.poll_body(&mut self.decoder, out)?);
        };
        loop {
            let n = content.take(out);
            if n > 0 {
                return Ok(BodyStep::Data(n));
            }
            if self.content_done {
                return Ok(BodyStep::Done);
            }
            if self.raw.is_empty() {
                self.raw.resize(DECODE_STEP, 0);
            }
            match self.reader.poll_body(&mut self.decoder, &mut self.raw)? {
                BodyStep::Data(n) => {
                    let before = content.pending() as u64;
                    content.feed(&self.raw[..n])?;
                    self.decoded += content.pending() as u64 - before;
                    if self.decoded > self.decoded_limit {
                        return Err(Error::BodyTooLarge {
                            limit: self.decoded_limit,
                        });
                    }
                }
                BodyStep::NeedRead => return Ok(BodyStep::NeedRead),
                BodyStep::Done => {
                    let before = content.pending() as u64;
                    content.finish()?;
                    self.decoded += content.pending() as u64 - before;
                    if self.decoded > self.decoded_limit {
                        return Err(Error::BodyTooLarge {
                            limit: self.decoded_limit,
                        });
                    }
                    self.content_done = true;
                }
            }
        }
    }
}

/// The headers a redirect that changes the method must not carry on.
pub(crate) const BODY_HEADERS: [HeaderName; 4] = [
    CONTENT_LENGTH,
    TRANSFER_ENCODING,
    http::header::CONTENT_TYPE,
    CONTENT_ENCODING,
];

/// Version of the response, for `Debug` and accessors.
pub(crate) fn version_name(version: Version) -> &'static str {
    if version == Version::HTTP_10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    }
}

#[cfg(test)]
mod tests;
