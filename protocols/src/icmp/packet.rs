//! The sans-IO half of ICMP echo: encoding echo requests, parsing what a
//! raw socket delivers, and the RFC 1071 checksum. Bytes in, values out; no
//! socket here.

use std::fmt;

/// The IP version an ICMP message travels over: ICMP (RFC 792) on IPv4,
/// ICMPv6 (RFC 4443) on IPv6. The two differ in type numbers, in who
/// computes the checksum and in what a raw socket delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// ICMP over IPv4: a raw socket delivers the IPv4 header in front of
    /// the message; the sender computes the checksum.
    V4,
    /// ICMPv6: a raw socket delivers the message alone; the kernel computes
    /// the checksum (it covers a pseudo-header the sender does not see).
    V6,
}

impl Family {
    /// The family for a target address.
    pub fn of(address: std::net::IpAddr) -> Family {
        match address {
            std::net::IpAddr::V4(_) => Family::V4,
            std::net::IpAddr::V6(_) => Family::V6,
        }
    }

    fn echo_request_type(self) -> u8 {
        match self {
            Family::V4 => 8,
            Family::V6 => 128,
        }
    }

    fn echo_reply_type(self) -> u8 {
        match self {
            Family::V4 => 0,
            Family::V6 => 129,
        }
    }
}

/// The length of an echo message's header (type, code, checksum,
/// identifier, sequence number).
pub const ECHO_HEADER_LEN: usize = 8;
const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
const PROTOCOL_ICMP: u8 = 1;

/// Encodes an echo request. For [`Family::V4`] the checksum is filled in;
/// for [`Family::V6`] it is left zero for the kernel to compute.
///
/// ```
/// use netstack::protocols::icmp::{echo_request, internet_checksum, Family};
///
/// let packet = echo_request(Family::V4, 0x1234, 7, b"hi");
/// assert_eq!(&packet[..2], &[8, 0]); // type 8 (echo request), code 0
/// assert_eq!(&packet[4..8], &[0x12, 0x34, 0, 7]);
/// assert_eq!(internet_checksum(&packet), 0); // a valid checksum sums to zero
/// ```
pub fn echo_request(family: Family, identifier: u16, sequence: u16, payload: &[u8]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(ECHO_HEADER_LEN + payload.len());
    packet.extend_from_slice(&[family.echo_request_type(), 0, 0, 0]);
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(payload);
    if family == Family::V4 {
        let sum = internet_checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The RFC 1071 Internet checksum: the ones' complement of the ones'
/// complement sum of 16-bit big-endian words (an odd last byte is padded
/// with zero). Over a message that carries a valid checksum it is `0`.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = data.chunks_exact(2);
    for pair in &mut words {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The identifier, sequence number and data of an echo request or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo<'a> {
    /// Chosen by the sender to tell its echoes from others'.
    pub identifier: u16,
    /// Counts the sender's requests.
    pub sequence: u16,
    /// The data after the header (a reply echoes the request's).
    pub payload: &'a [u8],
}

/// What an ICMP error report says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportKind {
    /// Destination unreachable (ICMP type 3, ICMPv6 type 1); the code says why.
    DestinationUnreachable,
    /// Time exceeded (ICMP type 11, ICMPv6 type 3): the TTL / hop limit ran out.
    TimeExceeded,
    /// Packet too big (ICMPv6 type 2).
    PacketTooBig,
    /// Parameter problem (ICMP type 12, ICMPv6 type 4).
    ParameterProblem,
}

/// An ICMP error report, and which echo request of ours it is about when
/// the quoted packet is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The kind of report.
    pub kind: ReportKind,
    /// The report's code (for an unreachable destination: network, host,
    /// port, administratively prohibited, …).
    pub code: u8,
    /// The identifier and sequence number of the echo request the report
    /// quotes, if it quotes one.
    pub quoted_echo: Option<(u16, u16)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match (self.kind, self.code) {
            (ReportKind::DestinationUnreachable, code) => match code {
                0 => "Destination Net Unreachable",
                1 => "Destination Host Unreachable",
                2 => "Destination Protocol Unreachable",
                3 => "Destination Port Unreachable",
                4 => "Fragmentation needed",
                9 | 10 | 13 => "Communication administratively prohibited",
                _ => "Destination Unreachable",
            },
            (ReportKind::TimeExceeded, 1) => "Fragment reassembly time exceeded",
            (ReportKind::TimeExceeded, _) => "Time to live exceeded",
            (ReportKind::PacketTooBig, _) => "Packet too big",
            (ReportKind::ParameterProblem, _) => "Parameter problem",
        };
        write!(f, "{text} (code {})", self.code)
    }
}

/// One ICMP message as a raw socket delivered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// An echo reply.
    EchoReply(Echo<'a>),
    /// An echo request (on loopback a raw IPv4 socket sees its own).
    EchoRequest(Echo<'a>),
    /// An error report.
    Report(Report),
    /// Any other message (router advertisements, neighbour discovery, …).
    Other {
        /// The ICMP type.
        icmp_type: u8,
        /// The ICMP code.
        code: u8,
    },
}

/// A parsed packet from a raw ICMP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// The message.
    pub message: Message<'a>,
    /// The ICMP message's length in bytes (header and data, without the IP header).
    pub len: usize,
    /// The IPv4 time to live, when the packet carried its IP header.
    pub ttl: Option<u8>,
}

/// Why a packet from a raw ICMP socket could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The packet ends before the header it must carry.
    #[error("icmp: truncated {what}: {got} bytes, at least {needed} needed")]
    Truncated {
        /// Which header.
        what: &'static str,
        /// The bytes it needs.
        needed: usize,
        /// The bytes there were.
        got: usize,
    },
    /// The IPv4 header is not an IPv4 header (version) or has an impossible length.
    #[error("icmp: malformed IPv4 header ({0})")]
    BadIpHeader(&'static str),
    /// The IPv4 packet carries another protocol than ICMP.
    #[error("icmp: the IPv4 packet carries protocol {0}, not ICMP")]
    NotIcmp(u8),
    /// The ICMP checksum does not match the message.
    #[error("icmp: bad checksum (the message sums to {0:#06x}, not 0)")]
    BadChecksum(u16),
}

/// Parses what a raw ICMP socket of `family` delivered: for
/// [`Family::V4`] an IPv4 header followed by the ICMP message (its
/// checksum is verified); for [`Family::V6`] the ICMPv6 message alone (the
/// kernel verified its checksum). Malformed input is an error, never a panic.
///
/// ```
/// use netstack::protocols::icmp::{echo_request, parse, Echo, Family, Message};
///
/// let mut reply = echo_request(Family::V6, 42, 3, b"data");
/// reply[0] = 129; // echo reply
/// let received = parse(Family::V6, &reply)?;
/// assert_eq!(
///     received.message,
///     Message::EchoReply(Echo { identifier: 42, sequence: 3, payload: b"data" })
/// );
/// # Ok::<(), netstack::protocols::icmp::ParseError>(())
/// ```
pub fn parse(family: Family, packet: &[u8]) -> Result<Received<'_>, ParseError> {
    let (icmp, ttl) = match family {
        Family::V4 => {
            let header_len = ipv4_header(packet)?;
            let icmp = &packet[header_len..];
            check_ipv4_checksum(icmp)?;
            (icmp, Some(packet[8]))
        }
        Family::V6 => (packet, None),
    };
    let message = parse_message(family, icmp)?;
    Ok(Received {
        message,
        len: icmp.len(),
        ttl,
    })
}

/// Parses what a datagram ICMP socket (Linux's unprivileged ping socket)
/// delivered: the ICMP or ICMPv6 message alone, without an IP header, for
/// both families, so no TTL. The kernel verified the checksum; an IPv4
/// one is verified again all the same. Malformed input is an error, never
/// a panic.
///
/// ```
/// use netstack::protocols::icmp::{echo_request, parse_datagram, Echo, Family, Message};
///
/// let mut reply = echo_request(Family::V4, 42, 3, b"data");
/// reply[0] = 0; // echo reply
/// reply[2..4].copy_from_slice(&[0, 0]);
/// let sum = netstack::protocols::icmp::internet_checksum(&reply);
/// reply[2..4].copy_from_slice(&sum.to_be_bytes());
/// let received = parse_datagram(Family::V4, &reply)?;
/// assert_eq!(
///     received.message,
///     Message::EchoReply(Echo { identifier: 42, sequence: 3, payload: b"data" })
/// );
/// assert_eq!((received.len, received.ttl), (12, None));
/// # Ok::<(), netstack::protocols::icmp::ParseError>(())
/// ```
pub fn parse_datagram(family: Family, message: &[u8]) -> Result<Received<'_>, ParseError> {
    if family == Family::V4 {
        check_ipv4_checksum(message)?;
    }
    Ok(Received {
        message: parse_message(family, message)?,
        len: message.len(),
        ttl: None,
    })
}

fn check_ipv4_checksum(icmp: &[u8]) -> Result<(), ParseError> {
    let sum = internet_checksum(icmp);
    if icmp.len() >= 4 && sum != 0 {
        return Err(ParseError::BadChecksum(!sum));
    }
    Ok(())
}

/// Checks an IPv4 header carrying ICMP; returns its length.
fn ipv4_header(packet: &[u8]) -> Result<usize, ParseError> {
    let first = *packet.first().ok_or(ParseError::Truncated {
        what: "IPv4 header",
        needed: IPV4_MIN_HEADER,
        got: 0,
    })?;
    if first >> 4 != 4 {
        return Err(ParseError::BadIpHeader("the version is not 4"));
    }
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER {
        return Err(ParseError::BadIpHeader(
            "the header length is below 20 bytes",
        ));
    }
    if packet.len() < header_len {
        return Err(ParseError::Truncated {
            what: "IPv4 header",
            needed: header_len,
            got: packet.len(),
        });
    }
    if packet[9] != PROTOCOL_ICMP {
        return Err(ParseError::NotIcmp(packet[9]));
    }
    Ok(header_len)
}

fn parse_message(family: Family, icmp: &[u8]) -> Result<Message<'_>, ParseError> {
    if icmp.len() < 4 {
        return Err(ParseError::Truncated {
            what: "ICMP header",
            needed: 4,
            got: icmp.len(),
        });
    }
    let (icmp_type, code) = (icmp[0], icmp[1]);
    if icmp_type == family.echo_reply_type() || icmp_type == family.echo_request_type() {
        let echo = echo_fields(icmp)?;
        return Ok(if icmp_type == family.echo_reply_type() {
            Message::EchoReply(echo)
        } else {
            Message::EchoRequest(echo)
        });
    }
    let kind = match (family, icmp_type) {
        (Family::V4, 3) | (Family::V6, 1) => ReportKind::DestinationUnreachable,
        (Family::V4, 11) | (Family::V6, 3) => ReportKind::TimeExceeded,
        (Family::V6, 2) => ReportKind::PacketTooBig,
        (Family::V4, 12) | (Family::V6, 4) => ReportKind::ParameterProblem,
        _ => return Ok(Message::Other { icmp_type, code }),
    };
    // After the 8-byte report header comes as much of the offending packet
    // as fits: its IP header, then (for our requests) the echo header.
    let quoted = icmp.get(ECHO_HEADER_LEN..).unwrap_or_default();
    Ok(Message::Report(Report {
        kind,
        code,
        quoted_echo: quoted_echo(family, quoted),
    }))
}

fn echo_fields(icmp: &[u8]) -> Result<Echo<'_>, ParseError> {
    if icmp.len() < ECHO_HEADER_LEN {
        return Err(ParseError::Truncated {
            what: "echo header",
            needed: ECHO_HEADER_LEN,
            got: icmp.len(),
        });
    }
    Ok(Echo {
        identifier: u16::from_be_bytes([icmp[4], icmp[5]]),
        sequence: u16::from_be_bytes([icmp[6], icmp[7]]),
        payload: &icmp[ECHO_HEADER_LEN..],
    })
}

/// The identifier and sequence of the echo request an error report quotes.
fn quoted_echo(family: Family, quoted: &[u8]) -> Option<(u16, u16)> {
    let inner = match family {
        Family::V4 => {
            let header_len = ipv4_header(quoted).ok()?;
            &quoted[header_len..]
        }
        Family::V6 => {
            // Next header must be ICMPv6 (58) right after the fixed header.
            if quoted.len() < IPV6_HEADER || quoted[0] >> 4 != 6 || quoted[6] != 58 {
                return None;
            }
            &quoted[IPV6_HEADER..]
        }
    };
    if inner.first() != Some(&family.echo_request_type()) {
        return None;
    }
    let echo = echo_fields(inner).ok()?;
    Some((echo.identifier, echo.sequence))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (20 bytes, protocol ICMP, the given TTL) + `icmp`.
    fn ipv4(ttl: u8, icmp: &[u8]) -> Vec<u8> {
        let total = (20 + icmp.len()) as u16;
        let mut packet = vec![0x45, 0];
        packet.extend_from_slice(&total.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 0, ttl, PROTOCOL_ICMP, 0, 0]);
        packet.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        packet.extend_from_slice(icmp);
        packet
    }

    fn v4_reply(identifier: u16, sequence: u16, payload: &[u8]) -> Vec<u8> {
        let mut icmp = echo_request(Family::V4, identifier, sequence, payload);
        icmp[0] = 0;
        icmp[2..4].fill(0);
        let sum = internet_checksum(&icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        icmp
    }

    #[test]
    fn the_checksum_matches_rfc_1071() {
        // RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
        // An odd length pads the last byte with zero.
        assert_eq!(internet_checksum(&[0x01]), !0x0100);
        assert_eq!(internet_checksum(&[]), 0xffff);
    }

    #[test]
    fn echo_requests_are_encoded_per_family() {
        let v4 = echo_request(Family::V4, 0xabcd, 0x0102, b"xyz");
        assert_eq!(v4.len(), 11);
        assert_eq!(&v4[..2], &[8, 0]);
        assert_eq!(&v4[4..], &[0xab, 0xcd, 0x01, 0x02, b'x', b'y', b'z']);
        assert_eq!(internet_checksum(&v4), 0);
        let v6 = echo_request(Family::V6, 1, 2, b"");
        assert_eq!(v6, vec![128, 0, 0, 0, 0, 1, 0, 2]);
    }

    #[test]
    fn an_ipv4_echo_reply_is_parsed_with_its_ttl() {
        let packet = ipv4(64, &v4_reply(7, 9, b"payload"));
        let received = parse(Family::V4, &packet).unwrap();
        assert_eq!(received.ttl, Some(64));
        assert_eq!(received.len, 15);
        assert_eq!(
            received.message,
            Message::EchoReply(Echo {
                identifier: 7,
                sequence: 9,
                payload: b"payload"
            })
        );
        // Our own request, as loopback shows it to a raw socket.
        let request = ipv4(64, &echo_request(Family::V4, 7, 9, b""));
        assert!(matches!(
            parse(Family::V4, &request).unwrap().message,
            Message::EchoRequest(Echo { sequence: 9, .. })
        ));
    }

    #[test]
    fn a_datagram_socket_echo_reply_is_parsed_without_an_ip_header() {
        let reply = v4_reply(0x0102, 9, b"abc");
        let received = parse_datagram(Family::V4, &reply).unwrap();
        assert_eq!(
            received.message,
            Message::EchoReply(Echo {
                identifier: 0x0102,
                sequence: 9,
                payload: b"abc"
            })
        );
        assert_eq!((received.len, received.ttl), (11, None));
        let mut corrupted = reply.clone();
        corrupted[8] ^= 0xff;
        assert!(matches!(
            parse_datagram(Family::V4, &corrupted),
            Err(ParseError::BadChecksum(_))
        ));
        assert!(matches!(
            parse_datagram(Family::V4, &reply[..3]),
            Err(ParseError::Truncated { .. })
        ));
        let mut v6 = echo_request(Family::V6, 7, 1, b"");
        v6[0] = 129;
        assert_eq!(
            parse_datagram(Family::V6, &v6).unwrap(),
            parse(Family::V6, &v6).unwrap()
        );
    }

    #[test]
    fn an_icmpv6_echo_reply_and_other_messages_are_parsed() {
        let mut reply = echo_request(Family::V6, 5, 6, b"ab");
        reply[0] = 129;
        let received = parse(Family::V6, &reply).unwrap();
        assert_eq!(received.ttl, None);
        assert!(matches!(
            received.message,
            Message::EchoReply(Echo {
                identifier: 5,
                sequence: 6,
                ..
            })
        ));
        // A neighbour solicitation is someone else's business.
        let other = parse(Family::V6, &[135, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            other.message,
            Message::Other {
                icmp_type: 135,
                code: 0
            }
        );
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert!(matches!(
            parse(Family::V4, &[]),
            Err(ParseError::Truncated { got: 0, .. })
        ));
        // Version 6 in an IPv4 socket's packet.
        assert!(matches!(
            parse(Family::V4, &[0x65; 28]),
            Err(ParseError::BadIpHeader(_))
        ));
        // A header length of 4 bytes.
        assert!(matches!(
            parse(Family::V4, &[0x41; 28]),
            Err(ParseError::BadIpHeader(_))
        ));
        // A header length of 60 bytes in a 28-byte packet.
        let mut long = ipv4(64, &v4_reply(1, 1, b""));
        long[0] = 0x4f;
        assert!(matches!(
            parse(Family::V4, &long),
            Err(ParseError::Truncated { needed: 60, .. })
        ));
        // Not ICMP (UDP).
        let mut udp = ipv4(64, &v4_reply(1, 1, b""));
        udp[9] = 17;
        assert_eq!(parse(Family::V4, &udp), Err(ParseError::NotIcmp(17)));
        // A flipped bit breaks the checksum.
        let mut corrupt = ipv4(64, &v4_reply(1, 1, b"data"));
        corrupt[25] ^= 0x40;
        assert!(matches!(
            parse(Family::V4, &corrupt),
            Err(ParseError::BadChecksum(_))
        ));
        // An IP header with no ICMP header after it, or half of one.
        assert!(matches!(
            parse(Family::V4, &ipv4(64, &[])),
            Err(ParseError::Truncated { .. })
        ));
        assert!(matches!(
            parse(Family::V6, &[129, 0, 0]),
            Err(ParseError::Truncated { .. })
        ));
        // An echo reply cut inside its identifier.
        assert!(matches!(
            parse(Family::V6, &[129, 0, 0, 0, 0, 1]),
            Err(ParseError::Truncated {
                what: "echo header",
                ..
            })
        ));
    }

    #[test]
    fn error_reports_name_the_quoted_echo_request() {
        // Host unreachable, quoting our IPv4 request (id 0x1111, seq 4).
        let quoted = ipv4(1, &echo_request(Family::V4, 0x1111, 4, b"abc"));
        let mut report = vec![3, 1, 0, 0, 0, 0, 0, 0];
        report.extend_from_slice(&quoted);
        let sum = internet_checksum(&report);
        report[2..4].copy_from_slice(&sum.to_be_bytes());
        let Message::Report(parsed) = parse(Family::V4, &ipv4(60, &report)).unwrap().message else {
            panic!("not a report");
        };
        assert_eq!(parsed.kind, ReportKind::DestinationUnreachable);
        assert_eq!(parsed.quoted_echo, Some((0x1111, 4)));
        assert_eq!(parsed.to_string(), "Destination Host Unreachable (code 1)");

        // ICMPv6 time exceeded quoting an IPv6 header + our echo request.
        let mut v6 = vec![3, 0, 0, 0, 0, 0, 0, 0];
        let mut header = [0u8; 40];
        header[0] = 0x60;
        header[6] = 58;
        v6.extend_from_slice(&header);
        v6.extend_from_slice(&echo_request(Family::V6, 2, 3, b""));
        let Message::Report(parsed) = parse(Family::V6, &v6).unwrap().message else {
            panic!("not a report");
        };
        assert_eq!(parsed.kind, ReportKind::TimeExceeded);
        assert_eq!(parsed.quoted_echo, Some((2, 3)));

        // A report whose quote is cut short still parses, without an echo.
        let cut = [1u8, 4, 0, 0, 0, 0, 0, 0, 0x60, 0];
        let Message::Report(parsed) = parse(Family::V6, &cut).unwrap().message else {
            panic!("not a report");
        };
        assert_eq!(parsed.quoted_echo, None);
    }
}
