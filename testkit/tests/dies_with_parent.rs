//! A peer dies with the test process that started it, even when that process
//! is killed with SIGKILL (and so runs no destructor), and it does not die
//! when the thread that asked for it ends.
//!
//! This binary plays both parts. Run by `cargo test`, it starts itself with
//! `--as-parent`; that copy starts a `sleep 60` peer from a short-lived
//! thread, waits for the thread to be gone, prints the peer's pid and waits
//! for its stdin to close. The first copy checks that the peer is alive,
//! SIGKILLs the parent, and checks (with a deadline) that the peer is gone.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::peer::PeerCommand;

const DEADLINE: Duration = Duration::from_secs(20);

fn main() {
    if std::env::args().any(|arg| arg == "--as-parent") {
        as_parent();
    } else {
        a_peer_dies_with_its_parent_process();
        println!("test a_peer_dies_with_its_parent_process ... ok");
    }
}

/// The parent to kill: starts the peer, reports its pid, then waits.
fn as_parent() {
    let (peer, thread_id) = thread::spawn(|| {
        let me = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
        (PeerCommand::new("sleep").arg("60").spawn(), me)
    })
    .join()
    .expect("the spawning thread");
    // The kernel's parent-death signal fires as a thread exits: wait until
    // the spawning thread is gone from /proc before reporting.
    let task = std::path::Path::new("/proc").join(&thread_id);
    let deadline = Instant::now() + DEADLINE;
    while task.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not go away",
            task.display()
        );
        thread::sleep(Duration::from_millis(5));
    }
    println!("{}", peer.id());
    std::io::stdout().flush().unwrap();
    // Until the test process closes our stdin (or kills us).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Whether `pid` is a live `sleep` (not gone, not a zombie, not reused).
fn sleep_is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S …": the state follows the last ')'.
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    !state.starts_with('Z') && !state.starts_with('X') && stat.contains("(sleep)")
}

fn a_peer_dies_with_its_parent_process() {
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .arg("--as-parent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the parent");
    let stdout = parent.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(DEADLINE)
        .expect("the parent reports its peer's pid");
    let pid: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the parent printed {line:?}, not a pid"));

    assert!(
        sleep_is_alive(pid),
        "the peer {pid} died when the thread that started it ended"
    );

    parent.kill().expect("SIGKILL the parent");
    parent.wait().expect("reap the parent");

    let deadline = Instant::now() + DEADLINE;
    while sleep_is_alive(pid) {
        if Instant::now() >= deadline {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the peer {pid} outlived its SIGKILLed parent by {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}
