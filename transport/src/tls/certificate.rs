//! `CertificateInfo`: the human-readable parts of an X.509 certificate
//! (subject, issuer, validity, names), read from its DER with a small
//! reader of just the fields needed for a trace line.

use std::fmt;
use std::net::IpAddr;

/// What a certificate says about itself, for logs and `-v` traces: subject
/// and issuer as `CN=..., O=...` strings, the validity period and the names
/// in its subjectAltName extension. Verification is rustls's job; this is
/// display only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The subject's distinguished name, e.g. `CN=localhost, O=netstack`.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Start of validity, `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_before: String,
    /// End of validity, `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_after: String,
    /// DNS names from the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses from the subjectAltName extension.
    pub ip_addresses: Vec<IpAddr>,
}

impl CertificateInfo {
    /// Reads a DER-encoded X.509 certificate; `None` when it cannot be parsed.
    pub fn parse(der: &[u8]) -> Option<CertificateInfo> {
        let (cert, _) = Tlv::read(der)?;
        let (tbs, _) = Tlv::read(cert.value)?;
        let mut rest = tbs.value;
        let mut next = || Tlv::take(&mut rest);
        let mut field = next()?;
        if field.tag == 0xa0 {
            field = next()?; // [0] version: skip to the serial number
        }
        let _serial = field;
        let _signature = next()?;
        let issuer = name_to_string(next()?.value)?;
        let validity = next()?;
        let (not_before, after) = Tlv::read(validity.value)?;
        let (not_after, _) = Tlv::read(after)?;
        let subject = name_to_string(next()?.value)?;
        let _spki = next()?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        while let Some(field) = next() {
            if field.tag == 0xa3 {
                read_san(field.value, &mut dns_names, &mut ip_addresses);
            }
        }
        Some(CertificateInfo {
            subject,
            issuer,
            not_before: time_to_string(&not_before)?,
            not_after: time_to_string(&not_after)?,
            dns_names,
            ip_addresses,
        })
    }
}

impl fmt::Display for CertificateInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "subject: {}; issuer: {}; valid {} to {}",
            self.subject, self.issuer, self.not_before, self.not_after
        )?;
        if !self.dns_names.is_empty() || !self.ip_addresses.is_empty() {
            let names: Vec<String> = self
                .dns_names
                .iter()
                .cloned()
                .chain(self.ip_addresses.iter().map(|ip| ip.to_string()))
                .collect();
            write!(f, "; names: {}", names.join(", "))?;
        }
        Ok(())
    }
}

/// One DER tag-length-value.
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Reads one TLV from the front of `input` and advances it.
    fn take(input: &mut &'a [u8]) -> Option<Tlv<'a>> {
        let (tlv, rest) = Tlv::read(input)?;
        *input = rest;
        Some(tlv)
    }

    /// Reads one TLV from the front of `input`; returns it and what follows.
    fn read(input: &'a [u8]) -> Option<(Tlv<'a>, &'a [u8])> {
        let (&tag, rest) = input.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // multi-byte tags do not occur in the fields read here
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let count = (first & 0x7f) as usize;
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | b as usize);
            (len, &rest[count..])
        };
        if rest.len() < len {
            return None;
        }
        Some((
            Tlv {
                tag,
                value: &rest[..len],
            },
            &rest[len..],
        ))
    }
}

/// A `Name` (SEQUENCE OF SET OF AttributeTypeAndValue) as `CN=..., O=...`.
fn name_to_string(mut rdns: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (set, after) = Tlv::read(rdns)?;
        rdns = after;
        let mut attrs = set.value;
        while !attrs.is_empty() {
            let (attr, after) = Tlv::read(attrs)?;
            attrs = after;
            let (oid, value) = Tlv::read(attr.value)?;
            let (value, _) = Tlv::read(value)?;
            parts.push(format!(
                "{}={}",
                attribute_name(oid.value),
                string_value(&value)
            ));
        }
    }
    Some(parts.join(", "))
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".to_string(),
        [0x55, 0x04, 0x05] => "serialNumber".to_string(),
        [0x55, 0x04, 0x06] => "C".to_string(),
        [0x55, 0x04, 0x07] => "L".to_string(),
        [0x55, 0x04, 0x08] => "ST".to_string(),
        [0x55, 0x04, 0x0a] => "O".to_string(),
        [0x55, 0x04, 0x0b] => "OU".to_string(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".to_string(),
        _ => dotted_oid(oid),
    }
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in oid {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn string_value(tlv: &Tlv<'_>) -> String {
    match tlv.tag {
        // BMPString: UTF-16BE.
        0x1e => {
            let units: Vec<u16> = tlv
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // UniversalString: UTF-32BE.
        0x1c => tlv
            .value
            .chunks_exact(4)
            .map(|c| {
                char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{fffd}')
            })
            .collect(),
        // TeletexString: treated as Latin-1.
        0x14 => tlv.value.iter().map(|&b| b as char).collect(),
        // UTF8String, PrintableString, IA5String, and anything else.
        _ => String::from_utf8_lossy(tlv.value).into_owned(),
    }
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`). The
/// bytes are the peer's: read as ASCII digits, never sliced as text, so a
/// multibyte character in them is a malformed time, not a panic.
fn time_to_string(tlv: &Tlv<'_>) -> Option<String> {
    let digits = tlv.value.strip_suffix(b"Z")?;
    let number = |at: usize, len: usize| -> Option<u32> {
        let field = digits.get(at..at + len)?;
        field.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let (year, at) = match (tlv.tag, digits.len()) {
        (0x17, 12) => {
            let yy = number(0, 2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (0x18, 14) => (number(0, 4)?, 4),
        _ => return None,
    };
    Some(format!(
        "{year:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        number(at, 2)?,
        number(at + 2, 2)?,
        number(at + 4, 2)?,
        number(at + 6, 2)?,
        number(at + 8, 2)?
    ))
}

/// The subjectAltName's DNS names and IP addresses, from the `[3]` extensions field.
fn read_san(extensions: &[u8], dns: &mut Vec<String>, ips: &mut Vec<IpAddr>) {
    let Some((list, _)) = Tlv::read(extensions) else {
        return;
    };
    let mut rest = list.value;
    while let Some((ext, after)) = Tlv::read(rest) {
        rest = after;
        let Some((oid, mut fields)) = Tlv::read(ext.value) else {
            continue;
        };
        if oid.value != [0x55, 0x1d, 0x11] {
            continue;
        }
        // Skip the optional `critical` BOOLEAN, then the OCTET STRING.
        let mut value = None;
        while let Some((f, after)) = Tlv::read(fields) {
            fields = after;
            if f.tag == 0x04 {
                value = Some(f.value);
            }
        }
        let Some((names, _)) = value.and_then(Tlv::read) else {
            continue;
        };
        let mut names = names.value;
        while let Some((name, after)) = Tlv::read(names) {
            names = after;
            match (name.tag, name.value.len()) {
                (0x82, _) => dns.push(String::from_utf8_lossy(name.value).into_owned()),
                (0x87, 4) => {
                    let b: [u8; 4] = name.value.try_into().expect("length checked");
                    ips.push(IpAddr::from(b));
                }
                (0x87, 16) => {
                    let b: [u8; 16] = name.value.try_into().expect("length checked");
                    ips.push(IpAddr::from(b));
                }
                _ => {}
            }
        }
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn format_unix_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_formats_as_a_civil_date() {
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn dotted_oids() {
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
    }

    #[test]
    fn times_with_multibyte_characters_are_malformed_not_a_panic() {
        // UTCTime whose bytes hold "é" (two bytes) where digits belong.
        let tlv = Tlv {
            tag: 0x17,
            value: "2\u{e9}0101000000Z".as_bytes(),
        };
        assert_eq!(time_to_string(&tlv), None);
        let tlv = Tlv {
            tag: 0x18,
            value: "20\u{e9}\u{e9}0101000000Z".as_bytes(),
        };
        assert_eq!(time_to_string(&tlv), None);
        let tlv = Tlv {
            tag: 0x17,
            value: b"250101000000Z",
        };
        assert_eq!(time_to_string(&tlv).unwrap(), "2025-01-01 00:00:00 UTC");
        let tlv = Tlv {
            tag: 0x18,
            value: b"20991231235959Z",
        };
        assert_eq!(time_to_string(&tlv).unwrap(), "2099-12-31 23:59:59 UTC");
        // Fractional seconds or offsets are not what certificates use (RFC 5280 §4.1.2.5).
        let tlv = Tlv {
            tag: 0x18,
            value: b"20991231235959.5Z",
        };
        assert_eq!(time_to_string(&tlv), None);
    }

    #[test]
    fn a_certificate_with_a_multibyte_validity_date_parses_to_none() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let mut der = params.self_signed(&key).unwrap().der().to_vec();
        assert!(CertificateInfo::parse(&der).is_some());
        // The first time is a UTCTime (tag 0x17, 13 bytes): put "é" in its year.
        let at = der
            .windows(2)
            .position(|w| w == [0x17, 0x0d])
            .expect("a UTCTime");
        der[at + 3..at + 5].copy_from_slice("\u{e9}".as_bytes());
        assert_eq!(CertificateInfo::parse(&der), None);
    }

    #[test]
    fn garbage_is_none() {
        assert!(CertificateInfo::parse(&[]).is_none());
        assert!(CertificateInfo::parse(&[0x30, 0x82, 0xff]).is_none());
        assert!(CertificateInfo::parse(b"not a certificate").is_none());
    }
}
