//! The server the client cases run against, and the checks every contender's
//! answers pass.

use super::*;

/// Reads `remaining` bytes of the repeated [`PIECE`], at most one piece's rest per read.
pub(super) struct PieceReader {
    pub(super) position: u64,
    pub(super) remaining: u64,
}

impl std::io::Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let offset = (self.position % PIECE_LEN as u64) as usize;
        let n = buf
            .len()
            .min(PIECE_LEN - offset)
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&PIECE[offset..offset + n]);
        self.position += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// netstack's sync server on 127.0.0.1, answering `/1k` and `/download`.
pub(super) struct Server {
    pub(super) server: Option<HttpServer>,
    pub(super) address: SocketAddr,
}

impl Server {
    pub(super) fn start(
        download: u64,
        timeout: Duration,
        tls: Option<TlsServerConfig>,
    ) -> BenchResult<Server> {
        let mut config = ServerConfig::default()
            .workers(8)
            .idle_timeout(timeout)
            .write_timeout(timeout);
        if let Some(tls) = tls {
            config = config.tls(tls);
        }
        let server =
            HttpServer::bind((Ipv4Addr::LOCALHOST, 0), config, move |request: Request| {
                let body = match request.uri().path() {
                    "/1k" => ResponseBody::full(Cow::Borrowed(&SMALL[..])),
                    "/download" => ResponseBody::from_reader_with_length(
                        PieceReader {
                            position: 0,
                            remaining: download,
                        },
                        download,
                    ),
                    _ => {
                        let mut response = Response::new(ResponseBody::empty());
                        *response.status_mut() = http::StatusCode::NOT_FOUND;
                        return response;
                    }
                };
                let mut response = Response::new(body);
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/octet-stream"),
                );
                response
            })?;
        let endpoint = server.local_endpoint();
        let address = endpoint
            .as_ip()
            .ok_or_else(|| format!("server has a non-IP endpoint {endpoint}"))?;
        check_loopback(address)?;
        Ok(Server {
            server: Some(server),
            address,
        })
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub(super) fn https_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown_handle().begin_shutdown();
            drop(server);
        }
    }
}

/// The server of the plain-http client cases: nginx (one worker, the same
/// bytes as files, `sendfile`) when it is installed, as the issue asks,
/// else netstack's own sync server.
pub(super) enum Origin {
    Nginx {
        nginx: cli_cases::Nginx,
        dir: std::path::PathBuf,
    },
    Netstack(Server),
}

impl Origin {
    pub(super) fn start(args: &Args, total: u64, timeout: Duration) -> BenchResult<Origin> {
        if args.netstack_origin || !cli_cases::nginx_available() {
            return Ok(Origin::Netstack(Server::start(total, timeout, None)?));
        }
        let dir = std::env::temp_dir().join(format!("netstack-bench-http-{}", std::process::id()));
        let root = dir.join("www");
        std::fs::create_dir_all(&root)?;
        std::fs::write(root.join("1k"), SMALL)?;
        let mut file = std::io::BufWriter::new(std::fs::File::create(root.join("download"))?);
        let mut left = total;
        while left > 0 {
            let n = left.min(PIECE_LEN as u64) as usize;
            std::io::Write::write_all(&mut file, &PIECE[..n])?;
            left -= n as u64;
        }
        std::io::Write::flush(&mut file)?;
        let nginx = cli_cases::start_nginx(&dir, &root)?;
        Ok(Origin::Nginx { nginx, dir })
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Origin::Nginx { nginx, .. } => {
                format!("nginx (one worker, sendfile) on 127.0.0.1:{}", nginx.port)
            }
            Origin::Netstack(server) => format!(
                "netstack HttpServer (sync) on {} (nginx not installed, or --netstack-origin)",
                server.address
            ),
        }
    }

    pub(super) fn address(&self) -> SocketAddr {
        match self {
            Origin::Nginx { nginx, .. } => SocketAddr::from((Ipv4Addr::LOCALHOST, nginx.port)),
            Origin::Netstack(server) => server.address,
        }
    }

    pub(super) fn url(&self, path: &str) -> String {
        match self {
            Origin::Nginx { .. } => format!("http://{}{path}", self.address()),
            Origin::Netstack(server) => server.url(path),
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Origin::Nginx { dir, .. } = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub(super) fn check_status(who: &str, status: u16) -> BenchResult<()> {
    if status != 200 {
        return Err(format!("{who}: status {status}, expected 200").into());
    }
    Ok(())
}

pub(super) fn check_small(who: &str, body: &[u8]) -> BenchResult<()> {
    if body != SMALL {
        return Err(format!("{who}: 1 KiB body differs ({} bytes received)", body.len()).into());
    }
    Ok(())
}

/// Counts a download's body from `read` (64 KiB reads) and checks it:
/// exactly `total` bytes, the first piece byte for byte. Bounded: each read
/// either takes at least one byte or ends the loop, and more than `total`
/// bytes is an error.
pub(super) fn drain(
    who: &str,
    total: u64,
    read_len: usize,
    mut read: impl FnMut(&mut [u8]) -> BenchResult<usize>,
) -> BenchResult<()> {
    let mut buf = vec![0u8; read_len];
    let mut check = BodyCheck::new(who, total);
    loop {
        let n = read(&mut buf)?;
        if n == 0 {
            break;
        }
        check.add(&buf[..n])?;
    }
    check.finish()
}

/// The checks of [`drain`] for a body that arrives in pieces of any size.
pub(super) struct BodyCheck<'a> {
    pub(super) who: &'a str,
    pub(super) total: u64,
    pub(super) received: u64,
}

impl<'a> BodyCheck<'a> {
    pub(super) fn new(who: &'a str, total: u64) -> BodyCheck<'a> {
        BodyCheck {
            who,
            total,
            received: 0,
        }
    }

    pub(super) fn add(&mut self, bytes: &[u8]) -> BenchResult<()> {
        let who = self.who;
        if self.received < PIECE_LEN as u64 {
            let start = self.received as usize;
            let end = (start + bytes.len()).min(PIECE_LEN);
            if bytes[..end - start] != PIECE[start..end] {
                return Err(format!("{who}: body differs within its first 64 KiB").into());
            }
        }
        self.received += bytes.len() as u64;
        if self.received > self.total {
            return Err(format!("{who}: more than {} body bytes", self.total).into());
        }
        Ok(())
    }

    pub(super) fn finish(self) -> BenchResult<()> {
        if self.received != self.total {
            return Err(format!(
                "{}: {} body bytes, expected {}",
                self.who, self.received, self.total
            )
            .into());
        }
        Ok(())
    }
}
