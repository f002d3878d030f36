//! Downloads and uploads against pyftpdlib: whole, resumed, dropped early,
//! owned, bounded in memory.

use super::*;

#[test]
fn anonymous_download_of_a_small_and_a_large_file() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.pwd().unwrap(), "/", "{mode:?}");
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        let got = c.get("big.bin").unwrap();
        assert_eq!(got.len(), big.len(), "{mode:?}");
        assert!(got == big, "{mode:?}: the large file differs");
        assert!(c.get_vec("big.bin").unwrap() == big, "{mode:?}");
        // The session goes on after transfers.
        assert_eq!(c.get_vec("sub/b.txt").unwrap(), b"bb");
        c.quit().unwrap();
    }
}

#[test]
fn to_vec_refuses_a_file_over_its_limit_and_the_session_goes_on() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let options = options().max_to_vec_size(1000);
        let mut c = Client::connect(mode, server.host, server.port, &options).unwrap();
        c.login_anonymous().unwrap();
        c.binary().unwrap();
        let err = c.get_vec("big.bin").unwrap_err();
        assert!(
            matches!(err, ftp::Error::TooLarge { limit: 1000 }),
            "{mode:?}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "ftp: the file is larger than the 1000-byte limit for reading it into memory"
        );
        // A file within the limit, on the same session.
        assert_eq!(c.get_vec("small.txt").unwrap(), SMALL, "{mode:?}");
        c.quit().unwrap();
    }
}

#[test]
fn size_and_modification_time() {
    let server = FtpServer::start("127.0.0.1", true);
    let on_disk = std::fs::metadata(server.anon.path().join("small.txt"))
        .unwrap()
        .modified()
        .unwrap();
    let on_disk_secs = on_disk.duration_since(UNIX_EPOCH).unwrap().as_secs();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.size("big.bin").unwrap(), BIG_LEN as u64, "{mode:?}");
        assert_eq!(c.size("/small.txt").unwrap(), SMALL.len() as u64);
        let modified = c.modified("small.txt").unwrap();
        // MDTM has whole seconds, in UTC.
        assert_eq!(
            modified.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            on_disk_secs,
            "{mode:?}"
        );
    }
}

#[test]
fn user_login_upload_and_download_back() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        let name = format!("upload-{mode:?}.bin");
        assert_eq!(c.stor(&name, &big).unwrap(), big.len() as u64, "{mode:?}");
        assert!(
            std::fs::read(server.home.path().join(&name)).unwrap() == big,
            "{mode:?}"
        );
        assert_eq!(c.size(&name).unwrap(), big.len() as u64);
        assert!(c.get(&name).unwrap() == big, "{mode:?}");
        // An empty file, and one overwritten by a smaller one.
        assert_eq!(c.stor("empty", b"").unwrap(), 0);
        assert_eq!(c.get("empty").unwrap(), b"");
        c.stor(&name, b"short").unwrap();
        assert_eq!(c.get(&name).unwrap(), b"short");
        c.quit().unwrap();
    }
}

#[test]
fn resume_with_retr_from_returns_the_tail() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert!(
            c.get_from("big.bin", 1_000_001).unwrap() == big[1_000_001..],
            "{mode:?}"
        );
        assert_eq!(c.get_from("small.txt", 7).unwrap(), &SMALL[7..]);
        assert_eq!(c.get_from("small.txt", SMALL.len() as u64).unwrap(), b"");
    }
}

#[test]
fn a_download_dropped_early_leaves_the_session_usable() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        match &mut c {
            Client::Sync(ftp) => {
                let mut download = ftp.retr("big.bin").unwrap();
                let mut buf = [0u8; 1000];
                download.read_exact(&mut buf).unwrap();
                assert_eq!(&buf[..], &big[..1000]);
            }
            Client::Async(ftp) => block_on(async {
                let mut download = ftp.retr("big.bin").await.unwrap();
                let mut buf = [0u8; 1000];
                let n = download.read_async(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &big[..n]);
            }),
        }
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        assert_eq!(c.size("small.txt").unwrap(), SMALL.len() as u64);
    }
}

/// A download that owns its client, as a URL fetcher returns one.
fn owned_download(server: &FtpServer, mode: Mode, path: &str) -> Box<dyn FnOnce() -> Vec<u8>> {
    let path = path.to_string();
    match mode {
        Mode::Sync => {
            let mut ftp = FtpClient::connect(server.host, server.port, &options()).unwrap();
            ftp.login_anonymous().unwrap();
            ftp.binary().unwrap();
            let download = ftp.into_retr(&path, 0).unwrap();
            Box::new(move || {
                let mut download = download;
                let mut out = Vec::new();
                download.read_to_end(&mut out).unwrap();
                let mut ftp = download.into_client().expect("owned");
                assert_eq!(ftp.size(&path).unwrap(), out.len() as u64);
                ftp.quit().unwrap();
                out
            })
        }
        Mode::Async => {
            let download = block_on(async {
                let mut ftp = AsyncFtpClient::connect(server.host, server.port, &options()).await?;
                ftp.login_anonymous().await?;
                ftp.binary().await?;
                ftp.into_retr(&path, 0).await
            })
            .unwrap();
            Box::new(move || {
                block_on(async move {
                    use futures::io::AsyncReadExt;
                    let mut download = download;
                    let mut out = Vec::new();
                    download.read_to_end(&mut out).await.unwrap();
                    let mut ftp = download.into_client().expect("owned");
                    assert_eq!(ftp.size(&path).await.unwrap(), out.len() as u64);
                    ftp.quit().await.unwrap();
                    out
                })
            })
        }
    }
}

#[test]
fn a_download_can_own_its_client() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let read = owned_download(&server, mode, "big.bin");
        assert!(read() == big_file(), "{mode:?}");
        let read = owned_download(&server, mode, "small.txt");
        assert_eq!(read(), SMALL, "{mode:?}");
    }
}
