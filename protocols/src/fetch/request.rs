//! A fetch request: [`FetchRequest`] (the builder) and [`FetchParts`] (what
//! a scheme handler receives).

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use url::Url;

use crate::fetch::error::{Error, Result};
use crate::fetch::response::{AsyncFetchResponse, FetchResponse};
use crate::fetch::Fetcher;
use crate::http::client::Multipart;

/// What is uploaded: bytes in memory, a local file streamed from disk, or
/// a reader streamed once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UploadBody {
    /// These bytes.
    Bytes(Bytes),
    /// The contents of this file.
    File(PathBuf),
    /// A `multipart/form-data` form (HTTP only).
    Form(Multipart),
    /// What this reader gives, until its end (HTTP sends it chunked).
    Reader(UploadReader),
}

/// A reader to upload from ([`FetchRequest::upload_reader`]). It can be
/// taken once: a clone shares it, and a scheme handler that takes it a
/// second time gets an error instead of an empty upload.
#[derive(Clone)]
pub struct UploadReader(Arc<Mutex<Option<Box<dyn Read + Send>>>>);

impl UploadReader {
    /// The reader, the first time; an error after.
    pub fn take(&self) -> Result<Box<dyn Read + Send>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                Error::Unsupported(
                    "the upload comes from a reader, which was read once already and cannot \
                     be sent again"
                        .to_string(),
                )
            })
    }
}

impl std::fmt::Debug for UploadReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadReader")
    }
}

/// A form goes to HTTP servers only.
pub(crate) fn form_refused(scheme: &str) -> Error {
    Error::Unsupported(format!(
        "a multipart form can be sent to http and https URLs only, not to {scheme}: URLs"
    ))
}

/// A user name and password (from the request, or from the URL's userinfo).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password, if any.
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A request as a scheme handler receives it, the URL parsed and checked.
#[derive(Debug)]
#[non_exhaustive]
pub struct FetchParts {
    /// The URL.
    pub url: Url,
    /// The method (`GET` unless set; `POST` with a body, `PUT` for a file upload).
    pub method: Method,
    /// Extra header fields (HTTP) or metadata for the handler.
    pub headers: HeaderMap,
    /// What to upload, if anything.
    pub body: Option<UploadBody>,
    /// Credentials given with the request (the URL's own userinfo is in `url`).
    pub credentials: Option<Credentials>,
    /// The overall time limit, if one was set.
    pub timeout: Option<Duration>,
    /// Fetch from this byte offset on (resume a download).
    pub resume_from: Option<u64>,
    /// True when a resume that the server does not honour is an error
    /// (see [`FetchRequest::require_resume`]).
    pub resume_required: bool,
    /// HTTP header names sent in no form, not even the client's default
    /// (see [`FetchRequest::without_header`]).
    pub omitted_headers: Vec<HeaderName>,
    /// True when HTTP redirects keep the method (see
    /// [`FetchRequest::keep_method_on_redirect`]).
    pub keep_method_on_redirect: bool,
    /// True when an HTTP body waits for `100 Continue` (see
    /// [`FetchRequest::expect_continue`]).
    pub expect_continue: bool,
}

impl FetchParts {
    /// The credentials of the request, else those in the URL (percent-decoded).
    pub fn credentials(&self) -> Option<Credentials> {
        if let Some(given) = &self.credentials {
            return Some(given.clone());
        }
        if self.url.username().is_empty() {
            return None;
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Some(Credentials {
            user: decode(self.url.username()),
            password: self.url.password().map(decode),
        })
    }
}

/// A fetch being built: from [`Fetcher::request`] or the shortcuts
/// ([`Fetcher::get`]). Errors in the URL or a header are kept and returned
/// by [`send`](FetchRequest::send).
#[must_use]
pub struct FetchRequest {
    fetcher: Fetcher,
    parts: Result<FetchParts>,
    method_set: bool,
}

impl std::fmt::Debug for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRequest")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

/// Parses a URL to fetch; a relative or malformed one is an `InvalidUrl` error.
pub(crate) fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url.trim()).map_err(|e| Error::invalid_url(url, e))
}

impl FetchRequest {
    pub(crate) fn new(fetcher: Fetcher, url: &str) -> FetchRequest {
        FetchRequest {
            fetcher,
            parts: parse_url(url).map(|url| FetchParts {
                url,
                method: Method::GET,
                headers: HeaderMap::new(),
                body: None,
                credentials: None,
                timeout: None,
                resume_from: None,
                resume_required: false,
                omitted_headers: Vec::new(),
                keep_method_on_redirect: false,
                expect_continue: false,
            }),
            method_set: false,
        }
    }

    fn with(mut self, f: impl FnOnce(&mut FetchParts) -> Result<()>) -> FetchRequest {
        if let Ok(parts) = &mut self.parts {
            if let Err(e) = f(parts) {
                self.parts = Err(e);
            }
        }
        self
    }

    /// The method (HTTP only; other schemes download, or upload when there is a body).
    pub fn method(mut self, method: Method) -> FetchRequest {
        self.method_set = true;
        self.with(|p| {
            p.method = method;
            Ok(())
        })
    }

    /// Adds a header field (`Name: value` is validated here).
    pub fn header(self, name: &str, value: &str) -> FetchRequest {
        self.with(|p| {
            let header = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|e| Error::Unsupported(format!("header name {name:?}: {e}")))?;
            let value = HeaderValue::from_str(value.trim())
                .map_err(|e| Error::Unsupported(format!("header {name}: {e}")))?;
            p.omitted_headers.retain(|omitted| *omitted != header);
            p.headers.append(header, value);
            Ok(())
        })
    }

    /// Sends the HTTP request without a header field of this name: neither
    /// a value set before nor the client's default (`Host`, `User-Agent`,
    /// `Accept`, …) is sent; a later [`header`](Self::header) of the name
    /// sends that value. curl's `-H "Name:"`. See
    /// [`RequestBuilder::without_header`](crate::http::client::RequestBuilder::without_header)
    /// for `Host` (then none is sent) and the framing fields (which cannot
    /// be omitted).
    pub fn without_header(self, name: &str) -> FetchRequest {
        self.with(|p| {
            let header = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|e| Error::Unsupported(format!("header name {name:?}: {e}")))?;
            p.headers.remove(&header);
            if !p.omitted_headers.contains(&header) {
                p.omitted_headers.push(header);
            }
            Ok(())
        })
    }

    /// Whether HTTP redirects keep the method (curl's `-X`): off by
    /// default, when a `303` (and a `301`/`302` of a `POST`) turns the
    /// request into a `GET`. See
    /// [`RequestBuilder::keep_method_on_redirect`](crate::http::client::RequestBuilder::keep_method_on_redirect).
    pub fn keep_method_on_redirect(self, keep: bool) -> FetchRequest {
        self.with(|p| {
            p.keep_method_on_redirect = keep;
            Ok(())
        })
    }

    /// Uploads these bytes (HTTP `POST` unless a method is set; FTP `STOR`; writes a local file).
    pub fn body(self, body: impl Into<Bytes>) -> FetchRequest {
        let method_set = self.method_set;
        self.with(|p| {
            p.body = Some(UploadBody::Bytes(body.into()));
            if !method_set {
                p.method = Method::POST;
            }
            Ok(())
        })
    }

    /// Sends `value` as a JSON body (HTTP `POST` unless a method is set),
    /// with `Content-Type: application/json` unless one was set (the
    /// `json` feature). A value that cannot be serialised fails the fetch.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> FetchRequest {
        let body = serde_json::to_vec(value);
        let method_set = self.method_set;
        self.with(|p| {
            let body = body.map_err(|e| {
                Error::Unsupported(format!("the body cannot be written as JSON: {e}"))
            })?;
            p.body = Some(UploadBody::Bytes(body.into()));
            if !method_set {
                p.method = Method::POST;
            }
            if !p.headers.contains_key(http::header::CONTENT_TYPE) {
                p.headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            Ok(())
        })
    }

    /// Posts a `multipart/form-data` form (HTTP `POST` unless a method is
    /// set; http and https URLs only), like `curl -F`.
    pub fn multipart(self, form: Multipart) -> FetchRequest {
        let method_set = self.method_set;
        self.with(|p| {
            p.body = Some(UploadBody::Form(form));
            if !method_set {
                p.method = Method::POST;
            }
            Ok(())
        })
    }

    /// Uploads a local file, streamed (HTTP `PUT` unless a method is set, like `curl -T`).
    pub fn upload_file(self, path: impl Into<PathBuf>) -> FetchRequest {
        let method_set = self.method_set;
        self.with(|p| {
            p.body = Some(UploadBody::File(path.into()));
            if !method_set {
                p.method = Method::PUT;
            }
            Ok(())
        })
    }

    /// Uploads what `reader` gives until its end, streamed (HTTP `PUT`
    /// unless a method is set, sent chunked, like `curl -T -`; FTP `STOR`;
    /// a local file). The reader is read once: an HTTP redirect that
    /// would send the body again is not followed (the redirect is the
    /// response), and a connection that breaks once the body went out is
    /// not retried. With [`expect_continue`](Self::expect_continue), a
    /// redirect or a broken connection before `100 Continue` still takes
    /// it along, unread. An asynchronous send reads it on a thread of its
    /// own (started with the first read, ended with the upload), so a
    /// reader that waits long for its data (a pipe) holds none of
    /// netstack's blocking pool, which name lookups and file reads share.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("netstack-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let target = dir.join("from-a-reader.txt");
    /// let url = netstack::url::Url::from_file_path(&target).unwrap();
    /// netstack::protocols::fetch::Fetcher::new()
    ///     .request(url.as_str())
    ///     .upload_reader(std::io::Cursor::new(b"streamed".to_vec()))
    ///     .send()?;
    /// assert_eq!(std::fs::read(&target)?, b"streamed");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upload_reader(self, reader: impl Read + Send + 'static) -> FetchRequest {
        let method_set = self.method_set;
        let reader = UploadReader(Arc::new(Mutex::new(Some(Box::new(reader)))));
        self.with(|p| {
            p.body = Some(UploadBody::Reader(reader));
            if !method_set {
                p.method = Method::PUT;
            }
            Ok(())
        })
    }

    /// Sends an HTTP body only after the server said `100 Continue` (or
    /// after [`FetcherBuilder::expect_continue_timeout`](super::FetcherBuilder::expect_continue_timeout)
    /// with no answer), so a server that refuses the request does so before
    /// the body goes out; see
    /// [`RequestBuilder::expect_continue`](crate::http::client::RequestBuilder::expect_continue).
    /// Off by default. curl turns it on for bodies over 1 MiB or of unknown
    /// length, and `netstack fetch` does the same.
    pub fn expect_continue(self, on: bool) -> FetchRequest {
        self.with(|p| {
            p.expect_continue = on;
            Ok(())
        })
    }

    /// A user name and password (HTTP basic auth; FTP login).
    pub fn credentials(self, user: &str, password: Option<&str>) -> FetchRequest {
        self.with(|p| {
            p.credentials = Some(Credentials {
                user: user.to_string(),
                password: password.map(str::to_string),
            });
            Ok(())
        })
    }

    /// An overall time limit for this fetch (the transfer included).
    pub fn timeout(self, timeout: Duration) -> FetchRequest {
        self.with(|p| {
            p.timeout = Some(timeout);
            Ok(())
        })
    }

    /// Fetches from byte `offset` on (HTTP `Range`, FTP `REST`, a seek in a
    /// local file). Check [`FetchResponse::resumed_from`]: a server may send
    /// the whole resource instead.
    pub fn resume_from(self, offset: u64) -> FetchRequest {
        self.with(|p| {
            p.resume_from = Some(offset);
            Ok(())
        })
    }

    /// Makes a resume that the server does not honour an error (as curl's
    /// `-C` does): an HTTP answer other than `206` with the range asked
    /// for is [`Error::RangeIgnored`] (a `206` from another offset is
    /// [`Error::RangeMismatch`] in any case), so nothing of the whole
    /// resource is taken for the rest of a file. Off by default, when a
    /// `200` with the whole resource is the answer and
    /// [`FetchResponse::resumed_from`] is `None`.
    pub fn require_resume(self, required: bool) -> FetchRequest {
        self.with(|p| {
            p.resume_required = required;
            Ok(())
        })
    }

    /// Fetches, blocking.
    pub fn send(self) -> Result<FetchResponse> {
        self.fetcher.dispatch(self.parts?)
    }

    /// Fetches, asynchronously.
    pub async fn send_async(self) -> Result<AsyncFetchResponse> {
        self.fetcher.dispatch_async(self.parts?).await
    }
}
