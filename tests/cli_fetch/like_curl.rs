//! Side by side with curl: the same command line against the same loopback
//! peer, compared byte for byte (stdout) and by exit code.

use super::*;

/// A head with names in mixed case and a reason phrase of its own.
fn mixed_case_head(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    let body: &[u8] = if head.starts_with("HEAD ") {
        b""
    } else {
        b"ok"
    };
    let _ = stream.write_all(
        b"HTTP/1.1 200 Fine Indeed\r\nX-Mixed-Case: yes\r\nLocation: /elsewhere\r\n\
          content-TYPE: text/plain\r\nContent-Length: 2\r\n\r\n",
    );
    let _ = stream.write_all(body);
}

#[test]
fn heads_print_as_the_server_sent_them() {
    let server = Crafted::start(mixed_case_head);
    let url = server.url("/");
    like_curl(&["-s", "-i", &url]);
    let out = like_curl(&["-s", "-I", &url]);
    // What a script greps for.
    assert!(
        stdout(&out).contains("\r\nLocation: /elsewhere\r\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn verbose_shows_the_response_head_as_received() {
    let server = Crafted::start(mixed_case_head);
    let out = fetch_expect(0, &["-s", "-v", "-o", "/dev/null", &server.url("/")]);
    let trace = stderr(&out);
    assert!(trace.contains("< HTTP/1.1 200 Fine Indeed\n"), "{trace}");
    assert!(trace.contains("< X-Mixed-Case: yes\n"), "{trace}");
}

/// Answers with the request line and the header fields received, names in
/// lower case and sorted (curl and netstack send them in different orders
/// and cases).
fn header_echo(mut stream: TcpStream) {
    let head = read_request(&mut stream);
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut fields: Vec<String> = lines
        .map(|l| match l.split_once(':') {
            Some((name, value)) => format!("{}:{}", name.to_ascii_lowercase(), value.trim()),
            None => format!("malformed {l}"),
        })
        .collect();
    fields.sort();
    answer(
        &mut stream,
        &format!("{request_line}\n{}\n", fields.join("\n")),
    );
}

#[test]
fn header_flags_remove_empty_and_replace_fields_as_curl_does() {
    let server = Crafted::start(header_echo);
    let url = server.url("/h");
    let out = like_curl(&[
        "-s",
        "-H",
        "User-Agent: agent",
        "-H",
        "Accept:",
        "-H",
        "X-Empty;",
        "-H",
        "X-Set:  spaced value ",
        "-H",
        "X-Not-Sent; value",
        "-H",
        "no colon",
        &url,
    ]);
    let echoed = stdout(&out);
    assert!(!echoed.contains("accept:"), "{echoed}");
    assert!(echoed.contains("\nx-empty:\n"), "{echoed}");
    assert!(!echoed.contains("x-not-sent"), "{echoed}");
    // No Host at all, and no User-Agent: the defaults are gone too.
    let out = like_curl(&["-s", "-H", "Host:", "-H", "User-Agent:", &url]);
    assert_eq!(stdout(&out), "GET /h HTTP/1.1\naccept:*/*\n");
}

#[test]
fn headers_from_a_file_one_a_line_as_curl_reads_them() {
    let server = Crafted::start(header_echo);
    let dir = TempDir::new("like-curl-headers");
    let file = arg_in(&dir, "headers.txt");
    std::fs::write(
        &file,
        "User-Agent: from-file\r\n\r\nX-Lf:one\n\nX-Empty;\nAccept:\nX-Last: no newline",
    )
    .unwrap();
    let out = like_curl(&["-s", "-H", &format!("@{file}"), &server.url("/f")]);
    let echoed = stdout(&out);
    assert!(echoed.contains("\nuser-agent:from-file\n"), "{echoed}");
    assert!(echoed.contains("\nx-last:no newline\n"), "{echoed}");
    assert!(!echoed.contains("accept"), "{echoed}");
}

/// `/301`, `/302`, `/303`, `/307` redirect to `/to`, which answers with
/// the request line.
fn redirects(mut stream: TcpStream) {
    let head = read_request(&mut stream);
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let path = request_line.split(' ').nth(1).unwrap_or_default();
    match path.strip_prefix('/').and_then(|p| p.parse::<u16>().ok()) {
        Some(code) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {code} Moved\r\nLocation: /to\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        None => answer(&mut stream, &format!("{request_line}\n")),
    }
}

#[test]
fn a_method_given_with_x_is_kept_on_every_redirect_as_curl_does() {
    let server = Crafted::start(redirects);
    for code in ["301", "302", "303", "307"] {
        let url = server.url(&format!("/{code}"));
        let out = like_curl(&["-s", "-L", "-X", "POST", &url]);
        assert_eq!(stdout(&out), "POST /to HTTP/1.1\n", "{code}");
        like_curl(&["-s", "-L", "-X", "PUT", &url]);
        like_curl(&["-s", "-L", "-X", "POST", "-d", "x=1", &url]);
        // Without -X, the rule of each status: 303 (and 301/302 of a POST) become GET.
        let out = like_curl(&["-s", "-L", "-d", "x=1", &url]);
        let expected = if code == "307" { "POST" } else { "GET" };
        assert_eq!(stdout(&out), format!("{expected} /to HTTP/1.1\n"), "{code}");
    }
}

/// The resource `0123456789`: `/whole` ignores a `Range` (200 and all of
/// it), `/wrong` answers 206 from byte 0 whatever was asked, `/missing`
/// is a 404, anything else honours `Range: bytes=N-`.
fn ranges(mut stream: TcpStream) {
    const WHOLE: &str = "0123456789";
    let head = read_request(&mut stream);
    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
    let from = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("range"))
        .and_then(|(_, r)| r.trim().strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
    let (status, range, body) = match (path.as_str(), from) {
        ("/missing", _) => ("404 Not Found", None, "no such file"),
        ("/whole", _) | (_, None) => ("200 OK", None, WHOLE),
        ("/wrong", Some(_)) => ("206 Partial Content", Some(0), WHOLE),
        (_, Some(from)) => (
            "206 Partial Content",
            Some(from),
            WHOLE.get(from..).unwrap_or(""),
        ),
    };
    let range = range.map_or(String::new(), |from| {
        format!("Content-Range: bytes {from}-9/10\r\n")
    });
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{range}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn a_resume_the_server_does_not_honour_fails_and_leaves_the_file_as_curl_does() {
    let server = Crafted::start(ranges);
    let dir = TempDir::new("like-curl-resume");
    let file = arg_in(&dir, "partial");
    for (path, expected_code, expected_file) in [
        ("/ok", 0, "0123456789"),
        ("/whole", 33, "01234"),
        ("/wrong", 33, "01234"),
        ("/missing", 33, "01234"),
    ] {
        let url = server.url(path);
        let mut contents = Vec::new();
        for program in ["netstack", "curl"] {
            std::fs::write(&file, "01234").unwrap();
            let args = ["-s", "-C", "-", "-o", &file, &url];
            let out = if program == "curl" {
                run_in("curl", &std::env::temp_dir(), &args)
            } else {
                fetch_expect(expected_code, &args)
            };
            assert_eq!(
                code(&out),
                expected_code,
                "{program} {path}: {}",
                stderr(&out)
            );
            contents.push(std::fs::read_to_string(&file).unwrap());
        }
        assert_eq!(contents, [expected_file, expected_file], "{path}");
    }
    // With -f an error status is exit 22 first, in both.
    std::fs::write(&file, "01234").unwrap();
    like_curl(&["-s", "-f", "-C", "-", "-o", &file, &server.url("/missing")]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "01234");
}

/// A certificate made by `openssl req -x509` for localhost (marked CA:TRUE,
/// as openssl marks them), its key, and its public key's pin as openssl
/// computes it, in `dir`.
fn openssl_certificate(dir: &TempDir) -> (String, String, String) {
    let (cert, key) = (arg_in(dir, "cert.pem"), arg_in(dir, "key.pem"));
    let made = run_in(
        "openssl",
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            &key,
            "-out",
            &cert,
        ],
    );
    assert_eq!(code(&made), 0, "openssl req: {}", stderr(&made));
    let pipeline = format!(
        "openssl x509 -pubkey -noout -in {cert} | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | base64"
    );
    let pin = run_in("sh", dir.path(), &["-c", &pipeline]);
    assert_eq!(code(&pin), 0, "{}", stderr(&pin));
    (cert, key, format!("sha256//{}", stdout(&pin).trim()))
}

#[test]
fn a_self_signed_openssl_certificate_given_with_cacert_is_trusted_as_by_curl() {
    let dir = TempDir::new("like-curl-cacert");
    let (cert, key, _) = openssl_certificate(&dir);
    let tls = TlsServerConfig::builder()
        .certificate_pem(std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap())
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        handle,
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let url = format!("https://localhost:{port}/hello");
    let out = like_curl(&["-s", "--cacert", &cert, &url]);
    assert_eq!(stdout(&out), "hello world");
    // Still checked: the name (the certificate is for localhost only)...
    like_curl(&[
        "-s",
        "--cacert",
        &cert,
        &format!("https://127.0.0.1:{port}/hello"),
    ]);
    // ...and trust: without it the certificate is refused.
    let out = like_curl(&["-s", "-S", &url]);
    assert_eq!(code(&out), 60);
    let message = stderr(&out);
    assert!(
        message.contains("CA certificate (basicConstraints CA:TRUE)"),
        "{message}"
    );
    assert!(!message.contains("OtherError"), "{message}");
}

#[test]
fn pinnedpubkey_accepts_only_the_pinned_key_as_curl_does() {
    let dir = TempDir::new("like-curl-pin");
    let (cert, key, pin) = openssl_certificate(&dir);
    let tls = TlsServerConfig::builder()
        .certificate_pem(std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap())
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        handle,
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let url = format!("https://localhost:{port}/hello");
    let wrong = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    for trust in ["-k", "--cacert"] {
        let mut args = vec!["-s", "-S", trust];
        if trust == "--cacert" {
            args.push(&cert);
        }
        let with = |pins: String| -> Vec<String> {
            let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            all.extend(["--pinnedpubkey".to_string(), pins, url.clone()]);
            all
        };
        let run = |pins: String| {
            let all = with(pins);
            like_curl(&all.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let out = run(pin.clone());
        assert_eq!(stdout(&out), "hello world", "{trust}");
        run(format!("{wrong};{pin}"));
        let out = run(wrong.to_string());
        assert_eq!(code(&out), 90, "{trust}");
        let message = stderr(&out);
        assert!(
            message.contains(&format!("({pin}) matches none of the pinned keys")),
            "{message}"
        );
    }
    // A pin does not stand in for trust: without -k or --cacert the
    // certificate is refused first.
    let out = like_curl(&["-s", "--pinnedpubkey", &pin, &url]);
    assert_eq!(code(&out), 60);
}

#[test]
fn netrc_logins_are_used_as_curl_uses_them() {
    let server = Crafted::start(header_echo);
    let dir = TempDir::new("netrc");
    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        "machine 127.0.0.1 login alice password s3cret\n\
         macdef init\ncd /\n\n\
         default login \"b o\" password \"p\\\"w\"\n",
    )
    .unwrap();
    let file = netrc.to_str().unwrap();
    let url = server.url("/");
    let out = like_curl(&["-s", "-A", "t", "--netrc-file", file, &url]);
    assert!(
        stdout(&out).contains("\nauthorization:Basic YWxpY2U6czNjcmV0\n"),
        "{}",
        stdout(&out)
    );
    // The default entry for another host name; -u and the URL's own user win.
    let other = url.replace("127.0.0.1", "localhost");
    like_curl(&["-s", "-A", "t", "--netrc-file", file, &other]);
    like_curl(&["-s", "-A", "t", "--netrc-file", file, "-u", "carol:x", &url]);
    // A missing file is no error.
    like_curl(&["-s", "-A", "t", "--netrc-file", "/no/such/netrc", &url]);
}
