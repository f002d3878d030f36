//! Broken and silent peers: cuts, corrupted records, alerts, truncation,
//! close_notify, handshake timeouts.

use super::*;

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
                let _ = stream.read_sync(&mut buf); // the ClientHello arrives; then hang up
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
