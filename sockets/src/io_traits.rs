//! Interop: `futures_io::AsyncRead`/`AsyncWrite` for sockets (and, with the
//! `tokio` feature, `tokio::io::AsyncRead`/`AsyncWrite`), so a connected
//! stream socket plugs into the async I/O ecosystem.
//!
//! The trait methods have no future of their own to keep a waker slot in, so
//! each socket keeps one slot per direction for them (as tokio's types do):
//! one task at a time should poll each direction through these traits.
//!
//! The socket's receive and send timeouts do **not** apply to these poll
//! methods: a `poll_read` cannot tell a new read from the re-poll of one that
//! was abandoned, so a per-call timer would fire on the wrong call. Bound
//! them with your runtime's timeout, or use the futures (`receive_async`,
//! `NetworkStream::read_async`, …), which do apply the socket's timeouts.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use socket2::MaybeUninitSlice;

use crate::buffers::{as_uninit, as_uninit_slices, segment_window};
use crate::op::Verb;
use crate::socket::Socket;
use crate::source::{Direction, TRAIT_WAITER};
use crate::waiter::Waiter;

impl Socket {
    fn poll_trait_op<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        verb: Verb,
        op: impl FnMut(&socket2::Socket) -> io::Result<T>,
        drained: impl Fn(&T) -> bool,
    ) -> Poll<io::Result<T>> {
        let mut slot = self.trait_waiters().slot(direction);
        let waiter = slot.get_or_insert_with(|| Waiter::with_id(TRAIT_WAITER));
        self.poll_op(cx, waiter, direction, verb, None, op, drained)
            .map(|r| r.map_err(io::Error::from))
    }

    fn poll_read_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let datagrams = self.socket_type().has_message_boundaries();
        let short = self.short_transfer(len);
        let result = self.poll_trait_op(
            cx,
            Direction::Read,
            Verb::Read,
            |s| {
                if datagrams {
                    let mut bufs = [MaybeUninitSlice::new(&mut *buf)];
                    s.recv_vectored_with_flags(&mut bufs, 0)
                        .map(|(n, flags)| (n, flags.is_truncated()))
                } else {
                    s.recv(&mut *buf).map(|n| (n, false))
                }
            },
            |(n, _)| short(n),
        );
        self.finish_trait_read(result, len)
    }

    fn poll_read_vectored_into(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let datagram = self.socket_type().has_message_boundaries();
        let bufs = match segment_window(bufs.iter().map(|b| b.len()), datagram, "read") {
            Ok(window) => &mut bufs[window],
            Err(err) => return Poll::Ready(Err(err.into())),
        };
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let bufs = as_uninit_slices(bufs);
        let short = self.short_transfer(total);
        let result = self.poll_trait_op(
            cx,
            Direction::Read,
            Verb::Read,
            |s| {
                s.recv_vectored_with_flags(bufs, 0)
                    .map(|(n, flags)| (n, flags.is_truncated()))
            },
            |(n, _)| short(n),
        );
        self.finish_trait_read(result, total)
    }

    /// Truncation is an error (never silent); 0 after `close` is `OperationAborted`.
    fn finish_trait_read(
        &self,
        result: Poll<io::Result<(usize, bool)>>,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        match result {
            Poll::Ready(Ok((_, true))) => Poll::Ready(Err(self.truncated(len).into())),
            Poll::Ready(Ok((n, false))) if len > 0 => {
                Poll::Ready(self.aborted_if_closed(n, "read").map_err(io::Error::from))
            }
            Poll::Ready(Ok((n, false))) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write_from(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_trait_op(
            cx,
            Direction::Write,
            Verb::Write,
            |s| s.send_with_flags(buf, libc::MSG_NOSIGNAL),
            self.short_transfer(buf.len()),
        )
    }

    fn poll_write_vectored_from(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let datagram = self.socket_type().has_message_boundaries();
        let bufs = match segment_window(bufs.iter().map(|b| b.len()), datagram, "write") {
            Ok(window) => &bufs[window],
            Err(err) => return Poll::Ready(Err(err.into())),
        };
        let total = bufs.iter().map(|b| b.len()).sum();
        self.poll_trait_op(
            cx,
            Direction::Write,
            Verb::Write,
            |s| s.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL),
            self.short_transfer(total),
        )
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self.shutdown(crate::Shutdown::Send) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == crate::SocketError::NotConnected => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    as_uninit(buf)
}

/// The writing methods futures-io's and tokio's `AsyncWrite` share: a
/// write is a send, and a socket has nothing to flush.
macro_rules! poll_write_methods {
    () => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_from(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_vectored_from(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    };
}

macro_rules! futures_io_impls {
    ($ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_into(cx, uninit(buf))
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_vectored_into(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            poll_write_methods!();

            /// Shuts down the sending direction: the peer sees end of stream.
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown_write())
            }
        }
    };
}

futures_io_impls!(Socket);
futures_io_impls!(&Socket);

#[cfg(feature = "tokio")]
mod tokio_io {
    use super::*;
    use tokio::io::ReadBuf;

    fn poll_read_buf(
        socket: &Socket,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: the OS writes only initialised bytes into the unfilled part,
        // and we mark as initialised exactly the `n` bytes it reported.
        let unfilled = unsafe { buf.unfilled_mut() };
        match socket.poll_read_into(cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                // SAFETY: `n` bytes were just written by the OS.
                unsafe { buf.assume_init(n) };
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    macro_rules! tokio_impls {
        ($ty:ty) => {
            impl tokio::io::AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut ReadBuf<'_>,
                ) -> Poll<io::Result<()>> {
                    poll_read_buf(&self, cx, buf)
                }
            }

            impl tokio::io::AsyncWrite for $ty {
                poll_write_methods!();

                fn is_write_vectored(&self) -> bool {
                    true
                }

                fn poll_shutdown(
                    self: Pin<&mut Self>,
                    _: &mut Context<'_>,
                ) -> Poll<io::Result<()>> {
                    Poll::Ready(self.shutdown_write())
                }
            }
        };
    }

    tokio_impls!(Socket);
    tokio_impls!(&Socket);
}
