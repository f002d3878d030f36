//! `TlsClientConfig`: what a TLS client trusts, presents and offers.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::builder_setters::shared_builder_setters;
use super::pem::{self, TrustList};
use super::pin::PublicKeyPin;
use super::rustls_wrapper::rustls_wrapper_methods;
use super::server_verifier::ServerVerifier;
use super::verifier::AcceptAnyCertificate;
use super::version::{provider, versions_between};
use super::{TlsError, TlsVersion, DEFAULT_HANDSHAKE_TIMEOUT};

/// A TLS client configuration: trusted roots, ALPN, client certificate,
/// protocol versions, session resumption and the handshake timeout. Cheap
/// to clone (the rustls configuration is shared), and meant to be built
/// once and used for many connections (which is what lets sessions resume).
///
/// ```no_run
/// use netstack::transport::tls::{TlsClientConfig, TlsVersion};
/// // The system's trusted roots, HTTP/1.1 by ALPN, TLS 1.3 only.
/// let config = TlsClientConfig::builder()
///     .alpn_protocols(["http/1.1"])
///     .min_protocol_version(TlsVersion::Tls13)
///     .build()?;
/// # Ok::<(), netstack::transport::tls::TlsError>(())
/// ```
#[derive(Clone)]
pub struct TlsClientConfig {
    inner: Arc<ClientConfig>,
    handshake_timeout: Duration,
}

impl TlsClientConfig {
    /// A builder, starting from the defaults: the system's trusted roots,
    /// TLS 1.2 and 1.3, no ALPN, no client certificate, session resumption
    /// on, SNI on, a 10 s handshake timeout.
    pub fn builder() -> TlsClientConfigBuilder {
        TlsClientConfigBuilder::default()
    }

    /// The default configuration (see [`TlsClientConfig::builder`]).
    pub fn new() -> Result<TlsClientConfig, TlsError> {
        TlsClientConfig::builder().build()
    }

    rustls_wrapper_methods!(TlsClientConfig, ClientConfig);
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("alpn_protocols", &AlpnList(&self.inner.alpn_protocols))
            .field("enable_sni", &self.inner.enable_sni)
            .field(
                "client_certificate",
                &self.inner.client_auth_cert_resolver.has_certs(),
            )
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TlsClientConfig`]. Errors in PEM input are kept and reported
/// by [`build`](TlsClientConfigBuilder::build), so the calls chain.
///
/// Trusted roots: the system's store by default. Adding roots of your own
/// (PEM or DER) replaces that default, as `curl --cacert` does, unless
/// [`system_roots(true)`](TlsClientConfigBuilder::system_roots) is asked
/// for explicitly; `bundled_roots(true)` (the `webpki-roots` feature)
/// adds the Mozilla set compiled into the program, which
/// likewise replaces the system default.
#[derive(Debug)]
#[must_use]
pub struct TlsClientConfigBuilder {
    system_roots: Option<bool>,
    bundled_roots: bool,
    custom_roots: TrustList,
    accept_any_certificate: bool,
    pins: Vec<PublicKeyPin>,
    alpn: Vec<Vec<u8>>,
    client_auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    min_version: TlsVersion,
    max_version: TlsVersion,
    resumption: bool,
    sni: bool,
    handshake_timeout: Duration,
    error: Option<TlsError>,
}

impl Default for TlsClientConfigBuilder {
    fn default() -> Self {
        TlsClientConfigBuilder {
            system_roots: None,
            bundled_roots: false,
            custom_roots: TrustList::default(),
            accept_any_certificate: false,
            pins: Vec::new(),
            alpn: Vec::new(),
            client_auth: None,
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            resumption: true,
            sni: true,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            error: None,
        }
    }
}

impl TlsClientConfigBuilder {
    /// Trusts (or not) the operating system's certificate store
    /// (rustls-native-certs). On by default unless other roots are given.
    pub fn system_roots(mut self, on: bool) -> Self {
        self.system_roots = Some(on);
        self
    }

    /// Trusts (or not) the Mozilla root set bundled in the program
    /// (webpki-roots; the `webpki-roots` feature).
    #[cfg(feature = "webpki-roots")]
    pub fn bundled_roots(mut self, on: bool) -> Self {
        self.bundled_roots = on;
        self
    }

    /// Trusts every certificate in `pem` (one or more `CERTIFICATE` blocks).
    ///
    /// A certificate given here (or by the other `add_root_certificate*`
    /// methods) that is byte for byte the server's own certificate is
    /// accepted even where it could not anchor a chain, e.g. a self-signed
    /// certificate from `openssl req -x509`, which is marked as a CA
    /// (basicConstraints CA:TRUE); its names and validity period are still
    /// checked. This is what `curl --cacert server.pem` accepts.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.custom_roots.add_pem(pem.as_ref(), "root certificates");
        self
    }

    /// Trusts every certificate in the PEM file at `path`.
    pub fn add_root_certificates_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.custom_roots
            .add_pem_file(path.as_ref(), "root certificates");
        self
    }

    /// Trusts one DER-encoded certificate.
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.custom_roots.add_der(der.into());
        self
    }

    shared_builder_setters!(
        /// The application protocols to offer by ALPN, most preferred first
        /// (e.g. `["h2", "http/1.1"]`).
    );

    /// Presents this certificate chain (leaf first) and private key when the
    /// server asks for a client certificate. Both are PEM.
    pub fn client_certificate_pem(
        mut self,
        chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        let chain = pem::certificates(chain_pem.as_ref(), "client certificate");
        let key = pem::private_key(key_pem.as_ref(), "client key");
        match (chain, key) {
            (Ok(chain), Ok(key)) => self.client_auth = Some((chain, key)),
            (Err(e), _) | (_, Err(e)) => self.fail(e),
        }
        self
    }

    /// Like [`client_certificate_pem`](Self::client_certificate_pem), from files.
    pub fn client_certificate_pem_files(
        self,
        chain_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Self {
        let chain = pem::read_file(chain_path.as_ref(), "client certificate");
        let key = pem::read_file(key_path.as_ref(), "client key");
        match (chain, key) {
            (Ok(chain), Ok(key)) => self.client_certificate_pem(chain, key),
            (Err(e), _) | (_, Err(e)) => self.failed(e),
        }
    }

    /// Presents this DER certificate chain (leaf first) and DER private key.
    pub fn client_certificate_der(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.client_auth = Some((chain, key));
        self
    }

    /// Session resumption through rustls's in-memory session cache (on by
    /// default; it lives in the built configuration, so connections made
    /// from one `TlsClientConfig` resume each other's sessions).
    pub fn session_resumption(mut self, on: bool) -> Self {
        self.resumption = on;
        self
    }

    /// Whether to send the server name (SNI) in the handshake; on by default.
    /// (It is never sent when connecting by IP address.)
    pub fn sni(mut self, on: bool) -> Self {
        self.sni = on;
        self
    }

    /// **Dangerous, for tests only**: accepts any server certificate
    /// (self-signed, expired, for another host), so the connection is
    /// encrypted but the server is *not* authenticated. Never a default.
    pub fn dangerous_accept_any_certificate(mut self) -> Self {
        self.accept_any_certificate = true;
        self
    }

    /// Pins the server's public key: the connection is refused with
    /// [`TlsError::PublicKeyPinMismatch`] unless the server's certificate
    /// has one of the pinned keys (add several for a key rollover). Pins
    /// are checked after the usual verification, and alone with
    /// [`dangerous_accept_any_certificate`](Self::dangerous_accept_any_certificate)
    /// (curl's `--pinnedpubkey` with and without `-k`).
    pub fn pin_public_key(mut self, pin: PublicKeyPin) -> Self {
        self.pins.push(pin);
        self
    }

    /// Builds the configuration; fails on bad PEM, a key that does not fit
    /// its certificate, an empty root store, or inconsistent versions.
    pub fn build(mut self) -> Result<TlsClientConfig, TlsError> {
        if let Some(e) = self.error.or(self.custom_roots.error.take()) {
            return Err(e);
        }
        let provider = provider();
        let versions = versions_between(self.min_version, self.max_version)?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| TlsError::Config(format!("protocol versions: {e}")))?;
        let exact = self.custom_roots.certificates.clone();
        let builder = if self.accept_any_certificate {
            let verifier = ServerVerifier::new(
                Arc::new(AcceptAnyCertificate::new(provider)),
                Vec::new(),
                self.pins,
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        } else {
            let system = self
                .system_roots
                .unwrap_or(self.custom_roots.is_empty() && !self.bundled_roots);
            let mut roots = RootCertStore::empty();
            if system {
                roots.add_parsable_certificates(system_roots()?.iter().cloned());
            }
            #[cfg(feature = "webpki-roots")]
            if self.bundled_roots {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            self.custom_roots.add_to(&mut roots, "root certificate")?;
            if roots.is_empty() {
                return Err(TlsError::Config(
                    "no trusted root certificates (the system store is empty or turned off, and none were added)"
                        .to_string(),
                ));
            }
            let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Config(format!("the server verifier: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ServerVerifier::new(
                    chain, exact, self.pins,
                )))
        };
        let mut config = match self.client_auth {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::Config(format!("client certificate and key: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn;
        config.enable_sni = self.sni;
        if !self.resumption {
            config.resumption = Resumption::disabled();
        }
        Ok(TlsClientConfig {
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

/// The system's trusted roots, loaded once per process.
fn system_roots() -> Result<&'static [CertificateDer<'static>], TlsError> {
    static ROOTS: OnceLock<Result<Vec<CertificateDer<'static>>, String>> = OnceLock::new();
    let loaded = ROOTS.get_or_init(|| {
        let result = rustls_native_certs::load_native_certs();
        if result.certs.is_empty() {
            let errors: Vec<String> = result.errors.iter().map(|e| e.to_string()).collect();
            Err(if errors.is_empty() {
                "the system certificate store has no certificates".to_string()
            } else {
                format!(
                    "the system certificate store could not be loaded: {}",
                    errors.join("; ")
                )
            })
        } else {
            Ok(result.certs)
        }
    });
    match loaded {
        Ok(certs) => Ok(certs),
        Err(e) => Err(TlsError::Config(e.clone())),
    }
}

/// ALPN protocol names, printed as text where they are text.
pub(crate) struct AlpnList<'a>(pub(crate) &'a [Vec<u8>]);

impl fmt::Debug for AlpnList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|p| String::from_utf8_lossy(p)))
            .finish()
    }
}
