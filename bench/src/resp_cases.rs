//! Layer 3, RESP: netstack's `RespClient` against the `redis` crate, both
//! against one `redis-server` that this bench starts on loopback.
//!
//! - **pipeline-sync**: N pipelined `SET key:i value:i` (100,000 by
//!   default) in one call — `RespClient::pipeline` against
//!   `redis::pipe()` + `query` on a `redis::Connection` — every reply read
//!   and checked to be `OK`. SETs per second for the call (commands
//!   encoded, written, every reply decoded); the keys and values are made
//!   beforehand, the connection is made outside the timed part.
//! - **pipeline-async**: the same with `RespClient::pipeline_async` against
//!   `query_async` on a `redis::aio::MultiplexedConnection` (its response
//!   timeout raised from 500 ms to the bench timeout), both on one tokio
//!   runtime.
//!
//! The server: `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no`
//! with a `dbfilename` that names this run; a port counts as ours only when
//! `CONFIG GET dbfilename` there answers that name (another server already
//! on the port fails the check; a busy port makes redis-server exit, and
//! the next port is tried). Startup is bounded; the server is killed when
//! the bench ends.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use protocols::resp::{RespClient, Value};

use crate::async_cases;
use crate::framing_cases::thousands;
use crate::harness::{self, BenchResult, Common, Report, Unit};

/// How many ports are tried before giving up, and how long each may take to answer.
const PORT_ATTEMPTS: u16 = 20;
const STARTUP: Duration = Duration::from_secs(5);

/// Which of the RESP cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case.
    All,
    /// RespClient::pipeline vs redis::pipe().query.
    PipelineSync,
    /// RespClient::pipeline_async vs redis::pipe().query_async, on tokio.
    PipelineAsync,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::All => "all",
            Case::PipelineSync => "pipeline-sync",
            Case::PipelineAsync => "pipeline-async",
        }
    }
}

/// Options of `bench resp`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// SET commands per pipeline.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub sets: u64,

    /// Worker threads of the tokio runtime (async case).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,
}

impl Args {
    fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }

    fn command(&self, case: Case) -> String {
        let mut cmd = format!(
            "cargo run -p bench --release -- resp --case {}",
            case.name()
        );
        if self.common.rounds != 5 {
            cmd += &format!(" --rounds {}", self.common.rounds);
        }
        if self.sets != 100_000 {
            cmd += &format!(" --sets {}", self.sets);
        }
        if self.workers != 2 && case == Case::PipelineAsync {
            cmd += &format!(" --workers {}", self.workers);
        }
        cmd
    }
}

/// The redis-server this bench started; killed when dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts redis-server on a loopback port that is verified to be its own.
fn start_redis() -> BenchResult<RedisServer> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
    let name = format!("netstack-bench-{}-{nanos}.rdb", std::process::id());
    let first = 20_000 + (nanos % 30_000) as u16;
    for attempt in 0..PORT_ATTEMPTS {
        let port = first + attempt * 97;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dbfilename", &name])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot run redis-server ({e}); install it (apt-get install redis-server)")
            })?;
        let mut server = RedisServer { child, port };
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if server
                .child
                .try_wait()
                .map_or(true, |status| status.is_some())
            {
                break; // it exited: most likely the port was taken
            }
            if let Ok(mut client) = RespClient::connect_endpoint(([127, 0, 0, 1], port)) {
                client.set_timeout(Some(STARTUP))?;
                let answer = client.command(&["CONFIG", "GET", "dbfilename"]);
                let ours = matches!(&answer, Ok(Value::Array(items))
                    if items.get(1).and_then(Value::as_bytes) == Some(name.as_bytes()));
                if ours {
                    eprintln!("redis-server on 127.0.0.1:{port}");
                    return Ok(server);
                }
                break; // someone else's server, or one that is not answering properly
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(server);
    }
    Err(format!("redis-server did not start on any of {PORT_ATTEMPTS} loopback ports").into())
}

/// The keys and values of one pipeline.
struct Sets {
    keys: Vec<String>,
    values: Vec<String>,
}

impl Sets {
    fn new(count: u64) -> Sets {
        Sets {
            keys: (0..count).map(|i| format!("key:{i}")).collect(),
            values: (0..count).map(|i| format!("value:{i}")).collect(),
        }
    }

    fn commands(&self) -> impl Iterator<Item = [&[u8]; 3]> + '_ {
        self.keys
            .iter()
            .zip(&self.values)
            .map(|(k, v)| [&b"SET"[..], k.as_bytes(), v.as_bytes()])
    }

    fn redis_pipe(&self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        for (k, v) in self.keys.iter().zip(&self.values) {
            pipe.set(k, v);
        }
        pipe
    }

    fn check_netstack(&self, replies: &[protocols::resp::Reply]) -> BenchResult<()> {
        let ok = replies
            .iter()
            .filter(|r| matches!(r, Ok(Value::SimpleString(s)) if s == "OK"))
            .count();
        self.check("netstack", replies.len(), ok)
    }

    fn check_redis(&self, replies: &[redis::Value]) -> BenchResult<()> {
        let ok = replies
            .iter()
            .filter(|r| matches!(r, redis::Value::Okay))
            .count();
        self.check("redis", replies.len(), ok)
    }

    fn check(&self, who: &str, replies: usize, ok: usize) -> BenchResult<()> {
        if replies != self.keys.len() || ok != replies {
            return Err(format!(
                "{who}: {replies} replies ({ok} OK) to {} SETs",
                self.keys.len()
            )
            .into());
        }
        Ok(())
    }

    fn rate(&self, elapsed: Duration) -> f64 {
        self.keys.len() as f64 / elapsed.as_secs_f64() / 1e3
    }
}

/// Runs the selected cases against one redis-server.
pub fn run(args: &Args) -> BenchResult<Report> {
    let mut report = Report::default();
    let server = start_redis()?;
    let port = server.port;
    let url = format!("redis://127.0.0.1:{port}/");
    let timeout = args.common.timeout();
    let sets = Sets::new(args.sets);
    let unit = Unit::rate("k SET/s", 1);
    let count = thousands(args.sets);

    if args.wants(Case::PipelineSync) {
        let redis_client = redis::Client::open(url.as_str())?;
        let mut redis_conn = redis_client.get_connection()?;
        redis_conn.set_read_timeout(Some(timeout))?;
        redis_conn.set_write_timeout(Some(timeout))?;
        let mut ours = RespClient::connect_endpoint(([127, 0, 0, 1], port))?;
        ours.set_timeout(Some(timeout))?;
        report.cases.push(harness::run_interleaved(
            format!("RESP pipeline, {count} SETs: RespClient::pipeline (sync)"),
            unit,
            "redis",
            args.common.rounds,
            args.command(Case::PipelineSync),
            || {
                let start = Instant::now();
                let replies: Vec<redis::Value> = sets.redis_pipe().query(&mut redis_conn)?;
                let elapsed = start.elapsed();
                sets.check_redis(&replies)?;
                Ok(sets.rate(elapsed))
            },
            || {
                let start = Instant::now();
                let replies = ours.pipeline(sets.commands())?;
                let elapsed = start.elapsed();
                sets.check_netstack(&replies)?;
                Ok(sets.rate(elapsed))
            },
        )?);
    }

    if args.wants(Case::PipelineAsync) {
        let runtime = async_cases::runtime(args.workers)?;
        let redis_client = redis::Client::open(url.as_str())?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut redis_conn =
            runtime.block_on(redis_client.get_multiplexed_async_connection_with_config(&config))?;
        let mut ours =
            runtime.block_on(RespClient::connect_endpoint_async(([127, 0, 0, 1], port)))?;
        ours.set_timeout(Some(timeout))?;
        let (sets, redis_conn, ours) = (&sets, &mut redis_conn, &mut ours);
        report.cases.push(harness::run_interleaved(
            format!(
                "RESP pipeline, {count} SETs: RespClient::pipeline_async ({} tokio workers)",
                args.workers
            ),
            unit,
            "redis",
            args.common.rounds,
            args.command(Case::PipelineAsync),
            || {
                async_cases::sample(&runtime, timeout, || async {
                    let start = Instant::now();
                    let replies: Vec<redis::Value> =
                        sets.redis_pipe().query_async(redis_conn).await?;
                    let elapsed = start.elapsed();
                    sets.check_redis(&replies)?;
                    Ok(sets.rate(elapsed))
                })
            },
            || {
                async_cases::sample(&runtime, timeout, || async {
                    let start = Instant::now();
                    let replies = ours.pipeline_async(sets.commands()).await?;
                    let elapsed = start.elapsed();
                    sets.check_netstack(&replies)?;
                    Ok(sets.rate(elapsed))
                })
            },
        )?);
    }
    drop(server);
    Ok(report)
}
