//! DESIGN.md rules 1 and 2, enforced: layers point down only, nothing above
//! `sockets` reaches the OS sockets, and `unsafe` lives only in `sockets`.
//!
//! The checker works on text (manifests and sources), so the unit tests at the
//! bottom feed it broken inputs to prove it catches each kind of violation.
//! Circles between the modules of one crate are checked in
//! `tests/module_circles.rs`.

mod source_tree;

use source_tree::{root, rust_files};
use std::collections::BTreeSet;
use std::fs;

/// Crates that must never be dependencies above the sockets layer.
const FORBIDDEN_CRATES: &[&str] = &["socket2", "libc", "polling", "mio", "nix"];
/// std's socket types (from `std::net` / `std::os::unix::net`).
const STD_SOCKET_TYPES: &[&str] = &[
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "UnixDatagram",
];

/// One crate above the sockets layer and what it must (and must not) depend on.
struct Layer {
    name: &'static str,
    dir: &'static str,
    source_dirs: &'static [&'static str],
    must_depend_on: &'static [&'static str],
    must_not_depend_on: &'static [&'static str],
}

const LAYERS_ABOVE_SOCKETS: &[Layer] = &[
    Layer {
        name: "transport",
        dir: "transport",
        source_dirs: &["src"],
        must_depend_on: &["netstack-sockets"],
        must_not_depend_on: &["netstack-protocols"],
    },
    Layer {
        name: "protocols",
        dir: "protocols",
        source_dirs: &["src"],
        must_depend_on: &["netstack-transport"],
        must_not_depend_on: &[],
    },
    Layer {
        name: "netstack (facade)",
        dir: ".",
        source_dirs: &["src", "examples"],
        must_depend_on: &[],
        must_not_depend_on: &[],
    },
];

/// The names of the crates a manifest depends on (normal, build and
/// target-specific dependencies; dev-dependencies are for tests and peers).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let value: toml::Value = manifest.parse().expect("manifest is valid TOML");
    let mut names = BTreeSet::new();
    let mut collect = |table: Option<&toml::Value>| {
        if let Some(toml::Value::Table(deps)) = table {
            for (key, spec) in deps {
                names.insert(key.clone());
                if let Some(package) = spec.get("package").and_then(|p| p.as_str()) {
                    names.insert(package.to_string());
                }
            }
        }
    };
    collect(value.get("dependencies"));
    collect(value.get("build-dependencies"));
    if let Some(toml::Value::Table(targets)) = value.get("target") {
        for target in targets.values() {
            collect(target.get("dependencies"));
            collect(target.get("build-dependencies"));
        }
    }
    names
}

fn manifest_violations(layer: &Layer, manifest: &str) -> Vec<String> {
    let deps = dependencies(manifest);
    let mut found = Vec::new();
    for bad in FORBIDDEN_CRATES.iter().chain(layer.must_not_depend_on) {
        if deps.contains(*bad) {
            found.push(format!("{} depends on `{bad}`", layer.name));
        }
    }
    for needed in layer.must_depend_on {
        if !deps.contains(*needed) {
            found.push(format!("{} does not depend on `{needed}`", layer.name));
        }
    }
    found
}

/// The Rust code inside the fenced examples of doc comments (`///`, `//!`):
/// doctests are compiled code of the crate, so they keep its rules. Fences
/// marked as another language (`text`, `sh`, `toml`, …) are not code.
fn doc_example_code(source: &str) -> String {
    let mut out = String::new();
    let mut in_rust_fence = false;
    for line in source.lines() {
        let trimmed = line.trim_start();
        let Some(doc) = trimmed
            .strip_prefix("///")
            .or_else(|| trimmed.strip_prefix("//!"))
        else {
            in_rust_fence = false;
            continue;
        };
        let doc = doc.trim_start();
        if let Some(info) = doc.strip_prefix("```") {
            if in_rust_fence {
                in_rust_fence = false;
            } else {
                let lang = info.split(',').next().unwrap_or("").trim();
                in_rust_fence = matches!(
                    lang,
                    "" | "rust"
                        | "no_run"
                        | "ignore"
                        | "should_panic"
                        | "compile_fail"
                        | "edition2021"
                );
            }
            continue;
        }
        if in_rust_fence {
            out.push_str(doc.strip_prefix("# ").unwrap_or(doc));
            out.push('\n');
        }
    }
    out
}

/// Source text with comments, string and char literals blanked out, so that
/// only code is searched — plus the code of its doc examples.
fn code_only(source: &str) -> String {
    let mut out = code_without_comments(source);
    out.push('\n');
    out.push_str(&code_without_comments(&doc_example_code(source)));
    out
}

fn code_without_comments(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map(|e| e + 2).unwrap_or(rest.len());
            i += end;
            out.push(' ');
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body_start = 2 + hashes;
            let end = rest[body_start..]
                .find(&close)
                .map(|e| body_start + e + close.len())
                .unwrap_or(rest.len());
            i += end;
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else if rest.starts_with("'")
            && rest.len() >= 3
            && (rest.as_bytes()[2] == b'\'' || rest.as_bytes()[1] == b'\\')
        {
            // A char literal ('x' or '\n'); lifetimes ('a) are left alone.
            let end = rest[1..].find('\'').map(|e| e + 2).unwrap_or(1);
            i += end;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn identifiers(code: &str) -> Vec<&str> {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn source_violations(crate_name: &str, file: &str, source: &str) -> Vec<String> {
    let code = code_only(source);
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    let words = identifiers(&code);
    if words.contains(&"unsafe") {
        found.push(format!("{crate_name}: {file} contains `unsafe`"));
    }
    for bad in FORBIDDEN_CRATES {
        if words.contains(bad)
            && (compact.contains(&format!("{bad}::"))
                || compact.contains(&format!("externcrate{bad}")))
        {
            found.push(format!("{crate_name}: {file} names `{bad}`"));
        }
    }
    if compact.contains("tokio::net") {
        found.push(format!("{crate_name}: {file} names `tokio::net`"));
    }
    if compact.contains("std::os::unix::net") || compact.contains("os::unix::net::") {
        found.push(format!("{crate_name}: {file} names `std::os::unix::net`"));
    }
    // `std::net::TcpStream`, `std::net::{IpAddr, TcpStream}`, `net::UdpSocket` after `use std::net`.
    let mut search = compact.as_str();
    while let Some(at) = search.find("net::") {
        let after = &search[at + 5..];
        let group: String = if let Some(inner) = after.strip_prefix('{') {
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(e, _)| e)
                .unwrap_or(inner.len());
            inner[..end].to_string()
        } else {
            after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let is_std = search[..at].ends_with("std::")
            || search[..at].ends_with("core::")
            || !search[..at].ends_with("::");
        if is_std {
            for name in identifiers(&group) {
                if STD_SOCKET_TYPES.contains(&name) {
                    found.push(format!("{crate_name}: {file} names std's `{name}`"));
                }
            }
        }
        search = &search[at + 5..];
    }
    found
}

#[test]
fn layers_above_sockets_do_not_reach_the_os_and_point_down_only() {
    let root = root();
    let mut violations = Vec::new();
    for layer in LAYERS_ABOVE_SOCKETS {
        let dir = root.join(layer.dir);
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
        violations.extend(manifest_violations(layer, &manifest));
        let mut files = Vec::new();
        for src in layer.source_dirs {
            files.extend(rust_files(&dir.join(src)));
        }
        assert!(!files.is_empty(), "{} has no sources to check", layer.name);
        for file in files {
            let source = fs::read_to_string(&file).expect("source");
            let shown = file
                .strip_prefix(&root)
                .unwrap_or(&file)
                .display()
                .to_string();
            violations.extend(source_violations(layer.name, &shown, &source));
        }
        let lib = dir.join("src/lib.rs");
        let lib_source = fs::read_to_string(&lib).expect("lib.rs");
        if !code_only(&lib_source).contains("#![forbid(unsafe_code)]") {
            violations.push(format!(
                "{}: src/lib.rs lacks #![forbid(unsafe_code)]",
                layer.name
            ));
        }
    }
    let sockets_manifest = fs::read_to_string(root.join("sockets/Cargo.toml")).expect("manifest");
    for upper in ["netstack-transport", "netstack-protocols", "netstack"] {
        if dependencies(&sockets_manifest).contains(upper) {
            violations.push(format!("sockets depends on the layer above it, `{upper}`"));
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n  {}",
        violations.join("\n  ")
    );
}

// ----- the checker catches what it should -----

const TRANSPORT: &Layer = &LAYERS_ABOVE_SOCKETS[0];

#[test]
fn a_forbidden_dependency_is_caught() {
    let manifest = "[package]\nname='t'\n[dependencies]\nnetstack-sockets = { path = '../sockets' }\nsocket2 = '0.6'\n";
    assert_eq!(
        manifest_violations(TRANSPORT, manifest),
        vec!["transport depends on `socket2`"]
    );
    let renamed =
        "[dependencies]\nnetstack-sockets = '1'\nsock = { package = 'libc', version = '0.2' }\n";
    assert_eq!(
        manifest_violations(TRANSPORT, renamed),
        vec!["transport depends on `libc`"]
    );
    let target = "[dependencies]\nnetstack-sockets = '1'\n[target.'cfg(unix)'.dependencies]\npolling = '3'\n";
    assert_eq!(
        manifest_violations(TRANSPORT, target),
        vec!["transport depends on `polling`"]
    );
}

#[test]
fn a_missing_downward_dependency_or_an_upward_one_is_caught() {
    let manifest = "[dependencies]\nbytes = '1'\nnetstack-protocols = '1'\n";
    let found = manifest_violations(TRANSPORT, manifest);
    assert!(
        found.contains(&"transport does not depend on `netstack-sockets`".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"transport depends on `netstack-protocols`".to_string()),
        "{found:?}"
    );
}

#[test]
fn std_socket_types_and_os_crates_in_code_are_caught() {
    for code in [
        "use std::net::TcpStream;",
        "use std::net::{IpAddr, UdpSocket};",
        "fn f() { let s = std::net::TcpListener::bind(\"x\"); }",
        "use std::os::unix::net::UnixStream;",
        "use tokio::net::TcpStream;",
        "fn f() { socket2::Socket::new(); }",
        "fn f() { unsafe { libc::close(3); } }",
        "extern crate libc;",
    ] {
        assert!(
            !source_violations("t", "f.rs", code).is_empty(),
            "not caught: {code}"
        );
    }
}

#[test]
fn doc_examples_are_code_and_keep_the_rules() {
    for example in [
        "/// ```\n/// let s = std::net::UdpSocket::bind(\"127.0.0.1:0\")?;\n/// ```\npub fn f() {}",
        "//! ```no_run\n//! # let x = socket2::Socket::new;\n//! ```",
        "/// ```rust\n/// unsafe { f() }\n/// ```",
    ] {
        assert!(
            !source_violations("t", "f.rs", example).is_empty(),
            "missed: {example}"
        );
    }
}

#[test]
fn unsafe_code_is_caught_but_comments_strings_and_the_forbid_attribute_are_not() {
    assert!(!source_violations(
        "t",
        "f.rs",
        "pub fn f() { unsafe { core::hint::unreachable_unchecked() } }"
    )
    .is_empty());
    assert!(!source_violations("t", "f.rs", "unsafe impl Send for X {}").is_empty());
    for clean in [
        "#![forbid(unsafe_code)]",
        "// unsafe is not allowed here; std::net::TcpStream neither",
        "/* socket2::Socket */ fn f() {}",
        "const S: &str = \"unsafe std::net::TcpStream socket2::x\";",
        "use std::net::{IpAddr, SocketAddr};",
        "use crate::net::TcpListener; pub struct TcpListener;",
        "fn f<'a>(x: &'a str) -> char { 'u' }",
        "/// ```text\n/// std::net::UdpSocket::bind(\"x\")\n/// ```\nfn f() {}",
    ] {
        assert_eq!(
            source_violations("t", "f.rs", clean),
            Vec::<String>::new(),
            "false positive: {clean}"
        );
    }
}
