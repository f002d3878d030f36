//! The HTTP/1.1 client against servers that are not netstack's: Python's
//! `http.server`, and crafted servers that send exact bytes. Every case runs
//! in both modes (`Client` and `AsyncClient`), on loopback, with every wait
//! bounded.

mod support;

use std::io::Write as _;
use std::time::{Duration, Instant};
use testkit::{both_modes, Mode, TempDir};

use http::{Method, StatusCode};
use protocols::http::client::{AsyncClient, Body, Client};
use protocols::http::{Error, ParseError, Phase};
use support::harness::{bounded, AsyncBytes, Req, ReqBody, TestClient};
use support::{ok, response, Conn, Ctx, PythonServer, Server};

testkit::executor_block_on!(sockets::block_on);

// ---------------------------------------------------------------------------
// One test body for both modes.

// ---------------------------------------------------------------------------
// Python's http.server.

fn python_http_server_serves_files(mode: Mode) {
    let dir = TempDir::new("pyserve");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello from python\n").unwrap();
    let server = PythonServer::start(dir.path());
    let client = TestClient::bounded(mode);

    let got = client.get(&server.url("/hello.txt")).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "hello from python\n");
    let got = client.get(&server.url("/big.bin")).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body.unwrap(), big);
    assert!(got.timings.connect.is_some() && got.timings.first_byte.is_some());
    assert!(got.timings.total.is_some());
    let got = client.get(&server.url("/missing")).unwrap();
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    // A HEAD reports the length and has no body.
    let got = client
        .send(Req::new(Method::HEAD, server.url("/big.bin")))
        .unwrap();
    assert_eq!(got.headers["content-length"], "300000");
    assert!(got.body.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// The pool.

fn ten_thousand_requests_use_one_connection(mode: Mode) {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        while conn.read_request().is_some() {
            if !conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") {
                return;
            }
        }
    });
    let client = TestClient::bounded(mode);
    let url = server.url("/ping");
    for i in 0..10_000 {
        let got = client.get(&url).unwrap();
        assert_eq!(got.body.unwrap(), b"ok", "request {i}");
        if i > 0 {
            assert!(got.timings.reused, "request {i} opened a new connection");
        }
    }
    assert_eq!(server.accepts(), 1);
    assert_eq!(client.idle(), 1);
}

fn a_server_closing_idle_connections_fails_no_request(mode: Mode) {
    // The server answers one request per connection and then closes it,
    // without saying so: sometimes the client sees the close before reuse
    // (the idle check), sometimes only when the request fails (the retry).
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
        conn.close();
    });
    let client = TestClient::bounded(mode);
    for i in 0..30 {
        let got = client
            .get(&server.url("/"))
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(got.body.unwrap(), b"ok");
        if i % 3 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(server.accepts(), 30);
    // A server that closes after a delay, once the connection is pooled.
    let lazy = Server::start(|mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            std::thread::sleep(Duration::from_millis(50));
        }
        conn.close();
    });
    // POSTs are not retried, so these pass only through the idle check.
    for _ in 0..3 {
        let got = client.send(Req::post(lazy.url("/"), b"p")).unwrap();
        assert_eq!(got.body.unwrap(), b"ok");
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(lazy.accepts(), 3);
}

fn a_stale_connection_is_not_retried_for_post(mode: Mode) {
    // Each connection's first request is answered; its second is read and
    // then the connection closes without a byte of answer: to the client,
    // a pooled connection that died under its request. A GET is sent once
    // more on a new connection; a POST never twice.
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        let Some(first) = conn.read_request() else {
            return;
        };
        ctx.record(&first);
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        if let Some(second) = conn.read_request() {
            ctx.record(&second);
        }
        conn.close();
    });
    let methods = || -> Vec<String> { server.recorded().into_iter().map(|r| r.method).collect() };
    let client = TestClient::bounded(mode);
    assert_eq!(client.get(&server.url("/")).unwrap().body.unwrap(), b"ok");
    assert_eq!(client.idle(), 1);
    match client.send(Req::post(server.url("/"), b"x")) {
        Err(Error::Transport(_)) | Err(Error::Parse(ParseError::IncompleteHead { .. })) => {}
        Ok(_) => panic!("a POST on a dead pooled connection must fail, not be sent again"),
        Err(e) => panic!("unexpected error {e}"),
    }
    assert_eq!(methods(), ["GET", "POST"], "the POST went out once");
    assert_eq!(server.accepts(), 1, "no new connection for the POST");
    // The same for a GET: retried once, on a new connection, and answered.
    assert_eq!(client.get(&server.url("/")).unwrap().body.unwrap(), b"ok");
    assert_eq!(client.get(&server.url("/")).unwrap().body.unwrap(), b"ok");
    assert_eq!(methods(), ["GET", "POST", "GET", "GET", "GET"]);
    assert_eq!(server.accepts(), 3);
}

fn an_unread_body_closes_the_connection(mode: Mode) {
    let big = vec![b'x'; 1 << 20];
    let server = Server::respond(move |_, _| (response(200, &[], &big), true));
    let client = TestClient::bounded(mode);
    assert_eq!(
        client.send_head_only(Req::get(server.url("/"))).unwrap(),
        StatusCode::OK
    );
    assert_eq!(client.idle(), 0);
    let got = client.get(&server.url("/")).unwrap();
    assert_eq!(got.body.unwrap().len(), 1 << 20);
    assert_eq!(server.accepts(), 2);
    assert_eq!(client.idle(), 1);
}

fn connection_close_is_honoured_and_http10_is_not_kept(mode: Mode) {
    let server = Server::respond(|request, _| match request.path() {
        "/close" => (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na".to_vec(),
            false,
        ),
        "/old" => (
            b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb".to_vec(),
            false,
        ),
        _ => (b"HTTP/1.1 200 OK\r\n\r\nuntil close".to_vec(), false),
    });
    let client = TestClient::bounded(mode);
    assert_eq!(client.get(&server.url("/close")).unwrap().text(), "a");
    assert_eq!(client.idle(), 0);
    assert_eq!(client.get(&server.url("/old")).unwrap().text(), "b");
    assert_eq!(client.idle(), 0);
    assert_eq!(
        client.get(&server.url("/eof")).unwrap().text(),
        "until close"
    );
    assert_eq!(client.idle(), 0);
}

// ---------------------------------------------------------------------------
// Requests.

fn request_heads_and_bodies_are_sent_as_given(mode: Mode) {
    let server = Server::respond(|request, _| {
        let body = format!(
            "{} {} te={:?} cl={:?} ua={:?} host={:?} ct={:?} auth={:?} body={}",
            request.method,
            request.target,
            request.header("transfer-encoding"),
            request.header("content-length"),
            request.header("user-agent"),
            request.header("host").is_some(),
            request.header("content-type"),
            request.header("authorization"),
            String::from_utf8_lossy(&request.body)
        );
        (ok(&body), true)
    });
    let client = TestClient::bounded(mode);
    let text = client.get(&server.url("/p?q=1")).unwrap().text();
    assert_eq!(
        text,
        "GET /p?q=1 te=None cl=None ua=Some(\"netstack/0.1\") host=true ct=None auth=None body="
    );
    let text = client
        .send(Req::post(server.url("/b"), b"bytes body"))
        .unwrap()
        .text();
    assert!(
        text.contains("cl=Some(\"10\")") && text.ends_with("body=bytes body"),
        "{text}"
    );
    let data = b"streamed ".repeat(5000);
    let text = client
        .send(Req::new(Method::PUT, server.url("/s")).body(ReqBody::Stream(data.clone())))
        .unwrap()
        .text();
    assert!(
        text.contains("te=Some(\"chunked\")") && text.contains("cl=None"),
        "{}",
        &text[..80]
    );
    assert!(text.ends_with(&format!("body={}", String::from_utf8_lossy(&data))));
    let text = client
        .send(
            Req::new(Method::PUT, server.url("/l"))
                .body(ReqBody::StreamWithLength(b"exact".to_vec())),
        )
        .unwrap()
        .text();
    assert!(
        text.contains("cl=Some(\"5\")") && text.ends_with("body=exact"),
        "{text}"
    );
    let mut form = Req::new(Method::POST, server.url("/f"));
    form.form = Some(vec![
        ("a".into(), "1".into()),
        ("b".into(), "two words&more".into()),
    ]);
    let text = client.send(form).unwrap().text();
    assert!(
        text.contains("ct=Some(\"application/x-www-form-urlencoded\")"),
        "{text}"
    );
    assert!(text.ends_with("body=a=1&b=two+words%26more"), "{text}");
    let mut auth = Req::get(server.url("/a"));
    auth.basic = Some(("Aladdin".into(), "open sesame".into()));
    let text = client.send(auth).unwrap().text();
    assert!(
        text.contains("auth=Some(\"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\")"),
        "{text}"
    );
    let userinfo = server
        .url("/u")
        .replace("http://", "http://Aladdin:open%20sesame@");
    let text = client.get(&userinfo).unwrap().text();
    assert!(
        text.contains("auth=Some(\"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\")"),
        "{text}"
    );
    // A POST without a body says Content-Length: 0.
    let text = client
        .send(Req::new(Method::POST, server.url("/e")))
        .unwrap()
        .text();
    assert!(text.contains("cl=Some(\"0\")"), "{text}");
    assert_eq!(server.accepts(), 1);
}

fn expect_100_continue(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        while let Some(mut request) = conn.read_head() {
            ctx.record(&request);
            match request.path() {
                "/continue" => {
                    assert_eq!(request.header("expect"), Some("100-continue"));
                    conn.write(b"HTTP/1.1 100 Continue\r\n\r\n");
                    conn.read_body(&mut request).unwrap();
                    conn.write(&ok(&format!(
                        "got {}",
                        String::from_utf8_lossy(&request.body)
                    )));
                }
                "/refuse" => {
                    // A final answer at once; the body never comes.
                    conn.write(&response(413, &[], b"too big"));
                    conn.close();
                    return;
                }
                _ => {
                    // Silent: the client sends the body after its wait.
                    conn.read_body(&mut request).unwrap();
                    conn.write(&ok(&format!(
                        "late {}",
                        String::from_utf8_lossy(&request.body)
                    )));
                }
            }
        }
    });
    let client = TestClient::new(
        mode,
        bounded().expect_continue_timeout(Duration::from_millis(200)),
    );
    let mut req = Req::post(server.url("/continue"), b"payload");
    req.expect = true;
    assert_eq!(client.send(req).unwrap().text(), "got payload");
    let mut req = Req::post(server.url("/silent"), b"payload");
    req.expect = true;
    assert_eq!(client.send(req).unwrap().text(), "late payload");
    let mut req = Req::post(server.url("/refuse"), &vec![b'z'; 1 << 20]);
    req.expect = true;
    let got = client.send(req).unwrap();
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(got.text(), "too big");
    assert_eq!(client.idle(), 0);
}

// ---------------------------------------------------------------------------
// Redirects.

fn redirect_server() -> Server {
    Server::respond(|request, ctx| {
        let location =
            |to: &str| -> (Vec<u8>, bool) { (response(302, &[("Location", to)], b"moved"), true) };
        match request.path() {
            "/a" => location("/b"),
            "/b" => (response(301, &[("Location", &ctx.url("/c"))], b""), true),
            "/c" => (ok("done"), true),
            "/loop" => location("/loop"),
            "/see-other" => (response(303, &[("Location", "/echo")], b""), true),
            "/temporary" => (response(307, &[("Location", "/echo")], b""), true),
            "/permanent" => (response(308, &[("Location", "/echo")], b""), true),
            "/found" => (response(302, &[("Location", "/echo")], b""), true),
            "/echo" => (
                ok(&format!(
                    "{} {} auth={:?} cookie={:?}",
                    request.method,
                    String::from_utf8_lossy(&request.body),
                    request.header("authorization"),
                    request.header("cookie")
                )),
                true,
            ),
            _ => (response(404, &[], b""), true),
        }
    })
}

fn redirects_chains_loops_and_limits(mode: Mode) {
    let server = redirect_server();
    let client = TestClient::bounded(mode);
    let got = client.get(&server.url("/a")).unwrap();
    assert_eq!(got.text(), "done");
    assert_eq!(got.url.path(), "/c");
    assert_eq!(got.timings.redirects, 2);
    match client.get(&server.url("/loop")) {
        Err(Error::TooManyRedirects { limit: 10 }) => {}
        other => panic!(
            "expected TooManyRedirects, got {:?}",
            other.map(|g| g.status)
        ),
    }
    let before = server.recorded().len();
    let three = TestClient::new(mode, bounded().max_redirects(3));
    assert!(matches!(
        three.get(&server.url("/loop")),
        Err(Error::TooManyRedirects { limit: 3 })
    ));
    assert_eq!(server.recorded().len() - before, 4);
    let off = TestClient::new(mode, bounded().follow_redirects(false));
    let got = off.get(&server.url("/a")).unwrap();
    assert_eq!(got.status, StatusCode::FOUND);
    assert_eq!(got.text(), "moved");
    // Redirect bodies were drained: one connection for everything.
    assert_eq!(server.accepts(), 3);
}

fn redirects_change_methods_as_the_rfc_says(mode: Mode) {
    let server = redirect_server();
    let client = TestClient::bounded(mode);
    let got = client
        .send(Req::post(server.url("/see-other"), b"data"))
        .unwrap();
    assert!(got.text().starts_with("GET  "), "{}", got.text());
    let got = client
        .send(Req::post(server.url("/found"), b"data"))
        .unwrap();
    assert!(got.text().starts_with("GET  "), "{}", got.text());
    let got = client
        .send(Req::post(server.url("/temporary"), b"data"))
        .unwrap();
    assert!(got.text().starts_with("POST data "), "{}", got.text());
    let got = client
        .send(Req::new(Method::PUT, server.url("/permanent")).body(ReqBody::Bytes(b"put".to_vec())))
        .unwrap();
    assert!(got.text().starts_with("PUT put "), "{}", got.text());
    // A streamed body cannot be replayed: the 307 is the answer.
    let got = client
        .send(
            Req::new(Method::POST, server.url("/temporary"))
                .body(ReqBody::Stream(b"once".to_vec())),
        )
        .unwrap();
    assert_eq!(got.status, StatusCode::TEMPORARY_REDIRECT);
}

fn redirects_drop_credentials_across_origins(mode: Mode) {
    let other = redirect_server();
    let target = other.url("/echo");
    let server = Server::respond(move |request, _| match request.path() {
        "/away" => (response(302, &[("Location", &target)], b""), true),
        "/here" => (response(302, &[("Location", "/echo")], b""), true),
        _ => (
            ok(&format!(
                "auth={:?} cookie={:?}",
                request.header("authorization"),
                request.header("cookie")
            )),
            true,
        ),
    });
    let client = TestClient::bounded(mode);
    let mut req = Req::get(server.url("/here")).header("cookie", "session=1");
    req.basic = Some(("u".into(), "p".into()));
    let text = client.send(req).unwrap().text();
    assert_eq!(text, "auth=Some(\"Basic dTpw\") cookie=Some(\"session=1\")");
    let mut req = Req::get(server.url("/away")).header("cookie", "session=1");
    req.basic = Some(("u".into(), "p".into()));
    let text = client.send(req).unwrap().text();
    assert_eq!(text, "GET  auth=None cookie=None");
}

// ---------------------------------------------------------------------------
// Content decoding.

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn gzip_bodies_are_decoded_on_request_and_bombs_stopped(mode: Mode) {
    let text = "a gzip body, ".repeat(1000);
    let compressed = gzip(text.as_bytes());
    let bomb = gzip(&vec![0u8; 16 << 20]);
    let server = Server::respond(move |request, _| {
        let ae = request
            .header("accept-encoding")
            .unwrap_or("none")
            .to_string();
        match request.path() {
            "/bomb" => (response(200, &[("Content-Encoding", "gzip")], &bomb), true),
            "/corrupt" => (
                response(
                    200,
                    &[("Content-Encoding", "gzip")],
                    b"\x1f\x8bnot gzip at all",
                ),
                true,
            ),
            _ => (
                response(
                    200,
                    &[("Content-Encoding", "gzip"), ("X-AE", &ae)],
                    &compressed,
                ),
                true,
            ),
        }
    });
    let plain = TestClient::bounded(mode);
    let got = plain.get(&server.url("/text")).unwrap();
    assert_eq!(got.headers["x-ae"], "none");
    assert_eq!(got.headers["content-encoding"], "gzip");
    assert_eq!(got.body.unwrap(), gzip(text.as_bytes()));
    let client = TestClient::new(
        mode,
        bounded().decompress(true).max_decompressed_size(1 << 20),
    );
    let got = client.get(&server.url("/text")).unwrap();
    assert_eq!(got.headers["x-ae"], "gzip, deflate");
    assert!(got.headers.get("content-encoding").is_none());
    assert_eq!(got.text(), text);
    let got = client.get(&server.url("/bomb")).unwrap();
    assert!(
        matches!(got.body, Err(Error::BodyTooLarge { limit }) if limit == 1 << 20),
        "{:?}",
        got.body.as_ref().err()
    );
    let got = client.get(&server.url("/corrupt")).unwrap();
    assert!(matches!(
        got.body,
        Err(Error::ContentDecoding {
            encoding: "gzip",
            ..
        })
    ));
}

// ---------------------------------------------------------------------------
// Adversarial responses: each an error, none a hang or a panic.

/// A server that answers every request with `bytes`, then closes.
fn sends(bytes: &'static [u8]) -> Server {
    Server::start(move |mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(bytes);
        }
        std::thread::sleep(Duration::from_millis(50));
        conn.close();
    })
}

fn head_error(mode: Mode, bytes: &'static [u8]) -> Error {
    let server = sends(bytes);
    match TestClient::bounded(mode).get(&server.url("/")) {
        Err(e) => e,
        Ok(got) => panic!("expected an error, got {}", got.status),
    }
}

fn body_error(mode: Mode, bytes: &'static [u8]) -> Error {
    let server = sends(bytes);
    let got = TestClient::bounded(mode).get(&server.url("/")).unwrap();
    got.body.expect_err("expected the body to fail")
}

fn adversarial_framing_is_rejected(mode: Mode) {
    assert!(matches!(
        head_error(
            mode,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        Error::Parse(ParseError::ConflictingFraming)
    ));
    assert!(matches!(
        head_error(
            mode,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
        ),
        Error::Parse(ParseError::DifferentContentLengths)
    ));
    assert!(matches!(
        body_error(
            mode,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"
        ),
        Error::Parse(ParseError::InvalidChunkSize(_))
    ));
    assert!(matches!(
        body_error(
            mode,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nhello\r\n"
        ),
        Error::Parse(ParseError::ChunkSizeOverflow)
    ));
    assert!(matches!(
        body_error(
            mode,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"
        ),
        Error::Parse(ParseError::IncompleteBody {
            expected: None,
            received: 3
        })
    ));
    assert!(matches!(
        body_error(
            mode,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"
        ),
        Error::Parse(ParseError::IncompleteBody {
            expected: Some(100),
            received: 10
        })
    ));
    assert!(matches!(
        head_error(mode, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        Error::Parse(ParseError::InvalidStatusLine(_))
    ));
    assert!(matches!(
        head_error(mode, b"HTTP/1.1 200 OK\r\nContent-Le"),
        Error::Parse(ParseError::IncompleteHead { .. })
    ));
}

fn a_head_larger_than_the_limit_is_rejected(mode: Mode) {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(b"HTTP/1.1 200 OK\r\n");
            let line = format!("X-Filler: {}\r\n", "f".repeat(1000));
            for _ in 0..200 {
                if !conn.write(line.as_bytes()) {
                    return;
                }
            }
            conn.write(b"\r\n");
        }
    });
    let err = TestClient::bounded(mode)
        .get(&server.url("/"))
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Parse(ParseError::HeadTooLarge { limit: 65536 })),
        "{err}"
    );
}

fn a_silent_server_hits_the_read_timeout(mode: Mode) {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        let _ = conn.read_request();
        std::thread::sleep(Duration::from_secs(3));
    });
    let client = TestClient::new(
        mode,
        bounded().read_timeout(Some(Duration::from_millis(300))),
    );
    let started = Instant::now();
    let err = client.get(&server.url("/")).err().unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::Read,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.idle(), 0);
}

fn a_trickling_server_hits_the_deadline(mode: Mode) {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        let _ = conn.read_request();
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".iter() {
            if !conn.write(&[*byte]) {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let client = TestClient::new(mode, bounded().timeout(Duration::from_millis(2500)));
    let started = Instant::now();
    let err = client.get(&server.url("/")).err().unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::Deadline,
                ..
            }
        ),
        "{err}"
    );
    // At the 2.5 s deadline, long before the 40 s the head would take.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2400) && took < Duration::from_millis(12_500),
        "{took:?}"
    );
    // The body too is under the deadline; a per-request timeout overrides the client's.
    let body_trickle = Server::start(|mut conn: Conn, _: &Ctx| {
        let _ = conn.read_request();
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for _ in 0..100 {
            if !conn.write(b"x") {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let mut req = Req::get(body_trickle.url("/"));
    req.timeout = Some(Duration::from_secs(1));
    let got = TestClient::bounded(mode).send(req).unwrap();
    assert!(matches!(
        got.body,
        Err(Error::Timeout {
            phase: Phase::Deadline,
            ..
        })
    ));
}

fn a_write_that_cannot_proceed_hits_the_write_timeout(mode: Mode) {
    let server = Server::start(|conn: Conn, _: &Ctx| {
        // Never reads.
        std::thread::sleep(Duration::from_secs(4));
        drop(conn);
    });
    let client = TestClient::new(
        mode,
        bounded().write_timeout(Some(Duration::from_millis(300))),
    );
    let started = Instant::now();
    let err = client
        .send(Req::post(server.url("/"), &vec![b'w'; 64 << 20]))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::Write,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

fn informational_responses_are_skipped(mode: Mode) {
    let server = sends(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
    );
    let got = TestClient::bounded(mode).get(&server.url("/")).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "final");
}

fn bodiless_responses_keep_the_connection(mode: Mode) {
    let server = Server::respond(
        |request, _| match (request.method.as_str(), request.path()) {
            ("HEAD", _) => (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec(),
                true,
            ),
            (_, "/304") => (
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n".to_vec(),
                true,
            ),
            (_, "/204") => (b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(), true),
            _ => (ok("after"), true),
        },
    );
    let client = TestClient::bounded(mode);
    let got = client
        .send(Req::new(Method::HEAD, server.url("/")))
        .unwrap();
    assert_eq!(got.headers["content-length"], "1000");
    assert!(got.body.unwrap().is_empty());
    let got = client.get(&server.url("/304")).unwrap();
    assert_eq!(got.status, StatusCode::NOT_MODIFIED);
    assert!(got.body.unwrap().is_empty());
    let got = client.get(&server.url("/204")).unwrap();
    assert_eq!(got.status, StatusCode::NO_CONTENT);
    assert_eq!(client.get(&server.url("/")).unwrap().text(), "after");
    assert_eq!(server.accepts(), 1);
}

fn bodies_over_the_size_limit_are_refused(mode: Mode) {
    let server = Server::respond(|request, _| match request.path() {
        "/announced" => (response(200, &[], &vec![b'a'; 5000]), true),
        _ => {
            let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for _ in 0..10 {
                out.extend_from_slice(b"3e8\r\n");
                out.extend_from_slice(&[b'c'; 1000]);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            (out, true)
        }
    });
    let client = match mode {
        Mode::Sync => {
            let client = bounded().max_body_size(4096).build();
            let err = client
                .get(&server.url("/announced"))
                .send()
                .unwrap()
                .bytes()
                .unwrap_err();
            assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
            let err = client
                .get(&server.url("/chunked"))
                .send()
                .unwrap()
                .text()
                .unwrap_err();
            assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
            return;
        }
        Mode::Async => bounded().max_body_size(4096).build_async(),
    };
    block_on(async {
        let err = client
            .get(&server.url("/announced"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
        let err = client
            .get(&server.url("/chunked"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
    });
}

fn invalid_requests_fail_before_any_io(mode: Mode) {
    let client = TestClient::bounded(mode);
    assert!(matches!(
        client.get("ftp://example.com/"),
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        client.get("not a url"),
        Err(Error::InvalidRequest(_))
    ));
    let bad_header = Req::get("http://127.0.0.1:9/").header("x-bad", "a\r\nb");
    assert!(matches!(
        client.send(bad_header),
        Err(Error::InvalidRequest(_))
    ));
    // A body of the other mode's reader is refused.
    let wrong = match mode {
        Mode::Sync => {
            let client = Client::new();
            client
                .post("http://127.0.0.1:9/")
                .body(Body::from_async_reader(AsyncBytes(vec![1], 0)))
                .send()
                .err()
        }
        Mode::Async => {
            let client = AsyncClient::new();
            block_on(
                client
                    .post("http://127.0.0.1:9/")
                    .body(Body::from_reader(std::io::Cursor::new(vec![1u8])))
                    .send(),
            )
            .err()
        }
    };
    assert!(matches!(wrong, Some(Error::InvalidRequest(_))));
    // Nothing listens on the port: a transport error. The port stays bound
    // (not listening, so connections are refused) so that no other test can
    // start a server on it meanwhile.
    let closed = sockets::Socket::new(
        sockets::AddressFamily::InterNetwork,
        sockets::SocketType::Stream,
        sockets::ProtocolType::Tcp,
    )
    .unwrap();
    closed.bind(([127, 0, 0, 1], 0)).unwrap();
    let port = closed.local_endpoint().unwrap().as_ip().unwrap().port();
    assert!(matches!(
        client.get(&format!("http://127.0.0.1:{port}/")),
        Err(Error::Transport(_))
    ));
}

fn http_requests_built_elsewhere_are_sent(mode: Mode) {
    let server = Server::respond(|request, _| {
        (
            ok(&format!(
                "{} {}",
                request.method,
                String::from_utf8_lossy(&request.body)
            )),
            true,
        )
    });
    let request = http::Request::builder()
        .method(Method::PUT)
        .uri(server.url("/x"))
        .header("x-a", "b")
        .body("from http::Request")
        .unwrap();
    let text = match mode {
        Mode::Sync => Client::new().execute(request).unwrap().text().unwrap(),
        Mode::Async => block_on(async {
            AsyncClient::new()
                .execute(request)
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }),
    };
    assert_eq!(text, "PUT from http::Request");
}

fn timings_are_reported(mode: Mode) {
    let server = Server::respond(|_, _| (ok("t"), true));
    let client = TestClient::bounded(mode);
    let url = server.url("/").replace("127.0.0.1", "localhost");
    let first = client.get(&url).unwrap();
    let t = &first.timings;
    assert!(!t.reused && t.resolve.is_some() && t.connect.is_some() && t.tls.is_none());
    assert!(!t.attempts.is_empty());
    assert!(t.first_byte.unwrap() <= t.total.unwrap());
    let second = client.get(&url).unwrap();
    assert!(second.timings.reused && second.timings.connect.is_none());
}

fn a_flood_of_informational_responses_is_cut_off(mode: Mode) {
    // A few 1xx heads are passed over; an endless stream of them is an error,
    // not a request that never ends.
    let server = Server::respond(|request, _| {
        let count = if request.path() == "/few" { 3 } else { 1000 };
        let mut bytes = b"HTTP/1.1 102 Processing\r\n\r\n".repeat(count);
        bytes.extend_from_slice(&ok("done"));
        (bytes, false)
    });
    let client = TestClient::bounded(mode);
    assert_eq!(
        client.get(&server.url("/few")).unwrap().body.unwrap(),
        b"done"
    );
    let Err(err) = client.get(&server.url("/flood")) else {
        panic!("a flood of 1xx responses was passed over without end");
    };
    assert!(
        matches!(
            err,
            Error::Parse(ParseError::TooManyInformational { limit: 32 })
        ),
        "{err}"
    );
}

fn a_reset_mid_body_is_an_error_never_a_short_body(mode: Mode) {
    // The request is left unread, so dropping the connection resets it (RST)
    // after a few bytes of a 100,000-byte body.
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        std::thread::sleep(Duration::from_millis(50));
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npart of it");
        drop(conn);
    });
    let client = TestClient::bounded(mode);
    match client.get(&server.url("/")) {
        Err(Error::Transport(_)) | Err(Error::Parse(ParseError::IncompleteBody { .. })) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(got) => match got.body {
            Err(Error::Transport(_)) | Err(Error::Parse(ParseError::IncompleteBody { .. })) => {}
            Err(e) => panic!("unexpected body error {e}"),
            Ok(body) => panic!("a cut body came back whole: {} bytes", body.len()),
        },
    }
}

both_modes!(
    a_reset_mid_body_is_an_error_never_a_short_body,
    a_flood_of_informational_responses_is_cut_off,
    python_http_server_serves_files,
    ten_thousand_requests_use_one_connection,
    a_server_closing_idle_connections_fails_no_request,
    a_stale_connection_is_not_retried_for_post,
    an_unread_body_closes_the_connection,
    connection_close_is_honoured_and_http10_is_not_kept,
    request_heads_and_bodies_are_sent_as_given,
    expect_100_continue,
    redirects_chains_loops_and_limits,
    redirects_change_methods_as_the_rfc_says,
    redirects_drop_credentials_across_origins,
    gzip_bodies_are_decoded_on_request_and_bombs_stopped,
    adversarial_framing_is_rejected,
    a_head_larger_than_the_limit_is_rejected,
    a_silent_server_hits_the_read_timeout,
    a_trickling_server_hits_the_deadline,
    a_write_that_cannot_proceed_hits_the_write_timeout,
    informational_responses_are_skipped,
    bodiless_responses_keep_the_connection,
    bodies_over_the_size_limit_are_refused,
    invalid_requests_fail_before_any_io,
    http_requests_built_elsewhere_are_sent,
    timings_are_reported,
);

/// The async client's futures and responses can move between threads
/// (`tokio::spawn`), and the blocking client is shared between threads.
#[test]
fn futures_and_clients_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let client = AsyncClient::new();
    let future = client
        .post("http://127.0.0.1:9/")
        .body(Body::from_async_reader(AsyncBytes(vec![1], 0)))
        .send();
    send(&future);
    drop(future);
    send_sync(&client);
    send_sync(&Client::new());
    fn response_is_send(r: protocols::http::client::AsyncResponse) -> impl Send {
        r
    }
    let _ = response_is_send;
    fn sync_response_is_send(r: protocols::http::client::Response) -> impl Send {
        r
    }
    let _ = sync_response_is_send;
}

fn a_connect_that_gets_no_answer_hits_the_connect_timeout(mode: Mode) {
    // A listener whose accept queue is full drops new SYNs: connecting hangs.
    let listener = transport::TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(0).unwrap();
    let addr: std::net::SocketAddr = listener.local_endpoint().unwrap().as_ip().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    // Without a hanging connect this test proves nothing: it fails, loudly.
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "this kernel accepts connections past a full backlog, so a connect that gets no \
         answer cannot be provoked on loopback here; the connect-timeout test needs a \
         Linux kernel that drops SYNs to a full accept queue"
    );
    let client = TestClient::new(
        mode,
        bounded().connect_timeout(Some(Duration::from_millis(300))),
    );
    let started = Instant::now();
    let err = client.get(&format!("http://{addr}/")).err().unwrap();
    assert!(
        matches!(&err, Error::Transport(t) if t.is_timeout()),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The overall deadline, when shorter, is the one reported.
    let client = TestClient::new(mode, bounded().timeout(Duration::from_millis(300)));
    let err = client.get(&format!("http://{addr}/")).err().unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::Deadline,
                ..
            }
        ),
        "{err}"
    );
}

both_modes!(a_connect_that_gets_no_answer_hits_the_connect_timeout);

fn the_pool_is_bounded_and_idle_connections_expire(mode: Mode) {
    let server = Server::respond(|_, _| (ok("p"), true));
    let url = server.url("/");
    let builder = || {
        bounded()
            .pool_max_idle_per_host(2)
            .pool_idle_timeout(Duration::from_millis(200))
    };
    match mode {
        Mode::Sync => {
            let client = builder().build();
            // Three responses held at once: three connections.
            let held: Vec<_> = (0..3).map(|_| client.get(&url).send().unwrap()).collect();
            assert_eq!(server.accepts(), 3);
            for response in held {
                assert_eq!(response.text().unwrap(), "p");
            }
            assert_eq!(client.idle_connections(), 2);
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(client.get(&url).send().unwrap().text().unwrap(), "p");
            assert_eq!(server.accepts(), 4, "expired connections are not reused");
        }
        Mode::Async => block_on(async {
            let client = builder().build_async();
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(client.get(&url).send().await.unwrap());
            }
            assert_eq!(server.accepts(), 3);
            for response in held {
                assert_eq!(response.text().await.unwrap(), "p");
            }
            assert_eq!(client.idle_connections(), 2);
            sockets::sleep(Duration::from_millis(300)).await;
            assert_eq!(
                client.get(&url).send().await.unwrap().text().await.unwrap(),
                "p"
            );
            assert_eq!(server.accepts(), 4, "expired connections are not reused");
        }),
    }
}

both_modes!(the_pool_is_bounded_and_idle_connections_expire);

/// The async client's futures run under another executor too: here tasks
/// spawned on a multi-threaded tokio runtime (which also proves them `Send`).
#[test]
fn the_async_client_runs_under_tokio() {
    let server = Server::respond(|request, _| (ok(request.path()), true));
    let client = AsyncClient::builder()
        .timeout(Duration::from_secs(20))
        .build_async();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/task/{i}"));
            runtime.spawn(async move { client.get(&url).send().await?.text().await })
        })
        .collect();
    let texts: Vec<String> = runtime.block_on(async {
        let mut texts = Vec::new();
        for task in tasks {
            texts.push(task.await.unwrap().unwrap());
        }
        texts
    });
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(text, &format!("/task/{i}"));
    }
}

#[test]
#[should_panic(expected = "the crafted server's handler failed: a request was expected")]
fn an_assertion_in_a_crafted_server_fails_the_test() {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        assert!(conn.read_request().is_some(), "a request was expected");
    });
    // The client connects and leaves at once: the handler's assertion fails.
    let stream = std::net::TcpStream::connect(server.addr).unwrap();
    drop(stream);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
        if server.accepts() == 1 && server.handler_failures() > 0 {
            break;
        }
    }
    drop(server);
}
