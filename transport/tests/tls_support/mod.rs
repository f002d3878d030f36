//! Shared by the TLS tests: a small PKI made with rcgen (once per test
//! binary), PEM files of it, and loopback plumbing with bounded waits.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::Poll;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use transport::{NetworkStream, TcpClient, TcpListener};

/// Every wait in the tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(20);

/// A certificate and its key, in PEM.
#[derive(Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

/// The test PKI: one CA, leaves issued by it, and an outsider.
pub struct Pki {
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

fn leaf(names: &[&str], cn: &str, issuer: &Issuer<'_, KeyPair>, client: bool) -> Pem {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "netstack tests");
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2090, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn ca(cn: &str) -> (Pem, Issuer<'static, KeyPair>) {
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
    (pem, Issuer::new(params, key))
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let (ca_pem, issuer) = ca("netstack test CA");
        let localhost = leaf(&["localhost", "127.0.0.1"], "localhost", &issuer, false);
        let other = leaf(&["other.test"], "other.test", &issuer, false);
        let client = leaf(&[], "netstack client", &issuer, true);
        let expired = {
            let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            params.not_before = rcgen::date_time_ymd(2010, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            Pem {
                cert: cert.pem(),
                key: key.serialize_pem(),
            }
        };
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
        let (_, other_issuer) = ca("some other CA");
        let untrusted_client = leaf(&[], "stranger", &other_issuer, true);
        Pki {
            ca: ca_pem,
            localhost,
            other,
            expired,
            client,
            untrusted,
            untrusted_client,
        }
    })
}

/// Writes `contents` to a file in cargo's scratch directory for tests.
pub fn write_file(name: &str, contents: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A listening loopback TCP listener.
pub fn listener() -> TcpListener {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(16).unwrap();
    listener
}

/// A connected pair of loopback TCP streams (client, server), each with
/// read and write timeouts so that no test can hang.
pub fn tcp_pair() -> (NetworkStream, NetworkStream) {
    let listener = listener();
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    for s in [&client, &server] {
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.set_write_timeout(Some(WAIT)).unwrap();
    }
    (client, server)
}

/// Runs `future` on netstack's reactor, failing the test if it takes longer than [`WAIT`].
pub fn block_on_bounded<F: Future>(future: F) -> F::Output {
    sockets::block_on(async {
        let mut future = pin!(future);
        let mut timer = pin!(sockets::sleep(WAIT));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = future.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if timer.as_mut().poll(cx).is_ready() {
                panic!("async test step did not finish within {WAIT:?}");
            }
            Poll::Pending
        })
        .await
    })
}
