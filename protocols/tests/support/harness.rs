//! A test harness that runs one test body with either client: requests
//! described as data, responses read whole.

use std::time::Duration;
use testkit::Mode;

use http::{HeaderMap, Method, StatusCode};
use protocols::http::client::{
    AsyncClient, AsyncResponse, Body, Client, ClientBuilder, RequestBuilder, Response, Timings,
};
use protocols::http::Error;
use url::Url;

testkit::executor_block_on!(sockets::block_on);

pub enum TestClient {
    Sync(Client),
    Async(AsyncClient),
}

#[derive(Default)]
pub enum ReqBody {
    #[default]
    None,
    Bytes(Vec<u8>),
    Stream(Vec<u8>),
    StreamWithLength(Vec<u8>),
    /// A multipart form: a text field `a=1` and this file as `f`.
    FormWithFile(std::path::PathBuf),
}

pub struct Req {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: ReqBody,
    pub expect: bool,
    pub timeout: Option<Duration>,
    pub basic: Option<(String, String)>,
    pub form: Option<Vec<(String, String)>>,
    /// Header names sent in no form (`without_header`).
    pub omit: Vec<&'static str>,
    /// `keep_method_on_redirect(true)`.
    pub keep_method: bool,
}

impl Req {
    pub fn new(method: Method, url: impl Into<String>) -> Req {
        Req {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: ReqBody::None,
            expect: false,
            timeout: None,
            basic: None,
            form: None,
            omit: Vec::new(),
            keep_method: false,
        }
    }

    pub fn get(url: impl Into<String>) -> Req {
        Req::new(Method::GET, url)
    }

    pub fn post(url: impl Into<String>, body: &[u8]) -> Req {
        Req::new(Method::POST, url).body(ReqBody::Bytes(body.to_vec()))
    }

    pub fn body(mut self, body: ReqBody) -> Req {
        self.body = body;
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Req {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// A response read whole; the body's own error kept apart from the head's.
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub url: Url,
    pub timings: Timings,
    pub body: Result<Vec<u8>, Error>,
}

impl Got {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body.as_ref().expect("body")).into_owned()
    }
}

/// A tiny `futures_io::AsyncRead` over bytes, yielding at most 1000 at a time.
pub struct AsyncBytes(pub Vec<u8>, pub usize);

impl futures_io::AsyncRead for AsyncBytes {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let at = self.1;
        let n = buf.len().min(self.0.len() - at).min(1000);
        buf[..n].copy_from_slice(&self.0[at..at + n]);
        self.1 += n;
        std::task::Poll::Ready(Ok(n))
    }
}

pub fn apply<C>(mut rb: RequestBuilder<C>, req: Req, mode: Mode) -> RequestBuilder<C> {
    for (name, value) in req.headers {
        rb = rb.header(name, value);
    }
    for name in req.omit {
        rb = rb.without_header(name);
    }
    if req.keep_method {
        rb = rb.keep_method_on_redirect(true);
    }
    if let Some((user, password)) = &req.basic {
        rb = rb.basic_auth(user, Some(password));
    }
    if let Some(form) = &req.form {
        rb = rb.form(form);
    }
    if req.expect {
        rb = rb.expect_continue();
    }
    if let Some(timeout) = req.timeout {
        rb = rb.timeout(timeout);
    }
    match req.body {
        ReqBody::None => rb,
        ReqBody::Bytes(b) => rb.body(b),
        ReqBody::Stream(b) => match mode {
            Mode::Sync => rb.body(Body::from_reader(std::io::Cursor::new(b))),
            Mode::Async => rb.body(Body::from_async_reader(AsyncBytes(b, 0))),
        },
        ReqBody::FormWithFile(path) => rb.multipart(
            protocols::http::client::Multipart::new()
                .text("a", "1")
                .file("f", path),
        ),
        ReqBody::StreamWithLength(b) => {
            let len = b.len() as u64;
            match mode {
                Mode::Sync => rb.body(Body::from_reader_with_length(std::io::Cursor::new(b), len)),
                Mode::Async => rb.body(Body::from_async_reader_with_length(AsyncBytes(b, 0), len)),
            }
        }
    }
}

pub fn got_sync(response: Response) -> Got {
    let (status, headers, url) = (
        response.status(),
        response.headers().clone(),
        response.url().clone(),
    );
    let mut response = response;
    let mut body = Vec::new();
    let mut buf = [0u8; 8192];
    let body = loop {
        match response.read_body(&mut buf) {
            Ok(0) => break Ok(body),
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    Got {
        status,
        headers,
        url,
        timings: response.timings(),
        body,
    }
}

pub async fn got_async(mut response: AsyncResponse) -> Got {
    let (status, headers, url) = (
        response.status(),
        response.headers().clone(),
        response.url().clone(),
    );
    let mut body = Vec::new();
    let mut buf = [0u8; 8192];
    let body = loop {
        match response.read_body(&mut buf).await {
            Ok(0) => break Ok(body),
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    Got {
        status,
        headers,
        url,
        timings: response.timings(),
        body,
    }
}

impl TestClient {
    pub fn new(mode: Mode, builder: ClientBuilder) -> TestClient {
        match mode {
            Mode::Sync => TestClient::Sync(builder.build()),
            Mode::Async => TestClient::Async(builder.build_async()),
        }
    }

    /// Bounded defaults for tests: 5 s per read or write, 30 s per request.
    pub fn bounded(mode: Mode) -> TestClient {
        TestClient::new(mode, bounded())
    }

    pub fn send(&self, req: Req) -> Result<Got, Error> {
        match self {
            TestClient::Sync(client) => {
                let rb = apply(
                    client.request(req.method.clone(), &req.url),
                    req,
                    Mode::Sync,
                );
                rb.send().map(got_sync)
            }
            TestClient::Async(client) => {
                let rb = apply(
                    client.request(req.method.clone(), &req.url),
                    req,
                    Mode::Async,
                );
                block_on(async move {
                    match rb.send().await {
                        Ok(response) => Ok(got_async(response).await),
                        Err(e) => Err(e),
                    }
                })
            }
        }
    }

    pub fn get(&self, url: &str) -> Result<Got, Error> {
        self.send(Req::get(url))
    }

    /// Sends a request and drops the response without reading its body.
    pub fn send_head_only(&self, req: Req) -> Result<StatusCode, Error> {
        match self {
            TestClient::Sync(client) => apply(
                client.request(req.method.clone(), &req.url),
                req,
                Mode::Sync,
            )
            .send()
            .map(|r| r.status()),
            TestClient::Async(client) => {
                let rb = apply(
                    client.request(req.method.clone(), &req.url),
                    req,
                    Mode::Async,
                );
                block_on(async move { rb.send().await.map(|r| r.status()) })
            }
        }
    }

    pub fn idle(&self) -> usize {
        match self {
            TestClient::Sync(c) => c.idle_connections(),
            TestClient::Async(c) => c.idle_connections(),
        }
    }
}

pub fn bounded() -> ClientBuilder {
    Client::builder()
        .read_timeout(Some(Duration::from_secs(5)))
        .write_timeout(Some(Duration::from_secs(5)))
        .connect_timeout(Some(Duration::from_secs(5)))
        .timeout(Some(Duration::from_secs(30)))
}
