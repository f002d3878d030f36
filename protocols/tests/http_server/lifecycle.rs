//! Shutdown, panicking handlers, and what only one of the two servers does.

use super::*;

both_modes!(
    a_new_connection_during_shutdown_gets_its_first_request_answered,
    a_panicking_handler_gets_500_and_the_server_carries_on,
    graceful_shutdown_finishes_in_flight_requests,
);

fn a_new_connection_during_shutdown_gets_its_first_request_answered(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    // Connected (and accepted) before the shutdown; the request comes after.
    let mut late = server.connect();
    let mut busy = server.connect();
    busy.write_all(b"GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let handle = server.handle.clone();
    let shutting = std::thread::spawn(move || handle.shutdown());
    std::thread::sleep(Duration::from_millis(100));
    late.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let all = read_to_close(&mut late);
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"hello world");
    assert_eq!(responses[0].header("connection"), Some("close"));
    let all = read_to_close(&mut busy);
    assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    assert!(shutting.join().unwrap().graceful);
}

fn a_panicking_handler_gets_500_and_the_server_carries_on(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let reply = exchange(&server, b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&reply), 500);
    assert_eq!(curl_ok(&[&server.url("/hello")]), b"hello world");
}

fn graceful_shutdown_finishes_in_flight_requests(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let addr = server.addr;
    // An idle keep-alive connection.
    let mut idle = server.connect();
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert_eq!(status_of(&buf[..n]), 200);
    // An in-flight slow request.
    let mut busy = server.connect();
    busy.write_all(b"GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let started = Instant::now();
    let handle = server.handle.clone();
    let shutting = std::thread::spawn(move || handle.shutdown());
    // The idle connection is closed at once, before the slow request (2.7 s
    // more to go) has answered: nothing has come on that one yet.
    let rest = read_to_close(&mut idle);
    assert!(rest.is_empty());
    busy.set_nonblocking(true).unwrap();
    let early = busy.peek(&mut buf);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the slow response came before the idle connection closed: {early:?}"
    );
    busy.set_nonblocking(false).unwrap();
    // New connections are refused.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "a connection was accepted during shutdown"
    );
    // The in-flight request finishes, with Connection: close.
    let all = read_to_close(&mut busy);
    let responses = parse_responses(&all, &["GET"]);
    assert_eq!(responses[0].body, b"slow done");
    assert_eq!(responses[0].header("connection"), Some("close"));
    let report = shutting.join().unwrap();
    assert!(report.graceful, "{report:?}");
    assert!(started.elapsed() < Duration::from_secs(6));
    let report = server.shutdown();
    assert!(report.graceful);
}

#[test]
fn the_async_server_runs_many_connections_on_one_thread() {
    let server = TestServer::start(Mode::Async, quick_config());
    let started = Instant::now();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    for mut stream in clients {
        let all = read_to_close(&mut stream);
        assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    }
    // Concurrently, not one after another.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_async_server_answers_503_past_its_connection_cap() {
    let server = TestServer::start(Mode::Async, quick_config().max_connections(2));
    // Two connections that the server holds (a keep-alive request each).
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut reply = [0u8; 17];
            stream.read_exact(&mut reply).unwrap();
            assert_eq!(&reply, b"HTTP/1.1 200 OK\r\n");
            stream
        })
        .collect();
    // A third is told at once, not left waiting in the backlog.
    let mut third = server.connect();
    let reply = read_to_close(&mut third);
    assert_eq!(
        status_of(&reply),
        503,
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    assert!(String::from_utf8_lossy(&reply).contains("Retry-After: 1"));
    // Once a held connection ends, a new one is served again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = exchange(
            &server,
            b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if status_of(&reply) == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed slots were never taken again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_sync_server_bounds_its_workers_and_queue() {
    let config = quick_config().workers(2).max_queued_connections(1);
    let server = TestServer::start(Mode::Sync, config);
    // Two workers busy, one connection queued, the next refused with 503.
    let busy: Vec<_> = (0..3)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /slow?ms=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            std::thread::sleep(Duration::from_millis(100));
            stream
        })
        .collect();
    let reply = exchange(&server, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&reply), 503);
    for mut stream in busy {
        let all = read_to_close(&mut stream);
        assert_eq!(parse_responses(&all, &["GET"])[0].body, b"slow done");
    }
}

/// One worker, and ten keep-alive connections left idle after a request
/// each: a new client is still served (the idle ones wait on the idle
/// thread, not on the worker), and each idle connection's next request is
/// served too, in order.
#[test]
fn idle_keep_alive_connections_hold_no_sync_worker() {
    idle_connections_hold_no_worker(false);
}

/// The same over TLS: a TLS connection between requests goes to the idle
/// thread too (rustls holds none of its bytes then).
#[test]
fn idle_keep_alive_tls_connections_hold_no_sync_worker() {
    idle_connections_hold_no_worker(true);
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn idle_connections_hold_no_worker(tls: bool) {
    let mut config = quick_config()
        .workers(1)
        .idle_timeout(Duration::from_secs(30));
    if tls {
        config = config.tls(tls_config());
    }
    let server = TestServer::start(Mode::Sync, config);
    let client_tls = TlsClientConfig::builder()
        .add_root_certificates_pem(&tls_certificate().cert)
        .build()
        .unwrap();
    let connect = || -> Box<dyn ReadWrite> {
        let stream = server.connect();
        match tls {
            false => Box::new(stream),
            true => {
                Box::new(TlsStream::connect(&client_tls, "localhost", Unmanaged(stream)).unwrap())
            }
        }
    };
    let request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    // A response may come in more than one read (TLS records, segments).
    let read_response = |stream: &mut dyn ReadWrite| {
        let mut buf = [0u8; 4096];
        let mut filled = 0;
        while !buf[..filled].ends_with(b"hello world") {
            let n = stream.read(&mut buf[filled..]).unwrap();
            assert!(n > 0, "the connection closed before the response was whole");
            filled += n;
        }
        assert_eq!(
            parse_responses(&buf[..filled], &["GET"])[0].body,
            b"hello world"
        );
    };
    let mut idle: Vec<Box<dyn ReadWrite>> = (0..10)
        .map(|_| {
            let mut stream = connect();
            stream.write_all(request).unwrap();
            read_response(&mut *stream);
            stream
        })
        .collect();
    // With the worker held by an idle connection this would wait for the
    // 30 s idle timeout, past the client's 10 s read timeout.
    let mut last = connect();
    last.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    read_response(&mut *last);
    for stream in idle.iter_mut().rev() {
        stream.write_all(request).unwrap();
        read_response(&mut **stream);
    }
}

#[test]
fn shutdown_closes_what_is_left_after_the_grace_period() {
    for mode in [Mode::Sync, Mode::Async] {
        let server = TestServer::start(
            mode,
            ServerConfig::default().shutdown_grace(Duration::from_millis(300)),
        );
        let mut busy = server.connect();
        busy.write_all(b"GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let report = server.handle.shutdown();
        assert!(!report.graceful, "{mode:?}");
        assert_eq!(report.forced_connections, 1, "{mode:?}");
        let all = read_to_close(&mut busy);
        assert!(all.is_empty(), "{mode:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{mode:?}");
        drop(server);
    }
}

#[test]
fn the_async_server_runs_on_a_tokio_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    let server = AsyncHttpServer::new(listener, quick_config()).unwrap();
    let addr = server.local_endpoint().as_ip().unwrap();
    let handle = server.shutdown_handle();
    let serving = runtime.spawn(server.serve(async_app));
    let url = format!("http://{addr}/hello");
    assert_eq!(curl_ok(&[&url, &url]), b"hello worldhello world");
    let body = pattern(100_000);
    let file = test_file("tokio", &body);
    let out = curl_ok(&[
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{addr}/echo"),
    ]);
    assert!(out == body);
    let report = runtime.block_on(handle.shutdown_async());
    assert!(report.graceful);
    runtime.block_on(serving).unwrap();
    std::fs::remove_file(file).unwrap();
}

#[test]
fn the_async_server_runs_under_a_shared_arc_handler() {
    // The handler can hold state shared with the test.
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    let server = AsyncHttpServer::new(listener, quick_config()).unwrap();
    let addr = server.local_endpoint().as_ip().unwrap();
    let handle = server.shutdown_handle();
    let counter = Arc::clone(&hits);
    let serving = std::thread::spawn(move || {
        block_on(server.serve(move |_request: AsyncRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { AsyncResponse::new(format!("hit {n}").into()) }
        }))
    });
    let url = format!("http://{addr}/");
    assert_eq!(curl_ok(&[&url]), b"hit 1");
    assert_eq!(curl_ok(&[&url]), b"hit 2");
    assert!(handle.shutdown().graceful);
    serving.join().unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
