//! netstack layer 2: the transport layer.
//!
//! TCP and UDP clients and listeners, `NetworkStream`, Unix domain streams and
//! TLS will live here, each owning a [`sockets::Socket`]. This layer is not
//! built yet: it currently exposes nothing but the layer below it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use sockets;
