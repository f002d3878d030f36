//! The connection pool: reuse, stale connections, limits and expiry.

use super::*;

both_modes!(
    ten_thousand_requests_use_one_connection,
    a_server_closing_idle_connections_fails_no_request,
    a_stale_connection_is_not_retried_for_post,
    an_unread_body_closes_the_connection,
    connection_close_is_honoured_and_http10_is_not_kept,
    the_pool_is_bounded_and_idle_connections_expire,
);

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

/// One current-thread runtime for every request, as a program that calls
/// `block_on` per request has: between calls nobody turns its driver, so
/// the server's close of an idle connection is not reported there. The
/// pool must still see it (POSTs are not retried, so they pass only
/// through the idle check).
#[test]
fn a_close_while_a_current_thread_runtime_is_idle_is_seen_before_reuse() {
    let server = Server::start(|mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            std::thread::sleep(Duration::from_millis(50));
        }
        conn.close();
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = AsyncClient::builder()
        .timeout(Some(Duration::from_secs(20)))
        .build_async();
    for i in 0..3 {
        let body = runtime.block_on(async {
            let response = client.post(server.url("/")).body("p").send().await?;
            response.bytes().await
        });
        assert_eq!(body.unwrap_or_else(|e| panic!("POST {i}: {e}")), b"ok"[..]);
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(server.accepts(), 3);
}
