//! `netstack demo` runs end to end on loopback and says what it did.

use std::process::Command;

#[test]
fn the_demo_runs_every_built_layer_and_names_the_missing_ones() {
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
        "not built yet",
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
