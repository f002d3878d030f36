use super::*;
use http::header::HeaderMap;

fn conn() -> Conn {
    Conn::new(&ServerConfig::default(), Instant::now())
}

fn feed(conn: &mut Conn, bytes: &[u8]) {
    let mut at = 0;
    while at < bytes.len() {
        let spare = conn.spare();
        let n = spare.len().min(bytes.len() - at);
        spare[..n].copy_from_slice(&bytes[at..at + n]);
        conn.filled(n);
        at += n;
    }
}

fn take_output(conn: &mut Conn) -> String {
    let out = String::from_utf8_lossy(conn.output()).into_owned();
    let n = conn.output().len();
    conn.written(n);
    out
}

fn respond(conn: &mut Conn, status: StatusCode, body: &[u8]) -> String {
    let headers = HeaderMap::new();
    let framing = conn.start_response(status, &headers, BodyKind::Full(body.len() as u64));
    if framing.sends_body() {
        conn.body_data(body).unwrap();
    }
    conn.finish_response().unwrap();
    take_output(conn)
}

fn read_all(conn: &mut Conn) -> Result<Vec<u8>, Rejection> {
    let mut body = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        match conn.read_body(&mut buf) {
            BodyEvent::Data(n) => body.extend_from_slice(&buf[..n]),
            BodyEvent::Done => return Ok(body),
            BodyEvent::NeedInput => panic!("needs input"),
            BodyEvent::Failed(r) => return Err(r),
        }
    }
}

#[test]
fn pipelined_requests_are_served_in_order_with_keep_alive() {
    let mut c = conn();
    feed(
        &mut c,
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    for (path, body) in [("/a", &b""[..]), ("/b", b"hello"), ("/c", b"")] {
        let HeadEvent::Request(parts) = c.poll_head() else {
            panic!("no head for {path}")
        };
        assert_eq!(parts.uri.path(), path);
        assert_eq!(read_all(&mut c).unwrap(), body);
        let out = respond(&mut c, StatusCode::OK, path.as_bytes());
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with(path), "{out}");
        let next = c.end_exchange(Instant::now());
        if path == "/c" {
            assert!(out.contains("connection: close"), "{out}");
            assert_eq!(next, Next::Close);
        } else {
            assert!(!out.contains("connection"), "{out}");
            assert_eq!(next, Next::Continue);
        }
    }
    assert_eq!(c.served(), 2);
}

#[test]
fn a_head_trickled_in_bytes_parses() {
    let mut c = conn();
    let request = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
    for byte in &request[..request.len() - 1] {
        feed(&mut c, std::slice::from_ref(byte));
        assert!(matches!(c.poll_head(), HeadEvent::NeedInput));
    }
    feed(&mut c, b"\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
}

#[test]
fn malformed_requests_get_their_status_and_close() {
    let cases: &[(&[u8], u16)] = &[
        (b"NOT A REQUEST\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        // Without chunked last, the length is unknown: 400 (RFC 9112 §6.3).
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
            400,
        ),
        // Chunked over a coding this server does not decode: 501.
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            501,
        ),
        // Another protocol's bytes are refused at once, with no line end yet.
        (&[0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00], 400),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
            413,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417),
    ];
    for (bytes, status) in cases {
        let mut c = conn();
        feed(&mut c, bytes);
        let event = c.poll_head();
        let HeadEvent::Rejected(rejection) = event else {
            panic!("{:?}: {event:?}", String::from_utf8_lossy(bytes))
        };
        assert_eq!(rejection.status.as_u16(), *status);
        let out = take_output(&mut c);
        assert!(out.starts_with(&format!("HTTP/1.1 {status} ")), "{out}");
        assert!(out.contains("connection: close"));
        assert!(c.is_closed());
    }
    let mut c = conn();
    feed(&mut c, b"GET / HTTP/1.1\r\nHost: x\r\nX: ");
    feed(&mut c, &vec![b'a'; 70 * 1024]);
    let HeadEvent::Rejected(rejection) = c.poll_head() else {
        panic!()
    };
    assert_eq!(
        rejection.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}

#[test]
fn chunked_bodies_and_their_errors() {
    let mut c = conn();
    feed(&mut c, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    assert_eq!(read_all(&mut c).unwrap(), b"hello world");

    let mut c = conn();
    feed(
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    let rejection = read_all(&mut c).unwrap_err();
    assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
    // The handler's response is replaced by the error.
    let out = respond(&mut c, StatusCode::OK, b"fine");
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert_eq!(c.end_exchange(Instant::now()), Next::Close);

    let config = ServerConfig::default().max_body_size(4);
    let mut c = Conn::new(&config, Instant::now());
    feed(
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    assert_eq!(
        read_all(&mut c).unwrap_err().status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[test]
fn expect_continue_is_answered_before_the_body_is_read() {
    let mut c = conn();
    feed(
        &mut c,
        b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    assert!(!c.has_output());
    let mut buf = [0u8; 8];
    assert!(matches!(c.read_body(&mut buf), BodyEvent::NeedInput));
    assert_eq!(take_output(&mut c), "HTTP/1.1 100 Continue\r\n\r\n");
    feed(&mut c, b"ok");
    assert!(matches!(c.read_body(&mut buf), BodyEvent::Data(2)));
    assert!(matches!(c.read_body(&mut buf), BodyEvent::Done));

    // Not read at all: no 100, and the connection closes after the response.
    let mut c = conn();
    feed(
        &mut c,
        b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    let out = respond(&mut c, StatusCode::FORBIDDEN, b"");
    assert!(out.contains("connection: close"), "{out}");
    assert_eq!(c.end_exchange(Instant::now()), Next::Close);
}

#[test]
fn bodiless_responses_and_framing() {
    let mut c = conn();
    feed(&mut c, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    let out = respond(&mut c, StatusCode::OK, b"hello");
    assert!(out.contains("content-length: 5\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "{out}");
    assert_eq!(c.end_exchange(Instant::now()), Next::Continue);

    for status in [StatusCode::NO_CONTENT, StatusCode::NOT_MODIFIED] {
        let mut c = conn();
        feed(&mut c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
        let out = respond(&mut c, status, b"ignored");
        assert!(out.ends_with("\r\n\r\n"), "{out}");
        assert!(!out.contains("ignored"));
    }

    // Unknown length: chunked for HTTP/1.1, until close for HTTP/1.0.
    let mut c = conn();
    feed(&mut c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    let framing = c.start_response(StatusCode::OK, &HeaderMap::new(), BodyKind::Unsized);
    assert_eq!(framing, Framing::Chunked);
    c.body_data(b"abc").unwrap();
    c.finish_response().unwrap();
    let out = take_output(&mut c);
    assert!(out.contains("transfer-encoding: chunked"));
    assert!(out.ends_with("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), "{out:?}");

    let mut c = conn();
    feed(&mut c, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    let framing = c.start_response(StatusCode::OK, &HeaderMap::new(), BodyKind::Unsized);
    assert_eq!(framing, Framing::UntilClose);
    assert!(take_output(&mut c).contains("connection: close"));
    assert_eq!(c.end_exchange(Instant::now()), Next::Close);

    // A declared length must be met.
    let mut c = conn();
    feed(&mut c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    c.start_response(StatusCode::OK, &HeaderMap::new(), BodyKind::Sized(4));
    c.body_data(b"ab").unwrap();
    assert!(c.finish_response().is_err());
    assert_eq!(c.end_exchange(Instant::now()), Next::Close);
}

#[test]
fn an_unread_body_is_drained_then_the_next_request_follows() {
    let mut c = conn();
    feed(
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    respond(&mut c, StatusCode::OK, b"");
    assert_eq!(c.end_exchange(Instant::now()), Next::Drain);
    assert!(matches!(c.drain_body(), BodyEvent::NeedInput));
    feed(&mut c, b"cdGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(c.drain_body(), BodyEvent::Done));
    assert_eq!(c.end_exchange(Instant::now()), Next::Continue);
    let HeadEvent::Request(parts) = c.poll_head() else {
        panic!()
    };
    assert_eq!(parts.uri.path(), "/next");
}

#[test]
fn deadlines_follow_the_phase() {
    let start = Instant::now();
    let config = ServerConfig::default()
        .head_timeout(Duration::from_secs(3))
        .idle_timeout(Duration::from_secs(7));
    let mut c = Conn::new(&config, start);
    assert_eq!(
        c.read_wait(start),
        (Wait::Head, start + Duration::from_secs(3))
    );
    feed(&mut c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    respond(&mut c, StatusCode::OK, b"");
    let later = start + Duration::from_secs(1);
    assert_eq!(c.end_exchange(later), Next::Continue);
    assert_eq!(
        c.read_wait(later),
        (Wait::Idle, later + Duration::from_secs(7))
    );
    feed(&mut c, b"GE");
    assert!(matches!(c.poll_head(), HeadEvent::NeedInput));
    let (wait, deadline) = c.read_wait(later);
    assert_eq!(
        (wait, deadline),
        (Wait::Head, later + Duration::from_secs(3))
    );
    c.timed_out(Wait::Head);
    assert!(c.is_closed());
    assert!(take_output(&mut c).starts_with("HTTP/1.1 408"));
}

#[test]
fn a_body_wait_ends_where_the_minimum_rate_says() {
    let start = Instant::now();
    let config = ServerConfig::default()
        .body_timeout(Duration::from_secs(30))
        .min_body_rate(500);
    let mut c = Conn::new(&config, start);
    feed(
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    // The first wait: the per-read timeout and the allowance agree.
    assert_eq!(
        c.read_wait(start),
        (Wait::Body, start + Duration::from_secs(30))
    );
    // 1,000 bytes by 20 s in: the allowance is 30 s + 2 s from the start,
    // sooner than 30 s from now.
    feed(&mut c, &[b'x'; 1000]);
    let mut out = [0u8; 4096];
    assert!(matches!(c.read_body(&mut out), BodyEvent::Data(1000)));
    let later = start + Duration::from_secs(20);
    assert_eq!(
        c.read_wait(later),
        (Wait::BodyRate, start + Duration::from_secs(32))
    );
    c.timed_out(Wait::BodyRate);
    let BodyEvent::Failed(rejection) = c.read_body(&mut out) else {
        panic!("the body read did not fail")
    };
    assert_eq!(rejection.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(
        rejection.message(),
        "http: the request body came more slowly than 500 bytes/s"
    );
    // With the rule off, only the per-read timeout is left.
    let mut c = Conn::new(&config.clone().min_body_rate(0), start);
    feed(
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
    );
    assert!(matches!(c.poll_head(), HeadEvent::Request(_)));
    assert_eq!(
        c.read_wait(later),
        (Wait::Body, later + Duration::from_secs(30))
    );
}

#[test]
fn the_step_function_drains_reads_handles_and_closes() {
    let mut c = conn();
    let now = Instant::now();
    // A new connection waits for its first head (not idle: it was just opened).
    assert!(matches!(c.next_step(now), Step::Read { idle: false }));
    feed(
        &mut c,
        b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello",
    );
    let Step::Handle(parts) = c.next_step(now) else {
        panic!("no request")
    };
    assert_eq!(parts.uri.path(), "/a");
    // The handler reads nothing of the body and answers.
    respond(&mut c, StatusCode::OK, b"ok");
    // Half the body is still on its way: the step is a read, not idle.
    assert!(matches!(c.next_step(now), Step::Read { idle: false }));
    feed(&mut c, b"worldGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    let Step::Handle(parts) = c.next_step(now) else {
        panic!("the drained connection did not go on")
    };
    assert_eq!(parts.uri.path(), "/b");
    respond(&mut c, StatusCode::OK, b"");
    // Between requests the connection is idle.
    assert!(matches!(c.next_step(now), Step::Read { idle: true }));
    c.set_eof();
    assert!(matches!(c.next_step(now), Step::Close));
}

#[test]
fn a_response_not_handed_over_whole_closes_the_connection() {
    let mut c = conn();
    feed(
        &mut c,
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(matches!(c.next_step(Instant::now()), Step::Handle(_)));
    let headers = HeaderMap::new();
    c.start_response(StatusCode::OK, &headers, BodyKind::Sized(10));
    // No finish_response: the next request must not be read.
    assert!(matches!(c.next_step(Instant::now()), Step::Close));
}
