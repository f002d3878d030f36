//! `ServerVerifier`: how a TLS client checks the server's certificate on
//! top of the chain's verdict (rustls's webpki verifier from the trusted
//! roots, or none at all with `dangerous_accept_any_certificate`):
//!
//! - a certificate given explicitly as trusted that is byte for byte the
//!   server's own is accepted whatever the chain says (a self-signed
//!   certificate made by `openssl req -x509` is marked CA:TRUE, which
//!   webpki refuses for a server), as curl with OpenSSL accepts it; its
//!   host names and validity period are still checked;
//! - public-key pins: the server's key must be one of them (checked after
//!   the chain, or alone when any certificate is accepted, as curl's
//!   `--pinnedpubkey` with `-k`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

use super::certificate::{format_unix_time, CertificateInfo};
use super::pin::{PinMismatch, PublicKeyPin};

/// The chain's verifier, with the exactly trusted certificates and the pins.
#[derive(Debug)]
pub(crate) struct ServerVerifier {
    chain: Arc<dyn ServerCertVerifier>,
    exact: Vec<CertificateDer<'static>>,
    pins: Vec<PublicKeyPin>,
}

impl ServerVerifier {
    pub(crate) fn new(
        chain: Arc<dyn ServerCertVerifier>,
        exact: Vec<CertificateDer<'static>>,
        pins: Vec<PublicKeyPin>,
    ) -> ServerVerifier {
        ServerVerifier { chain, exact, pins }
    }

    fn check_pins(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if self.pins.is_empty() {
            return Ok(());
        }
        let found = PublicKeyPin::of_certificate_der(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if self.pins.contains(&found) {
            return Ok(());
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(PinMismatch { found })),
        )))
    }
}

/// Checks what still matters for a certificate trusted as it is: that it
/// names `server_name` and that `now` is within its validity period.
fn check_trusted_as_is(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let parsed = ParsedCertificate::try_from(end_entity)?;
    rustls::client::verify_server_name(&parsed, server_name)?;
    let info = CertificateInfo::parse(end_entity).ok_or(rustls::Error::InvalidCertificate(
        CertificateError::BadEncoding,
    ))?;
    // Both are `YYYY-MM-DD HH:MM:SS UTC`, which sort as the times do.
    let now = format_unix_time(now.as_secs());
    if now < info.not_before {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet,
        ));
    }
    if now > info.not_after {
        return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    Ok(())
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = self.chain.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(refused) = chain {
            if !self.exact.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
                return Err(refused);
            }
            check_trusted_as_is(end_entity, server_name, now)?;
        }
        self.check_pins(end_entity)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.chain.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.chain.root_hint_subjects()
    }
}
