//! TLS on rustls over any stream, client and server, in both modes — the
//! `SslStream` of this stack.
//!
//! - [`TlsClientConfig`] / [`TlsServerConfig`]: what to trust (the system's
//!   roots by default, a bundled set, or PEM of your own), what to present
//!   (certificate chains, chosen by SNI on a server; client certificates),
//!   ALPN, protocol versions, session resumption, the handshake timeout.
//! - [`TlsStream`]: the session over a stream — synchronous over
//!   `Read + Write` ([`NetworkStream`](crate::NetworkStream),
//!   `&NetworkStream`, anything wrapped in [`Unmanaged`]), asynchronous over
//!   the `futures-io` traits (and tokio's, with the `tokio` feature). Both
//!   modes drive one shared core around rustls's connection state.
//! - [`TlsError`]: distinct variants for an expired certificate, an
//!   unknown issuer, a wrong host name, an alert from the peer, no common
//!   protocol version, a missing client certificate, a handshake timeout,
//!   and a connection cut without `close_notify` (truncation, never a
//!   clean end of stream).
//!
//! The cryptography is rustls's *ring* provider; nothing here installs a
//! process-wide default.
//!
//! A client and a server on loopback, synchronous and asynchronous (the
//! certificate comes from `rcgen`, as in the tests):
//!
//! ```
//! use std::io::{Read, Write};
//! use netstack::transport::tls::{TlsClientConfig, TlsServerConfig, TlsStream, TlsVersion};
//! use netstack::transport::{TcpClient, TcpListener};
//!
//! // A self-signed certificate for "localhost", trusted by the client.
//! let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
//! let cert_pem = cert.cert.pem();
//! let key_pem = cert.signing_key.serialize_pem();
//! let server_config = TlsServerConfig::builder()
//!     .certificate_pem(&cert_pem, &key_pem)
//!     .alpn_protocols(["echo"])
//!     .build()?;
//! let client_config = TlsClientConfig::builder()
//!     .add_root_certificates_pem(&cert_pem)
//!     .alpn_protocols(["echo"])
//!     .build()?;
//!
//! let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! listener.start(8)?;
//! let endpoint = listener.local_endpoint()?;
//!
//! // Synchronous: a server thread echoes one message back.
//! type BoxError = Box<dyn std::error::Error + Send + Sync>;
//! let server = std::thread::spawn(move || -> Result<(), BoxError> {
//!     let mut tls = TlsStream::accept(&server_config, listener.accept()?)?;
//!     assert_eq!(tls.server_name(), Some("localhost"));
//!     let mut buf = [0u8; 5];
//!     tls.read_exact(&mut buf)?;
//!     tls.write_all(&buf)?;
//!     tls.shutdown()?;
//!     // The asynchronous mode, on the same listener.
//!     netstack::sockets::block_on(async {
//!         let stream = listener.accept_async().await?;
//!         let mut tls = TlsStream::accept_async(&server_config, stream).await?;
//!         let mut buf = [0u8; 5];
//!         let n = tls.read_async(&mut buf).await?;
//!         tls.write_all_async(&buf[..n]).await?;
//!         tls.shutdown_async().await?;
//!         Ok(())
//!     })
//! });
//!
//! let stream = TcpClient::connect_endpoint(endpoint.clone())?.into_stream();
//! let mut tls = TlsStream::connect(&client_config, "localhost", stream)?;
//! assert_eq!(tls.alpn_protocol(), Some(&b"echo"[..]));
//! assert!(tls.protocol_version() >= Some(TlsVersion::Tls12));
//! tls.write_all(b"hello")?;
//! let mut reply = Vec::new();
//! tls.read_to_end(&mut reply)?; // Ok(0) after the server's close_notify
//! assert_eq!(reply, b"hello");
//!
//! netstack::sockets::block_on(async {
//!     let stream = TcpClient::connect_endpoint_async(endpoint).await?.into_stream();
//!     let mut tls = TlsStream::connect_async(&client_config, "localhost", stream).await?;
//!     tls.write_all_async(b"async").await?;
//!     let mut buf = [0u8; 5];
//!     let n = tls.read_async(&mut buf).await?;
//!     assert_eq!(&buf[..n], b"async");
//!     Ok::<_, BoxError>(())
//! })?;
//! server.join().unwrap()?;
//! # Ok::<(), BoxError>(())
//! ```

use std::time::Duration;

mod builder_setters;
mod certificate;
mod client_config;
mod control;
mod core;
mod error;
mod pem;
mod pin;
mod rustls_wrapper;
mod server_config;
mod server_verifier;
mod stream;
mod verifier;
mod version;

pub use certificate::CertificateInfo;
pub use client_config::{TlsClientConfig, TlsClientConfigBuilder};
pub use control::{StreamControl, Unmanaged};
pub use error::TlsError;
pub use pin::{PinError, PublicKeyPin};
pub use server_config::{ClientAuth, TlsServerConfig, TlsServerConfigBuilder};
pub use stream::TlsStream;
pub use version::TlsVersion;

/// The rustls crate this module is built on, for its types in this API
/// (`AlertDescription`, `CertificateError`, `CertificateDer`, configurations).
pub use rustls;

/// How long a handshake may take unless configured otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
