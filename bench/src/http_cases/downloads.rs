//! The download cases (plain and HTTPS) and hyper's client as the second async
//! peer.

use super::*;

/// MiB/s of a download of `total` bytes that took `elapsed`.
pub(super) fn mib_per_sec(total: u64, elapsed: Duration) -> f64 {
    total as f64 / MIB as f64 / elapsed.as_secs_f64()
}

pub(super) fn download_netstack(
    url: &str,
    total: u64,
    timeout: Duration,
    read_len: usize,
) -> BenchResult<f64> {
    let client = netstack_client(timeout);
    let start = Instant::now();
    let mut response = client.get(url).send()?;
    check_status("netstack", response.status().as_u16())?;
    drain("netstack", total, read_len, |buf| {
        Ok(response.read_body(buf)?)
    })?;
    Ok(mib_per_sec(total, start.elapsed()))
}

pub(super) fn download_ureq(
    url: &str,
    total: u64,
    timeout: Duration,
    read_len: usize,
) -> BenchResult<f64> {
    let agent = ureq_agent(timeout);
    let start = Instant::now();
    let mut response = agent.get(url).call()?;
    check_status("ureq", response.status().as_u16())?;
    let mut reader = response.body_mut().as_reader();
    drain("ureq", total, read_len, |buf| {
        Ok(std::io::Read::read(&mut reader, buf)?)
    })?;
    Ok(mib_per_sec(total, start.elapsed()))
}

pub(super) fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `curl -s -o /dev/null`, timed from spawn to exit; checks curl's own
/// account of the status and the byte count.
pub(super) fn download_curl(url: &str, total: u64, timeout: Duration) -> BenchResult<f64> {
    let start = Instant::now();
    let output = Command::new("curl")
        .args(["-s", "-S", "-o", "/dev/null", "--max-time"])
        .arg(timeout.as_secs().to_string())
        .args(["-w", "%{http_code} %{size_download}", url])
        .stdin(Stdio::null())
        .output()?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        return Err(format!(
            "curl exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let report = String::from_utf8_lossy(&output.stdout);
    if report.trim() != format!("200 {total}") {
        return Err(format!("curl: got `{report}`, expected `200 {total}`").into());
    }
    Ok(mib_per_sec(total, elapsed))
}

/// A raw `NetworkStream`: writes the GET, reads the head (up to 64 KiB)
/// and checks its status line and `Content-Length`, then counts the body.
pub(super) fn download_raw(
    address: SocketAddr,
    total: u64,
    timeout: Duration,
    read_len: usize,
) -> BenchResult<f64> {
    let start = Instant::now();
    let mut stream: NetworkStream = TcpClient::connect_endpoint(address)?.into_stream();
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_no_delay(true)?;
    let request = format!("GET /download HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    std::io::Write::write_all(&mut stream, request.as_bytes())?;
    let mut buf = vec![0u8; PIECE_LEN];
    let mut filled = 0;
    let head_end = loop {
        if filled == buf.len() {
            return Err("raw: response head larger than 64 KiB".into());
        }
        let n = std::io::Read::read(&mut stream, &mut buf[filled..])?;
        if n == 0 {
            return Err("raw: connection closed inside the response head".into());
        }
        filled += n;
        if let Some(i) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!("raw: unexpected head {head:?}").into());
    }
    if !head.contains(&format!("\r\ncontent-length: {total}\r\n")) {
        return Err(format!("raw: no `Content-Length: {total}` in {head:?}").into());
    }
    // The body bytes that came with the head, then the rest.
    let early = buf[head_end..filled].to_vec();
    let mut early = Some(early);
    drain("raw", total, read_len, |out| {
        if let Some(first) = early.take() {
            if !first.is_empty() {
                out[..first.len()].copy_from_slice(&first);
                return Ok(first.len());
            }
        }
        Ok(std::io::Read::read(&mut stream, out)?)
    })?;
    Ok(mib_per_sec(total, start.elapsed()))
}

pub(super) async fn keepalive_hyper(
    url: String,
    requests: u64,
    timeout: Duration,
) -> BenchResult<(f64, f64)> {
    use http_body_util::BodyExt;
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(timeout));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<hyper::body::Bytes>>(connector);
    let uri: hyper::Uri = url.parse()?;
    let mut latencies = Vec::with_capacity(usize::try_from(requests)?);
    let start = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        let body = tokio::time::timeout(timeout, async {
            let response = client.get(uri.clone()).await?;
            check_status("hyper", response.status().as_u16())?;
            Ok::<_, crate::harness::BoxError>(response.into_body().collect().await?.to_bytes())
        })
        .await
        .map_err(|_| format!("hyper: request not answered within {timeout:?}"))??;
        check_small("hyper", &body)?;
        latencies.push(t.elapsed());
    }
    let rate = requests as f64 / start.elapsed().as_secs_f64();
    Ok((rate, p99_micros(&mut latencies)))
}

pub(super) fn download_netstack_tls(
    url: &str,
    total: u64,
    timeout: Duration,
    tls: &TlsClientConfig,
    read_len: usize,
) -> BenchResult<f64> {
    let client = Client::builder()
        .timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout))
        .connect_timeout(Some(timeout))
        .tls_config(tls.clone())
        .build();
    let start = Instant::now();
    let mut response = client.get(url).send()?;
    check_status("netstack", response.status().as_u16())?;
    drain("netstack", total, read_len, |buf| {
        Ok(response.read_body(buf)?)
    })?;
    Ok(mib_per_sec(total, start.elapsed()))
}

pub(super) async fn download_reqwest_tls(
    url: String,
    total: u64,
    timeout: Duration,
    root: reqwest::Certificate,
) -> BenchResult<f64> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .https_only(true)
        .build()?;
    let start = Instant::now();
    let mut response = client.get(&url).send().await?;
    check_status("reqwest", response.status().as_u16())?;
    let mut check = BodyCheck::new("reqwest", total);
    while let Some(chunk) = response.chunk().await? {
        check.add(&chunk)?;
    }
    check.finish()?;
    Ok(mib_per_sec(total, start.elapsed()))
}
