//! `multipart/form-data` request bodies (RFC 7578), as an HTML form posts
//! them and curl's `-F` builds them: text fields and files, each part with
//! its name, an optional file name and content type. Files are streamed,
//! not read into memory, and the boundary is one that occurs in no part.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::HeaderValue;

use crate::http::client::body::Body;

/// A `multipart/form-data` body: build it part by part, then send it with
/// [`RequestBuilder::multipart`](crate::http::client::RequestBuilder::multipart),
/// which sets the `Content-Type` with its boundary.
///
/// ```
/// use netstack::protocols::http::client::{Client, Multipart, Part};
/// let form = Multipart::new()
///     .text("name", "Ada")
///     .part("notes", Part::bytes("a,b\n1,2\n").file_name("notes.csv").content_type("text/csv"));
/// // Sent with a client: `Client::new().post(url).multipart(form).send()?`.
/// let (body, content_type) = form.into_parts()?;
/// assert!(content_type.to_str().unwrap().starts_with("multipart/form-data; boundary=-----"));
/// assert_eq!(body.len(), Some(290)); // known in advance: sent with Content-Length
/// # drop(Client::new());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Multipart {
    boundary: String,
    parts: Vec<(String, Part)>,
}

/// One part of a [`Multipart`] body.
#[derive(Clone)]
pub struct Part {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
}

#[derive(Clone)]
enum Source {
    Bytes(Bytes),
    File(PathBuf),
}

impl Part {
    /// A part made of these bytes (a text field when it gets no file name).
    pub fn bytes(bytes: impl Into<Bytes>) -> Part {
        Part {
            source: Source::Bytes(bytes.into()),
            file_name: None,
            content_type: None,
        }
    }

    /// A part made of this file's contents, streamed when the body is sent;
    /// its file name is the file's own, its content type guessed from the
    /// extension as curl guesses it (`application/octet-stream` otherwise).
    pub fn file(path: impl AsRef<Path>) -> Part {
        let path = path.as_ref();
        Part {
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            content_type: Some(content_type_of(path).to_string()),
            source: Source::File(path.to_path_buf()),
        }
    }

    /// The file name the part carries (`filename=` in its
    /// `Content-Disposition`).
    pub fn file_name(mut self, name: impl Into<String>) -> Part {
        self.file_name = Some(name.into());
        self
    }

    /// The part's `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Part {
        self.content_type = Some(content_type.into());
        self
    }

    /// The part's head: the boundary line is written before it.
    fn head(&self, name: &str) -> String {
        let mut head = format!("Content-Disposition: form-data; name=\"{}\"", escape(name));
        if let Some(file_name) = &self.file_name {
            head.push_str(&format!("; filename=\"{}\"", escape(file_name)));
        }
        head.push_str("\r\n");
        if let Some(content_type) = &self.content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        head
    }
}

/// What curl (and HTML5's form encoding) does with a quote or a line
/// break in a name: percent-encode it.
fn escape(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// curl's table of content types by file extension.
fn content_type_of(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("gif") => "image/gif",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain",
        Some("htm" | "html") => "text/html",
        Some("pdf") => "application/pdf",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

impl Default for Multipart {
    fn default() -> Multipart {
        Multipart::new()
    }
}

impl Multipart {
    /// An empty form with a fresh random boundary.
    pub fn new() -> Multipart {
        Multipart {
            boundary: random_boundary(),
            parts: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Multipart {
        self.part(name, Part::bytes(value.into()))
    }

    /// Adds a file, streamed (see [`Part::file`]).
    pub fn file(self, name: impl Into<String>, path: impl AsRef<Path>) -> Multipart {
        self.part(name, Part::file(path))
    }

    /// Adds a part.
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Multipart {
        self.parts.push((name.into(), part));
        self
    }

    /// The boundary the parts are separated with (it may change in
    /// [`into_parts`](Self::into_parts) if a part contains it).
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The body and its `Content-Type` (`multipart/form-data;
    /// boundary=…`). The boundary is checked against every part, files
    /// included (read once here), and drawn again until no part contains
    /// it. A body of in-memory parts only is replayable (a redirect that
    /// keeps the body, or a retry, sends it again); one with files is streamed with its length
    /// (a file that changes size meanwhile fails the request), by either
    /// client: the [`AsyncClient`](crate::http::client::AsyncClient) reads
    /// a file at most 64 KiB at a time on the polling thread.
    pub fn into_parts(mut self) -> io::Result<(Body, HeaderValue)> {
        while self.boundary_occurs()? {
            self.boundary = random_boundary();
        }
        let content_type =
            HeaderValue::from_str(&format!("multipart/form-data; boundary={}", self.boundary))
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let length = self.content_length()?;
        let mut pieces = Vec::new();
        let mut in_memory = true;
        for (name, part) in &self.parts {
            let head = format!("--{}\r\n{}", self.boundary, part.head(name));
            pieces.push(Piece::Bytes(Bytes::from(head)));
            match &part.source {
                Source::Bytes(bytes) => pieces.push(Piece::Bytes(bytes.clone())),
                Source::File(path) => {
                    in_memory = false;
                    pieces.push(Piece::File(path.clone()));
                }
            }
            pieces.push(Piece::Bytes(Bytes::from_static(b"\r\n")));
        }
        pieces.push(Piece::Bytes(Bytes::from(format!(
            "--{}--\r\n",
            self.boundary
        ))));
        let reader = PartsReader {
            pieces: pieces.into_iter(),
            current: None,
        };
        let body = if in_memory {
            let mut all = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
            let mut reader = reader;
            reader.read_to_end(&mut all)?;
            Body::from(all)
        } else {
            Body::from_local_reader(reader, length)
        };
        Ok((body, content_type))
    }

    /// The length of the body [`into_parts`](Self::into_parts) makes,
    /// with the files' sizes now; no file is read (a boundary drawn again
    /// has the same length).
    pub fn content_length(&self) -> io::Result<u64> {
        let mut length = format!("--{}--\r\n", self.boundary).len() as u64;
        for (name, part) in &self.parts {
            length += format!("--{}\r\n{}\r\n", self.boundary, part.head(name)).len() as u64;
            length += match &part.source {
                Source::Bytes(bytes) => bytes.len() as u64,
                Source::File(path) => std::fs::metadata(path)
                    .map_err(|e| with_path(e, path))?
                    .len(),
            };
        }
        Ok(length)
    }

    fn boundary_occurs(&self) -> io::Result<bool> {
        let needle = format!("--{}", self.boundary);
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        for (_, part) in &self.parts {
            let found = match &part.source {
                Source::Bytes(bytes) => finder.find(bytes).is_some(),
                Source::File(path) => {
                    let file = File::open(path).map_err(|e| with_path(e, path))?;
                    contains(file, &finder).map_err(|e| with_path(e, path))?
                }
            };
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Searches a reader piece by piece, keeping the tail of each piece so a
/// match across two pieces is found.
fn contains(mut reader: impl Read, finder: &memchr::memmem::Finder<'_>) -> io::Result<bool> {
    let keep = finder.needle().len().saturating_sub(1);
    let mut window = Vec::with_capacity(64 * 1024 + keep);
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut piece)?;
        if n == 0 {
            return Ok(false);
        }
        window.extend_from_slice(&piece[..n]);
        if finder.find(&window).is_some() {
            return Ok(true);
        }
        let cut = window.len().saturating_sub(keep);
        window.drain(..cut);
    }
}

fn with_path(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// 24 dashes and 16 hexadecimal digits (as curl's) drawn from the process's random
/// hash keys (no dependency; the boundary needs to be unlikely, and
/// [`Multipart::into_parts`] checks it is absent).
fn random_boundary() -> String {
    let a = RandomState::new().hash_one(std::time::SystemTime::now());
    let b = RandomState::new().hash_one(a);
    format!("{}{:016x}", "-".repeat(24), a ^ b.rotate_left(32))
}

enum Piece {
    Bytes(Bytes),
    File(PathBuf),
}

enum Open {
    Bytes(Bytes),
    File(File),
}

/// The body's bytes, piece after piece, files opened as they come.
struct PartsReader {
    pieces: std::vec::IntoIter<Piece>,
    current: Option<Open>,
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let current = match &mut self.current {
                Some(current) => current,
                None => match self.pieces.next() {
                    None => return Ok(0),
                    Some(Piece::Bytes(bytes)) => self.current.insert(Open::Bytes(bytes)),
                    Some(Piece::File(path)) => self.current.insert(Open::File(
                        File::open(&path).map_err(|e| with_path(e, &path))?,
                    )),
                },
            };
            let n = match current {
                Open::Bytes(bytes) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes.split_to(n));
                    n
                }
                Open::File(file) => {
                    let limit = buf.len().min(64 * 1024);
                    file.read(&mut buf[..limit])?
                }
            };
            if n > 0 {
                return Ok(n);
            }
            self.current = None;
        }
    }
}

impl fmt::Debug for Multipart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multipart")
            .field("boundary", &self.boundary)
            .field(
                "parts",
                &self.parts.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests;
