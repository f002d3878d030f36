//! The `netstack` command as a whole process: `netstack fetch -s -o
//! /dev/null URL` against `curl -s -o /dev/null URL`, both timed by
//! `hyperfine` (Debian package), both against one nginx (Debian package
//! `nginx-light` or `nginx`, one worker, started here on 127.0.0.1 with a
//! config of its own in a temporary directory).
//!
//! - `download`: a 1 GiB file; the rate is bytes per second of the whole
//!   process (start-up, connect, transfer, exit).
//! - `tiny`: a 13-byte file; the rate is processes per second (start-up
//!   and one request).
//!
//! Each round runs hyperfine once over both commands (`--runs` each, after
//! its own warm-up) and takes the median time of each, so rounds
//! interleave the two. The `netstack` binary is the release build next to
//! this one (`cargo build --release` first).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{median, run_interleaved, BenchResult, CaseResult, Common, Report, Unit};

/// Which of the cli cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Both cases.
    All,
    /// A 1 GiB file to /dev/null: throughput of the whole process.
    Download,
    /// A 13-byte file: processes per second.
    Tiny,
}

/// Options of `bench cli`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Size of the download, in MiB.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=8192))]
    pub download_mib: u64,

    /// hyperfine runs of each command per round, for the download.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub download_runs: u32,

    /// hyperfine runs of each command per round, for the tiny file.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub tiny_runs: u32,
}

/// An nginx serving `root` on 127.0.0.1, stopped when dropped.
pub(crate) struct Nginx {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // nginx runs in a process group of its own (see `start_nginx`):
        // killing the master alone would leave its worker running.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when nginx is installed.
pub(crate) fn nginx_available() -> bool {
    nginx_binary().is_ok()
}

fn nginx_binary() -> BenchResult<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| "nginx is not installed: apt-get install -y nginx-light".into())
}

/// Starts nginx with one worker on a free port, verified by fetching a
/// nonce file it serves. Keep-alive connections serve any number of
/// requests; files are sent with `sendfile`, typed application/octet-stream.
pub(crate) fn start_nginx(dir: &Path, root: &Path) -> BenchResult<Nginx> {
    let binary = nginx_binary()?;
    let nonce = format!("netstack-bench-{}-{:?}", std::process::id(), Instant::now());
    std::fs::write(root.join("nonce.txt"), &nonce)?;
    let mut last_error = String::new();
    for attempt in 0..20u16 {
        let port = 20_000 + (std::process::id() as u16 % 20_000) + attempt * 7;
        let conf = dir.join("nginx.conf");
        let d = dir.display();
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{\n  access_log off;\n  sendfile on;\n  tcp_nodelay on;\n\
                 default_type application/octet-stream;\n  keepalive_requests 10000000;\n  keepalive_timeout 300s;\n\
                 client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                 server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
                root = root.display()
            ),
        )?;
        let child = Command::new(&binary)
            .process_group(0)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let mut nginx = Nginx { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                last_error = format!("nginx exited with {status} on port {port}");
                break;
            }
            let got = Command::new("curl")
                .args(["-s", "--max-time", "2"])
                .arg(format!("http://127.0.0.1:{port}/nonce.txt"))
                .output();
            if got.is_ok_and(|o| o.stdout == nonce.as_bytes()) {
                return Ok(nginx);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(nginx);
    }
    Err(format!("nginx did not start: {last_error}").into())
}

/// The release `netstack` next to this binary.
fn netstack_binary() -> BenchResult<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("netstack");
    if !path.exists() {
        return Err(format!(
            "{} not found: build it first with `cargo build --release`",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// One hyperfine run over both commands: the median seconds of each.
fn hyperfine(dir: &Path, runs: u32, commands: [&str; 2]) -> BenchResult<[f64; 2]> {
    let json = dir.join("hyperfine.json");
    let output = Command::new("hyperfine")
        .args(["-N", "--style", "none", "--warmup", "1", "--runs"])
        .arg(runs.to_string())
        .arg("--export-json")
        .arg(&json)
        .args(commands)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("hyperfine (apt-get install -y hyperfine): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "hyperfine failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let median_of = |i: usize| -> BenchResult<f64> {
        let times = report["results"][i]["times"]
            .as_array()
            .ok_or("hyperfine's JSON has no times")?;
        let times: Vec<f64> = times.iter().filter_map(serde_json::Value::as_f64).collect();
        if times.is_empty() {
            return Err("hyperfine reported no times".into());
        }
        Ok(median(&times))
    };
    Ok([median_of(0)?, median_of(1)?])
}

/// Runs a case: each round, hyperfine over curl and netstack; the samples are `rate(seconds)`.
#[allow(clippy::too_many_arguments)]
fn case(
    name: String,
    unit: Unit,
    rounds: u32,
    dir: &Path,
    runs: u32,
    commands: [String; 2],
    rate: impl Fn(f64) -> f64,
    command: String,
) -> BenchResult<CaseResult> {
    // The peer's closure runs first in each round: it measures both and leaves netstack's.
    let pending = std::cell::RefCell::new(None);
    run_interleaved(
        name,
        unit,
        "curl",
        rounds,
        command,
        || {
            let both = hyperfine(dir, runs, [&commands[0], &commands[1]])?;
            *pending.borrow_mut() = Some(both);
            Ok(rate(both[0]))
        },
        || {
            let both = pending
                .borrow_mut()
                .take()
                .ok_or("netstack's sample was asked for before curl's")?;
            Ok(rate(both[1]))
        },
    )
}

/// Runs `bench cli`.
pub fn run(args: &Args) -> BenchResult<Report> {
    let netstack = netstack_binary()?;
    let dir = std::env::temp_dir().join(format!("netstack-bench-cli-{}", std::process::id()));
    let root = dir.join("www");
    std::fs::create_dir_all(&root)?;
    let result = run_in(args, &netstack, &dir, &root);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(args: &Args, netstack: &Path, dir: &Path, root: &Path) -> BenchResult<Report> {
    let size = args.download_mib << 20;
    if matches!(args.case, Case::All | Case::Download) {
        let piece: Vec<u8> = (0..1u32 << 20).map(|i| (i * 131 % 251) as u8).collect();
        let mut file = std::io::BufWriter::new(std::fs::File::create(root.join("big.bin"))?);
        for _ in 0..args.download_mib {
            std::io::Write::write_all(&mut file, &piece)?;
        }
        std::io::Write::flush(&mut file)?;
    }
    std::fs::write(root.join("tiny.txt"), b"hello, tiny!\n")?;
    let nginx = start_nginx(dir, root)?;
    let timeout = args.common.timeout_secs;
    let commands = |path: &str| {
        let url = format!("http://127.0.0.1:{}/{path}", nginx.port);
        [
            format!("curl -s -f -m {timeout} -o /dev/null {url}"),
            format!(
                "{} fetch -s -f -m {timeout} -o /dev/null {url}",
                netstack.display()
            ),
        ]
    };
    let mut cases = Vec::new();
    if matches!(args.case, Case::All | Case::Download) {
        cases.push(case(
            format!(
                "netstack fetch vs curl, {} MiB from nginx to /dev/null (whole process)",
                args.download_mib
            ),
            Unit::rate("MiB/s", 1),
            args.common.rounds,
            dir,
            args.download_runs,
            commands("big.bin"),
            |secs| size as f64 / (1 << 20) as f64 / secs,
            "cargo build --release && cargo run -p bench --release -- cli --case download".into(),
        )?);
    }
    if matches!(args.case, Case::All | Case::Tiny) {
        cases.push(case(
            "netstack fetch vs curl, a 13-byte file from nginx (start-up + one request)".into(),
            Unit::rate("runs/s", 1),
            args.common.rounds,
            dir,
            args.tiny_runs,
            commands("tiny.txt"),
            |secs| 1.0 / secs,
            "cargo build --release && cargo run -p bench --release -- cli --case tiny".into(),
        )?);
    }
    Ok(Report::from_cases(cases))
}
