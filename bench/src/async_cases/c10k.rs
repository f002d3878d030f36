//! C10K: memory per idle connection, each sample in fresh child processes.

use super::*;

/// Options of the hidden `async-c10k-child` subcommand (the measured process).
#[derive(clap::Args, Debug, Clone)]
pub struct C10kChildArgs {
    /// Whose sockets hold the connections.
    #[arg(value_enum)]
    pub who: Who,

    /// Connections to accept and hold.
    #[arg(long, default_value_t = 10_000)]
    pub connections: u64,

    /// Worker threads of the tokio runtime.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,

    /// Upper bound on the whole child, in seconds.
    #[arg(long, default_value_t = 120)]
    pub case_timeout_secs: u64,

    /// A timeout on every socket operation, in seconds (none if absent).
    #[arg(long)]
    pub socket_timeout_secs: Option<u64>,
}

/// Options of the hidden `async-c10k-clients` subcommand (the client ends).
#[derive(clap::Args, Debug, Clone)]
pub struct C10kClientsArgs {
    /// The port of the server child's listener on 127.0.0.1.
    #[arg(long)]
    pub port: u16,

    /// Connections to make.
    #[arg(long, default_value_t = 10_000)]
    pub connections: u64,

    /// Connect, read and write timeout of each client socket, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout_secs: u64,
}

/// One C10K sample: a fresh server child of `who` and a fresh client child;
/// returns the server's RSS growth per connection, in bytes.
pub(super) fn c10k_sample(who: Who, args: &Args) -> BenchResult<f64> {
    let deadline = Instant::now() + args.case_timeout();
    let n = args.c10k_connections;
    let mut server_args = vec![
        "async-c10k-child".to_string(),
        who.name().to_string(),
        format!("--connections={n}"),
        format!("--workers={}", args.workers),
        format!("--case-timeout-secs={}", args.case_timeout_secs),
    ];
    if args.socket_timeouts {
        server_args.push(format!(
            "--socket-timeout-secs={}",
            args.common.timeout_secs
        ));
    }
    let mut server = ChildProcess::spawn("c10k server child", &server_args)?;
    let listening = server.expect("listening", deadline)?;
    let port: u16 = word(&listening, 0)?;
    let before: i64 = word(&listening, 1)?;
    let mut clients = ChildProcess::spawn(
        "c10k client child",
        &[
            "async-c10k-clients".to_string(),
            format!("--port={port}"),
            format!("--connections={n}"),
            format!("--timeout-secs={}", args.common.timeout_secs),
        ],
    )?;
    let connected: u64 = word(&clients.expect("connected", deadline)?, 0)?;
    let parked = server.expect("parked", deadline)?;
    let parked_count: u64 = word(&parked, 0)?;
    let after: i64 = word(&parked, 1)?;
    clients.send_line("send")?;
    let echoed: u64 = word(&clients.expect("echoed", deadline)?, 0)?;
    let done: u64 = word(&server.expect("done", deadline)?, 0)?;
    clients.finish(deadline)?;
    server.finish(deadline)?;
    if [connected, parked_count, echoed, done] != [n; 4] {
        return Err(format!(
            "expected {n} connections throughout: {connected} connected, {parked_count} parked, \
             {echoed} echoed, {done} done"
        )
        .into());
    }
    eprintln!(
        "    {}: VmRSS {before} kB before, {after} kB with {n} idle connections",
        who.name()
    );
    Ok((after - before) as f64 * 1024.0 / n as f64)
}

pub(super) fn word<T: std::str::FromStr>(words: &[String], index: usize) -> BenchResult<T>
where
    T::Err: std::fmt::Display,
{
    let text = words
        .get(index)
        .ok_or_else(|| format!("child line has no field {index}: {words:?}"))?;
    text.parse()
        .map_err(|e| format!("child line field {index} `{text}`: {e}").into())
}

/// The measured C10K process: accepts N connections and parks a receive on each.
pub fn c10k_child(args: &C10kChildArgs) -> BenchResult<()> {
    let n = usize::try_from(args.connections)?;
    check_open_files(args.connections + 64)?;
    let options = ConnOptions {
        no_delay: true,
        timeout: args.socket_timeout_secs.map(Duration::from_secs),
    };
    let limit = Duration::from_secs(args.case_timeout_secs);
    runtime(args.workers)?.block_on(async {
        let work = async {
            match args.who {
                Who::Netstack => c10k_server::<Netstack>(n, options).await,
                Who::Tokio if options.timeout.is_some() => {
                    c10k_server::<TokioTimed>(n, options).await
                }
                Who::Tokio => c10k_server::<Tokio>(n, options).await,
                Who::AsyncIo => Err("the C10K case compares netstack with tokio only".into()),
            }
        };
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(format!("c10k child not finished within {limit:?}").into()),
        }
    })
}

pub(super) async fn c10k_server<C: Contender>(n: usize, options: ConnOptions) -> BenchResult<()> {
    // A deep backlog: the client process connects faster than a descheduled
    // accept loop drains, and an overflow costs a 1 s SYN retransmission.
    let (listener, address) = C::listen(u32::try_from(n)?.clamp(1024, 65_535)).await?;
    // Warm-up: one connection end to end, so that the reactor (netstack) or
    // the I/O driver (tokio) and their first allocations exist before "before".
    {
        let (client, server) =
            tokio::join!(C::connect(address, options), C::accept(&listener, options));
        let mut client = client?;
        let parked = Arc::new(AtomicUsize::new(0));
        let mut server = server?;
        let mut buf = [0u8; 64];
        let receive = std::mem::size_of_val(&server.receive_some(&mut buf));
        let future = idle(server, Arc::clone(&parked));
        // What each idle connection's task holds, beside the RSS figure.
        eprintln!(
            "    {}: a connection {} B, a pending receive {receive} B, the task's future {} B",
            C::NAME,
            std::mem::size_of::<C::Conn>(),
            std::mem::size_of_val(&future)
        );
        let task = tokio::spawn(future);
        wait_parked(&parked, 1).await?;
        send_all(&mut client, &[7]).await?;
        let mut reply = [0u8; 1];
        receive_exact(&mut client, &mut reply).await?;
        task.await.map_err(|e| format!("warm-up task: {e}"))??;
        if reply != [7] {
            return Err("warm-up echo differs".into());
        }
    }
    let parked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(n);
    let before = rss_kib()?;
    println!("listening {} {before}", address.port());
    for accepted in 0..n {
        let conn = C::accept(&listener, options)
            .await
            .map_err(|e| format!("accept {accepted} of {n}: {e}"))?;
        tasks.push(tokio::spawn(idle(conn, Arc::clone(&parked))));
    }
    wait_parked(&parked, n).await?;
    // Every task counts itself just before its first poll of the receive;
    // give the last ones time to reach it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib()?;
    println!("parked {} {after}", parked.load(Ordering::Acquire));
    let mut done = 0;
    for task in tasks {
        task.await.map_err(|e| format!("idle task: {e}"))??;
        done += 1;
    }
    println!("done {done}");
    Ok(())
}

/// An idle connection: a pending receive until the client sends one byte, which is echoed.
pub(super) async fn idle<C: AsyncConn>(mut conn: C, parked: Arc<AtomicUsize>) -> BenchResult<()> {
    let mut buf = [0u8; 64];
    parked.fetch_add(1, Ordering::Release);
    let n = conn.receive_some(&mut buf).await?;
    if n != 1 {
        return Err(format!("idle connection received {n} bytes, expected 1").into());
    }
    send_all(&mut conn, &buf[..1]).await
}

/// Waits (bounded by the caller's timeout, and by a count of steps) until `n` tasks are parked.
pub(super) async fn wait_parked(parked: &AtomicUsize, n: usize) -> BenchResult<()> {
    for _ in 0..1_000_000 {
        if parked.load(Ordering::Acquire) >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Err(format!(
        "only {} of {n} tasks parked",
        parked.load(Ordering::Acquire)
    )
    .into())
}

/// The client ends of the C10K connections, in their own process (plain std sockets).
pub fn c10k_clients(args: &C10kClientsArgs) -> BenchResult<()> {
    check_open_files(args.connections + 64)?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    check_loopback(address)?;
    let timeout = Duration::from_secs(args.timeout_secs);
    let n = usize::try_from(args.connections)?;
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let stream = StdTcpStream::connect_timeout(&address, timeout)
            .map_err(|e| format!("connect {i} of {n} to {address}: {e}"))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        conns.push(stream);
    }
    println!("connected {n}");
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    if line.trim() != "send" {
        return Err(format!("expected `send` from the parent, got {line:?}").into());
    }
    for (i, stream) in conns.iter_mut().enumerate() {
        let byte = (i % 251) as u8;
        stream.write_all(&[byte])?;
        let mut reply = [0u8; 1];
        stream
            .read_exact(&mut reply)
            .map_err(|e| format!("echo on connection {i}: {e}"))?;
        if reply[0] != byte {
            return Err(format!("connection {i}: echo {} for {byte}", reply[0]).into());
        }
    }
    println!("echoed {n}");
    // Hold the connections until the parent closes our stdin.
    line.clear();
    io::stdin().read_line(&mut line)?;
    Ok(())
}

/// A child process of this binary that speaks a line protocol on stdout.
/// Killed (by its own id) if it is still running when dropped.
pub(super) struct ChildProcess {
    pub(super) name: &'static str,
    pub(super) child: Child,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) lines: mpsc::Receiver<String>,
}

impl ChildProcess {
    pub(super) fn spawn(name: &'static str, args: &[String]) -> BenchResult<ChildProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {name}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("child has no stdout")?;
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(ChildProcess {
            name,
            child,
            stdin,
            lines,
        })
    }

    /// The next line, which must start with `word`; returns the words after it.
    pub(super) fn expect(&mut self, word: &str, deadline: Instant) -> BenchResult<Vec<String>> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = match self.lines.recv_timeout(wait) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("{}: no `{word}` line in time", self.name).into())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(format!("{}: ended before its `{word}` line", self.name).into())
            }
        };
        let mut words = line.split_whitespace();
        if words.next() != Some(word) {
            return Err(format!("{}: expected `{word} …`, got `{line}`", self.name).into());
        }
        Ok(words.map(String::from).collect())
    }

    pub(super) fn send_line(&mut self, line: &str) -> BenchResult<()> {
        let stdin = self.stdin.as_mut().ok_or("child stdin already closed")?;
        writeln!(stdin, "{line}")?;
        stdin.flush()?;
        Ok(())
    }

    /// Closes the child's stdin and waits, until `deadline`, for a successful exit.
    pub(super) fn finish(mut self, deadline: Instant) -> BenchResult<()> {
        drop(self.stdin.take());
        loop {
            if let Some(status) = self.child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                return Err(format!("{} failed: {status}", self.name).into());
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not exit in time", self.name).into());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
