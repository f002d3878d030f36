//! The two contenders behind one interface: netstack's Socket and tokio's
//! TcpStream.

use super::*;

/// How each connection is set up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnOptions {
    pub(crate) no_delay: bool,
    /// A timeout on every send and receive, or none.
    pub(super) timeout: Option<Duration>,
}

/// A connected stream: the three async calls the workloads make.
///
/// Implemented by netstack's `Socket` and a tokio `TcpStream` wrapper; the
/// task code is generic over it, so both contenders run the same loops.
pub(crate) trait AsyncConn: Send + 'static {
    /// One send; returns how many bytes were taken.
    fn send_some(&mut self, buf: &[u8]) -> impl Future<Output = BenchResult<usize>> + Send;
    /// One receive; 0 means end of stream.
    fn receive_some(&mut self, buf: &mut [u8]) -> impl Future<Output = BenchResult<usize>> + Send;
    /// Shuts down the sending side: the peer sees end of stream.
    fn finish_sending(&mut self) -> impl Future<Output = BenchResult<()>> + Send;
}

impl AsyncConn for Socket {
    #[inline]
    async fn send_some(&mut self, buf: &[u8]) -> BenchResult<usize> {
        Ok(self.send_async(buf).await?)
    }

    #[inline]
    async fn receive_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        Ok(self.receive_async(buf).await?)
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(Socket::shutdown(self, Shutdown::Send)?)
    }
}

/// How a tokio call is bounded: not at all ([`Unbounded`], the default,
/// which adds nothing to the stream or its futures) or by
/// `tokio::time::timeout` around each call ([`PerCall`], `--socket-timeouts`).
/// A type parameter rather than an `Option`, so that the default tokio
/// contender carries no timer state it does not use (which would inflate
/// its futures, and so its memory per connection).
pub(super) trait Bound: Copy + Send + Sync + 'static {
    /// The bound for these options.
    fn new(timeout: Option<Duration>) -> BenchResult<Self>;
    /// Awaits `op` within the bound.
    fn run<T: Send>(
        self,
        verb: &'static str,
        op: impl Future<Output = io::Result<T>> + Send,
    ) -> impl Future<Output = BenchResult<T>> + Send;
}

/// No per-call timeout (tokio's streams have none).
#[derive(Debug, Clone, Copy)]
pub(super) struct Unbounded;

impl Bound for Unbounded {
    fn new(timeout: Option<Duration>) -> BenchResult<Unbounded> {
        match timeout {
            None => Ok(Unbounded),
            Some(_) => Err("the unbounded tokio contender got a timeout".into()),
        }
    }

    #[inline]
    async fn run<T: Send>(
        self,
        verb: &'static str,
        op: impl Future<Output = io::Result<T>> + Send,
    ) -> BenchResult<T> {
        op.await.map_err(|e| format!("tokio {verb}: {e}").into())
    }
}

/// `tokio::time::timeout` around every call.
#[derive(Debug, Clone, Copy)]
pub(super) struct PerCall(Duration);

impl Bound for PerCall {
    fn new(timeout: Option<Duration>) -> BenchResult<PerCall> {
        timeout
            .map(PerCall)
            .ok_or_else(|| "the per-call tokio contender needs a timeout".into())
    }

    #[inline]
    async fn run<T: Send>(
        self,
        verb: &'static str,
        op: impl Future<Output = io::Result<T>> + Send,
    ) -> BenchResult<T> {
        match tokio::time::timeout(self.0, op).await {
            Ok(result) => result.map_err(|e| format!("tokio {verb}: {e}").into()),
            Err(_) => Err(format!("tokio {verb}: timed out after {:?}", self.0).into()),
        }
    }
}

/// A tokio stream and how its calls are bounded.
pub(super) struct TokioConn<B> {
    pub(super) stream: TcpStream,
    pub(super) bound: B,
}

impl<B: Bound> AsyncConn for TokioConn<B> {
    #[inline]
    async fn send_some(&mut self, buf: &[u8]) -> BenchResult<usize> {
        self.bound.run("send", self.stream.write(buf)).await
    }

    #[inline]
    async fn receive_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        self.bound.run("receive", self.stream.read(buf)).await
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        self.bound.run("shutdown", self.stream.shutdown()).await
    }
}

/// How a contender listens, accepts and connects (setup, not timed).
pub(crate) trait Contender {
    /// The contender's name in reports.
    const NAME: &'static str;
    type Conn: AsyncConn;
    type Listener: Send + Sync + 'static;
    /// A listener on 127.0.0.1 with an ephemeral port, and its address.
    /// (The kernel caps the backlog at `net.core.somaxconn`.)
    fn listen(
        backlog: u32,
    ) -> impl Future<Output = BenchResult<(Self::Listener, SocketAddr)>> + Send;
    /// Accepts one connection.
    fn accept(
        listener: &Self::Listener,
        options: ConnOptions,
    ) -> impl Future<Output = BenchResult<Self::Conn>> + Send;
    /// Connects to `address`.
    fn connect(
        address: SocketAddr,
        options: ConnOptions,
    ) -> impl Future<Output = BenchResult<Self::Conn>> + Send;
}

/// netstack's `Socket`, asynchronous calls only.
pub(crate) struct Netstack;

pub(super) fn tcp_socket() -> sockets::Result<Socket> {
    Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
}

pub(super) fn configure_netstack(socket: &Socket, options: ConnOptions) -> BenchResult<()> {
    socket.set_no_delay(options.no_delay)?;
    if let Some(timeout) = options.timeout {
        socket.set_receive_timeout(Some(timeout))?;
        socket.set_send_timeout(Some(timeout))?;
    }
    Ok(())
}

impl Contender for Netstack {
    const NAME: &'static str = "netstack";
    type Conn = Socket;
    type Listener = Socket;

    async fn listen(backlog: u32) -> BenchResult<(Socket, SocketAddr)> {
        let listener = tcp_socket()?;
        listener.bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.listen(i32::try_from(backlog)?)?;
        let endpoint = listener.local_endpoint()?;
        let address = endpoint
            .as_ip()
            .ok_or_else(|| format!("netstack listener has a non-IP endpoint {endpoint}"))?;
        check_loopback(address)?;
        Ok((listener, address))
    }

    async fn accept(listener: &Socket, options: ConnOptions) -> BenchResult<Socket> {
        let socket = listener.accept_async().await?;
        configure_netstack(&socket, options)?;
        Ok(socket)
    }

    async fn connect(address: SocketAddr, options: ConnOptions) -> BenchResult<Socket> {
        let socket = tcp_socket()?;
        socket.connect_async(address).await?;
        configure_netstack(&socket, options)?;
        Ok(socket)
    }
}

/// `tokio::net`, its calls bounded by `B`.
pub(super) struct TokioWith<B>(std::marker::PhantomData<B>);

/// `tokio::net` as it comes: no per-call timeout.
pub(super) type Tokio = TokioWith<Unbounded>;

/// `tokio::net` with `tokio::time::timeout` around every call (`--socket-timeouts`).
pub(super) type TokioTimed = TokioWith<PerCall>;

impl<B: Bound> Contender for TokioWith<B> {
    const NAME: &'static str = "tokio";
    type Conn = TokioConn<B>;
    type Listener = TcpListener;

    async fn listen(backlog: u32) -> BenchResult<(TcpListener, SocketAddr)> {
        // Not `TcpListener::bind`, whose backlog is fixed.
        let socket = TcpSocket::new_v4()?;
        socket.bind((Ipv4Addr::LOCALHOST, 0).into())?;
        let listener = socket.listen(backlog)?;
        let address = listener.local_addr()?;
        check_loopback(address)?;
        Ok((listener, address))
    }

    async fn accept(listener: &TcpListener, options: ConnOptions) -> BenchResult<TokioConn<B>> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(options.no_delay)?;
        Ok(TokioConn {
            stream,
            bound: B::new(options.timeout)?,
        })
    }

    async fn connect(address: SocketAddr, options: ConnOptions) -> BenchResult<TokioConn<B>> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(options.no_delay)?;
        Ok(TokioConn {
            stream,
            bound: B::new(options.timeout)?,
        })
    }
}

/// `count` connected pairs (client, server), made one after another.
pub(crate) async fn pairs<C: Contender>(
    count: usize,
    options: ConnOptions,
) -> BenchResult<Vec<(C::Conn, C::Conn)>> {
    let (listener, address) = C::listen(1024).await?;
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let (client, server) =
            tokio::join!(C::connect(address, options), C::accept(&listener, options));
        pairs.push((client?, server?));
    }
    Ok(pairs)
}
