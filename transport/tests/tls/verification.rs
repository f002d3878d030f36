//! Certificate verification: each failure named for its cause; the certificate
//! summary.

use super::*;

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
