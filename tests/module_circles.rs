//! No import circles between the modules of one crate: the modules of each
//! library crate (and the command's) form a graph of `use` edges, and no
//! two modules may reach each other through it. And no driver imports from
//! its twin (`sync_client` from `async_client`, or the reverse).
//!
//! The graph is built from the sources' text: every `crate::`, `super::` and
//! `self::` path (in `use` trees and inline) is an edge from the file's module
//! to the module the path names. A name that a module re-exports (`pub use
//! inner::Name`) leads on to the module it comes from, and the re-export
//! itself is not an edge: a facade is not a dependency. Inline test modules
//! (`#[cfg(test)] mod …` and what follows it) are left out, since their
//! `super::` means the file's own module.
//!
//! The unit tests at the bottom feed the checker small crates to prove it
//! finds each case.

mod source_tree;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use source_tree::{root, rust_files};

/// The source trees whose modules are checked (a crate's `src`).
const CRATES: &[&str] = &["sockets/src", "transport/src", "protocols/src", "src"];

/// A module: its path from the crate root (`""` for the root, `a::b`) and
/// the code that counts for its imports.
struct Module {
    path: String,
    code: String,
}

/// The module path of a source file, from its path under the crate's `src`.
fn module_path(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") || !parts.is_empty() && stem != "mod" {
        parts.push(stem.to_string());
    }
    parts.join("::")
}

/// The code of a file without comments, and without its inline test module
/// and anything after it.
fn import_code(source: &str) -> String {
    let mut out = String::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        out.push_str(&strip_line_comment(line));
        out.push('\n');
    }
    out
}

/// A line without its `//` comment, and with the insides of its string
/// literals blanked (a path in a string names nothing).
fn strip_line_comment(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if escaped => {
                escaped = false;
                out.push(' ');
            }
            '\\' if in_string => {
                escaped = true;
                out.push(' ');
            }
            '"' => {
                in_string = !in_string;
                out.push('"');
            }
            // A quote as a character literal (`'"'`, `b'"'`) opens no string.
            '\'' if !in_string && chars.peek() == Some(&'"') => {
                chars.next();
                out.push_str("' ");
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            _ if in_string => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Every path that starts with `crate::`, `super::` or `self::` in `code`,
/// with `use` groups (`a::{b, c::d}`) expanded; each as its segments,
/// starting with that keyword.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for keyword in ["crate", "super", "self"] {
        let pattern = format!("{keyword}::");
        let mut from = 0;
        while let Some(at) = code[from..].find(&pattern) {
            let start = from + at;
            from = start + pattern.len();
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // part of a longer path or name, e.g. `super::super::`
            }
            let mut rest = &code[start..];
            for tree in use_tree(&mut rest) {
                found.push(tree);
            }
        }
    }
    found
}

/// Parses one path or `use` tree at the start of `text` into the paths it
/// names (a group gives one path per member).
fn use_tree(text: &mut &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        *text = text.trim_start();
        if let Some(rest) = text.strip_prefix('{') {
            *text = rest;
            let mut all = Vec::new();
            loop {
                *text = text.trim_start();
                if let Some(rest) = text.strip_prefix('}') {
                    *text = rest;
                    break;
                }
                if let Some(rest) = text.strip_prefix(',') {
                    *text = rest;
                    continue;
                }
                let before = text.len();
                for tail in use_tree(text) {
                    all.push(prefix.iter().cloned().chain(tail).collect());
                }
                if text.len() == before {
                    break; // not a use tree after all
                }
            }
            return all;
        }
        let name: String = text
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '*')
            .collect();
        if name.is_empty() {
            return if prefix.is_empty() {
                Vec::new()
            } else {
                vec![prefix]
            };
        }
        *text = &text[name.len()..];
        prefix.push(name);
        match text.strip_prefix("::") {
            Some(rest) => *text = rest,
            None => return vec![prefix],
        }
    }
}

/// `pub use inner::Name` (and `pub(crate) use`, groups, `as` renames are
/// taken by their original name): the names a module re-exports, each with
/// the path it comes from, relative to that module.
fn re_exports(code: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(tree) = ["pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|head| statement.strip_prefix(head))
        else {
            continue;
        };
        let mut text = tree;
        for path in use_tree(&mut text) {
            if let Some(name) = path.last().filter(|n| *n != "*") {
                found.push((name.clone(), path));
            }
        }
    }
    found
}

/// The module a path from module `from` names: the longest known module
/// along it, followed through the re-exports of the module it ends in.
fn resolve(
    from: &str,
    path: &[String],
    modules: &BTreeSet<String>,
    exports: &BTreeMap<String, Vec<(String, Vec<String>)>>,
    depth: usize,
) -> Option<String> {
    let mut base: Vec<String> = match path.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => split(from),
        "super" => {
            let mut parent = split(from);
            parent.pop()?;
            parent
        }
        _ => split(from),
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    let mut module = base.clone();
    let mut used = 0;
    for segment in rest {
        let mut candidate = module.clone();
        candidate.push(segment.clone());
        if modules.contains(&candidate.join("::")) {
            module = candidate;
            used += 1;
        } else {
            break;
        }
    }
    let module_path = module.join("::");
    if depth < 8 {
        if let Some(name) = rest.get(used) {
            let exported = exports
                .get(&module_path)
                .and_then(|list| list.iter().find(|(n, _)| n == name));
            if let Some((_, source)) = exported {
                let mut relative = vec!["self".to_string()];
                if matches!(
                    source.first().map(String::as_str),
                    Some("crate" | "super" | "self")
                ) {
                    relative.clear();
                }
                relative.extend(source.iter().cloned());
                if let Some(target) = resolve(&module_path, &relative, modules, exports, depth + 1)
                {
                    return Some(target);
                }
            }
        }
    }
    Some(module_path)
}

fn split(path: &str) -> Vec<String> {
    path.split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The import edges between the modules (re-exports are not edges).
fn edges(modules: &[Module]) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<String> = modules.iter().map(|m| m.path.clone()).collect();
    let exports: BTreeMap<String, Vec<(String, Vec<String>)>> = modules
        .iter()
        .map(|m| (m.path.clone(), re_exports(&m.code)))
        .collect();
    let mut graph = BTreeMap::new();
    for module in modules {
        let without_re_exports: String = module
            .code
            .split_inclusive(';')
            .filter(|s| {
                let s = s.trim_start();
                !(s.starts_with("pub use ")
                    || s.starts_with("pub(crate) use ")
                    || s.starts_with("pub(super) use "))
            })
            .collect();
        let targets: &mut BTreeSet<String> = graph.entry(module.path.clone()).or_default();
        for path in paths(&without_re_exports) {
            if let Some(target) = resolve(&module.path, &path, &known, &exports, 0) {
                if target != module.path {
                    targets.insert(target);
                }
            }
        }
    }
    graph
}

/// The circles of a graph: its strongly connected components of more than
/// one module, each sorted (Tarjan's algorithm).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        let graph = state.graph;
        for next in graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_string());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found.sort();
    state.found
}

fn crate_modules(src: &Path) -> Vec<Module> {
    rust_files(src)
        .into_iter()
        .map(|file| {
            let source = fs::read_to_string(&file).expect("readable source");
            Module {
                path: module_path(file.strip_prefix(src).expect("under src")),
                code: import_code(&source),
            }
        })
        .collect()
}

#[test]
fn no_module_of_any_crate_is_in_an_import_circle() {
    let mut problems = Vec::new();
    for src in CRATES {
        for circle in circles(&edges(&crate_modules(&root().join(src)))) {
            problems.push(format!("{src}: a module circle: {}", circle.join(" ↔ ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The pairs of drivers among `graph`'s edges where one imports its twin
/// (`…::sync_client` and `…::async_client` of one directory, or
/// `sync_server`/`async_server`): what both need belongs in a shared module.
fn driver_imports(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let twin = |module: &str| {
        let (parent, name) = module.rsplit_once("::").unwrap_or(("", module));
        let other = match (name.strip_prefix("sync_"), name.strip_prefix("async_")) {
            (Some(rest), _) => format!("async_{rest}"),
            (_, Some(rest)) => format!("sync_{rest}"),
            _ => return None,
        };
        Some(match parent {
            "" => other,
            parent => format!("{parent}::{other}"),
        })
    };
    let mut found = Vec::new();
    for (from, targets) in graph {
        if let Some(other) = twin(from) {
            if targets.contains(&other) {
                found.push(format!("{from} imports {other}"));
            }
        }
    }
    found
}

#[test]
fn no_driver_imports_from_its_twin() {
    let mut problems = Vec::new();
    for src in CRATES {
        for import in driver_imports(&edges(&crate_modules(&root().join(src)))) {
            problems.push(format!("{src}: {import}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_driver_importing_its_twin_is_caught() {
    let modules = modules_of(&[
        ("http/mod.rs", "mod sync_client;\nmod async_client;\n"),
        ("http/sync_client.rs", "pub(crate) fn helper() {}\n"),
        ("http/async_client.rs", "use super::sync_client::helper;\n"),
    ]);
    assert_eq!(
        driver_imports(&edges(&modules)),
        vec!["http::async_client imports http::sync_client"]
    );
}

#[cfg(test)]
fn modules_of(files: &[(&str, &str)]) -> Vec<Module> {
    files
        .iter()
        .map(|(file, source)| Module {
            path: module_path(Path::new(file)),
            code: import_code(source),
        })
        .collect()
}

#[test]
fn file_paths_become_module_paths() {
    assert_eq!(module_path(Path::new("lib.rs")), "");
    assert_eq!(module_path(Path::new("main.rs")), "");
    assert_eq!(module_path(Path::new("socket.rs")), "socket");
    assert_eq!(module_path(Path::new("http/mod.rs")), "http");
    assert_eq!(
        module_path(Path::new("http/client/sync.rs")),
        "http::client::sync"
    );
    assert_eq!(module_path(Path::new("http/lib.rs")), "http::lib");
}

#[test]
fn a_circle_through_use_groups_and_inline_paths_is_found() {
    let modules = modules_of(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a.rs", "use crate::{b::{Thing, other}, c};\n"),
        ("b.rs", "fn f() { crate::c::helper(); }\n"),
        (
            "c.rs",
            "// use crate::a::Nothing;\nfn g() { let _ = crate::a::VALUE; }\n",
        ),
    ]);
    assert_eq!(circles(&edges(&modules)), vec![vec!["a", "b", "c"]]);
}

#[test]
fn a_chain_without_a_way_back_is_no_circle() {
    let modules = modules_of(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        ("a.rs", "use crate::b::Thing;\n"),
        (
            "b.rs",
            "// use crate::a::Back;\nconst URL: &str = \"http://x//crate::a::Y\";\nconst Q: (u8, &str) = (b'\"', \"crate::a::Z\");\n",
        ),
    ]);
    assert_eq!(circles(&edges(&modules)), Vec::<Vec<String>>::new());
}

#[test]
fn re_exports_lead_to_the_module_they_come_from() {
    // `crate::Socket` is `socket::Socket` re-exported at the root: select
    // depends on socket, and socket back on select, through the root.
    let modules = modules_of(&[
        ("lib.rs", "mod select;\nmod socket;\npub use socket::Socket;\npub use select::{select as pick};\n"),
        ("socket.rs", "use crate::select::wait;\n"),
        ("select.rs", "use crate::Socket;\n"),
    ]);
    assert_eq!(circles(&edges(&modules)), vec![vec!["select", "socket"]]);
    // The root's re-exports alone make no circle with the modules.
    let modules = modules_of(&[
        ("lib.rs", "mod socket;\npub use socket::Socket;\n"),
        ("socket.rs", "use crate::Error;\n"),
    ]);
    assert_eq!(circles(&edges(&modules)), Vec::<Vec<String>>::new());
}

#[test]
fn super_paths_resolve_from_the_file_and_test_modules_are_left_out() {
    let modules = modules_of(&[
        (
            "http/mod.rs",
            "mod io;\nmod stream;\nuse self::io::Reader;\n",
        ),
        ("http/io.rs", "use super::stream::Stream;\n"),
        (
            "http/stream.rs",
            "pub struct Stream;\n#[cfg(test)]\nmod tests {\n    use super::super::io::X;\n}\n",
        ),
    ]);
    assert_eq!(circles(&edges(&modules)), Vec::<Vec<String>>::new());
    let modules = modules_of(&[
        ("http/mod.rs", "mod io;\nmod stream;\n"),
        ("http/io.rs", "use super::stream::Stream;\n"),
        ("http/stream.rs", "use super::super::http::io::Reader;\n"),
    ]);
    assert_eq!(
        circles(&edges(&modules)),
        vec![vec!["http::io", "http::stream"]]
    );
}
