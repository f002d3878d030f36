//! The `tracing` feature: what a subscriber sees. A subscriber of the
//! test's own, set for the whole process (the servers run on threads of
//! their own), keeps every event with the fields of the spans it happened
//! in; each test looks for its own events (its own port or peer address).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use protocols::http::client::{AsyncClient, Client};
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, HttpServer, Request, Response,
    ServerConfig,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use transport::tls::TlsServerConfig;

/// One event: its level, target, and its fields with those of its spans.
#[derive(Debug, Clone)]
struct Seen {
    level: Level,
    target: String,
    text: String,
}

#[derive(Default)]
struct Capture {
    next: AtomicU64,
    spans: Mutex<HashMap<u64, String>>,
    events: Mutex<Vec<Seen>>,
}

thread_local! {
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for &'static Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(format!("[{}", span.metadata().name()));
        span.record(&mut fields);
        fields.0.push(']');
        self.spans.lock().unwrap().insert(id, fields.0);
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let spans = self.spans.lock().unwrap();
        let context: String = ENTERED.with(|entered| {
            entered
                .borrow()
                .iter()
                .filter_map(|id| spans.get(id).cloned())
                .collect()
        });
        self.events.lock().unwrap().push(Seen {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            text: format!("{context}{}", fields.0),
        });
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
                entered.remove(at);
            }
        });
    }
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::default());
        tracing::subscriber::set_global_default(capture).expect("the only subscriber");
        capture
    })
}

/// Waits (up to 10 s) for an event that `wanted` accepts.
fn wait_for(what: &str, wanted: impl Fn(&Seen) -> bool) -> Seen {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(seen) = capture().events.lock().unwrap().iter().find(|s| wanted(s)) {
            return seen.clone();
        }
        if Instant::now() > deadline {
            let all = capture().events.lock().unwrap().clone();
            panic!("no event {what} among {all:#?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `bytes` to `port` and reads what comes back until the server closes.
fn send_raw(port: u16, bytes: &[u8]) -> (SocketAddr, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let me = stream.local_addr().unwrap();
    stream.write_all(bytes).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    (me, String::from_utf8_lossy(&reply).into_owned())
}

const BAD_LENGTH: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n";

fn is_rejection_of(seen: &Seen, peer: SocketAddr) -> bool {
    seen.level == Level::WARN
        && seen.target == "netstack::http::server"
        && seen.text.contains(&format!("peer=Some({peer})"))
        && seen.text.contains("status=400")
        && seen.text.contains("request rejected")
}

#[test]
fn a_rejected_request_is_a_warning_inside_its_connection_span() {
    capture();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |_: Request| Response::new("unused".into()),
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let (me, reply) = send_raw(port, BAD_LENGTH);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let seen = wait_for("rejecting the request", |seen| is_rejection_of(seen, me));
    assert!(seen.text.starts_with("[connection peer="), "{seen:?}");
    server.shutdown();
}

#[test]
fn the_async_server_reports_a_rejection_the_same_way() {
    capture();
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default()).unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let handle = server.shutdown_handle();
    let serving = std::thread::spawn(move || {
        sockets::block_on(server.serve(|_: AsyncRequest| async {
            AsyncResponse::new(AsyncResponseBody::full(Cow::Borrowed(&b"unused"[..])))
        }))
    });
    let (me, reply) = send_raw(port, BAD_LENGTH);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    wait_for("rejecting the request", |seen| is_rejection_of(seen, me));
    handle.shutdown();
    serving.join().unwrap();
}

#[test]
fn a_failed_tls_handshake_is_a_warning_with_the_peer() {
    capture();
    let cert = testkit::cert::self_signed(&["localhost"]);
    let tls = TlsServerConfig::builder()
        .certificate_pem(&cert.cert, cert.key)
        .build()
        .unwrap();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        |_: Request| Response::new("unused".into()),
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    // Plain HTTP to a TLS port: not a ClientHello.
    let (me, _) = send_raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_for("for the failed handshake", |seen| {
        seen.level == Level::WARN
            && seen.text.contains(&format!("peer=Some({me})"))
            && seen.text.contains("TLS handshake failed")
    });
    server.shutdown();
}

#[test]
fn the_clients_steps_are_debug_events() {
    capture();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |_: Request| {
            tracing::info!(target: "app", "inside the handler");
            Response::new("traced".into())
        },
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let response = Client::new()
        .get(format!("http://127.0.0.1:{port}/traced"))
        .send()
        .unwrap();
    assert_eq!(response.text().unwrap(), "traced");
    let remote = format!("remote=Some(127.0.0.1:{port})");
    let connected = wait_for("for the connection", |seen| {
        seen.level == Level::DEBUG
            && seen.target == "netstack::http::client"
            && seen.text.contains(&remote)
    });
    // The client's events, and the transport's below them, fall inside the
    // request's span.
    let request_span = format!("[request method=GET url=http://127.0.0.1:{port}/traced]");
    assert!(connected.text.starts_with(&request_span), "{connected:?}");
    wait_for("for the connection attempt inside the request", |seen| {
        seen.target == "netstack::transport"
            && seen.text.starts_with(&request_span)
            && seen.text.contains("connection attempt connected")
    });
    // The server saw the request inside the connection's span.
    wait_for("for the request on the server", |seen| {
        seen.target == "netstack::http::server"
            && seen.text.contains("method=GET")
            && seen.text.contains("target=\"/traced\"")
    });
    // The handler's own events fall inside the request's span, inside the
    // connection's; so does the response.
    let handler = wait_for("from the handler", |seen| seen.target == "app");
    assert!(
        handler.text.starts_with("[connection peer=")
            && handler.text.contains("[request method=GET target=/traced]"),
        "{handler:?}"
    );
    wait_for("for the response in the request's span", |seen| {
        seen.text.contains("[request method=GET target=/traced]")
            && seen.text.contains("status=200")
    });
    server.shutdown();
}

#[test]
fn each_connection_attempt_is_a_debug_event_of_the_transport() {
    capture();
    let listener = transport::TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(1).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    let _client = transport::TcpClient::connect("127.0.0.1", port).unwrap();
    let address = format!("address=127.0.0.1:{port}");
    for what in ["connection attempt started", "connection attempt connected"] {
        wait_for(what, |seen| {
            seen.level == Level::DEBUG
                && seen.target == "netstack::transport"
                && seen.text.contains(&address)
                && seen.text.contains(what)
        });
    }
}

#[test]
fn the_async_clients_request_span_covers_its_redirects() {
    capture();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |request: Request| match request.uri().path() {
            "/moved" => http::Response::builder()
                .status(302)
                .header("location", "/here")
                .body("".into())
                .unwrap(),
            _ => Response::new("arrived".into()),
        },
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let client = AsyncClient::new();
    let text = sockets::block_on(async {
        let response = client
            .get(format!("http://127.0.0.1:{port}/moved"))
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    });
    assert_eq!(text, "arrived");
    let request_span = format!("[request method=GET url=http://127.0.0.1:{port}/moved]");
    for what in ["following a redirect", "response head received"] {
        let seen = wait_for(what, |seen| {
            seen.target == "netstack::http::client"
                && seen.text.contains(what)
                && seen.text.starts_with(&request_span)
        });
        assert_eq!(seen.level, Level::DEBUG, "{seen:?}");
    }
    server.shutdown();
}
