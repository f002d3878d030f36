//! netstack layer 3: the protocol layer, on the transport layer.
//!
//! - [`http`]: HTTP/1.1 — the sans-IO core (heads, framing rules, bodies,
//!   limits), the pooled client and the server, each sync and async. The URL
//!   fetcher and the FTP client are not built yet.
//! - [`framing`]: the framing toolkit — `Decoder`/`Encoder` codecs (lines,
//!   length-delimited, raw bytes) and `Framed`, sync and async.
//! - [`resp`]: RESP2, the Redis protocol — a sans-IO codec and a small
//!   client (sync and async, pipelining), built on the framing toolkit.
//! - [`icmp`]: ICMP and ICMPv6 echo — sans-IO encoding and parsing of echo
//!   requests, replies and error reports, ping statistics, and a
//!   `Pinger` on a raw socket (sync and async).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod framing;
pub mod http;
pub mod icmp;
pub mod resp;

pub use transport;
