//! The sans-IO codec traits: bytes in, frames out, and back.

use bytes::BytesMut;

use super::error::{Error, Result};

/// Turns bytes into frames. A decoder never does I/O: [`Framed`](super::Framed)
/// (or your own loop) appends what arrives to a buffer and calls
/// [`decode`](Decoder::decode) until it returns `Ok(None)`.
///
/// ```
/// use bytes::BytesMut;
/// use netstack::protocols::framing::{Decoder, LinesCodec};
/// let mut codec = LinesCodec::new();
/// let mut buf = BytesMut::from(&b"hel"[..]);
/// assert_eq!(codec.decode(&mut buf).unwrap(), None); // not a whole line yet
/// buf.extend_from_slice(b"lo\r\nworld\n");
/// assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("hello"));
/// assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("world"));
/// assert!(buf.is_empty());
/// ```
pub trait Decoder {
    /// The frame type.
    type Item;

    /// Decodes one frame from the front of `src`: `Ok(Some(frame))` removes
    /// the frame's bytes from `src`; `Ok(None)` means a whole frame has not
    /// arrived yet (the decoder may reserve room in `src` for it). An error
    /// reports bad input; the decoder documents whether it can go on after it.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>>;

    /// Decodes at the end of the stream, when no more bytes will come.
    ///
    /// The default decodes what it can, then reports leftover bytes as
    /// [`Error::StreamEndedInFrame`] (leaving them in `src`): a stream that
    /// ends inside a frame is an error, never a silent truncation.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(Error::StreamEndedInFrame {
                buffered: src.len(),
            }),
        }
    }
}

/// Turns a frame into bytes.
///
/// ```
/// use bytes::BytesMut;
/// use netstack::protocols::framing::{Encoder, LinesCodec};
/// let mut buf = BytesMut::new();
/// LinesCodec::new().encode("hi", &mut buf).unwrap();
/// assert_eq!(&buf[..], b"hi\n");
/// ```
pub trait Encoder<Item> {
    /// Appends one encoded frame to `dst`. On error, `dst` should be left as
    /// it was ([`Framed`](super::Framed) also truncates it back, to be sure).
    fn encode(&mut self, item: Item, dst: &mut BytesMut) -> Result<()>;
}
