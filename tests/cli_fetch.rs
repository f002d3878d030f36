//! `netstack fetch` run as a process against servers on loopback: netstack's
//! own HTTP(S) server, crafted servers that misbehave on purpose, a forward
//! proxy, and a real FTP server (pyftpdlib); every flag and exit code the
//! command documents.

#[path = "../protocols/tests/support/pyftpd.rs"]
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

// ---------------------------------------------------------------------------
// Running the command.

/// Runs `netstack ARGS` in `dir`, killed (and the test failed) after 60 s.
fn netstack_in(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netstack"))
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
            panic!("netstack {args:?} did not finish within 60 s");
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

// ---------------------------------------------------------------------------
// Servers.

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

// ---------------------------------------------------------------------------
// Output: -o, -O, -i, -I, -w, -C.

#[test]
fn bodies_go_to_stdout_or_files() {
    let server = http_server();
    let out = fetch_expect(0, &[&url(&server, "/hello")]);
    assert_eq!(stdout(&out), "hello world");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    let dir = TempDir::new("output");
    let out = fetch_expect(0, &["-o", &arg_in(&dir, "big.bin"), &url(&server, "/big")]);
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("big.bin")).unwrap(),
        big_body()
    );
    // Not a terminal: no progress bar on stderr.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));

    // Two URLs, two -o files, in order.
    fetch_expect(
        0,
        &[
            "-o",
            &arg_in(&dir, "one"),
            "-o",
            &arg_in(&dir, "two"),
            &url(&server, "/hello"),
            &url(&server, "/echo"),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("one")).unwrap(),
        "hello world"
    );
    assert!(std::fs::read_to_string(dir.path().join("two"))
        .unwrap()
        .starts_with("GET /echo"));

    // -O names the file after the URL, in the working directory.
    let out = netstack_in(
        dir.path(),
        &["fetch", "-O", &url(&server, "/files/report.bin")],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.path().join("report.bin")).unwrap(),
        big_body()
    );
    let out = netstack_in(dir.path(), &["fetch", "-O", &url(&server, "/")]);
    assert_eq!(code(&out), 23, "{}", stderr(&out));
}

#[test]
fn heads_are_shown_with_i_and_fetched_alone_with_capital_i() {
    let server = http_server();
    let out = fetch_expect(0, &["-i", &url(&server, "/hello")]);
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP/1.1 200 OK\r\n"), "{shown}");
    assert!(shown.contains("content-type: text/plain\r\n"), "{shown}");
    assert!(shown.ends_with("\r\n\r\nhello world"), "{shown}");

    let out = fetch_expect(0, &["-I", &url(&server, "/big")]);
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP/1.1 200 OK\r\n"), "{shown}");
    assert!(shown.contains("content-length: 2000000\r\n"), "{shown}");
    assert!(shown.ends_with("\r\n\r\n"), "a HEAD has no body: {shown}");
}

#[test]
fn write_out_reports_the_transfer() {
    let server = http_server();
    let out = fetch_expect(
        0,
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{url_effective} %{num_redirects} %{time_total}\\n",
            "-L",
            &url(&server, "/redirect"),
        ],
    );
    let shown = stdout(&out);
    let fields: Vec<&str> = shown.trim_end().split(' ').collect();
    assert_eq!(fields[0], "200");
    assert_eq!(fields[1], "11");
    assert_eq!(fields[2], url(&server, "/hello"));
    assert_eq!(fields[3], "1");
    assert!(fields[4].parse::<f64>().unwrap() > 0.0, "{shown}");
    assert!(shown.ends_with('\n'));
    // A failed transfer still reports, with 000.
    let out = fetch_expect(7, &["-s", "-w", "%{http_code}", "http://127.0.0.1:1/"]);
    assert_eq!(stdout(&out), "000");
}

#[test]
fn continue_at_resumes_a_partial_download() {
    let server = http_server();
    let dir = TempDir::new("resume");
    let file = arg_in(&dir, "big.bin");
    std::fs::write(&file, &big_body()[..700_000]).unwrap();
    fetch_expect(0, &["-C", "-", "-o", &file, &url(&server, "/big")]);
    assert_eq!(std::fs::read(&file).unwrap(), big_body());
    // A server that ignores ranges: the file is rewritten whole, not appended to.
    std::fs::write(&file, b"stale partial").unwrap();
    fetch_expect(0, &["-C", "-", "-o", &file, &url(&server, "/hello")]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello world");
    // -C - needs a file to measure.
    fetch_expect(2, &["-C", "-", &url(&server, "/big")]);
}

// ---------------------------------------------------------------------------
// Requests: -X, -H, -d, --data-binary, -T, -u, --compressed, -x.

#[test]
fn requests_carry_methods_headers_data_uploads_and_credentials() {
    let server = http_server();
    let echo = url(&server, "/echo");
    let out = fetch_expect(0, &["-X", "DELETE", "-H", "X-Test: yes", &echo]);
    assert!(
        stdout(&out).starts_with("DELETE /echo auth=- x=yes"),
        "{}",
        stdout(&out)
    );

    let out = fetch_expect(0, &["-d", "a=1", "-d", "b=2", &echo]);
    assert_eq!(
        stdout(&out),
        "POST /echo auth=- x=- type=application/x-www-form-urlencoded encoding=- body=a=1&b=2"
    );

    let dir = TempDir::new("data");
    std::fs::write(dir.path().join("lines.txt"), "x=1\ny=2\n").unwrap();
    let out = fetch_expect(
        0,
        &["-d", &format!("@{}", arg_in(&dir, "lines.txt")), &echo],
    );
    assert!(stdout(&out).ends_with("body=x=1y=2"), "{}", stdout(&out));
    let out = fetch_expect(
        0,
        &[
            "--data-binary",
            &format!("@{}", arg_in(&dir, "lines.txt")),
            "-H",
            "Content-Type: text/plain",
            &echo,
        ],
    );
    assert!(
        stdout(&out).ends_with("type=text/plain encoding=- body=x=1\ny=2\n"),
        "{}",
        stdout(&out)
    );

    let out = fetch_expect(
        0,
        &["-T", &arg_in(&dir, "lines.txt"), &url(&server, "/up/")],
    );
    assert_eq!(
        stdout(&out),
        "PUT /up/lines.txt auth=- x=- type=- encoding=- body=x=1\ny=2\n"
    );
    fetch_expect(26, &["-T", &arg_in(&dir, "absent.txt"), &echo]);

    let out = fetch_expect(0, &["-u", "alice:secret", &echo]);
    assert!(
        stdout(&out).contains("auth=Basic YWxpY2U6c2VjcmV0"),
        "{}",
        stdout(&out)
    );

    let out = fetch_expect(0, &["--compressed", &url(&server, "/gzip")]);
    assert_eq!(stdout(&out), "compressed text ".repeat(100));
    let out = fetch_expect(0, &["--compressed", &echo]);
    assert!(stdout(&out).contains("encoding=gzip"), "{}", stdout(&out));

    fetch_expect(2, &["-H", "no colon here", &echo]);
    fetch_expect(2, &["-X", "BAD METHOD", &echo]);
}

#[test]
fn a_forward_proxy_gets_the_absolute_url() {
    let proxy = Crafted::start(|mut stream| {
        let head = read_head(&mut stream);
        let line = head.lines().next().unwrap_or("").to_string();
        let body = format!("proxied: {line}");
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let out = fetch_expect(
        0,
        &[
            "-x",
            &format!("127.0.0.1:{}", proxy.port),
            "http://example.test/page",
        ],
    );
    assert_eq!(
        stdout(&out),
        "proxied: GET http://example.test/page HTTP/1.1"
    );
}

// ---------------------------------------------------------------------------
// Redirects and HTTP errors: -L, --max-redirs, -f, -s, -S.

#[test]
fn redirects_are_followed_only_with_l() {
    let server = http_server();
    let out = fetch_expect(0, &["-i", &url(&server, "/redirect")]);
    assert!(stdout(&out).starts_with("HTTP/1.1 302"), "{}", stdout(&out));
    let out = fetch_expect(0, &["-L", &url(&server, "/redirect")]);
    assert_eq!(stdout(&out), "hello world");
    let out = fetch_expect(47, &["-L", "--max-redirs", "3", &url(&server, "/loop")]);
    assert!(
        stderr(&out).contains("too many redirects"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fail_silent_and_show_error() {
    let server = http_server();
    let missing = url(&server, "/missing");
    let out = fetch_expect(0, &[&missing]);
    assert_eq!(stdout(&out), "nope");
    let out = fetch_expect(22, &["-f", &missing]);
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("(22)") && stderr(&out).contains("404"),
        "{}",
        stderr(&out)
    );
    let out = fetch_expect(22, &["-f", "-s", &missing]);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = fetch_expect(22, &["-f", "-s", "-S", &missing]);
    assert!(stderr(&out).contains("(22)"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// TLS: -k, --cacert, --cert/--key, -v.

#[test]
fn https_with_insecure_cacert_and_client_certificates() {
    let https = https_server(false);
    let hello = https.url("/hello");
    let out = fetch_expect(60, &[&hello]);
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    let out = fetch_expect(0, &["-k", &hello]);
    assert_eq!(stdout(&out), "hello world");
    let out = fetch_expect(0, &["--cacert", &arg_in(&https.dir, "server.pem"), &hello]);
    assert_eq!(stdout(&out), "hello world");
    assert!(!https.cert_pem.is_empty());

    let mutual = https_server(true);
    let hello = mutual.url("/hello");
    let cacert = arg_in(&mutual.dir, "server.pem");
    let out = fetch_expect(
        0,
        &[
            "--cacert",
            &cacert,
            "--cert",
            &arg_in(&mutual.dir, "client.pem"),
            "--key",
            &arg_in(&mutual.dir, "client.key"),
            &hello,
        ],
    );
    assert_eq!(stdout(&out), "hello world");
    // Without a client certificate the server ends the handshake.
    let out = netstack(&["fetch", "--cacert", &cacert, &hello]);
    assert!(
        [35, 56].contains(&code(&out)),
        "exit {}: {}",
        code(&out),
        stderr(&out)
    );
}

#[test]
fn verbose_traces_every_layer() {
    let https = https_server(false);
    let out = fetch_expect(
        0,
        &[
            "-v",
            "--cacert",
            &arg_in(&https.dir, "server.pem"),
            &https.url("/hello"),
        ],
    );
    let trace = stderr(&out);
    for expected in [
        "* sockets: resolved localhost to [",
        "* transport: trying ",
        "* transport: connected to localhost:",
        "* tls: TLSv1.3 TLS13_",
        "* tls: ALPN http/1.1",
        "* tls:   names: localhost",
        "> GET /hello HTTP/1.1",
        "> host: localhost:",
        "< HTTP/1.1 200 OK",
        "< content-type: text/plain",
        "* fetch: 11 bytes from https://localhost:",
        "* timings: resolve ",
    ] {
        assert!(
            trace.contains(expected),
            "missing {expected:?} in:\n{trace}"
        );
    }
    assert_eq!(stdout(&out), "hello world");
}

// ---------------------------------------------------------------------------
// Timeouts and failures: --connect-timeout, -m, and each exit code.

/// A listener on 127.0.0.2 whose backlog is full: SYNs to it go unanswered.
fn blackhole() -> (u16, Vec<netstack::sockets::Socket>) {
    use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketError, SocketType};
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    listener.bind(([127, 0, 0, 2], 0)).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    listener.listen(0).unwrap();
    let mut held = vec![listener];
    for _ in 0..32 {
        let s = Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
        .unwrap();
        match s.connect_timeout(([127, 0, 0, 2], port), Duration::from_millis(150)) {
            Ok(()) => held.push(s),
            Err(e) if e.kind() == SocketError::TimedOut => return (port, held),
            Err(e) => panic!("filling the backlog: {e}"),
        }
    }
    panic!("the backlog never filled");
}

#[test]
fn timeouts_end_with_28() {
    let (port, _held) = blackhole();
    let out = fetch_expect(
        28,
        &[
            "--connect-timeout",
            "0.5",
            &format!("http://127.0.0.2:{port}/"),
        ],
    );
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    let silent = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        std::thread::sleep(Duration::from_secs(5));
    });
    fetch_expect(28, &["-m", "0.5", &silent.url("/")]);
    fetch_expect(2, &["-m", "-1", &silent.url("/")]);
}

#[test]
fn each_failure_has_curls_exit_code() {
    let junk = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(b"SSH-2.0-OpenSSH\r\n\r\n");
    });
    let short = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this");
    });
    let reset = Crafted::start(|mut stream| {
        // The request is left unread: closing with unread bytes sends a reset.
        std::thread::sleep(Duration::from_millis(200));
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npart");
    });
    fetch_expect(3, &["http://[::1"]);
    fetch_expect(1, &["gopher://127.0.0.1/"]);
    fetch_expect(6, &["http://no-such-host.invalid/"]);
    let closed = netstack::sockets::Socket::new(
        netstack::sockets::AddressFamily::InterNetwork,
        netstack::sockets::SocketType::Stream,
        netstack::sockets::ProtocolType::Tcp,
    )
    .unwrap();
    closed.bind(([127, 0, 0, 1], 0)).unwrap();
    let port = closed.local_endpoint().unwrap().as_ip().unwrap().port();
    fetch_expect(7, &[&format!("http://127.0.0.1:{port}/")]);
    // Another protocol's bytes: no status line, so HTTP/0.9, refused as curl does.
    fetch_expect(1, &[&junk.url("/")]);
    let out = fetch_expect(18, &[&short.url("/")]);
    assert_eq!(stdout(&out), "only this", "what arrived is still written");
    fetch_expect(56, &[&reset.url("/")]);
    fetch_expect(37, &["file:///no/such/file"]);
    // The server hangs up while a large upload is being sent.
    let hang_up = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
    });
    let dir = TempDir::new("upload");
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 32 << 20]).unwrap();
    let out = fetch_expect(55, &["-T", &arg_in(&dir, "big.bin"), &hang_up.url("/up")]);
    assert!(stderr(&out).contains("(55)"), "{}", stderr(&out));
    // Plain text where a TLS handshake was expected.
    let plaintext = Crafted::start(|mut stream| {
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    fetch_expect(35, &[&format!("https://127.0.0.1:{}/", plaintext.port)]);
    // A gzip body that is not gzip, and a gzip bomb past the decoded limit.
    let bad_gzip = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\nnot gzip at all",
        );
    });
    fetch_expect(61, &["--compressed", &bad_gzip.url("/")]);
    let bomb = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            encoder.write_all(&zeros).unwrap();
        }
        let body = encoder.finish().unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
    });
    fetch_expect(63, &["--compressed", "-o", "/dev/null", &bomb.url("/")]);
    let server = http_server();
    fetch_expect(23, &["-o", "/no/such/dir/out", &url(&server, "/hello")]);
}

#[test]
fn each_bad_reply_has_curls_exit_code() {
    let broken_status = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n");
    });
    let empty = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
    });
    let broken_chunks = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        );
    });
    let huge_head = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
        let filler = format!("X-Filler: {}\r\n", "a".repeat(1000));
        for _ in 0..200 {
            if stream.write_all(filler.as_bytes()).is_err() {
                return;
            }
        }
    });
    fetch_expect(8, &[&broken_status.url("/")]);
    fetch_expect(52, &[&empty.url("/")]);
    let out = fetch_expect(56, &[&broken_chunks.url("/")]);
    assert_eq!(stdout(&out), "hello", "what arrived is still written");
    fetch_expect(100, &[&huge_head.url("/")]);
}

// ---------------------------------------------------------------------------
// Other schemes.

#[test]
fn data_and_file_urls() {
    let out = fetch_expect(0, &["data:text/plain;base64,aGVsbG8gZGF0YQ=="]);
    assert_eq!(stdout(&out), "hello data");
    let out = fetch_expect(0, &["-I", "data:text/plain,x"]);
    assert!(
        stdout(&out).contains("content-type: text/plain"),
        "{}",
        stdout(&out)
    );
    let dir = TempDir::new("file");
    std::fs::write(dir.path().join("a.txt"), "file body").unwrap();
    let file_url = url::Url::from_file_path(dir.path().join("a.txt")).unwrap();
    let out = fetch_expect(0, &[file_url.as_str()]);
    assert_eq!(stdout(&out), "file body");
    let dir_url = url::Url::from_directory_path(dir.path()).unwrap();
    let out = fetch_expect(0, &[dir_url.as_str()]);
    assert_eq!(stdout(&out), "a.txt\n");
    let target = url::Url::from_file_path(dir.path().join("copy.txt")).unwrap();
    fetch_expect(0, &["-T", &arg_in(&dir, "a.txt"), target.as_str()]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.txt")).unwrap(),
        "file body"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = netstack(&["fetch", "--help"]);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for line in [
        "  6  could not resolve host",
        "  28  timeout",
        "  78  remote file not found",
        "  52  empty reply",
        " 100  the response head exceeds the limits",
    ] {
        assert!(help.contains(line), "missing {line:?}");
    }
}

/// Runs `command` with a terminal (util-linux's `script` gives it a pty) and returns what the terminal showed.
fn on_a_terminal(command: &str) -> String {
    let script = Path::new("/usr/bin/script");
    assert!(
        script.exists(),
        "/usr/bin/script (util-linux, Debian's bsdutils) is needed to give the command a terminal"
    );
    let out = Command::new(script)
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_progress_bar_only_on_a_terminal_and_never_with_s() {
    let server = http_server();
    let dir = TempDir::new("progress");
    let bin = env!("CARGO_BIN_EXE_netstack");
    let shown = on_a_terminal(&format!(
        "{bin} fetch -o {} {}",
        arg_in(&dir, "a.bin"),
        url(&server, "/big")
    ));
    assert!(
        shown.contains("1.91 MiB/1.91 MiB") && shown.contains("eta"),
        "{shown:?}"
    );
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big_body());
    let shown = on_a_terminal(&format!(
        "{bin} fetch -s -o {} {}",
        arg_in(&dir, "b.bin"),
        url(&server, "/big")
    ));
    assert!(shown.trim().is_empty(), "{shown:?}");
}

// ---------------------------------------------------------------------------
// FTP, against pyftpdlib: download, listing, -I metadata, -C - with REST,
// -T with -u, and the FTP exit codes (25, 67, 78).

/// `fetch_expect` with bounded connect and transfer times.
fn ftp_expect(code: i32, args: &[&str]) -> Output {
    let mut all = vec!["--connect-timeout", "10", "-m", "30"];
    all.extend_from_slice(args);
    fetch_expect(code, &all)
}

#[test]
fn ftp_downloads_listings_uploads_resumes_and_exit_codes() {
    let anon = TempDir::new("ftp-anon");
    let home = TempDir::new("ftp-home");
    let out_dir = TempDir::new("ftp-out");
    let content: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(anon.path().join("data.bin"), &content).unwrap();
    std::fs::write(anon.path().join("hello.txt"), "hello over ftp\n").unwrap();
    std::fs::write(out_dir.path().join("upload.txt"), "sent with -T").unwrap();
    let server = pyftpd::Pyftpd::start("127.0.0.1", anon.path(), home.path(), true);
    let base = format!("ftp://127.0.0.1:{}", server.port);

    let out = ftp_expect(0, &[&format!("{base}/hello.txt")]);
    assert_eq!(out.stdout, b"hello over ftp\n");

    let listing = ftp_expect(0, &[&format!("{base}/")]);
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(
        listing.contains("data.bin") && listing.contains("hello.txt"),
        "{listing}"
    );

    // -I shows the metadata: the size from SIZE, the time from MDTM.
    let head = ftp_expect(0, &["-I", &format!("{base}/data.bin")]);
    let head = String::from_utf8_lossy(&head.stdout).into_owned();
    assert!(head.contains("content-length: 500000\r\n"), "{head}");
    assert!(head.contains("last-modified: "), "{head}");

    // -C - resumes a partial file with REST.
    let partial = out_dir.path().join("data.bin");
    std::fs::write(&partial, &content[..123_456]).unwrap();
    ftp_expect(
        0,
        &[
            "-C",
            "-",
            "-o",
            partial.to_str().unwrap(),
            &format!("{base}/data.bin"),
        ],
    );
    assert_eq!(std::fs::read(&partial).unwrap(), content);

    // -T uploads as the user given with -u; a URL ending in / gets the file's name.
    let upload = out_dir.path().join("upload.txt");
    ftp_expect(
        0,
        &[
            "-u",
            "alice:secret",
            "-T",
            upload.to_str().unwrap(),
            &format!("{base}/"),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("upload.txt")).unwrap(),
        "sent with -T"
    );

    let out = ftp_expect(78, &[&format!("{base}/missing.bin")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("(78)"));
    ftp_expect(67, &["-u", "alice:wrong", &format!("{base}/hello.txt")]);
    // The anonymous user may not upload: 25.
    ftp_expect(25, &["-T", upload.to_str().unwrap(), &format!("{base}/")]);
}
