//! `PublicKeyPin`: a server's public key named by the SHA-256 of its
//! DER SubjectPublicKeyInfo, as HPKP (RFC 7469) and curl's
//! `--pinnedpubkey sha256//…` compute it.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls::pki_types::CertificateDer;

/// A pin that cannot be read, or a certificate whose key cannot be pinned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The text is not `sha256//` and the base64 of 32 bytes.
    #[error("the public-key pin '{pin}' {why}: a pin is sha256// followed by the base64 of the SHA-256 of the key's DER SubjectPublicKeyInfo")]
    Malformed {
        /// The pin as given.
        pin: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The certificate to take the key from is not X.509 DER.
    #[error("the certificate to pin cannot be read as X.509 DER")]
    BadCertificate,
}

/// The server's key matches none of the pins (carried through rustls as a
/// `CertificateError::Other`, turned into `TlsError::PublicKeyPinMismatch`).
#[derive(Debug, thiserror::Error)]
#[error("the server's public key {found} matches none of the pinned keys")]
pub(crate) struct PinMismatch {
    /// The pin of the key the server presented.
    pub(crate) found: PublicKeyPin,
}

/// A pinned public key: the SHA-256 of a certificate's DER
/// SubjectPublicKeyInfo. It is written `sha256//` and the digest in
/// base64 (curl's `--pinnedpubkey` form); `openssl x509 -pubkey -noout |
/// openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
/// base64` computes the same.
///
/// ```
/// use netstack::transport::tls::PublicKeyPin;
/// let pin: PublicKeyPin = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
/// assert_eq!(pin.to_string(), "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
/// # Ok::<(), netstack::transport::tls::PinError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKeyPin {
    sha256: [u8; 32],
}

impl PublicKeyPin {
    /// The pin of this SHA-256 digest of a SubjectPublicKeyInfo.
    pub fn from_sha256(digest: [u8; 32]) -> PublicKeyPin {
        PublicKeyPin { sha256: digest }
    }

    /// The pin of a DER-encoded SubjectPublicKeyInfo.
    pub fn of_public_key_der(spki: &[u8]) -> PublicKeyPin {
        let digest = ring::digest::digest(&ring::digest::SHA256, spki);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(digest.as_ref());
        PublicKeyPin { sha256 }
    }

    /// The pin of the public key in a DER-encoded certificate.
    pub fn of_certificate_der(certificate: &[u8]) -> Result<PublicKeyPin, PinError> {
        let der = CertificateDer::from(certificate);
        let cert = webpki::EndEntityCert::try_from(&der).map_err(|_| PinError::BadCertificate)?;
        Ok(PublicKeyPin::of_public_key_der(
            cert.subject_public_key_info().as_ref(),
        ))
    }

    /// The pins of curl's `--pinnedpubkey` list: `sha256//BASE64`, several
    /// separated by `;`.
    pub fn parse_list(list: &str) -> Result<Vec<PublicKeyPin>, PinError> {
        list.split(';').map(str::parse).collect()
    }

    /// The SHA-256 digest.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
}

impl std::str::FromStr for PublicKeyPin {
    type Err = PinError;

    fn from_str(text: &str) -> Result<PublicKeyPin, PinError> {
        let text = text.trim();
        let bad = |why: &'static str| PinError::Malformed {
            pin: text.to_string(),
            why,
        };
        let encoded = text
            .strip_prefix("sha256//")
            .ok_or_else(|| bad("does not start with sha256//"))?;
        let digest = STANDARD
            .decode(encoded)
            .map_err(|_| bad("is not valid base64"))?;
        let sha256: [u8; 32] = digest.try_into().map_err(|_| bad("is not 32 bytes long"))?;
        Ok(PublicKeyPin { sha256 })
    }
}

impl fmt::Display for PublicKeyPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256//{}", STANDARD.encode(self.sha256))
    }
}

impl fmt::Debug for PublicKeyPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKeyPin({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_and_print_in_curls_form() {
        let pin = PublicKeyPin::of_public_key_der(b"");
        // The SHA-256 of nothing.
        assert_eq!(
            pin.to_string(),
            "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        let list = PublicKeyPin::parse_list(&format!("{pin};{pin}")).unwrap();
        assert_eq!(list, [pin, pin]);
        for bad in [
            "",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "sha256//not base64!",
            "sha256//AAAA",
            "sha1//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "sha256//é",
        ] {
            let err = bad.parse::<PublicKeyPin>().unwrap_err();
            assert!(matches!(err, PinError::Malformed { .. }), "{bad}");
            assert!(err.to_string().contains("sha256//"), "{err}");
        }
    }

    #[test]
    fn a_certificates_pin_is_that_of_its_public_key() {
        use rcgen::PublicKeyData as _;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pin = PublicKeyPin::of_certificate_der(cert.der()).unwrap();
        assert_eq!(
            pin,
            PublicKeyPin::of_public_key_der(&key.subject_public_key_info())
        );
        assert!(PublicKeyPin::of_certificate_der(b"not a certificate").is_err());
    }
}
