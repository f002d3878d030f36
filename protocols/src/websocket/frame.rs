//! The frame layout of RFC 6455 §5.2: the header (FIN, the three reserved
//! bits, the opcode, the mask bit and key, a 7-, 16- or 64-bit length) and
//! the masking of payloads. Pure functions on bytes: no state, no I/O.

use super::error::Violation;

/// What a frame carries (RFC 6455 §5.2; the other values are reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    /// The next fragment of a message started by a text or binary frame.
    Continuation,
    /// A text message (UTF-8), or its first fragment.
    Text,
    /// A binary message, or its first fragment.
    Binary,
    /// The close handshake.
    Close,
    /// A ping, answered by a pong with the same payload.
    Ping,
    /// A pong.
    Pong,
}

impl OpCode {
    fn from_bits(bits: u8) -> Option<OpCode> {
        Some(match bits {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// True for close, ping and pong, which may come between the fragments
    /// of a message and are never fragmented themselves.
    pub fn is_control(self) -> bool {
        matches!(self, OpCode::Close | OpCode::Ping | OpCode::Pong)
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The last fragment of its message.
    pub fin: bool,
    /// RSV1 (permessage-deflate's "compressed" bit when negotiated).
    pub rsv1: bool,
    /// What the frame carries.
    pub opcode: OpCode,
    /// The masking key, present on every frame a client sends.
    pub mask: Option<[u8; 4]>,
    /// The payload's length in bytes.
    pub len: u64,
}

/// The longest a header can be: 2 bytes, a 64-bit length, a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Decodes the header at the start of `buf`: `Ok(None)` when more bytes
/// are needed, else the header and its length. Checks what the header
/// alone shows: the reserved opcodes, RSV2 and RSV3 (no extension here
/// uses them), RSV1 unless `rsv1_allowed`, a control frame fragmented or
/// longer than 125 bytes, a length in more bytes than it needs or with the
/// top bit of its 64 set.
pub fn decode_header(
    buf: &[u8],
    rsv1_allowed: bool,
) -> Result<Option<(FrameHeader, usize)>, Violation> {
    let [first, second, ..] = *buf else {
        return Ok(None);
    };
    let opcode = OpCode::from_bits(first & 0x0F).ok_or(Violation::ReservedOpcode(first & 0x0F))?;
    let fin = first & 0x80 != 0;
    let rsv1 = first & 0x40 != 0;
    if first & 0x30 != 0 || (rsv1 && !rsv1_allowed) {
        return Err(Violation::ReservedBits((first >> 4) & 0x07));
    }
    let masked = second & 0x80 != 0;
    let (len, mut at) = match second & 0x7F {
        126 => {
            let Some(bytes) = buf.get(2..4) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([bytes[0], bytes[1]]));
            if len < 126 {
                return Err(Violation::NonMinimalLength);
            }
            (len, 4)
        }
        127 => {
            let Some(bytes) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut be = [0; 8];
            be.copy_from_slice(bytes);
            let len = u64::from_be_bytes(be);
            if len >> 63 != 0 {
                return Err(Violation::LengthTopBitSet);
            }
            if len <= u64::from(u16::MAX) {
                return Err(Violation::NonMinimalLength);
            }
            (len, 10)
        }
        short => (u64::from(short), 2),
    };
    if opcode.is_control() {
        if !fin {
            return Err(Violation::FragmentedControlFrame);
        }
        if len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(Violation::ControlFrameTooLong(len));
        }
    }
    let mask = if masked {
        let Some(bytes) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([bytes[0], bytes[1], bytes[2], bytes[3]])
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            rsv1,
            opcode,
            mask,
            len,
        },
        at,
    )))
}

/// Appends the header of a frame to `out`, with the length in the fewest
/// bytes that hold it.
pub fn encode_header(out: &mut Vec<u8>, header: &FrameHeader) {
    let mut first = header.opcode.bits();
    if header.fin {
        first |= 0x80;
    }
    if header.rsv1 {
        first |= 0x40;
    }
    let mask_bit = if header.mask.is_some() { 0x80 } else { 0 };
    out.push(first);
    match header.len {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    if let Some(key) = header.mask {
        out.extend_from_slice(&key);
    }
}

/// Masks (or unmasks: the same operation) `data` with `key`, `data` being
/// the payload from byte `offset` on. Eight bytes at a time.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let mut rotated = [0u8; 4];
    for (i, byte) in rotated.iter_mut().enumerate() {
        *byte = key[(offset + i) % 4];
    }
    let word = u32::from_ne_bytes(rotated);
    let wide = u64::from(word) | (u64::from(word) << 32);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut value = [0u8; 8];
        value.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(value) ^ wide).to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= rotated[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv1: false,
            opcode,
            mask,
            len,
        }
    }

    #[test]
    fn headers_round_trip_at_every_length_form() {
        for len in [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 1 << 40] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let header = header(OpCode::Binary, len, mask);
                let mut out = Vec::new();
                encode_header(&mut out, &header);
                let (decoded, used) = decode_header(&out, false).unwrap().unwrap();
                assert_eq!((decoded, used), (header, out.len()), "length {len}");
                // Every shorter prefix asks for more bytes.
                for cut in 0..out.len() {
                    assert_eq!(
                        decode_header(&out[..cut], false),
                        Ok(None),
                        "{len} cut {cut}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_rfcs_examples_decode() {
        // RFC 6455 §5.7: a single-frame unmasked "Hello", and the masked one.
        let (unmasked, at) = decode_header(&[0x81, 0x05, 0x48], false).unwrap().unwrap();
        assert_eq!((unmasked.opcode, unmasked.len, at), (OpCode::Text, 5, 2));
        let mut masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let (header, at) = decode_header(&masked, false).unwrap().unwrap();
        apply_mask(&mut masked[at..], header.mask.unwrap(), 0);
        assert_eq!(&masked[at..], b"Hello");
    }

    #[test]
    fn header_violations_are_named() {
        assert_eq!(
            decode_header(&[0x83, 0], false),
            Err(Violation::ReservedOpcode(3))
        );
        assert_eq!(
            decode_header(&[0xA1, 0], false),
            Err(Violation::ReservedBits(2))
        );
        assert_eq!(
            decode_header(&[0xC1, 0], false),
            Err(Violation::ReservedBits(4))
        );
        assert!(decode_header(&[0xC1, 0], true).unwrap().is_some());
        assert_eq!(
            decode_header(&[0x09, 0], false),
            Err(Violation::FragmentedControlFrame)
        );
        assert_eq!(
            decode_header(&[0x89, 126, 0, 126], false),
            Err(Violation::ControlFrameTooLong(126))
        );
        assert_eq!(
            decode_header(&[0x82, 126, 0, 5], false),
            Err(Violation::NonMinimalLength)
        );
        let mut long = vec![0x82, 127];
        long.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(decode_header(&long, false), Err(Violation::LengthTopBitSet));
    }

    #[test]
    fn masking_from_any_offset_matches_the_bytewise_definition() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let original: Vec<u8> = (0..=255).collect();
        for offset in 0..5 {
            let mut fast = original.clone();
            apply_mask(&mut fast, key, offset);
            let slow: Vec<u8> = original
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[(offset + i) % 4])
                .collect();
            assert_eq!(fast, slow, "offset {offset}");
        }
    }
}
