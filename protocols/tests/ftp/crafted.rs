//! Crafted servers that send exact bytes: greetings, malformed replies,
//! silence, cut transfers, injection, cancellation.

use super::*;

#[test]
fn crafted_multi_line_greeting_and_pasv_fallback_remembered() {
    for mode in MODES {
        let fake = Fake::start(
            b"220-Welcome to\r\n123 an inner line with digits\r\n220-more\r\n\r\n220 ready\r\n",
            |line, conn| {
                if login_ok(line, conn) {
                    return true;
                }
                match line.split(' ').next().unwrap() {
                    "EPSV" => conn.reply("502 EPSV not implemented"),
                    "PASV" => {
                        let port = conn.listen();
                        // A different address than the control peer's: ignored.
                        conn.reply(&format!(
                            "227 Entering Passive Mode (127,0,0,2,{},{})",
                            port >> 8,
                            port & 0xff
                        ));
                    }
                    "RETR" => {
                        conn.accept_data();
                        conn.reply("150 Opening BINARY mode data connection (6 bytes)");
                        conn.send_data(b"abcdef");
                        conn.close_data();
                        conn.reply("226 Transfer complete");
                    }
                    _ => conn.reply("500 unknown"),
                }
                true
            },
        );
        let mut c = fake.connect(mode, &options()).unwrap();
        let greeting = match &c {
            Client::Sync(ftp) => ftp.greeting().clone(),
            Client::Async(ftp) => ftp.greeting().clone(),
        };
        assert_eq!(greeting.code, 220, "{mode:?}");
        assert_eq!(
            greeting.lines,
            [
                "Welcome to",
                "123 an inner line with digits",
                "more",
                "",
                "ready"
            ],
            "{mode:?}"
        );
        c.login("u", "p").unwrap();
        assert_eq!(c.get("f").unwrap(), b"abcdef", "{mode:?}");
        assert_eq!(c.get("f").unwrap(), b"abcdef", "{mode:?}");
        assert_eq!(
            fake.commands(),
            ["USER u", "PASS p", "EPSV", "PASV", "RETR f", "PASV", "RETR f"],
            "{mode:?}"
        );
    }
}

#[test]
fn crafted_malformed_replies_are_errors() {
    let cases: [(&'static [u8], &str); 4] = [
        (b"hello there\r\n", "malformed reply line"),
        (b"2200 nope\r\n", "malformed reply line"),
        (b"999 out of range\r\n", "malformed reply line"),
        (
            b"421 Too many connections, try later\r\n",
            "service not available",
        ),
    ];
    for mode in MODES {
        for (greeting, expected) in cases {
            let fake = Fake::start(greeting, |_, _| true);
            let err = fake.connect(mode, &options()).err().expect("an error");
            assert!(err.to_string().contains(expected), "{mode:?}: {err}");
        }
        // A line that never ends is refused at the limit, not buffered forever.
        let fake = Fake::start(b"220 ok\r\n", |line, conn| {
            if line.starts_with("USER") {
                conn.raw(b"331 ");
                conn.raw(&vec![b'x'; 64 * 1024]);
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        let err = c.login("u", "p").unwrap_err();
        assert!(
            matches!(
                err,
                ftp::Error::MalformedReply(protocols::ftp::reply::ReplyError::LineTooLong { .. })
            ),
            "{mode:?}: {err:?}"
        );
        assert!(matches!(c.pwd(), Err(ftp::Error::Broken)), "{mode:?}");
        // A malformed EPSV port.
        let fake = Fake::start(GREETING, |line, conn| {
            if !login_ok(line, conn) {
                conn.reply("229 Entering Extended Passive Mode (|||99999|)");
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(err, ftp::Error::MalformedReply(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_silent_server_times_out() {
    for mode in MODES {
        // Silent from the start: no greeting.
        let fake = Fake::start(b"", |_, _| true);
        let started = Instant::now();
        let err = fake
            .connect(mode, &short_options())
            .err()
            .expect("an error");
        assert!(
            matches!(err, ftp::Error::Timeout { phase: "a reply" }),
            "{mode:?}: {err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // Greets, then never answers USER.
        let fake = Fake::start(GREETING, |_, _| true);
        let mut c = fake.connect(mode, &short_options()).unwrap();
        let err = c.login("u", "p").unwrap_err();
        assert!(err.is_timeout(), "{mode:?}: {err:?}");
        assert_eq!(err.to_string(), "ftp: timed out waiting for a reply");
        assert!(matches!(c.pwd(), Err(ftp::Error::Broken)), "{mode:?}");
        // Starts a download, then sends no data.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Here it comes");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &short_options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(
                err,
                ftp::Error::Timeout {
                    phase: "download data"
                }
            ),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_transfer_cut_short_is_an_error() {
    for mode in MODES {
        // The server announced 1000 bytes, sent 400, and claims success.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening BINARY mode data connection for f (1000 bytes)");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    conn.reply("226 Transfer complete");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        // The read that meets the end fails, and so does every later read.
        let (err, again) = match &mut c {
            Client::Sync(ftp) => {
                let mut download = ftp.retr("f").unwrap();
                assert_eq!(download.expected_len(), Some(1000));
                let mut sink = Vec::new();
                let err = download.read_to_end(&mut sink).unwrap_err();
                assert_eq!(sink.len(), 400);
                let again = download.read(&mut [0u8; 10]).unwrap_err();
                (unwrap_io(err), unwrap_io(again))
            }
            Client::Async(ftp) => block_on(async {
                let mut download = ftp.retr("f").await.unwrap();
                let mut buf = [0u8; 100];
                let mut got = 0;
                let err = loop {
                    match download.read_async(&mut buf).await {
                        Ok(0) => panic!("a silent end"),
                        Ok(n) => got += n,
                        Err(e) => break e,
                    }
                };
                assert_eq!(got, 400);
                (err, download.read_async(&mut buf).await.unwrap_err())
            }),
        };
        assert!(
            matches!(&err, ftp::Error::Protocol(m) if m.contains("400 of the 1000 bytes")),
            "{mode:?}: {err:?}"
        );
        assert!(again.to_string().contains("the transfer failed"), "{again}");
        // No size announced: the data ends early and the server says so (426).
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                "NOOP" => conn.reply("200 ok"),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening data connection");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    conn.reply("426 Connection closed; transfer aborted.");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(err, ftp::Error::Rejected { code: 426, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(err.to_string().contains("RETR f"), "{err}");
        // In step afterwards.
        match &mut c {
            Client::Sync(ftp) => assert_eq!(ftp.command("NOOP", None).unwrap().code, 200),
            Client::Async(ftp) => {
                assert_eq!(block_on(ftp.command("NOOP", None)).unwrap().code, 200)
            }
        }
        // The control connection closes mid-transfer: never a silent end.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening data connection");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    let _ = conn.control.shutdown(std::net::Shutdown::Both);
                    return false;
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(&err, ftp::Error::Protocol(m) if m.contains("closed the control connection"))
                || matches!(err, ftp::Error::Transport(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_command_injection_is_refused_before_sending() {
    for mode in MODES {
        let fake = Fake::start(GREETING, |line, conn| {
            if !login_ok(line, conn) {
                conn.reply("250 ok");
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        for bad in ["x\r\nDELE y", "x\nDELE y", "x\rDELE y", "x\0y"] {
            assert!(matches!(c.cwd(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(c.delete(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(c.get(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(
                c.login(bad, "p"),
                Err(ftp::Error::InvalidInput(_))
            ));
            assert!(matches!(
                c.login("u", bad),
                Err(ftp::Error::InvalidInput(_))
            ));
        }
        c.cwd("ok").unwrap();
        assert_eq!(fake.commands(), ["CWD ok"], "{mode:?}");
    }
}

#[test]
fn clients_downloads_and_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    fn send_type<T: Send>() {}
    send_type::<FtpClient>();
    send_type::<AsyncFtpClient>();
    send_type::<protocols::ftp::FtpDownload<'static>>();
    send_type::<protocols::ftp::AsyncFtpDownload<'static>>();
    // Never polled: only their types matter (a multi-threaded runtime can spawn them).
    let options = FtpOptions::new();
    let connect = AsyncFtpClient::connect("127.0.0.1", 1, &options);
    is_send(&connect);
    let _ = |c: &'static mut AsyncFtpClient| {
        is_send(&c.retr("f"));
        is_send(&c.stor("f", &mut &b""[..]));
        is_send(&c.list(None));
        is_send(&c.login("u", "p"));
    };
}

#[test]
fn a_cancelled_async_operation_leaves_the_client_broken_not_out_of_step() {
    // Greets, answers the login, then sits on PWD.
    let fake = Fake::start(GREETING, |line, conn| {
        login_ok(line, conn);
        true
    });
    let mut c = block_on(AsyncFtpClient::connect(
        "127.0.0.1",
        fake.addr.port(),
        &options(),
    ))
    .unwrap();
    block_on(c.login("u", "p")).unwrap();
    let cancelled = block_on(sockets::with_timeout(Duration::from_millis(200), async {
        Ok(c.pwd().await)
    }));
    assert!(cancelled.is_err(), "{cancelled:?}");
    // A late reply to PWD must not be taken for the next command's.
    assert!(matches!(block_on(c.pwd()), Err(ftp::Error::Broken)));
    assert_eq!(fake.commands(), ["USER u", "PASS p", "PWD"]);
}
