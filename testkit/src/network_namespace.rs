//! Programs run in a network namespace of their own, as root or as
//! `nobody`, for tests that need a setting of the network stack (such as
//! `net.ipv4.ping_group_range`) without changing the machine's.
//!
//! Each run goes through `setpriv --pdeathsig KILL -- unshare --net -- sh -c
//! SCRIPT`: the script brings loopback up, runs the set-up command, and
//! `exec`s the program in the same process, so the program dies with the
//! test process however that ends; a run that outlives its deadline is
//! killed and fails the test. Creating the namespace needs root: without
//! it, or without `setpriv`, `unshare` or `ip`, the test fails with a
//! message saying so; nothing is skipped.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The uid and gid of `nobody`.
pub const NOBODY: &str = "65534";

/// How long a run may take before it is killed and the test fails.
pub const RUN_WITHIN: Duration = Duration::from_secs(60);

const SETPRIV: &str = "/usr/bin/setpriv";
const UNSHARE: &str = "/usr/bin/unshare";

/// Exit code of the script when a step of its set-up fails.
const SETUP_FAILED: i32 = 97;

/// Runs `program` (its path, then its arguments) in a fresh network
/// namespace, loopback up, after `setup`, a shell command run there as
/// root. Returns its output once it exits.
pub fn run_in_new_network_namespace(setup: &str, program: &[&str]) -> Output {
    for tool in [SETPRIV, UNSHARE] {
        assert!(
            Path::new(tool).exists(),
            "this test needs {tool} (util-linux: apt-get install util-linux)"
        );
    }
    let script = format!(
        "PATH=\"$PATH:/usr/sbin:/sbin\"
         ip link set lo up || {{ echo 'test set-up: cannot bring lo up (is iproute2 installed? apt-get install iproute2)' >&2; exit {SETUP_FAILED}; }}
         {setup} || {{ echo 'test set-up: `{setup}` failed' >&2; exit {SETUP_FAILED}; }}
         exec \"$@\""
    );
    let mut command = Command::new(SETPRIV);
    command
        .args(["--pdeathsig", "KILL", "--", UNSHARE, "--net", "--"])
        .args(["sh", "-c", &script, "sh"])
        .args(program);
    let output = run_with_deadline(&mut command, program[0]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code() != Some(SETUP_FAILED) && !stderr.starts_with("unshare:"),
        "this test creates a network namespace and drops privileges, which needs root \
         (CI runs its tests as root): {stderr}"
    );
    output
}

/// Runs `program` as `nobody` (no capabilities, no supplementary groups)
/// in a fresh network namespace whose `net.ipv4.ping_group_range` admits
/// nobody's group alone, so it may open ICMP datagram sockets and nothing
/// more. `setpriv` drops the privileges and sets the parent-death signal
/// again after the change of uid, which clears it.
pub fn run_as_nobody_with_ping_sockets(program: &[&str]) -> Output {
    let setup = format!("echo '{NOBODY} {NOBODY}' > /proc/sys/net/ipv4/ping_group_range");
    let mut chain = vec![
        SETPRIV,
        "--reuid",
        NOBODY,
        "--regid",
        NOBODY,
        "--clear-groups",
        "--pdeathsig",
        "KILL",
        "--",
    ];
    chain.extend_from_slice(program);
    run_in_new_network_namespace(&setup, &chain)
}

fn run_with_deadline(command: &mut Command, name: &str) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {name} through {SETPRIV}: {e}"));
    let deadline = Instant::now() + RUN_WITHIN;
    while child.try_wait().expect("wait for the child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect the output");
            panic!(
                "{name} did not finish within {RUN_WITHIN:?}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect the output")
}
