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
