//! The server against curl, in both modes and over TLS.

use super::*;
use transport::tls::ClientAuth;

both_modes!(
    curl_get,
    curl_post_with_body,
    curl_chunked_request_body,
    curl_reuses_one_connection_for_several_urls,
    curl_head,
    curl_expect_continue,
    curl_streamed_response,
    tls_with_curl,
    the_handler_sees_the_tls_session_and_the_client_certificate,
);

fn curl_get(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--include", &server.url("/hello")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-length: 11\r\n"), "{text}");
    assert!(text.contains("date: "), "{text}");
    assert!(text.ends_with("\r\n\r\nhello world"), "{text}");
    let out = curl(&["--include", &server.url("/missing")]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/1.1 404"));
}

fn curl_post_with_body(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(300_000);
    let file = test_file("post", &body);
    let out = curl_ok(&[
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(out == body, "the echo differs ({} bytes)", out.len());
    let out = curl_ok(&["--data-binary", "short body", &server.url("/echo-stream")]);
    assert_eq!(out, b"short body");
    std::fs::remove_file(file).unwrap();
}

fn curl_chunked_request_body(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(200_000);
    let file = test_file("chunked", &body);
    for path in ["/echo", "/echo-stream"] {
        let out = curl_ok(&[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            &format!("@{}", file.display()),
            &server.url(path),
        ]);
        assert!(
            out == body,
            "{path}: the echo differs ({} bytes)",
            out.len()
        );
    }
    std::fs::remove_file(file).unwrap();
}

fn curl_reuses_one_connection_for_several_urls(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let url = server.url("/peer");
    let out = curl_ok(&["--verbose", &url, &url, &url, &url]);
    let text = String::from_utf8(out).unwrap();
    let ports: Vec<&str> = text.split(';').filter(|p| !p.is_empty()).collect();
    assert_eq!(ports.len(), 4, "{text}");
    assert!(
        ports.iter().all(|p| *p == ports[0]),
        "several connections: {text}"
    );
}

fn curl_head(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--head", &server.url("/hello")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-length: 11\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n"),
        "a HEAD response with a body: {text:?}"
    );
}

fn curl_expect_continue(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let body = pattern(50_000);
    let file = test_file("expect", &body);
    let started = Instant::now();
    let output = curl(&[
        "--verbose",
        "-H",
        "Expect: 100-continue",
        "--expect100-timeout",
        "5",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(output.status.success());
    assert!(output.stdout == body);
    let verbose = String::from_utf8_lossy(&output.stderr);
    assert!(verbose.contains("HTTP/1.1 100 Continue"), "{verbose}");
    // curl waited for the 100, not for its 5 s timeout.
    assert!(started.elapsed() < Duration::from_secs(4));
    std::fs::remove_file(file).unwrap();
}

fn curl_streamed_response(mode: Mode) {
    let server = TestServer::start(mode, quick_config());
    let out = curl_ok(&["--include", &server.url("/stream")]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("transfer-encoding: chunked\r\n"), "{text}");
    assert!(
        text.ends_with(&format!("\r\n\r\n{}", Pieces::text())),
        "{text}"
    );
}

fn tls_with_curl(mode: Mode) {
    let server = TestServer::start(mode, quick_config().tls(tls_config()));
    let url = server.url("/hello");
    assert!(url.starts_with("https://"));
    let out = curl_ok(&["--insecure", "--include", &url]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.ends_with("hello world"), "{text}");
    // A body, and several requests on one TLS connection.
    let body = pattern(100_000);
    let file = test_file("tls", &body);
    let out = curl_ok(&[
        "--insecure",
        "--data-binary",
        &format!("@{}", file.display()),
        &server.url("/echo"),
    ]);
    assert!(out == body);
    let peer = server.url("/peer");
    let out = curl_ok(&["--insecure", &peer, &peer, &peer]);
    let text = String::from_utf8(out).unwrap();
    let ports: Vec<&str> = text.split(';').filter(|p| !p.is_empty()).collect();
    assert_eq!(ports.len(), 3);
    assert!(ports.iter().all(|p| *p == ports[0]), "{text}");
    // Plain HTTP to the TLS port fails cleanly; the server carries on.
    let mut plain = server.connect();
    plain
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = read_to_close(&mut plain);
    assert!(curl_ok(&["--insecure", &url]) == b"hello world");
    std::fs::remove_file(file).unwrap();
}

fn the_handler_sees_the_tls_session_and_the_client_certificate(mode: Mode) {
    let dir = testkit::TempDir::new("client-auth");
    let client = testkit::cert::self_signed(&["client.test"]);
    let (cert, key, ca) = (
        dir.join("client.pem"),
        dir.join("client.key"),
        dir.join("ca.pem"),
    );
    std::fs::write(&cert, &client.cert).unwrap();
    std::fs::write(&key, &client.key).unwrap();
    std::fs::write(&ca, &tls_certificate().cert).unwrap();
    let tls = TlsServerConfig::builder()
        .certificate_pem(&tls_certificate().cert, &tls_certificate().key)
        .alpn_protocols(["http/1.1"])
        .client_auth(ClientAuth::Required)
        .add_client_root_certificates_pem(client.cert.clone())
        .build()
        .unwrap();
    let server = TestServer::start(mode, quick_config().tls(tls));
    let port = server.addr.port();
    let url = format!("https://localhost:{port}/tls");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let arg = |path: &std::path::Path| path.to_string_lossy().into_owned();
    let out = curl_ok(&[
        "--resolve",
        &resolve,
        "--cacert",
        &arg(&ca),
        "--cert",
        &arg(&cert),
        "--key",
        &arg(&key),
        &url,
    ]);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"sni=Some("localhost") alpn=Some("http/1.1") chain=1 client=Some(["client.test"])"#
    );
    // Plain HTTP has no session.
    let plain = TestServer::start(mode, quick_config());
    assert_eq!(curl_ok(&[&plain.url("/tls")]), b"no TLS session");
}
