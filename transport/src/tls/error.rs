//! `TlsError`: what went wrong in the TLS layer, one variant per condition a
//! caller may want to act on.

use std::io;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls::{AlertDescription, CertificateError, PeerIncompatible};

use super::pin::{PinError, PinMismatch, PublicKeyPin};

/// A TLS failure. Each condition a caller may want to act on has its own
/// variant (match on them); the rest of rustls's errors are in
/// [`TlsError::Rustls`], and the stream beneath in [`TlsError::Io`].
///
/// The text names the layer and the cause, e.g.
/// `tls: certificate for 'localhost' has expired (not valid after 2020-01-01 00:00:00 UTC)`.
///
/// Through [`std::io::Read`]/[`Write`](std::io::Write) (and the async I/O
/// traits) a `TlsError` arrives inside an [`io::Error`]; get it back with
/// [`TlsError::from_io`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The peer's certificate (or one in its chain) is past its expiry date.
    #[error("tls: certificate for '{name}' has expired{}", not_after_suffix(.not_after))]
    CertificateExpired {
        /// The name checked: the server name (client side), or `client` (server side).
        name: String,
        /// When the certificate stopped being valid, if known.
        not_after: Option<UnixTime>,
    },
    /// The peer's certificate (or one in its chain) is not valid yet.
    #[error("tls: certificate for '{name}' is not valid yet")]
    CertificateNotYetValid {
        /// The name checked.
        name: String,
    },
    /// The peer's certificate chain does not lead to a trusted root
    /// (self-signed, or issued by an authority not in the root store).
    #[error("tls: certificate for '{name}' was issued by an unknown or untrusted authority")]
    UnknownIssuer {
        /// The name checked.
        name: String,
    },
    /// The server's certificate is valid, but not for the host asked for.
    #[error("tls: certificate is not valid for '{expected}'{}", presented_suffix(.presented))]
    NameMismatch {
        /// The server name the client asked for.
        expected: String,
        /// The names the certificate is valid for (when rustls reports them).
        presented: Vec<String>,
    },
    /// Another problem with the peer's certificate (bad signature, revoked,
    /// bad encoding, wrong purpose, a CA certificate used as a server's, ...).
    #[error("tls: certificate for '{name}' was rejected: {}", describe_certificate_error(.reason))]
    BadCertificate {
        /// The name checked.
        name: String,
        /// rustls's reason.
        reason: CertificateError,
    },
    /// The server's public key is none of those pinned with
    /// [`TlsClientConfigBuilder::pin_public_key`](super::TlsClientConfigBuilder::pin_public_key).
    #[error("tls: the public key of the certificate for '{name}' ({found}) matches none of the pinned keys: the server changed its key, or this is not the server the pins were made for (check the pin against the server's certificate)")]
    PublicKeyPinMismatch {
        /// The server name.
        name: String,
        /// The pin of the key the server presented.
        found: PublicKeyPin,
    },
    /// The peer ended the handshake (or the session) with a fatal alert.
    #[error("tls: the peer sent a fatal alert: {}", alert_name(*.alert))]
    AlertReceived {
        /// The alert, e.g. `HandshakeFailure`, `BadCertificate`, `UnknownCA`.
        alert: AlertDescription,
    },
    /// The two sides have no protocol version in common (e.g. one requires
    /// TLS 1.3 and the other speaks at most TLS 1.2).
    #[error("tls: no protocol version in common with the peer ({detail})")]
    ProtocolVersion {
        /// What was seen.
        detail: String,
    },
    /// The server requires a client certificate and none was presented. On
    /// the server it means the client sent none; on the client, the server
    /// said so with a `certificate_required` alert.
    #[error("tls: the server requires a client certificate and {}", if *.local { "the client presented none" } else { "this client presented none (certificate_required alert)" })]
    ClientCertificateRequired {
        /// True on the server side (we found the certificate missing), false
        /// on the client side (the server told us).
        local: bool,
    },
    /// The handshake did not finish within the handshake timeout.
    #[error("tls: the handshake did not finish within {timeout:?}")]
    HandshakeTimeout {
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The peer closed the TCP connection without sending `close_notify`:
    /// the data may have been cut short. Never reported as a clean end of stream.
    #[error("tls: the peer closed the connection without close_notify {}", if *.during_handshake { "during the handshake" } else { "(the data may be truncated)" })]
    Truncated {
        /// True when the connection ended before the handshake completed.
        during_handshake: bool,
    },
    /// The configuration is unusable: bad PEM, no private key, a key that
    /// does not match its certificate, an invalid server name, ...
    #[error("tls: invalid configuration: {0}")]
    Config(String),
    /// Another TLS protocol failure reported by rustls.
    #[error("tls: {}", describe_rustls_error(.0))]
    Rustls(rustls::Error),
    /// The stream beneath TLS failed.
    #[error("tls: the stream beneath failed: {0}")]
    Io(#[from] io::Error),
}

impl TlsError {
    /// True for a handshake timeout, or a timeout of the stream beneath.
    pub fn is_timeout(&self) -> bool {
        match self {
            TlsError::HandshakeTimeout { .. } => true,
            TlsError::Io(e) => e.kind() == io::ErrorKind::TimedOut,
            _ => false,
        }
    }

    /// True when the peer's certificate was rejected (expired, not yet valid,
    /// unknown issuer, wrong name, or another certificate problem).
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            TlsError::CertificateExpired { .. }
                | TlsError::CertificateNotYetValid { .. }
                | TlsError::UnknownIssuer { .. }
                | TlsError::NameMismatch { .. }
                | TlsError::BadCertificate { .. }
                | TlsError::PublicKeyPinMismatch { .. }
        )
    }

    /// The `TlsError` inside an [`io::Error`] returned by the `Read`/`Write`
    /// (or async I/O) implementations of [`TlsStream`](super::TlsStream).
    pub fn from_io(err: &io::Error) -> Option<&TlsError> {
        err.get_ref()?.downcast_ref::<TlsError>()
    }

    /// Maps a rustls error, naming `peer` (the server name on the client
    /// side, `client` on the server side) in certificate errors.
    pub(crate) fn from_rustls(err: rustls::Error, peer: &str) -> TlsError {
        use rustls::Error as E;
        let name = peer.to_string();
        match err {
            E::InvalidCertificate(cert) => match cert {
                CertificateError::Expired => TlsError::CertificateExpired {
                    name,
                    not_after: None,
                },
                CertificateError::ExpiredContext { not_after, .. } => {
                    TlsError::CertificateExpired {
                        name,
                        not_after: Some(not_after),
                    }
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    TlsError::CertificateNotYetValid { name }
                }
                CertificateError::UnknownIssuer => TlsError::UnknownIssuer { name },
                CertificateError::NotValidForName => TlsError::NameMismatch {
                    expected: name,
                    presented: Vec::new(),
                },
                CertificateError::NotValidForNameContext { presented, .. } => {
                    TlsError::NameMismatch {
                        expected: name,
                        presented,
                    }
                }
                CertificateError::Other(other) => match other.0.downcast_ref::<PinMismatch>() {
                    Some(mismatch) => TlsError::PublicKeyPinMismatch {
                        name,
                        found: mismatch.found,
                    },
                    None => TlsError::BadCertificate {
                        name,
                        reason: CertificateError::Other(other),
                    },
                },
                reason => TlsError::BadCertificate { name, reason },
            },
            E::NoCertificatesPresented => TlsError::ClientCertificateRequired { local: true },
            E::AlertReceived(AlertDescription::CertificateRequired) => {
                TlsError::ClientCertificateRequired { local: false }
            }
            E::AlertReceived(AlertDescription::ProtocolVersion) => TlsError::ProtocolVersion {
                detail: "the peer sent a protocol_version alert".to_string(),
            },
            E::AlertReceived(alert) => TlsError::AlertReceived { alert },
            E::PeerIncompatible(
                why @ (PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled),
            ) => TlsError::ProtocolVersion {
                detail: match why {
                    PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => {
                        "the server's version is turned off in this client's configuration"
                    }
                    PeerIncompatible::Tls12NotOffered
                    | PeerIncompatible::Tls12NotOfferedOrEnabled => {
                        "TLS 1.2 is not offered by one side"
                    }
                    PeerIncompatible::SupportedVersionsExtensionRequired => {
                        "the peer did not send the supported_versions extension TLS 1.3 needs"
                    }
                    _ => "the server speaks neither TLS 1.2 nor TLS 1.3",
                }
                .to_string(),
            },
            other => TlsError::Rustls(other),
        }
    }
}

impl From<PinError> for TlsError {
    fn from(err: PinError) -> TlsError {
        TlsError::Config(err.to_string())
    }
}

impl From<TlsError> for io::Error {
    fn from(err: TlsError) -> io::Error {
        let kind = match &err {
            TlsError::Io(_) => None,
            TlsError::HandshakeTimeout { .. } => Some(io::ErrorKind::TimedOut),
            TlsError::Truncated { .. } => Some(io::ErrorKind::UnexpectedEof),
            TlsError::Config(_) => Some(io::ErrorKind::InvalidInput),
            TlsError::AlertReceived { .. }
            | TlsError::ClientCertificateRequired { local: false } => {
                Some(io::ErrorKind::ConnectionAborted)
            }
            _ => Some(io::ErrorKind::InvalidData),
        };
        match (err, kind) {
            (TlsError::Io(e), _) => e,
            (err, kind) => io::Error::new(kind.unwrap_or(io::ErrorKind::Other), err),
        }
    }
}

/// What is wrong with a certificate, as the end of a sentence that says
/// what to do where there is something to do.
fn describe_certificate_error(reason: &CertificateError) -> String {
    use CertificateError as C;
    let text = match reason {
        C::BadEncoding => "it is not a well-formed X.509 certificate (its DER encoding is broken)",
        C::Revoked => "its issuer has revoked it",
        C::UnhandledCriticalExtension => {
            "it has an extension marked critical that this client does not know"
        }
        C::UnknownRevocationStatus => {
            "its revocation status is unknown (no revocation list given covers it)"
        }
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "the revocation list that covers it has expired"
        }
        C::BadSignature => {
            "its signature does not verify with its issuer's key (it was altered, or another key issued it)"
        }
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "it is signed with an algorithm this client does not support"
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "its extended key usage does not allow this use (a server's certificate needs serverAuth, a client's clientAuth)"
        }
        C::InvalidOcspResponse => "the OCSP response stapled to it is invalid",
        C::ApplicationVerificationFailure => "the application's own check refused it",
        C::Other(other) => return describe_other_certificate_error(other),
        // Mapped to variants of their own by `from_rustls`.
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet",
        C::UnknownIssuer => "an unknown or untrusted authority issued it",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not valid for the name asked for"
        }
        _ => "it failed a check of the certificate",
    };
    text.to_string()
}

/// webpki's reasons that rustls passes on as `CertificateError::Other`.
fn describe_other_certificate_error(other: &rustls::OtherError) -> String {
    use webpki::Error as W;
    let Some(reason) = other.0.downcast_ref::<webpki::Error>() else {
        return format!("it failed a check of the certificate: {}", other.0);
    };
    let text = match reason {
        W::CaUsedAsEndEntity => {
            concat!(
                "the server's certificate is a CA certificate (basicConstraints CA:TRUE) used as a server certificate; ",
                "have the server use a certificate issued by that CA (CA:FALSE), or trust this very certificate ",
                "(given as a trusted root, a certificate identical to the server's is accepted as it is)"
            )
        }
        W::EndEntityUsedAsCa => {
            "its chain has a certificate that is not a CA (basicConstraints CA:FALSE) issuing another"
        }
        W::PathLenConstraintViolated => {
            "its chain is longer than the pathLenConstraint of an issuing CA allows"
        }
        W::NameConstraintViolation => {
            "its names are outside the name constraints of an issuing CA"
        }
        W::MaximumPathDepthExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => {
            "its chain is too long or too tangled to verify"
        }
        #[allow(deprecated)]
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) => {
            "its extended key usage does not allow this use (a server's certificate needs serverAuth, a client's clientAuth)"
        }
        W::UnsupportedCertVersion => "it is not an X.509 version 3 certificate",
        W::SignatureAlgorithmMismatch => {
            "its signature algorithm does not match the one its issuer's key signs with"
        }
        W::EmptyEkuExtension
        | W::ExtensionValueInvalid
        | W::MalformedExtensions
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::UnsupportedCriticalExtension => "it has a malformed or unsupported extension",
        _ => "it failed a check of its chain",
    };
    text.to_string()
}

/// A rustls failure as a sentence (rustls's own text shows some causes as
/// Rust values).
fn describe_rustls_error(err: &rustls::Error) -> String {
    use rustls::Error as E;
    let text = match err {
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "the peer sent a message this side did not expect at this point of the handshake (does it speak TLS on this port?)"
        }
        E::InvalidMessage(_) => {
            "the peer sent a malformed TLS message (does it speak TLS on this port?)"
        }
        E::PeerIncompatible(_) => {
            "the peer has nothing in common with this side's settings (cipher suites, key exchange groups, signature schemes or extensions)"
        }
        E::PeerMisbehaved(_) => "the peer broke the TLS protocol",
        E::DecryptError => {
            "a message from the peer could not be decrypted (the connection was corrupted or tampered with)"
        }
        E::NoApplicationProtocol => {
            "the peer supports none of the application protocols offered by ALPN"
        }
        E::InvalidCertRevocationList(_) => "a certificate revocation list is invalid",
        E::InvalidEncryptedClientHello(_) => "the encrypted client hello failed",
        E::InconsistentKeys(_) => "the private key does not match its certificate",
        E::InvalidCertificate(reason) => return describe_certificate_error(reason),
        other => return other.to_string(),
    };
    text.to_string()
}

fn presented_suffix(presented: &[String]) -> String {
    if presented.is_empty() {
        String::new()
    } else {
        format!(" (it is valid for {})", presented.join(", "))
    }
}

fn not_after_suffix(not_after: &Option<UnixTime>) -> String {
    match not_after {
        Some(t) => format!(
            " (not valid after {})",
            super::certificate::format_unix_time(t.as_secs())
        ),
        None => String::new(),
    }
}

/// The IANA name of an alert (`bad_certificate`, `unknown_ca`, ...).
pub(crate) fn alert_name(alert: AlertDescription) -> String {
    use AlertDescription as A;
    let name = match alert {
        A::CloseNotify => "close_notify",
        A::UnexpectedMessage => "unexpected_message",
        A::BadRecordMac => "bad_record_mac",
        A::DecryptionFailed => "decryption_failed",
        A::RecordOverflow => "record_overflow",
        A::DecompressionFailure => "decompression_failure",
        A::HandshakeFailure => "handshake_failure",
        A::NoCertificate => "no_certificate",
        A::BadCertificate => "bad_certificate",
        A::UnsupportedCertificate => "unsupported_certificate",
        A::CertificateRevoked => "certificate_revoked",
        A::CertificateExpired => "certificate_expired",
        A::CertificateUnknown => "certificate_unknown",
        A::IllegalParameter => "illegal_parameter",
        A::UnknownCA => "unknown_ca",
        A::AccessDenied => "access_denied",
        A::DecodeError => "decode_error",
        A::DecryptError => "decrypt_error",
        A::ExportRestriction => "export_restriction",
        A::ProtocolVersion => "protocol_version",
        A::InsufficientSecurity => "insufficient_security",
        A::InternalError => "internal_error",
        A::InappropriateFallback => "inappropriate_fallback",
        A::UserCanceled => "user_canceled",
        A::NoRenegotiation => "no_renegotiation",
        A::MissingExtension => "missing_extension",
        A::UnsupportedExtension => "unsupported_extension",
        A::CertificateUnobtainable => "certificate_unobtainable",
        A::UnrecognisedName => "unrecognized_name",
        A::BadCertificateStatusResponse => "bad_certificate_status_response",
        A::BadCertificateHashValue => "bad_certificate_hash_value",
        A::UnknownPSKIdentity => "unknown_psk_identity",
        A::CertificateRequired => "certificate_required",
        A::NoApplicationProtocol => "no_application_protocol",
        other => return format!("alert {}", u8::from(other)),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_map_to_distinct_variants() {
        let e = TlsError::from_rustls(
            rustls::Error::InvalidCertificate(CertificateError::Expired),
            "localhost",
        );
        assert!(matches!(e, TlsError::CertificateExpired { ref name, .. } if name == "localhost"));
        assert!(e
            .to_string()
            .starts_with("tls: certificate for 'localhost' has expired"));
        let e = TlsError::from_rustls(
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "example.com",
        );
        assert!(matches!(e, TlsError::UnknownIssuer { .. }));
        let e = TlsError::from_rustls(
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
            "wrong.example",
        );
        assert!(matches!(e, TlsError::NameMismatch { .. }));
        assert!(e.is_certificate_error());
    }

    #[test]
    fn alerts_are_named() {
        let e = TlsError::from_rustls(
            rustls::Error::AlertReceived(AlertDescription::UnknownCA),
            "x",
        );
        assert_eq!(
            e.to_string(),
            "tls: the peer sent a fatal alert: unknown_ca"
        );
        let e = TlsError::from_rustls(
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
            "x",
        );
        assert!(matches!(
            e,
            TlsError::ClientCertificateRequired { local: false }
        ));
    }

    #[test]
    fn io_round_trip_keeps_the_tls_error() {
        let io: io::Error = TlsError::Truncated {
            during_handshake: false,
        }
        .into();
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
        assert!(matches!(
            TlsError::from_io(&io),
            Some(TlsError::Truncated { .. })
        ));
        let io: io::Error = TlsError::HandshakeTimeout {
            timeout: Duration::from_secs(1),
        }
        .into();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
        assert!(TlsError::from_io(&io).unwrap().is_timeout());
    }
}
