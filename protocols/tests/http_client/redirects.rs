//! Redirects: chains, loops, limits, methods and credentials.

use super::*;

both_modes!(
    redirects_chains_loops_and_limits,
    redirects_change_methods_as_the_rfc_says,
    redirects_keep_the_method_when_asked,
    redirects_drop_credentials_across_origins,
    each_redirect_sends_where_it_came_from_when_asked,
);

fn redirect_server() -> Server {
    Server::respond(|request, ctx| {
        let location =
            |to: &str| -> (Vec<u8>, bool) { (response(302, &[("Location", to)], b"moved"), true) };
        match request.path() {
            "/a" => location("/b"),
            "/b" => (response(301, &[("Location", &ctx.url("/c"))], b""), true),
            "/c" => (ok("done"), true),
            "/loop" => location("/loop"),
            "/login" => (
                response(
                    302,
                    &[("Location", "/echo"), ("Set-Cookie", "sid=1; Path=/")],
                    b"",
                ),
                true,
            ),
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
    // So is a 302 that keeps a PUT: following it would send the PUT empty.
    let got = client
        .send(Req::new(Method::PUT, server.url("/found")).body(ReqBody::Stream(b"once".to_vec())))
        .unwrap();
    assert_eq!(got.status, StatusCode::FOUND);
}

fn redirects_keep_the_method_when_asked(mode: Mode) {
    let server = redirect_server();
    let client = TestClient::bounded(mode);
    for (path, body) in [
        ("/see-other", ""),
        ("/found", ""),
        ("/temporary", "data"),
        ("/permanent", "data"),
    ] {
        let mut req = Req::post(server.url(path), b"data");
        req.keep_method = true;
        let got = client.send(req).unwrap();
        assert_eq!(got.url.path(), "/echo");
        // The method stays; the body goes where the status says it goes.
        assert!(
            got.text().starts_with(&format!("POST {body} ")),
            "{path}: {}",
            got.text()
        );
    }
    let mut req = Req::new(Method::DELETE, server.url("/see-other"));
    req.keep_method = true;
    assert!(client.send(req).unwrap().text().starts_with("DELETE  "));
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

// The cookie jar is the `cookies` feature (CI runs these tests with every feature).
#[cfg(feature = "cookies")]
both_modes!(a_cookie_jar_keeps_what_a_redirect_sets_and_sends_it);

#[cfg(feature = "cookies")]
fn a_cookie_jar_keeps_what_a_redirect_sets_and_sends_it(mode: Mode) {
    use protocols::http::client::CookieJar;

    let server = redirect_server();
    let jar = CookieJar::new();
    let client = TestClient::new(mode, bounded().cookie_jar(jar.clone()));
    let got = client.get(&server.url("/login")).unwrap();
    assert_eq!(got.text(), r#"GET  auth=None cookie=Some("sid=1")"#);
    assert_eq!(jar.cookies().len(), 1);
    // Another client given the same jar sends it too, before its own.
    let other = TestClient::new(mode, bounded().cookie_jar(jar.clone()));
    let got = other
        .send(Req::get(server.url("/echo")).header("Cookie", "mine=2"))
        .unwrap();
    assert_eq!(got.text(), r#"GET  auth=None cookie=Some("sid=1; mine=2")"#);
    // Without a jar, the redirect's cookie is not kept.
    let plain = TestClient::bounded(mode);
    let got = plain.get(&server.url("/login")).unwrap();
    assert_eq!(got.text(), "GET  auth=None cookie=None");
}

fn each_redirect_sends_where_it_came_from_when_asked(mode: Mode) {
    let server = Server::respond(|request, _| match request.path() {
        "/first" => (response(302, &[("Location", "/second#part")], b""), true),
        "/second" => (response(302, &[("Location", "/end")], b""), true),
        _ => (
            ok(&format!("referer={:?}", request.header("referer"))),
            true,
        ),
    });
    let with_login = server
        .url("/first")
        .replace("127.0.0.1", "user:secret@127.0.0.1");
    let client = TestClient::new(mode, bounded().referer_on_redirect(true));
    let got = client
        .send(Req::get(with_login).header("Referer", "http://start.test/"))
        .unwrap();
    // The last hop's: no credentials, no fragment, the request's own
    // Referer replaced.
    assert_eq!(
        got.text(),
        format!("referer=Some({:?})", server.url("/second"))
    );
    // Off by default: the request's own Referer goes on unchanged.
    let plain = TestClient::bounded(mode);
    let got = plain
        .send(Req::get(server.url("/first")).header("Referer", "http://start.test/"))
        .unwrap();
    assert_eq!(got.text(), r#"referer=Some("http://start.test/")"#);
}
