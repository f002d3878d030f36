//! No source file of the project is over 800 lines: past that a file holds
//! more than one concept. Large inline test modules belong in a sibling file
//! (`conn/tests.rs`), a large test file becomes a directory of modules by
//! subject (`protocols/tests/http_client/`), and so do the bench cases.

mod source_tree;

use std::fs;

use source_tree::{root, rust_files};

/// Every directory of Rust sources: the libraries and the command, their
/// tests, the examples, the test scaffolding, the benchmarks and the fuzz
/// targets.
const SOURCE_DIRS: &[&str] = &[
    "sockets/src",
    "sockets/tests",
    "transport/src",
    "transport/tests",
    "protocols/src",
    "protocols/tests",
    "src",
    "tests",
    "examples",
    "testkit/src",
    "testkit/tests",
    "bench/src",
    "fuzz/fuzz_targets",
    "fuzz/src",
];
const MAX_LINES: usize = 800;

/// The files of `files` (path, text) longer than `max` lines, with their lengths.
fn too_long(files: &[(String, String)], max: usize) -> Vec<String> {
    files
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, lines)| *lines > max)
        .map(|(path, lines)| format!("{path}: {lines} lines"))
        .collect()
}

#[test]
fn no_source_file_is_over_800_lines() {
    let root = root();
    let paths: Vec<_> = SOURCE_DIRS
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .collect();
    assert!(paths.len() > 150, "found only {} source files", paths.len());
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).expect("readable source");
            let shown = path
                .strip_prefix(&root)
                .unwrap_or(path)
                .display()
                .to_string();
            (shown, text)
        })
        .collect();
    let long = too_long(&files, MAX_LINES);
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn a_file_one_line_over_the_limit_is_caught() {
    let files = vec![
        ("a.rs".to_string(), "x\n".repeat(3)),
        ("b.rs".to_string(), "x\n".repeat(4)),
    ];
    assert_eq!(too_long(&files, 3), vec!["b.rs: 4 lines"]);
}
