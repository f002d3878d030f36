//! The synchronous transfers: `send` and `receive` with their flags,
//! vectored and datagram variants, and std's `Read`/`Write` for sockets.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::time::Duration;

use socket2::MaybeUninitSlice;

use crate::buffers::{as_uninit, as_uninit_slices, reported_flags, segment_window};
use crate::endpoint::EndPoint;
use crate::error::{Error, Result, SocketError};
use crate::flags::SocketFlags;
use crate::kind::SocketType;
use crate::socket::Socket;
use crate::wait::SelectMode;

impl Socket {
    #[cold]
    pub(crate) fn truncated(&self, len: usize) -> Error {
        self.truncated_error("receive", len)
    }

    // ----- sending -----

    /// Sends bytes (`send(2)`); returns how many were sent. Never raises `SIGPIPE`.
    #[inline]
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        let n = self.sync_op("send", SelectMode::Write, |s| {
            s.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })?;
        self.sent(n)
    }

    /// Sends bytes with flags (out-of-band, don't-route, more).
    pub fn send_with_flags(&self, buf: &[u8], flags: SocketFlags) -> Result<usize> {
        let n = self.sync_op("send", SelectMode::Write, |s| {
            s.send_with_flags(buf, flags.to_msg() | libc::MSG_NOSIGNAL)
        })?;
        self.sent(n)
    }

    /// A blocking send that the socket's close cut short reports the abort
    /// even when the kernel took part of the buffer first: the close reset
    /// the connection, and what the kernel held went with it.
    #[inline]
    fn sent(&self, n: usize) -> Result<usize> {
        if self.is_closed() {
            return Err(self.closed_while_blocked(self.closed_error("send"), "send"));
        }
        Ok(n)
    }

    /// Sends several buffers (`sendmsg(2)`, gather); zero-length buffers are
    /// fine. On a stream any number of buffers is taken: past the 1,024 one
    /// system call takes, they go out in turns while each turn is sent
    /// whole (the count says how far it got). A datagram is one system call,
    /// so more than 1,024 buffers fail with [`SocketError::MessageSize`].
    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        self.send_vectored_with_flags(bufs, SocketFlags::empty())
    }

    /// Sends several buffers, with flags (see [`send_vectored`](Socket::send_vectored)).
    pub fn send_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        flags: SocketFlags,
    ) -> Result<usize> {
        let datagram = self.socket_type().has_message_boundaries();
        let mut rest = bufs;
        let mut sent = 0;
        loop {
            let window = segment_window(rest.iter().map(|b| b.len()), datagram, "send")?;
            let turn = &rest[window.clone()];
            let len: usize = turn.iter().map(|b| b.len()).sum();
            let n = match self.sync_op("send", SelectMode::Write, |s| {
                s.send_vectored_with_flags(turn, flags.to_msg() | libc::MSG_NOSIGNAL)
            }) {
                Ok(n) => self.sent(n)?,
                // What went out is reported; the next call meets the error.
                Err(_) if sent > 0 => return Ok(sent),
                Err(e) => return Err(e),
            };
            sent += n;
            if n < len || window.end == rest.len() {
                return Ok(sent);
            }
            rest = &rest[window.end..];
        }
    }

    /// Sends a datagram to an endpoint (`sendto(2)`). A
    /// [`DnsEndPoint`](crate::DnsEndPoint) is refused.
    pub fn send_to(&self, buf: &[u8], endpoint: impl Into<EndPoint>) -> Result<usize> {
        self.send_to_with_flags(buf, endpoint, SocketFlags::empty())
    }

    /// Sends a datagram to an endpoint, with flags.
    pub fn send_to_with_flags(
        &self,
        buf: &[u8],
        endpoint: impl Into<EndPoint>,
        flags: SocketFlags,
    ) -> Result<usize> {
        let endpoint = endpoint.into();
        let addr = endpoint.to_sockaddr(self.address_family(), "send_to")?;
        self.sync_op("send_to", SelectMode::Write, |s| {
            s.send_to_with_flags(buf, &addr, flags.to_msg() | libc::MSG_NOSIGNAL)
        })
    }

    // ----- receiving -----

    /// Receives bytes (`recv(2)`).
    ///
    /// On a stream socket, returns 0 at end of stream. An empty `buf` waits
    /// (as in Winsock) until data can be read, then returns 0 without consuming
    /// anything. On a datagram socket one call returns one datagram; one larger
    /// than `buf` fails with [`SocketError::MessageSize`] after filling `buf`
    /// (use [`receive_with_flags`](Socket::receive_with_flags) to get the
    /// truncated bytes without an error).
    #[inline]
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() || self.socket_type().has_message_boundaries() {
            let (n, flags) = self.receive_with_flags(buf, SocketFlags::empty())?;
            if flags.contains(SocketFlags::TRUNCATED) {
                return Err(self.truncated_error("receive", buf.len()));
            }
            return Ok(n);
        }
        let n = self.sync_op("receive", SelectMode::Read, |s| s.recv(as_uninit(buf)))?;
        self.sync_aborted_if_closed(n, "receive")
    }

    #[cold]
    fn truncated_error(&self, verb: &str, len: usize) -> Error {
        Error::new(SocketError::MessageSize, self.describe(verb)).with_detail(format!(
            "the datagram was larger than the {len}-byte buffer and was cut"
        ))
    }

    /// Receives bytes with flags; returns the count and the reported flags
    /// ([`SocketFlags::TRUNCATED`] when a datagram was cut to fit `buf`).
    pub fn receive_with_flags(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<(usize, SocketFlags)> {
        if buf.is_empty() && self.socket_type() == SocketType::Stream {
            self.wait_for_data("receive")?;
            return Ok((0, SocketFlags::empty()));
        }
        let (n, reported) = self.sync_op("receive", SelectMode::Read, |s| {
            let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
            s.recv_vectored_with_flags(&mut bufs, flags.to_msg())
        })?;
        Ok((
            self.sync_aborted_if_closed(n, "receive")?,
            reported_flags(reported),
        ))
    }

    /// The Winsock zero-byte receive: wait until data (or end of stream) can be read.
    fn wait_for_data(&self, verb: &'static str) -> Result<()> {
        let timeout = if self.blocking() {
            self.receive_timeout()?
        } else {
            Some(Duration::ZERO)
        };
        if self.poll(timeout, SelectMode::Read)? {
            return Ok(());
        }
        if self.is_closed() {
            return Err(self.closed_while_blocked(self.closed_error(verb), verb));
        }
        let kind = if self.blocking() {
            SocketError::TimedOut
        } else {
            SocketError::WouldBlock
        };
        Err(Error::new(kind, self.describe(verb)))
    }

    /// Receives into several buffers in one call (`recvmsg(2)`, scatter). On
    /// a stream any number of buffers is taken (one call fills at most
    /// 1,024 of them, from the first non-empty one); on a datagram socket
    /// more than 1,024 fail with [`SocketError::MessageSize`].
    pub fn receive_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        let (n, flags) = self.receive_vectored_with_flags(bufs, SocketFlags::empty())?;
        if flags.contains(SocketFlags::TRUNCATED) {
            let len = bufs.iter().map(|b| b.len()).sum();
            return Err(self.truncated_error("receive", len));
        }
        Ok(n)
    }

    /// Receives into several buffers with flags; returns the count and the reported flags.
    pub fn receive_vectored_with_flags(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: SocketFlags,
    ) -> Result<(usize, SocketFlags)> {
        let datagram = self.socket_type().has_message_boundaries();
        let window = segment_window(bufs.iter().map(|b| b.len()), datagram, "receive")?;
        let bufs = as_uninit_slices(&mut bufs[window]);
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let (n, reported) = self.sync_op("receive", SelectMode::Read, |s| {
            s.recv_vectored_with_flags(bufs, flags.to_msg())
        })?;
        let n = if total == 0 {
            n
        } else {
            self.sync_aborted_if_closed(n, "receive")?
        };
        Ok((n, reported_flags(reported)))
    }

    /// Receives a datagram and its sender (`recvfrom(2)`). A datagram larger
    /// than `buf` fails with [`SocketError::MessageSize`] after filling `buf`.
    pub fn receive_from(&self, buf: &mut [u8]) -> Result<(usize, EndPoint)> {
        let (n, from, flags) = self.receive_from_with_flags(buf, SocketFlags::empty())?;
        if flags.contains(SocketFlags::TRUNCATED) {
            return Err(self.truncated_error("receive_from", buf.len()));
        }
        Ok((n, from))
    }

    /// Receives a datagram and its sender with flags; reports truncation in the returned flags.
    pub fn receive_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<(usize, EndPoint, SocketFlags)> {
        let (n, reported, addr) = self.sync_op("receive_from", SelectMode::Read, |s| {
            let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
            s.recv_from_vectored_with_flags(&mut bufs, flags.to_msg())
        })?;
        let n = self.sync_aborted_if_closed(n, "receive_from")?;
        Ok((n, EndPoint::from_sockaddr(&addr), reported_flags(reported)))
    }
}

impl Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.receive(buf)?)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(self.receive_vectored(bufs)?)
    }
}

impl Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(self.send_vectored(bufs)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
