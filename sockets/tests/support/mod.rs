//! What several test files of the sockets layer share.
// Each test file uses what it needs of this module.
#![allow(dead_code)]

use std::fs;

use sockets::{AddressFamily, ProtocolType, Socket, SocketType, REACTOR_THREAD_NAME};

/// The threads of this process named as netstack's reactor thread.
pub fn reactor_threads() -> usize {
    fs::read_dir("/proc/self/task")
        .expect("/proc/self/task lists this process's threads")
        .filter_map(|task| fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == REACTOR_THREAD_NAME)
        .count()
}

/// A new IPv4 TCP socket.
pub fn tcp() -> Socket {
    Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap()
}

/// The status file of the reactor's background thread. A new thread names
/// itself once it runs: allow it a moment (bounded).
pub fn background_status() -> std::path::PathBuf {
    for _ in 0..5_000 {
        let found = fs::read_dir("/proc/self/task")
            .expect("/proc/self/task lists this process's threads")
            .filter_map(|task| task.ok())
            .find(|task| {
                fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|name| name.trim_end() == REACTOR_THREAD_NAME)
            });
        if let Some(task) = found {
            return task.path().join("status");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("the reactor's background thread did not start");
}

/// Context switches of the reactor's background thread so far.
pub fn background_switches(status: &std::path::Path) -> u64 {
    fs::read_to_string(status)
        .expect("a thread's status is readable")
        .lines()
        .filter(|line| line.contains("ctxt_switches:"))
        .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}
