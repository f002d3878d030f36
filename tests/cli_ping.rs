//! `netstack ping` as a process: ICMP and ICMPv6 echo on loopback, the
//! summary, the exit codes, the errors for an unknown host, bad arguments
//! and missing permission, and ping without root on an unprivileged ICMP
//! datagram socket.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::network_namespace;

/// Runs `netstack ARGS…` to completion, killing it if it outlives a
/// generous deadline (every wait in `ping` is bounded; this catches a hang).
fn netstack(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_netstack")).args(args))
}

fn run(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netstack");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for netstack").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "netstack did not finish within 60 s: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect netstack's output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Fails clearly when raw sockets are not available to this test.
fn check_permission(output: &Output) {
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("CAP_NET_RAW"),
        "these tests open raw ICMP sockets and need root or CAP_NET_RAW (as CI has): {stderr}"
    );
}

/// The reply lines and the summary of a successful run of `count` pings.
fn check_run(output: &Output, address: &str, count: usize) {
    check_permission(output);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!("PING {address} ({address}) 56 data bytes")),
        "{stdout}"
    );
    let replies: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(" bytes from "))
        .collect();
    assert_eq!(replies.len(), count, "{stdout}");
    for (i, reply) in replies.iter().enumerate() {
        let prefix = format!("64 bytes from {address}: icmp_seq={} ", i + 1);
        assert!(reply.starts_with(&prefix), "{reply}");
        // Loopback's default TTL and hop limit, from the IP header a raw
        // socket sees or from the kernel's report on the others.
        assert!(reply.contains(" ttl=64 "), "{reply}");
        let time = reply
            .split(" time=")
            .nth(1)
            .and_then(|t| t.strip_suffix(" ms"))
            .expect("a time");
        assert!(time.parse::<f64>().unwrap() >= 0.0, "{reply}");
    }
    assert!(
        stdout.contains(&format!("--- {address} ping statistics ---")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{count} packets transmitted, {count} received, 0% packet loss"
        )),
        "{stdout}"
    );
    let rtt = lines
        .iter()
        .find(|l| l.starts_with("rtt min/avg/max/mdev = "))
        .expect("an rtt line");
    let figures: Vec<f64> = rtt["rtt min/avg/max/mdev = ".len()..]
        .trim_end_matches(" ms")
        .split('/')
        .map(|f| f.parse().unwrap())
        .collect();
    assert_eq!(figures.len(), 4, "{rtt}");
    assert!(
        figures[0] <= figures[1] && figures[1] <= figures[2],
        "{rtt}"
    );
}

#[test]
fn ping_127_0_0_1_three_times() {
    let output = netstack(&["ping", "127.0.0.1", "-c", "3", "-i", "0.2"]);
    check_run(&output, "127.0.0.1", 3);
}

#[test]
fn ping_ipv6_loopback() {
    let output = netstack(&["ping", "::1", "-c", "3", "-i", "0.2", "-W", "5"]);
    check_run(&output, "::1", 3);
}

#[test]
fn an_unresolvable_host_is_an_error_that_names_it() {
    let output = netstack(&["ping", "no-such-host.invalid", "-c", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot resolve no-such-host.invalid"),
        "{stderr}"
    );
    assert!(!text(&output.stdout).contains("bytes from"));
}

#[test]
fn bad_arguments_are_refused() {
    for args in [
        &["ping", "127.0.0.1", "-c", "0"][..],
        &["ping", "127.0.0.1", "-c", "x"],
        &["ping", "127.0.0.1", "-W", "0"],
        &["ping", "127.0.0.1", "-i", "-1"],
        &["ping", "127.0.0.1", "-s", "70000"],
        &["ping"],
    ] {
        let output = netstack(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

const SETPRIV: &str = "/usr/bin/setpriv";

/// Runs `netstack ARGS…` as `nobody`, in a network namespace of its own
/// whose `net.ipv4.ping_group_range` admits nobody's group alone.
fn netstack_without_root(args: &[&str]) -> Output {
    let mut program = vec![env!("CARGO_BIN_EXE_netstack")];
    program.extend_from_slice(args);
    network_namespace::run_as_nobody_with_ping_sockets(&program)
}

fn ping_group_range_of_this_namespace() -> String {
    std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
        .expect("read net.ipv4.ping_group_range")
}

#[test]
fn ping_127_0_0_1_without_root_uses_an_unprivileged_datagram_socket() {
    let range_before = ping_group_range_of_this_namespace();
    let output = netstack_without_root(&["ping", "-v", "127.0.0.1", "-c", "3", "-i", "0.2"]);
    // A datagram socket delivers no IP header; the kernel reports the TTL.
    check_run(&output, "127.0.0.1", 3);
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr,
        "netstack ping: using an unprivileged ICMP datagram socket\n"
    );
    assert_eq!(ping_group_range_of_this_namespace(), range_before);
}

#[test]
fn ping_ipv6_loopback_without_root_uses_an_unprivileged_datagram_socket() {
    let output = netstack_without_root(&["ping", "-v", "::1", "-c", "3", "-i", "0.2", "-W", "5"]);
    check_run(&output, "::1", 3);
    assert!(
        text(&output.stderr).contains("using an unprivileged ICMP datagram socket"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn verbose_ping_as_root_names_the_raw_socket() {
    let output = netstack(&["ping", "-v", "127.0.0.1", "-c", "1"]);
    check_run(&output, "127.0.0.1", 1);
    assert_eq!(
        text(&output.stderr),
        "netstack ping: using a raw ICMP socket\n"
    );
}

#[test]
fn without_any_icmp_permission_the_message_says_what_is_needed() {
    // Root without CAP_NET_RAW, in a namespace whose ping_group_range
    // keeps its default (`1 0`: no group may open ICMP datagram sockets).
    let output = network_namespace::run_in_new_network_namespace(
        "true",
        &[
            SETPRIV,
            "--bounding-set=-net_raw",
            "--inh-caps=-net_raw",
            env!("CARGO_BIN_EXE_netstack"),
            "ping",
            "-v",
            "127.0.0.1",
            "-c",
            "1",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("root or CAP_NET_RAW"), "{stderr}");
    assert!(stderr.contains("net.ipv4.ping_group_range"), "{stderr}");
    assert!(!stderr.contains("using"), "{stderr}");
}
