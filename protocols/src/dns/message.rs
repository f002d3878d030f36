//! DNS messages, sans-IO: a [`Query`] encodes itself and judges each
//! datagram or frame that comes back ([`Query::check_reply`]); a
//! [`DnsResponse`] is the parsed reply.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{Error, Result};
use super::name::{encode_name, read_name, wire_to_string};

/// The Internet class (`IN`), the only one queries are sent in.
pub const CLASS_IN: u16 = 1;
/// The size of the fixed header.
pub const HEADER_LENGTH: usize = 12;

/// A record type. The five this module decodes have their own variant;
/// any other is [`RecordType::Other`] with its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// An IPv4 address (1).
    A,
    /// An IPv6 address (28).
    Aaaa,
    /// The canonical name of an alias (5).
    Cname,
    /// A mail exchanger (15).
    Mx,
    /// Text strings (16).
    Txt,
    /// Any other type, by number.
    Other(u16),
}

impl RecordType {
    /// The type's number on the wire.
    pub fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Aaaa => 28,
            RecordType::Cname => 5,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Other(code) => code,
        }
    }

    /// The type of a number on the wire.
    pub fn from_code(code: u16) -> RecordType {
        match code {
            1 => RecordType::A,
            28 => RecordType::Aaaa,
            5 => RecordType::Cname,
            15 => RecordType::Mx,
            16 => RecordType::Txt,
            other => RecordType::Other(other),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordType::A => f.write_str("A"),
            RecordType::Aaaa => f.write_str("AAAA"),
            RecordType::Cname => f.write_str("CNAME"),
            RecordType::Mx => f.write_str("MX"),
            RecordType::Txt => f.write_str("TXT"),
            RecordType::Other(code) => write!(f, "TYPE{code}"),
        }
    }
}

impl FromStr for RecordType {
    type Err = String;

    /// `A`, `AAAA`, `CNAME`, `MX`, `TXT` (any case), or `TYPEn`.
    fn from_str(s: &str) -> std::result::Result<RecordType, String> {
        let upper = s.to_ascii_uppercase();
        match upper.as_str() {
            "A" => Ok(RecordType::A),
            "AAAA" => Ok(RecordType::Aaaa),
            "CNAME" => Ok(RecordType::Cname),
            "MX" => Ok(RecordType::Mx),
            "TXT" => Ok(RecordType::Txt),
            _ => upper
                .strip_prefix("TYPE")
                .and_then(|n| n.parse().ok())
                .map(RecordType::from_code)
                .ok_or_else(|| {
                    format!("unknown record type {s:?} (A, AAAA, CNAME, MX, TXT or TYPEn)")
                }),
        }
    }
}

/// The fixed header of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The query ID the reply echoes.
    pub id: u16,
    /// QR: a response (not a query).
    pub response: bool,
    /// OPCODE (0: a standard query).
    pub opcode: u8,
    /// AA: the answer comes from an authoritative server.
    pub authoritative: bool,
    /// TC: the message was cut to fit a datagram.
    pub truncated: bool,
    /// RD: recursion was asked for.
    pub recursion_desired: bool,
    /// RA: the server offers recursion.
    pub recursion_available: bool,
    /// RCODE (0: no error; 3: the name does not exist).
    pub rcode: u8,
    /// QDCOUNT.
    pub question_count: u16,
    /// ANCOUNT.
    pub answer_count: u16,
    /// NSCOUNT.
    pub authority_count: u16,
    /// ARCOUNT.
    pub additional_count: u16,
}

impl Header {
    /// Parses the first 12 bytes of a message.
    pub fn parse(packet: &[u8]) -> Result<Header> {
        let Some(h) = packet.get(..HEADER_LENGTH) else {
            return Err(Error::Malformed(format!(
                "{} bytes, shorter than the {HEADER_LENGTH}-byte header",
                packet.len()
            )));
        };
        let word = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        Ok(Header {
            id: word(0),
            response: h[2] & 0x80 != 0,
            opcode: (h[2] >> 3) & 0x0F,
            authoritative: h[2] & 0x04 != 0,
            truncated: h[2] & 0x02 != 0,
            recursion_desired: h[2] & 0x01 != 0,
            recursion_available: h[3] & 0x80 != 0,
            rcode: h[3] & 0x0F,
            question_count: word(4),
            answer_count: word(6),
            authority_count: word(8),
            additional_count: word(10),
        })
    }
}

/// The question of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Question {
    /// The name asked for (dotted, no trailing dot).
    pub name: String,
    /// The type asked for.
    pub record_type: RecordType,
    /// The class (1: `IN`).
    pub class: u16,
}

/// The data of a resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The canonical name the owner is an alias of.
    Cname(String),
    /// A mail exchanger; lower preferences are tried first.
    Mx {
        /// The preference.
        preference: u16,
        /// The mail server's name.
        exchange: String,
    },
    /// One or more character strings (each up to 255 bytes, any bytes).
    Txt(Vec<Vec<u8>>),
    /// A type this module does not decode: its number and raw data.
    Unknown {
        /// The type's number.
        rtype: u16,
        /// The record data as received (names inside may be compressed).
        data: Vec<u8>,
    },
}

impl fmt::Display for RData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RData::A(ip) => write!(f, "{ip}"),
            RData::Aaaa(ip) => write!(f, "{ip}"),
            RData::Cname(name) => write!(f, "{name}."),
            RData::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}."),
            RData::Txt(strings) => {
                for (i, s) in strings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "\"{}\"", s.escape_ascii())?;
                }
                Ok(())
            }
            RData::Unknown { data, .. } => {
                // RFC 3597's generic form.
                write!(f, "\\# {}", data.len())?;
                if !data.is_empty() {
                    f.write_str(" ")?;
                    for b in data {
                        write!(f, "{b:02x}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The owner name (dotted, no trailing dot).
    pub name: String,
    /// The type.
    pub record_type: RecordType,
    /// The class (1: `IN`).
    pub class: u16,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

impl fmt::Display for Record {
    /// The zone-file form, as `dig` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.class {
            CLASS_IN => "IN".to_string(),
            other => format!("CLASS{other}"),
        };
        let dot = if self.name == "." { "" } else { "." };
        write!(
            f,
            "{}{dot}\t{}\t{class}\t{}\t{}",
            self.name, self.ttl, self.record_type, self.data
        )
    }
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsResponse {
    /// The header.
    pub header: Header,
    /// The question, as the server echoed it.
    pub question: Question,
    /// The answer section, in the server's order (a CNAME chain comes
    /// before the records of its target).
    pub answers: Vec<Record>,
    /// The authority section.
    pub authorities: Vec<Record>,
    /// The additional section.
    pub additionals: Vec<Record>,
    /// The reply came over TCP (the UDP reply was truncated).
    pub over_tcp: bool,
}

impl DnsResponse {
    /// Parses a whole message: header, one question, every record. Nothing
    /// is checked against a query and the RCODE is not judged (see
    /// [`Query::check_reply`] for both).
    pub fn parse(packet: &[u8]) -> Result<DnsResponse> {
        let header = Header::parse(packet)?;
        if header.question_count != 1 {
            return Err(Error::Malformed(format!(
                "{} questions (expected 1)",
                header.question_count
            )));
        }
        let (question, _, mut pos) = read_question(packet)?;
        let mut section = |count: u16, what: &str| -> Result<Vec<Record>> {
            let mut records = Vec::with_capacity(usize::from(count).min(64));
            for i in 0..count {
                let (record, next) = read_record(packet, pos).map_err(|e| match e {
                    Error::Malformed(m) => {
                        Error::Malformed(format!("{what} record {}: {m}", i + 1))
                    }
                    other => other,
                })?;
                records.push(record);
                pos = next;
            }
            Ok(records)
        };
        let answers = section(header.answer_count, "answer")?;
        let authorities = section(header.authority_count, "authority")?;
        let additionals = section(header.additional_count, "additional")?;
        Ok(DnsResponse {
            header,
            question,
            answers,
            authorities,
            additionals,
            over_tcp: false,
        })
    }

    /// The answers' IPv4 and IPv6 addresses, in order.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.answers
            .iter()
            .filter_map(|r| match r.data {
                RData::A(ip) => Some(IpAddr::V4(ip)),
                RData::Aaaa(ip) => Some(IpAddr::V6(ip)),
                _ => None,
            })
            .collect()
    }

    /// The answers' mail exchangers as `(preference, name)`, lowest preference first.
    pub fn mx(&self) -> Vec<(u16, String)> {
        let mut mx: Vec<_> = self
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Mx {
                    preference,
                    exchange,
                } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect();
        mx.sort();
        mx
    }

    /// The answers' TXT records, each one's strings joined (as SPF and
    /// DKIM read them). Bytes that are not UTF-8 are replaced (`U+FFFD`);
    /// [`RData::Txt`] keeps the exact bytes.
    pub fn txt(&self) -> Vec<String> {
        self.answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Txt(strings) => {
                    Some(String::from_utf8_lossy(&strings.concat()).into_owned())
                }
                _ => None,
            })
            .collect()
    }

    /// The CNAME chain in the answers, as `(alias, canonical name)`.
    pub fn cnames(&self) -> Vec<(String, String)> {
        self.answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Cname(target) => Some((r.name.clone(), target.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Which transport a reply came over (a truncated reply means something
/// different on each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A datagram: a truncated reply calls for TCP.
    Udp,
    /// A frame on a TCP connection: nothing is cut.
    Tcp,
}

/// What a reply means for a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyCheck {
    /// Not a reply to this query (wrong ID, wrong question, not a
    /// response…): drop it and keep waiting. The reason says which.
    Ignored(String),
    /// The reply to this query, cut to fit a datagram: ask again over TCP.
    Truncated,
    /// The reply to this query, without an error code.
    Accepted(DnsResponse),
}

/// A standard query for one name and type, class `IN`, recursion desired.
///
/// ```
/// use netstack::protocols::dns::{Query, RecordType, ReplyCheck, Via};
///
/// let query = Query::with_id(0x1234, "a.test", RecordType::A)?;
/// assert_eq!(&query.as_bytes()[..2], b"\x12\x34");
/// // A reply: the query's header with QR set and one answer, the question echoed.
/// let mut reply = query.as_bytes().to_vec();
/// reply[2] |= 0x80;
/// reply[7] = 1;
/// reply.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x09");
/// match query.check_reply(&reply, Via::Udp)? {
///     ReplyCheck::Accepted(response) => assert_eq!(response.ips(), ["127.0.0.9".parse::<std::net::IpAddr>()?]),
///     other => panic!("{other:?}"),
/// }
/// // Another ID: not ours, ignored.
/// reply[1] ^= 1;
/// assert!(matches!(query.check_reply(&reply, Via::Udp)?, ReplyCheck::Ignored(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Query {
    id: u16,
    name: String,
    record_type: RecordType,
    packet: Vec<u8>,
}

impl Query {
    /// A query with a random ID. The ID comes from std's SipHash keyed
    /// with the operating system's randomness (`RandomState`), so an
    /// off-path attacker cannot predict it.
    pub fn new(name: &str, record_type: RecordType) -> Result<Query> {
        Query::with_id(random_id(), name, record_type)
    }

    /// A query with the given ID (for tests and replays).
    pub fn with_id(id: u16, name: &str, record_type: RecordType) -> Result<Query> {
        let mut packet = Vec::with_capacity(HEADER_LENGTH + name.len() + 6);
        packet.extend_from_slice(&id.to_be_bytes());
        packet.extend_from_slice(&[0x01, 0x00]); // RD
        packet.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
        encode_name(name, &mut packet)?;
        packet.extend_from_slice(&record_type.code().to_be_bytes());
        packet.extend_from_slice(&CLASS_IN.to_be_bytes());
        Ok(Query {
            id,
            name: name.strip_suffix('.').unwrap_or(name).to_string(),
            record_type,
            packet,
        })
    }

    /// The query's ID.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The name asked for, as given (without a trailing dot).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type asked for.
    pub fn record_type(&self) -> RecordType {
        self.record_type
    }

    /// The message to send (over TCP, in a frame with a 2-byte length).
    pub fn as_bytes(&self) -> &[u8] {
        &self.packet
    }

    /// Judges a datagram or frame that arrived for this query.
    ///
    /// - Not a reply to it — shorter than a header, another ID, not a
    ///   response, another opcode, a question that is missing, unreadable
    ///   or not ours (name compared without case, type, class):
    ///   [`ReplyCheck::Ignored`]. Such packets are stray or spoofed; the
    ///   caller keeps waiting.
    /// - Ours and truncated over UDP: [`ReplyCheck::Truncated`].
    /// - Ours with an error code: `Err` ([`Error::NameError`],
    ///   [`Error::ServerFailure`], [`Error::Refused`], [`Error::Rcode`]).
    /// - Ours but its records cannot be parsed: `Err(`[`Error::Malformed`]`)`.
    /// - Otherwise [`ReplyCheck::Accepted`].
    pub fn check_reply(&self, packet: &[u8], via: Via) -> Result<ReplyCheck> {
        let ignored = |why: String| Ok(ReplyCheck::Ignored(why));
        let Ok(header) = Header::parse(packet) else {
            return ignored(format!("{} bytes, shorter than a header", packet.len()));
        };
        if header.id != self.id {
            return ignored(format!("ID {} is not {}", header.id, self.id));
        }
        if !header.response || header.opcode != 0 {
            return ignored("not a response to a standard query".into());
        }
        if header.question_count != 1 {
            return ignored(format!("{} questions", header.question_count));
        }
        let Ok((_, wire_name, after)) = read_question(packet) else {
            return ignored("unreadable question".into());
        };
        // Ours: the name (without case), then type and class, byte for byte.
        let (our_name, our_tail) =
            self.packet[HEADER_LENGTH..].split_at(self.packet.len() - HEADER_LENGTH - 4);
        if !wire_name.eq_ignore_ascii_case(our_name) || &packet[after - 4..after] != our_tail {
            return ignored("the question is not this query's".into());
        }
        if header.truncated && via == Via::Udp {
            return Ok(ReplyCheck::Truncated);
        }
        let name = self.name.clone();
        match header.rcode {
            0 => {}
            2 => return Err(Error::ServerFailure { name }),
            3 => return Err(Error::NameError { name }),
            5 => return Err(Error::Refused { name }),
            rcode => return Err(Error::Rcode { name, rcode }),
        }
        let mut response = DnsResponse::parse(packet)?;
        response.over_tcp = via == Via::Tcp;
        Ok(ReplyCheck::Accepted(response))
    }
}

/// A query ID no one off the path can guess: SipHash-1-3 under a key that
/// std draws from the OS's randomness (once per thread, then stepped for
/// each `RandomState`), over a process-wide counter.
fn random_id() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish() as u16
}

/// The question at offset 12: the question, its name in wire form
/// (uncompressed, as it appears if it is not compressed), and the offset after it.
fn read_question(packet: &[u8]) -> Result<(Question, Vec<u8>, usize)> {
    let (wire, pos) = read_name(packet, HEADER_LENGTH)?;
    let fixed = packet
        .get(pos..pos + 4)
        .ok_or_else(|| Error::Malformed(format!("question cut off at {pos}")))?;
    let question = Question {
        name: wire_to_string(&wire),
        record_type: RecordType::from_code(u16::from_be_bytes([fixed[0], fixed[1]])),
        class: u16::from_be_bytes([fixed[2], fixed[3]]),
    };
    Ok((question, wire, pos + 4))
}

/// One resource record at `pos`, and the offset after it.
fn read_record(packet: &[u8], pos: usize) -> Result<(Record, usize)> {
    let (wire, pos) = read_name(packet, pos)?;
    let fixed = packet
        .get(pos..pos + 10)
        .ok_or_else(|| Error::Malformed(format!("record header cut off at {pos}")))?;
    let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let class = u16::from_be_bytes([fixed[2], fixed[3]]);
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let length = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    let start = pos + 10;
    let end = start + length;
    let data = packet.get(start..end).ok_or_else(|| {
        Error::Malformed(format!(
            "record data of {length} bytes at {start} runs past the end ({} bytes)",
            packet.len()
        ))
    })?;
    let record_type = RecordType::from_code(rtype);
    let bad = |what: String| Error::Malformed(format!("{record_type} record at {start}: {what}"));
    let fixed_size = |want: usize| {
        if length == want {
            Ok(())
        } else {
            Err(bad(format!("{length} bytes of data (expected {want})")))
        }
    };
    // A name inside the data must end exactly where the data ends.
    let name_in_data = |at: usize| -> Result<String> {
        let (wire, after) = read_name(packet, at)?;
        if after != end {
            return Err(bad(format!("the name ends at {after}, the data at {end}")));
        }
        Ok(wire_to_string(&wire))
    };
    let data = match record_type {
        RecordType::A => {
            fixed_size(4)?;
            RData::A(Ipv4Addr::new(data[0], data[1], data[2], data[3]))
        }
        RecordType::Aaaa => {
            fixed_size(16)?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(data);
            RData::Aaaa(Ipv6Addr::from(octets))
        }
        RecordType::Cname => RData::Cname(name_in_data(start)?),
        RecordType::Mx => {
            if length < 3 {
                return Err(bad(format!("{length} bytes of data, too short")));
            }
            RData::Mx {
                preference: u16::from_be_bytes([data[0], data[1]]),
                exchange: name_in_data(start + 2)?,
            }
        }
        RecordType::Txt => {
            let mut strings = Vec::new();
            let mut rest = data;
            while let Some((&len, tail)) = rest.split_first() {
                let len = usize::from(len);
                let Some(s) = tail.get(..len) else {
                    return Err(bad(format!(
                        "a string of {len} bytes with {} left",
                        tail.len()
                    )));
                };
                strings.push(s.to_vec());
                rest = &tail[len..];
            }
            RData::Txt(strings)
        }
        RecordType::Other(rtype) => RData::Unknown {
            rtype,
            data: data.to_vec(),
        },
    };
    Ok((
        Record {
            name: wire_to_string(&wire),
            record_type,
            class,
            ttl,
            data,
        },
        end,
    ))
}

#[cfg(test)]
mod tests;
