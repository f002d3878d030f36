//! Layer 3, the framing toolkit: netstack's `Framed` + `LinesCodec`
//! against tokio-util's `Framed<tokio::net::TcpStream, LinesCodec>`, over
//! loopback TCP.
//!
//! - **lines-async**: a client task writes N lines (1,000,000 by default,
//!   about 41 bytes each) with the `futures` `SinkExt::feed` (the Sink
//!   flushes by itself when its buffer is full) and closes; a server task
//!   decodes them with `StreamExt::next` and counts lines and bytes until
//!   the end of the stream. Both contenders run as two tasks on one
//!   multi-thread tokio runtime (2 workers by default, shared), with the
//!   same lines, the same maximum line length (64 KiB, netstack's default)
//!   and each side's default buffers (netstack's `Sink` writes when 64 KiB
//!   are buffered, tokio-util's at 8 KiB; `--tokio-write-boundary 65536`
//!   gives tokio-util the same batches). Lines per second, from the first
//!   write until the server has counted the last line.
//! - **lines-sync**: the same transfer with netstack's synchronous mode
//!   (`Framed::feed_frame` + `flush` every 64 KiB, `read_frame`) on two
//!   threads, against the same tokio-util peer on the runtime.
//! - **lines-memory**: the codec and `Framed` alone, without sockets: each
//!   contender encodes the N lines through its async `Framed`'s `Sink`
//!   (`feed`, then `close`) into a `Vec<u8>`, then decodes them back
//!   through its `Stream` from that memory (netstack over a
//!   `futures::io::Cursor`, tokio-util over `&[u8]`), in one future on one
//!   thread (the runtime's `block_on`). Lines per second, both directions
//!   counted: the CPU per line of each toolkit, which the loopback cases
//!   mix with the transport and the scheduler.
//!
//! A hidden `--solo netstack|peer` flag runs one contender only, for
//! profiling it alone.
//!
//! Every line count and byte count is checked; sockets have read and write
//! timeouts (sync) and each async sample is bounded as a whole.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt as _};
use protocols::framing::{Framed, LinesCodec};
use tokio::runtime::Runtime;
use transport::{NetworkStream, TcpClient, TcpListener};

use crate::async_cases;
use crate::harness::Solo;
use crate::harness::{self, BenchResult, Common, Report, Unit};

/// The longest line either codec accepts (netstack's default).
const MAX_LINE: usize = LinesCodec::DEFAULT_MAX_LINE_LENGTH;
/// The synchronous writer flushes when this much is buffered (the async
/// `Sink`'s own boundary).
const SYNC_FLUSH_AT: usize = 64 * 1024;

/// Which of the framing cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case.
    All,
    /// netstack async Framed vs tokio-util Framed, both on the tokio runtime.
    LinesAsync,
    /// netstack sync Framed (two threads) vs tokio-util Framed.
    LinesSync,
    /// Both Framed over memory (no sockets): encode, then decode.
    LinesMemory,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::All => "all",
            Case::LinesAsync => "lines-async",
            Case::LinesSync => "lines-sync",
            Case::LinesMemory => "lines-memory",
        }
    }
}

/// Options of `bench framing`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Lines sent per run.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
    pub lines: u64,

    /// Worker threads of the tokio runtime both contenders share.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,

    /// tokio-util's `Sink` flush boundary in bytes (default: its own,
    /// 8 KiB); 65536 makes it write in batches as large as netstack's.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub tokio_write_boundary: Option<u64>,

    /// For profiling (`perf`, `strace -c`): run only this contender's
    /// samples and print them, without a comparison.
    #[arg(long, value_enum, hide = true)]
    pub solo: Option<Solo>,
}

impl Args {
    fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }

    fn command(&self, case: Case) -> String {
        let mut cmd = format!(
            "cargo run -p bench --release -- framing --case {}",
            case.name()
        );
        if self.common.rounds != 5 {
            cmd += &format!(" --rounds {}", self.common.rounds);
        }
        if self.lines != 1_000_000 {
            cmd += &format!(" --lines {}", self.lines);
        }
        if self.workers != 2 {
            cmd += &format!(" --workers {}", self.workers);
        }
        if let Some(boundary) = self.tokio_write_boundary {
            cmd += &format!(" --tokio-write-boundary {boundary}");
        }
        cmd
    }
}

/// The lines of one run, and what the receiver must count.
struct Lines {
    lines: Vec<String>,
    bytes: u64,
}

impl Lines {
    fn new(count: u64) -> Arc<Lines> {
        let lines: Vec<String> = (0..count)
            .map(|i| format!("{i:010} the quick brown fox jumps over"))
            .collect();
        let bytes = lines.iter().map(|l| l.len() as u64).sum();
        Arc::new(Lines { lines, bytes })
    }

    fn check(&self, who: &str, count: u64, bytes: u64) -> BenchResult<()> {
        if count != self.lines.len() as u64 || bytes != self.bytes {
            return Err(format!(
                "{who}: received {count} lines / {bytes} bytes, expected {} / {}",
                self.lines.len(),
                self.bytes
            )
            .into());
        }
        Ok(())
    }

    fn rate(&self, elapsed: Duration) -> f64 {
        self.lines.len() as f64 / elapsed.as_secs_f64() / 1e6
    }
}

/// Runs the selected cases.
pub fn run(args: &Args) -> BenchResult<Report> {
    let mut report = Report::default();
    let lines = Lines::new(args.lines);
    let timeout = args.common.timeout();
    let count = thousands(args.lines);
    eprintln!(
        "tokio runtime: multi-thread, {} worker threads, shared by both contenders",
        args.workers
    );
    let runtime = async_cases::runtime(args.workers)?;
    let unit = Unit::rate("M lines/s", 3);
    let boundary = args.tokio_write_boundary.map(|b| b as usize);

    if args.wants(Case::LinesAsync) {
        report.cases.extend(harness::measure(
            args.solo,
            format!("lines codec, {count} lines over loopback: async Framed"),
            unit,
            "tokio-util",
            args.common.rounds,
            args.command(Case::LinesAsync),
            || tokio_sample(&runtime, timeout, &lines, boundary),
            || async_cases::sample(&runtime, timeout, || netstack_async(Arc::clone(&lines))),
        )?);
    }
    if args.wants(Case::LinesSync) {
        report.cases.extend(harness::measure(
            args.solo,
            format!("lines codec, {count} lines over loopback: sync Framed (2 threads)"),
            unit,
            "tokio-util",
            args.common.rounds,
            args.command(Case::LinesSync),
            || tokio_sample(&runtime, timeout, &lines, boundary),
            || netstack_sync(Arc::clone(&lines), timeout),
        )?);
    }
    if args.wants(Case::LinesMemory) {
        report.cases.extend(harness::measure(
            args.solo,
            format!("lines codec, {count} lines encoded then decoded in memory: async Framed"),
            unit,
            "tokio-util",
            args.common.rounds,
            args.command(Case::LinesMemory),
            || async_cases::sample(&runtime, timeout, || tokio_memory(Arc::clone(&lines))),
            || async_cases::sample(&runtime, timeout, || netstack_memory(Arc::clone(&lines))),
        )?);
    }
    Ok(report)
}

/// tokio-util over memory: the lines into a `Vec<u8>` through a
/// `FramedWrite` (its `Framed` needs a stream that reads too), then back
/// out through a `FramedRead`.
async fn tokio_memory(lines: Arc<Lines>) -> BenchResult<f64> {
    use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec as TokioLines};
    let start = Instant::now();
    let mut writer = FramedWrite::new(Vec::new(), TokioLines::new_with_max_length(MAX_LINE));
    for line in &lines.lines {
        writer.feed(line.as_str()).await?;
    }
    SinkExt::<&str>::close(&mut writer).await?;
    let written = writer.into_inner();
    let mut reader = FramedRead::new(&written[..], TokioLines::new_with_max_length(MAX_LINE));
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(line) = reader.next().await {
        bytes += line?.len() as u64;
        count += 1;
    }
    let elapsed = start.elapsed();
    lines.check("tokio-util memory", count, bytes)?;
    Ok(lines.rate(elapsed))
}

/// netstack's `Framed` over memory, as [`tokio_memory`].
async fn netstack_memory(lines: Arc<Lines>) -> BenchResult<f64> {
    let start = Instant::now();
    let mut writer = Framed::new(
        futures::io::Cursor::new(Vec::new()),
        LinesCodec::new().max_length(MAX_LINE),
    );
    for line in &lines.lines {
        writer.feed(line.as_str()).await?;
    }
    SinkExt::<&str>::close(&mut writer).await?;
    let written = writer.into_inner().into_inner();
    let mut reader = Framed::new(
        futures::io::Cursor::new(&written[..]),
        LinesCodec::new().max_length(MAX_LINE),
    );
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(line) = reader.next().await {
        bytes += line?.len() as u64;
        count += 1;
    }
    let elapsed = start.elapsed();
    lines.check("netstack memory", count, bytes)?;
    Ok(lines.rate(elapsed))
}

fn tokio_sample(
    runtime: &Runtime,
    timeout: Duration,
    lines: &Arc<Lines>,
    boundary: Option<usize>,
) -> BenchResult<f64> {
    async_cases::sample(runtime, timeout, || {
        tokio_lines(Arc::clone(lines), boundary)
    })
}

/// The peer: tokio-util's `Framed<TcpStream, LinesCodec>` on both ends
/// (the writer's flush boundary set to `boundary` when given).
async fn tokio_lines(lines: Arc<Lines>, boundary: Option<usize>) -> BenchResult<f64> {
    use tokio_util::codec::{Framed as TokioFramed, LinesCodec as TokioLines};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut framed = TokioFramed::new(server, TokioLines::new_with_max_length(MAX_LINE));
        let (mut count, mut bytes) = (0u64, 0u64);
        while let Some(line) = framed.next().await {
            bytes += line?.len() as u64;
            count += 1;
        }
        Ok::<_, harness::BoxError>((count, bytes))
    });
    let sent = Arc::clone(&lines);
    let writer = tokio::spawn(async move {
        let mut framed = TokioFramed::new(client, TokioLines::new_with_max_length(MAX_LINE));
        if let Some(boundary) = boundary {
            framed.set_backpressure_boundary(boundary);
        }
        for line in &sent.lines {
            framed.feed(line.as_str()).await?;
        }
        SinkExt::<&str>::close(&mut framed).await?;
        Ok::<_, harness::BoxError>(())
    });
    writer.await??;
    let (count, bytes) = reader.await??;
    let elapsed = start.elapsed();
    lines.check("tokio-util", count, bytes)?;
    Ok(lines.rate(elapsed))
}

/// netstack's async `Framed` over `NetworkStream`, as tasks on the same runtime.
async fn netstack_async(lines: Arc<Lines>) -> BenchResult<f64> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    listener.start(8)?;
    let connect = TcpClient::connect_endpoint_async(listener.local_endpoint()?);
    let (client, server) = futures::join!(connect, listener.accept_async());
    let (client, server) = (client?.into_stream(), server?);
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut framed = Framed::new(server, LinesCodec::new().max_length(MAX_LINE));
        let (mut count, mut bytes) = (0u64, 0u64);
        while let Some(line) = framed.next().await {
            bytes += line?.len() as u64;
            count += 1;
        }
        Ok::<_, harness::BoxError>((count, bytes))
    });
    let sent = Arc::clone(&lines);
    let writer = tokio::spawn(async move {
        let mut framed = Framed::new(client, LinesCodec::new());
        for line in &sent.lines {
            framed.feed(line.as_str()).await?;
        }
        SinkExt::<&str>::close(&mut framed).await?;
        Ok::<_, harness::BoxError>(())
    });
    writer.await??;
    let (count, bytes) = reader.await??;
    let elapsed = start.elapsed();
    lines.check("netstack async", count, bytes)?;
    Ok(lines.rate(elapsed))
}

/// netstack's sync `Framed` over `NetworkStream`: a writer and a reader thread.
fn netstack_sync(lines: Arc<Lines>, timeout: Duration) -> BenchResult<f64> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    listener.start(8)?;
    let client = TcpClient::connect_endpoint(listener.local_endpoint()?)?.into_stream();
    let server = listener.accept()?;
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
    }
    let start = Instant::now();
    let reader = thread::spawn(move || {
        let mut framed = Framed::new(server, LinesCodec::new().max_length(MAX_LINE));
        let (mut count, mut bytes) = (0u64, 0u64);
        while let Some(line) = framed.read_frame()? {
            bytes += line.len() as u64;
            count += 1;
        }
        Ok::<_, harness::BoxError>((count, bytes))
    });
    let sent = Arc::clone(&lines);
    let writer = thread::spawn(move || {
        let mut framed: Framed<NetworkStream, _> = Framed::new(client, LinesCodec::new());
        for line in &sent.lines {
            framed.feed_frame(line.as_str())?;
            if framed.write_buffer().len() >= SYNC_FLUSH_AT {
                framed.flush()?;
            }
        }
        framed.flush()?;
        framed.get_ref().shutdown(sockets::Shutdown::Send)?;
        Ok::<_, harness::BoxError>(())
    });
    writer.join().map_err(|_| "the writer thread panicked")??;
    let (count, bytes) = reader.join().map_err(|_| "the reader thread panicked")??;
    let elapsed = start.elapsed();
    lines.check("netstack sync", count, bytes)?;
    Ok(lines.rate(elapsed))
}

/// `1000000` → `"1,000,000"`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_about_forty_bytes_and_counted() {
        let lines = Lines::new(3);
        assert_eq!(lines.lines[2], "0000000002 the quick brown fox jumps over");
        assert_eq!(lines.bytes, 3 * 41);
        assert!(lines.check("x", 3, 123).is_ok());
        assert!(lines.check("x", 2, 82).is_err());
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
