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
