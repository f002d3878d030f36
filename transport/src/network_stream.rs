//! `NetworkStream`: a connected stream socket as a byte stream, in both modes.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use sockets::{EndPoint, Shutdown, Socket, SocketType};

use crate::error::{Error, Result};

/// A connected stream (TCP or Unix domain) over one [`Socket`], like .NET's
/// `NetworkStream`: std [`Read`]/[`Write`] (so it works under `BufReader`
/// and `BufWriter`), async reads and writes (the `futures-io` traits, and
/// tokio's with the `tokio` feature), timeouts and shutdown.
///
/// A read or write timeout that fires fails the call with `TimedOut` and
/// leaves the stream usable. The timeouts bound the async methods
/// (`read_async`, `write_all_async`, …) too, but not the poll-based
/// `AsyncRead`/`AsyncWrite` impls, which cannot tell a new call from a
/// re-poll: bound those with `sockets::with_timeout` or your runtime's timeout.
///
/// ```
/// use std::io::{Read, Write};
/// use netstack::transport::{TcpClient, TcpListener};
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
/// listener.start(8).unwrap();
/// let mut client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap()).unwrap().into_stream();
/// let mut server = listener.accept().unwrap();
/// client.write_all(b"ping").unwrap();
/// let mut buf = [0u8; 4];
/// server.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"ping");
/// ```
#[derive(Debug)]
pub struct NetworkStream {
    socket: Socket,
}

impl NetworkStream {
    /// Wraps a connected stream socket in blocking mode. As .NET's
    /// `NetworkStream` constructor, it refuses a socket that is not a
    /// stream socket ([`Error::NotStreamSocket`]), not connected
    /// ([`Error::NotConnected`]) or in non-blocking mode
    /// ([`Error::NonBlockingSocket`]). A socket used in async mode is
    /// fine: it stays in blocking mode for its synchronous calls.
    pub fn new(socket: Socket) -> Result<NetworkStream> {
        if socket.socket_type() != SocketType::Stream {
            return Err(Error::NotStreamSocket {
                socket_type: socket.socket_type(),
            });
        }
        if !socket.connected() {
            return Err(Error::NotConnected);
        }
        if !socket.blocking() {
            return Err(Error::NonBlockingSocket);
        }
        Ok(NetworkStream { socket })
    }

    pub(crate) fn from_connected(socket: Socket) -> NetworkStream {
        NetworkStream { socket }
    }

    /// The socket underneath.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Gives the socket back.
    pub fn into_socket(self) -> Socket {
        self.socket
    }

    /// Reads into `buf`, blocking (as the socket's mode says); 0 means the
    /// peer has finished sending. The mode is in the name, as in
    /// [`read_async`](Self::read_async), so that the `read` of the
    /// `AsyncRead` extension traits (tokio's, futures') is never shadowed
    /// by a blocking call; `std::io::Read` is implemented too.
    pub fn read_sync(&self, buf: &mut [u8]) -> Result<usize> {
        Ok(self.socket.receive(buf)?)
    }

    /// Writes from `buf`, blocking; returns how much was written.
    pub fn write_sync(&self, buf: &[u8]) -> Result<usize> {
        Ok(self.socket.send(buf)?)
    }

    /// Writes all of `buf`, blocking.
    pub fn write_all_sync(&self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            let n = self.socket.send(buf)?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Reads into `buf` without blocking a thread.
    pub async fn read_async(&self, buf: &mut [u8]) -> Result<usize> {
        Ok(self.socket.receive_async(buf).await?)
    }

    /// Fills `buf` exactly; a stream that ends first is an `UnexpectedEof`-style error.
    pub async fn read_exact_async(&self, buf: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = self.socket.receive_async(&mut buf[filled..]).await?;
            if n == 0 {
                return Err(Error::Socket(
                    sockets::Error::new(sockets::SocketError::ConnectionAborted, "read_exact")
                        .with_detail(format!(
                            "the stream ended after {filled} of {} bytes",
                            buf.len()
                        )),
                ));
            }
            filled += n;
        }
        Ok(())
    }

    /// Writes from `buf` without blocking a thread.
    pub async fn write_async(&self, buf: &[u8]) -> Result<usize> {
        Ok(self.socket.send_async(buf).await?)
    }

    /// Writes all of `buf` without blocking a thread.
    pub async fn write_all_async(&self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            let n = self.socket.send_async(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// How long a read waits before failing with `TimedOut`; `None` waits forever.
    pub fn read_timeout(&self) -> Result<Option<Duration>> {
        Ok(self.socket.receive_timeout()?)
    }

    /// Sets the read timeout (sync and async reads).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        Ok(self.socket.set_receive_timeout(timeout)?)
    }

    /// How long a write waits before failing with `TimedOut`; `None` waits forever.
    pub fn write_timeout(&self) -> Result<Option<Duration>> {
        Ok(self.socket.send_timeout()?)
    }

    /// Sets the write timeout (sync and async writes).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        Ok(self.socket.set_send_timeout(timeout)?)
    }

    /// True when bytes can be read at once.
    pub fn data_available(&self) -> Result<bool> {
        Ok(self.socket.available()? > 0)
    }

    /// Closes one or both directions; `Shutdown::Send` lets the peer see end of stream.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.socket.shutdown(how)?)
    }

    /// The local endpoint.
    pub fn local_endpoint(&self) -> Result<EndPoint> {
        Ok(self.socket.local_endpoint()?)
    }

    /// The peer's endpoint.
    pub fn remote_endpoint(&self) -> Result<EndPoint> {
        Ok(self.socket.remote_endpoint()?)
    }

    /// Whether Nagle's algorithm is off (TCP only).
    pub fn no_delay(&self) -> Result<bool> {
        Ok(self.socket.no_delay()?)
    }

    /// Turns Nagle's algorithm off or on (TCP only).
    pub fn set_no_delay(&self, no_delay: bool) -> Result<()> {
        Ok(self.socket.set_no_delay(no_delay)?)
    }

    /// Closes the stream; pending calls on other threads end with `OperationAborted`.
    pub fn close(&self) {
        self.socket.close()
    }
}

impl Read for &NetworkStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.socket).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.socket).read_vectored(bufs)
    }
}

impl Write for &NetworkStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.socket).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.socket).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for NetworkStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Read::read_vectored(&mut &*self, bufs)
    }
}

impl Write for NetworkStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Write::write_vectored(&mut &*self, bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

macro_rules! futures_io_impls {
    ($ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &self.socket).poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &self.socket).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &self.socket).poll_write_vectored(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &self.socket).poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &self.socket).poll_close(cx)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                tokio::io::AsyncRead::poll_read(Pin::new(&mut &self.socket), cx, buf)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write(Pin::new(&mut &self.socket), cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(Pin::new(&mut &self.socket), cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut &self.socket), cx)
            }
        }
    };
}

futures_io_impls!(NetworkStream);
futures_io_impls!(&NetworkStream);
