//! What a fetch returns, whatever the scheme: the final URL, a status or
//! reply code when the protocol has one, the headers or metadata, and the
//! body as a stream — [`FetchResponse`] (`Read`) and [`AsyncFetchResponse`]
//! (`futures_io::AsyncRead`).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::HeaderMap;
use url::Url;

use crate::fetch::error::{Error, Result};
use crate::fetch::pooled::PooledReader;
use crate::http::client::{AsyncResponse, Response};

/// The body of a blocking response.
enum SyncBody {
    Http(Box<Response>),
    Reader(Box<dyn Read + Send>),
}

/// The body of an asynchronous response.
enum AsyncBody {
    Http(Box<AsyncResponse>),
    Reader(Pin<Box<dyn AsyncRead + Send>>),
}

/// What every response carries besides its body.
#[derive(Debug, Clone)]
struct Head {
    url: Url,
    status: Option<http::StatusCode>,
    headers: HeaderMap,
    resumed_from: Option<u64>,
    /// The largest body `bytes` and `text` read into memory.
    memory_limit: u64,
}

impl Head {
    /// Fails once a body read into memory would pass the limit.
    fn fits_in_memory(&self, len: usize) -> Result<()> {
        if len as u64 > self.memory_limit {
            return Err(Error::BodyTooLarge {
                limit: self.memory_limit,
            });
        }
        Ok(())
    }

    /// A head with no status and no fields.
    fn bare(url: Url) -> Head {
        Head {
            url,
            status: None,
            headers: HeaderMap::new(),
            resumed_from: None,
            memory_limit: u64::MAX,
        }
    }

    /// The head of an HTTP response (either driver's).
    fn http(url: &Url, status: http::StatusCode, headers: &HeaderMap) -> Head {
        Head {
            url: url.clone(),
            status: Some(status),
            headers: headers.clone(),
            resumed_from: None,
            memory_limit: u64::MAX,
        }
    }
}

macro_rules! head_accessors {
    () => {
        /// The URL that answered (after redirects, for HTTP).
        pub fn url(&self) -> &Url {
            &self.head.url
        }

        /// The HTTP status, as the HTTP client's responses have it; `None`
        /// for `ftp:`, `file:` and `data:` (whose failures are errors), and
        /// for handlers that set none.
        pub fn status(&self) -> Option<http::StatusCode> {
            self.head.status
        }

        /// The header fields (HTTP), or the metadata other schemes provide
        /// as headers: `Content-Length`, `Content-Type`, `Last-Modified`.
        pub fn headers(&self) -> &HeaderMap {
            &self.head.headers
        }

        /// The body length, when known in advance.
        pub fn content_length(&self) -> Option<u64> {
            self.head
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        }

        /// The media type, when known.
        pub fn content_type(&self) -> Option<&str> {
            self.head
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
        }

        /// `Some(offset)` when the body starts at `offset` of the resource
        /// because a resumed fetch was honoured (HTTP 206, FTP `REST`, a
        /// seek in a local file); `None` when the body is the whole resource.
        pub fn resumed_from(&self) -> Option<u64> {
            self.head.resumed_from
        }

        /// True for an HTTP status of 400 or more.
        pub fn is_error_status(&self) -> bool {
            self.head.url.scheme().starts_with("http")
                && self
                    .head
                    .status
                    .is_some_and(|s| s.is_client_error() || s.is_server_error())
        }

        /// A [`Error::Status`] for an HTTP error status (400 and up), else the response.
        pub fn error_for_status(self) -> Result<Self> {
            if self.is_error_status() {
                return Err(Error::Status {
                    status: self.head.status.unwrap_or(http::StatusCode::OK),
                    url: self.head.url.to_string(),
                });
            }
            Ok(self)
        }

        /// Sets the status (for scheme handlers).
        pub fn with_status(mut self, status: http::StatusCode) -> Self {
            self.head.status = Some(status);
            self
        }

        /// Adds a header or metadata field (for scheme handlers).
        pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
            self.head.headers.append(name, value);
            self
        }

        pub(crate) fn with_resumed_from(mut self, offset: Option<u64>) -> Self {
            self.head.resumed_from = offset;
            self
        }

        pub(crate) fn with_memory_limit(mut self, limit: u64) -> Self {
            self.head.memory_limit = limit;
            self
        }
    };
}

/// A blocking fetch's response. The body is read through [`Read`] (errors
/// carry the [`Error`] inside the `io::Error`), or whole with
/// [`bytes`](FetchResponse::bytes) / [`text`](FetchResponse::text), or
/// copied out with [`copy_to`](FetchResponse::copy_to), which keeps read
/// and write failures apart.
///
/// A scheme handler of the caller's builds one from any reader:
///
/// ```
/// use std::io::Read;
/// use netstack::protocols::fetch::FetchResponse;
/// use netstack::protocols::http::StatusCode;
/// let url = url::Url::parse("note:hello").unwrap();
/// let response = FetchResponse::new(url, std::io::Cursor::new(b"hi".to_vec()));
/// let response = response.with_status(StatusCode::OK);
/// assert_eq!(response.status(), Some(StatusCode::OK));
/// assert_eq!(response.text()?, "hi");
/// # Ok::<(), netstack::protocols::fetch::Error>(())
/// ```
pub struct FetchResponse {
    head: Head,
    body: SyncBody,
}

impl std::fmt::Debug for FetchResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchResponse")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl FetchResponse {
    /// A response for `url` whose body is `body` (no status, no headers).
    pub fn new(url: Url, body: impl Read + Send + 'static) -> FetchResponse {
        FetchResponse {
            head: Head::bare(url),
            body: SyncBody::Reader(Box::new(body)),
        }
    }

    pub(crate) fn from_http(response: Response) -> FetchResponse {
        FetchResponse {
            head: Head::http(response.url(), response.status(), response.headers()),
            body: SyncBody::Http(Box::new(response)),
        }
    }

    head_accessors!();

    /// The HTTP response underneath (version, timings, TLS session), for `http`/`https`.
    pub fn http(&self) -> Option<&Response> {
        match &self.body {
            SyncBody::Http(response) => Some(response),
            SyncBody::Reader(_) => None,
        }
    }

    /// Reads some of the body; `Ok(0)` at its end.
    pub fn read_body(&mut self, buf: &mut [u8]) -> Result<usize> {
        match &mut self.body {
            SyncBody::Http(response) => Ok(response.read_body(buf)?),
            SyncBody::Reader(reader) => reader.read(buf).map_err(|e| body_error(e, &self.head)),
        }
    }

    /// The whole body, up to the fetcher's
    /// [`max_body_size`](super::FetcherBuilder::max_body_size) (a larger one
    /// is [`Error::BodyTooLarge`], read no further).
    pub fn bytes(mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read_body(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            self.head.fits_in_memory(out.len() + n)?;
            out.extend_from_slice(&buf[..n]);
        }
    }

    /// The whole body as UTF-8 text (invalid sequences replaced).
    pub fn text(self) -> Result<String> {
        let bytes = self.bytes()?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// The whole body (as [`bytes`](FetchResponse::bytes) reads it),
    /// deserialised from JSON (the `json` feature); a body that is not the
    /// JSON `T` expects is [`Error::Json`].
    ///
    /// ```
    /// # fn main() -> Result<(), netstack::protocols::fetch::Error> {
    /// let value: serde_json::Value = netstack::protocols::fetch::Fetcher::new()
    ///     .request("data:application/json,%7B%22id%22%3A7%7D")
    ///     .send()?
    ///     .json()?;
    /// assert_eq!(value["id"], 7);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let url = self.head.url.to_string();
        json_body(url, &self.bytes()?)
    }

    /// Copies the rest of the body into `out` and returns the byte count. A
    /// failure to read is the protocol's error; a failure to write is
    /// [`Error::Io`].
    pub fn copy_to(&mut self, out: &mut dyn Write) -> Result<u64> {
        self.copy_to_with_progress(out, &mut |_| {})
    }

    /// [`copy_to`](FetchResponse::copy_to), telling `progress` the running total after each write.
    pub fn copy_to_with_progress(
        &mut self,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = self.read_body(&mut buf)?;
            if n == 0 {
                out.flush().map_err(|e| Error::io("writing the body", e))?;
                return Ok(total);
            }
            out.write_all(&buf[..n])
                .map_err(|e| Error::io("writing the body", e))?;
            total += n as u64;
            progress(total);
        }
    }

    /// The same response, its body's reads run on netstack's blocking pool
    /// (a local file's).
    pub(crate) fn into_async_pooled(self) -> AsyncFetchResponse {
        let reader: Box<dyn Read + Send> = match self.body {
            SyncBody::Http(response) => response,
            SyncBody::Reader(reader) => reader,
        };
        AsyncFetchResponse {
            head: self.head,
            body: AsyncBody::Reader(Box::pin(PooledReader::new(reader))),
        }
    }

    /// The same response, its body read in place from async code: for
    /// bodies whose reads never wait (bytes in memory, a `data:` URL), and
    /// for scheme handlers without an async form.
    pub(crate) fn into_async_in_place(self) -> AsyncFetchResponse {
        let reader: Box<dyn Read + Send> = match self.body {
            SyncBody::Http(response) => response,
            SyncBody::Reader(reader) => reader,
        };
        AsyncFetchResponse {
            head: self.head,
            body: AsyncBody::Reader(Box::pin(BlockingReader(reader))),
        }
    }
}

impl Read for FetchResponse {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.body {
            SyncBody::Http(response) => response.read(buf),
            SyncBody::Reader(reader) => reader.read(buf),
        }
    }
}

/// An asynchronous fetch's response: [`FetchResponse`]'s accessors, the
/// body through [`futures_io::AsyncRead`] or whole.
pub struct AsyncFetchResponse {
    head: Head,
    body: AsyncBody,
}

impl std::fmt::Debug for AsyncFetchResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncFetchResponse")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl AsyncFetchResponse {
    /// A response for `url` whose body is `body`.
    pub fn new(url: Url, body: impl AsyncRead + Send + 'static) -> AsyncFetchResponse {
        AsyncFetchResponse {
            head: Head::bare(url),
            body: AsyncBody::Reader(Box::pin(body)),
        }
    }

    pub(crate) fn from_http(response: AsyncResponse) -> AsyncFetchResponse {
        AsyncFetchResponse {
            head: Head::http(response.url(), response.status(), response.headers()),
            body: AsyncBody::Http(Box::new(response)),
        }
    }

    head_accessors!();

    /// The HTTP response underneath, for `http`/`https`.
    pub fn http(&self) -> Option<&AsyncResponse> {
        match &self.body {
            AsyncBody::Http(response) => Some(response),
            AsyncBody::Reader(_) => None,
        }
    }

    /// Reads some of the body; `Ok(0)` at its end.
    pub async fn read_body(&mut self, buf: &mut [u8]) -> Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf))
            .await
            .map_err(|e| body_error(e, &self.head))
    }

    /// The whole body, up to the fetcher's
    /// [`max_body_size`](super::FetcherBuilder::max_body_size) (a larger one
    /// is [`Error::BodyTooLarge`], read no further).
    pub async fn bytes(mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read_body(&mut buf).await?;
            if n == 0 {
                return Ok(out);
            }
            self.head.fits_in_memory(out.len() + n)?;
            out.extend_from_slice(&buf[..n]);
        }
    }

    /// The whole body as UTF-8 text (invalid sequences replaced).
    pub async fn text(self) -> Result<String> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// The whole body deserialised from JSON (see [`FetchResponse::json`]).
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let url = self.head.url.to_string();
        json_body(url, &self.bytes().await?)
    }

    /// The body as a `Stream` of `Bytes` chunks.
    pub fn bytes_stream(self) -> crate::BodyStream<AsyncFetchResponse> {
        crate::BodyStream::new(self)
    }

    /// Copies the rest of the body into the asynchronous writer `out`
    /// and returns the byte count. (A blocking writer goes through
    /// `futures::io::AllowStdIo`, knowing that each write blocks the task.)
    pub async fn copy_to(
        &mut self,
        out: &mut (impl futures_io::AsyncWrite + Unpin + ?Sized),
    ) -> Result<u64> {
        use futures_util::AsyncWriteExt;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = self.read_body(&mut buf).await?;
            if n == 0 {
                out.flush()
                    .await
                    .map_err(|e| Error::io("writing the body", e))?;
                return Ok(total);
            }
            out.write_all(&buf[..n])
                .await
                .map_err(|e| Error::io("writing the body", e))?;
            total += n as u64;
        }
    }
}

crate::body_traits::ecosystem_body_traits!(AsyncFetchResponse);

impl AsyncRead for AsyncFetchResponse {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.body {
            AsyncBody::Http(response) => Pin::new(&mut **response).poll_read(cx, buf),
            AsyncBody::Reader(reader) => reader.as_mut().poll_read(cx, buf),
        }
    }
}

/// A reader as an `AsyncRead` whose reads complete at once (in place).
struct BlockingReader(Box<dyn Read + Send>);

impl AsyncRead for BlockingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.read(buf))
    }
}

/// The error inside an `io::Error` from a body reader, as a [`Error`].
fn body_error(err: io::Error, head: &Head) -> Error {
    if err.get_ref().is_some_and(|e| e.is::<Error>()) {
        if let Some(Ok(inner)) = err.into_inner().map(|e| e.downcast::<Error>()) {
            return *inner;
        }
        unreachable!("checked above");
    }
    if err.get_ref().is_some_and(|e| e.is::<crate::http::Error>()) {
        if let Some(Ok(inner)) = err.into_inner().map(|e| e.downcast::<crate::http::Error>()) {
            return Error::Http(*inner);
        }
        unreachable!("checked above");
    }
    Error::io(format!("reading the body of {}", head.url), err)
}

#[cfg(feature = "json")]
fn json_body<T: serde::de::DeserializeOwned>(url: String, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| Error::Json { url, source })
}
