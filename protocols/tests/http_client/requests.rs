//! What the client sends: heads, bodies, 100-continue, requests built
//! elsewhere, and requests refused before any I/O.

use super::*;

both_modes!(
    python_http_server_serves_files,
    request_heads_and_bodies_are_sent_as_given,
    default_headers_can_be_left_out,
    expect_100_continue,
    invalid_requests_fail_before_any_io,
    http_requests_built_elsewhere_are_sent,
    timings_are_reported,
);

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

fn default_headers_can_be_left_out(mode: Mode) {
    let server = Server::respond(|request, _| {
        let names: Vec<String> = request
            .headers
            .iter()
            .map(|(n, v)| format!("{}={v}", n.to_ascii_lowercase()))
            .collect();
        (ok(&names.join(";")), true)
    });
    let client = TestClient::new(mode, bounded().decompress(true));
    let sorted = |text: String| {
        let mut names: Vec<String> = text.split(';').map(str::to_string).collect();
        names.sort();
        names.join(";")
    };
    let text = client.send(Req::get(server.url("/all"))).unwrap().text();
    let host = format!("host={}", server.url("").trim_start_matches("http://"));
    assert_eq!(
        sorted(text),
        format!("accept-encoding=gzip, deflate;accept=*/*;{host};user-agent=netstack/0.1")
    );
    let mut req = Req::get(server.url("/some")).header("x-set", "1");
    req.omit = vec!["accept", "user-agent", "accept-encoding", "x-set"];
    let text = client.send(req).unwrap().text();
    assert_eq!(text, host);
    // A header set after it is omitted is sent; Host can be left out too
    // (a request without one, as curl sends it).
    let mut req = Req::get(server.url("/host"));
    req.omit = vec!["host", "user-agent", "accept-encoding"];
    let req = req.header("accept", "text/plain");
    let text = client.send(req).unwrap().text();
    assert_eq!(text, "accept=text/plain");
    // The framing is the client's.
    let mut req = Req::post(server.url("/post"), b"body");
    req.omit = vec!["content-length"];
    match client.send(req) {
        Err(Error::InvalidRequest(message)) => {
            assert!(message.contains("content-length"), "{message}")
        }
        other => panic!("expected InvalidRequest, got {:?}", other.map(|g| g.status)),
    }
}

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
