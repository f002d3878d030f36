//! How long a message body is, and whether the connection stays open
//! (RFC 9112 §6.3 and §9.3), decided strictly.

use http::header::{HeaderMap, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};

use crate::http::error::ParseError;

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body at all (HEAD, 1xx, 204, 304, a successful CONNECT, a request without framing).
    Empty,
    /// Exactly this many bytes.
    Known(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilClose,
}

/// The body length of a response to a `request_method` request (RFC 9112 §6.3).
///
/// ```
/// use http::{HeaderMap, Method, StatusCode};
/// use netstack::protocols::http::{response_body_length, BodyLength};
/// let mut headers = HeaderMap::new();
/// headers.insert("content-length", "12".parse().unwrap());
/// assert_eq!(response_body_length(&Method::GET, StatusCode::OK, &headers), Ok(BodyLength::Known(12)));
/// assert_eq!(response_body_length(&Method::HEAD, StatusCode::OK, &headers), Ok(BodyLength::Empty));
/// ```
pub fn response_body_length(
    request_method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
) -> Result<BodyLength, ParseError> {
    if request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (request_method == Method::CONNECT && status.is_success())
    {
        return Ok(BodyLength::Empty);
    }
    Ok(match framing_headers(headers)? {
        Some(Framing::Chunked) => BodyLength::Chunked,
        Some(Framing::Length(n)) => BodyLength::Known(n),
        Some(Framing::NotChunked(_)) | None => BodyLength::UntilClose,
    })
}

/// The body length of a request (RFC 9112 §6.3): chunked, a length, or none.
pub fn request_body_length(headers: &HeaderMap) -> Result<BodyLength, ParseError> {
    match framing_headers(headers)? {
        Some(Framing::Chunked) => Ok(BodyLength::Chunked),
        Some(Framing::Length(n)) => Ok(BodyLength::Known(n)),
        Some(Framing::NotChunked(list)) => Err(ParseError::ChunkedNotFinal(list)),
        None => Ok(BodyLength::Empty),
    }
}

/// What the framing headers say, for either direction.
enum Framing {
    Chunked,
    Length(u64),
    /// `Transfer-Encoding` without `chunked` as its final coding: the
    /// length cannot be known (a request is refused; a response is read
    /// until the connection closes, RFC 9112 §6.3).
    NotChunked(String),
}

fn framing_headers(headers: &HeaderMap) -> Result<Option<Framing>, ParseError> {
    let has_te = headers.contains_key(TRANSFER_ENCODING);
    let has_cl = headers.contains_key(CONTENT_LENGTH);
    if has_te && has_cl {
        return Err(ParseError::ConflictingFraming);
    }
    if has_te {
        // The codings of every Transfer-Encoding line, in order.
        let codings: Vec<String> = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .filter(|c| !c.is_empty())
            .collect();
        let list = codings.join(", ");
        let chunked = codings.iter().filter(|c| *c == "chunked").count();
        let last_is_chunked = codings.last().is_some_and(|c| c == "chunked");
        return match (chunked, last_is_chunked) {
            (_, false) => Ok(Some(Framing::NotChunked(list))),
            (1, true) if codings.len() == 1 => Ok(Some(Framing::Chunked)),
            // Another coding under chunked: understood by nobody here.
            (1, true) => Err(ParseError::UnsupportedTransferEncoding(list)),
            // Chunked applied twice (RFC 9112 §7: never): no length can be trusted.
            _ => Err(ParseError::ChunkedNotFinal(list)),
        };
    }
    if has_cl {
        let mut length = None;
        for value in headers.get_all(CONTENT_LENGTH) {
            for part in String::from_utf8_lossy(value.as_bytes()).split(',') {
                let part = part.trim();
                if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ParseError::InvalidContentLength(part.to_string()));
                }
                let n: u64 = part
                    .parse()
                    .map_err(|_| ParseError::InvalidContentLength(part.to_string()))?;
                match length {
                    Some(previous) if previous != n => {
                        return Err(ParseError::DifferentContentLengths)
                    }
                    _ => length = Some(n),
                }
            }
        }
        return Ok(length.map(Framing::Length));
    }
    Ok(None)
}

fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers.get_all(CONNECTION).iter().any(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

/// Whether the connection may carry another message after this one
/// (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
/// `Connection: keep-alive`.
pub fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    if connection_has(headers, "close") {
        return false;
    }
    match version {
        Version::HTTP_11 => true,
        Version::HTTP_10 => connection_has(headers, "keep-alive"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn get(pairs: &[(&str, &str)]) -> Result<BodyLength, ParseError> {
        response_body_length(&Method::GET, StatusCode::OK, &headers(pairs))
    }

    #[test]
    fn bodiless_responses_ignore_their_framing_headers() {
        let h = headers(&[("content-length", "10")]);
        for (method, status) in [
            (Method::HEAD, StatusCode::OK),
            (Method::GET, StatusCode::NO_CONTENT),
            (Method::GET, StatusCode::NOT_MODIFIED),
            (Method::GET, StatusCode::CONTINUE),
            (Method::CONNECT, StatusCode::OK),
        ] {
            assert_eq!(
                response_body_length(&method, status, &h),
                Ok(BodyLength::Empty)
            );
        }
    }

    #[test]
    fn framing_is_decided_strictly() {
        assert_eq!(
            get(&[("transfer-encoding", "chunked")]),
            Ok(BodyLength::Chunked)
        );
        assert_eq!(
            get(&[("transfer-encoding", "Chunked")]),
            Ok(BodyLength::Chunked)
        );
        assert_eq!(
            get(&[("content-length", "5"), ("content-length", "5")]),
            Ok(BodyLength::Known(5))
        );
        assert_eq!(get(&[("content-length", "5, 5")]), Ok(BodyLength::Known(5)));
        assert_eq!(get(&[]), Ok(BodyLength::UntilClose));
        assert_eq!(
            get(&[("transfer-encoding", "chunked"), ("content-length", "5")]),
            Err(ParseError::ConflictingFraming)
        );
        assert_eq!(
            get(&[("content-length", "5"), ("content-length", "6")]),
            Err(ParseError::DifferentContentLengths)
        );
        for bad in ["-1", "+5", "0x10", "5 5", "", "99999999999999999999"] {
            assert!(
                matches!(
                    get(&[("content-length", bad)]),
                    Err(ParseError::InvalidContentLength(_))
                ),
                "{bad:?}"
            );
        }
        let request = |pairs: &[(&str, &str)]| request_body_length(&headers(pairs));
        for not_last in ["gzip", "chunked, gzip", "chunked, identity", "identity"] {
            // A request's length cannot be known: refused (400).
            assert!(
                matches!(
                    request(&[("transfer-encoding", not_last)]),
                    Err(ParseError::ChunkedNotFinal(_))
                ),
                "{not_last:?}"
            );
            // A response is read until the connection closes (RFC 9112 §6.3).
            assert_eq!(
                get(&[("transfer-encoding", not_last)]),
                Ok(BodyLength::UntilClose),
                "{not_last:?}"
            );
        }
        // Split over two lines, the list is the same.
        let split = [
            ("transfer-encoding", "chunked"),
            ("transfer-encoding", "identity"),
        ];
        assert!(matches!(
            request(&split),
            Err(ParseError::ChunkedNotFinal(_))
        ));
        // Chunked applied twice is refused either way.
        for twice in [
            &[("transfer-encoding", "chunked, chunked")][..],
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
        ] {
            assert!(matches!(
                request(twice),
                Err(ParseError::ChunkedNotFinal(_))
            ));
            assert!(matches!(get(twice), Err(ParseError::ChunkedNotFinal(_))));
        }
        // Chunked last over a coding nobody here decodes: 501 for a request.
        assert!(matches!(
            request(&[("transfer-encoding", "gzip, chunked")]),
            Err(ParseError::UnsupportedTransferEncoding(_))
        ));
        assert_eq!(request_body_length(&headers(&[])), Ok(BodyLength::Empty));
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(keep_alive(Version::HTTP_11, &headers(&[])));
        assert!(!keep_alive(
            Version::HTTP_11,
            &headers(&[("connection", "Close")])
        ));
        assert!(!keep_alive(Version::HTTP_10, &headers(&[])));
        assert!(keep_alive(
            Version::HTTP_10,
            &headers(&[("connection", "keep-alive")])
        ));
        assert!(!keep_alive(
            Version::HTTP_11,
            &headers(&[("connection", "upgrade, close")])
        ));
    }
}
