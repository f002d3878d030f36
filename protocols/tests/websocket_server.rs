//! The WebSocket server side: netstack's HTTP servers (blocking and async)
//! accept upgrades and hand the connection to a WebSocket. A client nobody
//! here wrote (Python's `websockets`, `support/ws_client.py`) holds a
//! conversation with each; raw frames that break RFC 6455 are each answered
//! with the close code they call for, then the connection closes.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, HttpServer, Request,
    ServerConfig, ShutdownHandle,
};
use protocols::websocket::{self, Accept, AsyncWebSocket, Config, Deflate, Message, WebSocket};
use testkit::peer::{self, PeerCommand};

const CLIENT: &str = include_str!("support/ws_client.py");
const INSTALL: &str = "python3 -m pip install websockets";

fn small_limits() -> Config {
    Config::default()
        .max_message_size(1 << 10)
        .max_frame_size(1 << 10)
}

fn sync_echo(mut socket: WebSocket) {
    while let Ok(message) = socket.read_message() {
        if let Message::Text(_) | Message::Binary(_) = message {
            if socket.send(message).is_err() {
                break;
            }
        }
    }
}

async fn async_echo(mut socket: AsyncWebSocket) {
    while let Ok(message) = socket.read_message().await {
        if let Message::Text(_) | Message::Binary(_) = message {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }
}

/// A blocking server: `/echo` echoes, `/small` echoes with 1 KiB limits,
/// `/deflate` with permessage-deflate, anything else is a plain page.
fn sync_server() -> (HttpServer, u16) {
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |request: Request| {
            let limits = match request.uri().path() {
                "/small" => small_limits(),
                "/deflate" => Config::default().deflate(Deflate::default()),
                _ => Config::default(),
            };
            if !websocket::is_upgrade(&request) {
                return protocols::http::server::Response::new("not a websocket".into());
            }
            Accept::new(&request)
                .protocols(&["chat"])
                .config(limits)
                .read_timeout(Some(Duration::from_secs(20)))
                .serve(sync_echo)
        },
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    (server, port)
}

/// The same on the async server, driven by `sockets::block_on` on a thread.
fn with_async_server(test: impl FnOnce(u16)) {
    with_async_server_and_handle(|port, _| test(port));
}

/// The same, and the test is given the server's shutdown handle.
fn with_async_server_and_handle(test: impl FnOnce(u16, ShutdownHandle)) {
    with_async_server_configured(ServerConfig::default(), test);
}

/// The same, with `config` (TLS, say).
fn with_async_server_configured(config: ServerConfig, test: impl FnOnce(u16, ShutdownHandle)) {
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], 0), config).unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let handle = server.shutdown_handle();
    let serving = std::thread::spawn(move || {
        sockets::block_on(server.serve(|request: AsyncRequest| async move {
            let limits = match request.uri().path() {
                "/small" => small_limits(),
                "/deflate" => Config::default().deflate(Deflate::default()),
                _ => Config::default(),
            };
            if !websocket::is_upgrade(&request) {
                return AsyncResponse::new(AsyncResponseBody::full(Cow::Borrowed(&b"no"[..])));
            }
            Accept::new(&request)
                .protocols(&["chat"])
                .config(limits)
                .read_timeout(Some(Duration::from_secs(20)))
                .serve_async(async_echo)
        }))
    });
    test(port, handle.clone());
    handle.shutdown();
    serving.join().unwrap();
}

fn python_conversation(port: u16) {
    python_conversation_on(port, false);
    python_conversation_on(port, true);
}

/// The conversation on `/echo`, or compressed on `/deflate`.
fn python_conversation_on(port: u16, deflate: bool) {
    let mut client = PeerCommand::new(peer::python3())
        .name("websockets")
        .install(INSTALL)
        .ready_within(Duration::from_secs(60))
        .args(["-u", "-c", CLIENT]);
    client = match deflate {
        true => client
            .arg(format!("ws://127.0.0.1:{port}/deflate"))
            .arg("deflate"),
        false => client.arg(format!("ws://127.0.0.1:{port}/echo")),
    };
    let mut client = client.spawn();
    let output = client.wait_output_end();
    assert!(
        !output.contains("NO-WEBSOCKETS"),
        "the Python websockets package is not installed; install it with `{INSTALL}` \
         (scripts/test does)"
    );
    let mut expected = vec![
        "protocol chat",
        "text hello, wörld",
        "binary 256 True",
        "text fragmented",
        "pong",
        "big 16777216 True",
        "closed 1000",
    ];
    if deflate {
        expected.insert(1, "extensions permessage-deflate");
    }
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines, expected, "{output}");
}

#[test]
fn a_real_client_converses_with_both_servers() {
    let (server, port) = sync_server();
    python_conversation(port);
    server.shutdown();
    with_async_server(python_conversation);
}

/// Opens a WebSocket on a raw connection: the request, then the `101` head.
fn raw_open(port: u16, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "{head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    stream
}

/// A client frame: masked unless `unmasked`, with the header's first byte given.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [1, 2, 3, 4];
    let mut out = vec![first];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Sends `bytes` and reads the server's answer to the end: it must be one
/// close frame with `code`, then the end of the connection.
fn expect_close(port: u16, path: &str, bytes: &[u8], code: u16) {
    let mut stream = raw_open(port, path);
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(
        answer.len() >= 4 && answer[0] == 0x88,
        "{bytes:?}: {answer:?}"
    );
    assert_eq!(
        u16::from_be_bytes([answer[2], answer[3]]),
        code,
        "{bytes:?}"
    );
}

fn hostile_frames(port: u16) {
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("/echo", vec![0x81, 0x02, b'h', b'i'], 1002), // unmasked
        ("/echo", frame(0xC1, b"x"), 1002),            // RSV1 without an extension
        ("/echo", frame(0x83, b""), 1002),             // reserved opcode
        ("/echo", frame(0x89, &[0; 126]), 1002),       // control frame over 125
        ("/echo", frame(0x09, b""), 1002),             // fragmented ping
        ("/echo", frame(0x88, &999u16.to_be_bytes()), 1002),
        ("/echo", frame(0x88, &[0x03, 0xE8, 0xC3, 0x28]), 1007),
        (
            "/echo",
            [frame(0x01, &[b'a', 0xE2, 0x82]), frame(0x80, &[0x28])].concat(),
            1007,
        ),
        ("/echo", frame(0x80, b"no message to continue"), 1002),
        ("/small", frame(0x82, &[0; 1025]), 1009),
        (
            "/small",
            [frame(0x02, &[0; 1000]), frame(0x80, &[0; 100])].concat(),
            1009,
        ),
    ];
    for (path, bytes, code) in cases {
        expect_close(port, path, &bytes, code);
    }
    // A well-formed close is answered with the same code.
    expect_close(port, "/echo", &frame(0x88, &4321u16.to_be_bytes()), 4321);
}

#[test]
fn hostile_frames_get_their_close_codes_from_both_servers() {
    let (server, port) = sync_server();
    hostile_frames(port);
    server.shutdown();
    with_async_server(hostile_frames);
}

#[test]
fn a_request_that_is_not_an_opening_handshake_is_refused_with_a_reason() {
    let (server, port) = sync_server();
    let send = |request: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = vec![0u8; 4096];
        let n = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    let old_version = send(
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    assert!(old_version.starts_with("HTTP/1.1 426"), "{old_version}");
    assert!(old_version
        .to_ascii_lowercase()
        .contains("sec-websocket-version: 13"));
    let bad_key = send(
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(bad_key.starts_with("HTTP/1.1 400"), "{bad_key}");
    assert!(
        bad_key.contains("Sec-WebSocket-Key is not 16 bytes"),
        "{bad_key}"
    );
    // netstack's own client against netstack's own server.
    let mut socket = WebSocket::builder(format!("ws://127.0.0.1:{port}/echo"))
        .protocol("chat")
        .connect()
        .unwrap();
    assert_eq!(socket.protocol(), Some("chat"));
    socket.send(Message::Text("round trip".into())).unwrap();
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Text("round trip".into())
    );
    socket.close(None).unwrap();
    assert_eq!(socket.read_message().unwrap(), Message::Close(None));
    server.shutdown();
}

/// Opens `/echo` on a raw connection and has one message echoed, so that
/// the server's handler waits in its read.
fn open_and_echo(port: u16) -> TcpStream {
    let mut stream = raw_open(port, "/echo");
    stream.write_all(&frame(0x81, b"hi")).unwrap();
    let mut echo = [0u8; 4];
    stream.read_exact(&mut echo).unwrap();
    assert_eq!(echo, [0x81, 2, b'h', b'i']);
    stream
}

/// Shuts the server down while a WebSocket is served: the client gets a
/// close frame with 1001 (going away), then the end of the connection, and
/// the shutdown ends within its grace period. With `answers`, the client
/// answers the close frame after a pause, and the server must still be
/// waiting for that answer then: closing with it unread would reset the
/// connection, which can destroy the close frame before the client reads it.
fn shutdown_while_served(port: u16, handle: ShutdownHandle, answers: bool) {
    let mut stream = open_and_echo(port);
    let shutdown = std::thread::spawn(move || handle.shutdown());
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.len() >= 4 && answer[0] == 0x88, "{answer:?}");
    assert_eq!(
        u16::from_be_bytes([answer[2], answer[3]]),
        1001,
        "{answer:?}"
    );
    if answers {
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !shutdown.is_finished(),
            "the server did not wait for the answer to its close frame"
        );
        stream
            .write_all(&frame(0x88, &1001u16.to_be_bytes()))
            .unwrap();
        drop(stream);
    }
    let report = shutdown.join().unwrap();
    assert!(report.graceful, "{report:?}");
}

/// A blocking server's WebSocket is woken by the cancel of its read, an
/// async one through its task; both then read the answer to the close frame.
#[test]
fn a_server_shutdown_closes_its_websockets_with_going_away() {
    let (server, port) = sync_server();
    shutdown_while_served(port, server.shutdown_handle(), true);
    with_async_server_and_handle(|port, handle| shutdown_while_served(port, handle, true));
}

/// A client that does not answer the close frame still lets the shutdown
/// end within its grace period.
#[test]
fn a_server_shutdown_does_not_wait_forever_for_a_silent_client() {
    let (server, port) = sync_server();
    shutdown_while_served(port, server.shutdown_handle(), false);
    with_async_server_and_handle(|port, handle| shutdown_while_served(port, handle, false));
}

/// Over wss, a blocking server's shutdown gives netstack's client the close
/// frame with 1001 and waits for the client's answer (through TLS, which a
/// shut reading side could not read), and the conversation ends cleanly.
#[test]
fn a_blocking_servers_shutdown_ends_a_wss_conversation_cleanly() {
    use protocols::http::client::ClientBuilder;
    use protocols::websocket::{CloseCode, CloseFrame, Error};
    use transport::tls::TlsClientConfig;

    let (cert, tls) = test_tls();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        |request: Request| {
            Accept::new(&request)
                .read_timeout(Some(Duration::from_secs(20)))
                .serve(sync_echo)
        },
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let trusting = TlsClientConfig::builder()
        .system_roots(false)
        .add_root_certificates_pem(&cert.cert)
        .build()
        .unwrap();
    let mut socket = WebSocket::builder(format!("wss://localhost:{port}/echo"))
        .http_client(ClientBuilder::new().tls_config(trusting))
        .read_timeout(Some(Duration::from_secs(20)))
        .connect()
        .unwrap();
    socket.send(Message::Text("hi".into())).unwrap();
    assert_eq!(socket.read_message().unwrap(), Message::Text("hi".into()));
    // Give the server's handler time to wait in its read.
    std::thread::sleep(Duration::from_millis(50));
    let handle = server.shutdown_handle();
    let shutdown = std::thread::spawn(move || handle.shutdown());
    // The close frame waits unread in the client's socket meanwhile.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !shutdown.is_finished(),
        "the server did not wait for the answer to its close frame"
    );
    let going_away = CloseFrame {
        code: CloseCode::GOING_AWAY,
        reason: "the server is shutting down".into(),
    };
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Close(Some(going_away))
    );
    match socket.read_message() {
        Err(Error::Closed) => {}
        other => panic!("the conversation did not end cleanly: {other:?}"),
    }
    drop(socket);
    let report = shutdown.join().unwrap();
    assert!(report.graceful, "{report:?}");
}

/// A self-signed certificate for `localhost`, and a server config for it.
fn test_tls() -> (testkit::cert::Pem, transport::tls::TlsServerConfig) {
    let cert = testkit::cert::self_signed(&["localhost"]);
    let tls = transport::tls::TlsServerConfig::builder()
        .certificate_pem(&cert.cert, cert.key.clone())
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    (cert, tls)
}

/// Over wss on a raw TLS client, the close handshake from the client, and
/// then the end of the connection: TLS must end with `close_notify`, or
/// the client cannot tell the end from a cut (`TlsError::Truncated`).
fn wss_ends_with_close_notify(port: u16, cert_pem: &str) {
    use transport::tls::{TlsClientConfig, TlsStream};
    let socket = sockets::Socket::from(TcpStream::connect(("127.0.0.1", port)).unwrap());
    socket
        .set_receive_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let trusting = TlsClientConfig::builder()
        .system_roots(false)
        .add_root_certificates_pem(cert_pem)
        .build()
        .unwrap();
    let net = transport::NetworkStream::new(socket).unwrap();
    let mut tls = TlsStream::connect(&trusting, "localhost", net).unwrap();
    write!(
        tls,
        "GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    tls.write_all(&frame(0x88, &1000u16.to_be_bytes())).unwrap();
    tls.flush().unwrap();
    let mut answer = Vec::new();
    if let Err(err) = tls.read_to_end(&mut answer) {
        panic!("the server did not end TLS cleanly: {err}");
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    // The server's answer to the close frame ends what it sent.
    assert!(answer.ends_with(&[0x88, 2, 0x03, 0xE8]), "{answer:?}");
}

#[test]
fn a_served_wss_connection_ends_tls_with_close_notify() {
    let (cert, tls) = test_tls();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls.clone()),
        |request: Request| Accept::new(&request).serve(sync_echo),
    )
    .unwrap();
    wss_ends_with_close_notify(server.local_endpoint().as_ip().unwrap().port(), &cert.cert);
    server.shutdown();
    with_async_server_configured(ServerConfig::default().tls(tls), |port, _| {
        wss_ends_with_close_notify(port, &cert.cert)
    });
}
