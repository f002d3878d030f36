//! What the fuzz targets share: cutting an input into the pieces a peer's
//! bytes might arrive in, so that every target also checks that a parser
//! reads the same thing whether its input comes whole or a few bytes at a time.

/// The first byte chooses how the rest is cut: 0 keeps it whole, any other
/// value seeds a sequence of piece lengths from 1 to 16 bytes.
pub fn split(data: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    if seed == 0 {
        return (vec![rest], rest);
    }
    let mut state = u32::from(seed);
    let mut pieces = Vec::new();
    let mut left = rest;
    while !left.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = (1 + (state >> 16) as usize % 16).min(left.len());
        let (piece, tail) = left.split_at(len);
        pieces.push(piece);
        left = tail;
    }
    (pieces, rest)
}

use bytes::BytesMut;
use protocols::framing::Decoder;

/// What a decoder made of a stream of pieces: its frames, in order, and
/// whether it stopped on an error.
#[derive(Debug, PartialEq)]
pub struct Frames<T> {
    /// The frames decoded before the end or the error.
    pub frames: Vec<T>,
    /// True when the decoder failed.
    pub failed: bool,
}

/// Feeds `pieces` to `codec` as a connection would (decode after each
/// read, `decode_eof` at the end of the stream).
pub fn decode_all<D: Decoder>(mut codec: D, pieces: &[&[u8]]) -> Frames<D::Item> {
    let mut buffer = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buffer.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buffer) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(_) => {
                    return Frames {
                        frames,
                        failed: true,
                    }
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buffer) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => {
                return Frames {
                    frames,
                    failed: false,
                }
            }
            Err(_) => {
                return Frames {
                    frames,
                    failed: true,
                }
            }
        }
    }
}
