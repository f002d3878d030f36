//! Other schemes (data:, file:, FTP against pyftpdlib), --help, and the
//! progress bar.

use super::*;

#[test]
fn data_and_file_urls() {
    let out = fetch_expect(0, &["data:text/plain;base64,aGVsbG8gZGF0YQ=="]);
    assert_eq!(stdout(&out), "hello data");
    let out = fetch_expect(0, &["-I", "data:text/plain,x"]);
    assert!(
        stdout(&out).contains("content-type: text/plain"),
        "{}",
        stdout(&out)
    );
    let dir = TempDir::new("file");
    std::fs::write(dir.path().join("a.txt"), "file body").unwrap();
    let file_url = url::Url::from_file_path(dir.path().join("a.txt")).unwrap();
    let out = fetch_expect(0, &[file_url.as_str()]);
    assert_eq!(stdout(&out), "file body");
    let dir_url = url::Url::from_directory_path(dir.path()).unwrap();
    let out = fetch_expect(0, &[dir_url.as_str()]);
    assert_eq!(stdout(&out), "a.txt\n");
    let target = url::Url::from_file_path(dir.path().join("copy.txt")).unwrap();
    fetch_expect(0, &["-T", &arg_in(&dir, "a.txt"), target.as_str()]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.txt")).unwrap(),
        "file body"
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = netstack(&["fetch", "--help"]);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for line in [
        "  6  could not resolve host",
        "  28  timeout",
        "  78  remote file not found",
        "  52  empty reply",
        " 100  the response head exceeds the limits",
    ] {
        assert!(help.contains(line), "missing {line:?}");
    }
}

/// Runs `command` with a terminal (util-linux's `script` gives it a pty) and returns what the terminal showed.
fn on_a_terminal(command: &str) -> String {
    let script = Path::new("/usr/bin/script");
    assert!(
        script.exists(),
        "/usr/bin/script (util-linux, Debian's bsdutils) is needed to give the command a terminal"
    );
    let out = Command::new(script)
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_progress_bar_only_on_a_terminal_and_never_with_s() {
    let server = http_server();
    let dir = TempDir::new("progress");
    let bin = env!("CARGO_BIN_EXE_netstack");
    let shown = on_a_terminal(&format!(
        "{bin} fetch -o {} {}",
        arg_in(&dir, "a.bin"),
        url(&server, "/big")
    ));
    assert!(
        shown.contains("1.91 MiB/1.91 MiB") && shown.contains("eta"),
        "{shown:?}"
    );
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), big_body());
    let shown = on_a_terminal(&format!(
        "{bin} fetch -s -o {} {}",
        arg_in(&dir, "b.bin"),
        url(&server, "/big")
    ));
    assert!(shown.trim().is_empty(), "{shown:?}");
}

/// `fetch_expect` with bounded connect and transfer times.
fn ftp_expect(code: i32, args: &[&str]) -> Output {
    let mut all = vec!["--connect-timeout", "10", "-m", "30"];
    all.extend_from_slice(args);
    fetch_expect(code, &all)
}

#[test]
fn ftp_downloads_listings_uploads_resumes_and_exit_codes() {
    let anon = TempDir::new("ftp-anon");
    let home = TempDir::new("ftp-home");
    let out_dir = TempDir::new("ftp-out");
    let content: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(anon.path().join("data.bin"), &content).unwrap();
    std::fs::write(anon.path().join("hello.txt"), "hello over ftp\n").unwrap();
    std::fs::write(out_dir.path().join("upload.txt"), "sent with -T").unwrap();
    let server = pyftpd::Pyftpd::start("127.0.0.1", anon.path(), home.path(), true);
    let base = format!("ftp://127.0.0.1:{}", server.port);

    let out = ftp_expect(0, &[&format!("{base}/hello.txt")]);
    assert_eq!(out.stdout, b"hello over ftp\n");

    let listing = ftp_expect(0, &[&format!("{base}/")]);
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(
        listing.contains("data.bin") && listing.contains("hello.txt"),
        "{listing}"
    );

    // -I shows the metadata: the size from SIZE, the time from MDTM.
    let head = ftp_expect(0, &["-I", &format!("{base}/data.bin")]);
    let head = String::from_utf8_lossy(&head.stdout).into_owned();
    assert!(head.contains("content-length: 500000\r\n"), "{head}");
    assert!(head.contains("last-modified: "), "{head}");

    // -C - resumes a partial file with REST.
    let partial = out_dir.path().join("data.bin");
    std::fs::write(&partial, &content[..123_456]).unwrap();
    ftp_expect(
        0,
        &[
            "-C",
            "-",
            "-o",
            partial.to_str().unwrap(),
            &format!("{base}/data.bin"),
        ],
    );
    assert_eq!(std::fs::read(&partial).unwrap(), content);

    // -T uploads as the user given with -u; a URL ending in / gets the file's name.
    let upload = out_dir.path().join("upload.txt");
    ftp_expect(
        0,
        &[
            "-u",
            "alice:secret",
            "-T",
            upload.to_str().unwrap(),
            &format!("{base}/"),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("upload.txt")).unwrap(),
        "sent with -T"
    );

    let out = ftp_expect(78, &[&format!("{base}/missing.bin")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("(78)"));
    ftp_expect(67, &["-u", "alice:wrong", &format!("{base}/hello.txt")]);
    // The anonymous user may not upload: 25.
    ftp_expect(25, &["-T", upload.to_str().unwrap(), &format!("{base}/")]);
}
