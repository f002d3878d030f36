//! Layer 1: netstack's [`Socket`] against `std::net` over IPv4 loopback.
//!
//! - **bulk**: one TCP connection; a sender thread writes N MiB in fixed-size
//!   buffers and shuts down its sending side; a receiver thread reads until
//!   end of stream. The rate is bytes over the time from the sender's first
//!   `send` to the receiver seeing end of stream.
//! - **pingpong**: one TCP connection with `TCP_NODELAY` on both ends; a
//!   client sends a small message and waits for its echo, N times, against an
//!   echo thread. The rate is round trips per second.
//!
//! Both contenders run the very same generic loops (see [`Conn`]); only the
//! socket type differs. Connection setup is outside the timed part. Every
//! socket has a read and a write timeout, every loop is bounded, and the
//! byte and message counts are checked at the end, so a short transfer is an
//! error, never a fast sample.

use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown as StdShutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use sockets::{AddressFamily, ProtocolType, Shutdown, Socket, SocketType};

use crate::harness::{self, BenchResult, CaseResult, Common, Unit};

const MIB: u64 = 1024 * 1024;

/// Which of the layer-1 cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Both cases.
    All,
    /// Bulk TCP transfer.
    Bulk,
    /// Small-message ping-pong.
    Pingpong,
}

/// Options of `bench sockets`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Bulk: MiB sent per run.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub bulk_mib: u64,

    /// Bulk: size of each send and receive buffer, in KiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    pub buffer_kib: u64,

    /// Ping-pong: round trips per run.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub pingpong: u64,

    /// Ping-pong: message size in bytes (at least 8: each carries its sequence number).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(8..=65_536))]
    pub message_bytes: u64,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            common: Common {
                rounds: 5,
                timeout_secs: 30,
            },
            case: Case::All,
            bulk_mib: 1024,
            buffer_kib: 64,
            pingpong: 100_000,
            message_bytes: 64,
        }
    }
}

impl Args {
    /// The command line that runs one case with these options (defaults left out).
    fn command(&self, case: &str) -> String {
        let defaults = Args::default();
        let mut cmd = format!("cargo run -p bench --release -- sockets --case {case}");
        if self.common.rounds != defaults.common.rounds {
            cmd += &format!(" --rounds {}", self.common.rounds);
        }
        if self.common.timeout_secs != defaults.common.timeout_secs {
            cmd += &format!(" --timeout-secs {}", self.common.timeout_secs);
        }
        if case == "bulk" {
            if self.bulk_mib != defaults.bulk_mib {
                cmd += &format!(" --bulk-mib {}", self.bulk_mib);
            }
            if self.buffer_kib != defaults.buffer_kib {
                cmd += &format!(" --buffer-kib {}", self.buffer_kib);
            }
        } else {
            if self.pingpong != defaults.pingpong {
                cmd += &format!(" --pingpong {}", self.pingpong);
            }
            if self.message_bytes != defaults.message_bytes {
                cmd += &format!(" --message-bytes {}", self.message_bytes);
            }
        }
        cmd
    }
}

/// Runs the selected cases and returns their results, in order.
pub fn run(args: &Args) -> BenchResult<Vec<CaseResult>> {
    let timeout = args.common.timeout();
    let mut results = Vec::new();
    if matches!(args.case, Case::All | Case::Bulk) {
        let total = args.bulk_mib * MIB;
        let buffer = usize::try_from(args.buffer_kib * 1024)?;
        results.push(harness::run_interleaved(
            format!(
                "TCP bulk {}, {} KiB buffers",
                size_label(args.bulk_mib),
                args.buffer_kib
            ),
            Unit::rate("MiB/s", 1),
            "std",
            args.common.rounds,
            args.command("bulk"),
            || {
                let (a, b) = std_pair(false, timeout)?;
                bulk(a, b, total, buffer)
            },
            || {
                let (a, b) = netstack_pair(false, timeout)?;
                bulk(a, b, total, buffer)
            },
        )?);
    }
    if matches!(args.case, Case::All | Case::Pingpong) {
        let round_trips = args.pingpong;
        let size = usize::try_from(args.message_bytes)?;
        results.push(harness::run_interleaved(
            format!(
                "TCP ping-pong {} B x {round_trips}, TCP_NODELAY",
                args.message_bytes
            ),
            Unit::rate("round trips/s", 0),
            "std",
            args.common.rounds,
            args.command("pingpong"),
            || {
                let (a, b) = std_pair(true, timeout)?;
                ping_pong(a, b, round_trips, size)
            },
            || {
                let (a, b) = netstack_pair(true, timeout)?;
                ping_pong(a, b, round_trips, size)
            },
        )?);
    }
    Ok(results)
}

pub(crate) fn size_label(mib: u64) -> String {
    if mib % 1024 == 0 {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}

// ----- the two contenders behind one interface -----

/// A connected stream socket: the three calls the workloads make.
///
/// Implemented by std's `TcpStream` and netstack's `Socket`; the workloads are
/// generic over it, so both run identical, monomorphised loops.
pub(crate) trait Conn: Send + 'static {
    /// One `send` call; returns how many bytes were taken.
    fn send_some(&self, buf: &[u8]) -> BenchResult<usize>;
    /// One `receive` call; 0 means end of stream.
    fn receive_some(&self, buf: &mut [u8]) -> BenchResult<usize>;
    /// Shuts down the sending side: the peer sees end of stream.
    fn finish_sending(&self) -> BenchResult<()>;
}

impl Conn for TcpStream {
    #[inline]
    fn send_some(&self, buf: &[u8]) -> BenchResult<usize> {
        (&*self)
            .write(buf)
            .map_err(|e| format!("std send: {e}").into())
    }

    #[inline]
    fn receive_some(&self, buf: &mut [u8]) -> BenchResult<usize> {
        (&*self)
            .read(buf)
            .map_err(|e| format!("std receive: {e}").into())
    }

    fn finish_sending(&self) -> BenchResult<()> {
        self.shutdown(StdShutdown::Write)
            .map_err(|e| format!("std shutdown: {e}").into())
    }
}

impl Conn for Socket {
    #[inline]
    fn send_some(&self, buf: &[u8]) -> BenchResult<usize> {
        self.send(buf).map_err(Into::into)
    }

    #[inline]
    fn receive_some(&self, buf: &mut [u8]) -> BenchResult<usize> {
        self.receive(buf).map_err(Into::into)
    }

    fn finish_sending(&self) -> BenchResult<()> {
        self.shutdown(Shutdown::Send).map_err(Into::into)
    }
}

// ----- connection setup (not timed) -----

/// A connected std pair (client, server) on 127.0.0.1, with timeouts set.
pub(crate) fn std_pair(no_delay: bool, timeout: Duration) -> BenchResult<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let address = listener.local_addr()?;
    check_loopback(address)?;
    let client = TcpStream::connect_timeout(&address, timeout)?;
    // std's accept has no timeout: poll a non-blocking listener for a bounded time.
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + timeout;
    let server = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(format!("std accept on {address}: {e}").into()),
        }
    };
    server.set_nonblocking(false)?;
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(no_delay)?;
    }
    Ok((client, server))
}

/// A connected netstack pair (client, server) on 127.0.0.1, with timeouts set.
pub(crate) fn netstack_pair(no_delay: bool, timeout: Duration) -> BenchResult<(Socket, Socket)> {
    let tcp = || {
        Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
    };
    let listener = tcp()?;
    listener.bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.listen(1)?;
    listener.set_receive_timeout(Some(timeout))?;
    let endpoint = listener.local_endpoint()?;
    let address = endpoint
        .as_ip()
        .ok_or_else(|| format!("netstack listener has a non-IP endpoint {endpoint}"))?;
    check_loopback(address)?;
    let client = tcp()?;
    client.connect_timeout(address, timeout)?;
    let server = listener.accept()?;
    for socket in [&client, &server] {
        socket.set_receive_timeout(Some(timeout))?;
        socket.set_send_timeout(Some(timeout))?;
        socket.set_no_delay(no_delay)?;
    }
    Ok((client, server))
}

pub(crate) fn check_loopback(address: SocketAddr) -> BenchResult<()> {
    if address.ip() != Ipv4Addr::LOCALHOST {
        return Err(format!("refusing to benchmark on {address}: 127.0.0.1 only").into());
    }
    Ok(())
}

// ----- the workloads (generic, identical for both contenders) -----

/// Sends all of `buf`; bounded: each call takes at least one byte or fails.
#[inline]
fn send_all<C: Conn>(conn: &C, buf: &[u8]) -> BenchResult<()> {
    let mut sent = 0;
    for _ in 0..buf.len() {
        if sent == buf.len() {
            break;
        }
        match conn.send_some(&buf[sent..])? {
            0 => return Err("send took 0 bytes".into()),
            n => sent += n,
        }
    }
    if sent != buf.len() {
        return Err(format!("sent {sent} of {} bytes", buf.len()).into());
    }
    Ok(())
}

/// Fills `buf` exactly; end of stream before that is an error.
#[inline]
fn receive_exact<C: Conn>(conn: &C, buf: &mut [u8]) -> BenchResult<()> {
    let mut got = 0;
    for _ in 0..buf.len() {
        if got == buf.len() {
            break;
        }
        match conn.receive_some(&mut buf[got..])? {
            0 => return Err(format!("end of stream after {got} of {} bytes", buf.len()).into()),
            n => got += n,
        }
    }
    if got != buf.len() {
        return Err(format!("received {got} of {} bytes", buf.len()).into());
    }
    Ok(())
}

/// Bulk transfer of `total` bytes from `sender` to `receiver` (a thread);
/// returns MiB/s.
fn bulk<C: Conn>(sender: C, receiver: C, total: u64, buffer: usize) -> BenchResult<f64> {
    let barrier = Arc::new(Barrier::new(2));
    let receiver_barrier = Arc::clone(&barrier);
    // The receiver owns its socket: if it fails, dropping the socket ends the sender.
    let receiver_thread = thread::spawn(move || -> BenchResult<(u64, Instant)> {
        let mut buf = vec![0u8; buffer];
        receiver_barrier.wait();
        let mut received: u64 = 0;
        // Every call but the last (end of stream) reads at least one byte.
        for _ in 0..=total {
            let n = receiver.receive_some(&mut buf)?;
            if n == 0 {
                return Ok((received, Instant::now()));
            }
            received += n as u64;
            if received > total {
                return Err(
                    format!("received {received} bytes, more than the {total} sent").into(),
                );
            }
        }
        Err(format!("no end of stream after {received} bytes").into())
    });

    let buf = vec![0xA5u8; buffer];
    barrier.wait();
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut send_error = None;
    for _ in 0..total {
        if sent == total {
            break;
        }
        let len = (total - sent).min(buffer as u64) as usize;
        match sender.send_some(&buf[..len]) {
            Ok(0) => {
                send_error = Some("send took 0 bytes".into());
                break;
            }
            Ok(n) => sent += n as u64,
            Err(e) => {
                send_error = Some(e);
                break;
            }
        }
    }
    // End the stream whatever happened, so the receiver finishes.
    let shutdown = sender.finish_sending();
    let received = receiver_thread
        .join()
        .map_err(|_| "bulk receiver thread panicked")?;
    if let Some(e) = send_error {
        return Err(format!("sender: {e}").into());
    }
    shutdown?;
    let (received, end) = received.map_err(|e| format!("receiver: {e}"))?;
    if sent != total || received != total {
        return Err(format!(
            "short transfer: sent {sent}, received {received}, expected {total} bytes"
        )
        .into());
    }
    let seconds = end.duration_since(start).as_secs_f64();
    Ok(total as f64 / MIB as f64 / seconds)
}

/// `round_trips` echoes of a `size`-byte message from `client` through an
/// echo thread on `server`; returns round trips per second.
pub(crate) fn ping_pong<C: Conn>(
    client: C,
    server: C,
    round_trips: u64,
    size: usize,
) -> BenchResult<f64> {
    let barrier = Arc::new(Barrier::new(2));
    let echo_barrier = Arc::clone(&barrier);
    // The echo thread owns its socket: if it fails, dropping the socket ends the client.
    let echo_thread = thread::spawn(move || -> BenchResult<u64> {
        let mut buf = vec![0u8; size];
        echo_barrier.wait();
        let mut echoed = 0;
        for _ in 0..round_trips {
            receive_exact(&server, &mut buf)?;
            send_all(&server, &buf)?;
            echoed += 1;
        }
        // The client must send nothing more: the next receive is end of stream.
        match server.receive_some(&mut buf)? {
            0 => Ok(echoed),
            n => Err(format!("{n} unexpected bytes after {echoed} messages").into()),
        }
    });

    let mut message = vec![0x5Au8; size];
    let mut reply = vec![0u8; size];
    barrier.wait();
    let start = Instant::now();
    let mut client_error = None;
    let mut completed: u64 = 0;
    for sequence in 0..round_trips {
        message[..8].copy_from_slice(&sequence.to_le_bytes());
        let step = send_all(&client, &message).and_then(|()| receive_exact(&client, &mut reply));
        if let Err(e) = step {
            client_error = Some(e);
            break;
        }
        if reply != message {
            client_error = Some(format!("echo {sequence} differs from the message sent").into());
            break;
        }
        completed += 1;
    }
    let elapsed = start.elapsed();
    let shutdown = client.finish_sending();
    let echoed = echo_thread
        .join()
        .map_err(|_| "ping-pong echo thread panicked")?;
    if let Some(e) = client_error {
        return Err(format!("client after {completed} round trips: {e}").into());
    }
    shutdown?;
    let echoed = echoed.map_err(|e| format!("echo server: {e}"))?;
    if completed != round_trips || echoed != round_trips {
        return Err(format!(
            "short run: {completed} round trips completed, {echoed} echoed, {round_trips} expected"
        )
        .into());
    }
    Ok(round_trips as f64 / elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_moves_every_byte_with_both_contenders() {
        let timeout = Duration::from_secs(10);
        let total = 3 * MIB + 17;
        let (a, b) = std_pair(false, timeout).unwrap();
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
        let (a, b) = netstack_pair(false, timeout).unwrap();
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
    }

    #[test]
    fn ping_pong_completes_with_both_contenders() {
        let timeout = Duration::from_secs(10);
        let (a, b) = std_pair(true, timeout).unwrap();
        assert!(ping_pong(a, b, 500, 64).unwrap() > 0.0);
        let (a, b) = netstack_pair(true, timeout).unwrap();
        assert!(ping_pong(a, b, 500, 64).unwrap() > 0.0);
    }

    #[test]
    fn a_peer_that_closes_early_is_an_error_not_a_sample() {
        let timeout = Duration::from_secs(10);
        let (client, server) = netstack_pair(true, timeout).unwrap();
        drop(server);
        assert!(ping_pong_client_only(&client).is_err());
    }

    fn ping_pong_client_only(client: &Socket) -> BenchResult<()> {
        let mut reply = [0u8; 64];
        let _ = send_all(client, &[0u8; 64]);
        receive_exact(client, &mut reply)
    }

    #[test]
    fn command_lists_only_changed_options() {
        let mut args = Args::default();
        assert_eq!(
            args.command("bulk"),
            "cargo run -p bench --release -- sockets --case bulk"
        );
        args.pingpong = 1000;
        args.bulk_mib = 64;
        assert_eq!(
            args.command("pingpong"),
            "cargo run -p bench --release -- sockets --case pingpong --pingpong 1000"
        );
    }
}
