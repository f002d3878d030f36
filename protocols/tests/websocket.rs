//! The WebSocket clients against a server nobody here wrote: Python's
//! `websockets` package (`support/ws_server.py`), started through testkit's
//! peer launcher and killed with the test. A missing package fails the test
//! with how to install it. Each case runs blocking and async.

use std::time::Duration;

use bytes::Bytes;
use protocols::http::client::ClientBuilder;
use protocols::websocket::{
    AsyncWebSocket, CloseCode, CloseFrame, Config, Deflate, Error, Message, WebSocket,
};
use testkit::peer::{self, Peer, PeerCommand};
use transport::tls::TlsClientConfig;

const SCRIPT: &str = include_str!("support/ws_server.py");
const INSTALL: &str = "python3 -m pip install websockets";

struct Server {
    _peer: Peer,
    port: u16,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// With `tls` (certificate and key files), it serves wss://.
    fn start_with(tls: &[&std::path::Path]) -> Server {
        let mut peer = PeerCommand::new(peer::python3())
            .name("websockets")
            .install(INSTALL)
            .ready_within(Duration::from_secs(15))
            .args(["-u", "-c", SCRIPT, "127.0.0.1"])
            .args(tls)
            .spawn();
        let port = peer.wait_for("its port", |line| {
            if line.trim() == "NO-WEBSOCKETS" {
                panic!(
                    "the Python websockets package is not installed: these tests need a real \
                     WebSocket server. Install it with `{INSTALL}` (scripts/test does)."
                );
            }
            line.trim().parse().ok()
        });
        Server { _peer: peer, port }
    }

    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }
}

/// What a client sends in `echo_case`, and expects back.
fn echo_messages() -> Vec<Message> {
    let big: Vec<u8> = (0..16 << 20).map(|i: u32| (i % 251) as u8).collect();
    vec![
        Message::Text("hello, wörld".into()),
        Message::Binary(Bytes::from_static(&[0, 1, 2, 255])),
        Message::Text(String::new()),
        Message::Binary(Bytes::from(big)),
    ]
}

fn a_timeout() -> Option<Duration> {
    Some(Duration::from_secs(20))
}

#[test]
fn messages_echo_through_a_real_server_in_both_modes() {
    let server = Server::start();
    let mut socket = WebSocket::builder(server.url("/echo"))
        .read_timeout(a_timeout())
        .connect()
        .unwrap();
    for message in echo_messages() {
        socket.send(message.clone()).unwrap();
        assert_eq!(socket.read_message().unwrap(), message);
    }
    socket
        .close(Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "done".into(),
        }))
        .unwrap();
    assert!(
        matches!(socket.read_message().unwrap(), Message::Close(Some(f)) if f.code == CloseCode::NORMAL)
    );
    assert!(matches!(socket.read_message(), Err(Error::Closed)));

    sockets::block_on(async {
        let mut socket = AsyncWebSocket::builder(server.url("/echo"))
            .read_timeout(a_timeout())
            .connect_async()
            .await
            .unwrap();
        for message in echo_messages() {
            socket.send(message.clone()).await.unwrap();
            assert_eq!(socket.read_message().await.unwrap(), message);
        }
        // The same socket as a futures Sink and Stream.
        let sent = Message::Text("through the sink".into());
        futures::SinkExt::send(&mut socket, sent.clone())
            .await
            .unwrap();
        let got = futures::StreamExt::next(&mut socket)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, sent);
        // Closing the sink starts the close handshake; the stream ends after it.
        futures::SinkExt::close(&mut socket).await.unwrap();
        let rest: Vec<_> = futures::StreamExt::collect(&mut socket).await;
        assert!(
            matches!(rest.as_slice(), [Ok(Message::Close(None))]),
            "{rest:?}"
        );
        assert!(matches!(socket.read_message().await, Err(Error::Closed)));
    });
}

#[test]
fn compressed_messages_echo_through_a_real_server_in_both_modes() {
    let server = Server::start();
    let both_forget = Deflate::default()
        .no_context_takeover(true)
        .peer_no_context_takeover(true);
    for deflate in [Deflate::default(), both_forget] {
        let config = Config::default().deflate(deflate);
        let mut socket = WebSocket::builder(server.url("/echo"))
            .config(config.clone())
            .read_timeout(a_timeout())
            .connect()
            .unwrap();
        assert_eq!(
            socket.deflate(),
            Some(&deflate),
            "the server took the offer"
        );
        for message in echo_messages() {
            socket.send(message.clone()).unwrap();
            assert!(socket.read_message().unwrap() == message);
        }
        socket.close(None).unwrap();
        assert!(matches!(
            socket.read_message().unwrap(),
            Message::Close(None)
        ));

        sockets::block_on(async {
            let mut socket = AsyncWebSocket::builder(server.url("/echo"))
                .config(config)
                .read_timeout(a_timeout())
                .connect_async()
                .await
                .unwrap();
            assert_eq!(socket.deflate(), Some(&deflate));
            for message in echo_messages() {
                socket.send(message.clone()).await.unwrap();
                assert!(socket.read_message().await.unwrap() == message);
            }
        });
    }
    // Without the offer, nothing is compressed.
    let socket = WebSocket::connect(server.url("/echo")).unwrap();
    assert_eq!(socket.deflate(), None);
}

#[test]
fn fragments_pings_and_the_servers_close_in_both_modes() {
    let server = Server::start();
    let open = |path| {
        WebSocket::builder(server.url(path))
            .read_timeout(a_timeout())
            .connect()
            .unwrap()
    };
    let mut socket = open("/fragments");
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Text("fragmented é".into())
    );
    let mut socket = open("/ping");
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Ping(Bytes::from_static(b"are you there"))
    );
    // The pong went out on its own; the server says it arrived.
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Text("pong received".into())
    );
    let mut socket = open("/close");
    socket.send(Message::Text("anything".into())).unwrap();
    let bye = Some(CloseFrame {
        code: CloseCode(4001),
        reason: "bye".into(),
    });
    assert_eq!(socket.read_message().unwrap(), Message::Close(bye.clone()));
    assert!(matches!(socket.read_message(), Err(Error::Closed)));
    assert!(matches!(
        socket.send(Message::Text("late".into())),
        Err(Error::SendAfterClose)
    ));

    sockets::block_on(async {
        let open = |path| {
            AsyncWebSocket::builder(server.url(path))
                .read_timeout(a_timeout())
                .connect_async()
        };
        let mut socket = open("/fragments").await.unwrap();
        assert_eq!(
            socket.read_message().await.unwrap(),
            Message::Text("fragmented é".into())
        );
        let mut socket = open("/ping").await.unwrap();
        assert!(matches!(
            socket.read_message().await.unwrap(),
            Message::Ping(_)
        ));
        assert_eq!(
            socket.read_message().await.unwrap(),
            Message::Text("pong received".into())
        );
        let mut socket = open("/close").await.unwrap();
        socket.send(Message::Text("anything".into())).await.unwrap();
        assert_eq!(socket.read_message().await.unwrap(), Message::Close(bye));
        assert!(matches!(socket.read_message().await, Err(Error::Closed)));
    });
}

#[test]
fn the_handshake_negotiates_a_subprotocol_and_reports_a_refusal() {
    let server = Server::start();
    let socket = WebSocket::builder(server.url("/echo"))
        .protocol("unknown")
        .protocol("superchat")
        .connect()
        .unwrap();
    assert_eq!(socket.protocol(), Some("superchat"));
    let socket = WebSocket::connect(server.url("/echo")).unwrap();
    assert_eq!(socket.protocol(), None);
    match WebSocket::connect(server.url("/nowhere")) {
        Err(Error::Handshake(why)) => assert!(why.contains("404"), "{why}"),
        other => panic!("{other:?}"),
    }
    match WebSocket::connect("http://127.0.0.1/") {
        Err(err @ Error::InvalidUrl(_)) => {
            assert!(err.to_string().contains("ws:// or wss://"), "{err}")
        }
        other => panic!("{other:?}"),
    }
    let refused = sockets::block_on(AsyncWebSocket::connect(server.url("/nowhere")));
    assert!(matches!(refused, Err(Error::Handshake(_))), "{refused:?}");
}

#[test]
fn wss_goes_through_the_http_clients_tls_in_both_modes() {
    let cert = testkit::cert::self_signed(&["localhost"]);
    let dir = testkit::TempDir::new("wss");
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, &cert.cert).unwrap();
    std::fs::write(&key_file, &cert.key).unwrap();
    let server = Server::start_with(&[&cert_file, &key_file]);
    let url = format!("wss://localhost:{}/echo", server.port);
    let trusting = || {
        let tls = TlsClientConfig::builder()
            .add_root_certificates_pem(&cert.cert)
            .build()
            .unwrap();
        ClientBuilder::new().tls_config(tls)
    };
    let mut socket = WebSocket::builder(url.as_str())
        .http_client(trusting())
        .read_timeout(a_timeout())
        .connect()
        .unwrap();
    socket.send(Message::Text("over TLS".into())).unwrap();
    assert_eq!(
        socket.read_message().unwrap(),
        Message::Text("over TLS".into())
    );
    sockets::block_on(async {
        let mut socket = AsyncWebSocket::builder(url.as_str())
            .http_client(trusting())
            .read_timeout(a_timeout())
            .connect_async()
            .await
            .unwrap();
        let big = Message::Binary(Bytes::from(vec![7u8; 1 << 20]));
        socket.send(big.clone()).await.unwrap();
        assert_eq!(socket.read_message().await.unwrap(), big);
    });
    // Without the test certificate trusted, the handshake fails as TLS.
    match WebSocket::connect(url.as_str()) {
        Err(Error::Http(err)) => assert!(err.to_string().contains("certificate"), "{err}"),
        other => panic!("{other:?}"),
    }
}
