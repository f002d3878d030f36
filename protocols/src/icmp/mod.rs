//! ICMP and ICMPv6 echo ("ping") on a raw or an unprivileged datagram
//! socket from the sockets layer.
//!
//! - The sans-IO part: [`echo_request`] encodes a request, [`parse`] reads
//!   what a raw socket delivers (IPv4 header + ICMP, or ICMPv6 alone) into a
//!   [`Message`] — echo replies, error reports naming the request they are
//!   about, anything else —, [`parse_datagram`] what a datagram socket
//!   delivers (the message alone), and [`internet_checksum`] is RFC 1071's.
//!   Malformed packets are a [`ParseError`], never a panic.
//! - [`Statistics`]: transmitted, received, loss and rtt min/avg/max/mdev,
//!   printed as `ping` prints them.
//! - [`Pinger`]: the driver — one echo at a time, synchronous
//!   ([`Pinger::ping`]) or asynchronous ([`Pinger::ping_async`], any
//!   executor), both around the same matching of replies; every wait is
//!   bounded by a timeout. It opens a raw socket, which needs root or
//!   `CAP_NET_RAW`, or else an unprivileged datagram socket (Linux, for the
//!   groups in `net.ipv4.ping_group_range`); [`IcmpSocketKind`] names them.
//!
//! The `netstack ping` command and `examples/ping.rs` are built on it.

mod packet;
mod pinger;
mod socket_kind;
mod stats;

pub use packet::{
    echo_request, internet_checksum, parse, parse_datagram, Echo, Family, Message, ParseError,
    Received, Report, ReportKind, ECHO_HEADER_LEN,
};
pub use pinger::{Error, Pinger, Reply, DEFAULT_PAYLOAD_SIZE, MAX_PAYLOAD_SIZE};
pub use socket_kind::IcmpSocketKind;
pub use stats::Statistics;
