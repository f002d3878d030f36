//! `send_file`: a file's bytes to a connected socket without copying them
//! through user space (`sendfile(2)` on Linux).

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result, SocketError};
use crate::flags::SocketFlags;
use crate::socket::Socket;
use crate::wait::{deadline_after, wait_ready, SelectMode};

/// Sends from `file`'s position to its end with `sendfile(2)`, adding what
/// it sends to `sent`. `Ok(true)`: the end of the file was reached.
/// `Ok(false)`: progress was made, then the send buffer filled (call again;
/// a timeout restarts, since the peer is reading). `WouldBlock`: nothing
/// could be sent (wait for room). The file position records the progress.
///
/// socket2's `sendfile` takes an explicit offset and leaves the file
/// position alone, so the position is read first and moved past each chunk.
pub(crate) fn send_file_chunks(
    socket: &socket2::Socket,
    file: &File,
    sent: &mut u64,
) -> io::Result<bool> {
    let before = *sent;
    let mut position_holder = file;
    let mut position = position_holder.stream_position()?;
    loop {
        let offset = usize::try_from(position).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the file position does not fit this platform's sendfile offset",
            )
        })?;
        match socket.sendfile(file, offset, None) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                position += n as u64;
                *sent += n as u64;
                position_holder.seek(SeekFrom::Start(position))?;
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock && *sent > before => {
                return Ok(false)
            }
            Err(err) => return Err(err),
        }
    }
}

pub(crate) fn open_for_sending(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::from_io(&e, format!("send_file {}", path.display())))
}

impl Socket {
    /// Sends the file at `path`, with optional bytes before and after it, and
    /// returns the total bytes sent. The file's bytes go from the page cache
    /// to the socket without a copy through user space.
    ///
    /// The call completes or fails, in either blocking mode: on a
    /// non-blocking socket it waits for room in the send buffer. The send
    /// timeout bounds every wait; an error says how many bytes were sent.
    pub fn send_file(
        &self,
        path: impl AsRef<Path>,
        pre_buffer: Option<&[u8]>,
        post_buffer: Option<&[u8]>,
    ) -> Result<u64> {
        let file = open_for_sending(path.as_ref())?;
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
        let mut deadline = None;
        let mut sent = 0u64;
        loop {
            let err = match send_file_chunks(&guard, file, &mut sent) {
                Ok(true) => break,
                Ok(false) => {
                    // Progress: the send timeout bounds each wait, not the whole file.
                    deadline = None;
                    continue;
                }
                Err(err) => err,
            };
            if self.is_closed() {
                let closed = self.closed_error("send_file");
                return Err(self.closed_while_blocked(closed, "send_file"));
            }
            match err.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock if !self.blocking() || self.async_mode() => {
                    let deadline = *deadline.get_or_insert_with(|| {
                        deadline_after(self.cached_timeout(SelectMode::Write))
                    });
                    let ready = wait_ready(guard.as_raw_fd(), SelectMode::Write, deadline)
                        .map_err(|e| self.os_error(&e, self.describe("send_file")))?;
                    if !ready {
                        return Err(
                            Error::new(SocketError::TimedOut, self.describe("send_file"))
                                .with_detail(format!("{sent} bytes of the file were sent")),
                        );
                    }
                }
                _ => {
                    return Err(self
                        .os_error(&err, self.describe("send_file"))
                        .with_detail(format!("{sent} bytes of the file were sent")))
                }
            }
        }
        drop(guard);
        total += sent;
        if let Some(post) = post_buffer {
            total += self.send_all(post, SocketFlags::empty())? as u64;
        }
        Ok(total)
    }

    /// Sends all of `buf`, waiting for room as needed (bounded by the send timeout).
    fn send_all(&self, mut buf: &[u8], flags: SocketFlags) -> Result<usize> {
        let len = buf.len();
        while !buf.is_empty() {
            match self.send_with_flags(buf, flags) {
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == SocketError::WouldBlock => {
                    let timeout = self.cached_timeout(SelectMode::Write);
                    if !self.poll(timeout, SelectMode::Write)? {
                        return Err(e.with_kind(SocketError::TimedOut));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(len)
    }
}
