//! `TlsServerConfig`: which certificates a TLS server presents (by SNI),
//! which client certificates it asks for, and what it offers.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{
    ClientHello, NoServerSessionStorage, ResolvesServerCert, ResolvesServerCertUsingSni,
    WebPkiClientVerifier,
};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};

use super::builder_setters::shared_builder_setters;
use super::client_config::AlpnList;
use super::pem::{self, TrustList};
use super::rustls_wrapper::rustls_wrapper_methods;
use super::version::{provider, versions_between};
use super::{TlsError, TlsVersion, DEFAULT_HANDSHAKE_TIMEOUT};

/// Whether a server asks clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No client certificate is asked for (the default).
    #[default]
    None,
    /// A certificate is asked for; a client without one is still accepted,
    /// but one that presents an untrusted certificate is refused.
    Optional,
    /// A certificate issued by one of the client roots is required.
    Required,
}

/// A TLS server configuration: certificates (a default one and/or one per
/// SNI name), client certificate policy, ALPN, versions and the handshake
/// timeout. Cheap to clone.
///
/// ```no_run
/// use netstack::transport::tls::{ClientAuth, TlsServerConfig};
/// let config = TlsServerConfig::builder()
///     .certificate_pem_files("cert.pem", "key.pem")
///     .sni_certificate_pem_files("api.example.com", "api-cert.pem", "api-key.pem")
///     .client_auth(ClientAuth::Required)
///     .add_client_root_certificates_pem_file("clients-ca.pem")
///     .alpn_protocols(["http/1.1"])
///     .build()?;
/// # Ok::<(), netstack::transport::tls::TlsError>(())
/// ```
#[derive(Clone)]
pub struct TlsServerConfig {
    inner: Arc<ServerConfig>,
    handshake_timeout: Duration,
}

impl TlsServerConfig {
    /// A builder: no certificate yet, no client authentication, TLS 1.2
    /// and 1.3, no ALPN, session resumption on, a 10 s handshake timeout.
    pub fn builder() -> TlsServerConfigBuilder {
        TlsServerConfigBuilder::default()
    }

    rustls_wrapper_methods!(TlsServerConfig, ServerConfig);
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("alpn_protocols", &AlpnList(&self.inner.alpn_protocols))
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TlsServerConfig`]. Errors in PEM input are kept and reported
/// by [`build`](TlsServerConfigBuilder::build), so the calls chain.
#[derive(Debug)]
#[must_use]
pub struct TlsServerConfigBuilder {
    default_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    sni_certs: Vec<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    client_auth: ClientAuth,
    client_roots: TrustList,
    alpn: Vec<Vec<u8>>,
    min_version: TlsVersion,
    max_version: TlsVersion,
    resumption: bool,
    handshake_timeout: Duration,
    error: Option<TlsError>,
}

impl Default for TlsServerConfigBuilder {
    fn default() -> Self {
        TlsServerConfigBuilder {
            default_cert: None,
            sni_certs: Vec::new(),
            client_auth: ClientAuth::None,
            client_roots: TrustList::default(),
            alpn: Vec::new(),
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            resumption: true,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            error: None,
        }
    }
}

impl TlsServerConfigBuilder {
    /// The certificate chain (leaf first) and private key, in PEM, presented
    /// to clients whose SNI names no other certificate (or who send no SNI).
    pub fn certificate_pem(
        mut self,
        chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        match load_pair(chain_pem.as_ref(), key_pem.as_ref(), "server") {
            Ok(pair) => self.default_cert = Some(pair),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Like [`certificate_pem`](Self::certificate_pem), from files.
    pub fn certificate_pem_files(
        self,
        chain_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Self {
        match read_pair(chain_path.as_ref(), key_path.as_ref(), "server") {
            Ok((chain, key)) => self.certificate_pem(chain, key),
            Err(e) => self.failed(e),
        }
    }

    /// The default certificate chain and key, in DER.
    pub fn certificate_der(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.default_cert = Some((chain, key));
        self
    }

    /// A certificate chain and key (PEM) presented to clients that ask for
    /// `server_name` by SNI. The certificate must be valid for that name.
    pub fn sni_certificate_pem(
        mut self,
        server_name: &str,
        chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        match load_pair(chain_pem.as_ref(), key_pem.as_ref(), server_name) {
            Ok((chain, key)) => self.sni_certs.push((server_name.to_string(), chain, key)),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Like [`sni_certificate_pem`](Self::sni_certificate_pem), from files.
    pub fn sni_certificate_pem_files(
        self,
        server_name: &str,
        chain_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Self {
        match read_pair(chain_path.as_ref(), key_path.as_ref(), server_name) {
            Ok((chain, key)) => self.sni_certificate_pem(server_name, chain, key),
            Err(e) => self.failed(e),
        }
    }

    /// A certificate chain and key (DER) for clients that ask for `server_name`.
    pub fn sni_certificate_der(
        mut self,
        server_name: &str,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.sni_certs.push((server_name.to_string(), chain, key));
        self
    }

    /// Whether to ask clients for a certificate. `Optional` and `Required`
    /// need client roots ([`add_client_root_certificates_pem`](Self::add_client_root_certificates_pem)).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// Trusts the certificates in `pem` as issuers of client certificates.
    pub fn add_client_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.client_roots
            .add_pem(pem.as_ref(), "client root certificates");
        self
    }

    /// Like [`add_client_root_certificates_pem`](Self::add_client_root_certificates_pem), from a file.
    pub fn add_client_root_certificates_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.client_roots
            .add_pem_file(path.as_ref(), "client root certificates");
        self
    }

    /// Trusts one DER certificate as an issuer of client certificates.
    pub fn add_client_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.client_roots.add_der(der.into());
        self
    }

    shared_builder_setters!(
        /// The application protocols the server accepts by ALPN, most preferred
        /// first. A client that offers ALPN but none of these is refused
        /// (`no_application_protocol`); one that offers none is accepted.
    );

    /// Session resumption (an in-memory session cache and TLS 1.3 tickets);
    /// on by default.
    pub fn session_resumption(mut self, on: bool) -> Self {
        self.resumption = on;
        self
    }

    /// Builds the configuration; fails on bad PEM, a key that does not fit
    /// its certificate, an SNI certificate not valid for its name, no
    /// certificate at all, or client authentication without client roots.
    pub fn build(mut self) -> Result<TlsServerConfig, TlsError> {
        if let Some(e) = self.error.or(self.client_roots.error.take()) {
            return Err(e);
        }
        if self.default_cert.is_none() && self.sni_certs.is_empty() {
            return Err(TlsError::Config(
                "a TLS server needs a certificate and key (certificate_pem or sni_certificate_pem)"
                    .to_string(),
            ));
        }
        let provider = provider();
        let versions = versions_between(self.min_version, self.max_version)?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| TlsError::Config(format!("protocol versions: {e}")))?;
        let builder = match self.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            auth => {
                if self.client_roots.is_empty() {
                    return Err(TlsError::Config(
                        "client authentication needs client root certificates".to_string(),
                    ));
                }
                let mut roots = RootCertStore::empty();
                self.client_roots
                    .add_to(&mut roots, "client root certificate")?;
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
                let verifier = if auth == ClientAuth::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| TlsError::Config(format!("client certificate verifier: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let resolver = CertResolver::new(self.default_cert, self.sni_certs, &provider)?;
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = self.alpn;
        if !self.resumption {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        Ok(TlsServerConfig {
            inner: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
        })
    }

    fn fail(&mut self, err: TlsError) {
        self.error.get_or_insert(err);
    }

    fn failed(mut self, err: TlsError) -> Self {
        self.fail(err);
        self
    }
}

fn load_pair(
    chain_pem: &[u8],
    key_pem: &[u8],
    what: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = pem::certificates(chain_pem, &format!("{what} certificate"))?;
    let key = pem::private_key(key_pem, &format!("{what} key"))?;
    Ok((chain, key))
}

fn read_pair(
    chain_path: &Path,
    key_path: &Path,
    what: &str,
) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    Ok((
        pem::read_file(chain_path, &format!("{what} certificate"))?,
        pem::read_file(key_path, &format!("{what} key"))?,
    ))
}

fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
    what: &str,
) -> Result<CertifiedKey, TlsError> {
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| TlsError::Config(format!("{what} certificate and key: {e}")))
}

/// Chooses the certificate by SNI (rustls's `ResolvesServerCertUsingSni`),
/// falling back to the default certificate.
#[derive(Debug)]
struct CertResolver {
    by_name: Option<ResolvesServerCertUsingSni>,
    default: Option<Arc<CertifiedKey>>,
}

impl CertResolver {
    fn new(
        default: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        sni: Vec<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        provider: &CryptoProvider,
    ) -> Result<CertResolver, TlsError> {
        let default = match default {
            Some((chain, key)) => Some(Arc::new(certified_key(chain, key, provider, "server")?)),
            None => None,
        };
        let by_name = if sni.is_empty() {
            None
        } else {
            let mut resolver = ResolvesServerCertUsingSni::new();
            for (name, chain, key) in sni {
                let ck = certified_key(chain, key, provider, &format!("'{name}'"))?;
                resolver.add(&name, ck).map_err(|e| {
                    TlsError::Config(format!("certificate for SNI name '{name}': {e}"))
                })?;
            }
            Some(resolver)
        };
        Ok(CertResolver { by_name, default })
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let has_sni = client_hello.server_name().is_some();
        if let (Some(by_name), true) = (&self.by_name, has_sni) {
            if let Some(found) = by_name.resolve(client_hello) {
                return Some(found);
            }
        }
        self.default.clone()
    }
}
