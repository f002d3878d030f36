//! netstack: a layered networking stack.
//!
//! Each layer is its own crate, re-exported here:
//!
//! - [`sockets`] (layer 1): the Winsock/.NET-style [`sockets::Socket`], endpoints,
//!   options, `select`/`poll`, DNS. The only layer that touches the OS.
//! - [`transport`] (layer 2): TCP/UDP/Unix clients, listeners and streams, TLS.
//! - [`protocols`] (layer 3): HTTP/1.1, the URL fetcher, FTP, the framing toolkit.
//!
//! ```
//! use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
//! let socket = Socket::new(AddressFamily::InterNetwork, SocketType::Stream, ProtocolType::Tcp).unwrap();
//! assert!(!socket.connected());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks what each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use protocols;
#[doc(inline)]
pub use sockets;
#[doc(inline)]
pub use transport;

/// The `http` crate (requests, responses, headers, methods, status codes)
/// in the version the protocol layer speaks.
pub use http;
/// The `bytes` crate the protocol layer's bodies are made of.
pub use protocols::bytes;
/// The `url` crate whose `Url` the protocol layer takes and returns.
pub use protocols::url;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
