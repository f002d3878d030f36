//! TLS between netstack clients and servers on loopback, each case in the
//! synchronous and the asynchronous mode: handshake, ALPN, SNI, client
//! certificates, the distinct certificate errors, truncation, clean
//! shutdown, handshake timeouts, resumption, configuration errors, and the
//! async trait implementations (futures-io, tokio). Every wait is bounded.

mod tls_support;

use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};
use testkit::{Mode, MODES};

use sockets::Shutdown;
use transport::tls::rustls::AlertDescription;
use transport::tls::{
    CertificateInfo, ClientAuth, TlsClientConfig, TlsError, TlsServerConfig, TlsStream, TlsVersion,
    Unmanaged,
};
use transport::NetworkStream;

use testkit::cert::{pki, Pem};
use tls_support::{block_on_bounded, tcp_pair, write_file, WAIT};

type Tls = TlsStream<NetworkStream>;

/// The `TlsError` inside an `io::Error` from the I/O traits (or the io::Error itself).
fn io_to_tls(err: io::Error) -> TlsError {
    if TlsError::from_io(&err).is_some() {
        *err.into_inner()
            .unwrap()
            .downcast::<TlsError>()
            .expect("checked above")
    } else {
        TlsError::Io(err)
    }
}

fn connect(
    mode: Mode,
    config: &TlsClientConfig,
    name: &str,
    stream: NetworkStream,
) -> Result<Tls, TlsError> {
    match mode {
        Mode::Sync => TlsStream::connect(config, name, stream),
        Mode::Async => block_on_bounded(TlsStream::connect_async(config, name, stream)),
    }
}

fn accept(mode: Mode, config: &TlsServerConfig, stream: NetworkStream) -> Result<Tls, TlsError> {
    match mode {
        Mode::Sync => TlsStream::accept(config, stream),
        Mode::Async => block_on_bounded(TlsStream::accept_async(config, stream)),
    }
}

fn write_all(mode: Mode, tls: &mut Tls, data: &[u8]) -> Result<(), TlsError> {
    match mode {
        Mode::Sync => tls
            .write_all(data)
            .and_then(|()| tls.flush())
            .map_err(io_to_tls),
        Mode::Async => block_on_bounded(tls.write_all_async(data)),
    }
}

fn read_some(mode: Mode, tls: &mut Tls, buf: &mut [u8]) -> Result<usize, TlsError> {
    match mode {
        Mode::Sync => tls.read(buf).map_err(io_to_tls),
        Mode::Async => block_on_bounded(tls.read_async(buf)),
    }
}

fn read_exact(mode: Mode, tls: &mut Tls, len: usize) -> Result<Vec<u8>, TlsError> {
    let mut out = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = read_some(mode, tls, &mut out[filled..])?;
        assert_ne!(n, 0, "the stream ended after {filled} of {len} bytes");
        filled += n;
    }
    Ok(out)
}

fn read_to_end(mode: Mode, tls: &mut Tls) -> Result<Vec<u8>, TlsError> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match read_some(mode, tls, &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn shutdown(mode: Mode, tls: &mut Tls) -> Result<(), TlsError> {
    match mode {
        Mode::Sync => tls.shutdown(),
        Mode::Async => block_on_bounded(tls.shutdown_async()),
    }
}

fn server_config() -> TlsServerConfig {
    let p = pki();
    TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .build()
        .unwrap()
}

fn client_config() -> TlsClientConfig {
    TlsClientConfig::builder()
        .add_root_certificates_pem(&pki().ca.cert)
        .build()
        .unwrap()
}

/// Runs `server` on the accepted side in a thread and `client` here; returns both results.
fn run<C, S, CR, SR>(client: C, server: S) -> (CR, SR)
where
    C: FnOnce(NetworkStream) -> CR,
    S: FnOnce(NetworkStream) -> SR + Send + 'static,
    SR: Send + 'static,
{
    let (client_stream, server_stream) = tcp_pair();
    let server = thread::spawn(move || server(server_stream));
    let client_result = client(client_stream);
    let server_result = server.join().expect("server thread panicked");
    (client_result, server_result)
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn handshake_alpn_and_echo_in_both_modes() {
    for mode in MODES {
        let p = pki();
        let server_config = TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.key)
            .alpn_protocols(["http/1.1", "echo"])
            .build()
            .unwrap();
        let client_config = TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .alpn_protocols(["h2", "http/1.1"])
            .build()
            .unwrap();
        let data = payload(200_000);
        let expected = data.clone();
        let (client, server) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                assert!(!tls.is_handshaking());
                assert!(!tls.is_server());
                assert_eq!(tls.alpn_protocol(), Some(&b"http/1.1"[..]));
                assert_eq!(tls.protocol_version(), Some(TlsVersion::Tls13));
                let suite = tls.cipher_suite().unwrap();
                assert!(suite.starts_with("TLS13_"), "{suite}");
                assert_eq!(tls.server_name(), Some("localhost"));
                let cert = tls.peer_certificate().unwrap();
                assert!(cert.subject.contains("CN=localhost"), "{cert}");
                assert!(cert.issuer.contains("CN=netstack test CA"), "{cert}");
                assert_eq!(tls.peer_certificates().unwrap().len(), 1);
                write_all(mode, &mut tls, &data).unwrap();
                let echoed = read_exact(mode, &mut tls, data.len()).unwrap();
                assert_eq!(echoed, data);
                shutdown(mode, &mut tls).unwrap();
                // The server answers our close_notify with its own: a clean end.
                assert_eq!(read_to_end(mode, &mut tls).unwrap(), b"");
                format!("{tls:?}")
            },
            move |stream| {
                let mut tls = accept(mode, &server_config, stream).unwrap();
                assert!(tls.is_server());
                assert_eq!(tls.server_name(), Some("localhost"));
                assert_eq!(tls.alpn_protocol(), Some(&b"http/1.1"[..]));
                assert!(tls.peer_certificates().is_none());
                let received = read_exact(mode, &mut tls, expected.len()).unwrap();
                write_all(mode, &mut tls, &received).unwrap();
                // Then the client's close_notify: a clean end of stream, twice.
                let mut buf = [0u8; 16];
                assert_eq!(read_some(mode, &mut tls, &mut buf).unwrap(), 0);
                assert_eq!(read_some(mode, &mut tls, &mut buf).unwrap(), 0);
                shutdown(mode, &mut tls).unwrap();
                received == expected
            },
        );
        assert!(server, "{mode:?}: the server received other bytes");
        assert!(client.contains("TlsStream"), "{client}");
    }
}

#[test]
fn tls12_is_negotiated_when_the_server_tops_out_there() {
    for mode in MODES {
        let p = pki();
        let server_config = TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.key)
            .max_protocol_version(TlsVersion::Tls12)
            .build()
            .unwrap();
        let client_config = client_config();
        let (client, server) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                assert_eq!(tls.protocol_version(), Some(TlsVersion::Tls12));
                assert!(tls.cipher_suite().unwrap().starts_with("TLS_ECDHE_"));
                write_all(mode, &mut tls, b"ping").unwrap();
                read_to_end(mode, &mut tls).unwrap()
            },
            move |stream| {
                let mut tls = accept(mode, &server_config, stream).unwrap();
                let got = read_exact(mode, &mut tls, 4).unwrap();
                write_all(mode, &mut tls, b"pong").unwrap();
                shutdown(mode, &mut tls).unwrap();
                got
            },
        );
        assert_eq!(
            (client.as_slice(), server.as_slice()),
            (&b"pong"[..], &b"ping"[..])
        );
    }
}

#[test]
fn sni_selects_the_certificate() {
    let p = pki();
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .sni_certificate_pem("other.test", &p.other.cert, &p.other.key)
        .build()
        .unwrap();
    let client_config = client_config();
    for mode in MODES {
        for name in ["other.test", "localhost"] {
            let config = server_config.clone();
            let (subject, seen) = run(
                |stream| {
                    let tls = connect(mode, &client_config, name, stream).unwrap();
                    tls.peer_certificate().unwrap().subject
                },
                move |stream| {
                    let tls = accept(mode, &config, stream).unwrap();
                    tls.server_name().map(str::to_string)
                },
            );
            assert!(
                subject.contains(&format!("CN={name}")),
                "{mode:?} {name}: {subject}"
            );
            assert_eq!(seen.as_deref(), Some(name));
        }
    }
}

#[test]
fn sni_only_server_refuses_an_unknown_name() {
    let p = pki();
    let server_config = TlsServerConfig::builder()
        .sni_certificate_pem("other.test", &p.other.cert, &p.other.key)
        .build()
        .unwrap();
    let client_config = client_config();
    for mode in MODES {
        let config = server_config.clone();
        let (client, server) = run(
            |stream| connect(mode, &client_config, "localhost", stream).map(drop),
            move |stream| accept(mode, &config, stream).map(drop),
        );
        assert!(
            matches!(client, Err(TlsError::AlertReceived { .. })),
            "{mode:?}: {client:?}"
        );
        assert!(server.is_err(), "{mode:?}");
    }
}

/// The client side of a rejected client certificate: in TLS 1.3 the client
/// may finish its handshake before the server checks; then the alert comes
/// with the first read.
fn client_sees_rejection(mode: Mode, config: &TlsClientConfig, stream: NetworkStream) -> TlsError {
    match connect(mode, config, "localhost", stream) {
        Err(e) => e,
        Ok(mut tls) => {
            let mut buf = [0u8; 8];
            match read_some(mode, &mut tls, &mut buf) {
                Err(e) => e,
                Ok(n) => panic!("{mode:?}: read {n} bytes from a server that should refuse us"),
            }
        }
    }
}

#[test]
fn required_client_certificate_refuses_a_client_without_one() {
    let p = pki();
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .client_auth(ClientAuth::Required)
        .add_client_root_certificates_pem(&p.ca.cert)
        .build()
        .unwrap();
    let client_config = client_config();
    for mode in MODES {
        let config = server_config.clone();
        let (client, server) = run(
            |stream| client_sees_rejection(mode, &client_config, stream),
            move |stream| accept(mode, &config, stream).map(drop),
        );
        assert!(
            matches!(client, TlsError::ClientCertificateRequired { local: false }),
            "{mode:?}: {client:?}"
        );
        let server = server.unwrap_err();
        assert!(
            matches!(server, TlsError::ClientCertificateRequired { local: true }),
            "{mode:?}: {server:?}"
        );
        assert!(server
            .to_string()
            .starts_with("tls: the server requires a client certificate"));
    }
}

#[test]
fn required_client_certificate_accepts_a_trusted_one() {
    let p = pki();
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .client_auth(ClientAuth::Required)
        .add_client_root_certificates_pem(&p.ca.cert)
        .build()
        .unwrap();
    let client_config = TlsClientConfig::builder()
        .add_root_certificates_pem(&p.ca.cert)
        .client_certificate_pem(&p.client.cert, &p.client.key)
        .build()
        .unwrap();
    for mode in MODES {
        let config = server_config.clone();
        let (client, subject) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                read_exact(mode, &mut tls, 2).unwrap()
            },
            move |stream| {
                let mut tls = accept(mode, &config, stream).unwrap();
                write_all(mode, &mut tls, b"hi").unwrap();
                tls.peer_certificate().unwrap().subject
            },
        );
        assert_eq!(client, b"hi");
        assert!(subject.contains("CN=netstack client"), "{subject}");
    }
}

#[test]
fn optional_client_certificate_accepts_none_but_refuses_an_untrusted_one() {
    let p = pki();
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .client_auth(ClientAuth::Optional)
        .add_client_root_certificates_pem(&p.ca.cert)
        .build()
        .unwrap();
    let anonymous = client_config();
    let stranger = TlsClientConfig::builder()
        .add_root_certificates_pem(&p.ca.cert)
        .client_certificate_pem(&p.untrusted_client.cert, &p.untrusted_client.key)
        .build()
        .unwrap();
    for mode in MODES {
        let config = server_config.clone();
        let (client, server) = run(
            |stream| {
                let mut tls = connect(mode, &anonymous, "localhost", stream).unwrap();
                read_exact(mode, &mut tls, 2).unwrap()
            },
            move |stream| {
                let mut tls = accept(mode, &config, stream).unwrap();
                write_all(mode, &mut tls, b"ok").unwrap();
                tls.peer_certificates().is_none()
            },
        );
        assert_eq!(client, b"ok");
        assert!(server, "{mode:?}: an anonymous client has no certificate");

        let config = server_config.clone();
        let (client, server) = run(
            |stream| client_sees_rejection(mode, &stranger, stream),
            move |stream| accept(mode, &config, stream).map(drop),
        );
        assert!(
            matches!(client, TlsError::AlertReceived { .. }),
            "{mode:?}: {client:?}"
        );
        let server = server.unwrap_err();
        assert!(
            matches!(server, TlsError::UnknownIssuer { ref name } if name == "client"),
            "{mode:?}: {server:?}"
        );
    }
}

/// Connects a default client (trusting the test CA) to a server presenting
/// `cert` as `name`; returns both errors.
fn rejected(mode: Mode, server_pem: &Pem, name: &str) -> (TlsError, TlsError) {
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&server_pem.cert, &server_pem.key)
        .build()
        .unwrap();
    let client_config = client_config();
    let (client, server) = run(
        |stream| connect(mode, &client_config, name, stream).map(drop),
        move |stream| accept(mode, &server_config, stream).map(drop),
    );
    (client.unwrap_err(), server.unwrap_err())
}

#[test]
fn expired_certificate_is_reported_as_expired() {
    for mode in MODES {
        let (client, server) = rejected(mode, &pki().expired, "localhost");
        match &client {
            TlsError::CertificateExpired { name, not_after } => {
                assert_eq!(name, "localhost");
                assert!(not_after.is_some());
            }
            other => panic!("{mode:?}: expected CertificateExpired, got {other:?}"),
        }
        let text = client.to_string();
        assert!(
            text.starts_with(
                "tls: certificate for 'localhost' has expired (not valid after 2020-01-01"
            ),
            "{text}"
        );
        assert!(client.is_certificate_error());
        assert!(
            matches!(
                server,
                TlsError::AlertReceived {
                    alert: AlertDescription::CertificateExpired
                }
            ),
            "{mode:?}: {server:?}"
        );
        assert_eq!(
            server.to_string(),
            "tls: the peer sent a fatal alert: certificate_expired"
        );
    }
}

#[test]
fn untrusted_issuer_is_reported_as_unknown_issuer() {
    for mode in MODES {
        let (client, server) = rejected(mode, &pki().untrusted, "localhost");
        assert!(
            matches!(client, TlsError::UnknownIssuer { ref name } if name == "localhost"),
            "{mode:?}: {client:?}"
        );
        assert!(client
            .to_string()
            .contains("unknown or untrusted authority"));
        assert!(
            matches!(
                server,
                TlsError::AlertReceived {
                    alert: AlertDescription::UnknownCA
                }
            ),
            "{mode:?}: {server:?}"
        );
    }
}

#[test]
fn wrong_host_is_reported_as_name_mismatch() {
    for mode in MODES {
        let (client, server) = rejected(mode, &pki().localhost, "other.test");
        match &client {
            TlsError::NameMismatch {
                expected,
                presented,
            } => {
                assert_eq!(expected, "other.test");
                assert!(
                    presented.iter().any(|n| n.contains("localhost")),
                    "{presented:?}"
                );
            }
            other => panic!("{mode:?}: expected NameMismatch, got {other:?}"),
        }
        assert!(client
            .to_string()
            .starts_with("tls: certificate is not valid for 'other.test'"));
        assert!(
            matches!(server, TlsError::AlertReceived { .. }),
            "{mode:?}: {server:?}"
        );
    }
}

#[test]
fn an_ip_address_is_checked_against_the_certificate() {
    for mode in MODES {
        let server_config = server_config();
        let client_config = client_config();
        let (client, _) = run(
            |stream| {
                connect(mode, &client_config, "127.0.0.1", stream)
                    .map(|t| t.server_name().map(str::to_string))
            },
            move |stream| {
                accept(mode, &server_config, stream).map(|t| t.server_name().map(str::to_string))
            },
        );
        assert_eq!(client.unwrap().as_deref(), Some("127.0.0.1"));
    }
}

#[test]
fn a_peer_that_cuts_the_connection_mid_stream_is_truncation() {
    for mode in MODES {
        let server_config = server_config();
        let client_config = client_config();
        let (client, ()) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                let head = read_exact(mode, &mut tls, 5).unwrap();
                assert_eq!(head, b"part1");
                read_to_end(mode, &mut tls)
            },
            move |stream| {
                let mut tls = accept(mode, &server_config, stream).unwrap();
                write_all(mode, &mut tls, b"part1").unwrap();
                // Cut the TCP connection without close_notify.
                tls.get_ref().shutdown(Shutdown::Both).unwrap();
            },
        );
        let err = client.unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Truncated {
                    during_handshake: false
                }
            ),
            "{mode:?}: {err:?}"
        );
        assert!(err.to_string().contains("without close_notify"), "{err}");
    }
}

#[test]
fn a_corrupted_record_and_garbage_mid_stream_are_errors_not_data() {
    // After a good record, the server's raw socket sends an application
    // data record whose ciphertext is made up (it cannot authenticate),
    // or bytes that are no TLS record at all.
    let mut forged = vec![0x17, 0x03, 0x03, 0x00, 0x20];
    forged.extend_from_slice(&[0xab; 0x20]);
    let cases = [
        ("forged record", forged),
        ("garbage", b"GET / HTTP/1.1\r\n\r\n".to_vec()),
    ];
    for (name, spoiled) in cases {
        for mode in MODES {
            let server_config = server_config();
            let client_config = client_config();
            let spoiled = spoiled.clone();
            let (client, ()) = run(
                |stream| {
                    let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                    let head = read_exact(mode, &mut tls, 5).unwrap();
                    assert_eq!(head, b"part1");
                    read_to_end(mode, &mut tls)
                },
                move |stream| {
                    let mut tls = accept(mode, &server_config, stream).unwrap();
                    write_all(mode, &mut tls, b"part1").unwrap();
                    tls.get_ref().write_all(&spoiled).unwrap();
                    // Keep the connection open until the client has judged it.
                    thread::sleep(Duration::from_millis(200));
                },
            );
            match client {
                Ok(data) => panic!("{name}, {mode:?}: spoiled bytes read as data: {data:?}"),
                // Not a clean cut either: the bytes were wrong, not missing.
                Err(TlsError::Truncated { .. }) => panic!("{name}, {mode:?}: reported as a cut"),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn a_fatal_alert_mid_stream_is_the_alert_after_the_data_before_it() {
    // The server is rustls itself: after the handshake and one good record,
    // it is fed a record it cannot authenticate, so it sends a real fatal
    // alert (bad_record_mac, encrypted under the session's keys) mid-stream.
    let mut forged = vec![0x17, 0x03, 0x03, 0x00, 0x20];
    forged.extend_from_slice(&[0xab; 0x20]);
    for mode in MODES {
        let server_config = server_config();
        let client_config = client_config();
        let forged = forged.clone();
        let (client, ()) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                let head = read_exact(mode, &mut tls, 5).unwrap();
                assert_eq!(head, b"part1");
                read_to_end(mode, &mut tls)
            },
            move |stream| {
                let mut conn =
                    rustls::ServerConnection::new(server_config.rustls_config().clone()).unwrap();
                let mut socket = &stream;
                while conn.is_handshaking() {
                    conn.complete_io(&mut socket).unwrap();
                }
                conn.writer().write_all(b"part1").unwrap();
                while conn.wants_write() {
                    conn.write_tls(&mut socket).unwrap();
                }
                conn.read_tls(&mut &forged[..]).unwrap();
                assert!(conn.process_new_packets().is_err());
                // rustls queued its fatal alert: send it.
                while conn.wants_write() {
                    conn.write_tls(&mut socket).unwrap();
                }
                // Keep the connection open until the client has judged it.
                thread::sleep(Duration::from_millis(200));
            },
        );
        let err = client.unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::AlertReceived {
                    alert: AlertDescription::BadRecordMac
                }
            ),
            "{mode:?}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "tls: the peer sent a fatal alert: bad_record_mac"
        );
    }
}

#[test]
fn truncation_reaches_std_read_as_unexpected_eof() {
    let server_config = server_config();
    let client_config = client_config();
    let (client, ()) = run(
        |stream| {
            let mut tls = TlsStream::connect(&client_config, "localhost", stream).unwrap();
            let mut all = Vec::new();
            tls.read_to_end(&mut all).map(|_| all)
        },
        move |stream| {
            let mut tls = TlsStream::accept(&server_config, stream).unwrap();
            tls.write_all(b"some data").unwrap();
            drop(tls); // closes the socket: no close_notify
        },
    );
    let err = client.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        matches!(TlsError::from_io(&err), Some(TlsError::Truncated { .. })),
        "{err:?}"
    );
}

#[test]
fn a_connection_cut_during_the_handshake_is_reported() {
    for mode in MODES {
        let client_config = client_config();
        let (client, ()) = run(
            |stream| connect(mode, &client_config, "localhost", stream).map(drop),
            |stream| {
                let mut buf = [0u8; 1];
                let _ = stream.read(&mut buf); // the ClientHello arrives; then hang up
                stream.shutdown(Shutdown::Both).unwrap();
            },
        );
        let err = client.unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Truncated {
                    during_handshake: true
                }
            ),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn shutdown_sends_close_notify_and_the_peer_reads_a_clean_eof() {
    for mode in MODES {
        let server_config = server_config();
        let client_config = client_config();
        let (client, ()) = run(
            |stream| {
                let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                read_to_end(mode, &mut tls)
            },
            move |stream| {
                let mut tls = accept(mode, &server_config, stream).unwrap();
                write_all(mode, &mut tls, b"all of it").unwrap();
                shutdown(mode, &mut tls).unwrap();
                // Keep the socket open until the client has read: the end it
                // sees must come from close_notify (and the write shutdown).
                let mut buf = [0u8; 1];
                let _ = read_some(mode, &mut tls, &mut buf);
            },
        );
        assert_eq!(client.unwrap(), b"all of it", "{mode:?}");
    }
}

#[test]
fn handshake_times_out_against_a_server_that_never_speaks() {
    for mode in MODES {
        let timeout = Duration::from_millis(300);
        let client_config = client_config().with_handshake_timeout(timeout);
        let (client, server_stream) = tcp_pair();
        client.set_read_timeout(None).unwrap();
        client.set_write_timeout(None).unwrap();
        let started = Instant::now();
        let mut tls = TlsStream::client(&client_config, "localhost", client).unwrap();
        let err = match mode {
            Mode::Sync => tls.handshake(),
            Mode::Async => block_on_bounded(tls.handshake_async()),
        }
        .unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(err, TlsError::HandshakeTimeout { timeout: t } if t == timeout),
            "{mode:?}: {err:?}"
        );
        assert!(err.is_timeout());
        assert_eq!(
            err.to_string(),
            "tls: the handshake did not finish within 300ms"
        );
        assert!(elapsed >= timeout, "{mode:?}: gave up after {elapsed:?}");
        assert!(
            elapsed < Duration::from_secs(5),
            "{mode:?}: took {elapsed:?}"
        );
        // The stream's own timeouts are back as they were.
        assert_eq!(tls.get_ref().read_timeout().unwrap(), None);
        assert_eq!(tls.get_ref().write_timeout().unwrap(), None);
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
        drop(server_stream);
    }
}

#[test]
fn handshake_times_out_against_a_client_that_never_speaks() {
    for mode in MODES {
        let timeout = Duration::from_millis(300);
        let server_config = server_config().with_handshake_timeout(timeout);
        let (client_stream, server_stream) = tcp_pair();
        let started = Instant::now();
        let err = accept(mode, &server_config, server_stream).unwrap_err();
        assert!(
            matches!(err, TlsError::HandshakeTimeout { .. }),
            "{mode:?}: {err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(client_stream);
    }
}

#[test]
fn handshake_timeout_converts_to_a_transport_error() {
    let err = transport::Error::from(TlsError::HandshakeTimeout {
        timeout: Duration::from_secs(1),
    });
    assert!(err.is_timeout());
}

#[test]
fn protocol_version_mismatch_is_distinct() {
    let p = pki();
    for mode in MODES {
        let server_config = TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.key)
            .max_protocol_version(TlsVersion::Tls12)
            .build()
            .unwrap();
        let client_config = TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .min_protocol_version(TlsVersion::Tls13)
            .build()
            .unwrap();
        let (client, server) = run(
            |stream| connect(mode, &client_config, "localhost", stream).map(drop),
            move |stream| accept(mode, &server_config, stream).map(drop),
        );
        let client = client.unwrap_err();
        let server = server.unwrap_err();
        assert!(
            matches!(client, TlsError::ProtocolVersion { .. }),
            "{mode:?}: {client:?}"
        );
        assert!(
            matches!(server, TlsError::ProtocolVersion { .. }),
            "{mode:?}: {server:?}"
        );
        assert!(client
            .to_string()
            .starts_with("tls: no protocol version in common"));
    }
}

#[test]
fn sessions_resume_unless_turned_off() {
    let p = pki();
    for (resume, version) in [
        (true, TlsVersion::Tls13),
        (true, TlsVersion::Tls12),
        (false, TlsVersion::Tls13),
    ] {
        let server_config = TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.key)
            .max_protocol_version(version)
            .build()
            .unwrap();
        let client_config = TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .session_resumption(resume)
            .build()
            .unwrap();
        let mut resumed = Vec::new();
        for mode in [Mode::Sync, Mode::Async, Mode::Sync] {
            let config = server_config.clone();
            let (client, ()) = run(
                |stream| {
                    let mut tls = connect(mode, &client_config, "localhost", stream).unwrap();
                    // Reading takes in the TLS 1.3 session tickets.
                    assert_eq!(read_to_end(mode, &mut tls).unwrap(), b"x");
                    tls.is_resumed()
                },
                move |stream| {
                    let mut tls = accept(mode, &config, stream).unwrap();
                    write_all(mode, &mut tls, b"x").unwrap();
                    shutdown(mode, &mut tls).unwrap();
                },
            );
            resumed.push(client);
        }
        let expected = if resume {
            vec![false, true, true]
        } else {
            vec![false; 3]
        };
        assert_eq!(resumed, expected, "resumption {resume} over {version}");
    }
}

#[test]
fn configuration_errors_are_reported() {
    let p = pki();
    let config_error = |r: Result<(), TlsError>| match r {
        Err(TlsError::Config(text)) => text,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    let text = config_error(
        TlsServerConfig::builder()
            .certificate_pem("not pem at all", &p.localhost.key)
            .build()
            .map(drop),
    );
    assert!(
        text.contains("server certificate") && text.contains("no CERTIFICATE"),
        "{text}"
    );
    let text = config_error(
        TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.cert)
            .build()
            .map(drop),
    );
    assert!(text.contains("no PRIVATE KEY"), "{text}");
    let text = config_error(
        TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.other.key)
            .build()
            .map(drop),
    );
    assert!(text.contains("certificate and key"), "{text}");
    let text = config_error(TlsServerConfig::builder().build().map(drop));
    assert!(text.contains("needs a certificate"), "{text}");
    let text = config_error(
        TlsServerConfig::builder()
            .certificate_pem(&p.localhost.cert, &p.localhost.key)
            .client_auth(ClientAuth::Required)
            .build()
            .map(drop),
    );
    assert!(text.contains("client root"), "{text}");
    let text = config_error(
        TlsServerConfig::builder()
            .sni_certificate_pem("wrong.test", &p.localhost.cert, &p.localhost.key)
            .build()
            .map(drop),
    );
    assert!(text.contains("wrong.test"), "{text}");
    let text = config_error(
        TlsServerConfig::builder()
            .certificate_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem")
            .build()
            .map(drop),
    );
    assert!(text.contains("/nonexistent/cert.pem"), "{text}");
    let text = config_error(
        TlsClientConfig::builder()
            .add_root_certificates_pem(
                "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
            )
            .build()
            .map(drop),
    );
    assert!(text.contains("bad PEM"), "{text}");
    let text = config_error(
        TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .client_certificate_pem(&p.client.cert, "")
            .build()
            .map(drop),
    );
    assert!(text.contains("client key"), "{text}");
    let text = config_error(
        TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .min_protocol_version(TlsVersion::Tls13)
            .max_protocol_version(TlsVersion::Tls12)
            .build()
            .map(drop),
    );
    assert!(text.contains("minimum protocol version"), "{text}");
    let text = config_error(
        TlsClientConfig::builder()
            .system_roots(false)
            .build()
            .map(drop),
    );
    assert!(text.contains("no trusted root"), "{text}");
    let (client, _server) = tcp_pair();
    let text =
        config_error(TlsStream::client(&client_config(), "not a host name!", client).map(drop));
    assert!(text.contains("not a valid server name"), "{text}");
    assert!(TlsError::Config("x".into())
        .to_string()
        .starts_with("tls: invalid configuration"));
}

#[test]
fn roots_and_certificates_load_from_pem_files() {
    let p = pki();
    let ca = write_file("ca.pem", &p.ca.cert);
    let cert = write_file("localhost.pem", &p.localhost.cert);
    let key = write_file("localhost.key", &p.localhost.key);
    let other_cert = write_file("other.pem", &p.other.cert);
    let other_key = write_file("other.key", &p.other.key);
    let client_cert = write_file("client.pem", &p.client.cert);
    let client_key = write_file("client.key", &p.client.key);
    let server_config = TlsServerConfig::builder()
        .certificate_pem_files(&cert, &key)
        .sni_certificate_pem_files("other.test", &other_cert, &other_key)
        .client_auth(ClientAuth::Required)
        .add_client_root_certificates_pem_file(&ca)
        .build()
        .unwrap();
    let client_config = TlsClientConfig::builder()
        .add_root_certificates_pem_file(&ca)
        .client_certificate_pem_files(&client_cert, &client_key)
        .build()
        .unwrap();
    let (client, server) = run(
        |stream| {
            let mut tls = TlsStream::connect(&client_config, "other.test", stream).unwrap();
            let mut buf = [0u8; 2];
            tls.read_exact(&mut buf).unwrap();
            tls.peer_certificate().unwrap().subject
        },
        move |stream| {
            let mut tls = TlsStream::accept(&server_config, stream).unwrap();
            tls.write_all(b"ok").unwrap();
            tls.peer_certificate().unwrap().subject
        },
    );
    assert!(client.contains("CN=other.test"), "{client}");
    assert!(server.contains("CN=netstack client"), "{server}");
}

#[test]
fn the_system_and_bundled_roots_build() {
    // The bundled (webpki-roots) set always exists; the system store may be
    // empty on a bare machine, which is then a configuration error.
    TlsClientConfig::builder()
        .bundled_roots(true)
        .build()
        .unwrap();
    match TlsClientConfig::new() {
        Ok(_) | Err(TlsError::Config(_)) => {}
        Err(other) => panic!("unexpected error loading the system roots: {other:?}"),
    }
    // The bundled roots do not trust the test CA.
    let client_config = TlsClientConfig::builder()
        .bundled_roots(true)
        .build()
        .unwrap();
    let server_config = server_config();
    let (client, _) = run(
        |stream| TlsStream::connect(&client_config, "localhost", stream).map(drop),
        move |stream| TlsStream::accept(&server_config, stream).map(drop),
    );
    assert!(
        matches!(client, Err(TlsError::UnknownIssuer { .. })),
        "{client:?}"
    );
}

#[test]
fn dangerous_accept_any_certificate_connects_to_an_untrusted_server() {
    let p = pki();
    for mode in MODES {
        let server_config = TlsServerConfig::builder()
            .certificate_pem(&p.untrusted.cert, &p.untrusted.key)
            .build()
            .unwrap();
        let client_config = TlsClientConfig::builder()
            .dangerous_accept_any_certificate()
            .build()
            .unwrap();
        let (client, ()) = run(
            |stream| {
                let mut tls =
                    connect(mode, &client_config, "some-other-name.test", stream).unwrap();
                read_exact(mode, &mut tls, 3).unwrap()
            },
            move |stream| {
                let mut tls = accept(mode, &server_config, stream).unwrap();
                write_all(mode, &mut tls, b"yes").unwrap();
            },
        );
        assert_eq!(client, b"yes");
    }
}

#[test]
fn a_borrowed_network_stream_works_in_both_modes() {
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            let mut tls = TlsStream::connect(&client_config, "localhost", &stream).unwrap();
            tls.write_all(b"sync").unwrap();
            tls.shutdown().unwrap();
            // The stream is still ours, borrowed by the session.
            std::ptr::eq(*tls.get_ref(), &stream)
        },
        move |stream| {
            block_on_bounded(async {
                let mut tls = TlsStream::accept_async(&server_config, &stream)
                    .await
                    .unwrap();
                let mut all = Vec::new();
                let mut buf = [0u8; 64];
                loop {
                    match tls.read_async(&mut buf).await.unwrap() {
                        0 => break all,
                        n => all.extend_from_slice(&buf[..n]),
                    }
                }
            })
        },
    );
    assert!(client);
    assert_eq!(server, b"sync");
}

#[test]
fn a_std_stream_works_through_unmanaged() {
    // Tests may use std's sockets; the library never does.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let server_config = server_config();
    let server = thread::spawn(move || {
        let (stream, _) = std_listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut tls = TlsStream::accept(&server_config, Unmanaged(stream)).unwrap();
        let mut buf = [0u8; 3];
        tls.read_exact(&mut buf).unwrap();
        tls.write_all(&buf).unwrap();
        tls.shutdown().unwrap();
    });
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut tls = TlsStream::connect(&client_config(), "localhost", Unmanaged(stream)).unwrap();
    tls.write_all(b"std").unwrap();
    let mut buf = [0u8; 3];
    tls.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std");
    server.join().unwrap();
}

#[test]
fn unmanaged_handshake_timeout_relies_on_the_streams_own_timeout() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let config = client_config().with_handshake_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = TlsStream::connect(&config, "localhost", Unmanaged(stream)).unwrap_err();
    assert!(matches!(err, TlsError::HandshakeTimeout { .. }), "{err:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[test]
fn futures_io_traits_under_smol_and_futures_executor() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            smol::block_on(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                AsyncWriteExt::write_all(&mut tls, b"through futures-io")
                    .await
                    .unwrap();
                AsyncWriteExt::flush(&mut tls).await.unwrap();
                AsyncWriteExt::close(&mut tls).await.unwrap(); // close_notify + write shutdown
                let mut reply = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut reply)
                    .await
                    .unwrap();
                reply
            })
        },
        move |stream| {
            futures::executor::block_on(async {
                let mut tls = TlsStream::accept_async(&server_config, stream)
                    .await
                    .unwrap();
                let mut got = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut got).await.unwrap();
                AsyncWriteExt::write_all(&mut tls, &got).await.unwrap();
                AsyncWriteExt::close(&mut tls).await.unwrap();
                got
            })
        },
    );
    assert_eq!(server, b"through futures-io");
    assert_eq!(client, b"through futures-io");
}

/// tokio's traits exist with the `tokio` feature (`cargo test --features tokio`).
#[cfg(feature = "tokio")]
#[test]
fn tokio_traits_drive_a_tls_stream() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                AsyncWriteExt::write_all(&mut tls, b"through tokio")
                    .await
                    .unwrap();
                AsyncWriteExt::shutdown(&mut tls).await.unwrap();
                let mut reply = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut reply)
                    .await
                    .unwrap();
                reply
            })
        },
        move |stream| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut tls = TlsStream::accept_async(&server_config, stream)
                    .await
                    .unwrap();
                let mut got = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut got).await.unwrap();
                AsyncWriteExt::write_all(&mut tls, &got).await.unwrap();
                AsyncWriteExt::shutdown(&mut tls).await.unwrap();
                got
            })
        },
    );
    assert_eq!(server, b"through tokio");
    assert_eq!(client, b"through tokio");
}

#[test]
fn dropping_a_pending_async_read_loses_no_data() {
    use futures::FutureExt;
    let server_config = server_config();
    let client_config = client_config();
    let (client, ()) = run(
        |stream| {
            block_on_bounded(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                let mut buf = [0u8; 5];
                // Nothing has been sent yet: the read is pending, and is dropped.
                assert!(tls.read_async(&mut buf).now_or_never().is_none());
                tls.write_all_async(b"go").await.unwrap();
                let mut got = Vec::new();
                while got.len() < 5 {
                    let n = tls.read_async(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                }
                got
            })
        },
        move |stream| {
            let mut tls = TlsStream::accept(&server_config, stream).unwrap();
            let mut go = [0u8; 2];
            tls.read_exact(&mut go).unwrap();
            tls.write_all(b"after").unwrap();
        },
    );
    assert_eq!(client, b"after");
}

#[test]
fn certificate_info_reads_rcgen_certificates() {
    use transport::tls::rustls::pki_types::{pem::PemObject, CertificateDer};
    let p = pki();
    let der = CertificateDer::from_pem_slice(p.localhost.cert.as_bytes()).unwrap();
    let info = CertificateInfo::parse(&der).unwrap();
    assert_eq!(info.subject, "CN=localhost, O=netstack tests");
    assert_eq!(info.issuer, "CN=netstack test CA");
    assert_eq!(info.not_before, "2020-01-01 00:00:00 UTC");
    assert_eq!(info.not_after, "2090-01-01 00:00:00 UTC");
    assert_eq!(info.dns_names, vec!["localhost".to_string()]);
    assert_eq!(
        info.ip_addresses,
        vec![std::net::IpAddr::from([127, 0, 0, 1])]
    );
    let text = info.to_string();
    assert!(text.contains("names: localhost, 127.0.0.1"), "{text}");
}
