//! The end of a socket's life: `shutdown`, `disconnect` (and its
//! asynchronous form) and `close`, with what .NET does on the way: a close
//! with calls pending resets the connection, and a Unix socket bound to a
//! path removes its file.

use std::net::Shutdown as StdShutdown;
use std::time::Duration;

use crate::endpoint::unspecified_sockaddr;
use crate::error::{Error, Result, SocketError};
use crate::kind::{AddressFamily, ProtocolType, SocketType};
use crate::socket::{Shutdown, Socket};

impl Socket {
    /// Closes one or both directions (`shutdown(2)`).
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let guard = self.enter("shutdown")?;
        let how = match how {
            Shutdown::Receive => StdShutdown::Read,
            Shutdown::Send => StdShutdown::Write,
            Shutdown::Both => StdShutdown::Both,
        };
        guard
            .shutdown(how)
            .map_err(|e| self.os_error(&e, self.describe("shutdown")))
    }

    /// Ends the connection. With `reuse_socket` the socket returns to the
    /// unconnected state and can connect again (on Linux this dissolves the
    /// association with `connect(AF_UNSPEC)`; a TCP connection whose peer has
    /// not finished closing is reset); without it the socket is closed.
    ///
    /// A socket that is not connected fails with [`SocketError::NotConnected`],
    /// a closed one with [`SocketError::OperationAborted`].
    pub fn disconnect(&self, reuse_socket: bool) -> Result<()> {
        let guard = self.enter("disconnect")?;
        if guard.peer_addr().is_err() {
            return Err(
                Error::new(SocketError::NotConnected, self.describe("disconnect"))
                    .with_detail("the socket has no connection to end"),
            );
        }
        if !reuse_socket {
            drop(guard);
            self.close();
            return Ok(());
        }
        if self.socket_type() == SocketType::Stream {
            match guard.shutdown(StdShutdown::Both) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {}
                Err(e) => return Err(self.os_error(&e, "disconnect")),
            }
        }
        let unspec = unspecified_sockaddr();
        match guard.connect(&unspec) {
            Ok(()) => Ok(()),
            // Linux reports EAFNOSUPPORT for some families even though the
            // association is dissolved.
            Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => Ok(()),
            Err(e) => Err(self.os_error(&e, "disconnect")),
        }
    }

    /// Closes the socket. Calls blocked in it on other threads end (see
    /// [`Error::is_aborted_by_close`] for how each reports it); every later
    /// call fails with [`SocketError::OperationAborted`]. Closing twice is
    /// harmless. Dropping the socket closes it too.
    ///
    /// As in .NET, closing a connected TCP socket while a call is pending on
    /// it (blocked in another thread, or an asynchronous call not yet
    /// complete) aborts the connection: the peer sees it reset. With nothing
    /// pending the close is graceful (the peer reads end of stream, after
    /// any data still queued, as the linger setting says).
    ///
    /// The port and the connection are freed at once, but the descriptor
    /// number stays taken (by an inert placeholder) until the socket is
    /// dropped, so that a descriptor borrowed through `AsFd` never names
    /// another file.
    pub fn close(&self) {
        let async_pending = self
            .handle()
            .registration()
            .is_some_and(|registration| registration.source.has_waiters());
        let abortive = self.socket_type() == SocketType::Stream
            && matches!(
                self.protocol_type(),
                ProtocolType::Tcp | ProtocolType::Unspecified
            )
            && matches!(
                self.address_family(),
                AddressFamily::InterNetwork | AddressFamily::InterNetworkV6
            );
        self.handle().close(|socket, others_inside| {
            if !(others_inside || async_pending) {
                return;
            }
            // Dissolving a TCP connection (`connect(AF_UNSPEC)`) resets it
            // and wakes every call blocked in it with an error; shutting
            // down wakes blocked accept/receive/connect/poll calls on
            // listening, unconnected and datagram sockets alike.
            let reset = abortive
                && socket.peer_addr().is_ok()
                && socket.connect(&unspecified_sockaddr()).is_ok();
            if !reset {
                let _ = socket.shutdown(StdShutdown::Both);
            }
        });
        if let Some(registration) = self.handle().registration() {
            registration.source.wake_all();
        }
        if let Some(bound) = self.extras_if_made().and_then(|e| e.bound_path.get()) {
            bound.remove();
        }
    }

    /// Closes the socket after setting linger to `timeout`: the close waits up
    /// to `timeout` for unsent data to be delivered (`Duration::ZERO` resets
    /// the connection at once), like .NET's `Close(int timeout)`.
    pub fn close_timeout(&self, timeout: Duration) -> Result<()> {
        self.set_linger(Some(timeout))?;
        self.close();
        Ok(())
    }

    /// True once [`close`](Socket::close) was called.
    pub fn is_closed(&self) -> bool {
        self.handle().is_closed()
    }

    /// Ends the connection without blocking a thread (.NET's
    /// `DisconnectAsync`): the same as [`disconnect`](Socket::disconnect),
    /// none of whose steps waits on the network (a linger time set with
    /// [`close_timeout`](Socket::close_timeout) still bounds the final close).
    pub async fn disconnect_async(&self, reuse_socket: bool) -> Result<()> {
        self.disconnect(reuse_socket)
    }
}
