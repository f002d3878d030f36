//! Handshakes in both modes: ALPN, versions, SNI, client certificates,
//! resumption.

use super::*;

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
