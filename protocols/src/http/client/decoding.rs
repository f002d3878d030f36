//! What the client decodes in a response body: its `Content-Encoding`
//! (gzip, deflate) and its text by the charset of its `Content-Type`.

use std::io::Write;

use http::header::{HeaderMap, CONTENT_ENCODING, CONTENT_LENGTH};

use crate::http::{Error, Result};

enum Inner {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Zlib(flate2::write::ZlibDecoder<Vec<u8>>),
    Deflate(flate2::write::DeflateDecoder<Vec<u8>>),
    /// `deflate` is zlib by the RFC but raw deflate from some servers: decided on the first two bytes.
    Undecided(Vec<u8>),
}

/// A `Content-Encoding` decoder, fed compressed bytes, holding decoded ones.
pub(crate) struct ContentDecoder {
    inner: Inner,
    name: &'static str,
    taken: usize,
}

impl std::fmt::Debug for ContentDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentDecoder")
            .field("encoding", &self.name)
            .finish_non_exhaustive()
    }
}

impl ContentDecoder {
    /// The decoder for a response's `Content-Encoding`, if it is one this client decodes.
    pub fn for_headers(headers: &HeaderMap) -> Option<ContentDecoder> {
        let value = headers.get(CONTENT_ENCODING)?.to_str().ok()?.trim();
        let (inner, name) =
            if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
                (
                    Inner::Gzip(flate2::write::GzDecoder::new(Vec::new())),
                    "gzip",
                )
            } else if value.eq_ignore_ascii_case("deflate") {
                (Inner::Undecided(Vec::new()), "deflate")
            } else {
                return None;
            };
        Some(ContentDecoder {
            inner,
            name,
            taken: 0,
        })
    }

    fn output(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.inner {
            Inner::Gzip(d) => Some(d.get_mut()),
            Inner::Zlib(d) => Some(d.get_mut()),
            Inner::Deflate(d) => Some(d.get_mut()),
            Inner::Undecided(_) => None,
        }
    }

    fn error(&self, err: std::io::Error) -> Error {
        Error::ContentDecoding {
            encoding: self.name,
            detail: err.to_string(),
        }
    }

    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<()> {
        if let Inner::Undecided(start) = &mut self.inner {
            start.extend_from_slice(input);
            if start.len() < 2 {
                return Ok(());
            }
            let (a, b) = (start[0], start[1]);
            let zlib = a & 0x0f == 8 && (u16::from(a) << 8 | u16::from(b)) % 31 == 0;
            let start = std::mem::take(start);
            self.inner = if zlib {
                Inner::Zlib(flate2::write::ZlibDecoder::new(Vec::new()))
            } else {
                Inner::Deflate(flate2::write::DeflateDecoder::new(Vec::new()))
            };
            return self.feed(&start);
        }
        let result = match &mut self.inner {
            Inner::Gzip(d) => d.write_all(input),
            Inner::Zlib(d) => d.write_all(input),
            Inner::Deflate(d) => d.write_all(input),
            Inner::Undecided(_) => Ok(()),
        };
        result.map_err(|e| self.error(e))
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        let result = match &mut self.inner {
            Inner::Gzip(d) => d.try_finish(),
            Inner::Zlib(d) => d.try_finish(),
            Inner::Deflate(d) => d.try_finish(),
            Inner::Undecided(start) if start.is_empty() => Ok(()),
            Inner::Undecided(_) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the body ended inside the deflate header",
            )),
        };
        result.map_err(|e| self.error(e))
    }

    /// Copies decoded bytes to `out`; returns how many.
    pub(crate) fn take(&mut self, out: &mut [u8]) -> usize {
        let taken = self.taken;
        let Some(output) = self.output() else {
            return 0;
        };
        let n = (output.len() - taken).min(out.len());
        out[..n].copy_from_slice(&output[taken..taken + n]);
        if taken + n == output.len() {
            output.clear();
            self.taken = 0;
        } else {
            self.taken = taken + n;
        }
        n
    }

    pub(crate) fn pending(&mut self) -> usize {
        let taken = self.taken;
        self.output().map_or(0, |o| o.len() - taken)
    }
}

/// Decodes a body by the charset of its `Content-Type`: UTF-8 (the default)
/// and US-ASCII lossily (invalid sequences become U+FFFD), ISO-8859-1 /
/// Latin-1 byte for byte; other charsets are read as UTF-8, lossily.
pub(crate) fn decode_text(bytes: &[u8], headers: &HeaderMap) -> String {
    let charset = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| {
            ct.split(';').skip(1).find_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("charset")
                    .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
            })
        })
        .unwrap_or_else(|| "utf-8".to_string());
    match charset.as_str() {
        "iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1" | "l1" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Removes the headers that described the encoded body once it is decoded.
pub(crate) fn strip_encoding_headers(headers: &mut HeaderMap) {
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
}
