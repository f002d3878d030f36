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
use transport::tls::{TlsClientConfig, TlsServerConfig, TlsStream, Unmanaged};
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
        "/tls" => Response::new(describe_tls(request.extensions().get()).into()),
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
        "/tls" => AsyncResponse::new(describe_tls(request.extensions().get()).into()),
        "/panic" => panic!("the handler panics (on purpose)"),
        "/no-content" => with_status(204, "ignored".into()),
        _ => with_status(404, "not found".into()),
    }
}

/// What the handler learns of the TLS session (for `/tls`).
fn describe_tls(info: Option<&ConnectionInfo>) -> String {
    let Some(session) = info.and_then(|info| info.tls_session.as_ref()) else {
        return "no TLS session".into();
    };
    format!(
        "sni={:?} alpn={:?} chain={} client={:?}",
        session.server_name,
        session.alpn.as_deref().map(String::from_utf8_lossy),
        session.client_certificates.len(),
        session.client_certificate().map(|c| c.dns_names),
    )
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

mod curl_clients;
mod hostile;
mod lifecycle;
mod wire;
