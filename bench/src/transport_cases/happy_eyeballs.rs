//! The Happy Eyeballs case: a blackholed first address, and the time to connect
//! by the second.

use super::*;

/// A listener whose accept queue is full and that never accepts: Linux
/// drops further SYNs, so a connect to it neither succeeds nor fails for a
/// while (as in transport/tests/tcp_udp.rs).
pub(super) struct Blackhole {
    pub(super) _listener: Socket,
    pub(super) _fillers: Vec<Socket>,
}

pub(super) const BLACKHOLE_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

pub(super) fn blackhole(port: u16) -> BenchResult<Blackhole> {
    let tcp = || {
        Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
    };
    let listener = tcp()?;
    listener.set_reuse_address(true)?;
    listener.bind((BLACKHOLE_IP, port))?;
    listener.listen(0)?;
    let mut fillers = Vec::new();
    for _ in 0..32 {
        let filler = tcp()?;
        match filler.connect_timeout((BLACKHOLE_IP, port), Duration::from_millis(150)) {
            Ok(()) => fillers.push(filler),
            Err(e) if e.kind() == SocketError::TimedOut => {
                return Ok(Blackhole {
                    _listener: listener,
                    _fillers: fillers,
                })
            }
            Err(e) => {
                return Err(format!("filling the backlog of {BLACKHOLE_IP}:{port}: {e}").into())
            }
        }
    }
    Err(format!(
        "the backlog of {BLACKHOLE_IP}:{port} never filled: this kernel does not drop SYNs on a full accept queue"
    )
    .into())
}

/// Sockets in SYN_SENT towards 127.0.0.2:port, from /proc/net/tcp.
pub(super) fn syn_sent_to_blackhole(port: u16) -> BenchResult<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let remote = format!("0200007F:{port:04X}");
    Ok(table
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[2] == remote && cols[3] == "02"
        })
        .count())
}

/// The Happy Eyeballs setup: a good listener on 127.0.0.1, a blackhole on
/// 127.0.0.2 at the same port, and options that try 127.0.0.2 first.
pub(super) struct HappyEyeballs {
    pub(super) good: transport::TcpListener,
    pub(super) _hole: Blackhole,
    pub(super) port: u16,
    pub(super) stagger: Duration,
    pub(super) options: ConnectOptions,
}

impl HappyEyeballs {
    pub(super) fn new(stagger: Duration, timeout: Duration) -> BenchResult<HappyEyeballs> {
        let (good, address) = netstack_listener(timeout)?;
        let port = address.port();
        let hole = blackhole(port)?;
        let options = ConnectOptions::new()
            .resolver(StaticResolver::new(vec![
                IpAddr::V4(BLACKHOLE_IP),
                IpAddr::V4(Ipv4Addr::LOCALHOST),
            ]))
            .stagger(stagger)
            .timeout(Some(timeout));
        Ok(HappyEyeballs {
            good,
            _hole: hole,
            port,
            stagger,
            options,
        })
    }

    /// One synchronous connect; returns its time in milliseconds.
    pub(super) fn connect_sync(&self) -> BenchResult<f64> {
        let start = Instant::now();
        let client = TcpClient::connect_with("blackholed.test", self.port, &self.options)?;
        let elapsed = start.elapsed();
        self.verify(&client, elapsed)?;
        Ok(elapsed.as_secs_f64() * 1000.0)
    }

    /// One asynchronous connect on the runtime; returns its time in milliseconds.
    pub(super) fn connect_async(&self, runtime: &Runtime, limit: Duration) -> BenchResult<f64> {
        let (client, elapsed) = runtime.block_on(async {
            let start = Instant::now();
            let connect =
                TcpClient::connect_with_async("blackholed.test", self.port, &self.options);
            match tokio::time::timeout(limit, connect).await {
                Ok(client) => Ok::<_, BoxErr>((client?, start.elapsed())),
                Err(_) => Err(format!("not connected within {limit:?}").into()),
            }
        })?;
        self.verify(&client, elapsed)?;
        Ok(elapsed.as_secs_f64() * 1000.0)
    }

    /// The connect won on 127.0.0.1, after the stagger, with the blackholed
    /// attempt abandoned and its socket closed; the server side is accepted
    /// (and closed) so the good listener's queue stays empty.
    pub(super) fn verify(&self, client: &TcpClient, elapsed: Duration) -> BenchResult<()> {
        let remote = client.stream().remote_endpoint()?;
        let attempts = client.attempts();
        let ok = remote.as_ip().map(|a| a.ip()) == Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
            && attempts.len() == 2
            && attempts[0].address.ip() == IpAddr::V4(BLACKHOLE_IP)
            && attempts[0].outcome == AttemptOutcome::Abandoned
            && attempts[1].outcome == AttemptOutcome::Connected;
        if !ok {
            return Err(format!("unexpected race to {remote}: {attempts:?}").into());
        }
        if elapsed + Duration::from_millis(1) < self.stagger {
            return Err(format!(
                "connected after {elapsed:?}, before the {:?} stagger",
                self.stagger
            )
            .into());
        }
        drop(self.good.accept()?);
        let lingering = syn_sent_to_blackhole(self.port)?;
        if lingering != 0 {
            return Err(
                format!("{lingering} abandoned attempt(s) to {BLACKHOLE_IP} still open").into(),
            );
        }
        Ok(())
    }
}
