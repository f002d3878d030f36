//! What is sent, and redirects and HTTP errors: -X, -H, -d, --data-binary, -T,
//! -u, --compressed, -x, -L, --max-redirs, -f, -s, -S.

use super::*;

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

    // As in curl, a line that is not a header is not sent (with a warning).
    let out = fetch_expect(0, &["-H", "no colon here", &echo]);
    assert!(stderr(&out).contains("is not sent"), "{}", stderr(&out));
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

/// Kills the process it holds when dropped (the test failed midway).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads from `stream` until what arrived contains `needle` (bounded by
/// the stream's read timeout).
fn read_until(stream: &mut TcpStream, got: &mut Vec<u8>, needle: &[u8]) {
    let mut buf = [0u8; 4096];
    while !got.windows(needle.len()).any(|w| w == needle) {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => panic!("the upload ended before {needle:?}: {got:?}"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// `-T -` sends standard input as it is read, chunked, as curl does: the
/// server has the first bytes while standard input is still open (a
/// fetch that read it whole first would not even have connected).
#[test]
fn an_upload_from_standard_input_is_streamed_as_it_is_read() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let target = format!(
        "http://127.0.0.1:{}/up",
        listener.local_addr().unwrap().port()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_netstack"))
        .args(["fetch", "-s", "-T", "-", "-w", " %{size_upload}", &target])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(b"first ").unwrap();
    let (accepted, arrived) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = accepted.send(listener.accept().map(|(conn, _)| conn));
    });
    let mut conn = arrived
        .recv_timeout(Duration::from_secs(20))
        .expect("the upload did not start while standard input was open")
        .unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = read_head(&mut conn).to_ascii_lowercase();
    assert!(head.starts_with("put /up http/1.1\r\n"), "{head}");
    assert!(
        head.contains("\r\ntransfer-encoding: chunked\r\n"),
        "{head}"
    );
    let mut body = Vec::new();
    read_until(&mut conn, &mut body, b"first ");
    stdin.write_all(b"and the rest").unwrap();
    drop(stdin);
    read_until(&mut conn, &mut body, b"0\r\n\r\n");
    assert_eq!(body, b"6\r\nfirst \r\nc\r\nand the rest\r\n0\r\n\r\n");
    answer(&mut conn, "stored");
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "netstack fetch did not end");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "stored 18");
    assert!(status.success());
}

/// Standard input is sent once: a second URL, or a redirect that `-L`
/// would follow with the same `PUT`, fails with curl's 65 instead of
/// sending what is left of it (nothing).
#[test]
fn standard_input_is_uploaded_once() {
    use super::flags_like_curl::ours;
    let server = http_server();
    let echo = url(&server, "/echo");
    let out = ours(&["-s", "-S", "-T", "-", &echo, &echo], b"abc", &[]);
    assert_eq!(code(&out), 65, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("PUT /echo "), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("body=abc"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("standard input was sent already (3 bytes)"),
        "{}",
        stderr(&out)
    );
    let redirect = url(&server, "/redirect");
    // Without `Expect`, standard input goes out before the redirect is in.
    let out = ours(
        &["-s", "-S", "-L", "-H", "Expect:", "-T", "-", &redirect],
        b"abc",
        &[],
    );
    assert_eq!(code(&out), 65, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("redirected the upload to /hello"),
        "{}",
        stderr(&out)
    );
}
