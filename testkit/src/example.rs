//! The example programs a test runs: `cargo test` builds them next to the
//! folder of the test binaries.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest an example may run before the test kills it and fails.
const EXAMPLE_LIMIT: Duration = Duration::from_secs(60);

/// The path of the example program `name` built for this test run; fails
/// the test, saying so, when it was not built (`cargo test --test X` builds
/// no examples: run `cargo test` or `cargo build --examples` first).
fn example_program(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let program = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary sits in target/<profile>/deps")
        .join("examples")
        .join(name);
    assert!(
        program.exists(),
        "{} was not built (cargo test builds the examples; cargo test --test alone does not)",
        program.display()
    );
    program
}

/// Runs the example `name` with `args` and returns what it printed on
/// stdout; fails the test (showing stdout and stderr) when it exits
/// unsuccessfully, and kills it and fails when it runs past 60 s.
pub fn run_example(name: &str, args: &[&str]) -> String {
    let mut child = Command::new(example_program(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run the {name} example: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + EXAMPLE_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the example") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the {name} example ran past {EXAMPLE_LIMIT:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    assert!(
        status.success(),
        "the {name} example failed ({status}):\n{stdout}\n{stderr}"
    );
    stdout
}
