//! Building a request: [`RequestBuilder`], and the prepared request the drivers send.

use std::time::Duration;

use http::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE,
    TRANSFER_ENCODING,
};
use http::Method;
use url::Url;

use crate::http::client::auth::basic_auth_value;
use crate::http::client::body::{Body, BodyKind};
use crate::http::client::multipart::Multipart;
use crate::http::{Error, Result};

/// A request ready to send (one hop; redirects rewrite it).
#[derive(Debug)]
pub(crate) struct Prepared {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Body,
    /// True once a streamed body has been sent (it cannot be sent again).
    pub body_spent: bool,
    pub timeout: Option<Duration>,
    pub expect_continue: bool,
    /// Header names sent in no form: neither the caller's value nor the
    /// client's default (see [`RequestBuilder::without_header`]).
    pub omitted: Vec<HeaderName>,
    /// True when redirects keep the method (see [`RequestBuilder::keep_method_on_redirect`]).
    pub keep_method_on_redirect: bool,
}

impl Prepared {
    pub fn new(method: Method, url: Url) -> Prepared {
        Prepared {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            body_spent: false,
            timeout: None,
            expect_continue: false,
            omitted: Vec::new(),
            keep_method_on_redirect: false,
        }
    }

    /// The body for the next send: a copy when replayable, else the body itself (once).
    pub fn body_for_send(&mut self) -> Body {
        match self.body.try_clone() {
            Some(copy) => copy,
            None => {
                self.body_spent = true;
                std::mem::take(&mut self.body)
            }
        }
    }

    /// Puts back a streamed body that [`Prepared::body_for_send`] took and
    /// no byte of which was read (it waited for `100 Continue`, or the head
    /// could not be written), so a repeat, a redirect or a retry can send it.
    pub fn give_back(&mut self, unread: Option<BodyKind>) {
        if let Some(kind) = unread.filter(|_| self.body_spent) {
            self.body = Body { kind };
            self.body_spent = false;
        }
    }

    /// True when the request can be sent again (a retry, a redirect that
    /// keeps the body): its body is copied for each send, or is a streamed
    /// one that no send has read from.
    pub fn replayable(&self) -> bool {
        !self.body_spent
    }

    /// Checks what the URL and body allow before any I/O.
    pub fn validate(&self, async_mode: bool) -> Result<()> {
        match self.url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(Error::InvalidRequest(format!(
                    "the URL scheme {other:?} is not http or https"
                )))
            }
        }
        super::require_host(&self.url)?;
        match (&self.body.kind, async_mode) {
            (BodyKind::AsyncReader(..), false) => Err(Error::InvalidRequest(
                "a body from an async reader needs the AsyncClient".to_string(),
            )),
            (BodyKind::Reader(..), true) => Err(Error::InvalidRequest(
                "a body from a blocking reader needs the blocking Client (use Body::from_async_reader)"
                    .to_string(),
            )),
            _ => Ok(()),
        }
    }

    /// Omits the header `name` (see [`RequestBuilder::without_header`]).
    pub fn omit(&mut self, name: HeaderName) -> Result<()> {
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            return Err(Error::InvalidRequest(format!(
                "the {name} header cannot be omitted: the client frames the body with it"
            )));
        }
        self.headers.remove(&name);
        if !self.omitted.contains(&name) {
            self.omitted.push(name);
        }
        Ok(())
    }

    /// From an `http::Request` built elsewhere.
    pub fn from_http<B: Into<Body>>(request: http::Request<B>) -> Result<Prepared> {
        let (parts, body) = request.into_parts();
        let url = parse_url(&parts.uri.to_string())?;
        let mut prepared = Prepared::new(parts.method, url);
        prepared.headers = parts.headers;
        prepared.body = body.into();
        Ok(prepared)
    }
}

/// Parses an absolute `http`/`https` URL.
pub(crate) fn parse_url(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|e| Error::InvalidRequest(format!("URL {url:?}: {e}")))
}

/// A request being built for a [`Client`](super::Client) or an
/// [`AsyncClient`](super::AsyncClient); `send` sends it (blocking, or as a
/// future). Errors in what is given (a bad header, a bad URL) are kept
/// and reported by `send`, so the calls chain.
///
/// ```no_run
/// use netstack::protocols::http::client::Client;
/// let client = Client::new();
/// let response = client
///     .post("http://example.com/login")
///     .header("x-request-id", "42")
///     .basic_auth("user", Some("secret"))
///     .form(&[("a", "1"), ("b", "two words")])
///     .send()?;
/// println!("{}", response.status());
/// # Ok::<(), netstack::protocols::http::Error>(())
/// ```
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug)]
pub struct RequestBuilder<C> {
    pub(crate) client: C,
    pub(crate) request: Result<Prepared>,
}

impl<C> RequestBuilder<C> {
    pub(crate) fn new(client: C, method: Method, url: Result<Url>) -> RequestBuilder<C> {
        RequestBuilder {
            client,
            request: url.map(|url| Prepared::new(method, url)),
        }
    }

    pub(crate) fn from_prepared(client: C, request: Result<Prepared>) -> RequestBuilder<C> {
        RequestBuilder { client, request }
    }

    fn with(mut self, f: impl FnOnce(&mut Prepared) -> Result<()>) -> RequestBuilder<C> {
        if let Ok(request) = &mut self.request {
            if let Err(e) = f(request) {
                self.request = Err(e);
            }
        }
        self
    }

    /// Adds a header (appended: repeated names are all sent).
    pub fn header<K, V>(self, name: K, value: V) -> RequestBuilder<C>
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: std::fmt::Display,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: std::fmt::Display,
    {
        self.with(|r| {
            let name = HeaderName::try_from(name)
                .map_err(|e| Error::InvalidRequest(format!("header name: {e}")))?;
            let value = HeaderValue::try_from(value)
                .map_err(|e| Error::InvalidRequest(format!("header {name}: {e}")))?;
            r.omitted.retain(|omitted| *omitted != name);
            r.headers.append(name, value);
            Ok(())
        })
    }

    /// Sends the request without a header field of this name: the client's
    /// default (`Host`, `User-Agent`, `Accept`, `Accept-Encoding`, a
    /// default header of the client) is not added and a value set before
    /// is removed; a later [`header`](Self::header) of the name sends that
    /// value. curl's `-H "Name:"`.
    ///
    /// Omitting `Host` sends no `Host` field, as curl does: such a request
    /// is not valid HTTP/1.1 (RFC 9112 §3.2 requires `Host`) and a server
    /// may answer `400`; it is meant for testing servers. The framing
    /// fields (`Content-Length`, `Transfer-Encoding`) are the client's and
    /// cannot be omitted: asking for it is an [`Error::InvalidRequest`].
    pub fn without_header<K>(self, name: K) -> RequestBuilder<C>
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: std::fmt::Display,
    {
        self.with(|r| {
            let name = HeaderName::try_from(name)
                .map_err(|e| Error::InvalidRequest(format!("header name: {e}")))?;
            r.omit(name)
        })
    }

    /// Whether redirects keep the method (and body) of the request: off by
    /// default, when a `303` turns any method but `HEAD` into `GET` and a
    /// `301`/`302` turns `POST` into `GET`, dropping the body, as browsers
    /// do. On, every hop uses this request's method, as curl does with
    /// `-X`. The body follows the same rules as without it: a `303` (and a
    /// `301`/`302` of a `POST`) drops it; a `307`/`308`, and a `301`/`302`
    /// of another method, send it again (a streamed body cannot be: that
    /// redirect is then the response).
    pub fn keep_method_on_redirect(self, keep: bool) -> RequestBuilder<C> {
        self.with(|r| {
            r.keep_method_on_redirect = keep;
            Ok(())
        })
    }

    /// Adds these headers (replacing those of the same names).
    pub fn headers(self, headers: HeaderMap) -> RequestBuilder<C> {
        self.with(|r| {
            let mut last = None;
            for (name, value) in headers {
                let name = match name {
                    Some(n) => {
                        r.headers.remove(&n);
                        r.omitted.retain(|omitted| *omitted != n);
                        last = Some(n.clone());
                        n
                    }
                    None => last.clone().expect("HeaderMap yields a name first"),
                };
                r.headers.append(name, value);
            }
            Ok(())
        })
    }

    /// The body (bytes, text, or a reader: see [`Body`]).
    pub fn body(self, body: impl Into<Body>) -> RequestBuilder<C> {
        self.with(|r| {
            r.body = body.into();
            Ok(())
        })
    }

    /// An `application/x-www-form-urlencoded` body from name/value pairs.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> RequestBuilder<C> {
        self.with(|r| {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                form.append_pair(k.as_ref(), v.as_ref());
            }
            r.body = Body::from(form.finish());
            r.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            Ok(())
        })
    }

    /// A JSON body: `value` serialised with serde_json, and
    /// `Content-Type: application/json` unless a content type was set
    /// before (the `json` feature). A value that cannot be serialised (a
    /// map with keys that are not strings) fails the request with
    /// [`Error::InvalidRequest`].
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder<C> {
        self.with(|r| {
            let body = serde_json::to_vec(value).map_err(|e| {
                Error::InvalidRequest(format!("the body cannot be written as JSON: {e}"))
            })?;
            r.body = Body::from(body);
            if !r.headers.contains_key(CONTENT_TYPE) {
                r.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Ok(())
        })
    }

    /// A `multipart/form-data` body (see [`Multipart`]), with its
    /// `Content-Type`. A file part that cannot be read fails the request.
    pub fn multipart(self, form: Multipart) -> RequestBuilder<C> {
        self.with(|r| {
            let (body, content_type) = form
                .into_parts()
                .map_err(|e| Error::InvalidRequest(format!("multipart form: {e}")))?;
            r.body = body;
            r.headers.insert(CONTENT_TYPE, content_type);
            Ok(())
        })
    }

    /// Appends name/value pairs to the URL's query.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> RequestBuilder<C> {
        self.with(|r| {
            let mut query = r.url.query_pairs_mut();
            for (k, v) in pairs {
                query.append_pair(k.as_ref(), v.as_ref());
            }
            Ok(())
        })
    }

    /// `Authorization: Basic …` (otherwise the URL's userinfo is used, if any).
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> RequestBuilder<C> {
        self.with(|r| {
            r.headers
                .insert(AUTHORIZATION, basic_auth_value(user, password));
            Ok(())
        })
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: &str) -> RequestBuilder<C> {
        self.with(|r| {
            let mut value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|e| Error::InvalidRequest(format!("bearer token: {e}")))?;
            value.set_sensitive(true);
            r.headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    /// An overall deadline for this request (overrides [`ClientBuilder::timeout`](super::ClientBuilder::timeout)).
    pub fn timeout(self, timeout: Duration) -> RequestBuilder<C> {
        self.with(|r| {
            r.timeout = Some(timeout);
            Ok(())
        })
    }

    /// Sends `Expect: 100-continue` and waits for `100 Continue` (or a
    /// final response, or [`ClientBuilder::expect_continue_timeout`](super::ClientBuilder::expect_continue_timeout))
    /// before sending the body.
    ///
    /// A final response that comes first means the body was not sent, so
    /// even a streamed body can still go: a `417 Expectation Failed` sends
    /// the request again without the expectation (RFC 9110 §10.1.1), and a
    /// redirect that keeps the body takes it to the next URL.
    pub fn expect_continue(self) -> RequestBuilder<C> {
        self.with(|r| {
            r.expect_continue = true;
            Ok(())
        })
    }
}
