//! Sending the request body, piece by piece, and hearing a server that
//! answers before the body is all sent: every [`PEEK_EVERY`] bytes the
//! exchange asks whether bytes wait on the connection, and reads them
//! while they come. A final answer other than 2xx ends the sending (curl
//! stops at 300 or more; a 101 switched protocols); a 2xx is kept until
//! the body is sent, or lost if a write then times out; a late
//! `100 Continue` is passed over.

use std::io;

use bytes::Bytes;

use super::rules::{body_reader_error, length_mismatch, next_head};
use super::{AfterWrite, Exchange, Out, Stage, State};
use crate::http::client::body::{BodyKind, BodyReader};
use crate::http::client::request_head::Framing;
use crate::http::client::stream::Stream;
use crate::http::{encode_chunk, Error, Phase, Result};

/// How much of a streamed request body is read at a time.
const BODY_PIECE: usize = 16 * 1024;

/// How many body bytes go out between two looks for an early answer (and
/// how much of a body held in memory one write carries).
const PEEK_EVERY: u64 = 256 * 1024;

/// The longest wait of a read after bytes were seen waiting. On plain TCP
/// the read returns at once; over TLS the bytes may be a session ticket or
/// part of a record, which rustls keeps while the sending goes on.
const EARLY_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// The body still to send once an early look found nothing final.
pub(super) enum Sending {
    Reader(BodyReader),
    Bytes(Bytes),
}

impl Exchange {
    pub(super) fn send_body(&mut self, stream: Stream) -> Result<()> {
        match self.hop.body.take() {
            None | Some(BodyKind::Empty) => self.read_head(stream),
            Some(BodyKind::Bytes(bytes)) => self.write_bytes(stream, bytes),
            Some(kind) => match BodyReader::of(kind) {
                Some(reader) => {
                    self.hop.buf.resize(BODY_PIECE, 0);
                    self.hop.sent = 0;
                    self.hop.next_peek = PEEK_EVERY;
                    self.set_stage(stream, Stage::ReadBody { reader });
                    Ok(())
                }
                None => self.read_head(stream),
            },
        }
    }

    /// Writes the next piece of a body held in memory.
    fn write_bytes(&mut self, stream: Stream, mut bytes: Bytes) -> Result<()> {
        let piece = bytes.split_to(bytes.len().min(PEEK_EVERY as usize));
        self.hop.body_writing = piece.len() as u64;
        let then = match bytes.is_empty() {
            true => AfterWrite::Body,
            false => AfterWrite::Rest { rest: bytes },
        };
        self.set_stage(
            stream,
            Stage::Write {
                what: Out::Bytes(piece),
                then,
            },
        );
        Ok(())
    }

    /// A piece of the body went out: look for an early answer when it is
    /// time, else go on sending.
    pub(super) fn piece_sent(&mut self, stream: Stream, sending: Sending) -> Result<()> {
        // Once a 2xx is in, what follows is its body: left for the end.
        let time = self.hop.early.is_none()
            && match &sending {
                Sending::Bytes(_) => true,
                Sending::Reader(_) => self.hop.sent >= self.hop.next_peek,
            };
        if !time {
            return self.go_on(stream, sending);
        }
        self.hop.next_peek = self.hop.sent + PEEK_EVERY;
        self.set_stage(stream, Stage::Peek { sending });
        Ok(())
    }

    /// What the look found: read the waiting bytes, or go on sending.
    pub(super) fn peeked(&mut self, stream: Stream, sending: Sending, waiting: bool) -> Result<()> {
        if !waiting {
            return self.heard(stream, sending, false);
        }
        let wait = self.t.read.map_or(EARLY_WAIT, |r| r.min(EARLY_WAIT));
        self.set_stage(stream, Stage::ReadEarly { sending, wait });
        Ok(())
    }

    /// The bytes of an early read came, or none did in time.
    pub(super) fn read_early(
        &mut self,
        stream: Stream,
        sending: Sending,
        result: Result<usize>,
    ) -> Result<()> {
        match result {
            Ok(n) => {
                self.hop.reader.filled(n);
                self.heard(stream, sending, n > 0)
            }
            Err(Error::Timeout {
                phase: Phase::ExpectContinue,
                ..
            }) => self.go_on(stream, sending),
            Err(e) => self.fail(e),
        }
    }

    /// Acts on what of an answer is buffered: a 2xx waits for the body's
    /// end, any other final answer is the response now. A head still
    /// incomplete after a read that `got` bytes is read on (the rest may
    /// be in rustls already, where no look at the socket sees it).
    fn heard(&mut self, stream: Stream, sending: Sending, got: bool) -> Result<()> {
        match next_head(&mut self.hop.reader, &mut self.hop.informational, false) {
            Err(e) => self.fail(e),
            Ok(Some(head)) if head.status.is_success() => {
                self.hop.timings.first_byte = Some(self.started.elapsed());
                self.hop.early = Some(Box::new(head));
                self.go_on(stream, sending)
            }
            Ok(Some(head)) => self.respond(stream, head, true),
            Ok(None) if got => self.peeked(stream, sending, true),
            Ok(None) => self.go_on(stream, sending),
        }
    }

    fn go_on(&mut self, stream: Stream, sending: Sending) -> Result<()> {
        match sending {
            Sending::Bytes(rest) => self.write_bytes(stream, rest),
            Sending::Reader(reader) => {
                self.set_stage(stream, Stage::ReadBody { reader });
                Ok(())
            }
        }
    }

    /// A piece of a streamed body (or its end) was read: frame it and write it.
    pub(super) fn body_read(
        &mut self,
        stream: Stream,
        reader: BodyReader,
        result: io::Result<usize>,
    ) -> Result<()> {
        let hop = &mut self.hop;
        let (what, then) = match result {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.set_stage(stream, Stage::ReadBody { reader });
                return Ok(());
            }
            Err(e) => return self.fail(body_reader_error(e)),
            Ok(0) => match hop.framing {
                Framing::Length(length) if hop.sent < length => {
                    let sent = hop.sent;
                    return self.fail(length_mismatch(length, sent, "fewer"));
                }
                Framing::Chunked => {
                    hop.out.clear();
                    hop.out.extend_from_slice(b"0\r\n\r\n");
                    (Out::Buffer, AfterWrite::Body)
                }
                _ => return self.read_head(stream),
            },
            Ok(n) => {
                hop.sent += n as u64;
                hop.body_writing = n as u64;
                let then = AfterWrite::Piece { reader };
                match hop.framing {
                    Framing::Length(length) if hop.sent > length => {
                        let sent = hop.sent;
                        return self.fail(length_mismatch(length, sent, "more"));
                    }
                    Framing::Chunked => {
                        hop.out.clear();
                        encode_chunk(&hop.buf[..n], &mut hop.out);
                        (Out::Buffer, then)
                    }
                    _ => (Out::Piece(n), then),
                }
            }
        };
        self.set_stage(stream, Stage::Write { what, then });
        Ok(())
    }

    fn set_stage(&mut self, stream: Stream, stage: Stage) {
        self.state = State::Open { stream, stage };
    }
}
