//! The `rpc_tls` example's protocol, server and client, on loopback: round
//! trips, pipelining matched by id, error answers, frame limits, an
//! untrusted certificate and a server that goes away — each client case in
//! the synchronous and the asynchronous mode. Every wait is bounded (the
//! client's timeouts, and `TIMEOUT` around the raw peers).

#[path = "../examples/rpc_tls.rs"]
#[allow(dead_code)]
mod rpc_tls;

use std::sync::OnceLock;
use std::thread;
use testkit::{Mode, MODES};

use bytes::{Buf, Bytes};
use netstack::protocols::framing::{self, Framed};
use netstack::sockets::{block_on, EndPoint};
use netstack::transport::tls::{TlsClientConfig, TlsError, TlsServerConfig, TlsStream};
use netstack::transport::{Error as TransportError, TcpListener};

use rpc_tls::{Client, Request, Response, RpcCodec, RpcError, MAX_FRAME, TIMEOUT};

type Results = Vec<Result<Bytes, String>>;

/// One server for the whole test binary, and the certificate it presents.
fn server() -> &'static (EndPoint, String) {
    static SERVER: OnceLock<(EndPoint, String)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (cert, key) = rpc_tls::self_signed().unwrap();
        let (endpoint, _thread) = rpc_tls::spawn_server(&cert, &key, None).unwrap();
        (endpoint, cert)
    })
}

fn connect_to(
    mode: Mode,
    endpoint: EndPoint,
    config: &TlsClientConfig,
) -> Result<Client, RpcError> {
    match mode {
        Mode::Sync => Client::connect(endpoint, config, "localhost"),
        Mode::Async => block_on(Client::connect_async(endpoint, config, "localhost")),
    }
}

fn connect(mode: Mode) -> Client {
    let (endpoint, cert) = server();
    connect_to(mode, endpoint.clone(), &rpc_tls::trusting(cert).unwrap()).unwrap()
}

fn call_many(
    mode: Mode,
    client: &mut Client,
    calls: &[(&str, &[u8])],
) -> Result<Results, RpcError> {
    match mode {
        Mode::Sync => client.call_many(calls),
        Mode::Async => block_on(client.call_many_async(calls)),
    }
}

fn call(mode: Mode, client: &mut Client, method: &str, args: &[u8]) -> Result<Bytes, String> {
    match mode {
        Mode::Sync => client.call(method, args),
        Mode::Async => block_on(client.call_async(method, args)),
    }
    .unwrap()
}

fn close(mode: Mode, client: Client) {
    match mode {
        Mode::Sync => client.close(),
        Mode::Async => block_on(client.close_async()),
    }
    .unwrap()
}

fn u64_pair(a: u64, b: u64) -> Vec<u8> {
    [a.to_be_bytes(), b.to_be_bytes()].concat()
}

#[test]
fn round_trips_in_both_modes() {
    for mode in MODES {
        let mut client = connect(mode);
        assert_eq!(
            call(mode, &mut client, "echo", b"hello"),
            Ok(Bytes::from_static(b"hello"))
        );
        assert_eq!(call(mode, &mut client, "echo", b""), Ok(Bytes::new()));
        let sum = call(mode, &mut client, "add", &u64_pair(40, 2)).unwrap();
        assert_eq!(sum.slice(..).get_u64(), 42, "{mode:?}");
        assert_eq!(
            call(mode, &mut client, "upper", "grüße".as_bytes()),
            Ok(Bytes::from("GRÜSSE"))
        );
        assert_eq!(
            call(mode, &mut client, "sleep", &5u64.to_be_bytes()),
            Ok(Bytes::new())
        );
        close(mode, client);
    }
}

#[test]
fn bad_arguments_and_unknown_methods_are_error_answers_and_the_connection_goes_on() {
    for mode in MODES {
        let mut client = connect(mode);
        let err = call(mode, &mut client, "divide", b"1/0").unwrap_err();
        assert_eq!(err, "unknown method 'divide'", "{mode:?}");
        let err = call(mode, &mut client, "add", b"12").unwrap_err();
        assert!(err.contains("expected two u64"), "{mode:?}: {err}");
        let err = call(mode, &mut client, "add", &u64_pair(u64::MAX, 1)).unwrap_err();
        assert!(err.contains("overflows"), "{mode:?}: {err}");
        let err = call(mode, &mut client, "upper", &[0xff, 0xfe]).unwrap_err();
        assert!(err.contains("not UTF-8"), "{mode:?}: {err}");
        let err = call(mode, &mut client, "sleep", &999_999u64.to_be_bytes()).unwrap_err();
        assert!(err.contains("at most"), "{mode:?}: {err}");
        assert_eq!(
            call(mode, &mut client, "echo", b"still here"),
            Ok(Bytes::from_static(b"still here"))
        );
        close(mode, client);
    }
}

#[test]
fn a_hundred_pipelined_requests_are_answered_by_id() {
    for mode in MODES {
        let mut client = connect(mode);
        // Every third of the first 30 requests sleeps, the first one by far
        // the longest, so the server finishes it last.
        let args: Vec<Vec<u8>> = (0..100u64)
            .map(|i| match i % 3 {
                0 if i < 30 => (if i == 0 { 1500 } else { 10 * i }).to_be_bytes().to_vec(),
                1 => u64_pair(i, 1000),
                _ => format!("request {i}").into_bytes(),
            })
            .collect();
        let calls: Vec<(&str, &[u8])> = args
            .iter()
            .enumerate()
            .map(|(i, a)| match i % 3 {
                0 if i < 30 => ("sleep", &a[..]),
                1 => ("add", &a[..]),
                _ => ("echo", &a[..]),
            })
            .collect();
        let results = call_many(mode, &mut client, &calls).unwrap();
        assert_eq!(results.len(), 100);
        for (i, result) in results.iter().enumerate() {
            let result = result.as_ref().unwrap();
            match calls[i].0 {
                "sleep" => assert!(result.is_empty()),
                "add" => assert_eq!(result.slice(..).get_u64(), i as u64 + 1000, "{mode:?} #{i}"),
                _ => assert_eq!(result[..], *calls[i].1, "{mode:?} #{i}"),
            }
        }
        // Ordering, not timing: the answers came back as the methods
        // finished (the first sleep last), yet each went to its own call.
        let order = client.arrival_order();
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>(), "{mode:?}");
        assert_eq!(order.last(), Some(&0), "{mode:?}: {order:?}");
        close(mode, client);
    }
}

#[test]
fn the_client_refuses_an_oversized_request_and_sends_nothing_of_the_batch() {
    for mode in MODES {
        let mut client = connect(mode);
        let big = vec![b'x'; MAX_FRAME];
        let err = call_many(mode, &mut client, &[("echo", b"first"), ("echo", &big)]).unwrap_err();
        assert!(
            matches!(err, RpcError::Framing(framing::Error::FrameTooLong { limit, .. }) if limit == MAX_FRAME),
            "{mode:?}: {err}"
        );
        // Nothing of the refused batch went out: the next answer is the next call's.
        assert_eq!(
            call(mode, &mut client, "echo", b"next"),
            Ok(Bytes::from_static(b"next"))
        );
        close(mode, client);
    }
}

#[test]
fn an_answer_over_the_frame_limit_becomes_an_error_answer() {
    // 'ŉ' (2 bytes in UTF-8) upper-cases to "ʼN" (3 bytes): the request fits, its answer does not.
    let text = "ŉ".repeat(MAX_FRAME / 2 - 16);
    for mode in MODES {
        let mut client = connect(mode);
        let err = call(mode, &mut client, "upper", text.as_bytes()).unwrap_err();
        assert!(err.contains("over the limit"), "{mode:?}: {err}");
        assert_eq!(
            call(mode, &mut client, "upper", "ŉ".as_bytes()),
            Ok(Bytes::from("ʼN"))
        );
        close(mode, client);
    }
}

/// A raw TLS connection to the shared server, with a codec that allows larger frames.
fn raw_connection() -> Framed<TlsStream<netstack::transport::NetworkStream>, RpcCodec<Response>> {
    let (endpoint, cert) = server();
    let stream = netstack::transport::TcpClient::connect_endpoint(endpoint.clone())
        .unwrap()
        .into_stream();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let tls = TlsStream::connect(&rpc_tls::trusting(cert).unwrap(), "localhost", stream).unwrap();
    Framed::new(tls, RpcCodec::new(4 * MAX_FRAME))
}

#[test]
fn the_server_answers_an_oversized_frame_with_the_codec_error_and_closes() {
    let mut raw = raw_connection();
    let big = Request {
        id: 7,
        method: "echo".into(),
        args: Bytes::from(vec![0u8; 2 * MAX_FRAME]),
    };
    raw.write_frame(&big).unwrap();
    let answer = raw.read_frame().unwrap().expect("an answer before the end");
    assert_eq!(answer.id, 0, "{answer:?}");
    let message = answer.result.unwrap_err();
    assert!(
        message.contains("frame too long") && message.contains(&MAX_FRAME.to_string()),
        "{message}"
    );
    // Then a clean end of the stream (close_notify), not a hang.
    assert!(raw.read_frame().unwrap().is_none());
}

#[test]
fn the_server_answers_an_unparsable_request_with_id_zero() {
    // A 3-byte payload cannot hold an id and a method length.
    let mut frames = raw_connection().map_codec(|_| framing::LengthDelimitedCodec::new());
    frames.write_frame(&b"abc"[..]).unwrap();
    let reply = frames.read_frame().unwrap().expect("an answer");
    let reply = <Response as rpc_tls::Message>::parse(reply).unwrap();
    assert_eq!(reply.id, 0);
    assert!(reply.result.unwrap_err().contains("too short"));
    assert!(frames.read_frame().unwrap().is_none());
}

/// A CA certificate of another name (PEM), as a client might trust instead.
fn another_ca() -> String {
    testkit::cert::Ca::new("another CA").pem.cert
}

#[test]
fn a_client_that_trusts_another_ca_fails_the_handshake_with_a_certificate_error() {
    let (endpoint, _) = server();
    let config = rpc_tls::trusting(&another_ca()).unwrap();
    for mode in MODES {
        match connect_to(mode, endpoint.clone(), &config) {
            Err(RpcError::Tls(TlsError::UnknownIssuer { name })) => assert_eq!(name, "localhost"),
            Err(other) => panic!("{mode:?}: expected an unknown-issuer TLS error, got {other}"),
            Ok(_) => panic!("{mode:?}: the handshake succeeded with an untrusted certificate"),
        }
    }
}

#[test]
fn a_client_that_trusts_a_stale_self_signed_certificate_fails_the_handshake() {
    // Another run's certificate: the same issuer name, another key.
    let (endpoint, _) = server();
    let (stale, _) = rpc_tls::self_signed().unwrap();
    let config = rpc_tls::trusting(&stale).unwrap();
    for mode in MODES {
        match connect_to(mode, endpoint.clone(), &config) {
            Err(RpcError::Tls(TlsError::BadCertificate { name, .. })) => {
                assert_eq!(name, "localhost")
            }
            Err(other) => panic!("{mode:?}: expected a bad-certificate TLS error, got {other}"),
            Ok(_) => panic!("{mode:?}: the handshake succeeded with an untrusted certificate"),
        }
    }
}

/// How the test server goes away after reading one request.
#[derive(Clone, Copy, Debug)]
enum Exit {
    /// `close_notify` and a clean end of the stream.
    Clean,
    /// The TCP connection dropped, no `close_notify`.
    Cut,
}

/// A server that accepts one client, reads one request, and goes away.
fn vanishing_server(exit: Exit) -> (EndPoint, String, thread::JoinHandle<Request>) {
    let (cert, key) = rpc_tls::self_signed().unwrap();
    let config = TlsServerConfig::builder()
        .certificate_pem(&cert, &key)
        .build()
        .unwrap();
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(1).unwrap();
    let endpoint = listener.local_endpoint().unwrap();
    let server = thread::spawn(move || {
        let stream = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let tls = TlsStream::accept(&config, stream).unwrap();
        let mut conn = Framed::new(tls, RpcCodec::<Request>::new(MAX_FRAME));
        let request = conn.read_frame().unwrap().unwrap();
        if let Exit::Clean = exit {
            conn.get_mut().shutdown().unwrap();
        }
        request
    });
    (endpoint, cert, server)
}

#[test]
fn a_server_that_goes_away_mid_request_is_a_clear_error() {
    for mode in MODES {
        for exit in [Exit::Clean, Exit::Cut] {
            let (endpoint, cert, server) = vanishing_server(exit);
            let mut client =
                connect_to(mode, endpoint, &rpc_tls::trusting(&cert).unwrap()).unwrap();
            let err =
                call_many(mode, &mut client, &[("sleep", &1000u64.to_be_bytes())]).unwrap_err();
            let request = server.join().unwrap();
            assert_eq!(request.method, "sleep");
            match (exit, &err) {
                (Exit::Clean, RpcError::ServerGone { unanswered: 1 }) => {}
                (Exit::Cut, RpcError::Framing(framing::Error::Transport(e)))
                    if matches!(
                        **e,
                        TransportError::Tls(TlsError::Truncated {
                            during_handshake: false,
                        })
                    ) => {}
                _ => panic!("{mode:?} {exit:?}: unexpected error {err:?}"),
            }
            let text = err.to_string();
            assert!(text.starts_with("rpc: "), "{text}");
            assert!(text.contains("closed the connection"), "{text}");
        }
    }
}
