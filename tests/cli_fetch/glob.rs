//! URL globbing (`{a,b}`, `[1-3]`, `#N` in `-o`, `-g`), side by side with curl.

use super::flags_like_curl::{echo_server, like_curl, port_of};
use super::*;

#[test]
fn globs_expand_in_curls_order() {
    let server = echo_server();
    let out = like_curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{url} %{urlnum}\n",
        &url(&server, "/{a,b}/[1-2]"),
        &url(&server, "/x[08-10:2]_[c-e:2]"),
    ]);
    let port = port_of(&server);
    let expected: String = [
        "/a/1 0", "/a/2 0", "/b/1 0", "/b/2 0", "/x08_c 1", "/x08_e 1", "/x10_c 1", "/x10_e 1",
    ]
    .iter()
    .map(|line| format!("http://127.0.0.1:{port}{line}\n"))
    .collect();
    assert_eq!(stdout(&out), expected);
}

#[test]
fn hash_numbers_in_the_output_name_take_each_globs_text() {
    let server = echo_server();
    let target = url(&server, "/{one,two}/[1-2]");
    let args = ["-s", "-o", "out_#2_#1_#3.txt", target.as_str()];
    let mut listings = Vec::new();
    for program in ["curl", env!("CARGO_BIN_EXE_netstack")] {
        let dir = TempDir::new("glob-output");
        let mut all = Vec::new();
        if program != "curl" {
            all.push("fetch");
        }
        all.extend_from_slice(&args);
        let out = run_in(program, dir.path(), &all);
        assert_eq!(code(&out), 0, "{program}: {}", stderr(&out));
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let body = std::fs::read_to_string(&path).unwrap();
                (name, body.lines().next().unwrap_or("").to_string())
            })
            .collect();
        files.sort();
        listings.push(files);
    }
    assert_eq!(listings[0], listings[1], "curl's files, then netstack's");
    assert_eq!(
        listings[1][0],
        ("out_1_one_#3.txt".into(), "GET /one/1".into())
    );
}

#[test]
fn a_malformed_glob_ends_the_run_with_exit_3_and_shows_where() {
    let server = echo_server();
    let first = url(&server, "/first");
    for bad in [
        "/{a,b", "/a}", "/{a,{b}}", "/{}", "/[3-1]", "/[1-3:0]", "/[a-5]",
    ] {
        let bad = url(&server, bad);
        let out = like_curl(&["-sS", &first, &bad, &first]);
        assert_eq!(stdout(&out).matches("GET /first").count(), 1, "{bad}");
        let report = stderr(&out);
        assert!(report.contains("URL position "), "{report}");
        assert!(
            report.contains(&format!("\n{bad}\n")) && report.trim_end().ends_with('^'),
            "{report}"
        );
    }
    // -g takes them as they are.
    let out = like_curl(&[
        "-s",
        "-g",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url(&server, "/[3-1]"),
    ]);
    assert_eq!(stdout(&out), "200");
}
