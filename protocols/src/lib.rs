//! netstack layer 3: the protocol layer, on the transport layer.
//!
//! - [`http`]: the sans-IO HTTP/1.1 core (heads, framing, bodies, limits).
//!   The client and server drivers, the URL fetcher, the FTP client and the
//!   framing toolkit are not built yet.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod http;

pub use transport;
