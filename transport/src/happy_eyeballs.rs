//! Happy Eyeballs v2 (RFC 8305): race connection attempts across a host's
//! addresses, IPv6 first, interleaved by family, a new attempt every
//! *stagger* delay (or at once when one fails); the first to connect wins and
//! the others are closed.
//!
//! [`Race`] is the sans-IO core: it decides which address to try next and
//! when, and keeps the record of attempts. The synchronous driver waits with
//! `select`; the asynchronous one polls `connect_async` futures and a timer.
//! Both drive the same `Race`.

use std::future::{poll_fn, Future};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use sockets::{AddressFamily, EndPoint, ProtocolType, Socket, SocketError, SocketType};

use crate::attempt::{AttemptOutcome, ConnectAttempt};
use crate::error::{Error, Result};

/// Orders addresses as RFC 8305 §4 asks: the first address family of the
/// list (IPv6 if present) first, then alternating families.
///
/// ```
/// use netstack::transport::interleave_addresses;
/// let v4a = "127.0.0.1".parse().unwrap();
/// let v4b = "127.0.0.2".parse().unwrap();
/// let v6 = "::1".parse().unwrap();
/// assert_eq!(interleave_addresses(&[v4a, v4b, v6]), vec![v6, v4a, v4b]);
/// ```
pub fn interleave_addresses(addresses: &[IpAddr]) -> Vec<IpAddr> {
    let v6: Vec<IpAddr> = addresses.iter().copied().filter(IpAddr::is_ipv6).collect();
    let v4: Vec<IpAddr> = addresses.iter().copied().filter(IpAddr::is_ipv4).collect();
    let mut out = Vec::with_capacity(addresses.len());
    let (mut a, mut b) = (v6.into_iter(), v4.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out.dedup();
    out
}

/// The sans-IO state of one race.
pub(crate) struct Race {
    addresses: Vec<SocketAddr>,
    next: usize,
    stagger: Duration,
    started: Instant,
    next_attempt_at: Instant,
    deadline: Option<Instant>,
    in_flight: usize,
    attempts: Vec<ConnectAttempt>,
}

/// What a driver should do next.
pub(crate) enum Step {
    /// Start an attempt to this address (index into the attempt record).
    Start(usize, SocketAddr),
    /// Wait for an in-flight attempt to finish, or until this instant.
    Wait(Option<Instant>),
    /// Every address failed.
    Exhausted,
    /// The overall deadline passed.
    TimedOut,
}

impl Race {
    pub(crate) fn new(
        addresses: Vec<SocketAddr>,
        stagger: Duration,
        timeout: Option<Duration>,
    ) -> Race {
        let now = Instant::now();
        Race {
            addresses,
            next: 0,
            stagger,
            started: now,
            next_attempt_at: now,
            deadline: timeout.and_then(|t| now.checked_add(t)),
            in_flight: 0,
            attempts: Vec::new(),
        }
    }

    pub(crate) fn step(&mut self, now: Instant) -> Step {
        if self.deadline.is_some_and(|d| now >= d) {
            return Step::TimedOut;
        }
        let remaining = self.next < self.addresses.len();
        if remaining && (now >= self.next_attempt_at || self.in_flight == 0) {
            let address = self.addresses[self.next];
            self.next += 1;
            self.in_flight += 1;
            self.next_attempt_at = now + self.stagger;
            self.attempts.push(ConnectAttempt {
                address,
                started_after: now - self.started,
                duration: Duration::ZERO,
                outcome: AttemptOutcome::Abandoned,
            });
            #[cfg(feature = "tracing")]
            tracing::debug!(
                target: "netstack::transport",
                %address,
                after = ?(now - self.started),
                "connection attempt started"
            );
            return Step::Start(self.attempts.len() - 1, address);
        }
        if self.in_flight == 0 {
            return Step::Exhausted;
        }
        let wake = match (remaining, self.deadline) {
            (true, Some(d)) => Some(self.next_attempt_at.min(d)),
            (true, None) => Some(self.next_attempt_at),
            (false, d) => d,
        };
        Step::Wait(wake)
    }

    fn finish(&mut self, index: usize, outcome: AttemptOutcome, now: Instant) {
        let attempt = &mut self.attempts[index];
        attempt.duration = now - self.started - attempt.started_after;
        attempt.outcome = outcome;
        self.in_flight -= 1;
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "netstack::transport",
            address = %attempt.address,
            took = ?attempt.duration,
            "connection attempt {}",
            attempt.outcome
        );
    }

    pub(crate) fn failed(&mut self, index: usize, error: &sockets::Error, now: Instant) {
        self.finish(
            index,
            AttemptOutcome::Failed(error.kind(), error.to_string()),
            now,
        );
        // RFC 8305 §5: start the next attempt at once when one fails.
        self.next_attempt_at = now;
    }

    pub(crate) fn connected(&mut self, index: usize, now: Instant) {
        self.finish(index, AttemptOutcome::Connected, now);
    }

    /// Marks the attempts still pending as abandoned (their sockets are closed by the driver).
    pub(crate) fn abandon_rest(&mut self, now: Instant) {
        let elapsed = now - self.started;
        for attempt in &mut self.attempts {
            if attempt.outcome == AttemptOutcome::Abandoned && attempt.duration.is_zero() {
                attempt.duration = elapsed - attempt.started_after;
            }
        }
        self.in_flight = 0;
    }

    pub(crate) fn into_attempts(self) -> Vec<ConnectAttempt> {
        self.attempts
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.deadline.map(|d| d - self.started)
    }
}

/// A socket for `address`, non-blocking, bound to `local` if given.
fn attempt_socket(address: SocketAddr, local: Option<&EndPoint>) -> sockets::Result<Socket> {
    let family = match address {
        SocketAddr::V4(_) => AddressFamily::InterNetwork,
        SocketAddr::V6(_) => AddressFamily::InterNetworkV6,
    };
    let socket = Socket::new(family, SocketType::Stream, ProtocolType::Tcp)?;
    if let Some(local) = local {
        socket.bind(local.clone())?;
    }
    Ok(socket)
}

/// The outcome of a race: the winning socket and the record of attempts.
pub(crate) struct Won {
    pub(crate) socket: Socket,
    pub(crate) attempts: Vec<ConnectAttempt>,
}

fn race_error(race: Race, host: &str, port: u16, timed_out: bool) -> Error {
    let timeout = race.timeout().unwrap_or_default();
    let attempts = race.into_attempts();
    if timed_out {
        Error::ConnectTimeout {
            host: host.to_string(),
            port,
            timeout,
            attempts,
        }
    } else {
        Error::ConnectFailed {
            host: host.to_string(),
            port,
            attempts,
        }
    }
}

/// Runs a race with blocking waits (`select` over the in-flight sockets).
pub(crate) fn race_sync(
    mut race: Race,
    host: &str,
    port: u16,
    local: Option<&EndPoint>,
) -> Result<Won> {
    let mut in_flight: Vec<(usize, Socket)> = Vec::new();
    loop {
        let now = Instant::now();
        match race.step(now) {
            Step::Start(index, address) => {
                let started = attempt_socket(address, local).and_then(|socket| {
                    socket.set_blocking(false)?;
                    match socket.connect(address) {
                        Ok(()) => Ok((socket, true)),
                        Err(e)
                            if matches!(
                                e.kind(),
                                SocketError::InProgress | SocketError::WouldBlock
                            ) =>
                        {
                            Ok((socket, false))
                        }
                        Err(e) => Err(e),
                    }
                });
                match started {
                    Ok((socket, true)) => {
                        race.connected(index, Instant::now());
                        return finish_sync(race, socket, in_flight);
                    }
                    Ok((socket, false)) => in_flight.push((index, socket)),
                    Err(e) => race.failed(index, &e, Instant::now()),
                }
            }
            Step::Wait(until) => {
                let timeout = until.map(|u| u.saturating_duration_since(now));
                {
                    let mut write: Vec<&Socket> = in_flight.iter().map(|(_, s)| s).collect();
                    let mut error: Vec<&Socket> = write.clone();
                    sockets::select(&mut Vec::new(), &mut write, &mut error, timeout)?;
                }
                // select only waits; each socket's own state says how it ended.
                let now = Instant::now();
                let mut pending = Vec::with_capacity(in_flight.len());
                let mut winner = None;
                for (index, socket) in in_flight {
                    match connect_state(&socket) {
                        ConnectState::Failed(err) => race.failed(index, &err, now),
                        ConnectState::Connected if winner.is_none() => {
                            race.connected(index, now);
                            winner = Some(socket);
                        }
                        _ => pending.push((index, socket)),
                    }
                }
                in_flight = pending;
                if let Some(socket) = winner {
                    return finish_sync(race, socket, in_flight);
                }
            }
            Step::Exhausted => return Err(race_error(race, host, port, false)),
            Step::TimedOut => {
                race.abandon_rest(Instant::now());
                drop(in_flight);
                return Err(race_error(race, host, port, true));
            }
        }
    }
}

enum ConnectState {
    Connected,
    Pending,
    Failed(sockets::Error),
}

/// How a non-blocking connect stands now.
fn connect_state(socket: &Socket) -> ConnectState {
    match socket.pending_error() {
        Ok(Some(err)) | Err(err) => ConnectState::Failed(err),
        Ok(None) if socket.connected() => ConnectState::Connected,
        Ok(None) => ConnectState::Pending,
    }
}

/// The winner goes back to blocking mode; the losers are closed (dropped).
fn finish_sync(mut race: Race, socket: Socket, losers: Vec<(usize, Socket)>) -> Result<Won> {
    for (_, loser) in losers {
        loser.close();
    }
    race.abandon_rest(Instant::now());
    socket.set_blocking(true)?;
    Ok(Won {
        socket,
        attempts: race.into_attempts(),
    })
}

type AttemptFuture = Pin<Box<dyn Future<Output = (usize, Socket, sockets::Result<()>)> + Send>>;

/// Runs a race asynchronously: in-flight `connect_async` futures and a
/// timer for the next stagger or the deadline, all polled in one task.
pub(crate) async fn race_async(
    mut race: Race,
    host: &str,
    port: u16,
    local: Option<&EndPoint>,
) -> Result<Won> {
    let mut in_flight: Vec<AttemptFuture> = Vec::new();
    loop {
        let now = Instant::now();
        let wake = match race.step(now) {
            Step::Start(index, address) => {
                match attempt_socket(address, local) {
                    Ok(socket) => in_flight.push(Box::pin(async move {
                        let result = socket.connect_async(address).await;
                        (index, socket, result)
                    })),
                    Err(e) => race.failed(index, &e, Instant::now()),
                }
                continue;
            }
            Step::Wait(until) => until,
            Step::Exhausted => return Err(race_error(race, host, port, false)),
            Step::TimedOut => {
                race.abandon_rest(Instant::now());
                drop(in_flight);
                return Err(race_error(race, host, port, true));
            }
        };
        let mut timer = wake.map(|at| sockets::sleep(at.saturating_duration_since(now)));
        // Wait for one attempt to finish, or for the timer.
        let finished = poll_fn(|cx| {
            for i in 0..in_flight.len() {
                if let Poll::Ready(done) = in_flight[i].as_mut().poll(cx) {
                    drop(in_flight.swap_remove(i));
                    return Poll::Ready(Some(done));
                }
            }
            match timer.as_mut().map(|t| Pin::new(t).poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(None),
                _ => Poll::Pending,
            }
        })
        .await;
        if let Some((index, socket, result)) = finished {
            let now = Instant::now();
            match result {
                Ok(()) => {
                    race.connected(index, now);
                    // Dropping the other futures closes their sockets.
                    drop(in_flight);
                    race.abandon_rest(now);
                    return Ok(Won {
                        socket,
                        attempts: race.into_attempts(),
                    });
                }
                Err(err) => race.failed(index, &err, now),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn interleaving_puts_ipv6_first_and_alternates() {
        let ips: Vec<IpAddr> = ["10.0.0.1", "10.0.0.2", "::1", "::2", "::3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let order: Vec<String> = interleave_addresses(&ips)
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(order, ["::1", "10.0.0.1", "::2", "10.0.0.2", "::3"]);
    }

    #[test]
    fn the_race_staggers_attempts_and_starts_the_next_at_once_on_failure() {
        let stagger = Duration::from_millis(250);
        let mut race = Race::new(
            vec![addr("[::1]:1"), addr("127.0.0.1:1"), addr("127.0.0.2:1")],
            stagger,
            None,
        );
        let t0 = Instant::now();
        assert!(matches!(race.step(t0), Step::Start(0, _)));
        match race.step(t0) {
            Step::Wait(Some(at)) => assert!(at >= t0 + stagger - Duration::from_millis(1)),
            _ => panic!("the second attempt must wait for the stagger"),
        }
        assert!(matches!(race.step(t0 + stagger), Step::Start(1, _)));
        let err = sockets::Error::new(SocketError::ConnectionRefused, "connect");
        race.failed(1, &err, t0 + stagger);
        assert!(
            matches!(race.step(t0 + stagger), Step::Start(2, _)),
            "a failure starts the next at once"
        );
        race.failed(0, &err, t0 + stagger);
        race.failed(2, &err, t0 + stagger);
        assert!(matches!(race.step(t0 + stagger), Step::Exhausted));
        let attempts = race.into_attempts();
        assert_eq!(attempts.len(), 3);
        assert!(attempts.iter().all(|a| matches!(
            a.outcome,
            AttemptOutcome::Failed(SocketError::ConnectionRefused, _)
        )));
    }

    #[test]
    fn the_race_times_out_at_its_deadline() {
        let mut race = Race::new(
            vec![addr("127.0.0.1:1")],
            Duration::from_millis(250),
            Some(Duration::from_millis(100)),
        );
        let t0 = Instant::now();
        assert!(matches!(race.step(t0), Step::Start(..)));
        assert!(matches!(
            race.step(t0 + Duration::from_millis(150)),
            Step::TimedOut
        ));
    }
}
