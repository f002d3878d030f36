//! pyftpdlib on loopback (`ftp_server.py` beside this file): the real FTP
//! server of the FTP client, fetcher and `netstack fetch` tests. A missing
//! pyftpdlib fails the test with how to install it; it never skips.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
/// The launcher, compiled in (so tests of other crates can include this file).
const SCRIPT: &str = include_str!("ftp_server.py");

/// A pyftpdlib process: anonymous (read-only) in `anon`, user `alice` /
/// `secret` (writable) in `home`; killed on drop.
pub struct Pyftpd {
    child: Child,
    /// The port it listens on (chosen by the OS, reported by the script).
    pub port: u16,
}

impl Drop for Pyftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pyftpd {
    /// Starts it on `host` (`127.0.0.1` or `::1`), with EPSV or without.
    pub fn start(host: &str, anon: &Path, home: &Path, epsv: bool) -> Pyftpd {
        let mut command = Command::new("python3");
        command
            .args(["-u", "-c", SCRIPT])
            .arg(host)
            .arg(anon)
            .arg(home);
        if !epsv {
            command.arg("--no-epsv");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "python3 is needed to run pyftpdlib for these tests but could not be started: \
                     {e}. Install Python 3, then `python3 -m pip install pyftpdlib` (.ci/run does)."
                )
            });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut server = Pyftpd { child, port: 0 };
        let line = rx.recv_timeout(STARTUP_DEADLINE).unwrap_or_else(|_| {
            panic!("the pyftpdlib test server did not report its port within {STARTUP_DEADLINE:?}")
        });
        if line.trim() == "NO-PYFTPDLIB" {
            panic!(
                "pyftpdlib is not installed: these tests need a real FTP server. Install it with \
                 `python3 -m pip install pyftpdlib` (.ci/run does)."
            );
        }
        server.port = line.trim().parse().unwrap_or_else(|_| {
            panic!("unexpected first line from ftp_server.py: {line:?} (is pyftpdlib installed? `python3 -m pip install pyftpdlib`)")
        });
        server
    }
}
