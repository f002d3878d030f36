//! `send_file`: a file's bytes to a connected socket without copying them
//! through user space (`sendfile(2)` on Linux).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::flags::SocketFlags;
use crate::select::{wait_ready, SelectMode};
use crate::socket::Socket;

/// The most `sendfile(2)` moves in one call on Linux.
const MAX_SENDFILE_CHUNK: usize = 0x7fff_f000;

impl Socket {
    /// Sends the file at `path`, with optional bytes before and after it, and
    /// returns the total bytes sent. The file's bytes go from the page cache
    /// to the socket without a copy through user space.
    ///
    /// The call completes or fails: on a non-blocking socket it waits for
    /// room in the send buffer (bounded by the send timeout, if one is set).
    pub fn send_file(
        &self,
        path: impl AsRef<Path>,
        pre_buffer: Option<&[u8]>,
        post_buffer: Option<&[u8]>,
    ) -> Result<u64> {
        let path = path.as_ref();
        let file = File::open(path)
            .map_err(|e| Error::from_io(&e, format!("send_file {}", path.display())))?;
        self.send_file_handle(&file, pre_buffer, post_buffer)
    }

    /// Like [`send_file`](Socket::send_file) for an open file, sent from its
    /// current position to its end (the position advances).
    pub fn send_file_handle(
        &self,
        file: &File,
        pre_buffer: Option<&[u8]>,
        post_buffer: Option<&[u8]>,
    ) -> Result<u64> {
        let mut total = 0u64;
        if let Some(pre) = pre_buffer {
            total += self.send_all(pre, SocketFlags::MORE)? as u64;
        }
        let guard = self.enter("send_file")?;
        let deadline = self.send_timeout()?.map(|t| Instant::now() + t);
        loop {
            // SAFETY: both descriptors are open for the call (the guard keeps
            // the socket open; `file` is borrowed); a null offset uses and
            // advances the file position.
            let n = unsafe {
                libc::sendfile(
                    guard.as_raw_fd(),
                    file.as_raw_fd(),
                    std::ptr::null_mut(),
                    MAX_SENDFILE_CHUNK,
                )
            };
            if n > 0 {
                total += n as u64;
                continue;
            }
            if n == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted if !self.is_closed() => continue,
                io::ErrorKind::WouldBlock if !self.is_closed() => {
                    let ready = wait_ready(guard.as_raw_fd(), SelectMode::Write, deadline)
                        .map_err(|e| self.os_error(&e, self.describe("send_file")))?;
                    if !ready {
                        return Err(self.os_error(&err, self.describe("send_file")).with_detail(
                            format!("{total} bytes were sent before the send timeout"),
                        ));
                    }
                }
                _ => {
                    return Err(self
                        .os_error(&err, self.describe("send_file"))
                        .with_detail(format!("{total} bytes were sent before the failure")))
                }
            }
        }
        drop(guard);
        if let Some(post) = post_buffer {
            total += self.send_all(post, SocketFlags::empty())? as u64;
        }
        Ok(total)
    }

    /// Sends all of `buf`, waiting for room as needed.
    fn send_all(&self, mut buf: &[u8], flags: SocketFlags) -> Result<usize> {
        let len = buf.len();
        while !buf.is_empty() {
            match self.send_with_flags(buf, flags) {
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == crate::SocketError::WouldBlock => {
                    let timeout = self.send_timeout()?;
                    if !self.poll(timeout, SelectMode::Write)? {
                        return Err(e.with_kind(crate::SocketError::TimedOut));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(len)
    }
}
