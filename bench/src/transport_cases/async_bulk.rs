//! The async TCP bulk case: netstack's NetworkStream against tokio's TcpStream.

use super::*;

/// A connected async stream: the three calls the async bulk workload makes.
pub(super) trait AsyncStream: Send + 'static {
    /// Writes all of `buf`.
    fn write_all_buf(
        &mut self,
        buf: &[u8],
    ) -> impl std::future::Future<Output = BenchResult<()>> + Send;
    /// One read; 0 means end of stream.
    fn read_some(
        &mut self,
        buf: &mut [u8],
    ) -> impl std::future::Future<Output = BenchResult<usize>> + Send;
    /// Shuts down the sending side.
    fn finish_sending(&mut self) -> impl std::future::Future<Output = BenchResult<()>> + Send;
}

impl AsyncStream for NetworkStream {
    #[inline]
    async fn write_all_buf(&mut self, buf: &[u8]) -> BenchResult<()> {
        Ok(self.write_all_async(buf).await?)
    }

    #[inline]
    async fn read_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        Ok(self.read_async(buf).await?)
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(NetworkStream::shutdown(self, Shutdown::Send)?)
    }
}

impl AsyncStream for tokio::net::TcpStream {
    #[inline]
    async fn write_all_buf(&mut self, buf: &[u8]) -> BenchResult<()> {
        self.write_all(buf)
            .await
            .map_err(|e| format!("tokio write_all: {e}").into())
    }

    #[inline]
    async fn read_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        self.read(buf)
            .await
            .map_err(|e| format!("tokio read: {e}").into())
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        self.shutdown()
            .await
            .map_err(|e| format!("tokio shutdown: {e}").into())
    }
}

/// How an async contender makes a connected pair (setup, not timed).
pub(super) trait AsyncContender {
    type Stream: AsyncStream;
    /// A connected pair (client, server) on 127.0.0.1, `TCP_NODELAY` on both.
    fn pair() -> impl std::future::Future<Output = BenchResult<(Self::Stream, Self::Stream)>> + Send;
}

/// netstack: `TcpListener::accept_async` and `TcpClient::connect_endpoint_async`.
pub(super) struct NetstackTcp;

impl AsyncContender for NetstackTcp {
    type Stream = NetworkStream;

    async fn pair() -> BenchResult<(NetworkStream, NetworkStream)> {
        let listener = transport::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.start(8)?;
        let endpoint = listener.local_endpoint()?;
        let address = endpoint
            .as_ip()
            .ok_or_else(|| format!("netstack listener has a non-IP endpoint {endpoint}"))?;
        check_loopback(address)?;
        let (client, server) = tokio::join!(
            TcpClient::connect_endpoint_async(address),
            listener.accept_async()
        );
        let (client, server) = (client?.into_stream(), server?);
        client.set_no_delay(true)?;
        server.set_no_delay(true)?;
        Ok((client, server))
    }
}

/// tokio: `tokio::net::TcpListener` and `TcpStream::connect`.
pub(super) struct TokioTcp;

impl AsyncContender for TokioTcp {
    type Stream = tokio::net::TcpStream;

    async fn pair() -> BenchResult<(tokio::net::TcpStream, tokio::net::TcpStream)> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        check_loopback(address)?;
        let (client, server) =
            tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
        let (client, (server, _)) = (client?, server?);
        client.set_nodelay(true)?;
        server.set_nodelay(true)?;
        Ok((client, server))
    }
}

/// Async bulk transfer of `total` bytes between two tasks; returns MiB/s.
pub(super) async fn async_bulk<C: AsyncContender>(total: u64, buffer: usize) -> BenchResult<f64> {
    let (mut sender, mut receiver) = C::pair().await?;
    let mut tasks = JoinSet::new();
    // Dropping the JoinSet (an error, or the sample's timeout) aborts both tasks.
    tasks.spawn(async move {
        let mut buf = vec![0u8; buffer];
        let mut received: u64 = 0;
        for _ in 0..=total {
            let n = receiver
                .read_some(&mut buf)
                .await
                .map_err(|e| format!("receiver after {received} bytes: {e}"))?;
            if n == 0 {
                return Ok::<_, BoxErr>((false, received, Instant::now()));
            }
            received += n as u64;
            if received > total {
                return Err(format!("received {received} bytes, more than {total}").into());
            }
        }
        Err(format!("receiver: no end of stream after {received} bytes").into())
    });
    tasks.spawn(async move {
        let buf = vec![0xA5u8; buffer];
        let start = Instant::now();
        let mut sent: u64 = 0;
        for _ in 0..total.div_ceil(buffer as u64) {
            let len = (total - sent).min(buffer as u64) as usize;
            sender
                .write_all_buf(&buf[..len])
                .await
                .map_err(|e| format!("sender after {sent} bytes: {e}"))?;
            sent += len as u64;
        }
        sender.finish_sending().await?;
        Ok((true, sent, start))
    });
    let (mut sent, mut received) = (None, None);
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| format!("bulk task: {e}"))?? {
            (true, n, at) => sent = Some((n, at)),
            (false, n, at) => received = Some((n, at)),
        }
    }
    let ((sent, start), (received, end)) = sent.zip(received).ok_or("a bulk task is missing")?;
    if sent != total || received != total {
        return Err(format!(
            "short transfer: sent {sent}, received {received}, expected {total} bytes"
        )
        .into());
    }
    Ok(total as f64 / MIB as f64 / end.duration_since(start).as_secs_f64())
}
