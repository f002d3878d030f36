//! netstack layer 2: the transport layer.
//!
//! Every type here owns a [`sockets::Socket`] and reaches the OS only
//! through it, as .NET builds `TcpClient`, `TcpListener`, `UdpClient`,
//! `NetworkStream` and `SslStream` on its `Socket`. Each call that can wait
//! has a synchronous form and an asynchronous one (`_async`).
//!
//! - [`TcpClient`]: connect by host name with Happy Eyeballs v2 (RFC 8305),
//!   through a pluggable [`Resolver`], or to an explicit endpoint.
//! - [`TcpListener`]: bind, start, accept.
//! - [`NetworkStream`]: a connected stream with `Read`/`Write`, the async
//!   I/O traits, timeouts and shutdown; also for Unix domain streams
//!   ([`UnixClient`], [`UnixListener`]).
//! - [`UdpClient`]: datagrams, broadcast and multicast.
//! - [`tls`]: TLS on rustls over any stream.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks what each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod accepting;
mod address;
mod attempt;
mod error;
mod happy_eyeballs;
mod network_stream;
mod resolver;
mod tcp_client;
mod tcp_listener;
pub mod tls;
mod udp_client;
mod unix;

pub use attempt::{AttemptOutcome, ConnectAttempt};
pub use error::{Error, Result};
pub use happy_eyeballs::interleave_addresses;
pub use network_stream::NetworkStream;
pub use resolver::{ResolveFuture, Resolver, StaticResolver, SystemResolver};
pub use tcp_client::{ConnectOptions, TcpClient};
pub use tcp_listener::TcpListener;
pub use udp_client::UdpClient;
pub use unix::{UnixClient, UnixListener};

pub use sockets;
