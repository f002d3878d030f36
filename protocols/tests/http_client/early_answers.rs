//! Answers that come before the body was sent whole. With `Expect:
//! 100-continue` and a streamed body: a body that waited and was never
//! read goes to a repeat after a 417, to a redirect's next URL, and to a
//! retry after a reused connection closed, all of it each time. Without
//! it: a server that answers while the body comes is heard: a refusal
//! ends the sending (closed connection or not), a 2xx waits for the body's
//! end, a late `100 Continue` is passed over.

use super::*;
use protocols::http::client::TraceEvent;

both_modes!(
    a_417_repeats_the_request_without_the_expectation,
    a_redirect_before_100_continue_takes_the_streamed_body_along,
    a_reused_connection_closed_before_100_continue_is_retried_with_the_body,
    an_answer_sent_before_the_connection_closed_mid_body_is_the_response,
    a_connection_closed_mid_body_without_an_answer_is_the_send_error,
    an_early_refusal_on_an_open_connection_stops_the_sending,
    an_early_2xx_is_the_response_once_the_body_is_sent,
    a_late_100_continue_mid_body_is_passed_over,
);

fn streamed_put(url: String, data: &[u8]) -> Req {
    let mut req = Req::new(Method::PUT, url).body(ReqBody::Stream(data.to_vec()));
    req.expect = true;
    req
}

fn client(mode: Mode) -> TestClient {
    TestClient::new(
        mode,
        bounded().expect_continue_timeout(Duration::from_secs(5)),
    )
}

/// Answers a request whose head is in: `100 Continue` if it expects it,
/// then its body's length and first bytes.
fn take_body(conn: &mut Conn, mut request: support::Request) {
    if request.header("expect").is_some() {
        conn.write(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    conn.read_body(&mut request).unwrap();
    let head = String::from_utf8_lossy(&request.body[..8]).into_owned();
    conn.write(&ok(&format!("{} {head}", request.body.len())));
}

fn a_417_repeats_the_request_without_the_expectation(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        while let Some(request) = conn.read_head() {
            ctx.record(&request);
            if request.header("expect").is_some() {
                conn.write(&response(417, &[], b"no expectations here"));
                conn.close();
                return;
            }
            take_body(&mut conn, request);
        }
    });
    let repeats = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = repeats.clone();
    let client = TestClient::new(
        mode,
        bounded().trace(move |event| {
            if let TraceEvent::RepeatWithoutExpect { .. } = event {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }),
    );
    let data = b"streamed".repeat(40_000);
    let got = client.send(streamed_put(server.url("/up"), &data)).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "320000 streamed");
    assert_eq!(repeats.load(std::sync::atomic::Ordering::SeqCst), 1);
    let recorded = server.recorded();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].header("expect"), Some("100-continue"));
    assert_eq!(recorded[1].header("expect"), None);
    assert_eq!(recorded[1].method, "PUT");
}

fn a_redirect_before_100_continue_takes_the_streamed_body_along(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        while let Some(request) = conn.read_head() {
            ctx.record(&request);
            if request.path() == "/from" {
                conn.write(&response(307, &[("Location", "/to")], b""));
                conn.close();
                return;
            }
            take_body(&mut conn, request);
        }
    });
    let data = b"redirect".repeat(40_000);
    let got = client(mode)
        .send(streamed_put(server.url("/from"), &data))
        .unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "320000 redirect");
    let recorded = server.recorded();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].path(), "/to");
    assert_eq!(recorded[1].header("expect"), Some("100-continue"));
}

fn a_reused_connection_closed_before_100_continue_is_retried_with_the_body(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        let mut served = 0;
        while let Some(request) = conn.read_head() {
            ctx.record(&request);
            if request.path() == "/up" && ctx.recorded().len() == 2 {
                // The second request on this connection: closed unanswered,
                // as a server does with a connection it had just let go.
                conn.close();
                return;
            }
            match request.path() {
                "/first" => {
                    conn.write(&ok("first"));
                }
                _ => take_body(&mut conn, request),
            }
            served += 1;
        }
        assert!(served > 0);
    });
    let client = client(mode);
    assert_eq!(client.get(&server.url("/first")).unwrap().text(), "first");
    let data = b"retried!".repeat(40_000);
    let got = client.send(streamed_put(server.url("/up"), &data)).unwrap();
    assert_eq!(got.text(), "320000 retried!");
    assert_eq!(server.accepts(), 2);
    assert_eq!(server.recorded().len(), 3);
}

/// Reads a request head and a little of its body, answers 413 and closes
/// with the rest unread (so the kernel resets the connection).
fn refuses_mid_body(answer: bool) -> Server {
    Server::start(move |mut conn: Conn, ctx: &Ctx| {
        if let Some(request) = conn.read_head() {
            ctx.record(&request);
            let mut some = [0u8; 4096];
            let _ = std::io::Read::read_exact(&mut conn.stream, &mut some);
            if answer {
                conn.write(&response(413, &[("Connection", "close")], b"too big"));
            }
            conn.close();
        }
    })
}

fn an_answer_sent_before_the_connection_closed_mid_body_is_the_response(mode: Mode) {
    let server = refuses_mid_body(true);
    let client = TestClient::bounded(mode);
    let big = vec![b'x'; 32 << 20];
    let got = client.send(Req::post(server.url("/bytes"), &big)).unwrap();
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(got.text(), "too big");
    let streamed = Req::new(Method::PUT, server.url("/stream")).body(ReqBody::Stream(big));
    let got = client.send(streamed).unwrap();
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(got.text(), "too big");
    assert_eq!(client.idle(), 0);
}

fn a_connection_closed_mid_body_without_an_answer_is_the_send_error(mode: Mode) {
    let server = refuses_mid_body(false);
    let client = TestClient::bounded(mode);
    let big = vec![b'x'; 32 << 20];
    match client.send(Req::post(server.url("/bytes"), &big)) {
        Err(Error::Transport(e)) => assert!(!e.is_timeout(), "{e}"),
        other => panic!(
            "expected the send's transport error, got {:?}",
            other.map(|g| g.status)
        ),
    }
}

/// 32 MiB: more than the socket buffers hold, so a server that stops
/// reading stops the client's writes.
fn big() -> Vec<u8> {
    vec![b'x'; 32 << 20]
}

fn an_early_refusal_on_an_open_connection_stops_the_sending(mode: Mode) {
    // The server answers, throws away 8 MiB of the body as it comes (as
    // nginx does), then neither reads nor closes: a client that did not
    // look for the answer would wait out its write timeout.
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        if let Some(request) = conn.read_head() {
            ctx.record(&request);
            conn.write(&response(413, &[], b"too big"));
            let mut some = std::io::Read::take(&mut conn.stream, 8 << 20);
            let _ = std::io::copy(&mut some, &mut std::io::sink());
            std::thread::sleep(Duration::from_secs(30));
        }
    });
    let client = TestClient::bounded(mode);
    let got = client
        .send(Req::post(server.url("/bytes"), &big()))
        .unwrap();
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(got.timings.body_bytes_sent < 32 << 20);
    assert_eq!(got.text(), "too big");
    let streamed = Req::new(Method::PUT, server.url("/stream")).body(ReqBody::Stream(big()));
    let got = client.send(streamed).unwrap();
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(got.timings.body_bytes_sent < 32 << 20);
    assert_eq!(client.idle(), 0);
}

fn an_early_2xx_is_the_response_once_the_body_is_sent(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        while let Some(mut request) = conn.read_head() {
            conn.write(&ok("early"));
            conn.read_body(&mut request).unwrap();
            ctx.record(&request);
        }
    });
    let client = TestClient::bounded(mode);
    for req in [
        Req::post(server.url("/bytes"), &big()),
        Req::new(Method::PUT, server.url("/stream")).body(ReqBody::Stream(big())),
    ] {
        let got = client.send(req).unwrap();
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.timings.body_bytes_sent, 32 << 20);
        assert_eq!(got.text(), "early");
    }
    // The server records a body once it has read it all, and reads the
    // next head after that: a third request waits for both records.
    assert_eq!(client.get(&server.url("/after")).unwrap().text(), "early");
    let recorded = server.recorded();
    assert!(recorded.len() >= 2);
    assert!(recorded[..2].iter().all(|r| r.body.len() == 32 << 20));
    // The body went whole, so the connection was kept.
    assert_eq!(server.accepts(), 1);
}

fn a_late_100_continue_mid_body_is_passed_over(mode: Mode) {
    let server = Server::start(|mut conn: Conn, ctx: &Ctx| {
        if let Some(request) = conn.read_head() {
            // Past the client's wait: it is sending when this comes.
            std::thread::sleep(Duration::from_millis(300));
            conn.write(b"HTTP/1.1 100 Continue\r\n\r\n");
            take_body(&mut conn, request);
            ctx.record(&support::Request::default());
        }
    });
    let client = TestClient::new(
        mode,
        bounded().expect_continue_timeout(Duration::from_millis(50)),
    );
    let mut req = Req::new(Method::PUT, server.url("/late")).body(ReqBody::Stream(big()));
    req.expect = true;
    let got = client.send(req).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), format!("{} xxxxxxxx", 32 << 20));
}
