//! Domain names on the wire: encoding (with the RFC 1035 limits) and
//! decoding with compression pointers, bounded and loop-proof.

use super::error::{Error, Result};

/// The longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LENGTH: usize = 63;
/// The longest name on the wire, length bytes and the root's zero included.
pub const MAX_NAME_LENGTH: usize = 255;

/// Appends `name` in wire form (length-prefixed labels, then a zero).
///
/// `name` is dotted text (`www.example.com`, a trailing dot allowed; `.`
/// is the root). Labels are printable ASCII; an internationalised name must
/// be given in its `xn--` form.
pub(crate) fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<()> {
    let invalid = |reason: String| Error::InvalidName {
        name: name.to_string(),
        reason,
    };
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let start = out.len();
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            if label.is_empty() {
                return Err(invalid("empty label".into()));
            }
            if label.len() > MAX_LABEL_LENGTH {
                return Err(invalid(format!(
                    "label of {} bytes (the limit is {MAX_LABEL_LENGTH})",
                    label.len()
                )));
            }
            if let Some(b) = label.bytes().find(|b| !b.is_ascii_graphic()) {
                return Err(invalid(format!(
                    "byte 0x{b:02x} is not printable ASCII (give an internationalised name in its xn-- form)"
                )));
            }
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
    } else if name.is_empty() {
        return Err(invalid("empty name (the root is \".\")".into()));
    }
    out.push(0);
    let length = out.len() - start;
    if length > MAX_NAME_LENGTH {
        out.truncate(start);
        return Err(invalid(format!(
            "{length} bytes on the wire (the limit is {MAX_NAME_LENGTH})"
        )));
    }
    Ok(())
}

/// Reads the name at `start` of `packet`, following compression pointers.
/// Returns the name in uncompressed wire form and the offset just after it
/// (after the first pointer, if there was one).
///
/// Every read is bounds-checked. A pointer must point before the start of
/// the labels being read (so the offsets only decrease: a pointer loop
/// cannot be built), and the name may not grow past 255 bytes.
pub(crate) fn read_name(packet: &[u8], start: usize) -> Result<(Vec<u8>, usize)> {
    let malformed = |what: String| Error::Malformed(format!("name at offset {start}: {what}"));
    let mut wire = Vec::new();
    let mut pos = start;
    let mut floor = start;
    let mut end = None;
    loop {
        let len = *packet
            .get(pos)
            .ok_or_else(|| malformed(format!("runs past the end of the packet at {pos}")))?;
        match len & 0xC0 {
            0x00 => {
                let len = usize::from(len);
                wire.push(len as u8);
                if len == 0 {
                    return Ok((wire, end.unwrap_or(pos + 1)));
                }
                let label = packet.get(pos + 1..pos + 1 + len).ok_or_else(|| {
                    malformed(format!("label of {len} bytes at {pos} runs past the end"))
                })?;
                wire.extend_from_slice(label);
                // Room must be left for the final zero.
                if wire.len() + 1 > MAX_NAME_LENGTH {
                    return Err(malformed(format!("longer than {MAX_NAME_LENGTH} bytes")));
                }
                pos += 1 + len;
            }
            0xC0 => {
                let low = *packet
                    .get(pos + 1)
                    .ok_or_else(|| malformed(format!("pointer at {pos} cut off")))?;
                let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                if target >= floor {
                    return Err(malformed(format!(
                        "pointer at {pos} to {target} does not point back before {floor} (a loop?)"
                    )));
                }
                end.get_or_insert(pos + 2);
                floor = target;
                pos = target;
            }
            _ => {
                return Err(malformed(format!(
                    "unsupported label type 0x{len:02x} at {pos}"
                )))
            }
        }
    }
}

/// Dotted text for a name in wire form, without the trailing dot (`.` for
/// the root). Bytes that are not printable ASCII, and dots and backslashes
/// inside labels, are escaped as in zone files (`\DDD`, `\.`).
pub(crate) fn wire_to_string(wire: &[u8]) -> String {
    let mut out = String::new();
    let mut pos = 0;
    while let Some(&len) = wire.get(pos) {
        if len == 0 {
            break;
        }
        if !out.is_empty() {
            out.push('.');
        }
        let label = wire.get(pos + 1..pos + 1 + usize::from(len)).unwrap_or(&[]);
        for &b in label {
            match b {
                b'.' | b'\\' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                b if b.is_ascii_graphic() => out.push(char::from(b)),
                b => out.push_str(&format!("\\{b:03}")),
            }
        }
        pos += 1 + usize::from(len);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(name: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        encode_name(name, &mut out).map(|()| out)
    }

    #[test]
    fn encodes_names_with_and_without_the_trailing_dot() {
        assert_eq!(encoded("a.test").unwrap(), b"\x01a\x04test\x00");
        assert_eq!(encoded("a.test.").unwrap(), b"\x01a\x04test\x00");
        assert_eq!(encoded(".").unwrap(), b"\x00");
    }

    #[test]
    fn rejects_bad_names() {
        let long_label = "x".repeat(64);
        let long_name = vec!["y".repeat(63); 4].join(".");
        for name in [
            "",
            "a..b",
            ".a",
            "a.test..",
            &long_label,
            &long_name,
            "sp ace.test",
            "é.test",
        ] {
            match encoded(name) {
                Err(Error::InvalidName { .. }) => {}
                other => panic!("{name:?}: {other:?}"),
            }
        }
        // 63 bytes is the longest label; 255 the longest name.
        assert!(encoded(&"x".repeat(63)).is_ok());
        let longest = format!("{}.{}", vec!["y".repeat(63); 3].join("."), "z".repeat(61));
        assert_eq!(encoded(&longest).unwrap().len(), 255);
        let one_more = format!("{}.{}", vec!["y".repeat(63); 3].join("."), "z".repeat(62));
        assert!(encoded(&one_more).is_err());
    }

    #[test]
    fn reads_compressed_names() {
        // "a.test" at 0, then "b" + pointer to 0 at 8.
        let packet = b"\x01a\x04test\x00\x01b\xc0\x00";
        let (wire, end) = read_name(packet, 0).unwrap();
        assert_eq!((wire_to_string(&wire), end), ("a.test".to_string(), 8));
        let (wire, end) = read_name(packet, 8).unwrap();
        assert_eq!((wire_to_string(&wire), end), ("b.a.test".to_string(), 12));
    }

    #[test]
    fn pointer_loops_and_cut_off_names_are_errors() {
        let cases: &[(&[u8], usize)] = &[
            (b"\xc0\x00", 0),                   // points at itself
            (b"\x01a\xc0\x00", 0),              // label, then back to the start
            (b"\x00\x00\x01a\xc0\x04", 2),      // forward pointer
            (b"\x01a\xc0\x04\x01b\xc0\x00", 4), // two pointers making a cycle
            (b"\x05ab", 0),                     // label past the end
            (b"\x01a", 0),                      // no terminating zero
            (b"\xc0", 0),                       // pointer cut off
            (b"\x40", 0),                       // extended label type
            (b"", 0),                           // nothing at all
        ];
        for (packet, start) in cases {
            match read_name(packet, *start) {
                Err(Error::Malformed(_)) => {}
                other => panic!("{packet:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_name_built_from_pointers_cannot_pass_255_bytes() {
        // Each entry is a 63-byte label followed by a pointer to the entry before it.
        let mut packet = vec![0u8];
        let mut previous = 0usize;
        for _ in 0..8 {
            let here = packet.len();
            packet.push(63);
            packet.extend_from_slice(&[b'x'; 63]);
            packet.extend_from_slice(&[0xC0 | (previous >> 8) as u8, previous as u8]);
            previous = here;
        }
        match read_name(&packet, previous) {
            Err(Error::Malformed(what)) => assert!(what.contains("255"), "{what}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn escapes_unprintable_bytes() {
        assert_eq!(wire_to_string(b"\x03a.\x01\x01b\x00"), "a\\.\\001.b");
        assert_eq!(wire_to_string(b"\x00"), ".");
    }
}
