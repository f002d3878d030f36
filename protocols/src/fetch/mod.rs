//! The URL fetcher: one call fetches a URL whatever its scheme — .NET's
//! `WebRequest`/`WebClient`, curl's library side — in both modes.
//!
//! - [`fetch`] / [`fetch_async`]: one URL with the default [`Fetcher`].
//! - [`Fetcher`]: the settings (timeouts, redirects, TLS, proxy, a trace
//!   hook) and the scheme handlers; [`Fetcher::request`] gives a
//!   [`FetchRequest`] builder (method, headers, body or file upload,
//!   credentials, a timeout, a resume offset); `download_string`,
//!   `download_bytes`, `download_file`, `upload_bytes`, `upload_file` (and
//!   their `_async` forms) are the `WebClient` conveniences.
//! - [`FetchResponse`] / [`AsyncFetchResponse`]: the final URL, the status
//!   or reply code, headers or metadata, and the body as a stream.
//! - [`Error`]: one error type, each failure sorted by
//!   [`ErrorKind`].
//!
//! Schemes built in: `http` and `https` (the [`http::client`](crate::http::client),
//! its connection pool shared by every fetch of a `Fetcher`), `ftp`
//! ([`crate::ftp`]), `file` (a local file; a directory gives a listing of
//! names, one per line; a missing file is a `NotFound` error) and `data`
//! (RFC 2397, base64 or percent-encoded). Any other scheme can be plugged
//! in with a [`SchemeHandler`] — the documented way to put a custom
//! protocol behind the fetcher (see `examples/fetch_scheme.rs`).
//!
//! ```
//! use netstack::protocols::fetch::{fetch, Fetcher};
//!
//! let mut response = fetch("data:text/plain;base64,aGVsbG8=")?;
//! assert_eq!(response.content_type(), Some("text/plain"));
//! assert_eq!(response.text()?, "hello");
//!
//! let dir = std::env::temp_dir().join(format!("fetch-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let url = url::Url::from_file_path(dir.join("note.txt")).unwrap();
//! let fetcher = Fetcher::new();
//! fetcher.upload_bytes(url.as_str(), b"written through a file: URL".to_vec())?;
//! assert_eq!(fetcher.download_string(url.as_str())?, "written through a file: URL");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), netstack::protocols::fetch::Error>(())
//! ```

mod builder;
mod data;
mod error;
mod file;
mod ftp;
mod pooled;
mod request;
mod response;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, RANGE};

use crate::http::client::{AsyncClient, Body, Client};
use crate::IntoUrl;

pub use builder::FetcherBuilder;
pub use error::{Error, ErrorKind, Result};
pub use request::{Credentials, FetchParts, FetchRequest, UploadBody, UploadReader};
pub use response::{AsyncFetchResponse, FetchResponse};

/// A boxed future, as [`SchemeHandler::fetch_async`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A protocol of the caller's behind the fetcher, for URLs of one scheme.
///
/// `fetch` serves blocking fetches. `fetch_async` serves asynchronous
/// ones; by default it runs `fetch` and reads its body with blocking reads,
/// which suits handlers that answer from memory or local files — a handler
/// that waits on the network should implement it on netstack's async I/O.
///
/// ```
/// use std::io::Cursor;
/// use netstack::protocols::fetch::{FetchParts, FetchResponse, Fetcher, Result, SchemeHandler};
///
/// /// `echo:` URLs answer with their own path.
/// struct Echo;
///
/// impl SchemeHandler for Echo {
///     fn fetch(&self, request: FetchParts) -> Result<FetchResponse> {
///         let body = request.url.path().as_bytes().to_vec();
///         Ok(FetchResponse::new(request.url, Cursor::new(body)))
///     }
/// }
///
/// let fetcher = Fetcher::builder().register("echo", Echo).build();
/// assert_eq!(fetcher.download_string("echo:hello")?, "hello");
/// # Ok::<(), netstack::protocols::fetch::Error>(())
/// ```
pub trait SchemeHandler: Send + Sync + 'static {
    /// Fetches (or, with a body, uploads to) `request.url`, blocking.
    fn fetch(&self, request: FetchParts) -> Result<FetchResponse>;

    /// Fetches asynchronously. The default runs [`fetch`](Self::fetch) in
    /// place and reads its body in place, which suits answers from memory;
    /// a handler that waits (on a network, a disk) should implement this.
    fn fetch_async(&self, request: FetchParts) -> BoxFuture<'_, Result<AsyncFetchResponse>> {
        Box::pin(async move { self.fetch(request).map(FetchResponse::into_async_in_place) })
    }
}

/// Settings of the FTP side of a [`Fetcher`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct FtpSettings {
    pub connect_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
}

struct Inner {
    http: Client,
    http_async: AsyncClient,
    ftp: FtpSettings,
    timeout: Option<Duration>,
    handlers: HashMap<String, Arc<dyn SchemeHandler>>,
    max_body_size: u64,
}

/// The largest body a fetcher reads whole into memory unless told otherwise.
const DEFAULT_MAX_BODY_SIZE: u64 = 64 << 20;

/// Fetches URLs: the HTTP clients (sync and async, each with its pool),
/// the FTP settings and the scheme handlers. Cheap to clone; the clones
/// share everything.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut schemes: Vec<&str> = self.inner.handlers.keys().map(String::as_str).collect();
        schemes.sort();
        f.debug_struct("Fetcher")
            .field("http", &self.inner.http)
            .field("custom_schemes", &schemes)
            .finish_non_exhaustive()
    }
}

impl Default for Fetcher {
    fn default() -> Fetcher {
        Fetcher::new()
    }
}

/// Fetches `url` with the default [`Fetcher`], blocking.
pub fn fetch(url: impl IntoUrl) -> Result<FetchResponse> {
    default_fetcher().get(url).send()
}

/// Fetches `url` with the default [`Fetcher`], asynchronously.
pub async fn fetch_async(url: impl IntoUrl) -> Result<AsyncFetchResponse> {
    default_fetcher().get(url).send_async().await
}

fn default_fetcher() -> &'static Fetcher {
    static DEFAULT: OnceLock<Fetcher> = OnceLock::new();
    DEFAULT.get_or_init(Fetcher::new)
}

/// The HTTP request for `parts` on `client` (a body from a file is streamed
/// by a reader of the mode's kind), and the resume offset asked for.
macro_rules! http_request {
    ($client:expr, $parts:expr, $mode:ident) => {{
        let parts = $parts;
        let credentials = parts.credentials.clone();
        let mut builder = $client
            .request(parts.method, parts.url.as_str())
            .headers(parts.headers);
        if let Some(c) = credentials {
            builder = builder.basic_auth(&c.user, c.password.as_deref());
        }
        if let Some(timeout) = parts.timeout {
            builder = builder.timeout(timeout);
        }
        for name in parts.omitted_headers {
            builder = builder.without_header(name);
        }
        builder = builder.keep_method_on_redirect(parts.keep_method_on_redirect);
        if parts.expect_continue {
            builder = builder.expect_continue();
        }
        if let Some(offset) = parts.resume_from {
            builder = builder.header(RANGE, format!("bytes={offset}-"));
        }
        match parts.body {
            Some(UploadBody::Bytes(bytes)) => builder = builder.body(bytes),
            Some(UploadBody::Form(form)) => builder = builder.multipart(form),
            Some(UploadBody::File(path)) => {
                builder = builder.body(http_request!(@file path, $mode)?);
            }
            Some(UploadBody::Reader(reader)) => {
                builder = builder.body(http_request!(@reader reader.take()?, $mode));
            }
            None => {}
        }
        let resume = parts.resume_from.map(|offset| Resume {
            offset,
            required: parts.resume_required,
        });
        (builder, resume)
    }};
    (@file $path:expr, sync) => {
        open_upload(&$path).map(|(file, len)| Body::from_reader_with_length(file, len))
    };
    (@file $path:expr, async) => {
        open_upload(&$path).map(|(file, len)| {
            Body::from_async_reader_with_length(blocking_reader(Box::new(file)), len)
        })
    };
    (@reader $reader:expr, sync) => {
        Body::from_reader($reader)
    };
    (@reader $reader:expr, async) => {
        Body::from_async_reader(waiting_reader($reader))
    };
}

/// Which built-in or registered handler serves a URL.
enum Route {
    Http,
    Ftp,
    File,
    Data,
    Custom(Arc<dyn SchemeHandler>),
}

impl Fetcher {
    /// A fetcher with the default settings.
    pub fn new() -> Fetcher {
        FetcherBuilder::new().build()
    }

    /// A builder for a fetcher with other settings or custom schemes.
    pub fn builder() -> FetcherBuilder {
        FetcherBuilder::new()
    }

    /// A request for `url` (a `GET`, until a method or body is set).
    pub fn request(&self, url: impl IntoUrl) -> FetchRequest {
        FetchRequest::new(self.clone(), url.url_text())
    }

    /// A download of `url`.
    pub fn get(&self, url: impl IntoUrl) -> FetchRequest {
        self.request(url)
    }

    /// The blocking HTTP client this fetcher uses.
    pub fn http_client(&self) -> &Client {
        &self.inner.http
    }

    fn route(&self, parts: &FetchParts) -> Result<Route> {
        let scheme = parts.url.scheme();
        if let Some(handler) = self.inner.handlers.get(scheme) {
            return Ok(Route::Custom(Arc::clone(handler)));
        }
        match scheme {
            "http" | "https" => Ok(Route::Http),
            "ftp" => Ok(Route::Ftp),
            "file" => Ok(Route::File),
            "data" => Ok(Route::Data),
            "ws" | "wss" => Err(Error::Unsupported(format!(
                "a {scheme}:// URL is a WebSocket, a conversation rather than a download: \
                 open it with protocols::websocket::WebSocket"
            ))),
            other => Err(Error::UnsupportedScheme {
                scheme: other.to_string(),
            }),
        }
    }

    fn with_deadline(&self, mut parts: FetchParts) -> FetchParts {
        if parts.timeout.is_none() {
            parts.timeout = self.inner.timeout;
        }
        parts
    }

    pub(crate) fn dispatch(&self, parts: FetchParts) -> Result<FetchResponse> {
        let parts = self.with_deadline(parts);
        let response = match self.route(&parts)? {
            Route::Http => self.http(parts),
            Route::Ftp => ftp::fetch(&self.inner.ftp, parts),
            Route::File => file::open(parts),
            Route::Data => data_response(parts),
            Route::Custom(handler) => handler.fetch(parts),
        };
        response.map(|r| r.with_memory_limit(self.inner.max_body_size))
    }

    pub(crate) async fn dispatch_async(&self, parts: FetchParts) -> Result<AsyncFetchResponse> {
        let parts = self.with_deadline(parts);
        let response = match self.route(&parts)? {
            Route::Http => self.http_async(parts).await,
            Route::Ftp => ftp::fetch_async(&self.inner.ftp, parts).await,
            // Opening, listing, writing and reading a local file can only
            // block: all of it runs on netstack's blocking pool, but for
            // an upload from a reader, which may wait long: its own thread.
            Route::File if matches!(parts.body, Some(UploadBody::Reader(_))) => {
                sockets::BlockingThread::default()
                    .run(move || file::open(parts))
                    .await
                    .map(FetchResponse::into_async_pooled)
            }
            Route::File => sockets::spawn_blocking(move || file::open(parts))
                .await
                .map(FetchResponse::into_async_pooled),
            Route::Data => data_response(parts).map(FetchResponse::into_async_in_place),
            Route::Custom(handler) => handler.fetch_async(parts).await,
        };
        response.map(|r| r.with_memory_limit(self.inner.max_body_size))
    }

    fn http(&self, parts: FetchParts) -> Result<FetchResponse> {
        let (builder, resume) = http_request!(self.inner.http, parts, sync);
        let response = builder.send()?;
        let resumed = honoured_resume(resume, response.status(), response.headers())?;
        Ok(FetchResponse::from_http(response).with_resumed_from(resumed))
    }

    async fn http_async(&self, parts: FetchParts) -> Result<AsyncFetchResponse> {
        let (builder, resume) = http_request!(self.inner.http_async, parts, async);
        let response = builder.send().await?;
        let resumed = honoured_resume(resume, response.status(), response.headers())?;
        Ok(AsyncFetchResponse::from_http(response).with_resumed_from(resumed))
    }
}

/// A resume asked for: the offset, and whether the server must honour it.
#[derive(Debug, Clone, Copy)]
struct Resume {
    offset: u64,
    required: bool,
}

/// The offset a download resumes from: the one asked for when the server
/// answered `206` with a `Content-Range` that starts there, none when it
/// sent the whole body (an error when the resume is required); another
/// range is an error (appended to the file, it would corrupt it).
fn honoured_resume(
    asked: Option<Resume>,
    status: http::StatusCode,
    headers: &http::HeaderMap,
) -> Result<Option<u64>> {
    let Some(Resume { offset, required }) = asked else {
        return Ok(None);
    };
    if status != http::StatusCode::PARTIAL_CONTENT {
        if required {
            return Err(Error::RangeIgnored {
                asked: offset,
                status,
            });
        }
        return Ok(None);
    }
    let range = headers
        .get(http::header::CONTENT_RANGE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let start = range
        .trim()
        .strip_prefix("bytes")
        .and_then(|rest| rest.trim_start().split_once('-'))
        .and_then(|(start, _)| start.trim().parse::<u64>().ok());
    match start {
        Some(start) if start == offset => Ok(Some(offset)),
        _ => Err(Error::RangeMismatch {
            asked: offset,
            answered: range,
        }),
    }
}

/// A local file to upload, and its length.
pub(crate) fn open_upload(path: &Path) -> Result<(std::fs::File, u64)> {
    let context = || format!("reading {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| Error::File {
        path: path.to_path_buf(),
        source: e,
    })?;
    let len = file.metadata().map_err(|e| Error::io(context(), e))?.len();
    Ok((file, len))
}

/// A blocking reader that never waits long (a local file) for async code:
/// its reads run on netstack's blocking pool.
pub(crate) fn blocking_reader(
    reader: Box<dyn std::io::Read + Send>,
) -> impl futures_io::AsyncRead + Send + Unpin + 'static {
    pooled::PooledReader::new(reader)
}

/// A reader to upload, which may wait long for its data (a pipe), for
/// async code: its reads run on a thread of its own.
pub(crate) fn waiting_reader(
    reader: Box<dyn std::io::Read + Send>,
) -> impl futures_io::AsyncRead + Send + Unpin + 'static {
    pooled::PooledReader::on_own_thread(reader)
}

fn data_response(parts: FetchParts) -> Result<FetchResponse> {
    if parts.body.is_some() {
        return Err(Error::Unsupported(
            "a data: URL cannot be uploaded to".to_string(),
        ));
    }
    let (media_type, body) = data::decode(parts.url.as_str())?;
    let length = body.len();
    let mut response = FetchResponse::new(parts.url, std::io::Cursor::new(body))
        .with_header(CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(&media_type) {
        response = response.with_header(CONTENT_TYPE, value);
    }
    Ok(response)
}

/// The `WebClient` conveniences, blocking: they fail on an HTTP error status.
impl Fetcher {
    /// The body of `url` as text.
    pub fn download_string(&self, url: impl IntoUrl) -> Result<String> {
        self.get(url).send()?.error_for_status()?.text()
    }

    /// The body of `url`.
    pub fn download_bytes(&self, url: impl IntoUrl) -> Result<Vec<u8>> {
        self.get(url).send()?.error_for_status()?.bytes()
    }

    /// Saves the body of `url` to `path` and returns its length. The file
    /// is written only once the response is known good.
    pub fn download_file(&self, url: impl IntoUrl, path: impl AsRef<Path>) -> Result<u64> {
        let mut response = self.get(url).send()?.error_for_status()?;
        let path = path.as_ref();
        let mut file = std::fs::File::create(path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        response.copy_to(&mut file)
    }

    /// Uploads `data` to `url` (HTTP `POST`, FTP `STOR`, a local file) and
    /// returns the response body.
    pub fn upload_bytes(
        &self,
        url: impl IntoUrl,
        data: impl Into<bytes::Bytes>,
    ) -> Result<Vec<u8>> {
        self.request(url)
            .body(data)
            .send()?
            .error_for_status()?
            .bytes()
    }

    /// Uploads the file at `path` to `url` (HTTP `PUT`, FTP `STOR`, a local
    /// copy) and returns the response body.
    pub fn upload_file(&self, url: impl IntoUrl, path: impl AsRef<Path>) -> Result<Vec<u8>> {
        self.request(url)
            .upload_file(path.as_ref())
            .send()?
            .error_for_status()?
            .bytes()
    }
}

/// The `WebClient` conveniences, asynchronous.
impl Fetcher {
    /// The body of `url` as text.
    pub async fn download_string_async(&self, url: impl IntoUrl) -> Result<String> {
        self.get(url)
            .send_async()
            .await?
            .error_for_status()?
            .text()
            .await
    }

    /// The body of `url`.
    pub async fn download_bytes_async(&self, url: impl IntoUrl) -> Result<Vec<u8>> {
        self.get(url)
            .send_async()
            .await?
            .error_for_status()?
            .bytes()
            .await
    }

    /// Saves the body of `url` to `path` and returns its length.
    pub async fn download_file_async(
        &self,
        url: impl IntoUrl,
        path: impl AsRef<Path>,
    ) -> Result<u64> {
        let mut response = self.get(url).send_async().await?.error_for_status()?;
        let path = path.as_ref();
        let file = std::fs::File::create(path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        // A local file's writes are short: they run on the task, as std's.
        response
            .copy_to(&mut futures_util::io::AllowStdIo::new(file))
            .await
    }

    /// Uploads `data` to `url` and returns the response body.
    pub async fn upload_bytes_async(
        &self,
        url: impl IntoUrl,
        data: impl Into<bytes::Bytes>,
    ) -> Result<Vec<u8>> {
        let response = self.request(url).body(data).send_async().await?;
        response.error_for_status()?.bytes().await
    }

    /// Uploads the file at `path` to `url` and returns the response body.
    pub async fn upload_file_async(
        &self,
        url: impl IntoUrl,
        path: impl AsRef<Path>,
    ) -> Result<Vec<u8>> {
        let response = self
            .request(url)
            .upload_file(path.as_ref())
            .send_async()
            .await?;
        response.error_for_status()?.bytes().await
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, StatusCode};

    use super::{honoured_resume, Error, Resume};

    const AT_10: Option<Resume> = Some(Resume {
        offset: 10,
        required: false,
    });
    const REQUIRED_AT_10: Option<Resume> = Some(Resume {
        offset: 10,
        required: true,
    });

    fn with(range: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_RANGE, range.parse().unwrap());
        headers
    }

    #[test]
    fn a_body_read_into_memory_stops_at_the_limit() {
        let small = super::Fetcher::builder().max_body_size(4).build();
        let err = small.download_bytes("data:,hello%20world").unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4 }), "{err}");
        assert_eq!(err.kind(), super::ErrorKind::TooLarge);
        let err = sockets::block_on(small.download_bytes_async("data:,hello")).unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4 }), "{err}");
        let enough = super::Fetcher::builder().max_body_size(5).build();
        assert_eq!(enough.download_bytes("data:,hello").unwrap(), b"hello");
    }

    #[test]
    fn a_resume_is_honoured_only_from_the_offset_asked_for() {
        let partial = StatusCode::PARTIAL_CONTENT;
        let resumed = honoured_resume(AT_10, partial, &with("bytes 10-99/100"));
        assert_eq!(resumed.unwrap(), Some(10));
        // A whole body: nothing to append to.
        let whole = honoured_resume(AT_10, StatusCode::OK, &with("bytes 0-99/100"));
        assert_eq!(whole.unwrap(), None);
        assert_eq!(
            honoured_resume(None, partial, &with("bytes 0-99/100")).unwrap(),
            None
        );
        for wrong in [
            "bytes 0-99/100",
            "bytes 11-99/100",
            "items 10-99/100",
            "bytes x-y/z",
        ] {
            assert!(
                matches!(
                    honoured_resume(AT_10, partial, &with(wrong)),
                    Err(Error::RangeMismatch { asked: 10, .. })
                ),
                "{wrong}"
            );
        }
        assert!(honoured_resume(AT_10, partial, &HeaderMap::new()).is_err());
    }

    #[test]
    fn a_required_resume_fails_when_the_server_sends_anything_but_the_range() {
        let partial = StatusCode::PARTIAL_CONTENT;
        let resumed = honoured_resume(REQUIRED_AT_10, partial, &with("bytes 10-99/100"));
        assert_eq!(resumed.unwrap(), Some(10));
        for status in [StatusCode::OK, StatusCode::NOT_FOUND] {
            let err = honoured_resume(REQUIRED_AT_10, status, &HeaderMap::new()).unwrap_err();
            assert!(
                matches!(err, Error::RangeIgnored { asked: 10, status: s } if s == status.as_u16()),
                "{err}"
            );
            assert_eq!(err.kind(), super::ErrorKind::Range);
            assert!(
                err.to_string().contains("does not support byte ranges"),
                "{err}"
            );
        }
        assert!(matches!(
            honoured_resume(REQUIRED_AT_10, partial, &with("bytes 0-99/100")),
            Err(Error::RangeMismatch { asked: 10, .. })
        ));
    }
}
