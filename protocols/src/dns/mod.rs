//! DNS: a stub client — a worked protocol on the transport layer and the
//! framing toolkit.
//!
//! - [`Query`], [`DnsResponse`], [`RecordType`], [`RData`]: the sans-IO
//!   part. A `Query` encodes itself (random ID, one question, recursion
//!   desired) and judges every packet that comes back
//!   ([`Query::check_reply`]): not ours (ID or question differ) →
//!   ignored; ours and truncated → ask over TCP; ours with an error code
//!   → [`Error`]; otherwise the parsed [`DnsResponse`]. Every read of a
//!   reply is bounds-checked and compression pointers cannot loop, so a
//!   hostile packet is an error value, never a panic.
//! - [`DnsClient`]: the driver, sync and async, over the transport layer.
//! - [`Error`]: what went wrong (`dns: …`), wrapping the layer below.
//!
//! # How it is built
//!
//! DNS normally runs over UDP: one datagram out, one back. The client
//! takes a [`transport::UdpClient`] bound to a random port and *connects*
//! it to the server, so the kernel already drops datagrams from other
//! addresses. It sends the query and waits for a datagram with a receive
//! timeout (sync) or [`sockets::with_timeout`] (async). Each datagram goes
//! to [`Query::check_reply`]; an ignored one (a late reply to an earlier
//! query, a spoofing attempt) does not end the wait. When the attempt's
//! time is up the query is sent again, up to the configured attempts, with
//! the same ID so that a late reply to an earlier attempt still counts.
//!
//! A server whose reply does not fit a 512-byte datagram sends what fits
//! and sets the TC bit. The client then asks again over TCP, where every
//! message is preceded by its length in two big-endian bytes (RFC 1035
//! §4.2.2). That is exactly what the framing toolkit's
//! [`LengthDelimitedCodec`](crate::framing::LengthDelimitedCodec) does when
//! configured with [`LengthField::U16`](crate::framing::LengthField::U16):
//! wrapped in a [`Framed`](crate::framing::Framed) over a
//! [`transport::TcpClient`]'s stream, one `write_frame` sends the query and
//! `read_frame` returns whole replies, however TCP splits them. A server
//! that closes inside a frame is a framing error
//! ([`framing::Error::StreamEndedInFrame`](crate::framing::Error::StreamEndedInFrame)),
//! never a hang or a half-parsed reply.
//!
//! The sync and async drivers are the same few lines around one `Query`
//! and one retry policy; only the waiting differs.
//!
//! ```no_run
//! use netstack::protocols::dns::{DnsClient, RecordType};
//!
//! let client = DnsClient::new(([127, 0, 0, 1], 5353));
//! for record in client.query("example.test", RecordType::Mx)?.answers {
//!     println!("{record}");
//! }
//! println!("{:?}", client.lookup_ip("example.test")?);
//! # Ok::<(), netstack::protocols::dns::Error>(())
//! ```
//!
//! Not supported: EDNS(0) (queries are plain, so replies over 512 bytes go
//! through TCP), DNSSEC, more than one server, reading the system's
//! resolver configuration (the server is always given).
//!
//! See `examples/dns.rs` for a small `dig`.

mod client;
mod error;
mod message;
mod name;
mod resolver;

pub use client::DnsClient;
pub use error::{Error, Result};
pub use message::{
    DnsResponse, Header, Query, Question, RData, Record, RecordType, ReplyCheck, Via, CLASS_IN,
    HEADER_LENGTH,
};
pub use name::{MAX_LABEL_LENGTH, MAX_NAME_LENGTH};
