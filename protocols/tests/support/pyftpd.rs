//! pyftpdlib on loopback (`ftp_server.py` beside this file): the real FTP
//! server of the FTP client, fetcher and `netstack fetch` tests, started
//! through testkit's peer launcher. A missing pyftpdlib fails the test with
//! how to install it; it never skips.

use std::path::Path;
use std::time::Duration;

use testkit::peer::{self, Peer, PeerCommand};

const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
/// The launcher, compiled in (so tests of other crates can include this file).
const SCRIPT: &str = include_str!("ftp_server.py");
const INSTALL: &str = "python3 -m pip install pyftpdlib";

/// A pyftpdlib process: anonymous (read-only) in `anon`, user `alice` /
/// `secret` (writable) in `home`; killed on drop.
pub struct Pyftpd {
    _peer: Peer,
    /// The port it listens on (chosen by the OS, reported by the script).
    pub port: u16,
}

impl Pyftpd {
    /// Starts it on `host` (`127.0.0.1` or `::1`), with EPSV or without.
    pub fn start(host: &str, anon: &Path, home: &Path, epsv: bool) -> Pyftpd {
        let mut command = PeerCommand::new(peer::python3())
            .name("pyftpdlib")
            .install(INSTALL)
            .ready_within(STARTUP_DEADLINE)
            .args(["-u", "-c", SCRIPT])
            .arg(host)
            .arg(anon)
            .arg(home);
        if !epsv {
            command = command.arg("--no-epsv");
        }
        let mut peer = command.spawn();
        // The script's first line is its port, or NO-PYFTPDLIB.
        let port = peer.wait_for("its port", |line| {
            if line.trim() == "NO-PYFTPDLIB" {
                panic!(
                    "pyftpdlib is not installed: these tests need a real FTP server. Install it \
                     with `{INSTALL}` (.ci/run does)."
                );
            }
            line.trim().parse().ok()
        });
        Pyftpd { _peer: peer, port }
    }
}
