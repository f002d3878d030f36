//! `StreamControl`: what the synchronous TLS driver may ask of the stream
//! beneath besides `Read`/`Write`: per-call timeouts (to bound the
//! handshake) and a write-side shutdown (after `close_notify`).

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::time::Duration;

use sockets::{Shutdown, Socket};

use crate::NetworkStream;

/// Timeouts and write shutdown for a blocking stream, used by the
/// synchronous [`TlsStream`](super::TlsStream) calls: the handshake sets
/// the read and write timeouts to the time left before its deadline (and
/// restores them afterwards), and [`shutdown`](super::TlsStream::shutdown)
/// shuts the write side after sending `close_notify`.
///
/// Every method has a default that does nothing (no timeout support, no
/// shutdown), so a stream type of your own only needs
/// `impl StreamControl for MyStream {}`; for a stream type from another
/// crate (e.g. std's), wrap it in [`Unmanaged`]. Without timeout support
/// the handshake deadline is checked between reads and writes only, so it
/// is enforced as tightly as the stream's own timeouts allow.
pub trait StreamControl {
    /// The current read timeout (`None`: reads wait forever).
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(None)
    }

    /// Sets the read timeout; a read that waits longer fails with
    /// `TimedOut` or `WouldBlock`.
    fn set_read_timeout(&mut self, _timeout: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    /// The current write timeout (`None`: writes wait forever).
    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(None)
    }

    /// Sets the write timeout.
    fn set_write_timeout(&mut self, _timeout: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the write side, so the peer reads end of stream.
    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An owned stream is controlled as its shared reference is.
macro_rules! control_by_reference {
    ($owned:ty) => {
        impl StreamControl for $owned {
            fn read_timeout(&self) -> io::Result<Option<Duration>> {
                StreamControl::read_timeout(&self)
            }

            fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                StreamControl::set_read_timeout(&mut &*self, timeout)
            }

            fn write_timeout(&self) -> io::Result<Option<Duration>> {
                StreamControl::write_timeout(&self)
            }

            fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                StreamControl::set_write_timeout(&mut &*self, timeout)
            }

            fn shutdown_write(&mut self) -> io::Result<()> {
                StreamControl::shutdown_write(&mut &*self)
            }
        }
    };
}

/// A pointer to a stream is controlled as the stream is.
macro_rules! control_through_pointer {
    ($pointer:ty) => {
        impl<T: StreamControl + ?Sized> StreamControl for $pointer {
            fn read_timeout(&self) -> io::Result<Option<Duration>> {
                (**self).read_timeout()
            }

            fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                (**self).set_read_timeout(timeout)
            }

            fn write_timeout(&self) -> io::Result<Option<Duration>> {
                (**self).write_timeout()
            }

            fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                (**self).set_write_timeout(timeout)
            }

            fn shutdown_write(&mut self) -> io::Result<()> {
                (**self).shutdown_write()
            }
        }
    };
}

impl StreamControl for &NetworkStream {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(NetworkStream::read_timeout(self)?)
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(NetworkStream::set_read_timeout(self, timeout)?)
    }

    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(NetworkStream::write_timeout(self)?)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(NetworkStream::set_write_timeout(self, timeout)?)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(NetworkStream::shutdown(self, Shutdown::Send)?)
    }
}

control_by_reference!(NetworkStream);

impl StreamControl for &Socket {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.receive_timeout()?)
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(self.set_receive_timeout(timeout)?)
    }

    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.send_timeout()?)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Ok(self.set_send_timeout(timeout)?)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(self.shutdown(Shutdown::Send)?)
    }
}

control_by_reference!(Socket);

control_through_pointer!(&mut T);

control_through_pointer!(Box<T>);

/// Any `Read + Write` stream whose timeouts and shutdown TLS leaves alone,
/// for the synchronous [`TlsStream`](super::TlsStream) calls over stream
/// types netstack does not know (std's, an in-memory pipe, ...).
///
/// The handshake deadline is then checked between reads and writes: set a
/// read timeout on the stream itself (or make it non-blocking) for the
/// handshake timeout to be enforced while the peer is silent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Unmanaged<S>(pub S);

impl<S> StreamControl for Unmanaged<S> {}

impl<S: Read> Read for Unmanaged<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.0.read_vectored(bufs)
    }
}

impl<S: Write> Write for Unmanaged<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
