//! Raw sockets: what the server puts on the wire for pipelined, keep-alive
//! and HTTP/1.0 requests.

use super::*;

both_modes!(
    pipelined_requests_are_answered_in_order,
    head_204_and_streaming_framing_on_the_wire,
    sequential_keep_alive_requests_do_not_stall,
    http_1_0_clients,
);

fn pipelined_requests_are_answered_in_order(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst\
              HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n\
              GET /stream HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["GET", "POST", "HEAD", "POST", "GET", "GET"]);
    let bodies: Vec<&[u8]> = responses.iter().map(|r| r.body.as_slice()).collect();
    assert_eq!(
        bodies,
        [
            &b"slow done"[..],
            b"first",
            b"",
            b"second",
            Pieces::text().as_bytes(),
            b"hello world"
        ]
    );
    assert_eq!(responses[2].header("content-length"), Some("11"));
    assert_eq!(responses[5].header("connection"), Some("close"));
}

fn head_204_and_streaming_framing_on_the_wire(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream
        .write_all(
            b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n\
              HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["HEAD", "GET", "HEAD"]);
    assert_eq!(responses[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(responses[1].head.status, 204);
    assert_eq!(responses[1].header("content-length"), None);
    assert!(responses.iter().all(|r| r.body.is_empty()));
}

fn sequential_keep_alive_requests_do_not_stall(mode: Mode) {
    // 2,000 request/response round trips on one connection; a Nagle or
    // delayed-ACK stall (40 ms each) would take over a minute.
    let server = TestServer::start(mode, quick_config());
    let mut stream = server.connect();
    stream.set_nodelay(true).unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    for i in 0..2000 {
        let request: &[u8] = if i % 2 == 0 {
            b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        } else {
            b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
        };
        stream.write_all(request).unwrap();
        let mut got = Vec::new();
        let end: &[u8] = if i % 2 == 0 {
            b"hello world"
        } else {
            b"0\r\n\r\n"
        };
        while !got.ends_with(end) {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {i} requests");
            got.extend_from_slice(&buf[..n]);
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "2,000 requests took {elapsed:?}"
    );
}

fn http_1_0_clients(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    // No keep-alive asked: closed after the response.
    let reply = exchange(&server, b"GET /hello HTTP/1.0\r\n\r\n");
    let responses = parse_responses(&reply, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert_eq!(responses[0].header("connection"), Some("close"));
    // A stream of unknown length: delimited by the close, never chunked.
    let reply = exchange(
        &server,
        b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&reply);
    assert!(!text.contains("transfer-encoding"), "{text}");
    assert!(text.ends_with(&Pieces::text()), "{text}");
    // Keep-alive asked: kept.
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n",
        )
        .unwrap();
    let all = read_to_close(&mut stream);
    let responses = parse_responses(&all, &["GET", "GET"]);
    assert_eq!(responses[0].header("connection"), Some("keep-alive"));
    assert_eq!(responses[1].header("connection"), Some("close"));
}
