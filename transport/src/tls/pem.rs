//! Certificates and keys from PEM (files or memory), with errors that say
//! what was being loaded.

use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

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

fn describe(err: &pem::Error) -> String {
    err.to_string()
}
