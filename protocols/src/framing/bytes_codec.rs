//! `BytesCodec`: raw bytes, in the chunks they arrive in.

use bytes::{Bytes, BytesMut};

use super::codec::{Decoder, Encoder};
use super::error::Result;

/// Passes bytes through unframed: each decoded frame is whatever has
/// arrived (at most one read's worth), and encoding appends the bytes as
/// they are. Useful for the raw part of a protocol, or to switch a
/// connection from framed to raw with [`Framed::into_parts`](super::Framed::into_parts).
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use netstack::protocols::framing::{BytesCodec, Decoder, Encoder};
/// let mut codec = BytesCodec::new();
/// let mut buf = BytesMut::new();
/// codec.encode(Bytes::from_static(b"raw bytes"), &mut buf).unwrap();
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Bytes::from_static(b"raw bytes")));
/// assert_eq!(codec.decode(&mut buf).unwrap(), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesCodec {
    _private: (),
}

impl BytesCodec {
    /// A new raw-bytes codec.
    pub fn new() -> BytesCodec {
        BytesCodec { _private: () }
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        if src.is_empty() {
            Ok(None)
        } else {
            Ok(Some(src.split().freeze()))
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>> {
        self.decode(src)
    }
}

impl Encoder<Bytes> for BytesCodec {
    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> Result<()> {
        dst.extend_from_slice(&data);
        Ok(())
    }
}

impl Encoder<&[u8]> for BytesCodec {
    fn encode(&mut self, data: &[u8], dst: &mut BytesMut) -> Result<()> {
        dst.extend_from_slice(data);
        Ok(())
    }
}

impl Encoder<Vec<u8>> for BytesCodec {
    fn encode(&mut self, data: Vec<u8>, dst: &mut BytesMut) -> Result<()> {
        dst.extend_from_slice(&data);
        Ok(())
    }
}
