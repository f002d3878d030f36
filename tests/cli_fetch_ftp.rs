//! `netstack fetch` against a real FTP server (pyftpdlib on loopback, as in
//! the FTP client's tests): download, listing, upload with -T and -u,
//! resume with -C -, and the FTP exit codes (67 login denied, 78 not found).

#[path = "../protocols/tests/support/pyftpd.rs"]
mod pyftpd;

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use pyftpd::Pyftpd;

fn fetch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netstack"))
        .arg("fetch")
        .args(["--connect-timeout", "10", "-m", "30"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn expect(code: i32, args: &[&str]) -> Output {
    let out = fetch(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "netstack fetch {args:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "netstack-cli-ftp-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ftp_downloads_listings_uploads_resumes_and_exit_codes() {
    let anon = TempDir::new("anon");
    let home = TempDir::new("home");
    let out_dir = TempDir::new("out");
    let content: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(anon.0.join("data.bin"), &content).unwrap();
    std::fs::write(anon.0.join("hello.txt"), "hello over ftp\n").unwrap();
    std::fs::write(out_dir.0.join("upload.txt"), "sent with -T").unwrap();
    let server = Pyftpd::start("127.0.0.1", &anon.0, &home.0, true);
    let base = format!("ftp://127.0.0.1:{}", server.port);

    let out = expect(0, &[&format!("{base}/hello.txt")]);
    assert_eq!(out.stdout, b"hello over ftp\n");

    let listing = expect(0, &[&format!("{base}/")]);
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(
        listing.contains("data.bin") && listing.contains("hello.txt"),
        "{listing}"
    );

    // -I shows the metadata: the size from SIZE, the time from MDTM.
    let head = expect(0, &["-I", &format!("{base}/data.bin")]);
    let head = String::from_utf8_lossy(&head.stdout).into_owned();
    assert!(head.contains("content-length: 500000\r\n"), "{head}");
    assert!(head.contains("last-modified: "), "{head}");

    // -C - resumes a partial file with REST.
    let partial = out_dir.0.join("data.bin");
    std::fs::write(&partial, &content[..123_456]).unwrap();
    expect(
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
    let upload = out_dir.0.join("upload.txt");
    expect(
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
        std::fs::read_to_string(home.0.join("upload.txt")).unwrap(),
        "sent with -T"
    );

    let out = expect(78, &[&format!("{base}/missing.bin")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("(78)"));
    expect(67, &["-u", "alice:wrong", &format!("{base}/hello.txt")]);
    // The anonymous user may not upload: 25.
    expect(25, &["-T", upload.to_str().unwrap(), &format!("{base}/")]);
}
