//! `LengthDelimitedCodec`: frames prefixed by their length.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::codec::{Decoder, Encoder};
use super::error::{Error, Result};

/// How much room a partial frame makes ahead of what has arrived.
const RESERVE_AHEAD: usize = 64 * 1024;

/// The size of a length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthField {
    /// One byte (frames up to 255 bytes).
    U8,
    /// Two bytes (frames up to 64 KiB − 1, as DNS over TCP uses).
    U16,
    /// Four bytes (the default).
    U32,
    /// Eight bytes.
    U64,
}

impl LengthField {
    /// The field's size in bytes.
    pub fn size(self) -> usize {
        match self {
            LengthField::U8 => 1,
            LengthField::U16 => 2,
            LengthField::U32 => 4,
            LengthField::U64 => 8,
        }
    }

    /// The largest value the field can hold.
    pub fn max_value(self) -> u64 {
        match self {
            LengthField::U8 => u8::MAX.into(),
            LengthField::U16 => u16::MAX.into(),
            LengthField::U32 => u32::MAX.into(),
            LengthField::U64 => u64::MAX,
        }
    }
}

/// The byte order of a length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endianness {
    /// Most significant byte first (network order, the default).
    #[default]
    Big,
    /// Least significant byte first.
    Little,
}

/// Frames a byte stream as `length field + payload`; frames are [`Bytes`].
///
/// - The length field is 1, 2, 4 (default) or 8 bytes ([`LengthField`]),
///   big (default) or little endian ([`Endianness`]).
/// - [`length_adjustment`](LengthDelimitedCodec::length_adjustment) is added
///   to the field's value to get the payload length: a protocol whose
///   length counts the 4-byte header itself uses `-4`. Encoding subtracts it.
/// - **Bounded**: a payload longer than
///   [`max_frame_length`](LengthDelimitedCodec::max_frame_length) (default
///   [`DEFAULT_MAX_FRAME_LENGTH`](LengthDelimitedCodec::DEFAULT_MAX_FRAME_LENGTH))
///   is [`Error::FrameTooLong`] as soon as its header arrives; the codec
///   then skips that frame's body and goes on with the next frame. A length
///   that is negative after adjustment is [`Error::InvalidLength`] (the
///   stream cannot be resynchronised after it).
/// - A stream that ends inside a frame (header or body) is
///   [`Error::StreamEndedInFrame`] with the bytes that had arrived.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use netstack::protocols::framing::{Decoder, Encoder, Endianness, LengthDelimitedCodec, LengthField};
///
/// // A 2-byte little-endian length that counts itself.
/// let mut codec = LengthDelimitedCodec::new()
///     .length_field(LengthField::U16)
///     .endianness(Endianness::Little)
///     .length_adjustment(-2);
/// let mut buf = BytesMut::new();
/// codec.encode(Bytes::from_static(b"abc"), &mut buf).unwrap();
/// assert_eq!(&buf[..], b"\x05\x00abc");
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Bytes::from_static(b"abc")));
/// ```
#[derive(Debug, Clone)]
pub struct LengthDelimitedCodec {
    field: LengthField,
    endianness: Endianness,
    adjustment: i64,
    max_frame_length: usize,
    /// Bytes left to skip of an over-long frame (already reported).
    skip: u64,
}

impl Default for LengthDelimitedCodec {
    fn default() -> Self {
        LengthDelimitedCodec::new()
    }
}

impl LengthDelimitedCodec {
    /// The default maximum payload length: 8 MiB.
    pub const DEFAULT_MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

    /// A 4-byte big-endian length, no adjustment, the default maximum.
    pub fn new() -> LengthDelimitedCodec {
        LengthDelimitedCodec {
            field: LengthField::U32,
            endianness: Endianness::Big,
            adjustment: 0,
            max_frame_length: Self::DEFAULT_MAX_FRAME_LENGTH,
            skip: 0,
        }
    }

    /// Sets the size of the length field.
    pub fn length_field(mut self, field: LengthField) -> LengthDelimitedCodec {
        self.field = field;
        self
    }

    /// Sets the byte order of the length field.
    pub fn endianness(mut self, endianness: Endianness) -> LengthDelimitedCodec {
        self.endianness = endianness;
        self
    }

    /// Sets the value added to the length field to get the payload length
    /// (e.g. `-4` when a 4-byte field counts itself).
    pub fn length_adjustment(mut self, adjustment: i64) -> LengthDelimitedCodec {
        self.adjustment = adjustment;
        self
    }

    /// Sets the maximum payload length in bytes.
    pub fn max_frame_length(mut self, max: usize) -> LengthDelimitedCodec {
        self.max_frame_length = max;
        self
    }

    /// The maximum payload length in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_length
    }

    fn read_field(&self, src: &[u8]) -> u64 {
        let mut field = &src[..self.field.size()];
        match (self.field, self.endianness) {
            (LengthField::U8, _) => field.get_u8().into(),
            (LengthField::U16, Endianness::Big) => field.get_u16().into(),
            (LengthField::U16, Endianness::Little) => field.get_u16_le().into(),
            (LengthField::U32, Endianness::Big) => field.get_u32().into(),
            (LengthField::U32, Endianness::Little) => field.get_u32_le().into(),
            (LengthField::U64, Endianness::Big) => field.get_u64(),
            (LengthField::U64, Endianness::Little) => field.get_u64_le(),
        }
    }

    fn write_field(&self, value: u64, dst: &mut BytesMut) {
        match (self.field, self.endianness) {
            (LengthField::U8, _) => dst.put_u8(value as u8),
            (LengthField::U16, Endianness::Big) => dst.put_u16(value as u16),
            (LengthField::U16, Endianness::Little) => dst.put_u16_le(value as u16),
            (LengthField::U32, Endianness::Big) => dst.put_u32(value as u32),
            (LengthField::U32, Endianness::Little) => dst.put_u32_le(value as u32),
            (LengthField::U64, Endianness::Big) => dst.put_u64(value),
            (LengthField::U64, Endianness::Little) => dst.put_u64_le(value),
        }
    }

    /// Skips what is left of an over-long frame; true when done.
    fn skip_rest(&mut self, src: &mut BytesMut) -> bool {
        let n = self.skip.min(src.len() as u64) as usize;
        src.advance(n);
        self.skip -= n as u64;
        self.skip == 0
    }

    fn encode_slice(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<()> {
        if payload.len() > self.max_frame_length {
            return Err(Error::FrameTooLong {
                length: payload.len() as u64,
                limit: self.max_frame_length,
            });
        }
        let value = payload.len() as i128 - i128::from(self.adjustment);
        if value < 0 || value > i128::from(self.field.max_value()) {
            return Err(Error::InvalidLength(format!(
                "a {}-byte payload with adjustment {} needs the value {value}, \
                 which a {}-byte length field cannot hold",
                payload.len(),
                self.adjustment,
                self.field.size()
            )));
        }
        dst.reserve(self.field.size() + payload.len());
        self.write_field(value as u64, dst);
        dst.extend_from_slice(payload);
        Ok(())
    }
}

impl Decoder for LengthDelimitedCodec {
    type Item = Bytes;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        if self.skip > 0 && !self.skip_rest(src) {
            return Ok(None);
        }
        let header = self.field.size();
        if src.len() < header {
            return Ok(None);
        }
        let value = self.read_field(src);
        let length = i128::from(value) + i128::from(self.adjustment);
        if length < 0 {
            return Err(Error::InvalidLength(format!(
                "the length field says {value}, which with adjustment {} gives {length}",
                self.adjustment
            )));
        }
        if length > self.max_frame_length as i128 {
            let length = u64::try_from(length).unwrap_or(u64::MAX);
            src.advance(header);
            self.skip = length;
            self.skip_rest(src);
            return Err(Error::FrameTooLong {
                length,
                limit: self.max_frame_length,
            });
        }
        // Within `max_frame_length`, which is a usize: no truncation. The
        // sum can still overflow when the limit is near usize::MAX.
        let length = length as usize;
        let Some(whole) = header.checked_add(length) else {
            return Err(Error::FrameTooLong {
                length: length as u64,
                limit: self.max_frame_length,
            });
        };
        if src.len() < whole {
            // Room for what is coming, a bounded piece at a time: a header
            // alone does not make the connection hold its whole frame.
            src.reserve((whole - src.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }
        src.advance(header);
        Ok(Some(src.split_to(length).freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if self.skip > 0 => {
                // The over-long frame was reported when its header arrived.
                self.skip = 0;
                Ok(None)
            }
            None if src.is_empty() => Ok(None),
            None => Err(Error::StreamEndedInFrame {
                buffered: src.len(),
            }),
        }
    }
}

impl Encoder<Bytes> for LengthDelimitedCodec {
    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<()> {
        self.encode_slice(&payload, dst)
    }
}

impl Encoder<&[u8]> for LengthDelimitedCodec {
    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<()> {
        self.encode_slice(payload, dst)
    }
}

impl Encoder<Vec<u8>> for LengthDelimitedCodec {
    fn encode(&mut self, payload: Vec<u8>, dst: &mut BytesMut) -> Result<()> {
        self.encode_slice(&payload, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_near_the_top_of_usize_is_an_error_not_an_overflow() {
        let mut codec = LengthDelimitedCodec::new()
            .length_field(LengthField::U64)
            .max_frame_length(usize::MAX);
        let mut src = BytesMut::from(&u64::MAX.to_be_bytes()[..]);
        assert!(matches!(
            codec.decode(&mut src),
            Err(Error::FrameTooLong { .. })
        ));
    }

    #[test]
    fn a_header_alone_does_not_reserve_its_whole_frame() {
        let mut codec = LengthDelimitedCodec::new();
        let mut src = BytesMut::from(&(8u32 << 20).to_be_bytes()[..]);
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() <= 4 + RESERVE_AHEAD, "{}", src.capacity());
    }
}
