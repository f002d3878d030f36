//! The example programs a test runs: `cargo test` builds them next to the
//! folder of the test binaries.

use std::path::PathBuf;

/// The path of the example program `name` built for this test run; fails
/// the test, saying so, when it was not built (`cargo test --test X` builds
/// no examples: run `cargo test` or `cargo build --examples` first).
pub fn example_program(name: &str) -> PathBuf {
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
