//! TLS: -k, --cacert, --cert/--key, -v.

use super::*;

#[test]
fn https_with_insecure_cacert_and_client_certificates() {
    let https = https_server(false);
    let hello = https.url("/hello");
    let out = fetch_expect(60, &[&hello]);
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    let out = fetch_expect(0, &["-k", &hello]);
    assert_eq!(stdout(&out), "hello world");
    let out = fetch_expect(0, &["--cacert", &arg_in(&https.dir, "server.pem"), &hello]);
    assert_eq!(stdout(&out), "hello world");
    assert!(!https.cert_pem.is_empty());

    let mutual = https_server(true);
    let hello = mutual.url("/hello");
    let cacert = arg_in(&mutual.dir, "server.pem");
    let out = fetch_expect(
        0,
        &[
            "--cacert",
            &cacert,
            "--cert",
            &arg_in(&mutual.dir, "client.pem"),
            "--key",
            &arg_in(&mutual.dir, "client.key"),
            &hello,
        ],
    );
    assert_eq!(stdout(&out), "hello world");
    // Without a client certificate the server ends the handshake.
    let out = netstack(&["fetch", "--cacert", &cacert, &hello]);
    assert!(
        [35, 56].contains(&code(&out)),
        "exit {}: {}",
        code(&out),
        stderr(&out)
    );
}

#[test]
fn verbose_traces_every_layer() {
    let https = https_server(false);
    let out = fetch_expect(
        0,
        &[
            "-v",
            "--cacert",
            &arg_in(&https.dir, "server.pem"),
            &https.url("/hello"),
        ],
    );
    let trace = stderr(&out);
    for expected in [
        "* sockets: resolved localhost to [",
        "* transport: trying ",
        "* transport: connected to localhost:",
        "* tls: TLSv1.3 TLS13_",
        "* tls: ALPN http/1.1",
        "* tls:   names: localhost",
        "> GET /hello HTTP/1.1",
        "> Host: localhost:",
        "< HTTP/1.1 200 OK",
        "< content-type: text/plain",
        "* fetch: 11 bytes from https://localhost:",
        "* timings: resolve ",
    ] {
        assert!(
            trace.contains(expected),
            "missing {expected:?} in:\n{trace}"
        );
    }
    assert_eq!(stdout(&out), "hello world");
}
