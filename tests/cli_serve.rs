//! `netstack serve` as a process, checked with curl (and openssl for the
//! certificate's fingerprint): files, types, HEAD, ranges, conditional GET,
//! listings, 404, traversal refused, HTTPS, the request log.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CURL: &str = "/usr/bin/curl";
const OPENSSL: &str = "/usr/bin/openssl";

fn need(program: &str, package: &str) {
    assert!(
        Path::new(program).exists(),
        "this test needs {program}: install it (apt-get install {package})"
    );
}

/// A temporary tree: `root/` is served, `secret.txt` sits next to it.
struct Tree {
    base: PathBuf,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let base =
            std::env::temp_dir().join(format!("netstack-cli-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root/sub dir")).unwrap();
        std::fs::write(base.join("secret.txt"), b"TOP SECRET").unwrap();
        std::fs::write(base.join("root/hello.txt"), b"hello, netstack\n").unwrap();
        std::fs::write(base.join("root/data.bin"), pattern(300_000)).unwrap();
        std::fs::write(base.join("root/page.html"), b"<p>hi</p>").unwrap();
        std::fs::write(base.join("root/<b>&.txt"), b"odd name").unwrap();
        std::fs::write(base.join("root/sub dir/inner.json"), b"{}").unwrap();
        std::fs::create_dir_all(base.join("root/site")).unwrap();
        std::fs::write(base.join("root/site/index.html"), b"<h1>index</h1>").unwrap();
        std::fs::create_dir_all(base.join("root/trap")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(base.join("secret.txt"), base.join("root/escape")).unwrap();
            symlink(base.join("secret.txt"), base.join("root/trap/index.html")).unwrap();
            symlink(&base, base.join("root/up")).unwrap();
        }
        Tree { base }
    }

    fn root(&self) -> PathBuf {
        self.base.join("root")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// The running server; killed on drop.
struct Server {
    child: Child,
    url: String,
    /// Lines printed after the first.
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(root: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netstack"))
            .arg("serve")
            .arg(root)
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start netstack serve");
        let (lines, stdout) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(err);
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            stdout,
            stderr,
        };
        let first = server.line();
        let (_, url) = first
            .split_once(" on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        assert!(first.starts_with("serving "), "{first}");
        assert!(url.ends_with('/'), "{first}");
        server.url = url.to_string();
        server
    }

    /// The next line on stdout (waiting at most 30 s).
    fn line(&self) -> String {
        self.stdout
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "netstack serve printed no line; stderr: {}",
                    self.stderr.lock().unwrap()
                )
            })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }

    /// Waits (bounded) until stderr contains `text`.
    fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.stderr.lock().unwrap().clone();
            if log.contains(text) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response as curl saw it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn curl_output(args: &[&str]) -> Output {
    need(CURL, "curl");
    let output = Command::new(CURL)
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs curl with `--include` and splits its output into status, headers, body.
fn curl(args: &[&str]) -> Reply {
    let out = curl_output(&[&["--include"], args].concat()).stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8(out[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: out[split + 4..].to_vec(),
    }
}

#[test]
fn files_come_byte_exact_with_their_types() {
    let tree = Tree::new("files");
    let server = Server::start(&tree.root(), &[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let reply = curl(&[&server.url("hello.txt")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, netstack\n");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(reply.header("accept-ranges"), Some("bytes"));
    assert!(reply.header("last-modified").is_some());

    // 300 kB, streamed.
    let reply = curl(&[&server.url("data.bin")]);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(reply.header("content-length"), Some("300000"));
    assert!(reply.body == pattern(300_000));

    let reply = curl(&[&server.url("page.html")]);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let reply = curl(&[&server.url("sub%20dir/inner.json")]);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, b"{}");

    // One request is logged with method, path, status, bytes and duration.
    let log = server.wait_for_log("\"GET /data.bin\" 200 300000 bytes");
    let line = log
        .lines()
        .find(|l| l.contains("\"GET /data.bin\" 200 300000 bytes"))
        .unwrap_or_else(|| panic!("no log line for /data.bin in {log:?}"));
    assert!(line.starts_with("127.0.0.1:"), "{line}");
    assert!(line.ends_with(" ms"), "{line}");
}

#[test]
fn head_has_the_headers_and_no_body() {
    let tree = Tree::new("head");
    let server = Server::start(&tree.root(), &[]);
    let reply = curl(&["--head", &server.url("data.bin")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("300000"));
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(reply.body.is_empty());
    let log = server.wait_for_log("\"HEAD /data.bin\" 200 0 bytes");
    assert!(log.contains("\"HEAD /data.bin\" 200 0 bytes"), "{log}");
}

#[test]
fn ranges_get_206_or_416() {
    let tree = Tree::new("range");
    let server = Server::start(&tree.root(), &[]);
    let all = pattern(300_000);
    for (range, start, end) in [
        ("1000-1999", 1000, 1999),
        ("299990-", 299_990, 299_999),
        ("-10", 299_990, 299_999),
        ("0-0", 0, 0),
        ("299000-400000", 299_000, 299_999),
    ] {
        let reply = curl(&["--range", range, &server.url("data.bin")]);
        assert_eq!(reply.status, 206, "{range}");
        assert_eq!(
            reply.header("content-range"),
            Some(format!("bytes {start}-{end}/300000").as_str()),
            "{range}"
        );
        assert!(reply.body == all[start..=end], "{range}");
    }
    let reply = curl(&["--range", "300000-", &server.url("data.bin")]);
    assert_eq!(reply.status, 416);
    assert_eq!(reply.header("content-range"), Some("bytes */300000"));
    // Several ranges: the whole file, 200.
    let reply = curl(&["--range", "0-1,5-6", &server.url("hello.txt")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, netstack\n");
    // If-Range with a stale date: the whole file.
    let reply = curl(&[
        "--range",
        "0-1",
        "--header",
        "If-Range: Thu, 01 Jan 1998 00:00:00 GMT",
        &server.url("hello.txt"),
    ]);
    assert_eq!(reply.status, 200);
}

#[test]
fn conditional_get_answers_304() {
    let tree = Tree::new("conditional");
    let server = Server::start(&tree.root(), &[]);
    let first = curl(&[&server.url("hello.txt")]);
    let modified = first.header("last-modified").unwrap().to_string();
    let etag = first.header("etag").unwrap().to_string();

    let reply = curl(&[
        "--header",
        &format!("If-Modified-Since: {modified}"),
        &server.url("hello.txt"),
    ]);
    assert_eq!(reply.status, 304);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
    let reply = curl(&[
        "--header",
        &format!("If-None-Match: {etag}"),
        &server.url("hello.txt"),
    ]);
    assert_eq!(reply.status, 304);
    // An older date, or another tag: the file.
    let reply = curl(&[
        "--header",
        "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT",
        &server.url("hello.txt"),
    ]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, netstack\n");
    let reply = curl(&[
        "--header",
        "If-None-Match: \"other\"",
        &server.url("hello.txt"),
    ]);
    assert_eq!(reply.status, 200);
}

#[test]
fn directories_are_listed_and_missing_files_are_404() {
    let tree = Tree::new("listing");
    let server = Server::start(&tree.root(), &[]);
    let reply = curl(&[&server.url("")]);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(reply.body).unwrap();
    for expected in [
        "<a href=\"hello.txt\">hello.txt</a>",
        "<a href=\"data.bin\">data.bin</a>",
        "<a href=\"sub%20dir/\">sub dir/</a>",
        "<a href=\"%3Cb%3E%26.txt\">&lt;b&gt;&amp;.txt</a>",
    ] {
        assert!(html.contains(expected), "{expected} not in {html}");
    }
    // A directory without its slash is redirected; with it, listed.
    let reply = curl(&[&server.url("sub%20dir")]);
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/sub%20dir/"));
    let reply = curl(&[&server.url("sub%20dir/")]);
    assert!(String::from_utf8(reply.body)
        .unwrap()
        .contains("inner.json"));

    // A directory with an index.html is served that page.
    let reply = curl(&[&server.url("site/")]);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.body, b"<h1>index</h1>");

    let reply = curl(&[&server.url("no-such-file.txt")]);
    assert_eq!(reply.status, 404);
    let reply = curl(&["--request", "POST", &server.url("hello.txt")]);
    assert_eq!(reply.status, 405);
}

#[test]
fn traversal_never_leaves_the_directory() {
    let tree = Tree::new("traversal");
    let server = Server::start(&tree.root(), &[]);
    let base = server.url.trim_end_matches('/').to_string();
    for path in [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/sub%20dir/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/escape",
        "/trap/",
        "/up/secret.txt",
        "/up/",
        "//etc/passwd",
    ] {
        let reply = curl(&["--path-as-is", &format!("{base}{path}")]);
        assert!(
            reply.status == 403 || reply.status == 404,
            "{path}: {}",
            reply.status
        );
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            !body.contains("TOP SECRET") && !body.contains("root:"),
            "{path}: {body}"
        );
    }
}

/// The certificate curl sees (PEM) and its SHA-256 fingerprint, via openssl.
fn certificate_seen_by_curl(url: &str) -> (Vec<u8>, String) {
    need(OPENSSL, "openssl");
    let chain = curl_output(&[
        "--insecure",
        "--write-out",
        "%{certs}",
        "--output",
        "/dev/null",
        url,
    ])
    .stdout;
    let mut openssl = Command::new(OPENSSL)
        .args(["x509", "-noout", "-fingerprint", "-sha256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl");
    use std::io::Write;
    openssl.stdin.take().unwrap().write_all(&chain).unwrap();
    let out = openssl.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl could not read the certificate curl saw"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let fingerprint = text
        .trim()
        .split_once('=')
        .expect("a fingerprint")
        .1
        .to_string();
    (chain, fingerprint)
}

#[test]
fn tls_with_a_self_signed_certificate() {
    let tree = Tree::new("tls");
    let server = Server::start(&tree.root(), &["--tls"]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(server.line().contains("self-signed"));
    let printed = server.line();
    let printed = printed
        .strip_prefix("SHA-256 fingerprint: ")
        .unwrap_or_else(|| panic!("no fingerprint line: {printed}"));
    assert_eq!(printed.len(), 32 * 3 - 1, "{printed}");
    let flags = server.line();
    let flags = flags
        .strip_prefix("client flags: ")
        .unwrap_or_else(|| panic!("no client flags line: {flags}"));
    assert!(flags.starts_with("--pinnedpubkey sha256//"), "{flags}");
    assert!(flags.ends_with(" -k"), "{flags}");
    the_printed_flags_work(flags, &server.url("hello.txt"));

    let reply = curl(&["--insecure", &server.url("data.bin")]);
    assert_eq!(reply.status, 200);
    assert!(reply.body == pattern(300_000));
    let (pem, seen) = certificate_seen_by_curl(&server.url("hello.txt"));
    assert_eq!(seen, printed);
    // Trusted, the certificate passes curl's checks for localhost and 127.0.0.1.
    let ca = tree.base.join("seen.pem");
    std::fs::write(&ca, pem).unwrap();
    for url in [
        server.url("hello.txt"),
        server.url("hello.txt").replace("127.0.0.1", "localhost"),
    ] {
        let body = curl_output(&["--cacert", ca.to_str().unwrap(), &url]).stdout;
        assert_eq!(body, b"hello, netstack\n", "{url}");
    }
}

#[test]
fn ipv6_bind_address() {
    let tree = Tree::new("ipv6");
    let server = Server::start(&tree.root(), &["--bind", "::1"]);
    assert!(server.url.starts_with("http://[::1]:"), "{}", server.url);
    let reply = curl(&["--globoff", &server.url("hello.txt")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello, netstack\n");
}

#[test]
fn tls_with_a_given_certificate() {
    let tree = Tree::new("tls-files");
    let generated = testkit::cert::self_signed(&["localhost"]);
    let cert = tree.base.join("cert.pem");
    let key = tree.base.join("key.pem");
    std::fs::write(&cert, &generated.cert).unwrap();
    std::fs::write(&key, &generated.key).unwrap();
    let server = Server::start(
        &tree.root(),
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    assert!(server.line().contains("cert.pem"));
    let printed = server.line();
    let printed = printed
        .strip_prefix("SHA-256 fingerprint: ")
        .unwrap()
        .to_string();
    // curl trusts the file and checks the name.
    let url = server.url("hello.txt").replace("127.0.0.1", "localhost");
    let flags = server.line();
    let flags = flags.strip_prefix("client flags: ").unwrap();
    assert!(
        flags.ends_with(&format!(" --cacert {}", cert.display())),
        "{flags}"
    );
    the_printed_flags_work(flags, &url);
    let body = curl_output(&["--cacert", cert.to_str().unwrap(), &url]).stdout;
    assert_eq!(body, b"hello, netstack\n");
    assert_eq!(
        certificate_seen_by_curl(&server.url("hello.txt")).1,
        printed
    );
}

/// The client flags `netstack serve` printed fetch `url` with curl and with
/// `netstack fetch`; with another pin in their place, both refuse the
/// server (exit 90, a pin mismatch).
fn the_printed_flags_work(flags: &str, url: &str) {
    let flags: Vec<&str> = flags.split_whitespace().collect();
    let body = curl_output(&[flags.as_slice(), &[url]].concat()).stdout;
    assert_eq!(body, b"hello, netstack\n", "curl {flags:?}");
    let fetch = |flags: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_netstack"))
            .args([&["fetch", "-s", "-S", "-m", "30"], flags, &[url]].concat())
            .output()
            .expect("run netstack fetch")
    };
    let out = fetch(&flags);
    assert!(
        out.status.success(),
        "netstack fetch {flags:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello, netstack\n");
    let mut other = flags.clone();
    other[1] = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    assert_eq!(fetch(&other).status.code(), Some(90), "{other:?}");
    let curl = Command::new(CURL)
        .args([&["-s", "-m", "30"], other.as_slice(), &[url]].concat())
        .output()
        .expect("run curl");
    assert_eq!(curl.status.code(), Some(90), "curl {other:?}");
}

/// Runs a `netstack serve` that must fail at once; killed after a generous
/// deadline if it starts serving instead.
fn serve_must_fail(args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netstack"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netstack serve {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let missing = std::env::temp_dir().join("netstack-cli-serve-no-such-dir");
    let output = serve_must_fail(&[missing.as_os_str(), "--port".as_ref(), "0".as_ref()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("netstack-cli-serve-no-such-dir"),
        "{stderr}"
    );
    // --cert without --key.
    let output = serve_must_fail(&[
        ".".as_ref(),
        "--port".as_ref(),
        "0".as_ref(),
        "--cert".as_ref(),
        "x.pem".as_ref(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    // A certificate file that is not there.
    let output = serve_must_fail(&[
        ".".as_ref(),
        "--port".as_ref(),
        "0".as_ref(),
        "--cert".as_ref(),
        missing.join("c.pem").as_os_str(),
        "--key".as_ref(),
        missing.join("k.pem").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("c.pem"));
}

#[test]
fn a_port_in_use_is_an_error() {
    let tree = Tree::new("in-use");
    let server = Server::start(&tree.root(), &[]);
    let port = server.url.rsplit(':').next().unwrap().trim_end_matches('/');
    let root = tree.root();
    let output = serve_must_fail(&[root.as_os_str(), "--port".as_ref(), port.as_ref()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on 127.0.0.1:"), "{stderr}");
    // The first server carries on.
    assert_eq!(curl(&[&server.url("hello.txt")]).status, 200);
}

/// One plain GET over a fresh connection; the whole response as text.
fn plain_get(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn slow_clients_hold_no_worker_and_ordinary_requests_go_first() {
    let tree = Tree::new("slow");
    let server = Server::start(&tree.root(), &[]);
    let port: u16 = server
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // More dribbling heads than the old server had workers and queue (64 + 256).
    let slow: Vec<std::net::TcpStream> = (0..400)
        .map(|_| {
            use std::io::Write;
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream.write_all(b"GET /hello.txt HT").unwrap();
            stream
        })
        .collect();
    // Ordinary requests are answered while every slow head is still open:
    // none waits for a slow connection's deadline.
    for _ in 0..20 {
        let reply = plain_get(port, "/hello.txt");
        assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
        assert!(reply.ends_with("hello, netstack\n"), "{reply}");
    }
    for stream in &slow {
        stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        match stream.peek(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("a slow connection ended early: {other:?}"),
        }
    }
}
