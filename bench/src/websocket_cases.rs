//! Layer 3, WebSocket: netstack's client and server against tungstenite's,
//! over loopback, each contender talking to itself (netstack's client to
//! netstack's server, tungstenite's to tungstenite's).
//!
//! - **echo-async**: one connection; the client sends a 1 KiB binary
//!   message and awaits its echo, N times (20,000 by default). netstack's
//!   `AsyncWebSocket` against an `AsyncHttpServer` that accepts the upgrade,
//!   tokio-tungstenite's client against its `accept_async` server; both on
//!   one shared multi-thread tokio runtime (2 workers), and both servers run
//!   each connection as a task of its own (`serve_spawned` with
//!   `tokio::spawn`, as the tungstenite server spawns). Round trips per
//!   second, timed from the first send to the last echo (the handshake is
//!   not counted).
//! - **bulk-async**: one connection; the client sends M binary messages of
//!   64 KiB (4,096 by default: 256 MiB) and the server, which counts them,
//!   answers with one text message at the end. MiB/s.
//! - **echo-sync**: echo-async with the blocking `WebSocket` against
//!   netstack's `HttpServer`, and tungstenite's blocking client and server
//!   (a thread each).
//! - **bulk-sync**: bulk-async with the same blocking pairs.
//!
//! Both contenders use TCP_NODELAY on both ends and mask every client frame
//! as RFC 6455 requires. Every echo is compared with what was sent, and
//! the bulk byte count is checked.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use protocols::http::server::{AsyncHttpServer, AsyncRequest, HttpServer, Request, ServerConfig};
use protocols::websocket::{Accept, AsyncWebSocket, Message, WebSocket};
use tungstenite::Message as TMessage;

use crate::async_cases;
use crate::harness::{self, BenchResult, Common, Report, Solo, Unit};

/// The size of an echoed message.
const ECHO_BYTES: usize = 1024;
/// The size of a bulk message.
const BULK_BYTES: usize = 64 * 1024;

/// Which of the WebSocket cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case.
    All,
    /// 1 KiB echoes, async, on the shared tokio runtime.
    EchoAsync,
    /// 64 KiB messages one way, async.
    BulkAsync,
    /// 1 KiB echoes, blocking clients and servers on threads.
    EchoSync,
    /// 64 KiB messages one way, blocking clients and servers on threads.
    BulkSync,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::All => "all",
            Case::EchoAsync => "echo-async",
            Case::BulkAsync => "bulk-async",
            Case::EchoSync => "echo-sync",
            Case::BulkSync => "bulk-sync",
        }
    }
}

/// Options of `bench websocket`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Round trips per echo sample.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub round_trips: u64,

    /// 64 KiB messages per bulk sample.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub bulk_messages: u64,

    /// Worker threads of the tokio runtime both contenders share.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,

    /// Blocking cases: pin each contender's client thread to CPU 0 and its
    /// server thread to CPU 1, so that no sample depends on where the
    /// scheduler puts the two ends.
    #[arg(long)]
    pub pin: bool,

    /// For profiling: run only this contender's samples.
    #[arg(long, value_enum, hide = true)]
    pub solo: Option<Solo>,
}

impl Args {
    fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }

    fn command(&self, case: Case) -> String {
        let mut cmd = format!(
            "cargo run -p bench --release -- websocket --case {}",
            case.name()
        );
        if self.common.rounds != 5 {
            cmd += &format!(" --rounds {}", self.common.rounds);
        }
        if self.pin && matches!(case, Case::EchoSync | Case::BulkSync) {
            cmd += " --pin";
        }
        cmd
    }
}

pub fn run(args: &Args) -> BenchResult<Report> {
    let mut report = Report::default();
    let runtime = async_cases::runtime(args.workers)?;
    let limit = args.common.timeout();
    let trips = args.round_trips;
    let count = async_cases::thousands(trips);
    let rate = Unit::rate("round trips/s", 0);
    if args.wants(Case::EchoAsync) {
        report.cases.extend(harness::measure(
            args.solo,
            format!(
                "WebSocket echo, {count} × 1 KiB, async (tokio, {} workers)",
                args.workers
            ),
            rate,
            "tokio-tungstenite",
            args.common.rounds,
            args.command(Case::EchoAsync),
            || async_cases::sample(&runtime, limit, || tungstenite_echo_async(trips)),
            || async_cases::sample(&runtime, limit, || netstack_echo_async(trips)),
        )?);
    }
    if args.wants(Case::BulkAsync) {
        let messages = args.bulk_messages;
        report.cases.extend(harness::measure(
            args.solo,
            format!(
                "WebSocket bulk, {} × 64 KiB one way, async",
                async_cases::thousands(messages)
            ),
            Unit::rate("MiB/s", 1),
            "tokio-tungstenite",
            args.common.rounds,
            args.command(Case::BulkAsync),
            || async_cases::sample(&runtime, limit, || tungstenite_bulk_async(messages)),
            || async_cases::sample(&runtime, limit, || netstack_bulk_async(messages)),
        )?);
    }
    if args.wants(Case::EchoSync) {
        report.cases.extend(harness::measure(
            args.solo,
            format!("WebSocket echo, {count} × 1 KiB, blocking (a thread per end)"),
            rate,
            "tungstenite",
            args.common.rounds,
            args.command(Case::EchoSync),
            || tungstenite_echo_sync(trips, limit, args.pin),
            || netstack_echo_sync(trips, limit, args.pin),
        )?);
    }
    if args.wants(Case::BulkSync) {
        let messages = args.bulk_messages;
        report.cases.extend(harness::measure(
            args.solo,
            format!(
                "WebSocket bulk, {} × 64 KiB one way, blocking (a thread per end)",
                async_cases::thousands(messages)
            ),
            Unit::rate("MiB/s", 1),
            "tungstenite",
            args.common.rounds,
            args.command(Case::BulkSync),
            || tungstenite_bulk_sync(messages, limit, args.pin),
            || netstack_bulk_sync(messages, limit, args.pin),
        )?);
    }
    Ok(report)
}

/// With `pin`, runs the calling thread on `cpu` only, or (`None`) on the
/// CPUs the process was given again.
fn pin_thread(pin: bool, cpu: Option<usize>) {
    use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};
    static ORIGINAL: std::sync::OnceLock<Option<CpuSet>> = std::sync::OnceLock::new();
    if !pin {
        return;
    }
    // Read before the first pin: every thread starts with the process's set.
    let original = ORIGINAL.get_or_init(|| sched_getaffinity(None).ok());
    let set = match (cpu, original) {
        (Some(cpu), _) => {
            let mut set = CpuSet::new();
            set.set(cpu);
            set
        }
        (None, Some(original)) => *original,
        (None, None) => return,
    };
    if let Err(e) = sched_setaffinity(None, &set) {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            eprintln!("--pin: a thread could not be pinned ({e}); it runs anywhere.")
        });
    }
}

fn payload(len: usize, seed: u64) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (i as u64 ^ seed) as u8)
            .collect::<Vec<u8>>(),
    )
}

fn per_second(count: u64, since: Instant) -> f64 {
    count as f64 / since.elapsed().as_secs_f64()
}

fn mib_per_second(messages: u64, since: Instant) -> f64 {
    (messages * BULK_BYTES as u64) as f64 / (1 << 20) as f64 / since.elapsed().as_secs_f64()
}

// ----- netstack, async -----

/// An async server whose connections run `serve` after the upgrade, each
/// in a task of its own; its address and the handle that stops it.
fn netstack_server<F, Fut>(
    serve: F,
) -> BenchResult<(
    SocketAddr,
    protocols::http::server::ShutdownHandle,
    tokio::task::JoinHandle<()>,
)>
where
    F: Fn(AsyncWebSocket) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default())?;
    let address = server.local_endpoint().as_ip().ok_or("no address")?;
    let handle = server.shutdown_handle();
    let task = tokio::spawn(async move {
        server
            .serve_spawned(
                move |request: AsyncRequest| {
                    let serve = serve.clone();
                    async move { Accept::new(&request).serve_async(serve) }
                },
                |connection| {
                    tokio::spawn(connection);
                },
            )
            .await;
    });
    Ok((address, handle, task))
}

async fn netstack_echo_async(trips: u64) -> BenchResult<f64> {
    let (address, handle, task) = netstack_server(|mut socket: AsyncWebSocket| async move {
        while let Ok(message) = socket.read_message().await {
            if let Message::Binary(_) = message {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        }
    })?;
    let mut socket = AsyncWebSocket::connect(format!("ws://{address}/")).await?;
    let start = Instant::now();
    for trip in 0..trips {
        let sent = payload(ECHO_BYTES, trip);
        socket.send(Message::Binary(sent.clone())).await?;
        match socket.read_message().await? {
            Message::Binary(echo) if echo == sent => {}
            other => return Err(format!("round trip {trip}: got {other:?}").into()),
        }
    }
    let rate = per_second(trips, start);
    socket.close(None).await?;
    let _ = socket.read_message().await;
    handle.shutdown();
    task.await?;
    Ok(rate)
}

async fn netstack_bulk_async(messages: u64) -> BenchResult<f64> {
    let (address, handle, task) = netstack_server(move |mut socket: AsyncWebSocket| async move {
        let mut received = 0u64;
        while let Ok(message) = socket.read_message().await {
            if let Message::Binary(data) = message {
                received += data.len() as u64;
                if received == messages * BULK_BYTES as u64 {
                    let _ = socket.send(Message::Text(received.to_string())).await;
                }
            }
        }
    })?;
    let mut socket = AsyncWebSocket::connect(format!("ws://{address}/")).await?;
    let data = payload(BULK_BYTES, 7);
    let start = Instant::now();
    for _ in 0..messages {
        socket.send(Message::Binary(data.clone())).await?;
    }
    let expected = (messages * BULK_BYTES as u64).to_string();
    match socket.read_message().await? {
        Message::Text(count) if count == expected => {}
        other => return Err(format!("the server counted {other:?}, not {expected}").into()),
    }
    let rate = mib_per_second(messages, start);
    socket.close(None).await?;
    let _ = socket.read_message().await;
    handle.shutdown();
    task.await?;
    Ok(rate)
}

// ----- tokio-tungstenite -----

/// A tokio-tungstenite server of one connection running `serve`.
async fn tungstenite_server<F, Fut>(
    serve: F,
) -> BenchResult<(SocketAddr, tokio::task::JoinHandle<()>)>
where
    F: FnOnce(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            if let Ok(socket) = tokio_tungstenite::accept_async(tcp).await {
                serve(socket).await;
            }
        }
    });
    Ok((address, task))
}

async fn tungstenite_client(
    address: SocketAddr,
) -> BenchResult<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    let (socket, _) = tokio_tungstenite::client_async(format!("ws://{address}/"), tcp).await?;
    Ok(socket)
}

async fn tungstenite_echo_async(trips: u64) -> BenchResult<f64> {
    let (address, task) = tungstenite_server(|mut socket| async move {
        while let Some(Ok(message)) = socket.next().await {
            if message.is_binary() && socket.send(message).await.is_err() {
                break;
            }
        }
    })
    .await?;
    let mut socket = tungstenite_client(address).await?;
    let start = Instant::now();
    for trip in 0..trips {
        let sent = payload(ECHO_BYTES, trip);
        socket.send(TMessage::Binary(sent.clone())).await?;
        match socket.next().await {
            Some(Ok(TMessage::Binary(echo))) if echo == sent => {}
            other => return Err(format!("round trip {trip}: got {other:?}").into()),
        }
    }
    let rate = per_second(trips, start);
    socket.close(None).await?;
    task.await?;
    Ok(rate)
}

async fn tungstenite_bulk_async(messages: u64) -> BenchResult<f64> {
    let (address, task) = tungstenite_server(move |mut socket| async move {
        let mut received = 0u64;
        while let Some(Ok(message)) = socket.next().await {
            if let TMessage::Binary(data) = message {
                received += data.len() as u64;
                if received == messages * BULK_BYTES as u64 {
                    let _ = socket.send(TMessage::text(received.to_string())).await;
                }
            }
        }
    })
    .await?;
    let mut socket = tungstenite_client(address).await?;
    let data = payload(BULK_BYTES, 7);
    let start = Instant::now();
    for _ in 0..messages {
        socket.send(TMessage::Binary(data.clone())).await?;
    }
    let expected = (messages * BULK_BYTES as u64).to_string();
    match socket.next().await {
        Some(Ok(TMessage::Text(count))) if count.as_str() == expected => {}
        other => return Err(format!("the server counted {other:?}, not {expected}").into()),
    }
    let rate = mib_per_second(messages, start);
    socket.close(None).await?;
    task.await?;
    Ok(rate)
}

// ----- blocking -----

/// A netstack `HttpServer` whose WebSocket connections run `serve`, and
/// the blocking client connected to it.
fn netstack_sync_pair<F>(limit: Duration, serve: F) -> BenchResult<(HttpServer, WebSocket)>
where
    F: Fn(WebSocket) + Clone + Send + Sync + 'static,
{
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        move |request: Request| {
            Accept::new(&request)
                .read_timeout(Some(limit))
                .serve(serve.clone())
        },
    )?;
    let address = server.local_endpoint().as_ip().ok_or("no address")?;
    let socket = WebSocket::builder(format!("ws://{address}/"))
        .read_timeout(Some(limit))
        .connect()?;
    Ok((server, socket))
}

/// Closes the client, then the server.
fn netstack_sync_finish(mut socket: WebSocket, server: HttpServer) -> BenchResult<()> {
    socket.close(None)?;
    let _ = socket.read_message();
    drop(socket);
    server.shutdown();
    Ok(())
}

type TungsteniteSync = tungstenite::WebSocket<StdStream>;

/// A tungstenite server thread of one connection running `serve`, and the
/// blocking client connected to it.
fn tungstenite_sync_pair(
    limit: Duration,
    serve: impl FnOnce(TungsteniteSync) + Send + 'static,
) -> BenchResult<(thread::JoinHandle<BenchResult<()>>, TungsteniteSync)> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let server = thread::spawn(move || -> BenchResult<()> {
        let (tcp, _) = listener.accept()?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(limit))?;
        serve(tungstenite::accept(tcp).map_err(|e| e.to_string())?);
        Ok(())
    });
    let tcp = StdStream::connect(address)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(limit))?;
    let (socket, _) =
        tungstenite::client(format!("ws://{address}/"), tcp).map_err(|e| e.to_string())?;
    Ok((server, socket))
}

/// Closes the client, then waits for the server thread.
fn tungstenite_sync_finish(
    mut socket: TungsteniteSync,
    server: thread::JoinHandle<BenchResult<()>>,
) -> BenchResult<()> {
    socket.close(None)?;
    while socket.read().is_ok() {}
    server
        .join()
        .map_err(|_| "the tungstenite server thread panicked")?
}

fn netstack_echo_sync(trips: u64, limit: Duration, pin: bool) -> BenchResult<f64> {
    let (server, mut socket) = netstack_sync_pair(limit, move |mut socket: WebSocket| {
        pin_thread(pin, Some(1));
        while let Ok(message) = socket.read_message() {
            if let Message::Binary(_) = message {
                if socket.send(message).is_err() {
                    break;
                }
            }
        }
    })?;
    pin_thread(pin, Some(0));
    let start = Instant::now();
    for trip in 0..trips {
        let sent = payload(ECHO_BYTES, trip);
        socket.send(Message::Binary(sent.clone()))?;
        match socket.read_message()? {
            Message::Binary(echo) if echo == sent => {}
            other => return Err(format!("round trip {trip}: got {other:?}").into()),
        }
    }
    let rate = per_second(trips, start);
    pin_thread(pin, None);
    netstack_sync_finish(socket, server)?;
    Ok(rate)
}

fn tungstenite_echo_sync(trips: u64, limit: Duration, pin: bool) -> BenchResult<f64> {
    let (server, mut socket) = tungstenite_sync_pair(limit, move |mut socket| {
        pin_thread(pin, Some(1));
        while let Ok(message) = socket.read() {
            if message.is_binary() && socket.send(message).is_err() {
                break;
            }
        }
    })?;
    pin_thread(pin, Some(0));
    let start = Instant::now();
    for trip in 0..trips {
        let sent = payload(ECHO_BYTES, trip);
        socket.send(TMessage::Binary(sent.clone()))?;
        match socket.read()? {
            TMessage::Binary(echo) if echo == sent => {}
            other => return Err(format!("round trip {trip}: got {other:?}").into()),
        }
    }
    let rate = per_second(trips, start);
    pin_thread(pin, None);
    tungstenite_sync_finish(socket, server)?;
    Ok(rate)
}

fn netstack_bulk_sync(messages: u64, limit: Duration, pin: bool) -> BenchResult<f64> {
    let (server, mut socket) = netstack_sync_pair(limit, move |mut socket: WebSocket| {
        pin_thread(pin, Some(1));
        let mut received = 0u64;
        while let Ok(message) = socket.read_message() {
            if let Message::Binary(data) = message {
                received += data.len() as u64;
                if received == messages * BULK_BYTES as u64 {
                    let _ = socket.send(Message::Text(received.to_string()));
                }
            }
        }
    })?;
    let data = payload(BULK_BYTES, 7);
    pin_thread(pin, Some(0));
    let start = Instant::now();
    for _ in 0..messages {
        socket.send(Message::Binary(data.clone()))?;
    }
    let expected = (messages * BULK_BYTES as u64).to_string();
    match socket.read_message()? {
        Message::Text(count) if count == expected => {}
        other => return Err(format!("the server counted {other:?}, not {expected}").into()),
    }
    let rate = mib_per_second(messages, start);
    pin_thread(pin, None);
    netstack_sync_finish(socket, server)?;
    Ok(rate)
}

fn tungstenite_bulk_sync(messages: u64, limit: Duration, pin: bool) -> BenchResult<f64> {
    let (server, mut socket) = tungstenite_sync_pair(limit, move |mut socket| {
        pin_thread(pin, Some(1));
        let mut received = 0u64;
        while let Ok(message) = socket.read() {
            if let TMessage::Binary(data) = message {
                received += data.len() as u64;
                if received == messages * BULK_BYTES as u64 {
                    let _ = socket.send(TMessage::text(received.to_string()));
                }
            }
        }
    })?;
    let data = payload(BULK_BYTES, 7);
    pin_thread(pin, Some(0));
    let start = Instant::now();
    for _ in 0..messages {
        socket.send(TMessage::Binary(data.clone()))?;
    }
    let expected = (messages * BULK_BYTES as u64).to_string();
    match socket.read()? {
        TMessage::Text(count) if count.as_str() == expected => {}
        other => return Err(format!("the server counted {other:?}, not {expected}").into()),
    }
    let rate = mib_per_second(messages, start);
    pin_thread(pin, None);
    tungstenite_sync_finish(socket, server)?;
    Ok(rate)
}
