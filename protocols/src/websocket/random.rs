//! Unpredictable bytes for masking keys and the handshake's key (RFC 6455
//! §5.3 and §4.1 ask for a strong source): the operating system's, through
//! ring (rustls's provider, already in the tree), drawn a block at a time
//! so that a frame does not cost a system call.

use ring::rand::{SecureRandom, SystemRandom};

/// A block of random bytes, handed out four at a time as masking keys.
#[derive(Debug)]
pub(crate) struct MaskKeys {
    block: [u8; 256],
    used: usize,
}

impl Default for MaskKeys {
    fn default() -> MaskKeys {
        MaskKeys {
            block: [0; 256],
            used: 256,
        }
    }
}

impl MaskKeys {
    /// A fresh masking key.
    pub(crate) fn next(&mut self) -> [u8; 4] {
        if self.used == self.block.len() {
            fill(&mut self.block);
            self.used = 0;
        }
        let mut key = [0; 4];
        key.copy_from_slice(&self.block[self.used..self.used + 4]);
        self.used += 4;
        key
    }
}

/// Fills `out` from the operating system's random source. That source
/// failing is an environment broken past what a connection can handle
/// (no `getrandom`, no `/dev/urandom`), as ring and rustls treat it.
pub(crate) fn fill(out: &mut [u8]) {
    SystemRandom::new()
        .fill(out)
        .expect("the operating system's random source failed");
}
