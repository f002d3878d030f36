//! netstack layer 3: the protocol layer, on the transport layer.
//!
//! - [`http`]: HTTP/1.1 — the sans-IO core (heads, framing rules, bodies,
//!   limits), the pooled client and the server, each sync and async. The URL
//!   fetcher and the FTP client are not built yet.
//! - [`framing`]: the framing toolkit — `Decoder`/`Encoder` codecs (lines,
//!   length-delimited, raw bytes) and `Framed`, sync and async.
//! - [`resp`]: RESP2, the Redis protocol — a sans-IO codec and a small
//!   client (sync and async, pipelining), built on the framing toolkit.
//! - [`dns`]: a DNS stub client — sans-IO queries and replies (A, AAAA,
//!   CNAME, MX, TXT), sync and async, UDP with retries and TCP fallback
//!   through the framing toolkit.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dns;
pub mod framing;
pub mod http;
pub mod resp;

pub use transport;
