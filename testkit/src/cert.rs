//! Test certificates, made with rcgen: a self-signed certificate for a
//! quick HTTPS server, and a small PKI (one CA, leaves issued by it, and
//! certificates no one trusts) for the TLS tests.

use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A certificate and its private key, in PEM.
#[derive(Debug, Clone)]
pub struct Pem {
    /// The certificate.
    pub cert: String,
    /// Its private key.
    pub key: String,
}

/// A fresh self-signed certificate for `names` (DNS names or IP addresses,
/// e.g. `["localhost", "127.0.0.1"]`).
pub fn self_signed(names: &[&str]) -> Pem {
    let generated =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("rcgen makes a self-signed certificate");
    Pem {
        cert: generated.cert.pem(),
        key: generated.signing_key.serialize_pem(),
    }
}

/// What a leaf certificate is for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A server's certificate (`serverAuth`).
    Server,
    /// A client's certificate (`clientAuth`).
    Client,
}

/// A certificate authority that issues leaf certificates.
pub struct Ca {
    /// The CA's own (self-signed) certificate and key.
    pub pem: Pem,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A fresh CA named `cn`, valid from 2010 to 2090.
    pub fn new(cn: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = rcgen::date_time_ymd(2010, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let pem = Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        };
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (may be empty for a client) with common name `cn`,
    /// valid from 2020 to 2090.
    pub fn leaf(&self, names: &[&str], cn: &str, purpose: Purpose) -> Pem {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "netstack tests");
        params.extended_key_usages = vec![match purpose {
            Purpose::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Purpose::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A "localhost" leaf that expired on 2020-01-01.
    fn expired_localhost(&self) -> Pem {
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.not_before = rcgen::date_time_ymd(2010, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// The TLS tests' PKI: one CA, leaves issued by it, and outsiders.
pub struct Pki {
    /// The CA ("netstack test CA").
    pub ca: Pem,
    /// "localhost" and 127.0.0.1, CN=localhost.
    pub localhost: Pem,
    /// "other.test", CN=other.test.
    pub other: Pem,
    /// "localhost", expired on 2020-01-01.
    pub expired: Pem,
    /// A client certificate, CN=netstack client.
    pub client: Pem,
    /// A self-signed "localhost" certificate no one trusts.
    pub untrusted: Pem,
    /// A client certificate issued by another CA.
    pub untrusted_client: Pem,
}

/// The PKI, made once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = Ca::new("netstack test CA");
        let untrusted = {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            let cert = params.self_signed(&key).unwrap();
            Pem {
                cert: cert.pem(),
                key: key.serialize_pem(),
            }
        };
        let other_ca = Ca::new("some other CA");
        Pki {
            localhost: ca.leaf(&["localhost", "127.0.0.1"], "localhost", Purpose::Server),
            other: ca.leaf(&["other.test"], "other.test", Purpose::Server),
            expired: ca.expired_localhost(),
            client: ca.leaf(&[], "netstack client", Purpose::Client),
            untrusted,
            untrusted_client: other_ca.leaf(&[], "stranger", Purpose::Client),
            ca: ca.pem,
        }
    })
}
