//! Hostile and slow clients: slowloris, idle connections, malformed and
//! oversized requests, stalled bodies and bodies below the minimum rate.

use super::*;

both_modes!(
    slowloris_is_cut_off_and_others_are_served,
    idle_keep_alive_connections_are_closed,
    malformed_requests_get_their_status_and_close,
    malformed_requests_over_tls_get_their_status_and_close,
    oversized_bodies_get_413,
    a_stalled_body_gets_408,
    a_body_below_the_minimum_rate_gets_408,
    a_body_above_the_minimum_rate_outlasts_the_body_timeout,
    a_silent_or_dribbling_tls_handshake_is_cut_off,
);

fn slowloris_is_cut_off_and_others_are_served(mode: Mode) {
    let head_timeout = Duration::from_secs(2);
    let config = quick_config().head_timeout(head_timeout);
    let server = TestServer::start(mode, config);
    let mut slow = server.connect();
    let started = Instant::now();
    let trickler = {
        let mut slow = slow.try_clone().unwrap();
        std::thread::spawn(move || {
            for byte in b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n" {
                if slow.write_all(std::slice::from_ref(byte)).is_err() {
                    return;
                }
                // 44 bytes at this pace take 22 s: far past the head timeout.
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    // Others are served meanwhile, before the slow one is cut off.
    for _ in 0..3 {
        let reply = exchange(
            &server,
            b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_of(&reply), 200);
        assert!(started.elapsed() < head_timeout, "{:?}", started.elapsed());
    }
    let reply = read_to_close(&mut slow);
    let elapsed = started.elapsed();
    // Cut off by the head timeout, long before the head would be complete.
    assert!(
        elapsed >= head_timeout - Duration::from_millis(100) && elapsed < head_timeout * 5,
        "cut off after {elapsed:?}"
    );
    if !reply.is_empty() {
        assert_eq!(status_of(&reply), 408);
    }
    let _ = slow.shutdown(Shutdown::Both);
    trickler.join().unwrap();
    // A client that sends nothing at all is cut off too.
    let mut silent = server.connect();
    let started = Instant::now();
    let reply = read_to_close(&mut silent);
    assert!(reply.is_empty() || status_of(&reply) == 408);
    assert!(
        started.elapsed() < head_timeout * 5,
        "{:?}",
        started.elapsed()
    );
}

fn idle_keep_alive_connections_are_closed(mode: Mode) {
    let config = quick_config().idle_timeout(Duration::from_millis(500));
    let server = TestServer::start(mode, config);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let all = read_to_close(&mut stream);
    let elapsed = started.elapsed();
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
}

/// Requests RFC 9112 says a server must refuse, each with its status.
fn adversarial_requests() -> Vec<(&'static str, Vec<u8>, u16)> {
    let huge_header = format!(
        "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let many_lines: String = (0..2000).map(|i| format!("X-{i}: y\r\n")).collect();
    let many = format!("GET /hello HTTP/1.1\r\nHost: x\r\n{many_lines}\r\n");
    vec![
        ("bad request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        ("bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), 400),
        (
            "CL+TE",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "obs-fold",
            b"GET /hello HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n".to_vec(),
            400,
        ),
        ("bare CR", b"GET /hello HTTP/1.1\r\nHost: x\rY: z\r\n\r\n".to_vec(), 400),
        ("no Host", b"GET /hello HTTP/1.1\r\n\r\n".to_vec(), 400),
        (
            "two Content-Lengths",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "bad chunk size",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        ("head too large", huge_header.into_bytes(), 431),
        ("too many headers", many.into_bytes(), 431),
        (
            "gzip transfer coding",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec(),
            501,
        ),
        (
            "chunked not last",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n".to_vec(),
            400,
        ),
        (
            "chunked not last, over two lines",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n".to_vec(),
            400,
        ),
        (
            "chunk extension without a name",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nhi\r\n0\r\n\r\n".to_vec(),
            400,
        ),
    ]
}

fn malformed_requests_get_their_status_and_close(mode: Mode) {
    let config = quick_config().limits(Limits::default().max_head_size(8 * 1024));
    let server = TestServer::start(mode, config);
    for (name, request, status) in adversarial_requests() {
        let reply = exchange(&server, &request);
        assert_refused(name, &reply, status);
    }
    // Another protocol's bytes (a TLS ClientHello) are refused at once,
    // not after the head timeout: the reply comes while the client waits.
    let reply = exchange(&server, &[0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00]);
    assert_refused("TLS ClientHello", &reply, 400);
    // A malformed request after a good one on the same connection: the
    // good one is answered, then the error, then the close.
    let reply = exchange(
        &server,
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let responses = parse_responses(&reply, &["GET", "GET"]);
    assert_eq!(responses[0].head.status, 200);
    assert_eq!(responses[1].head.status, 400);
    // The server is still fine.
    assert_eq!(curl_ok(&[&server.url("/hello")]), b"hello world");
}

/// The same refusals from the TLS server (a slow or broken handshake is
/// no excuse to treat the request inside any differently).
fn malformed_requests_over_tls_get_their_status_and_close(mode: Mode) {
    let config = quick_config()
        .limits(Limits::default().max_head_size(8 * 1024))
        .tls(tls_config());
    let server = TestServer::start(mode, config);
    let client_config = transport::tls::TlsClientConfig::builder()
        .add_root_certificates_pem(&tls_certificate().cert)
        .system_roots(false)
        .build()
        .unwrap();
    for (name, request, status) in adversarial_requests() {
        let net = transport::TcpClient::connect("127.0.0.1", server.addr.port())
            .unwrap()
            .into_stream();
        net.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = transport::tls::TlsStream::client(&client_config, "localhost", net).unwrap();
        tls.write_all(&request).unwrap();
        tls.flush().unwrap();
        let mut reply = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match tls.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
                // A reset or a close without close_notify after the response.
                Err(_) => break,
            }
        }
        assert_refused(name, &reply, status);
    }
}

fn assert_refused(name: &str, reply: &[u8], status: u16) {
    assert!(!reply.is_empty(), "{name}: no response");
    assert_eq!(
        status_of(reply),
        status,
        "{name}: {:?}",
        String::from_utf8_lossy(reply)
    );
    let responses = parse_responses(reply, &["GET"]);
    assert_eq!(responses[0].header("connection"), Some("close"), "{name}");
}

fn oversized_bodies_get_413(mode: Mode) {
    let server = TestServer::start(mode, quick_config().max_body_size(1000));
    // Announced: refused before the handler runs.
    let reply = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
    );
    assert_eq!(status_of(&reply), 413);
    // Chunked: refused once the limit is passed, replacing the handler's response.
    let file = test_file("big", &pattern(5000));
    let output = curl(&[
        "--include",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // With Expect: 100-continue, refused without a 100.
    let output = curl(&[
        "--include",
        "--verbose",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("100 Continue"));
    // Within the limit: fine.
    let out = curl_ok(&["--data-binary", "small", &server.url("/echo")]);
    assert_eq!(out, b"small");
    std::fs::remove_file(file).unwrap();
}

fn a_stalled_body_gets_408(mode: Mode) {
    let config = quick_config().body_timeout(Duration::from_millis(500));
    let server = TestServer::start(mode, config);
    let mut stream = server.connect();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .unwrap();
    let started = Instant::now();
    let reply = read_to_close(&mut stream);
    assert_eq!(
        status_of(&reply),
        408,
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}

/// Sends `head`, then `body` `piece` bytes at a time every `every`, from
/// another thread (stopping at the first failed write), and returns what the
/// server answered and when, counted from the end of the head.
fn dribble_body(
    server: &TestServer,
    head: &[u8],
    body: Vec<u8>,
    piece: usize,
    every: Duration,
) -> (Vec<u8>, Duration) {
    let mut stream = server.connect();
    stream.write_all(head).unwrap();
    let started = Instant::now();
    let mut writer = stream.try_clone().unwrap();
    let dribbler = std::thread::spawn(move || {
        for bytes in body.chunks(piece) {
            std::thread::sleep(every);
            if writer.write_all(bytes).is_err() {
                return;
            }
        }
    });
    let reply = read_to_close(&mut stream);
    let elapsed = started.elapsed();
    let _ = stream.shutdown(Shutdown::Both);
    dribbler.join().unwrap();
    (reply, elapsed)
}

fn a_body_below_the_minimum_rate_gets_408(mode: Mode) {
    // 10 bytes/s against a minimum of 100: every byte comes well within
    // the per-read timeout, but the body's allowance (0.8 s, then 10 ms per
    // byte) runs out after about 0.9 s.
    let config = quick_config()
        .body_timeout(Duration::from_millis(800))
        .min_body_rate(100);
    let server = TestServer::start(mode, config);
    let (reply, elapsed) = dribble_body(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        vec![b'x'; 100],
        1,
        Duration::from_millis(100),
    );
    let text = String::from_utf8_lossy(&reply);
    assert_eq!(status_of(&reply), 408, "{text:?}");
    assert!(
        text.contains("request body came more slowly than 100 bytes/s"),
        "{text:?}"
    );
    // Cut off on the rate, long before the 10 s the whole body would take.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

fn a_body_above_the_minimum_rate_outlasts_the_body_timeout(mode: Mode) {
    // 300 bytes/s for a second, past the 0.8 s body timeout: each byte
    // received extends the allowance by 10 ms, so the body is served whole.
    let config = quick_config()
        .body_timeout(Duration::from_millis(800))
        .min_body_rate(100);
    let server = TestServer::start(mode, config);
    let body = pattern(300);
    let (reply, _) = dribble_body(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\nConnection: close\r\n\r\n",
        body.clone(),
        30,
        Duration::from_millis(100),
    );
    let responses = parse_responses(&reply, &["POST"]);
    assert_eq!(responses[0].head.status, 200);
    assert_eq!(responses[0].body, body);
}

/// A slow handshake is a slow head: a TLS client that sends nothing, or
/// its ClientHello a byte at a time, is closed by the handshake timeout,
/// and the server goes on serving others.
fn a_silent_or_dribbling_tls_handshake_is_cut_off(mode: Mode) {
    let handshake_timeout = Duration::from_millis(500);
    let config = quick_config().tls(tls_config().with_handshake_timeout(handshake_timeout));
    let server = TestServer::start(mode, config);
    // The start of a ClientHello record, then nothing more.
    let hello_start: &[u8] = &[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    for dribble in [false, true] {
        let mut client = server.connect();
        let started = Instant::now();
        let writer = {
            let mut client = client.try_clone().unwrap();
            std::thread::spawn(move || {
                if !dribble {
                    return;
                }
                for byte in hello_start {
                    if client.write_all(std::slice::from_ref(byte)).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(400));
                }
            })
        };
        let rest = read_to_close(&mut client);
        let elapsed = started.elapsed();
        // No HTTP answer: the handshake never finished. Closed by the
        // timeout, long before the dribble (4.4 s) or the head timeout (10 s).
        assert!(!rest.starts_with(b"HTTP/"), "dribble {dribble}: {rest:?}");
        assert!(
            elapsed >= handshake_timeout - Duration::from_millis(50)
                && elapsed < handshake_timeout * 5,
            "dribble {dribble}: closed after {elapsed:?}"
        );
        let _ = client.shutdown(Shutdown::Both);
        writer.join().unwrap();
    }
    let ok = curl_ok(&["--insecure", &server.url("/hello")]);
    assert_eq!(ok, b"hello world");
}
