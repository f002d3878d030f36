//! Where parsed heads are copied to. A head's field values (and a request's
//! target) are slices of one shared copy of the head; on a keep-alive
//! connection the copies go into one block that is used again once the
//! heads in it are dropped, as hyper reuses its read buffer, so that a
//! request or response head costs no allocation of its own.

use bytes::{Bytes, BytesMut};

/// The smallest block: room for the heads of a few dozen small requests.
const BLOCK: usize = 1024;

/// One connection's block for head copies. The default one makes each copy
/// in a block of its own size (for a head parsed once, not on a connection).
#[derive(Debug, Default)]
pub(crate) struct HeadArena {
    block: BytesMut,
    block_size: usize,
}

impl HeadArena {
    /// An arena for the heads of one connection.
    pub(crate) fn for_connection() -> HeadArena {
        HeadArena {
            block: BytesMut::new(),
            block_size: BLOCK,
        }
    }

    /// A shared copy of `head`. It comes from the block while the block has
    /// room; a full block is rewound when no copy in it is still alive, and
    /// replaced by a new one otherwise. A head larger than a block gets a
    /// copy of its own: the block never grows, so a peer that sends one
    /// large head does not leave its connection holding that much memory.
    pub(crate) fn copy(&mut self, head: &[u8]) -> Bytes {
        if head.len() > self.block_size {
            return Bytes::copy_from_slice(head);
        }
        if self.block.capacity() < head.len() {
            self.block.reserve(self.block_size);
        }
        self.block.extend_from_slice(head);
        self.block.split().freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `copy` lies in the block that starts at `start`.
    fn within(copy: &Bytes, start: *const u8) -> bool {
        let (at, start) = (copy.as_ptr() as usize, start as usize);
        at >= start && at + copy.len() <= start + BLOCK
    }

    #[test]
    fn a_full_block_is_rewound_once_its_copies_are_dropped() {
        let mut arena = HeadArena::for_connection();
        let first = arena.copy(&[1; 100]);
        let start = first.as_ptr();
        drop(first);
        // Three blocks' worth, each copy dropped before the next.
        for n in 0..3 * BLOCK / 100 {
            let copy = arena.copy(&[n as u8; 100]);
            assert_eq!(&copy[..], [n as u8; 100]);
            assert!(within(&copy, start), "copy {n} left the block");
        }
    }

    #[test]
    fn a_full_block_with_a_copy_alive_is_replaced_and_the_copy_kept() {
        let mut arena = HeadArena::for_connection();
        let kept = arena.copy(&[7; 100]);
        let start = kept.as_ptr();
        let mut outside = 0;
        for n in 0..3 * BLOCK / 100 {
            let copy = arena.copy(&[n as u8; 100]);
            assert_eq!(&copy[..], [n as u8; 100]);
            outside += usize::from(!within(&copy, start));
        }
        assert!(outside > 0, "the block with a live copy was used again");
        assert_eq!(&kept[..], [7; 100]);
    }

    #[test]
    fn a_head_larger_than_a_block_is_copied_apart_and_the_block_stays_small() {
        let mut arena = HeadArena::for_connection();
        let first = arena.copy(&[1; 100]);
        let start = first.as_ptr();
        drop(first);
        let big = vec![b'h'; 3 * BLOCK];
        let copy = arena.copy(&big);
        assert_eq!(copy, Bytes::from(big));
        assert!(!within(&copy, start));
        drop(copy);
        assert!(arena.block.capacity() <= BLOCK);
        assert!(within(&arena.copy(&[2; 100]), start));
    }
}
