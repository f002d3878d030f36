//! ICMP and ICMPv6 echo ("ping") on a raw socket from the sockets layer.
//!
//! - The sans-IO part: [`echo_request`] encodes a request, [`parse`] reads
//!   what a raw socket delivers (IPv4 header + ICMP, or ICMPv6 alone) into a
//!   [`Message`] — echo replies, error reports naming the request they are
//!   about, anything else —, and [`internet_checksum`] is RFC 1071's.
//!   Malformed packets are a [`ParseError`], never a panic.
//! - [`Statistics`]: transmitted, received, loss and rtt min/avg/max/mdev,
//!   printed as `ping` prints them.
//! - [`Pinger`]: the driver — one echo at a time, synchronous
//!   ([`Pinger::ping`]) or asynchronous ([`Pinger::ping_async`], any
//!   executor), both around the same matching of replies; every wait is
//!   bounded by a timeout. Raw sockets need root or `CAP_NET_RAW`.
//!
//! The `netstack ping` command and `examples/ping.rs` are built on it.

mod packet;
mod pinger;
mod stats;

pub use packet::{
    echo_request, internet_checksum, parse, Echo, Family, Message, ParseError, Received, Report,
    ReportKind, ECHO_HEADER_LEN,
};
pub use pinger::{Error, Pinger, Reply, DEFAULT_PAYLOAD_SIZE, MAX_PAYLOAD_SIZE};
pub use stats::Statistics;
