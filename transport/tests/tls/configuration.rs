//! Building configurations: errors, PEM files, the system and bundled roots.

use super::*;

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

// The bundled roots are the `webpki-roots` feature (CI runs these tests with every feature).
#[cfg(feature = "webpki-roots")]
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
