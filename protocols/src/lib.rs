//! netstack layer 3: the protocol layer.
//!
//! The sans-IO HTTP/1.1 core with its client and server, the URL fetcher, the
//! FTP client and the framing toolkit will live here, on the transport layer.
//! This layer is not built yet: it currently exposes nothing but the layer
//! below it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use transport;
