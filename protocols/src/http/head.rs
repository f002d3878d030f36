//! Message heads: parsing (with `httparse`, after a strict pre-scan) and encoding.

use std::borrow::Cow;
use std::mem::MaybeUninit;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

use crate::http::error::ParseError;
use crate::http::head_arena::HeadArena;
use crate::http::limits::Limits;

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase as sent (may be empty); borrowed when it is the
    /// status code's usual phrase, so that a response allocates nothing for it.
    pub reason: Cow<'static, str>,
    /// The header fields.
    pub headers: HeaderMap,
    /// The head exactly as received: the status line and the field lines
    /// (names in the case the server wrote them, folds as sent), CRLFs
    /// included, up to and with the blank line.
    pub raw: Bytes,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request target as sent (origin-form `/path?q`, absolute-form, or authority-form).
    pub target: String,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields.
    pub headers: HeaderMap,
}

/// Finds where the head at the start of `buf` ends and checks it, in one
/// pass over its line breaks. `Ok(None)`: the head is not all in `buf` yet;
/// `HeadTooLarge` once `buf` holds more than the limit without an end.
/// `Ok(Some((end, folded)))`: the head is `buf[..end]` (`end` just past
/// the blank line), and `folded` says whether it has obs-folds to unfold.
///
/// The checks reject what `httparse` would accept or misreport but RFC
/// 9112 forbids or our limits refuse: a bare CR (reported first), then the
/// first line that is too long or an obs-fold where `folds` refuses one.
fn scan_head(
    buf: &[u8],
    limits: &Limits,
    folds: Folds,
) -> Result<Option<(usize, bool)>, ParseError> {
    let window = &buf[..buf.len().min(limits.head_size())];
    let mut bare_cr = false;
    let mut line_error = None;
    let mut folded = false;
    let (mut line_start, mut index) = (0, 0);
    for at in memchr::memchr2_iter(b'\r', b'\n', window) {
        if window[at] == b'\r' {
            // A CR at the end of `buf` may yet be followed by its LF.
            bare_cr |= window.get(at + 1).is_some_and(|&next| next != b'\n');
            continue;
        }
        let line = &window[line_start..at];
        if line_error.is_none() {
            if line.len() > limits.line() {
                line_error = Some(ParseError::LineTooLong {
                    limit: limits.line(),
                });
            } else if index > 0 && matches!(line.first(), Some(b' ' | b'\t')) {
                // A fold right after the start line continues no field.
                if folds == Folds::Reject || index == 1 {
                    line_error = Some(ParseError::ObsFold);
                }
                folded = true;
            }
        }
        (line_start, index) = (at + 1, index + 1);
        // "\n\n" or "\n\r\n" ends the head.
        let end = match window.get(at + 1) {
            Some(b'\n') => at + 2,
            Some(b'\r') if window.get(at + 2) == Some(&b'\n') => at + 3,
            _ => continue,
        };
        if bare_cr {
            return Err(ParseError::BareCr);
        }
        return match line_error {
            Some(error) => Err(error),
            None => Ok(Some((end, folded))),
        };
    }
    if buf.len() >= limits.head_size() {
        return Err(ParseError::HeadTooLarge {
            limit: limits.head_size(),
        });
    }
    Ok(None)
}

/// What a head's obs-folds (RFC 9112 §5.2) get: a server rejects them; a
/// user agent replaces each with a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folds {
    Reject,
    Unfold,
}

/// `head` with each line break that begins an obs-fold, and the white
/// space around it, replaced by one space.
fn unfold(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    let mut at = 0;
    while at < head.len() {
        let line_end = match head[at..].iter().position(|&b| b == b'\n') {
            Some(lf) => at + lf + 1,
            None => head.len(),
        };
        let next_folds = matches!(head.get(line_end), Some(b' ' | b'\t'));
        if next_folds {
            let mut line = &head[at..line_end];
            while let Some((last, rest)) = line.split_last() {
                if !matches!(last, b'\r' | b'\n' | b' ' | b'\t') {
                    break;
                }
                line = rest;
            }
            out.extend_from_slice(line);
            out.push(b' ');
            at = line_end;
            while matches!(head.get(at), Some(b' ' | b'\t')) {
                at += 1;
            }
        } else {
            out.extend_from_slice(&head[at..line_end]);
            at = line_end;
        }
    }
    out
}

/// A token character (RFC 9110 §5.6.2): what methods, header names and
/// chunk extension names are made of.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// False once `buf` cannot be the start of a request line (RFC 9112 §3: a
/// method, which is a token, then a space), so that bytes of another
/// protocol (a TLS ClientHello, an SSH greeting) are refused as they
/// arrive instead of after the head timeout.
pub(crate) fn could_begin_request(buf: &[u8]) -> bool {
    match buf.iter().position(|&b| !is_tchar(b)) {
        None => true,
        Some(0) => false,
        Some(at) => buf[at] == b' ',
    }
}

fn first_line(buf: &[u8]) -> String {
    let end = memchr::memchr(b'\n', buf).unwrap_or(buf.len()).min(80);
    String::from_utf8_lossy(&buf[..end]).trim_end().to_string()
}

/// The header map of a parsed head. Each value is a slice of `head`, the
/// shared copy the fields were parsed from (one allocation per head, not
/// one per value, as hyper shares its read buffer).
fn header_map(headers: &[httparse::Header<'_>], head: &Bytes) -> Result<HeaderMap, ParseError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for header in headers {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| ParseError::InvalidHeaderName)?;
        let value = HeaderValue::from_maybe_shared(head.slice_ref(header.value))
            .map_err(|_| ParseError::InvalidHeaderValue)?;
        map.append(name, value);
    }
    Ok(map)
}

fn version(minor: Option<u8>) -> Result<Version, ParseError> {
    match minor {
        Some(0) => Ok(Version::HTTP_10),
        Some(1) => Ok(Version::HTTP_11),
        _ => Err(ParseError::InvalidVersion),
    }
}

/// Parses a response head from the start of `buf`. `Ok(None)`: more bytes
/// are needed. `Ok(Some((head, len)))`: the head took `len` bytes.
///
/// ```
/// use netstack::protocols::http::{parse_response_head, Limits};
/// let bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
/// let (head, len) = parse_response_head(bytes, &Limits::default()).unwrap().unwrap();
/// assert_eq!(head.status, 200);
/// assert_eq!(&bytes[len..], b"hi");
/// ```
pub fn parse_response_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(ResponseHead, usize)>, ParseError> {
    parse_response_head_in(buf, limits, &mut HeadArena::default())
}

/// [`parse_response_head`], the head copied into `arena`.
pub(crate) fn parse_response_head_in(
    buf: &[u8],
    limits: &Limits,
    arena: &mut HeadArena,
) -> Result<Option<(ResponseHead, usize)>, ParseError> {
    // A first line that cannot become a status line is refused at once
    // rather than waiting for a head that will never come.
    if buf.len() >= 5 && !buf.starts_with(b"HTTP/") {
        return Err(ParseError::InvalidStatusLine(first_line(buf)));
    }
    let Some((end, folded)) = scan_head(buf, limits, Folds::Unfold)? else {
        return Ok(None);
    };
    let raw = arena.copy(&buf[..end]);
    let shared = match folded {
        false => raw.clone(),
        true => Bytes::from(unfold(&raw)),
    };
    let head = &shared[..];
    // httparse's response parser takes initialised slots: a few on the
    // stack serve most responses, and only a head with more fields pays
    // for the full count (no allocation and no 3 KiB to initialise per
    // response otherwise).
    let mut few = [httparse::EMPTY_HEADER; FIRST_HEADER_SLOTS];
    let mut all = Vec::new();
    let mut response =
        httparse::Response::new(&mut few[..limits.headers().min(FIRST_HEADER_SLOTS)]);
    let mut parsed = response.parse(head);
    if matches!(parsed, Err(httparse::Error::TooManyHeaders))
        && limits.headers() > FIRST_HEADER_SLOTS
    {
        all.resize(limits.headers(), httparse::EMPTY_HEADER);
        response = httparse::Response::new(&mut all);
        parsed = response.parse(head);
    }
    match parsed {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ParseError::InvalidStatusLine(first_line(head)))
        }
        Err(e) => {
            return Err(map_httparse(e, limits, || {
                ParseError::InvalidStatusLine(first_line(head))
            }))
        }
    }
    let code = response
        .code
        .ok_or_else(|| ParseError::InvalidStatusLine(first_line(head)))?;
    let status =
        StatusCode::from_u16(code).map_err(|_| ParseError::InvalidStatusLine(first_line(head)))?;
    Ok(Some((
        ResponseHead {
            version: version(response.version)?,
            status,
            reason: match (response.reason.unwrap_or(""), status.canonical_reason()) {
                (sent, Some(usual)) if sent == usual => Cow::Borrowed(usual),
                (sent, _) => Cow::Owned(sent.to_string()),
            },
            headers: header_map(response.headers, &shared)?,
            raw,
        },
        end,
    )))
}

/// Header slots a response parse tries first, on the stack.
const FIRST_HEADER_SLOTS: usize = 24;

/// Header slots a request parse keeps on the stack (the default limit is 100).
const STACK_HEADER_SLOTS: usize = 128;

/// Parses a request head from the start of `buf` (see [`parse_response_head`]).
pub fn parse_request_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, ParseError> {
    Ok(
        parse_shared_request_head(buf, limits, &mut HeadArena::default())?.map(|(head, len)| {
            let head = RequestHead {
                method: head.method,
                // httparse hands the target over as text: nothing is lost.
                target: String::from_utf8_lossy(&head.target).into_owned(),
                version: head.version,
                headers: head.headers,
            };
            (head, len)
        }),
    )
}

/// A request head whose target is a slice of the same shared copy of the
/// head as its field values, so that the server makes its `Uri` without
/// copying the target again.
pub(crate) struct SharedRequestHead {
    pub method: Method,
    /// The request target, valid UTF-8.
    pub target: Bytes,
    pub version: Version,
    pub headers: HeaderMap,
}

/// [`parse_request_head`], with the target shared with the field values,
/// the head copied into `arena`.
pub(crate) fn parse_shared_request_head(
    buf: &[u8],
    limits: &Limits,
    arena: &mut HeadArena,
) -> Result<Option<(SharedRequestHead, usize)>, ParseError> {
    let Some((end, _)) = scan_head(buf, limits, Folds::Reject)? else {
        if !could_begin_request(buf) {
            return Err(ParseError::InvalidRequestLine(first_line(buf)));
        }
        // Reject an over-long request line early (slowloris with a huge target).
        if memchr::memchr(b'\n', buf).is_none() && buf.len() > limits.line() {
            return Err(ParseError::LineTooLong {
                limit: limits.line(),
            });
        }
        return Ok(None);
    };
    let shared = arena.copy(&buf[..end]);
    let head = &shared[..];
    // The header slots live on the stack (uninitialised, as hyper's do)
    // unless the limit is unusually high: no allocation per request.
    let mut stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADER_SLOTS];
    let mut heap = Vec::new();
    let slots = if limits.headers() <= STACK_HEADER_SLOTS {
        &mut stack[..limits.headers()]
    } else {
        heap.resize_with(limits.headers(), MaybeUninit::uninit);
        &mut heap[..]
    };
    let mut request = httparse::Request::new(&mut []);
    match request.parse_with_uninit_headers(head, slots) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ParseError::InvalidRequestLine(first_line(head)))
        }
        Err(e) => {
            return Err(map_httparse(e, limits, || {
                ParseError::InvalidRequestLine(first_line(head))
            }))
        }
    }
    let method = request
        .method
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        .ok_or_else(|| ParseError::InvalidRequestLine(first_line(head)))?;
    let target = request
        .path
        .ok_or_else(|| ParseError::InvalidRequestLine(first_line(head)))?;
    Ok(Some((
        SharedRequestHead {
            method,
            target: shared.slice_ref(target.as_bytes()),
            version: version(request.version)?,
            headers: header_map(request.headers, &shared)?,
        },
        end,
    )))
}

fn map_httparse(
    err: httparse::Error,
    limits: &Limits,
    start_line: impl FnOnce() -> ParseError,
) -> ParseError {
    match err {
        httparse::Error::TooManyHeaders => ParseError::TooManyHeaders {
            limit: limits.headers(),
        },
        httparse::Error::HeaderName => ParseError::InvalidHeaderName,
        httparse::Error::HeaderValue => ParseError::InvalidHeaderValue,
        httparse::Error::NewLine => ParseError::BareCr,
        httparse::Error::Version => start_line(),
        httparse::Error::Status | httparse::Error::Token => start_line(),
    }
}

/// Appends a request head: the request line, then the header fields, then the blank line.
/// The target must be free of spaces and control characters.
pub fn encode_request_head(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    out: &mut Vec<u8>,
) -> Result<(), crate::http::Error> {
    encode_request_line(method, target, out)?;
    encode_headers(headers, out);
    Ok(())
}

/// Appends the request line alone (the fields and the blank line follow).
pub(crate) fn encode_request_line(
    method: &Method,
    target: &str,
    out: &mut Vec<u8>,
) -> Result<(), crate::http::Error> {
    if target.is_empty() || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(crate::http::Error::InvalidRequest(format!(
            "the request target {target:?} is empty or holds spaces or control characters"
        )));
    }
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    Ok(())
}

/// Appends one field line. The value must be free of CR, LF and NUL, as a
/// `HeaderValue`'s bytes are.
pub(crate) fn encode_field(name: &HeaderName, value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(name.as_str().as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// [`encode_field`] with the name in Title-Case (`User-Agent`), as curl and
/// most clients write HTTP/1.1 field names: names are case-insensitive,
/// but some servers and devices know only this spelling. The few words
/// that are spelled otherwise keep their usual form (`Sec-WebSocket-Key`,
/// `TE`, `ETag`).
pub(crate) fn encode_field_title_case(name: &HeaderName, value: &[u8], out: &mut Vec<u8>) {
    let name = name.as_str();
    out.reserve(name.len() + value.len() + 4);
    for (i, word) in name.split('-').enumerate() {
        if i > 0 {
            out.push(b'-');
        }
        match word {
            "websocket" => out.extend_from_slice(b"WebSocket"),
            "te" | "dnt" | "md5" | "www" => {
                out.extend(word.bytes().map(|b| b.to_ascii_uppercase()))
            }
            "etag" => out.extend_from_slice(b"ETag"),
            _ => {
                let mut bytes = word.bytes();
                if let Some(first) = bytes.next() {
                    out.push(first.to_ascii_uppercase());
                    out.extend(bytes);
                }
            }
        }
    }
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends a response head (always HTTP/1.1).
pub fn encode_response_head(status: StatusCode, headers: &HeaderMap, out: &mut Vec<u8>) {
    encode_status_line(status, out);
    encode_headers(headers, out);
}

/// Appends the status line alone (the fields and the blank line follow).
pub(crate) fn encode_status_line(status: StatusCode, out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn encode_headers(headers: &HeaderMap, out: &mut Vec<u8>) {
    // HeaderName and HeaderValue already exclude CR, LF and NUL: no injection.
    for (name, value) in headers {
        encode_field(name, value.as_bytes(), out);
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<(ResponseHead, usize)>, ParseError> {
        parse_response_head(bytes, &Limits::default())
    }

    /// The head's end and checks as their definitions read, one pass each.
    fn scan_by_definition(
        buf: &[u8],
        limits: &Limits,
        folds: Folds,
    ) -> Result<Option<(usize, bool)>, ParseError> {
        let window = &buf[..buf.len().min(limits.head_size())];
        let end = (0..window.len()).find_map(|at| match &window[at..] {
            [b'\n', b'\n', ..] => Some(at + 2),
            [b'\n', b'\r', b'\n', ..] => Some(at + 3),
            _ => None,
        });
        let Some(end) = end else {
            return match buf.len() >= limits.head_size() {
                true => Err(ParseError::HeadTooLarge {
                    limit: limits.head_size(),
                }),
                false => Ok(None),
            };
        };
        let head = &buf[..end];
        if (0..end).any(|at| head[at] == b'\r' && head.get(at + 1) != Some(&b'\n')) {
            return Err(ParseError::BareCr);
        }
        let mut folded = false;
        for (index, line) in head.split(|b| *b == b'\n').enumerate() {
            if line.len() > limits.line() {
                return Err(ParseError::LineTooLong {
                    limit: limits.line(),
                });
            }
            if index > 0 && matches!(line.first(), Some(b' ' | b'\t')) {
                if folds == Folds::Reject || index == 1 {
                    return Err(ParseError::ObsFold);
                }
                folded = true;
            }
        }
        Ok(Some((end, folded)))
    }

    #[test]
    fn the_one_pass_scan_agrees_with_the_definitions() {
        let limits = Limits::default().max_line(12).max_head_size(40);
        let pieces: [&[u8]; 9] = [
            b"HTTP/1.1 200 OK",
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"\t",
            b"A: b",
            b"Long-Name: long value",
            b"x",
        ];
        // Every sequence of up to five pieces, plus a body after some.
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize
        };
        for _ in 0..200_000 {
            let mut buf = Vec::new();
            for _ in 0..next() % 9 {
                buf.extend_from_slice(pieces[next() % pieces.len()]);
            }
            for folds in [Folds::Reject, Folds::Unfold] {
                assert_eq!(
                    scan_head(&buf, &limits, folds),
                    scan_by_definition(&buf, &limits, folds),
                    "{:?} ({folds:?})",
                    String::from_utf8_lossy(&buf)
                );
            }
        }
    }

    #[test]
    fn a_complete_head_parses_and_reports_its_length() {
        let bytes =
            b"HTTP/1.1 404 Not Found\r\nServer: x\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\nbody";
        let (head, len) = parse(bytes).unwrap().unwrap();
        assert_eq!(head.status, StatusCode::NOT_FOUND);
        assert_eq!(head.reason, "Not Found");
        assert!(matches!(head.reason, Cow::Borrowed(_)), "the usual phrase");
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.headers.get_all("set-cookie").iter().count(), 2);
        assert_eq!(&bytes[len..], b"body");
        let (head, _) = parse(b"HTTP/1.1 200 Fine\r\n\r\n").unwrap().unwrap();
        assert_eq!(head.reason, "Fine");
    }

    #[test]
    fn a_folded_response_header_is_unfolded_into_one_space() {
        let bytes = b"HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\n\tthree\r\nB: c\r\n\r\nbody";
        let (head, len) = parse(bytes).unwrap().unwrap();
        assert_eq!(head.headers["x-long"], "one two three");
        assert_eq!(head.headers["b"], "c");
        assert_eq!(&bytes[len..], b"body");
        let (head, _) = parse(b"HTTP/1.0 200 OK\nA: x \n y\n\n").unwrap().unwrap();
        assert_eq!(head.headers["a"], "x y");
    }

    #[test]
    fn a_request_cannot_fold_and_cannot_be_another_protocol() {
        let limits = Limits::default();
        assert_eq!(
            parse_request_head(b"GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", &limits),
            Err(ParseError::ObsFold)
        );
        // A TLS ClientHello fails at its first byte, long before a head could end.
        assert!(matches!(
            parse_request_head(&[0x16, 0x03, 0x01, 0x02, 0x00], &limits),
            Err(ParseError::InvalidRequestLine(_))
        ));
        assert!(matches!(
            parse_request_head(b"SSH-2.0-OpenSSH_9.2\r", &limits),
            Err(ParseError::InvalidRequestLine(_))
        ));
        // The start of a method, or a method and a space, may still become a request.
        assert_eq!(parse_request_head(b"PO", &limits), Ok(None));
        assert_eq!(parse_request_head(b"POST /upl", &limits), Ok(None));
        assert!(!could_begin_request(b" GET"));
        assert!(could_begin_request(b""));
    }

    #[test]
    fn a_partial_head_asks_for_more() {
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
        assert_eq!(parse(b"HTT").unwrap(), None);
    }

    #[test]
    fn lf_only_line_ends_are_accepted() {
        let (head, _) = parse(b"HTTP/1.0 200 OK\nA: b\n\n").unwrap().unwrap();
        assert_eq!(head.version, Version::HTTP_10);
    }

    #[test]
    fn each_malformed_head_has_its_own_error() {
        assert!(matches!(
            parse(b"garbage that is not http\r\n\r\n"),
            Err(ParseError::InvalidStatusLine(_))
        ));
        assert!(matches!(
            parse(b"SSH-2.0-OpenSSH\r\n"),
            Err(ParseError::InvalidStatusLine(_))
        ));
        // A fold right after the status line continues no field.
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\n folded\r\nA: b\r\n\r\n"),
            Err(ParseError::ObsFold)
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"),
            Err(ParseError::BareCr)
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nBad Name: b\r\n\r\n"),
            Err(ParseError::InvalidHeaderName)
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nA: b\x01c\r\n\r\n"),
            Err(ParseError::InvalidHeaderValue)
        );
        assert!(matches!(
            parse(b"HTTP/1.1 2000 OK\r\n\r\n"),
            Err(ParseError::InvalidStatusLine(_))
        ));
        assert!(matches!(
            parse(b"HTTP/2.0 200 OK\r\n\r\n"),
            Err(ParseError::InvalidStatusLine(_) | ParseError::InvalidVersion)
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits::default()
            .max_head_size(64)
            .max_headers(2)
            .max_line(40);
        let big = [b"HTTP/1.1 200 OK\r\n".as_slice(), &[b'a'; 100]].concat();
        assert_eq!(
            parse_response_head(&big, &limits),
            Err(ParseError::HeadTooLarge { limit: 64 })
        );
        let many = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(
            parse_response_head(many, &limits),
            Err(ParseError::TooManyHeaders { limit: 2 })
        );
        let long = format!("HTTP/1.1 200 OK\r\nA: {}\r\n\r\n", "x".repeat(45));
        assert_eq!(
            parse_response_head(long.as_bytes(), &limits.max_head_size(1024)),
            Err(ParseError::LineTooLong { limit: 40 })
        );
    }

    #[test]
    fn field_names_are_written_in_title_case_with_the_usual_exceptions() {
        let written = |name: &str| {
            let mut out = Vec::new();
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            encode_field_title_case(&name, b"v", &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written("user-agent"), "User-Agent: v\r\n");
        assert_eq!(written("sec-websocket-key"), "Sec-WebSocket-Key: v\r\n");
        assert_eq!(written("te"), "TE: v\r\n");
        assert_eq!(written("x-api-key"), "X-Api-Key: v\r\n");
    }

    #[test]
    fn request_heads_parse_and_encode() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.test"));
        let mut out = Vec::new();
        encode_request_head(&Method::GET, "/a?b=c", &headers, &mut out).unwrap();
        assert_eq!(out, b"GET /a?b=c HTTP/1.1\r\nhost: example.test\r\n\r\n");
        let (head, len) = parse_request_head(&out, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            (head.method, head.target.as_str(), len),
            (Method::GET, "/a?b=c", out.len())
        );
        assert!(encode_request_head(&Method::GET, "/a b", &headers, &mut Vec::new()).is_err());
        assert!(
            encode_request_head(&Method::GET, "/a\r\nX: y", &headers, &mut Vec::new()).is_err()
        );
    }

    #[test]
    fn a_response_head_encodes_with_its_reason() {
        let mut out = Vec::new();
        encode_response_head(StatusCode::NO_CONTENT, &HeaderMap::new(), &mut out);
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\n\r\n");
    }

    #[test]
    fn a_response_with_more_fields_than_the_first_slots_parses_up_to_the_limit() {
        let head = |fields: usize| {
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..fields {
                head += &format!("X-Field-{i}: {i}\r\n");
            }
            head + "\r\n"
        };
        let (parsed, _) = parse_response_head(head(60).as_bytes(), &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(parsed.headers.len(), 60);
        assert_eq!(parsed.headers["x-field-59"], "59");
        assert_eq!(
            parse_response_head(head(101).as_bytes(), &Limits::default()),
            Err(ParseError::TooManyHeaders { limit: 100 })
        );
        let limits = Limits::default().max_headers(30);
        assert!(parse_response_head(head(30).as_bytes(), &limits).is_ok());
        assert_eq!(
            parse_response_head(head(31).as_bytes(), &limits),
            Err(ParseError::TooManyHeaders { limit: 30 })
        );
    }
}
