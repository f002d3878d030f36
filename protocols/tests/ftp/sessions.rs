//! Sessions against pyftpdlib: logins, listings, directories, errors that leave
//! the session usable, IPv6, URLs, PASV.

use super::*;

#[test]
fn list_and_nlst_of_a_directory() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        let mut names = c.nlst(Some("sub")).unwrap();
        names.sort();
        assert_eq!(names, ["a.txt", "b.txt"], "{mode:?}");
        let list = c.list(Some("sub")).unwrap();
        assert_eq!(list.len(), 2, "{mode:?}: {list:?}");
        for (line, name) in list.iter().zip(["a.txt", "b.txt"]) {
            assert!(line.starts_with('-') && line.ends_with(name), "{line:?}");
        }
        let root = c.list(None).unwrap();
        assert!(
            root.iter()
                .any(|l| l.starts_with('d') && l.ends_with(" sub")),
            "{root:?}"
        );
        let mut root = c.nlst(None).unwrap();
        root.sort();
        assert_eq!(root, ["big.bin", "small.txt", "sub"]);
        // A listing limit applies.
        let mut tight = Client::connect(
            mode,
            server.host,
            server.port,
            &options().max_listing_size(10),
        )
        .unwrap();
        tight.login_anonymous().unwrap();
        let err = tight.list(None).unwrap_err();
        assert!(err.to_string().contains("10-byte limit"), "{err}");
    }
}

#[test]
fn cwd_mkdir_delete_rmdir() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        let dir = format!("dir-{mode:?}");
        c.mkdir(&dir).unwrap();
        assert!(server.home.path().join(&dir).is_dir());
        c.cwd(&dir).unwrap();
        assert_eq!(c.pwd().unwrap(), format!("/{dir}"));
        c.stor("f.txt", b"x").unwrap();
        assert!(server.home.path().join(&dir).join("f.txt").is_file());
        assert_eq!(c.nlst(None).unwrap(), ["f.txt"]);
        c.delete("f.txt").unwrap();
        assert!(c.nlst(None).unwrap().is_empty());
        assert!(!server.home.path().join(&dir).join("f.txt").exists());
        c.cwd("..").unwrap();
        assert_eq!(c.pwd().unwrap(), "/");
        c.rmdir(&dir).unwrap();
        assert!(!server.home.path().join(&dir).exists());
        match c.cwd("no-such-dir") {
            Err(ftp::Error::FileUnavailable { code: 550, .. }) => {}
            other => panic!("{mode:?}: {other:?}"),
        }
        match c.mkdir(&format!("no/such/{dir}")) {
            Err(ftp::Error::FileUnavailable { code: 550, .. }) => {}
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

#[test]
fn a_missing_file_is_file_unavailable_and_the_session_goes_on() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        let err = c.get("missing.txt").unwrap_err();
        assert!(
            matches!(err, ftp::Error::FileUnavailable { code: 550, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("ftp: file unavailable (550"),
            "{err}"
        );
        assert!(matches!(
            c.size("missing.txt"),
            Err(ftp::Error::FileUnavailable { code: 550, .. })
        ));
        assert!(matches!(
            c.list(Some("missing-dir")),
            Err(ftp::Error::FileUnavailable { .. })
        ));
        // Anonymous is read-only: an upload is refused.
        let err = c.stor("nope.txt", b"x").unwrap_err();
        assert_eq!(err.reply_code(), Some(550), "{mode:?}: {err:?}");
        assert!(!server.anon.path().join("nope.txt").exists());
        // Still in step.
        assert_eq!(c.get("small.txt").unwrap(), SMALL);
        // A path that would inject a command is refused before anything is sent.
        let err = c.get("small.txt\r\nDELE small.txt").unwrap_err();
        assert!(matches!(err, ftp::Error::InvalidInput(_)), "{err:?}");
        assert_eq!(c.get("small.txt").unwrap(), SMALL);
    }
}

#[test]
fn a_wrong_password_is_login_denied() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::to(mode, &server);
        let err = c.login("alice", "wrong").unwrap_err();
        assert!(
            matches!(err, ftp::Error::LoginDenied { code: 530, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("ftp: login denied (530"),
            "{err}"
        );
        // Commands before a login are refused as such.
        assert!(matches!(
            c.pwd(),
            Err(ftp::Error::LoginDenied { code: 530, .. })
        ));
        // The right password then works on the same connection.
        c.login("alice", "secret").unwrap();
        assert_eq!(c.pwd().unwrap(), "/");
        let mut unknown = Client::to(mode, &server);
        assert!(matches!(
            unknown.login("mallory", "secret"),
            Err(ftp::Error::LoginDenied { .. })
        ));
    }
}

#[test]
fn ipv6_on_loopback_uses_epsv() {
    let server = FtpServer::start("::1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        assert_eq!(c.nlst(Some("sub")).unwrap().len(), 2);
        assert!(c.get("big.bin").unwrap() == big_file());
    }
    // The same server without EPSV cannot serve IPv6 transfers (its 227
    // reply holds no IPv4 address): EPSV is what made the above work.
    let no_epsv = FtpServer::start("::1", false);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &no_epsv);
        let err = c.get("small.txt").unwrap_err();
        assert!(
            matches!(err, ftp::Error::MalformedReply(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn connect_url_logs_in_from_the_url() {
    let server = FtpServer::start("127.0.0.1", true);
    let v6 = FtpServer::start("::1", true);
    for mode in MODES {
        // Anonymous (no user in the URL), binary by default.
        let mut c =
            Client::from_url(mode, &format!("ftp://127.0.0.1:{}/small.txt", server.port)).unwrap();
        assert_eq!(c.size("small.txt").unwrap(), SMALL.len() as u64, "{mode:?}");
        assert!(
            c.stor("x", b"x").is_err(),
            "{mode:?}: anonymous is read-only"
        );
        // The user and (percent-encoded) password of the URL.
        let mut c = Client::from_url(
            mode,
            &format!("ftp://alice:s%65cret@127.0.0.1:{}/", server.port),
        )
        .unwrap();
        c.stor("url.txt", b"via url").unwrap();
        assert_eq!(c.get("url.txt").unwrap(), b"via url");
        let err = Client::from_url(
            mode,
            &format!("ftp://alice:nope@127.0.0.1:{}/", server.port),
        )
        .err()
        .expect("a wrong password");
        assert!(
            matches!(err, ftp::Error::LoginDenied { code: 530, .. }),
            "{mode:?}: {err:?}"
        );
        // An IPv6 literal.
        let mut c = Client::from_url(mode, &format!("ftp://[::1]:{}/", v6.port)).unwrap();
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
    }
}

#[test]
fn a_server_without_epsv_gets_pasv() {
    let server = FtpServer::start("127.0.0.1", false);
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        c.stor("p.txt", b"passive").unwrap();
        assert_eq!(c.get("p.txt").unwrap(), b"passive", "{mode:?}");
        assert_eq!(c.nlst(None).unwrap(), ["p.txt"]);
        c.delete("p.txt").unwrap();
    }
}
