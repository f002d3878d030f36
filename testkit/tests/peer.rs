//! The peer launcher: output, readiness waits, exit and kill on drop.

use std::io::Write;

use testkit::peer::{PeerCommand, Readiness};

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

#[test]
fn a_dropped_peer_is_killed_and_reaped() {
    let peer = PeerCommand::new("sleep").arg("60").spawn();
    let pid = peer.id();
    assert!(is_running(pid));
    drop(peer);
    assert!(!is_running(pid), "the peer {pid} outlived its guard");
}

#[test]
fn a_line_of_output_is_parsed() {
    let mut peer = PeerCommand::new("sh")
        .args([
            "-c",
            "echo starting >&2; echo 'listening on port 4242'; sleep 60",
        ])
        .spawn();
    let port: u16 = peer.wait_for("its port", |line| {
        line.strip_prefix("listening on port ")?.parse().ok()
    });
    assert_eq!(port, 4242);
    // stderr is collected too (by its own reader, so maybe a moment later).
    peer.wait_for_output("starting");
}

#[test]
fn stdin_reaches_the_peer_and_its_exit_is_seen() {
    let mut peer = PeerCommand::new("sh")
        .args(["-c", "read line; echo \"got: $line\"; exit 3"])
        .piped_stdin()
        .spawn();
    peer.take_stdin().write_all(b"hello\n").unwrap();
    assert!(peer.wait_for_output("got: hello").contains("got: hello"));
    assert_eq!(peer.wait_exit().code(), Some(3));
}

#[test]
fn the_whole_output_of_both_pipes_is_there_once_they_close() {
    let mut peer = PeerCommand::new("sh")
        .args([
            "-c",
            "for i in 1 2 3; do echo \"err $i\" >&2; done; echo last",
        ])
        .spawn();
    peer.wait_for_output("last");
    let out = peer.wait_output_end();
    for line in ["err 1", "err 2", "err 3", "last"] {
        assert!(out.contains(line), "{line} missing from {out:?}");
    }
}

#[test]
fn a_peer_that_exits_before_it_is_ready_is_an_error() {
    let mut peer = PeerCommand::new("sh").args(["-c", "exit 1"]).spawn();
    let result = peer.wait_ready("ready", || Readiness::<()>::NotYet("no".to_string()));
    assert!(result.unwrap_err().contains("exited"));
}

#[test]
fn a_probe_decides_readiness() {
    let mut peer = PeerCommand::new("sleep").arg("60").spawn();
    let mut asked = 0;
    let value = peer
        .wait_ready("asked three times", || {
            asked += 1;
            if asked < 3 {
                Readiness::NotYet(format!("asked {asked} times"))
            } else {
                Readiness::Ready(asked)
            }
        })
        .unwrap();
    assert_eq!(value, 3);
    let failed = peer.wait_ready("never", || Readiness::<()>::Failed("wrong server".into()));
    assert_eq!(failed.unwrap_err(), "wrong server");
}

#[test]
#[should_panic(expected = "closed its output")]
fn output_that_never_comes_fails_the_test() {
    let mut peer = PeerCommand::new("sh").args(["-c", "echo other"]).spawn();
    peer.wait_for_output("the banner");
}

#[test]
#[should_panic(expected = "apt-get install -y no-such-package")]
fn a_missing_program_names_its_package() {
    PeerCommand::new("netstack-no-such-program")
        .install("apt-get install -y no-such-package")
        .spawn();
}

#[test]
fn python_runs_in_the_peer_process_itself() {
    let mut peer = PeerCommand::new(testkit::peer::python3())
        .args([
            "-u",
            "-c",
            "import os, time; print('pid', os.getpid()); time.sleep(60)",
        ])
        .spawn();
    let pid: u32 = peer.wait_for("its pid", |line| line.strip_prefix("pid ")?.parse().ok());
    assert_eq!(
        pid,
        peer.id(),
        "python3 runs as a child of the peer process"
    );
    drop(peer);
    assert!(!is_running(pid), "python {pid} outlived its guard");
}
