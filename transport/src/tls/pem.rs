//! Certificates and keys from PEM (files or memory), with errors that say
//! what was being loaded, and the trust list the configuration builders
//! gather them in.

use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use super::TlsError;

/// Every `CERTIFICATE` block in `pem`; at least one is required.
pub(crate) fn certificates(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Config(format!("{what}: bad PEM: {}", describe(&e))))?;
    if certs.is_empty() {
        return Err(TlsError::Config(format!(
            "{what}: no CERTIFICATE block found in the PEM"
        )));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in `pem`.
pub(crate) fn private_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        pem::Error::NoItemsFound => {
            TlsError::Config(format!("{what}: no PRIVATE KEY block found in the PEM"))
        }
        e => TlsError::Config(format!("{what}: bad PEM: {}", describe(&e))),
    })
}

/// Reads a file for `what`; the error names the path.
pub(crate) fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path)
        .map_err(|e| TlsError::Config(format!("{what}: cannot read {}: {e}", path.display())))
}

/// Certificates a builder trusts as issuers (the client's server roots, the
/// server's client roots), with the first error met while adding them,
/// which the builder reports when it builds.
#[derive(Debug, Default)]
pub(crate) struct TrustList {
    pub(crate) certificates: Vec<CertificateDer<'static>>,
    pub(crate) error: Option<TlsError>,
}

impl TrustList {
    /// Adds every certificate in `pem` (one or more `CERTIFICATE` blocks).
    pub(crate) fn add_pem(&mut self, pem: &[u8], what: &str) {
        match certificates(pem, what) {
            Ok(certs) => self.certificates.extend(certs),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Adds every certificate in the PEM file at `path`.
    pub(crate) fn add_pem_file(&mut self, path: &Path, what: &str) {
        match read_file(path, what) {
            Ok(pem) => self.add_pem(&pem, what),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Adds one DER certificate.
    pub(crate) fn add_der(&mut self, der: Vec<u8>) {
        self.certificates.push(CertificateDer::from(der));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// Puts the certificates in `store`; an error names the one (counted
    /// from 1) that is not usable as a trust anchor.
    pub(crate) fn add_to(self, store: &mut RootCertStore, what: &str) -> Result<(), TlsError> {
        for (i, cert) in self.certificates.into_iter().enumerate() {
            store
                .add(cert)
                .map_err(|e| TlsError::Config(format!("{what} #{} is not usable: {e}", i + 1)))?;
        }
        Ok(())
    }
}

fn describe(err: &pem::Error) -> String {
    err.to_string()
}
