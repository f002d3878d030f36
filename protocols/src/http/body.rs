//! Body framing, sans-IO: a [`BodyDecoder`] turns the bytes after a head into
//! body data (by length, chunked with trailers, or until close), and
//! [`encode_chunk`] / [`encode_last_chunk`] write the chunked coding.

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::http::error::ParseError;
use crate::http::framing::BodyLength;
use crate::http::head::is_tchar;
use crate::http::limits::Limits;

/// What one [`BodyDecoder::decode`] call found.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Input bytes used (body data and framing); drop them from the buffer.
    pub consumed: usize,
    /// Body data, a slice of the input (may be empty).
    pub data: &'a [u8],
    /// True once the whole body (and any trailers) has been read.
    pub done: bool,
}

#[derive(Debug)]
enum State {
    Length { remaining: u64 },
    ChunkSize,
    ChunkData { remaining: u64 },
    ChunkDataEnd { seen_cr: bool },
    Trailers,
    UntilClose,
    Done,
}

/// Decodes one message body from the bytes that follow its head.
///
/// ```
/// use netstack::protocols::http::{BodyDecoder, BodyLength, Limits};
/// let mut decoder = BodyDecoder::new(BodyLength::Chunked, Limits::default());
/// let input = b"5\r\nhello\r\n0\r\n\r\n";
/// let mut body = Vec::new();
/// let mut at = 0;
/// while !decoder.is_done() {
///     let step = decoder.decode(&input[at..]).unwrap();
///     body.extend_from_slice(step.data);
///     at += step.consumed;
/// }
/// assert_eq!(body, b"hello");
/// ```
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
    limits: Limits,
    /// A chunk-size or trailer line split across reads.
    line: Vec<u8>,
    trailer_bytes: usize,
    trailers: HeaderMap,
    received: u64,
    announced: Option<u64>,
}

impl BodyDecoder {
    /// A decoder for a body delimited as `length` says.
    pub fn new(length: BodyLength, limits: Limits) -> BodyDecoder {
        let (state, announced) = match length {
            BodyLength::Empty => (State::Done, Some(0)),
            BodyLength::Known(0) => (State::Done, Some(0)),
            BodyLength::Known(n) => (State::Length { remaining: n }, Some(n)),
            BodyLength::Chunked => (State::ChunkSize, None),
            BodyLength::UntilClose => (State::UntilClose, None),
        };
        BodyDecoder {
            state,
            limits,
            line: Vec::new(),
            trailer_bytes: 0,
            trailers: HeaderMap::new(),
            received: 0,
            announced,
        }
    }

    /// True once the body is complete.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// True when the body ends only when the connection closes (the
    /// connection cannot be reused).
    pub fn until_close(&self) -> bool {
        matches!(self.state, State::UntilClose)
    }

    /// Body bytes delivered so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The trailer fields of a chunked body (empty until the body is done).
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// Consumes framing and returns the next body data found at the start of `input`.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<'a>, ParseError> {
        let mut consumed = 0;
        loop {
            let rest = &input[consumed..];
            match &mut self.state {
                State::Done => return Ok(self.step(consumed, &[])),
                State::Length { remaining } => {
                    let n = (*remaining).min(rest.len() as u64) as usize;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::Done;
                    }
                    self.received += n as u64;
                    return Ok(self.step(consumed + n, &rest[..n]));
                }
                State::UntilClose => {
                    self.received += rest.len() as u64;
                    return Ok(self.step(input.len(), rest));
                }
                State::ChunkData { remaining } => {
                    let n = (*remaining).min(rest.len() as u64) as usize;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::ChunkDataEnd { seen_cr: false };
                    }
                    self.received += n as u64;
                    if n > 0 || rest.is_empty() {
                        return Ok(self.step(consumed + n, &rest[..n]));
                    }
                }
                State::ChunkDataEnd { seen_cr } => {
                    let Some(&byte) = rest.first() else {
                        return Ok(self.step(consumed, &[]));
                    };
                    consumed += 1;
                    match (byte, *seen_cr) {
                        (b'\r', false) => *seen_cr = true,
                        (b'\n', _) => self.state = State::ChunkSize,
                        _ => return Err(ParseError::InvalidChunkTerminator),
                    }
                }
                State::ChunkSize => {
                    let Some(line_len) = self.take_line(rest, self.limits.chunk_line(), true)?
                    else {
                        return Ok(self.step(input.len(), &[]));
                    };
                    consumed += line_len;
                    let size = parse_chunk_size(&self.line)?;
                    self.line.clear();
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData { remaining: size }
                    };
                }
                State::Trailers => {
                    // The whole line counts, also the part of it that came
                    // in earlier reads (held in `self.line`).
                    let earlier = self.line.len();
                    let budget = self.limits.trailers() - self.trailer_bytes;
                    let Some(line_len) = self.take_line(rest, budget, false)? else {
                        return Ok(self.step(input.len(), &[]));
                    };
                    consumed += line_len;
                    self.trailer_bytes += earlier + line_len;
                    if self.trailer_bytes > self.limits.trailers() {
                        return Err(ParseError::TrailersTooLarge {
                            limit: self.limits.trailers(),
                        });
                    }
                    let line = std::mem::take(&mut self.line);
                    if line.is_empty() {
                        self.state = State::Done;
                    } else {
                        self.add_trailer(&line)?;
                    }
                }
            }
        }
    }

    fn step<'a>(&self, consumed: usize, data: &'a [u8]) -> Decoded<'a> {
        Decoded {
            consumed,
            data,
            done: self.is_done(),
        }
    }

    /// Moves bytes up to the next LF into `self.line` (without the line
    /// end). Returns the input bytes used when the line is complete, or
    /// `None` when all of `rest` was buffered and more is needed.
    fn take_line(
        &mut self,
        rest: &[u8],
        limit: usize,
        chunk_line: bool,
    ) -> Result<Option<usize>, ParseError> {
        // A trailer line's limit is what is left of the trailers' budget;
        // the error names the whole budget.
        let trailers_limit = self.limits.trailers();
        let too_long = || {
            if chunk_line {
                ParseError::ChunkLineTooLong { limit }
            } else {
                ParseError::TrailersTooLarge {
                    limit: trailers_limit,
                }
            }
        };
        match rest.iter().position(|b| *b == b'\n') {
            Some(lf) => {
                if self.line.len() + lf > limit {
                    return Err(too_long());
                }
                self.line.extend_from_slice(&rest[..lf]);
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                if self.line.contains(&b'\r') {
                    return Err(if chunk_line {
                        ParseError::InvalidChunkSize(
                            String::from_utf8_lossy(&self.line).into_owned(),
                        )
                    } else {
                        ParseError::BareCr
                    });
                }
                Ok(Some(lf + 1))
            }
            None => {
                if self.line.len() + rest.len() > limit {
                    return Err(too_long());
                }
                self.line.extend_from_slice(rest);
                Ok(None)
            }
        }
    }

    fn add_trailer(&mut self, line: &[u8]) -> Result<(), ParseError> {
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return Err(ParseError::ObsFold);
        }
        let colon = line
            .iter()
            .position(|b| *b == b':')
            .ok_or(ParseError::InvalidHeaderName)?;
        let name =
            HeaderName::from_bytes(&line[..colon]).map_err(|_| ParseError::InvalidHeaderName)?;
        let value = trim(&line[colon + 1..]);
        let value = HeaderValue::from_bytes(value).map_err(|_| ParseError::InvalidHeaderValue)?;
        if self.trailers.len() >= self.limits.headers() {
            return Err(ParseError::TooManyHeaders {
                limit: self.limits.headers(),
            });
        }
        self.trailers.append(name, value);
        Ok(())
    }

    /// Call when the connection has ended: completes a body delimited by
    /// close, and reports any other unfinished body as `IncompleteBody`.
    pub fn finish_at_eof(&mut self) -> Result<(), ParseError> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(ParseError::IncompleteBody {
                expected: self.announced,
                received: self.received,
            }),
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// `1*HEXDIG [ BWS ";" extensions ]`: no signs, no `0x`, no spaces before the digits.
fn parse_chunk_size(line: &[u8]) -> Result<u64, ParseError> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let invalid = || ParseError::InvalidChunkSize(String::from_utf8_lossy(line).into_owned());
    if digits_end == 0 {
        return Err(invalid());
    }
    if !valid_extensions(&line[digits_end..]) {
        return Err(invalid());
    }
    let digits = &line[..digits_end];
    let significant = digits
        .iter()
        .position(|b| *b != b'0')
        .map_or(&[][..], |i| &digits[i..]);
    if significant.len() > 16 {
        return Err(ParseError::ChunkSizeOverflow);
    }
    let text = std::str::from_utf8(significant).map_err(|_| invalid())?;
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 16).map_err(|_| ParseError::ChunkSizeOverflow)
}

/// Whether what follows a chunk size is a well-formed extension list
/// (RFC 9112 §7.1.1): `*( BWS ";" BWS name [ BWS "=" BWS value ] )`, a
/// name being a token and a value a token or a quoted string. A `;`
/// with no name after it is not one.
fn valid_extensions(mut rest: &[u8]) -> bool {
    let skip_space = |bytes: &mut &[u8]| {
        while let Some((b' ' | b'\t', tail)) = bytes.split_first() {
            *bytes = tail;
        }
    };
    let token = |bytes: &mut &[u8]| {
        let len = bytes.iter().take_while(|&&b| is_tchar(b)).count();
        *bytes = &bytes[len..];
        len > 0
    };
    loop {
        skip_space(&mut rest);
        let Some((&first, tail)) = rest.split_first() else {
            return true;
        };
        if first != b';' {
            return false;
        }
        rest = tail;
        skip_space(&mut rest);
        if !token(&mut rest) {
            return false;
        }
        skip_space(&mut rest);
        if let Some((b'=', tail)) = rest.split_first() {
            rest = tail;
            skip_space(&mut rest);
            let valid = match rest.first() {
                Some(b'"') => quoted_string(&mut rest),
                _ => token(&mut rest),
            };
            if !valid {
                return false;
            }
        }
    }
}

/// Consumes a quoted string (RFC 9110 §5.6.4) from the front of `bytes`.
fn quoted_string(bytes: &mut &[u8]) -> bool {
    let mut at = 1;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'"' => {
                *bytes = &bytes[at + 1..];
                return true;
            }
            b'\\'
                if bytes
                    .get(at + 1)
                    .is_some_and(|&q| q == b'\t' || q >= b' ' && q != 0x7f) =>
            {
                at += 2
            }
            b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80.. => at += 1,
            _ => return false,
        }
    }
    false
}

/// Appends one chunk (`size CRLF data CRLF`); an empty `data` writes nothing
/// (an empty chunk would end the body).
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk and optional trailers, ending a chunked body.
pub fn encode_last_chunk(trailers: &HeaderMap, out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `piece` bytes; returns the body or the error.
    fn decode_all(
        length: BodyLength,
        input: &[u8],
        piece: usize,
    ) -> Result<(Vec<u8>, usize), ParseError> {
        let mut decoder = BodyDecoder::new(length, Limits::default());
        let mut body = Vec::new();
        let mut buffered: Vec<u8> = Vec::new();
        let mut fed = 0;
        loop {
            if decoder.is_done() {
                return Ok((body, fed - buffered.len()));
            }
            if fed < input.len() {
                let end = (fed + piece).min(input.len());
                buffered.extend_from_slice(&input[fed..end]);
                fed = end;
            } else if buffered.is_empty() {
                decoder.finish_at_eof()?;
                return Ok((body, fed));
            }
            let step = decoder.decode(&buffered)?;
            body.extend_from_slice(step.data);
            let consumed = step.consumed;
            buffered.drain(..consumed);
            if consumed == 0 && fed == input.len() && !decoder.is_done() {
                decoder.finish_at_eof()?;
                return Ok((body, fed - buffered.len()));
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_in_any_split_with_extensions_and_trailers() {
        let input = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        for piece in [1, 2, 3, 7, 100] {
            let (body, used) = decode_all(BodyLength::Chunked, input, piece).unwrap();
            assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.", "piece {piece}");
            assert_eq!(&input[used..], b"NEXT", "piece {piece}");
        }
        let mut decoder = BodyDecoder::new(BodyLength::Chunked, Limits::default());
        let step = decoder.decode(b"0\r\nA: b\r\n\r\n").unwrap();
        assert!(step.done);
        assert_eq!(decoder.trailers()["a"], "b");
    }

    #[test]
    fn length_and_close_delimited_bodies() {
        let (body, used) = decode_all(BodyLength::Known(5), b"helloEXTRA", 3).unwrap();
        assert_eq!((body.as_slice(), used), (&b"hello"[..], 5));
        let (body, _) = decode_all(BodyLength::UntilClose, b"all of it", 4).unwrap();
        assert_eq!(body, b"all of it");
        let (body, _) = decode_all(BodyLength::Empty, b"ignored", 4).unwrap();
        assert!(body.is_empty());
    }

    #[test]
    fn a_body_cut_short_is_incomplete_not_truncated_silently() {
        assert_eq!(
            decode_all(BodyLength::Known(10), b"short", 2),
            Err(ParseError::IncompleteBody {
                expected: Some(10),
                received: 5
            })
        );
        assert_eq!(
            decode_all(BodyLength::Chunked, b"5\r\nhel", 2),
            Err(ParseError::IncompleteBody {
                expected: None,
                received: 3
            })
        );
        assert!(matches!(
            decode_all(BodyLength::Chunked, b"5\r\nhello\r\n", 2),
            Err(ParseError::IncompleteBody { .. })
        ));
    }

    #[test]
    fn invalid_chunk_sizes_are_rejected() {
        for bad in [
            &b"-5\r\n"[..],
            b"+5\r\n",
            b"0x5\r\n",
            b" 5\r\n",
            b"5 junk\r\n",
            b"zz\r\n",
            b"\r\n",
            b"5\rx\n",
            // Extensions without a name, or with a broken value.
            b"2;\r\n",
            b"2; \r\n",
            b"2;=x\r\n",
            b"2;a=\r\n",
            b"2;a=\"open\r\n",
            b"2;a b\r\n",
            b"2;;a\r\n",
        ] {
            assert!(
                matches!(
                    decode_all(BodyLength::Chunked, bad, 100),
                    Err(ParseError::InvalidChunkSize(_))
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            decode_all(BodyLength::Chunked, b"10000000000000000\r\n", 100),
            Err(ParseError::ChunkSizeOverflow)
        );
        assert_eq!(
            decode_all(BodyLength::Chunked, b"ffffffffffffffff0\r\n", 100),
            Err(ParseError::ChunkSizeOverflow)
        );
        let (body, _) =
            decode_all(BodyLength::Chunked, b"0005\r\nhello\r\n0\r\n\r\n", 100).unwrap();
        assert_eq!(body, b"hello");
        assert_eq!(
            decode_all(BodyLength::Chunked, b"5\r\nhelloXX0\r\n\r\n", 100),
            Err(ParseError::InvalidChunkTerminator)
        );
        let long = [b"5;".as_slice(), &[b'x'; 5000], b"\r\n"].concat();
        assert_eq!(
            decode_all(BodyLength::Chunked, &long, 100),
            Err(ParseError::ChunkLineTooLong { limit: 4096 })
        );
    }

    #[test]
    fn well_formed_chunk_extensions_are_accepted() {
        for line in [
            &b"2;a\r\nhi\r\n0\r\n\r\n"[..],
            b"2 ; a = b ;c\r\nhi\r\n0\r\n\r\n",
            b"2;name=\"quoted \\\" value\"\r\nhi\r\n0\r\n\r\n",
            b"2;a=b;c=\"\"\r\nhi\r\n0;last\r\n\r\n",
        ] {
            let (body, _) = decode_all(BodyLength::Chunked, line, 100)
                .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)));
            assert_eq!(body, b"hi");
        }
    }

    #[test]
    fn trailers_are_bounded_and_validated() {
        let mut big = b"0\r\n".to_vec();
        for i in 0..2000 {
            big.extend_from_slice(format!("X-{i}: yyyyyyyyyy\r\n").as_bytes());
        }
        big.extend_from_slice(b"\r\n");
        assert!(matches!(
            decode_all(BodyLength::Chunked, &big, 1000),
            Err(ParseError::TrailersTooLarge { .. } | ParseError::TooManyHeaders { .. })
        ));
        assert_eq!(
            decode_all(BodyLength::Chunked, b"0\r\nA: b\r\n c\r\n\r\n", 100),
            Err(ParseError::ObsFold)
        );
    }

    #[test]
    fn the_trailer_limit_counts_lines_that_arrive_in_pieces() {
        // Three 100-byte trailer lines against a 256-byte limit: too large
        // however the bytes are cut (the part of a line that came in an
        // earlier read used to go uncounted).
        let mut body = b"0\r\n".to_vec();
        for name in ["a", "b", "c"] {
            body.extend_from_slice(format!("X-{name}: {}\r\n", "v".repeat(93)).as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        for piece in [1, 7, 64, body.len()] {
            let mut decoder =
                BodyDecoder::new(BodyLength::Chunked, Limits::default().max_trailers(256));
            let outcome = body
                .chunks(piece)
                .try_for_each(|bytes| decoder.decode(bytes).map(|_| ()));
            assert!(
                matches!(outcome, Err(ParseError::TrailersTooLarge { limit: 256 })),
                "pieces of {piece}: {outcome:?}"
            );
        }
    }

    #[test]
    fn the_chunked_encoder_round_trips() {
        let mut out = Vec::new();
        encode_chunk(b"hello ", &mut out);
        encode_chunk(b"", &mut out);
        encode_chunk(b"world", &mut out);
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", HeaderValue::from_static("42"));
        encode_last_chunk(&trailers, &mut out);
        assert_eq!(out, b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-sum: 42\r\n\r\n");
        let mut decoder = BodyDecoder::new(BodyLength::Chunked, Limits::default());
        let mut body = Vec::new();
        let mut at = 0;
        while !decoder.is_done() {
            let step = decoder.decode(&out[at..]).unwrap();
            body.extend_from_slice(step.data);
            at += step.consumed;
        }
        assert_eq!(body, b"hello world");
        assert_eq!(decoder.trailers()["x-sum"], "42");
    }
}
