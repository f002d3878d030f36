//! The pinger: one ICMP socket (raw or datagram), one echo request at a
//! time, waited for synchronously or asynchronously.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use sockets::{with_timeout, ReceivedMessage, Socket, SocketError, SocketFlags};

use super::packet::{echo_request, parse, parse_datagram, Family, Message, Report};
use super::socket_kind::IcmpSocketKind;

/// The data sent in each echo request by default: 56 bytes, so a reply is
/// "64 bytes" as with the system's `ping`.
pub const DEFAULT_PAYLOAD_SIZE: usize = 56;
/// The largest payload [`Pinger::set_payload_size`] accepts.
pub const MAX_PAYLOAD_SIZE: usize = 65_000;

/// A failed echo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Sending or receiving on the socket failed.
    #[error("icmp: {0}")]
    Socket(#[from] sockets::Error),
    /// No reply within the timeout.
    #[error("icmp: no reply from {target} to icmp_seq={sequence} within {timeout:?}")]
    TimedOut {
        /// Who was pinged.
        target: IpAddr,
        /// The request's sequence number.
        sequence: u16,
        /// How long the pinger waited.
        timeout: Duration,
    },
    /// A router or the target answered with an error report (unreachable,
    /// time exceeded, …) about this request.
    #[error("icmp: from {from} icmp_seq={sequence}: {report}")]
    Report {
        /// Who sent the report.
        from: IpAddr,
        /// The request's sequence number.
        sequence: u16,
        /// What it says.
        report: Report,
    },
}

impl Error {
    /// True when no reply came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::TimedOut { .. })
    }
}

/// One echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// Who answered.
    pub from: IpAddr,
    /// The echo sequence number.
    pub sequence: u16,
    /// The reply's ICMP length in bytes (header and data), as `ping` prints it.
    pub bytes: usize,
    /// The reply's time to live (IPv4) or hop limit (IPv6): from the IPv4
    /// header a raw socket sees, else as the kernel reports it (`None`
    /// only when it does not).
    pub ttl: Option<u8>,
    /// The round-trip time.
    pub rtt: Duration,
}

impl fmt::Display for Reply {
    /// `64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.050 ms`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes from {}: icmp_seq={}",
            self.bytes, self.from, self.sequence
        )?;
        if let Some(ttl) = self.ttl {
            write!(f, " ttl={ttl}")?;
        }
        write!(f, " time={:.3} ms", self.rtt.as_secs_f64() * 1000.0)
    }
}

/// Identifiers handed out in this process, so two pingers never take each
/// other's replies.
static NEXT_IDENTIFIER: AtomicU16 = AtomicU16::new(0);

/// ICMP (or ICMPv6) echo aimed at one host: sends a request and waits,
/// bounded by a timeout, for the reply that matches its identifier and
/// sequence number, skipping every other ICMP message the socket sees.
///
/// [`new`](Pinger::new) opens a raw socket, which needs root or
/// `CAP_NET_RAW`, and falls back to an unprivileged datagram socket
/// (Linux; allowed by the `net.ipv4.ping_group_range` sysctl) when the
/// raw one is refused; when both are refused it fails with
/// [`SocketError::AccessDenied`] and a detail naming both causes.
/// [`with_socket_kind`](Pinger::with_socket_kind) asks for one kind, and
/// [`socket_kind`](Pinger::socket_kind) tells which one a pinger uses.
///
/// ```no_run
/// use std::time::Duration;
/// use netstack::protocols::icmp::Pinger;
///
/// let pinger = Pinger::new("127.0.0.1".parse()?)?;
/// let reply = pinger.ping(1, Duration::from_secs(2))?;
/// println!("{reply}"); // 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.050 ms
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Pinger {
    socket: Socket,
    socket_kind: IcmpSocketKind,
    target: IpAddr,
    family: Family,
    identifier: u16,
    payload: Vec<u8>,
}

impl Pinger {
    /// Opens a raw socket for the target's family, or an unprivileged
    /// datagram socket when the raw one is refused (`AccessDenied`).
    pub fn new(target: IpAddr) -> sockets::Result<Pinger> {
        let (socket, socket_kind) = IcmpSocketKind::open_either(target)?;
        Pinger::with_socket(socket, socket_kind, target)
    }

    /// Opens a socket of the given kind for the target's family, with no
    /// fallback.
    pub fn with_socket_kind(
        target: IpAddr,
        socket_kind: IcmpSocketKind,
    ) -> sockets::Result<Pinger> {
        Pinger::with_socket(socket_kind.open(target)?, socket_kind, target)
    }

    fn with_socket(
        socket: Socket,
        socket_kind: IcmpSocketKind,
        target: IpAddr,
    ) -> sockets::Result<Pinger> {
        let identifier = match socket_kind {
            IcmpSocketKind::Raw => {
                let serial = NEXT_IDENTIFIER.fetch_add(1, Ordering::Relaxed);
                (std::process::id() as u16).wrapping_add(serial.wrapping_mul(0x9e37))
            }
            // The kernel replaces the identifier of every request with the
            // socket's local port.
            IcmpSocketKind::Datagram => socket
                .local_endpoint()?
                .as_ip()
                .map_or(0, |address| address.port()),
        };
        let mut pinger = Pinger {
            socket,
            socket_kind,
            target,
            family: Family::of(target),
            identifier,
            payload: Vec::new(),
        };
        pinger.set_payload_size(DEFAULT_PAYLOAD_SIZE);
        Ok(pinger)
    }

    /// The host pinged.
    pub fn target(&self) -> IpAddr {
        self.target
    }

    /// Which kind of socket this pinger uses.
    pub fn socket_kind(&self) -> IcmpSocketKind {
        self.socket_kind
    }

    /// The echo identifier of this pinger's requests (on a datagram
    /// socket, the one the kernel gives them: the socket's local port).
    pub fn identifier(&self) -> u16 {
        self.identifier
    }

    /// The payload size of each request, in bytes.
    pub fn payload_size(&self) -> usize {
        self.payload.len()
    }

    /// Sets the payload size (capped at [`MAX_PAYLOAD_SIZE`]); the bytes are
    /// a counting pattern.
    pub fn set_payload_size(&mut self, size: usize) {
        self.payload = (0..size.min(MAX_PAYLOAD_SIZE))
            .map(|i| (i % 256) as u8)
            .collect();
    }

    /// The socket (for options such as the TTL).
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Sends echo request `sequence` and waits up to `timeout` for its reply.
    pub fn ping(&self, sequence: u16, timeout: Duration) -> Result<Reply, Error> {
        let request = echo_request(self.family, self.identifier, sequence, &self.payload);
        let started = Instant::now();
        self.socket
            .send_to(&request, SocketAddr::new(self.target, 0))?;
        let deadline = started + timeout;
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timed_out(sequence, timeout));
            }
            // A zero timeout would mean "wait forever".
            self.socket
                .set_receive_timeout(Some(left.max(Duration::from_millis(1))))?;
            match self
                .socket
                .receive_message_from(&mut buf, SocketFlags::empty())
            {
                Ok(message) => {
                    if let Some(outcome) = self.outcome(&buf, &message, sequence, started) {
                        return outcome;
                    }
                }
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The asynchronous form of [`ping`](Self::ping), on netstack's reactor
    /// (any executor); the wait is a reactor timer. Dropping the future
    /// abandons the request.
    pub async fn ping_async(&self, sequence: u16, timeout: Duration) -> Result<Reply, Error> {
        let request = echo_request(self.family, self.identifier, sequence, &self.payload);
        // A timeout left by `ping` would cut the async waits short too.
        self.socket.set_receive_timeout(None)?;
        let started = Instant::now();
        let target = SocketAddr::new(self.target, 0);
        let sent = with_timeout(timeout, self.socket.send_to_async(&request, target)).await;
        match sent {
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err(self.timed_out(sequence, timeout)),
            Err(e) => return Err(e.into()),
        }
        let deadline = started + timeout;
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timed_out(sequence, timeout));
            }
            let receive = self
                .socket
                .receive_message_from_async(&mut buf, SocketFlags::empty());
            match with_timeout(left, receive).await {
                Ok(message) => {
                    if let Some(outcome) = self.outcome(&buf, &message, sequence, started) {
                        return outcome;
                    }
                }
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn timed_out(&self, sequence: u16, timeout: Duration) -> Error {
        Error::TimedOut {
            target: self.target,
            sequence,
            timeout,
        }
    }

    /// What a packet from the socket (`message`, received into `buf`)
    /// means for request `sequence`: its reply, an error report about it,
    /// or (`None`) nothing — other processes' traffic, our own request seen
    /// on loopback, malformed or cut packets. The TTL comes from the IPv4
    /// header a raw socket sees, else from the socket's report of it.
    fn outcome(
        &self,
        buf: &[u8],
        message: &ReceivedMessage,
        sequence: u16,
        started: Instant,
    ) -> Option<Result<Reply, Error>> {
        if message.flags.contains(SocketFlags::TRUNCATED) {
            return None;
        }
        let packet = &buf[..message.bytes];
        let from = &message.remote;
        let received = match self.socket_kind {
            IcmpSocketKind::Raw => parse(self.family, packet),
            IcmpSocketKind::Datagram => parse_datagram(self.family, packet),
        }
        .ok()?;
        let from = from.as_ip().map(|a| a.ip()).unwrap_or(self.target);
        match received.message {
            Message::EchoReply(echo)
                if echo.identifier == self.identifier && echo.sequence == sequence =>
            {
                Some(Ok(Reply {
                    from,
                    sequence,
                    bytes: received.len,
                    ttl: received.ttl.or(message.hop_limit),
                    rtt: started.elapsed(),
                }))
            }
            Message::Report(report) if report.quoted_echo == Some((self.identifier, sequence)) => {
                Some(Err(Error::Report {
                    from,
                    sequence,
                    report,
                }))
            }
            _ => None,
        }
    }
}

/// Room for the largest IPv4 packet (a raw IPv4 socket includes the header).
const RECEIVE_BUFFER: usize = 64 * 1024;

fn is_timeout(e: &sockets::Error) -> bool {
    matches!(e.kind(), SocketError::TimedOut | SocketError::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[derive(Clone, Copy, Debug)]
    enum Mode {
        Sync,
        Async,
    }

    const MODES: [Mode; 2] = [Mode::Sync, Mode::Async];

    fn ping(pinger: &Pinger, mode: Mode, sequence: u16, timeout: Duration) -> Result<Reply, Error> {
        match mode {
            Mode::Sync => pinger.ping(sequence, timeout),
            Mode::Async => sockets::block_on(pinger.ping_async(sequence, timeout)),
        }
    }

    fn pinger(target: IpAddr) -> Pinger {
        match Pinger::with_socket_kind(target, IcmpSocketKind::Raw) {
            Ok(pinger) => pinger,
            Err(err) if err.kind() == SocketError::AccessDenied => panic!(
                "these tests open raw ICMP sockets and need root or CAP_NET_RAW (as CI has): {err}"
            ),
            Err(err) => panic!("cannot open a raw socket: {err}"),
        }
    }

    #[test]
    fn two_pingers_in_one_process_get_their_own_replies() {
        // Both raw sockets see every echo reply on loopback; the identifier
        // tells them apart even with equal sequence numbers.
        let targets = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        for (target, mode) in targets.into_iter().flat_map(|t| MODES.map(|m| (t, m))) {
            let mut first = pinger(target);
            let second = pinger(target);
            assert_ne!(first.identifier(), second.identifier());
            first.set_payload_size(8);
            std::thread::scope(|scope| {
                let a = scope.spawn(|| {
                    (1..=5)
                        .map(|seq| ping(&first, mode, seq, Duration::from_secs(5)).unwrap())
                        .collect::<Vec<_>>()
                });
                let b = scope.spawn(|| {
                    (1..=5)
                        .map(|seq| ping(&second, Mode::Sync, seq, Duration::from_secs(5)).unwrap())
                        .collect::<Vec<_>>()
                });
                for (seq, reply) in (1..).zip(a.join().unwrap()) {
                    assert_eq!((reply.sequence, reply.bytes), (seq, 16));
                    assert_eq!(reply.from, target);
                }
                for (seq, reply) in (1..).zip(b.join().unwrap()) {
                    assert_eq!((reply.sequence, reply.bytes), (seq, 64));
                }
            });
        }
    }

    #[test]
    fn new_opens_a_raw_socket_when_raw_sockets_are_permitted() {
        for target in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ] {
            // The raw pinger of these tests proves the permission.
            let raw = pinger(target);
            assert_eq!(raw.socket_kind(), IcmpSocketKind::Raw);
            let pinger = Pinger::new(target).unwrap();
            assert_eq!(pinger.socket_kind(), IcmpSocketKind::Raw);
            assert_eq!(pinger.socket().socket_type(), sockets::SocketType::Raw);
        }
        assert_eq!(IcmpSocketKind::Raw.to_string(), "a raw ICMP socket");
        assert_eq!(
            IcmpSocketKind::Datagram.to_string(),
            "an unprivileged ICMP datagram socket"
        );
    }

    #[test]
    fn a_reply_line_reads_like_ping() {
        let reply = Reply {
            from: IpAddr::V4(Ipv4Addr::LOCALHOST),
            sequence: 1,
            bytes: 64,
            ttl: Some(64),
            rtt: Duration::from_micros(50),
        };
        assert_eq!(
            reply.to_string(),
            "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.050 ms"
        );
        let v6 = Reply {
            from: IpAddr::V6(Ipv6Addr::LOCALHOST),
            ttl: None,
            ..reply
        };
        assert_eq!(
            v6.to_string(),
            "64 bytes from ::1: icmp_seq=1 time=0.050 ms"
        );
    }

    #[test]
    fn a_wait_of_zero_times_out_at_once() {
        for mode in MODES {
            let pinger = pinger(IpAddr::V4(Ipv4Addr::LOCALHOST));
            let err = ping(&pinger, mode, 1, Duration::ZERO).unwrap_err();
            assert!(err.is_timeout(), "{mode:?}: {err}");
            assert!(err.to_string().contains("icmp_seq=1"), "{err}");
            // The socket is still usable afterwards; the late reply to 1 is skipped.
            let reply = ping(&pinger, mode, 2, Duration::from_secs(5)).unwrap();
            assert_eq!(reply.sequence, 2);
        }
    }
}
