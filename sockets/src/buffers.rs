//! Buffer views for the system calls: `&mut [u8]` and `IoSliceMut` as the
//! uninitialised buffers socket2 takes, and the flags a receive reports.

use std::io::IoSliceMut;
use std::mem::MaybeUninit;

use socket2::MaybeUninitSlice;

use crate::flags::SocketFlags;

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
