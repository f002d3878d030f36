//! Context: the openssl command-line tools on the same machine (s_server,
//! s_client), for the TLS bulk figures.

use super::*;

pub(super) fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The certificate and key as PEM files, for `openssl s_server`; removed on drop.
pub(super) struct PemFiles {
    pub(super) dir: PathBuf,
    pub(super) cert: PathBuf,
    pub(super) key: PathBuf,
}

impl PemFiles {
    pub(super) fn write(pki: &Pki) -> BenchResult<PemFiles> {
        let dir = std::env::temp_dir().join(format!("netstack-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, &pki.cert_pem)?;
        std::fs::write(&key, &pki.key_pem)?;
        Ok(PemFiles { dir, cert, key })
    }
}

impl Drop for PemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed (by its id) and reaped when dropped.
pub(super) struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on 127.0.0.1 (bound and released; s_server binds it next).
pub(super) fn free_port() -> BenchResult<u16> {
    let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(probe.local_addr()?.port())
}

pub(super) fn path_arg(path: &Path) -> BenchResult<&str> {
    path.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", path.display()).into())
}

/// `total` bytes written to `openssl s_client`'s stdin, carried over TLS 1.3
/// (TLS_AES_128_GCM_SHA256) to `openssl s_server`, and counted from its
/// stdout; returns MiB/s from the first byte written to the last counted.
pub(super) fn openssl_bulk(
    files: &PemFiles,
    total: u64,
    buffer: usize,
    timeout: Duration,
) -> BenchResult<f64> {
    let port = free_port()?;
    let tls13 = ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"];
    let mut server = Reaped(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-naccept", "1", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args([
                "-cert",
                path_arg(&files.cert)?,
                "-key",
                path_arg(&files.key)?,
            ])
            .args(tls13)
            // s_server also sends what it reads on stdin, and ends the
            // connection at its end: keep it open and silent until the end.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?,
    );
    let _server_in = server.0.stdin.take().ok_or("no s_server stdin")?;
    // Wait (bounded) until s_server listens (quiet mode prints nothing to say so).
    wait_for_port(port, Instant::now() + timeout)?;
    // Drain s_server's stderr so it never blocks on a full pipe.
    let mut server_err = server.0.stderr.take().ok_or("no s_server stderr")?;
    let err_thread = thread::spawn(move || {
        let mut text = String::new();
        let _ = server_err.read_to_string(&mut text);
        text
    });
    let mut server_out = server.0.stdout.take().ok_or("no s_server stdout")?;
    // Timed from the first byte out of s_server (so neither process start-up
    // nor the handshake counts) to the last; the first read's bytes are not counted.
    let counter = thread::spawn(move || -> BenchResult<Counted> {
        let mut buf = vec![0u8; 1 << 16];
        let mut received: u64 = 0;
        let mut first: Option<(u64, Instant)> = None;
        for _ in 0..=total {
            let n = server_out.read(&mut buf)?;
            let now = Instant::now();
            received += n as u64;
            if first.is_none() && n > 0 {
                first = Some((received, now));
            }
            if n == 0 || received >= total {
                return Ok(Counted {
                    received,
                    first,
                    end: now,
                });
            }
        }
        Err(format!("no end after {received} bytes").into())
    });
    let mut client = Reaped(
        Command::new("openssl")
            .args(["s_client", "-quiet", "-no_ign_eof", "-connect"])
            .arg(format!("127.0.0.1:{port}"))
            .args(tls13)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let mut client_in = client.0.stdin.take().ok_or("no s_client stdin")?;
    let buf = vec![0xA5u8; buffer];
    let mut sent: u64 = 0;
    let mut write_error = None;
    for _ in 0..total.div_ceil(buffer as u64) {
        let len = (total - sent).min(buffer as u64) as usize;
        if let Err(e) = client_in.write_all(&buf[..len]) {
            write_error = Some(e);
            break;
        }
        sent += len as u64;
    }
    drop(client_in);
    // Bound the wait for the counter: if the transfer stalls, killing the children ends it.
    let watchdog_deadline = Instant::now() + timeout;
    for _ in 0..(timeout.as_millis() / 10 + 1) {
        if counter.is_finished() || Instant::now() >= watchdog_deadline {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    if !counter.is_finished() {
        drop(client);
        drop(server);
        let _ = counter.join();
        return Err(format!("openssl transfer not finished within {timeout:?}").into());
    }
    let counted = counter.join().map_err(|_| "counter thread panicked")?;
    drop(client);
    drop(server);
    let stderr = err_thread.join().unwrap_or_default();
    if let Some(e) = write_error {
        return Err(format!(
            "writing to s_client after {sent} bytes: {e}; s_server said: {stderr}"
        )
        .into());
    }
    let counted = counted?;
    let (first_bytes, first_at) = counted.first.ok_or("s_server wrote nothing")?;
    if counted.received != total {
        return Err(format!(
            "openssl carried {} of {total} bytes; s_server said: {stderr}",
            counted.received
        )
        .into());
    }
    let seconds = counted.end.duration_since(first_at).as_secs_f64();
    Ok((total - first_bytes) as f64 / MIB as f64 / seconds)
}

/// What the s_server output counter saw.
pub(super) struct Counted {
    pub(super) received: u64,
    /// Bytes counted by the first read, and when.
    pub(super) first: Option<(u64, Instant)>,
    pub(super) end: Instant,
}

pub(super) fn wait_for_port(port: u16, deadline: Instant) -> BenchResult<()> {
    for _ in 0..10_000 {
        // A bare probe connection: s_server with -naccept 1 would take it as its one
        // client, so look for the listening socket in /proc instead.
        let table = std::fs::read_to_string("/proc/net/tcp")?;
        let local = format!("0100007F:{port:04X}");
        if table.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[1] == local && cols[3] == "0A"
        }) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Err(format!("openssl s_server never listened on 127.0.0.1:{port}").into())
}
