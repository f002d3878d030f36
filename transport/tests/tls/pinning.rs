//! What a client trusts beyond a chain to its roots: the server's own
//! certificate given as trusted (even one marked as a CA, as `openssl req
//! -x509` makes them), and public-key pins, with and without verification.

use super::*;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use transport::tls::rustls::pki_types::pem::PemObject;
use transport::tls::rustls::pki_types::CertificateDer;
use transport::tls::PublicKeyPin;

/// A self-signed "localhost" certificate marked CA:TRUE, valid from
/// `from` to `until` (years), as `openssl req -x509` makes them.
fn ca_flagged_localhost(from: i32, until: i32) -> Pem {
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(until, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// Connects `client` as `name` to a server presenting `server_pem`;
/// returns the client's result.
fn handshake(
    mode: Mode,
    client: &TlsClientConfig,
    server_pem: &Pem,
    name: &str,
) -> Result<(), TlsError> {
    let server_config = TlsServerConfig::builder()
        .certificate_pem(&server_pem.cert, &server_pem.key)
        .build()
        .unwrap();
    let (client, _server) = run(
        |stream| connect(mode, client, name, stream).map(drop),
        move |stream| accept(mode, &server_config, stream).map(drop),
    );
    client
}

fn trusting(pem: &str) -> TlsClientConfig {
    TlsClientConfig::builder()
        .add_root_certificates_pem(pem)
        .build()
        .unwrap()
}

fn pin_of(pem: &Pem) -> PublicKeyPin {
    let der = CertificateDer::from_pem_slice(pem.cert.as_bytes()).unwrap();
    PublicKeyPin::of_certificate_der(&der).unwrap()
}

#[test]
fn the_servers_own_certificate_given_as_trusted_is_accepted_even_marked_as_a_ca() {
    let own = ca_flagged_localhost(2020, 2090);
    for mode in MODES {
        handshake(mode, &trusting(&own.cert), &own, "localhost").unwrap();
        // Its names are still checked...
        let err = handshake(mode, &trusting(&own.cert), &own, "other.test").unwrap_err();
        assert!(
            matches!(err, TlsError::NameMismatch { .. }),
            "{mode:?}: {err}"
        );
        // ...and its validity period.
        let expired = ca_flagged_localhost(2010, 2020);
        let err = handshake(mode, &trusting(&expired.cert), &expired, "localhost").unwrap_err();
        assert!(
            matches!(err, TlsError::CertificateExpired { .. }),
            "{mode:?}: {err}"
        );
        let future = ca_flagged_localhost(2080, 2090);
        let err = handshake(mode, &trusting(&future.cert), &future, "localhost").unwrap_err();
        assert!(
            matches!(err, TlsError::CertificateNotYetValid { .. }),
            "{mode:?}: {err}"
        );
        // Another certificate trusted is no help.
        let err = handshake(mode, &trusting(&pki().ca.cert), &own, "localhost").unwrap_err();
        assert!(err.is_certificate_error(), "{mode:?}: {err}");
    }
}

#[test]
fn a_ca_certificate_used_by_a_server_is_named_in_a_sentence() {
    // A CA, and a CA:TRUE "localhost" certificate it issued: the chain
    // leads to a trusted root, but the server's certificate is a CA's.
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "root");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let server = Pem {
        cert: params.signed_by(&key, &issuer).unwrap().pem(),
        key: key.serialize_pem(),
    };
    for mode in MODES {
        let err = handshake(mode, &trusting(&ca_cert.pem()), &server, "localhost").unwrap_err();
        assert!(
            matches!(err, TlsError::BadCertificate { .. }),
            "{mode:?}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with(
                "tls: certificate for 'localhost' was rejected: the server's certificate is a CA certificate (basicConstraints CA:TRUE) used as a server certificate; "
            ),
            "{text}"
        );
        assert!(!text.contains("OtherError"), "{text}");
    }
}

#[test]
fn a_pinned_key_is_required_with_and_without_verification() {
    let p = pki();
    let right = pin_of(&p.localhost);
    let wrong = pin_of(&p.other);
    let verified = |pin: PublicKeyPin| {
        TlsClientConfig::builder()
            .add_root_certificates_pem(&p.ca.cert)
            .pin_public_key(pin)
            .build()
            .unwrap()
    };
    let unverified = |pin: PublicKeyPin| {
        TlsClientConfig::builder()
            .dangerous_accept_any_certificate()
            .pin_public_key(pin)
            .build()
            .unwrap()
    };
    let rollover = TlsClientConfig::builder()
        .add_root_certificates_pem(&p.ca.cert)
        .pin_public_key(wrong)
        .pin_public_key(right)
        .build()
        .unwrap();
    for mode in MODES {
        handshake(mode, &verified(right), &p.localhost, "localhost").unwrap();
        handshake(mode, &unverified(right), &p.localhost, "localhost").unwrap();
        handshake(mode, &rollover, &p.localhost, "localhost").unwrap();
        for config in [verified(wrong), unverified(wrong)] {
            let err = handshake(mode, &config, &p.localhost, "localhost").unwrap_err();
            match &err {
                TlsError::PublicKeyPinMismatch { name, found } => {
                    assert_eq!(name, "localhost");
                    assert_eq!(*found, right);
                }
                other => panic!("{mode:?}: expected PublicKeyPinMismatch, got {other:?}"),
            }
            assert!(err.is_certificate_error());
            assert!(
                err.to_string()
                    .contains(&format!("({right}) matches none of the pinned keys")),
                "{err}"
            );
        }
        // A pin does not replace verification: an untrusted server with the
        // right key is still refused for its certificate.
        let err = handshake(
            mode,
            &verified(pin_of(&p.untrusted)),
            &p.untrusted,
            "localhost",
        )
        .unwrap_err();
        assert!(
            matches!(err, TlsError::UnknownIssuer { .. }),
            "{mode:?}: {err}"
        );
    }
}
