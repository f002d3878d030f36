//! Layer 1, asynchronous mode on one thread: netstack's own reactor against
//! its fair peer. The async ping-pong workload of [`crate::async_cases`]
//! (the same generic `ping` and `echo` loops), every task joined into one
//! future and run on one thread: netstack's `Socket` under
//! `sockets::block_on`, which drives netstack's reactor on that thread,
//! against async-io's `Async<TcpStream>` (smol's sockets) under
//! `async_io::block_on`, which drives async-io's reactor the same way. No
//! tokio runtime is involved. Each sample, setup included, is bounded by
//! `--case-timeout-secs` (each side's own timer).

use std::future::Future;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::time::Instant;

use async_io::Async;
use futures::future::{join_all, select, Either};
use futures::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::async_cases::{
    check_round_trips, echo, pairs, ping, thousands, Args, AsyncConn, Case, ConnOptions, Contender,
    Netstack, Who,
};
use crate::harness::{self, BenchResult, CaseResult, Report, Unit};
use crate::sockets_cases::check_loopback;

/// async-io's `Async<TcpStream>`.
pub(crate) struct AsyncIo;

/// One async-io connection.
pub(crate) struct AsyncIoConn(Async<TcpStream>);

impl AsyncConn for AsyncIoConn {
    async fn send_some(&mut self, buf: &[u8]) -> BenchResult<usize> {
        Ok(self.0.write(buf).await?)
    }

    async fn receive_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        Ok(self.0.read(buf).await?)
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(self.0.get_ref().shutdown(Shutdown::Write)?)
    }
}

impl Contender for AsyncIo {
    const NAME: &'static str = "async-io";
    type Conn = AsyncIoConn;
    type Listener = Async<TcpListener>;

    async fn listen(_backlog: u32) -> BenchResult<(Async<TcpListener>, SocketAddr)> {
        // std's listener has a backlog of 128; the connections are made one
        // after another, so that is enough.
        let listener = Async::<TcpListener>::bind((Ipv4Addr::LOCALHOST, 0))?;
        let address = listener.get_ref().local_addr()?;
        check_loopback(address)?;
        Ok((listener, address))
    }

    async fn accept(
        listener: &Async<TcpListener>,
        options: ConnOptions,
    ) -> BenchResult<AsyncIoConn> {
        let (stream, _) = listener.accept().await?;
        stream.get_ref().set_nodelay(options.no_delay)?;
        Ok(AsyncIoConn(stream))
    }

    async fn connect(address: SocketAddr, options: ConnOptions) -> BenchResult<AsyncIoConn> {
        let stream = Async::<TcpStream>::connect(address).await?;
        stream.get_ref().set_nodelay(options.no_delay)?;
        Ok(AsyncIoConn(stream))
    }
}

/// The ping-pong with every task joined into one future; round trips per second.
async fn joined<C: Contender>(
    connections: usize,
    round_trips: u64,
    size: usize,
    options: ConnOptions,
) -> BenchResult<f64> {
    let pairs = pairs::<C>(connections, options).await?;
    let mut echoes = Vec::with_capacity(connections);
    let mut pings = Vec::with_capacity(connections);
    for (index, (client, server)) in (0u64..).zip(pairs) {
        echoes.push(echo(server, round_trips, size));
        pings.push(ping(client, index, round_trips, size));
    }
    let start = Instant::now();
    let (pinged, echoed) = futures::join!(join_all(pings), join_all(echoes));
    let elapsed = start.elapsed();
    let expected = connections as u64 * round_trips;
    let completed: u64 = pinged.into_iter().sum::<BenchResult<u64>>()?;
    let echoed: u64 = echoed.into_iter().sum::<BenchResult<u64>>()?;
    check_round_trips(completed, echoed, expected)?;
    Ok(expected as f64 / elapsed.as_secs_f64())
}

/// `work` unless `limit` fires first (then the work is dropped and the sample fails).
async fn bounded<T>(
    work: impl Future<Output = BenchResult<T>>,
    limit: impl Future<Output = ()>,
    seconds: u64,
) -> BenchResult<T> {
    match select(pin!(work), pin!(limit)).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(format!("not finished within {seconds} s").into()),
    }
}

/// One sample of one contender alone (`--solo`), for profiling one side.
pub(crate) fn solo(args: &Args, who: Who) -> BenchResult<Report> {
    let connections = usize::try_from(args.pingpong_connections)?;
    let (round_trips, size) = (args.round_trips, usize::try_from(args.message_bytes)?);
    let options = args.options(true);
    let limit = args.case_timeout();
    let seconds = limit.as_secs();
    let rate = match who {
        Who::AsyncIo => async_io::block_on(bounded(
            joined::<AsyncIo>(connections, round_trips, size, options),
            async {
                async_io::Timer::after(limit).await;
            },
            seconds,
        ))?,
        Who::Netstack => sockets::block_on(bounded(
            joined::<Netstack>(connections, round_trips, size, options),
            sockets::sleep(limit),
            seconds,
        ))?,
        Who::Tokio => {
            return Err("the one-thread case's peer is async-io (--solo async-io)".into());
        }
    };
    eprintln!("{} alone: {rate:.0} round trips/s", who.name());
    Ok(Report::default())
}

/// Runs the case: interleaved rounds, async-io first.
pub(crate) fn ping_pong_one_thread(args: &Args) -> BenchResult<CaseResult> {
    let connections = usize::try_from(args.pingpong_connections)?;
    let round_trips = args.round_trips;
    let size = usize::try_from(args.message_bytes)?;
    let options = args.options(true);
    let limit = args.case_timeout();
    let seconds = limit.as_secs();
    harness::run_interleaved(
        format!(
            "async ping-pong on one thread {} B, {} connections × {} round trips, TCP_NODELAY, netstack on {}",
            args.message_bytes,
            thousands(args.pingpong_connections),
            thousands(round_trips),
            if cfg!(feature = "async-io") {
                "async-io's reactor"
            } else {
                "its own reactor"
            },
        ),
        Unit::rate("round trips/s", 0),
        "async-io",
        args.common.rounds,
        match cfg!(feature = "async-io") {
            true => args.command(Case::PingpongOneThread).replacen(
                "cargo run -p bench --release",
                "cargo run -p bench --release --features async-io",
                1,
            ),
            false => args.command(Case::PingpongOneThread),
        },
        || {
            async_io::block_on(bounded(
                joined::<AsyncIo>(connections, round_trips, size, options),
                async {
                    async_io::Timer::after(limit).await;
                },
                seconds,
            ))
        },
        || {
            sockets::block_on(bounded(
                joined::<Netstack>(connections, round_trips, size, options),
                sockets::sleep(limit),
                seconds,
            ))
        },
    )
}
