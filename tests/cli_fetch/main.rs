//! `netstack fetch` run as a process against servers on loopback: netstack's
//! own HTTP(S) server, crafted servers that misbehave on purpose, a forward
//! proxy, and a real FTP server (pyftpdlib); every flag and exit code the
//! command documents.

#[path = "../../protocols/tests/support/pyftpd.rs"]
mod pyftpd;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use netstack::protocols::http::server::{
    HttpServer, Request, Response, ResponseBody, ServerConfig,
};
use netstack::transport::tls::{ClientAuth, TlsServerConfig};
use testkit::TempDir;

/// Runs `netstack ARGS` in `dir`, killed (and the test failed) after 60 s.
fn netstack_in(dir: &Path, args: &[&str]) -> Output {
    run_in(env!("CARGO_BIN_EXE_netstack"), dir, args)
}

/// Runs `program ARGS` in `dir`, killed (and the test failed) after 60 s.
fn run_in(program: &str, dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn netstack(args: &[&str]) -> Output {
    netstack_in(&std::env::temp_dir(), args)
}

fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("exited, not killed by a signal")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `netstack fetch ARGS` and checks its exit code, showing stderr otherwise.
fn fetch_expect(expected: i32, args: &[&str]) -> Output {
    let mut all = vec!["fetch"];
    all.extend_from_slice(args);
    let output = netstack(&all);
    assert_eq!(
        code(&output),
        expected,
        "netstack {all:?}\nstdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    output
}

/// The path of `name` in `dir`, as a command-line argument.
fn arg_in(dir: &TempDir, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

fn big_body() -> Vec<u8> {
    (0..2_000_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
    http::Response::builder()
        .status(status)
        .header("Content-Type", "text/plain")
        .body(ResponseBody::full(body.into()))
        .unwrap()
}

fn handle(mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/hello" => text(200, "hello world"),
        "/missing" => text(404, "nope"),
        "/redirect" => http::Response::builder()
            .status(302)
            .header("Location", "/hello")
            .body(ResponseBody::empty())
            .unwrap(),
        "/loop" => http::Response::builder()
            .status(302)
            .header("Location", "/loop")
            .body(ResponseBody::empty())
            .unwrap(),
        "/files/report.bin" | "/big" => {
            let body = big_body();
            let range = request
                .headers()
                .get("range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes="))
                .and_then(|v| v.strip_suffix('-'))
                .and_then(|v| v.parse::<usize>().ok());
            match range {
                Some(from) if from < body.len() => http::Response::builder()
                    .status(206)
                    .header(
                        "Content-Range",
                        format!("bytes {from}-{}/{}", body.len() - 1, body.len()),
                    )
                    .body(ResponseBody::full(body[from..].to_vec()))
                    .unwrap(),
                _ => http::Response::builder()
                    .body(ResponseBody::full(body))
                    .unwrap(),
            }
        }
        "/gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&b"compressed text ".repeat(100)).unwrap();
            http::Response::builder()
                .header("Content-Encoding", "gzip")
                .body(ResponseBody::full(encoder.finish().unwrap()))
                .unwrap()
        }
        _ => {
            // /echo and anything else: what arrived.
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .map_or("-".to_string(), |v| v.to_str().unwrap_or("?").to_string())
            };
            let summary = format!(
                "{} {} auth={} x={} type={} encoding={} body=",
                request.method(),
                request.uri(),
                header("authorization"),
                header("x-test"),
                header("content-type"),
                header("accept-encoding"),
            );
            let mut body = summary.into_bytes();
            body.extend(request.body_mut().read_all(10 << 20).unwrap());
            text(200, body)
        }
    }
}

struct Https {
    server: HttpServer,
    cert_pem: String,
    dir: TempDir,
}

impl Https {
    fn url(&self, path: &str) -> String {
        format!(
            "https://localhost:{}{path}",
            self.server.local_endpoint().as_ip().unwrap().port()
        )
    }
}

fn http_server() -> HttpServer {
    HttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default(), handle).unwrap()
}

fn url(server: &HttpServer, path: &str) -> String {
    format!("http://{}{path}", server.local_endpoint())
}

fn https_server(client_auth: bool) -> Https {
    let dir = TempDir::new("https");
    let cert = testkit::cert::self_signed(&["localhost"]);
    let (cert_pem, key_pem) = (cert.cert, cert.key);
    std::fs::write(dir.path().join("server.pem"), &cert_pem).unwrap();
    let mut tls = TlsServerConfig::builder()
        .certificate_pem(&cert_pem, &key_pem)
        .alpn_protocols(["http/1.1"]);
    if client_auth {
        let client = testkit::cert::self_signed(&["client"]);
        std::fs::write(dir.path().join("client.pem"), &client.cert).unwrap();
        std::fs::write(dir.path().join("client.key"), &client.key).unwrap();
        tls = tls
            .client_auth(ClientAuth::Required)
            .add_client_root_certificates_pem(client.cert);
    }
    let config = ServerConfig::default().tls(tls.build().unwrap());
    let server = HttpServer::bind(([127, 0, 0, 1], 0), config, handle).unwrap();
    Https {
        server,
        cert_pem,
        dir,
    }
}

/// A server on loopback that handles each connection with `serve`, for
/// misbehaviour netstack's own server never shows.
struct Crafted {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Crafted {
    fn start(serve: fn(TcpStream)) -> Crafted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(10)))
                            .unwrap();
                        std::thread::spawn(move || serve(stream));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Crafted {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Crafted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a request head (bounded) and returns it.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Runs `netstack fetch ARGS` and `curl ARGS`; both must print the same
/// bytes and exit with the same code. Returns netstack's output.
fn like_curl(args: &[&str]) -> Output {
    let mut ours = vec!["fetch"];
    ours.extend_from_slice(args);
    let netstack = netstack(&ours);
    let curl = run_in("curl", &std::env::temp_dir(), args);
    same_as_curl(args, netstack, &curl)
}

/// Checks that netstack's run of `args` printed what curl's did and exited
/// with the same code; returns netstack's output.
fn same_as_curl(args: &[&str], netstack: Output, curl: &Output) -> Output {
    assert_eq!(
        code(&netstack),
        code(curl),
        "exit codes of {args:?}\nnetstack stderr: {}\ncurl stderr: {}",
        stderr(&netstack),
        stderr(curl)
    );
    assert_eq!(
        stdout(&netstack),
        stdout(curl),
        "stdout of {args:?}\nnetstack stderr: {}",
        stderr(&netstack)
    );
    netstack
}

/// Reads a request head and the body its `Content-Length` announces; returns the head.
fn read_request(stream: &mut TcpStream) -> String {
    let head = read_head(stream);
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let _ = std::io::copy(&mut (&mut *stream).take(length), &mut std::io::sink());
    head
}

/// Answers `body` with `200 OK` and closes the connection.
fn answer(stream: &mut TcpStream, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

mod config;
mod cookies;
mod expect;
mod failures;
mod flags_like_curl;
mod form;
mod glob;
mod like_curl;
mod output;
mod parallel;
mod requests;
mod retry;
mod schemes;
mod tls;
