//! What both configurations do with the rustls configuration they wrap,
//! once: wrap one built by hand, lend it, and carry the handshake timeout.
//! A configuration type holds fields `inner` and `handshake_timeout` and
//! invokes [`rustls_wrapper_methods!`] in its `impl` block.

/// The methods of a configuration type `$config` wrapping an
/// `Arc<$rustls>` in `self.inner`.
macro_rules! rustls_wrapper_methods {
    ($config:ident, $rustls:ty) => {
        /// Wraps a rustls configuration built by hand, with the default handshake timeout.
        pub fn from_rustls(config: Arc<$rustls>) -> $config {
            $config {
                inner: config,
                handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            }
        }

        /// The rustls configuration underneath.
        pub fn rustls_config(&self) -> &Arc<$rustls> {
            &self.inner
        }

        /// How long a handshake may take before it fails with
        /// [`TlsError::HandshakeTimeout`].
        pub fn handshake_timeout(&self) -> Duration {
            self.handshake_timeout
        }

        /// The same configuration with another handshake timeout.
        pub fn with_handshake_timeout(mut self, timeout: Duration) -> $config {
            self.handshake_timeout = timeout;
            self
        }
    };
}

pub(crate) use rustls_wrapper_methods;
