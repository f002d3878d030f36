//! permessage-deflate (RFC 7692): the settings a side offers or accepts,
//! and the compressor and decompressor of a connection that agreed on it.
//!
//! Each compressed message is raw DEFLATE ended by a sync flush, with the
//! flush's last four bytes (`00 00 ff ff`) taken off; the receiver puts
//! them back before inflating. With context takeover (the default) the
//! compressor's window carries over from one message to the next, which is
//! what makes small, similar messages shrink.
//!
//! Windows are always 32 KiB (15 bits): this side never offers a smaller
//! one of its own, and as a server declines an offer that asks for one.
//! A peer's smaller window needs nothing, as a 32 KiB window inflates it.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::error::Violation;

/// What a sync flush ends with, and what each message has taken off.
const FLUSH_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The least room an inflated message grows by.
const INFLATE_STEP: usize = 16 * 1024;

/// permessage-deflate's settings: what a client offers or a server
/// accepts, and once the handshake is done, what the two sides agreed.
///
/// Off unless [`Config::deflate`](super::Config::deflate) turns it on: it
/// saves bytes on the wire at the cost of CPU and of about 300 KiB of
/// compressor state per connection (less with no context takeover).
///
/// ```
/// use netstack::protocols::websocket::{Config, Deflate};
///
/// // Compress, and forget the window after each message this side sends.
/// let config = Config::default().deflate(Deflate::default().no_context_takeover(true));
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deflate {
    pub(crate) no_context_takeover: bool,
    pub(crate) peer_no_context_takeover: bool,
    pub(crate) level: u32,
}

impl Default for Deflate {
    /// Context takeover both ways, compression level 6 (zlib's default).
    fn default() -> Deflate {
        Deflate {
            no_context_takeover: false,
            peer_no_context_takeover: false,
            level: 6,
        }
    }
}

impl Deflate {
    /// This side starts each message it sends with an empty window (and
    /// says so in the handshake), keeping less state between messages.
    pub fn no_context_takeover(mut self, on: bool) -> Deflate {
        self.no_context_takeover = on;
        self
    }

    /// Asks the peer to start each message it sends with an empty window.
    pub fn peer_no_context_takeover(mut self, on: bool) -> Deflate {
        self.peer_no_context_takeover = on;
        self
    }

    /// The compression level, 0 (stored) to 9 (smallest); above 9 is 9.
    pub fn level(mut self, level: u32) -> Deflate {
        self.level = level.min(9);
        self
    }

    /// True when this side resets its compressor after each message.
    pub fn has_no_context_takeover(&self) -> bool {
        self.no_context_takeover
    }

    /// True when the peer resets its compressor after each message.
    pub fn has_peer_no_context_takeover(&self) -> bool {
        self.peer_no_context_takeover
    }
}

/// The compressor and decompressor of one connection.
pub(crate) struct Codec {
    settings: Deflate,
    compress: Compress,
    decompress: Decompress,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Codec {
    /// A codec for what the handshake agreed.
    pub(crate) fn new(settings: Deflate) -> Codec {
        Codec {
            settings,
            compress: Compress::new(Compression::new(settings.level), false),
            decompress: Decompress::new(false),
        }
    }

    /// The agreed settings.
    pub(crate) fn settings(&self) -> &Deflate {
        &self.settings
    }

    /// `data` compressed as one message's payload, or `None` when the
    /// compressor fails (it does not on memory it owns; the message then
    /// goes uncompressed, which the extension allows).
    pub(crate) fn compress(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut consumed = 0;
        loop {
            let before = self.compress.total_in();
            self.compress
                .compress_vec(&data[consumed..], &mut out, FlushCompress::Sync)
                .ok()?;
            consumed += (self.compress.total_in() - before) as usize;
            // The flush is complete once it left room in the output.
            if consumed == data.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if out.ends_with(&FLUSH_TAIL) {
            out.truncate(out.len() - FLUSH_TAIL.len());
        }
        if self.settings.no_context_takeover {
            self.compress.reset();
        }
        Some(out)
    }

    /// One message's payload inflated: a violation when it is not valid
    /// DEFLATE or would grow past `limit` bytes.
    pub(crate) fn decompress(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, Violation> {
        let mut out = Vec::with_capacity((data.len() * 2).max(64).min(limit.saturating_add(1)));
        for mut input in [data, &FLUSH_TAIL[..]] {
            loop {
                let (in_before, out_before) = (self.decompress.total_in(), out.len());
                let status = self
                    .decompress
                    .decompress_vec(input, &mut out, FlushDecompress::Sync)
                    .map_err(|_| Violation::BadCompression)?;
                let consumed = (self.decompress.total_in() - in_before) as usize;
                input = &input[consumed..];
                if out.len() > limit {
                    return Err(Violation::MessageTooLarge { limit });
                }
                if status == Status::StreamEnd {
                    // A final block (RFC 7692 §7.2.3.3): the message ends
                    // there (what follows is padding), and the next one
                    // starts a new stream.
                    self.decompress.reset(false);
                    return Ok(out);
                }
                let room = out.len() < out.capacity();
                if input.is_empty() && room {
                    break;
                }
                if room && consumed == 0 && out.len() == out_before {
                    return Err(Violation::BadCompression);
                }
                if !room {
                    let grow = out.len().max(INFLATE_STEP).min(limit + 1 - out.len());
                    out.reserve(grow);
                }
            }
        }
        if self.settings.peer_no_context_takeover {
            self.decompress.reset(false);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_shrink_and_come_back_with_and_without_context_takeover() {
        for settings in [
            Deflate::default(),
            Deflate::default()
                .no_context_takeover(true)
                .peer_no_context_takeover(true),
        ] {
            let mut sender = Codec::new(settings);
            let mut receiver = Codec::new(Deflate {
                no_context_takeover: settings.peer_no_context_takeover,
                peer_no_context_takeover: settings.no_context_takeover,
                level: 6,
            });
            let text = "a fairly repetitive message, ".repeat(200);
            for _ in 0..3 {
                let wire = sender.compress(text.as_bytes()).unwrap();
                assert!(wire.len() < text.len() / 10, "{} bytes", wire.len());
                assert!(!wire.ends_with(&FLUSH_TAIL));
                assert_eq!(
                    receiver.decompress(&wire, 1 << 20).unwrap(),
                    text.as_bytes()
                );
            }
            let empty = sender.compress(b"").unwrap();
            assert_eq!(receiver.decompress(&empty, 10).unwrap(), b"");
        }
    }

    #[test]
    fn the_rfcs_example_inflates() {
        // RFC 7692 §7.2.3.1: "Hello" compressed.
        let mut codec = Codec::new(Deflate::default());
        let wire = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(codec.decompress(&wire, 100).unwrap(), b"Hello");
        // §7.2.3.2: the same again, sharing the window.
        let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(codec.decompress(&again, 100).unwrap(), b"Hello");
        // §7.2.3.3: a final block ends the message.
        let last = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(codec.decompress(&last, 100).unwrap(), b"Hello");
        assert_eq!(codec.decompress(&wire, 100).unwrap(), b"Hello");
    }

    #[test]
    fn a_bomb_stops_at_the_limit_and_garbage_is_a_violation() {
        let mut sender = Codec::new(Deflate::default());
        let zeros = vec![0u8; 10 << 20];
        let wire = sender.compress(&zeros).unwrap();
        assert!(wire.len() < 20_000);
        let mut receiver = Codec::new(Deflate::default());
        assert_eq!(
            receiver.decompress(&wire, 1 << 20),
            Err(Violation::MessageTooLarge { limit: 1 << 20 })
        );
        let mut receiver = Codec::new(Deflate::default());
        assert_eq!(
            receiver.decompress(&[0xff, 0xff, 0xff, 0xff], 1 << 20),
            Err(Violation::BadCompression)
        );
    }
}
