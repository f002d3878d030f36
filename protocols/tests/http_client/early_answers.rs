//! Answers that come before the body was sent whole. With `Expect:
//! 100-continue` and a streamed body: a body that waited and was never
//! read goes to a repeat after a 417, to a redirect's next URL, and to a
//! retry after a reused connection closed, all of it each time. Without
//! it: a server that answers and closes while the body comes is heard,
//! not reported as a broken connection.

use super::*;

both_modes!(
    a_417_repeats_the_request_without_the_expectation,
    a_redirect_before_100_continue_takes_the_streamed_body_along,
    a_reused_connection_closed_before_100_continue_is_retried_with_the_body,
    an_answer_sent_before_the_connection_closed_mid_body_is_the_response,
    a_connection_closed_mid_body_without_an_answer_is_the_send_error,
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
    let data = b"streamed".repeat(40_000);
    let got = client(mode)
        .send(streamed_put(server.url("/up"), &data))
        .unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "320000 streamed");
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
