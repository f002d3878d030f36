//! The setters both configuration builders have, once: ALPN, the protocol
//! versions and the handshake timeout. A builder holds fields `alpn`,
//! `min_version`, `max_version` and `handshake_timeout` and invokes
//! [`shared_builder_setters!`] in its `impl` block, with the ALPN doc that
//! says what its end does with the list.

macro_rules! shared_builder_setters {
    ($(#[$alpn_doc:meta])*) => {
        $(#[$alpn_doc])*
        pub fn alpn_protocols<P: AsRef<[u8]>>(
            mut self,
            protocols: impl IntoIterator<Item = P>,
        ) -> Self {
            self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
            self
        }

        /// The lowest protocol version to accept (TLS 1.2 by default).
        pub fn min_protocol_version(mut self, version: TlsVersion) -> Self {
            self.min_version = version;
            self
        }

        /// The highest protocol version to use (TLS 1.3 by default).
        pub fn max_protocol_version(mut self, version: TlsVersion) -> Self {
            self.max_version = version;
            self
        }

        /// How long a handshake may take (10 s by default).
        pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
            self.handshake_timeout = timeout;
            self
        }
    };
}

pub(crate) use shared_builder_setters;
