//! The HTTP/1.1 client over TLS and through proxies, in both modes: HTTPS
//! with a custom root and ALPN `http/1.1`, keep-alive over TLS, the
//! https→http downgrade rule, a forward proxy for `http://` and a CONNECT
//! proxy (written here) for `https://`, with proxy basic auth.

mod support;

use std::io::{BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use testkit::{both_modes, Mode};

use http::StatusCode;
use protocols::http::client::Proxy;
use protocols::http::Error;
use support::harness::{bounded, Req, TestClient};
use support::{ok, pipe, response, Conn, Ctx, Server};
use transport::tls::{TlsClientConfig, TlsServerConfig, TlsStream};
use transport::StaticResolver;

/// An HTTPS server for `localhost` on 127.0.0.1 answering by `respond`.
struct TlsServer {
    port: u16,
    cert_pem: String,
    accepts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start(respond: fn(&support::Request, &str) -> Vec<u8>) -> TlsServer {
        let cert = testkit::cert::self_signed(&["localhost"]);
        let cert_pem = cert.cert.clone();
        let config = TlsServerConfig::builder()
            .certificate_pem(&cert_pem, cert.key)
            .alpn_protocols(["http/1.1"])
            .build()
            .unwrap();
        let listener = transport::TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
        listener.start(16).unwrap();
        listener
            .server()
            .set_receive_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
        let accepts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (accepts2, stop2) = (accepts.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(stream) = listener.accept() else {
                    continue;
                };
                accepts2.fetch_add(1, Ordering::SeqCst);
                let config = config.clone();
                std::thread::spawn(move || {
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let Ok(tls) = TlsStream::accept(&config, stream) else {
                        return;
                    };
                    let info = format!(
                        "alpn={} sni={}",
                        String::from_utf8_lossy(tls.alpn_protocol().unwrap_or(b"none")),
                        tls.server_name().unwrap_or("none")
                    );
                    let mut reader = BufReader::new(tls);
                    while let Some(mut request) = support::read_head(&mut reader) {
                        if support::read_body(&mut reader, &mut request).is_none() {
                            return;
                        }
                        let tls = reader.get_mut();
                        if tls.write_all(&respond(&request, &info)).is_err() || tls.flush().is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        TlsServer {
            port,
            cert_pem,
            accepts,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{}", self.port, path)
    }

    fn client_config(&self) -> TlsClientConfig {
        TlsClientConfig::builder()
            .add_root_certificates_pem(&self.cert_pem)
            .build()
            .unwrap()
    }

    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn localhost() -> StaticResolver {
    StaticResolver::new(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
}

fn https_server() -> TlsServer {
    TlsServer::start(|request, info| match request.path() {
        "/down" => response(
            302,
            &[("Location", request.header("x-plain").unwrap_or("/"))],
            b"",
        ),
        "/upload" => ok(&format!(
            "{} {}",
            request.body.len(),
            request.body.iter().filter(|b| **b == b'u').count()
        )),
        path => ok(&format!("{path} {info}")),
    })
}

/// A body long enough for the client to look for an early answer many
/// times, the first time with the server's session tickets unread.
fn large_uploads_over_tls_look_for_early_answers_and_arrive_whole(mode: Mode) {
    let server = https_server();
    let client = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost()),
    );
    let body = vec![b'u'; 4 << 20];
    let got = client
        .send(Req::post(server.url("/upload"), &body))
        .unwrap();
    assert_eq!(got.text(), "4194304 4194304");
    let streamed = Req::new(http::Method::PUT, server.url("/upload"))
        .body(support::harness::ReqBody::Stream(body));
    assert_eq!(client.send(streamed).unwrap().text(), "4194304 4194304");
    assert_eq!(server.accepts(), 1);
}

fn https_with_a_custom_root_and_alpn(mode: Mode) {
    let server = https_server();
    let client = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost()),
    );
    let got = client.get(&server.url("/secure")).unwrap();
    assert_eq!(got.text(), "/secure alpn=http/1.1 sni=localhost");
    assert!(got.timings.tls.is_some());
    let got = client.get(&server.url("/again")).unwrap();
    assert!(got.timings.reused);
    assert_eq!(server.accepts(), 1);
    // Without the root the certificate is refused, as a TLS error.
    let strict = TestClient::new(
        mode,
        bounded()
            .tls_config(
                TlsClientConfig::builder()
                    .add_root_certificates_pem(testkit::cert::self_signed(&["other"]).cert)
                    .build()
                    .unwrap(),
            )
            .resolver(localhost()),
    );
    match strict.get(&server.url("/")) {
        Err(Error::Transport(transport::Error::Tls(e))) => assert!(e.is_certificate_error(), "{e}"),
        other => panic!(
            "expected a certificate error, got {:?}",
            other.map(|g| g.status)
        ),
    }
    // The dangerous option, for tests, accepts it.
    let any = TestClient::new(
        mode,
        bounded()
            .tls_config(
                TlsClientConfig::builder()
                    .dangerous_accept_any_certificate()
                    .build()
                    .unwrap(),
            )
            .resolver(localhost()),
    );
    assert_eq!(any.get(&server.url("/any")).unwrap().status, StatusCode::OK);
}

fn https_to_http_redirects_are_refused_unless_allowed(mode: Mode) {
    let server = https_server();
    let plain = Server::respond(|_, _| (ok("plain"), true));
    let builder = || {
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost())
    };
    let req = || Req::get(server.url("/down")).header("x-plain", &plain.url("/"));
    let err = TestClient::new(mode, builder()).send(req()).err().unwrap();
    assert!(
        matches!(&err, Error::InvalidRequest(m) if m.contains("downgrade")),
        "{err}"
    );
    let allowed = TestClient::new(mode, builder().allow_https_downgrade(true));
    assert_eq!(allowed.send(req()).unwrap().text(), "plain");
}

/// A CONNECT proxy: checks `Proxy-Authorization` when `auth` is given,
/// then tunnels to 127.0.0.1 at the requested port.
fn connect_proxy(auth: Option<&'static str>) -> Server {
    Server::start(move |mut conn: Conn, ctx: &Ctx| {
        let Some(request) = conn.read_head() else {
            return;
        };
        ctx.record(&request);
        if request.method != "CONNECT" {
            conn.write(&response(405, &[], b""));
            return;
        }
        if auth.is_some() && request.header("proxy-authorization") != auth {
            conn.write(&response(
                407,
                &[("Proxy-Authenticate", "Basic realm=\"t\"")],
                b"",
            ));
            conn.close();
            return;
        }
        let port: u16 = request.target.rsplit(':').next().unwrap().parse().unwrap();
        let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
            conn.write(&response(502, &[], b""));
            return;
        };
        conn.write(b"HTTP/1.1 200 Connection established\r\n\r\n");
        pipe(conn.stream.try_clone().unwrap(), upstream);
    })
}

fn https_through_a_connect_proxy(mode: Mode) {
    let server = https_server();
    let proxy = connect_proxy(Some("Basic dXNlcjpwYXNz"));
    let proxy_url = format!("http://user:pass@127.0.0.1:{}", proxy.port());
    let client = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost())
            .proxy(Proxy::all(&proxy_url).unwrap()),
    );
    let got = client.get(&server.url("/tunnelled")).unwrap();
    assert_eq!(got.text(), "/tunnelled alpn=http/1.1 sni=localhost");
    assert_eq!(
        client.get(&server.url("/twice")).unwrap().text(),
        "/twice alpn=http/1.1 sni=localhost"
    );
    assert_eq!(proxy.accepts(), 1, "the tunnel is pooled");
    let connects = proxy.recorded();
    assert_eq!(connects[0].target, format!("localhost:{}", server.port));
    assert_eq!(
        connects[0].header("host"),
        Some(connects[0].target.as_str())
    );
    // Wrong credentials: the proxy's refusal is the error.
    let refused = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost())
            .proxy(Proxy::all(&proxy_url).unwrap().basic_auth("user", "wrong")),
    );
    match refused.get(&server.url("/")) {
        Err(Error::Proxy { detail, .. }) => assert!(detail.contains("407"), "{detail}"),
        other => panic!("expected a proxy error, got {:?}", other.map(|g| g.status)),
    }
    // NO_PROXY-style exclusions go direct.
    let direct = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost())
            .proxy(Proxy::all(&proxy_url).unwrap().no_proxy("localhost")),
    );
    direct.get(&server.url("/direct")).unwrap();
    assert_eq!(proxy.accepts(), 2);
}

fn http_through_a_forward_proxy(mode: Mode) {
    let proxy = Server::respond(|request, _| {
        (
            ok(&format!(
                "{} {} auth={:?}",
                request.method,
                request.target,
                request.header("proxy-authorization")
            )),
            true,
        )
    });
    let client = TestClient::new(
        mode,
        bounded().proxy(
            Proxy::http(&format!("127.0.0.1:{}", proxy.port()))
                .unwrap()
                .basic_auth("a", "b"),
        ),
    );
    let text = client
        .get("http://origin.test:8080/path?q=1#frag")
        .unwrap()
        .text();
    assert_eq!(
        text,
        "GET http://origin.test:8080/path?q=1 auth=Some(\"Basic YTpi\")"
    );
}

/// Every layer of an HTTPS request reaches the trace hook, in order, and a
/// second request on the pooled connection reports the reuse.
fn the_trace_hook_sees_every_layer(mode: Mode) {
    use protocols::http::client::TraceEvent;
    use std::sync::Mutex;
    let server = https_server();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&seen);
    let client = TestClient::new(
        mode,
        bounded()
            .tls_config(server.client_config())
            .resolver(localhost())
            .trace(move |event: &TraceEvent<'_>| {
                let line = match event {
                    TraceEvent::Resolved {
                        host, addresses, ..
                    } => {
                        format!("resolved {host} {addresses:?}")
                    }
                    TraceEvent::Connected { attempts, .. } => {
                        format!("connected {}", attempts.last().unwrap().address)
                    }
                    TraceEvent::TlsEstablished { info, .. } => format!(
                        "tls {:?} {} alpn={} cn={}",
                        info.version.unwrap(),
                        info.cipher_suite.is_some(),
                        String::from_utf8_lossy(info.alpn.as_deref().unwrap_or(b"")),
                        info.peer_certificate()
                            .map_or(String::new(), |c| c.dns_names.join(","))
                    ),
                    TraceEvent::RequestHead(head) => {
                        let head = String::from_utf8_lossy(head).into_owned();
                        assert!(head.ends_with("\r\n\r\n"), "{head:?}");
                        format!("request {}", head.lines().next().unwrap())
                    }
                    TraceEvent::ResponseHead {
                        status, headers, ..
                    } => {
                        format!("response {} {}", status.as_u16(), headers.len())
                    }
                    TraceEvent::Reused { url } => format!("reused {}", url.path()),
                    other => format!("{other:?}"),
                };
                log.lock().unwrap().push(line);
            }),
    );
    assert_eq!(
        client.get(&server.url("/one")).unwrap().status,
        StatusCode::OK
    );
    assert_eq!(
        client.get(&server.url("/two")).unwrap().status,
        StatusCode::OK
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 8, "{seen:#?}");
    assert_eq!(seen[0], "resolved localhost [127.0.0.1]");
    assert_eq!(seen[1], format!("connected 127.0.0.1:{}", server.port));
    assert!(
        seen[2].starts_with("tls Tls1") && seen[2].ends_with("true alpn=http/1.1 cn=localhost"),
        "{}",
        seen[2]
    );
    assert_eq!(seen[3], "request GET /one HTTP/1.1");
    assert!(seen[4].starts_with("response 200 "), "{}", seen[4]);
    assert_eq!(seen[5], "reused /two");
    assert_eq!(seen[6], "request GET /two HTTP/1.1");
    assert!(seen[7].starts_with("response 200 "), "{}", seen[7]);
}

both_modes!(
    the_trace_hook_sees_every_layer,
    https_with_a_custom_root_and_alpn,
    https_to_http_redirects_are_refused_unless_allowed,
    https_through_a_connect_proxy,
    http_through_a_forward_proxy,
    large_uploads_over_tls_look_for_early_answers_and_arrive_whole,
);
