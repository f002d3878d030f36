//! netstack layer 1: the sockets layer.
//!
//! One [`Socket`] type, shaped after Winsock and .NET's
//! `System.Net.Sockets.Socket`, is the only way netstack reaches the
//! operating system's sockets. It is built on [`socket2`]; the few calls that
//! `socket2` does not cover (`poll`, `recvmsg` with packet information,
//! `getaddrinfo`) use `libc` directly, each `unsafe` block with
//! its reason.
//!
//! - [`Socket`]: create, bind, listen, accept, connect, send, receive, close.
//! - [`EndPoint`]: IPv4, IPv6, Unix paths and abstract names, and [`DnsEndPoint`].
//! - [`SocketError`] and [`Error`]: what failed, where, and the OS code.
//! - [`SocketFlags`]: per-call flags (peek, out-of-band, …) and reported truncation.
//! - [`SocketOption`]: typed options; raw options through
//!   [`Socket::get_raw_option`] and [`Socket::set_raw_option`].
//! - [`select()`] and [`Socket::poll`]: readiness over one or many sockets.
//! - [`CancelToken`]: ends a thread's blocking calls from another thread,
//!   leaving the sockets as they are.
//! - [`Dns`]: name resolution.
//! - Conversions to and from `OwnedFd`, raw descriptors (`AsFd`,
//!   `FromRawFd`, `IntoRawFd`), std's socket types and `socket2::Socket`:
//!   see the `From` impls of [`Socket`].
//! - The asynchronous mode (`accept_async`, `receive_async`, …, [`block_on()`],
//!   [`with_timeout`]): any executor; sockets that wait inside a tokio runtime
//!   use its I/O driver (with the `tokio` feature), all others netstack's own
//!   reactor, which a thread in [`block_on()`] drives itself (or async-io's,
//!   with the `async-io` feature).
//!
//! ```
//! use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
//! # fn main() -> netstack::sockets::Result<()> {
//! let server = Socket::new(AddressFamily::InterNetwork, SocketType::Dgram, ProtocolType::Udp)?;
//! server.bind(([127, 0, 0, 1], 0))?;
//! let client = Socket::new(AddressFamily::InterNetwork, SocketType::Dgram, ProtocolType::Udp)?;
//! client.send_to(b"ping", server.local_endpoint()?)?;
//! let mut buf = [0u8; 64];
//! let (n, from) = server.receive_from(&mut buf)?;
//! assert_eq!(&buf[..n], b"ping");
//! // The client was bound implicitly to a wildcard address; the port matches.
//! assert_eq!(from.as_ip().map(|a| a.port()), client.local_endpoint()?.as_ip().map(|a| a.port()));
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks what each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "async-io")]
mod async_io_link;
mod async_ops;
mod block_on;
mod blocking;
mod bound_path;
mod buffers;
mod cancel;
mod closing;
mod connect;
mod conversions;
mod dns;
mod endpoint;
mod error;
mod flags;
#[cfg(any(feature = "tokio", feature = "async-io"))]
mod forwarder;
mod handle;
mod io_traits;
mod kind;
mod message;
mod op;
mod options;
mod poller;
mod reactor;
mod registration;
mod select;
mod send_file;
mod socket;
mod source;
#[cfg(feature = "tokio")]
mod tokio_link;
mod transfer;
mod wait;
mod waiter;

pub use async_ops::{sleep, with_timeout, Sleep};
pub use block_on::block_on;
pub use blocking::{spawn_blocking, BlockingTask, BlockingThread, MAX_BLOCKING_THREADS};
pub use cancel::{CancelToken, Entered};
pub use dns::Dns;
pub use endpoint::{DnsEndPoint, EndPoint, UnixEndPoint};
pub use error::{Error, Result, SocketError};
pub use flags::SocketFlags;
pub use kind::{AddressFamily, ProtocolType, SocketType};
pub use message::{PacketInformation, ReceivedMessage};
pub use options::{KeepAlive, SocketOption, SocketOptionName};
pub use reactor::{reactor_started, REACTOR_THREAD_NAME};
pub use select::select;
pub use socket::{Shutdown, Socket};
pub use wait::SelectMode;
