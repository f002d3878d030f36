//! Timeouts and failures: --connect-timeout, -m, and curl's exit code for each
//! failure.

use super::*;

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
    // The server hangs up after the head of a large upload: while the
    // body waits for `100 Continue`, an empty reply (as curl says), and
    // without `Expect`, while the body is being sent.
    let hang_up = Crafted::start(|mut stream| {
        let _ = read_head(&mut stream);
    });
    let dir = TempDir::new("upload");
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 32 << 20]).unwrap();
    let big = arg_in(&dir, "big.bin");
    fetch_expect(52, &["-T", &big, &hang_up.url("/up")]);
    let out = fetch_expect(55, &["-H", "Expect:", "-T", &big, &hang_up.url("/up")]);
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
