//! The response half of [`Conn`]: the head, the body's framing, and the
//! body bytes as the handler's response supplies them.

use http::header::{HeaderMap, CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::{Method, StatusCode};

use crate::http::head::{encode_field, encode_status_line};
use crate::http::{encode_chunk, encode_last_chunk, encode_response_head};

use super::super::date::{insert_date, with_date};
use super::super::rejection::encode_rejection;
use super::{BodyKind, Conn, Framing, LengthMismatch, State};

impl Conn {
    /// Queues the response head in [`output`](Self::output) and returns how
    /// its body goes on the wire. A request whose body failed gets the
    /// error response instead (and [`Framing::Skip`]).
    ///
    /// The head is encoded straight from the handler's `headers`, less the
    /// fields that are the server's (the framing and `Connection`), and
    /// then the server's own fields: no header map is changed per response.
    pub(crate) fn start_response(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        kind: BodyKind,
    ) -> Framing {
        super::events::response(status);
        let closing = self.closing;
        let State::Exchange(ex) = &mut self.state else {
            return Framing::Skip;
        };
        if let Some(rejection) = ex.body_error.clone() {
            ex.close = true;
            ex.response = Some(Framing::Skip);
            encode_rejection(&rejection, &mut self.out);
            return Framing::Skip;
        }
        let none = HeaderMap::new();
        let (status, kind, headers) = if status.is_informational() {
            // 1xx is not a final response (and upgrades are not supported).
            (StatusCode::INTERNAL_SERVER_ERROR, BodyKind::Full(0), &none)
        } else {
            (status, kind, headers)
        };
        let head_request = ex.method == Method::HEAD;
        // The handler's Content-Length stands where the server sends no
        // body: a 304's, and a HEAD handler's announcing the GET body's length.
        let framing = if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            Framing::Skip
        } else {
            match kind {
                BodyKind::Full(0) if head_request && headers.contains_key(CONTENT_LENGTH) => {
                    Framing::Skip
                }
                BodyKind::Full(n) | BodyKind::Sized(n) => Framing::Length(n),
                BodyKind::Unsized if ex.chunked_version_ok => Framing::Chunked,
                BodyKind::Unsized => Framing::UntilClose,
            }
        };
        let handler_length = framing == Framing::Skip && status != StatusCode::NO_CONTENT;

        encode_status_line(status, &mut self.out);
        let (mut handler_close, mut dated) = (false, false);
        for (name, value) in headers {
            if *name == CONNECTION {
                handler_close |= String::from_utf8_lossy(value.as_bytes())
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("close"));
            } else if *name != TRANSFER_ENCODING && (*name != CONTENT_LENGTH || handler_length) {
                dated |= *name == DATE;
                encode_field(name, value.as_bytes(), &mut self.out);
            }
        }
        match framing {
            Framing::Length(n) => {
                self.out.extend_from_slice(b"content-length: ");
                self.out
                    .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                self.out.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => encode_field(&TRANSFER_ENCODING, b"chunked", &mut self.out),
            Framing::UntilClose | Framing::Skip => {}
        }
        let unread_unannounced_body =
            ex.expect_continue && !ex.continue_sent && !ex.decoder.is_done();
        let keep = ex.keep_alive
            && !closing
            && !handler_close
            && framing != Framing::UntilClose
            && !unread_unannounced_body;
        if !keep {
            encode_field(&CONNECTION, b"close", &mut self.out);
        } else if !ex.chunked_version_ok {
            encode_field(&CONNECTION, b"keep-alive", &mut self.out);
        }
        if !dated {
            with_date(|date| encode_field(&DATE, date, &mut self.out));
        }
        self.out.extend_from_slice(b"\r\n");
        ex.close = !keep;
        let framing = if head_request { Framing::Skip } else { framing };
        ex.response = Some(framing);
        ex.written = 0;
        framing
    }

    /// Queues response body bytes (chunk-encoded when chunked). Bytes past a
    /// declared length are refused.
    pub(crate) fn body_data(&mut self, data: &[u8]) -> Result<(), LengthMismatch> {
        let State::Exchange(ex) = &mut self.state else {
            return Ok(());
        };
        match ex.response {
            Some(Framing::Length(n)) => {
                if ex.written + data.len() as u64 > n {
                    ex.close = true;
                    return Err(LengthMismatch);
                }
                self.out.extend_from_slice(data);
            }
            Some(Framing::Chunked) => encode_chunk(data, &mut self.out),
            Some(Framing::UntilClose) => self.out.extend_from_slice(data),
            Some(Framing::Skip) | None => return Ok(()),
        }
        ex.written += data.len() as u64;
        Ok(())
    }

    /// Counts body bytes the driver wrote itself, bypassing
    /// [`output`](Self::output) (only for length- or close-delimited bodies).
    pub(crate) fn body_written_directly(&mut self, len: u64) -> Result<(), LengthMismatch> {
        let State::Exchange(ex) = &mut self.state else {
            return Ok(());
        };
        match ex.response {
            Some(Framing::Length(n)) if ex.written + len > n => {
                ex.close = true;
                Err(LengthMismatch)
            }
            _ => {
                ex.written += len;
                Ok(())
            }
        }
    }

    /// True when body bytes go on the wire unchanged (no chunk framing).
    pub(crate) fn body_is_raw(&self) -> bool {
        matches!(
            &self.state,
            State::Exchange(ex) if matches!(ex.response, Some(Framing::Length(_) | Framing::UntilClose))
        )
    }

    /// Ends the response body (the last chunk when chunked). A body shorter
    /// than its declared length is an error and the connection must close.
    pub(crate) fn finish_response(&mut self) -> Result<(), LengthMismatch> {
        let State::Exchange(ex) = &mut self.state else {
            return Ok(());
        };
        match ex.response {
            Some(Framing::Chunked) => encode_last_chunk(&HeaderMap::new(), &mut self.out),
            Some(Framing::Length(n)) if ex.written != n => {
                ex.close = true;
                return Err(LengthMismatch);
            }
            _ => {}
        }
        ex.finished = true;
        Ok(())
    }

    /// Queues a `101 Switching Protocols` head with `headers` (the new
    /// protocol's `Upgrade`, `Connection: Upgrade` and its own fields) and
    /// leaves HTTP for good: returns the bytes the client sent after its
    /// request, which belong to the new protocol. `None`, and the usual
    /// error response queued, when the request cannot switch: it had a
    /// body, or a body error is pending.
    pub(crate) fn switch_protocols(&mut self, headers: &mut HeaderMap) -> Option<Vec<u8>> {
        let State::Exchange(ex) = &mut self.state else {
            return None;
        };
        if ex.body_error.is_some() || !ex.decoder.is_done() || ex.decoder.received() > 0 {
            headers.clear();
            self.start_response(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                BodyKind::Full(0),
            );
            let _ = self.finish_response();
            return None;
        }
        super::events::response(StatusCode::SWITCHING_PROTOCOLS);
        headers.remove(CONTENT_LENGTH);
        headers.remove(TRANSFER_ENCODING);
        if !headers.contains_key(DATE) {
            insert_date(headers);
        }
        encode_response_head(StatusCode::SWITCHING_PROTOCOLS, headers, &mut self.out);
        let rest = self.input().to_vec();
        self.consume(rest.len());
        self.served += 1;
        self.state = State::Closed;
        Some(rest)
    }
}
