//! The certificate summary of a peer's DER certificate (read on request
//! from every TLS connection's peer certificate).
#![no_main]

use libfuzzer_sys::fuzz_target;
use transport::tls::CertificateInfo;

fuzz_target!(|der: &[u8]| {
    if let Some(info) = CertificateInfo::parse(der) {
        let _ = info.to_string();
    }
});
