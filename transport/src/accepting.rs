//! What every listener does with its listening socket, once: accept (in
//! both modes), tell whether a connection waits, name its endpoint, stop.
//! A listener type holds its socket in a field named `socket` and invokes
//! [`accepting_methods!`] in its `impl` block.

/// The accepting methods of a listener whose listening socket is `self.socket`.
macro_rules! accepting_methods {
    () => {
        /// Accepts a connection, blocking (bounded by the socket's receive timeout).
        pub fn accept(&self) -> Result<NetworkStream> {
            Ok(NetworkStream::from_connected(self.socket.accept()?))
        }

        /// Accepts a connection without blocking a thread.
        pub async fn accept_async(&self) -> Result<NetworkStream> {
            Ok(NetworkStream::from_connected(
                self.socket.accept_async().await?,
            ))
        }

        /// True when a connection is waiting to be accepted.
        pub fn pending(&self) -> Result<bool> {
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
