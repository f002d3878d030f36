//! What every listener does with its listening socket, once: accept (in
//! both modes), tell whether a connection waits, name its endpoint, stop.
//! A listener type holds its socket in a field named `socket` and invokes
//! [`accepting_methods!`] in its `impl` block.

use sockets::{Socket, SocketError, SocketOption, SocketOptionName};

use crate::error::{Error, Result};

/// Fails unless `socket` listens: [`Error::NotListening`] before `start`,
/// `OperationAborted` ("the listener was stopped") after `stop`. The OS
/// says whether the socket listens (`SO_ACCEPTCONN`), so a socket set
/// listening through [`Socket::listen`] counts too.
pub(crate) fn ensure_listening(socket: &Socket, operation: &'static str) -> Result<()> {
    if socket.is_closed() {
        return Err(Error::Socket(
            sockets::Error::new(SocketError::OperationAborted, operation)
                .with_detail("the listener was stopped"),
        ));
    }
    match socket.get_option(SocketOptionName::AcceptConnection)? {
        SocketOption::AcceptConnection(true) => Ok(()),
        _ => Err(Error::NotListening { operation }),
    }
}

/// The accepting methods of a listener whose listening socket is `self.socket`.
macro_rules! accepting_methods {
    () => {
        /// Accepts a connection, blocking (bounded by the socket's receive
        /// timeout). Before `start` it fails with
        /// [`Error::NotListening`](crate::Error::NotListening).
        pub fn accept(&self) -> Result<NetworkStream> {
            crate::accepting::ensure_listening(&self.socket, "accept")?;
            Ok(NetworkStream::from_connected(self.socket.accept()?))
        }

        /// Accepts a connection without blocking a thread. Before `start`
        /// it fails with [`Error::NotListening`](crate::Error::NotListening).
        pub async fn accept_async(&self) -> Result<NetworkStream> {
            crate::accepting::ensure_listening(&self.socket, "accept_async")?;
            Ok(NetworkStream::from_connected(
                self.socket.accept_async().await?,
            ))
        }

        /// True when a connection is waiting to be accepted. Before `start`
        /// it fails with [`Error::NotListening`](crate::Error::NotListening),
        /// after `stop` with `OperationAborted`.
        pub fn pending(&self) -> Result<bool> {
            crate::accepting::ensure_listening(&self.socket, "pending")?;
            Ok(self
                .socket
                .poll(Some(std::time::Duration::ZERO), SelectMode::Read)?)
        }

        /// The bound endpoint (for TCP, with the port the OS chose for port 0).
        pub fn local_endpoint(&self) -> Result<EndPoint> {
            Ok(self.socket.local_endpoint()?)
        }

        /// Stops listening and closes the socket; a pending accept ends
        /// with `OperationAborted`. (A Unix socket's path stays on disk.)
        pub fn stop(&self) {
            self.socket.close()
        }
    };
}

pub(crate) use accepting_methods;
