//! `netstack demo` runs end to end on loopback and says what each layer did.

use std::process::Command;

#[test]
fn the_demo_runs_every_layer_and_reports_each() {
    let output = Command::new(env!("CARGO_BIN_EXE_netstack"))
        .arg("demo")
        .output()
        .expect("run netstack demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for expected in [
        "(intact)",
        "udp   8 bytes",
        "unix  \"over a Unix socket\"",
        "2 ready [1, 5]",
        // Root (as in CI) may open raw sockets: the ping is expected.
        "icmp  64 bytes from 127.0.0.1: icmp_seq=1",
        "fetch sync  https 200",
        "TLSv1.3",
        "fetch sync  data: \"from a data: URL\"",
        "fetch sync  file: \"a local file\"",
        "fetch async https://localhost:",
        "Framed<_, LinesCodec> over the transport: [\"framing\", \"toolkit\"]",
        "layer 3 — protocols    3 steps ok",
        "all layers ok in",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_netstack"))
        .arg("no-such-command")
        .output()
        .expect("run netstack");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-command"));
}
