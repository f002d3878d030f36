//! Buffer views for the system calls: `&mut [u8]` and `IoSliceMut` as the
//! uninitialised buffers socket2 takes, and the flags a receive reports.

use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::ops::Range;

use socket2::MaybeUninitSlice;

use crate::error::{Error, Result, SocketError};
use crate::flags::SocketFlags;

/// The most buffers one `sendmsg`/`recvmsg` takes (`IOV_MAX`: 1,024 on
/// Linux, macOS and the BSDs).
pub(crate) const MAX_SEGMENTS: usize = 1024;

/// Which of `lens` (the buffers' lengths) one system call of a vectored
/// transfer takes. A datagram is one system call, so all of them or, past
/// [`MAX_SEGMENTS`], an error that says so. A stream takes them from the
/// first non-empty one (so that a run of empty buffers never reads as end
/// of stream), at most `MAX_SEGMENTS`: the rest is left as a short transfer
/// would leave it.
pub(crate) fn segment_window(
    lens: impl ExactSizeIterator<Item = usize>,
    datagram: bool,
    verb: &'static str,
) -> Result<Range<usize>> {
    let count = lens.len();
    if count <= MAX_SEGMENTS {
        return Ok(0..count);
    }
    if datagram {
        return Err(
            Error::new(SocketError::MessageSize, verb).with_detail(format!(
                "a datagram goes out or comes in with one system call, which takes at most \
             {MAX_SEGMENTS} buffers, and this call has {count}"
            )),
        );
    }
    let mut lens = lens;
    let start = lens.position(|len| len > 0).unwrap_or(0);
    Ok(start..count.min(start + MAX_SEGMENTS))
}

pub(crate) fn reported_flags(reported: socket2::RecvFlags) -> SocketFlags {
    if reported.is_truncated() {
        SocketFlags::TRUNCATED
    } else {
        SocketFlags::empty()
    }
}

pub(crate) fn as_uninit_slices<'a, 'b>(
    bufs: &'a mut [IoSliceMut<'b>],
) -> &'a mut [MaybeUninitSlice<'b>] {
    // SAFETY: `IoSliceMut` and `MaybeUninitSlice` are both
    // `repr(transparent)` over `iovec` on Unix, and the OS only writes
    // initialised bytes into the buffers.
    unsafe { &mut *(bufs as *mut [IoSliceMut<'b>] as *mut [MaybeUninitSlice<'b>]) }
}

#[inline]
pub(crate) fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; the OS only writes
    // initialised bytes, so the slice stays initialised for the caller.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}
