//! No library source file is over 800 lines: past that a file holds more than
//! one concept, and large inline test modules belong in a sibling file
//! (`conn/tests.rs`).

use std::fs;
use std::path::{Path, PathBuf};

/// The library and command sources.
const SOURCE_DIRS: &[&str] = &["sockets/src", "transport/src", "protocols/src", "src"];
const MAX_LINES: usize = 800;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

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
fn no_library_source_file_is_over_800_lines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&root.join(dir), &mut paths);
    }
    assert!(paths.len() > 50, "found only {} source files", paths.len());
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
