//! The HTTP/1.1 server against real clients on loopback: `curl` (installed
//! with Debian) and raw sockets sending crafted bytes. Every case runs
//! against the synchronous and the asynchronous server; every wait is bounded.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use testkit::{both_modes, Mode};

use http::StatusCode;
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, ConnectionInfo, HttpServer,
    Request, Response, ResponseBody, ServerConfig, ShutdownHandle, ShutdownReport,
};
use protocols::http::{parse_response_head, BodyDecoder, BodyLength, Limits, ResponseHead};
use transport::tls::TlsServerConfig;
use transport::TcpListener;

testkit::executor_block_on!(sockets::block_on);

// ---------------------------------------------------------------------------
// The application both servers run.

/// A body in ten pieces, so a streamed response has several chunks.
struct Pieces {
    next: usize,
}

impl Pieces {
    fn text() -> String {
        (0..10).map(|i| format!("piece{i};")).collect()
    }

    fn fill(&mut self, buf: &mut [u8]) -> usize {
        if self.next == 10 {
            return 0;
        }
        let piece = format!("piece{};", self.next);
        self.next += 1;
        buf[..piece.len()].copy_from_slice(piece.as_bytes());
        piece.len()
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.fill(buf))
    }
}

impl futures_io::AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(self.fill(buf)))
    }
}

fn query_ms(uri: &http::Uri) -> u64 {
    uri.query()
        .and_then(|q| q.strip_prefix("ms="))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0)
}

fn with_status<B>(status: u16, body: B) -> http::Response<B> {
    let mut response = http::Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
}

fn sync_app(mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/hello" => Response::new("hello world".into()),
        "/echo" => match request.body_mut().read_all(u64::MAX) {
            Ok(body) => Response::new(body.into()),
            Err(e) => with_status(500, e.to_string().into()),
        },
        "/echo-stream" => Response::new(ResponseBody::from_reader(request.into_body())),
        "/stream" => Response::new(ResponseBody::from_reader(Pieces { next: 0 })),
        "/slow" => {
            std::thread::sleep(Duration::from_millis(query_ms(request.uri())));
            Response::new("slow done".into())
        }
        "/peer" => {
            let info = request.extensions().get::<ConnectionInfo>().unwrap();
            Response::new(format!("{};", info.remote.unwrap().port()).into())
        }
        "/panic" => panic!("the handler panics (on purpose)"),
        "/no-content" => with_status(204, "ignored".into()),
        _ => with_status(404, "not found".into()),
    }
}

async fn async_app(mut request: AsyncRequest) -> AsyncResponse {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/hello" => AsyncResponse::new("hello world".into()),
        "/echo" => match request.body_mut().read_all_async(u64::MAX).await {
            Ok(body) => AsyncResponse::new(body.into()),
            Err(e) => with_status(500, e.to_string().into()),
        },
        "/echo-stream" => AsyncResponse::new(AsyncResponseBody::from_reader(request.into_body())),
        "/stream" => AsyncResponse::new(AsyncResponseBody::from_reader(Pieces { next: 0 })),
        "/slow" => {
            sockets::sleep(Duration::from_millis(query_ms(request.uri()))).await;
            AsyncResponse::new("slow done".into())
        }
        "/peer" => {
            let info = request.extensions().get::<ConnectionInfo>().unwrap();
            AsyncResponse::new(format!("{};", info.remote.unwrap().port()).into())
        }
        "/panic" => panic!("the handler panics (on purpose)"),
        "/no-content" => with_status(204, "ignored".into()),
        _ => with_status(404, "not found".into()),
    }
}

// ---------------------------------------------------------------------------
// Servers under test.

struct TestServer {
    addr: SocketAddr,
    handle: ShutdownHandle,
    sync: Option<HttpServer>,
    thread: Option<JoinHandle<()>>,
    tls: bool,
}

impl TestServer {
    fn start(mode: Mode, config: ServerConfig) -> TestServer {
        let tls = config.get_tls().is_some();
        let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
        match mode {
            Mode::Sync => {
                let server = HttpServer::start(listener, config, sync_app).unwrap();
                TestServer {
                    addr: server.local_endpoint().as_ip().unwrap(),
                    handle: server.shutdown_handle(),
                    sync: Some(server),
                    thread: None,
                    tls,
                }
            }
            Mode::Async => {
                let server = AsyncHttpServer::new(listener, config).unwrap();
                let addr = server.local_endpoint().as_ip().unwrap();
                let handle = server.shutdown_handle();
                let thread = std::thread::spawn(move || block_on(server.serve(async_app)));
                TestServer {
                    addr,
                    handle,
                    sync: None,
                    thread: Some(thread),
                    tls,
                }
            }
        }
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }

    fn shutdown(mut self) -> ShutdownReport {
        self.stop()
    }

    fn stop(&mut self) -> ShutdownReport {
        let report = match self.sync.take() {
            Some(server) => server.shutdown(),
            None => self.handle.shutdown(),
        };
        if let Some(thread) = self.thread.take() {
            // The serve future ends once the shutdown has finished.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !thread.is_finished() {
                assert!(Instant::now() < deadline, "the serve future did not end");
                std::thread::sleep(Duration::from_millis(10));
            }
            thread.join().unwrap();
        }
        report
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.sync.is_some() || self.thread.is_some() {
            self.stop();
        }
    }
}

fn quick_config() -> ServerConfig {
    ServerConfig::default().shutdown_grace(Duration::from_secs(5))
}

// ---------------------------------------------------------------------------
// Clients.

fn curl(args: &[&str]) -> Output {
    let curl = PathBuf::from("/usr/bin/curl");
    assert!(
        curl.exists(),
        "these tests need curl at /usr/bin/curl (Debian: apt-get install curl)"
    );
    Command::new(curl)
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(args)
        .output()
        .expect("run curl")
}

fn curl_ok(args: &[&str]) -> Vec<u8> {
    let output = curl(args);
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// One response read off a raw connection.
#[derive(Debug)]
struct RawResponse {
    head: ResponseHead,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// Parses the responses in `bytes`, in order; `methods` says which
/// requests they answer (HEAD responses have no body).
fn parse_responses(mut bytes: &[u8], methods: &[&str]) -> Vec<RawResponse> {
    let mut responses = Vec::new();
    for method in methods {
        let (head, len) = parse_response_head(bytes, &Limits::default())
            .unwrap()
            .unwrap_or_else(|| panic!("incomplete head in {:?}", String::from_utf8_lossy(bytes)));
        bytes = &bytes[len..];
        let length = protocols::http::response_body_length(
            &method.parse().unwrap(),
            head.status,
            &head.headers,
        )
        .unwrap();
        let mut decoder = BodyDecoder::new(length, Limits::default());
        let mut body = Vec::new();
        while !decoder.is_done() {
            let step = decoder.decode(bytes).unwrap();
            body.extend_from_slice(step.data);
            bytes = &bytes[step.consumed..];
            if step.consumed == 0 && !decoder.is_done() {
                if length == BodyLength::UntilClose {
                    decoder.finish_at_eof().unwrap();
                } else {
                    panic!("a body is cut short");
                }
            }
        }
        responses.push(RawResponse { head, body });
    }
    assert!(
        bytes.is_empty(),
        "unexpected bytes: {:?}",
        String::from_utf8_lossy(bytes)
    );
    responses
}

/// Reads until the server closes the connection (bounded by the read timeout).
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            // A reset after the response still counts as closed.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!(
                "reading until the server closes: {e} (got {:?})",
                String::from_utf8_lossy(&all)
            ),
        }
    }
}

/// Sends `request` on a new connection and returns everything until close.
fn exchange(server: &TestServer, request: &[u8]) -> Vec<u8> {
    let mut stream = server.connect();
    stream.write_all(request).unwrap();
    read_to_close(&mut stream)
}

fn status_of(reply: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(reply);
    assert!(text.starts_with("HTTP/1.1 "), "not a response: {text:?}");
    text[9..12].parse().unwrap()
}

fn test_file(name: &str, bytes: &[u8]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "netstack-http-server-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

both_modes!(
    curl_get,
    curl_post_with_body,
    curl_chunked_request_body,
    curl_reuses_one_connection_for_several_urls,
    curl_head,
    curl_expect_continue,
    curl_streamed_response,
    pipelined_requests_are_answered_in_order,
    head_204_and_streaming_framing_on_the_wire,
    slowloris_is_cut_off_and_others_are_served,
    idle_keep_alive_connections_are_closed,
    malformed_requests_get_their_status_and_close,
    malformed_requests_over_tls_get_their_status_and_close,
    oversized_bodies_get_413,
    a_stalled_body_gets_408,
    sequential_keep_alive_requests_do_not_stall,
    a_new_connection_during_shutdown_gets_its_first_request_answered,
    a_panicking_handler_gets_500_and_the_server_carries_on,
    graceful_shutdown_finishes_in_flight_requests,
    http_1_0_clients,
    tls_with_curl,
);

// ---------------------------------------------------------------------------
// curl.

fn curl_get(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--include", &server.url("/hello")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-length: 11\r\n"), "{text}");
    assert!(text.contains("date: "), "{text}");
    assert!(text.ends_with("\r\n\r\nhello world"), "{text}");
    let out = curl(&["--include", &server.url("/missing")]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/1.1 404"));
}

fn curl_post_with_body(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(300_000);
    let file = test_file("post", &body);
    let out = curl_ok(&[
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(out == body, "the echo differs ({} bytes)", out.len());
    let out = curl_ok(&["--data-binary", "short body", &server.url("/echo-stream")]);
    assert_eq!(out, b"short body");
    std::fs::remove_file(file).unwrap();
}

fn curl_chunked_request_body(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(200_000);
    let file = test_file("chunked", &body);
    for path in ["/echo", "/echo-stream"] {
        let out = curl_ok(&[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            &format!("@{}", file.display()),
            &server.url(path),
        ]);
        assert!(
            out == body,
            "{path}: the echo differs ({} bytes)",
            out.len()
        );
    }
    std::fs::remove_file(file).unwrap();
}

fn curl_reuses_one_connection_for_several_urls(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let url = server.url("/peer");
    let out = curl_ok(&["--verbose", &url, &url, &url, &url]);
    let text = String::from_utf8(out).unwrap();
    let ports: Vec<&str> = text.split(';').filter(|p| !p.is_empty()).collect();
    assert_eq!(ports.len(), 4, "{text}");
    assert!(
        ports.iter().all(|p| *p == ports[0]),
        "several connections: {text}"
    );
}

fn curl_head(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--head", &server.url("/hello")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-length: 11\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n"),
        "a HEAD response with a body: {text:?}"
    );
}

fn curl_expect_continue(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(50_000);
    let file = test_file("expect", &body);
    let started = Instant::now();
    let output = curl(&[
        "--verbose",
        "-H",
        "Expect: 100-continue",
        "--expect100-timeout",
        "5",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(output.status.success());
    assert!(output.stdout == body);
    let verbose = String::from_utf8_lossy(&output.stderr);
    assert!(verbose.contains("HTTP/1.1 100 Continue"), "{verbose}");
    // curl waited for the 100, not for its 5 s timeout.
    assert!(started.elapsed() < Duration::from_secs(4));
    std::fs::remove_file(file).unwrap();
}

fn curl_streamed_response(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--include", &server.url("/stream")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("transfer-encoding: chunked\r\n"), "{text}");
    assert!(
        text.ends_with(&format!("\r\n\r\n{}", Pieces::text())),
        "{text}"
    );
}

// ---------------------------------------------------------------------------
// Raw sockets.

fn pipelined_requests_are_answered_in_order(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst\
              HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n\
              GET /stream HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["GET", "POST", "HEAD", "POST", "GET", "GET"]);
    let bodies: Vec<&[u8]> = responses.iter().map(|r| r.body.as_slice()).collect();
    assert_eq!(
        bodies,
        [
            &b"slow done"[..],
            b"first",
            b"",
            b"second",
            Pieces::text().as_bytes(),
            b"hello world"
        ]
    );
    assert_eq!(responses[2].header("content-length"), Some("11"));
    assert_eq!(responses[5].header("connection"), Some("close"));
}

fn head_204_and_streaming_framing_on_the_wire(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream
        .write_all(
            b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n\
              HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["HEAD", "GET", "HEAD"]);
    assert_eq!(responses[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(responses[1].head.status, 204);
    assert_eq!(responses[1].header("content-length"), None);
    assert!(responses.iter().all(|r| r.body.is_empty()));
}

fn slowloris_is_cut_off_and_others_are_served(mode: Mode) {
    let head_timeout = Duration::from_secs(2);
    let config = quick_config().head_timeout(head_timeout);
    let server = TestServer::start(mode, config);
    let mut slow = server.connect();
    let started = Instant::now();
    let trickler = {
        let mut slow = slow.try_clone().unwrap();
        std::thread::spawn(move || {
            for byte in b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n" {
                if slow.write_all(std::slice::from_ref(byte)).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    // Others are served meanwhile, before the slow one is cut off.
    for _ in 0..3 {
        let reply = exchange(
            &server,
            b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_of(&reply), 200);
        assert!(started.elapsed() < head_timeout, "{:?}", started.elapsed());
    }
    let reply = read_to_close(&mut slow);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= head_timeout - Duration::from_millis(100)
            && elapsed < head_timeout + Duration::from_secs(3),
        "cut off after {elapsed:?}"
    );
    if !reply.is_empty() {
        assert_eq!(status_of(&reply), 408);
    }
    let _ = slow.shutdown(Shutdown::Both);
    trickler.join().unwrap();
    // A client that sends nothing at all is cut off too.
    let mut silent = server.connect();
    let started = Instant::now();
    let reply = read_to_close(&mut silent);
    assert!(reply.is_empty() || status_of(&reply) == 408);
    assert!(started.elapsed() < Duration::from_secs(3));
}

fn idle_keep_alive_connections_are_closed(mode: Mode) {
    let config = quick_config().idle_timeout(Duration::from_millis(500));
    let server = TestServer::start(mode, config);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let all = read_to_close(&mut stream);
    let elapsed = started.elapsed();
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
}

/// Requests RFC 9112 says a server must refuse, each with its status.
fn adversarial_requests() -> Vec<(&'static str, Vec<u8>, u16)> {
    let huge_header = format!(
        "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let many_lines: String = (0..2000).map(|i| format!("X-{i}: y\r\n")).collect();
    let many = format!("GET /hello HTTP/1.1\r\nHost: x\r\n{many_lines}\r\n");
    vec![
        ("bad request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        ("bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), 400),
        (
            "CL+TE",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "obs-fold",
            b"GET /hello HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n".to_vec(),
            400,
        ),
        ("bare CR", b"GET /hello HTTP/1.1\r\nHost: x\rY: z\r\n\r\n".to_vec(), 400),
        ("no Host", b"GET /hello HTTP/1.1\r\n\r\n".to_vec(), 400),
        (
            "two Content-Lengths",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "bad chunk size",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        ("head too large", huge_header.into_bytes(), 431),
        ("too many headers", many.into_bytes(), 431),
        (
            "gzip transfer coding",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec(),
            501,
        ),
        (
            "chunked not last",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n".to_vec(),
            400,
        ),
        (
            "chunked not last, over two lines",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n".to_vec(),
            400,
        ),
        (
            "chunk extension without a name",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nhi\r\n0\r\n\r\n".to_vec(),
            400,
        ),
    ]
}

fn malformed_requests_get_their_status_and_close(mode: Mode) {
    let config = quick_config().limits(Limits::default().max_head_size(8 * 1024));
    let server = TestServer::start(mode, config);
    for (name, request, status) in adversarial_requests() {
        let reply = exchange(&server, &request);
        assert_refused(name, &reply, status);
    }
    // Another protocol's bytes (a TLS ClientHello) are refused at once,
    // not after the head timeout: the reply comes while the client waits.
    let reply = exchange(&server, &[0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00]);
    assert_refused("TLS ClientHello", &reply, 400);
    // A malformed request after a good one on the same connection: the
    // good one is answered, then the error, then the close.
    let reply = exchange(
        &server,
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let responses = parse_responses(&reply, &["GET", "GET"]);
    assert_eq!(responses[0].head.status, 200);
    assert_eq!(responses[1].head.status, 400);
    // The server is still fine.
    assert_eq!(curl_ok(&[&server.url("/hello")]), b"hello world");
}

/// The same refusals from the TLS server (a slow or broken handshake is
/// no excuse to treat the request inside any differently).
fn malformed_requests_over_tls_get_their_status_and_close(mode: Mode) {
    let config = quick_config()
        .limits(Limits::default().max_head_size(8 * 1024))
        .tls(tls_config());
    let server = TestServer::start(mode, config);
    let client_config = transport::tls::TlsClientConfig::builder()
        .add_root_certificates_pem(&tls_certificate().cert)
        .system_roots(false)
        .build()
        .unwrap();
    for (name, request, status) in adversarial_requests() {
        let net = transport::TcpClient::connect("127.0.0.1", server.addr.port())
            .unwrap()
            .into_stream();
        net.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = transport::tls::TlsStream::client(&client_config, "localhost", net).unwrap();
        tls.write_all(&request).unwrap();
        tls.flush().unwrap();
        let mut reply = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match tls.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
                // A reset or a close without close_notify after the response.
                Err(_) => break,
            }
        }
        assert_refused(name, &reply, status);
    }
}

fn assert_refused(name: &str, reply: &[u8], status: u16) {
    assert!(!reply.is_empty(), "{name}: no response");
    assert_eq!(
        status_of(reply),
        status,
        "{name}: {:?}",
        String::from_utf8_lossy(reply)
    );
    let responses = parse_responses(reply, &["GET"]);
    assert_eq!(responses[0].header("connection"), Some("close"), "{name}");
}

fn oversized_bodies_get_413(mode: Mode) {
    let server = TestServer::start(mode, quick_config().max_body_size(1000));
    // Announced: refused before the handler runs.
    let reply = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
    );
    assert_eq!(status_of(&reply), 413);
    // Chunked: refused once the limit is passed, replacing the handler's response.
    let file = test_file("big", &pattern(5000));
    let output = curl(&[
        "--include",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // With Expect: 100-continue, refused without a 100.
    let output = curl(&[
        "--include",
        "--verbose",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("100 Continue"));
    // Within the limit: fine.
    let out = curl_ok(&["--data-binary", "small", &server.url("/echo")]);
    assert_eq!(out, b"small");
    std::fs::remove_file(file).unwrap();
}

fn sequential_keep_alive_requests_do_not_stall(mode: Mode) {
    // 2,000 request/response round trips on one connection; a Nagle or
    // delayed-ACK stall (40 ms each) would take over a minute.
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream.set_nodelay(true).unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    for i in 0..2000 {
        let request: &[u8] = if i % 2 == 0 {
            b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        } else {
            b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
        };
        stream.write_all(request).unwrap();
        let mut got = Vec::new();
        let end: &[u8] = if i % 2 == 0 {
            b"hello world"
        } else {
            b"0\r\n\r\n"
        };
        while !got.ends_with(end) {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {i} requests");
            got.extend_from_slice(&buf[..n]);
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "2,000 requests took {elapsed:?}"
    );
}

fn a_stalled_body_gets_408(mode: Mode) {
    let config = quick_config().body_timeout(Duration::from_millis(500));
    let server = TestServer::start(mode, config);
    let mut stream = server.connect();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .unwrap();
    let started = Instant::now();
    let reply = read_to_close(&mut stream);
    assert_eq!(
        status_of(&reply),
        408,
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}

fn a_new_connection_during_shutdown_gets_its_first_request_answered(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    // Connected (and accepted) before the shutdown; the request comes after.
    let mut late = server.connect();
    let mut busy = server.connect();
    busy.write_all(b"GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let handle = server.handle.clone();
    let shutting = std::thread::spawn(move || handle.shutdown());
    std::thread::sleep(Duration::from_millis(100));
    late.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let all = read_to_close(&mut late);
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert_eq!(responses[0].header("connection"), Some("close"));
    let all = read_to_close(&mut busy);
    assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    assert!(shutting.join().unwrap().graceful);
}

fn a_panicking_handler_gets_500_and_the_server_carries_on(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let reply = exchange(&server, b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&reply), 500);
    assert_eq!(curl_ok(&[&server.url("/hello")]), b"hello world");
}

fn graceful_shutdown_finishes_in_flight_requests(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let addr = server.addr;
    // An idle keep-alive connection.
    let mut idle = server.connect();
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert_eq!(status_of(&buf[..n]), 200);
    // An in-flight slow request.
    let mut busy = server.connect();
    busy.write_all(b"GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let started = Instant::now();
    let handle = server.handle.clone();
    let shutting = std::thread::spawn(move || handle.shutdown());
    // The idle connection is closed at once, long before the slow request
    // (2.7 s more to go) is done.
    let rest = read_to_close(&mut idle);
    assert!(rest.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // New connections are refused.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "a connection was accepted during shutdown"
    );
    // The in-flight request finishes, with Connection: close.
    let all = read_to_close(&mut busy);
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"slow done");
    assert_eq!(responses[0].header("connection"), Some("close"));
    let report = shutting.join().unwrap();
    assert!(report.graceful, "{report:?}");
    assert!(started.elapsed() < Duration::from_secs(6));
    let report = server.shutdown();
    assert!(report.graceful);
}

fn http_1_0_clients(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    // No keep-alive asked: closed after the response.
    let reply = exchange(&server, b"GET /hello HTTP/1.0\r\n\r\n");
    let responses = parse_responses(&reply, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert_eq!(responses[0].header("connection"), Some("close"));
    // A stream of unknown length: delimited by the close, never chunked.
    let reply = exchange(
        &server,
        b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&reply);
    assert!(!text.contains("transfer-encoding"), "{text}");
    assert!(text.ends_with(&Pieces::text()), "{text}");
    // Keep-alive asked: kept.
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["GET", "GET"]);
    assert_eq!(responses[0].header("connection"), Some("keep-alive"));
    assert_eq!(responses[1].header("connection"), Some("close"));
}

// ---------------------------------------------------------------------------
// TLS.

/// One certificate for the whole test binary, so clients can trust it.
fn tls_certificate() -> &'static testkit::cert::Pem {
    static CERT: std::sync::OnceLock<testkit::cert::Pem> = std::sync::OnceLock::new();
    CERT.get_or_init(|| testkit::cert::self_signed(&["localhost"]))
}

fn tls_config() -> TlsServerConfig {
    let cert = tls_certificate();
    TlsServerConfig::builder()
        .certificate_pem(&cert.cert, &cert.key)
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap()
}

fn tls_with_curl(mode: Mode) {
    let server = TestServer::start(mode, quick_config().tls(tls_config()));
    let url = server.url("/hello");
    assert!(url.starts_with("https://"));
    let out = curl_ok(&["--insecure", "--include", &url]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.ends_with("hello world"), "{text}");
    // A body, and several requests on one TLS connection.
    let body = pattern(100_000);
    let file = test_file("tls", &body);
    let out = curl_ok(&[
        "--insecure",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(out == body);
    let peer = server.url("/peer");
    let out = curl_ok(&["--insecure", &peer, &peer, &peer]);
    let text = String::from_utf8(out).unwrap();
    let ports: Vec<&str> = text.split(';').filter(|p| !p.is_empty()).collect();
    assert_eq!(ports.len(), 3);
    assert!(ports.iter().all(|p| *p == ports[0]), "{text}");
    // Plain HTTP to the TLS port fails cleanly; the server carries on.
    let mut plain = server.connect();
    plain
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = read_to_close(&mut plain);
    assert!(curl_ok(&["--insecure", &url]) == b"hello world");
    std::fs::remove_file(file).unwrap();
}

// ---------------------------------------------------------------------------
// Mode-specific.

#[test]
fn the_async_server_runs_many_connections_on_one_thread() {
    let server = TestServer::start(Mode::Async, quick_config());
    let started = Instant::now();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    for mut stream in clients {
        let all = read_to_close(&mut stream);
        assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    }
    // Concurrently, not one after another.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_async_server_answers_503_past_its_connection_cap() {
    let server = TestServer::start(Mode::Async, quick_config().max_connections(2));
    // Two connections that the server holds (a keep-alive request each).
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut reply = [0u8; 17];
            stream.read_exact(&mut reply).unwrap();
            assert_eq!(&reply, b"HTTP/1.1 200 OK\r\n");
            stream
        })
        .collect();
    // A third is told at once, not left waiting in the backlog.
    let mut third = server.connect();
    let reply = read_to_close(&mut third);
    assert_eq!(
        status_of(&reply),
        503,
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    assert!(String::from_utf8_lossy(&reply).contains("Retry-After: 1"));
    // Once a held connection ends, a new one is served again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = exchange(
            &server,
            b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if status_of(&reply) == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed slots were never taken again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_sync_server_bounds_its_workers_and_queue() {
    let config = quick_config().workers(2).max_queued_connections(1);
    let server = TestServer::start(Mode::Sync, config);
    // Two workers busy, one connection queued, the next refused with 503.
    let busy: Vec<_> = (0..3)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /slow?ms=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            std::thread::sleep(Duration::from_millis(100));
            stream
        })
        .collect();
    let reply = exchange(&server, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&reply), 503);
    for mut stream in busy {
        let all = read_to_close(&mut stream);
        assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    }
}

#[test]
fn shutdown_closes_what_is_left_after_the_grace_period() {
    for mode in [Mode::Sync, Mode::Async] {
        let server = TestServer::start(
            mode,
            ServerConfig::default().shutdown_grace(Duration::from_millis(300)),
        );
        let mut busy = server.connect();
        busy.write_all(b"GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let report = server.handle.shutdown();
        assert!(!report.graceful, "{mode:?}");
        assert_eq!(report.forced_connections, 1, "{mode:?}");
        let all = read_to_close(&mut busy);
        assert!(all.is_empty(), "{mode:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{mode:?}");
        drop(server);
    }
}

#[test]
fn the_async_server_runs_on_a_tokio_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    let server = AsyncHttpServer::new(listener, quick_config()).unwrap();
    let addr = server.local_endpoint().as_ip().unwrap();
    let handle = server.shutdown_handle();
    let serving = runtime.spawn(server.serve(async_app));
    let url = format!("http://{addr}/hello");
    assert_eq!(curl_ok(&[&url, &url]), b"hello worldhello world");
    let body = pattern(100_000);
    let file = test_file("tokio", &body);
    let out = curl_ok(&[
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{addr}/echo"),
    ]);
    assert!(out == body);
    let report = runtime.block_on(handle.shutdown_async());
    assert!(report.graceful);
    runtime.block_on(serving).unwrap();
    std::fs::remove_file(file).unwrap();
}

#[test]
fn the_async_server_runs_under_a_shared_arc_handler() {
    // The handler can hold state shared with the test.
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    let server = AsyncHttpServer::new(listener, quick_config()).unwrap();
    let addr = server.local_endpoint().as_ip().unwrap();
    let handle = server.shutdown_handle();
    let counter = Arc::clone(&hits);
    let serving = std::thread::spawn(move || {
        block_on(server.serve(move |_request: AsyncRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { AsyncResponse::new(format!("hit {n}").into()) }
        }))
    });
    let url = format!("http://{addr}/");
    assert_eq!(curl_ok(&[&url]), b"hit 1");
    assert_eq!(curl_ok(&[&url]), b"hit 2");
    assert!(handle.shutdown().graceful);
    serving.join().unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
