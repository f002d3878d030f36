//! Round-trip statistics of a run of pings, summarised as `ping` does.

use std::fmt;
use std::time::Duration;

/// Counts requests and replies and keeps the round-trip figures
/// (minimum, mean, maximum, mean deviation) without storing every sample.
///
/// ```
/// use std::time::Duration;
/// use netstack::protocols::icmp::Statistics;
///
/// let mut stats = Statistics::default();
/// for ms in [1, 3] {
///     stats.sent();
///     stats.replied(Duration::from_millis(ms));
/// }
/// stats.sent(); // lost
/// assert_eq!(stats.loss_percent(), 100.0 / 3.0);
/// assert_eq!(
///     stats.to_string(),
///     "3 packets transmitted, 2 received, 33.3333% packet loss\n\
///      rtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    transmitted: u64,
    received: u64,
    min: Option<Duration>,
    max: Duration,
    sum_ms: f64,
    sum_squares_ms: f64,
}

impl Statistics {
    /// One more request sent.
    pub fn sent(&mut self) {
        self.transmitted += 1;
    }

    /// One more reply, after `rtt`.
    pub fn replied(&mut self, rtt: Duration) {
        self.received += 1;
        self.min = Some(self.min.map_or(rtt, |m| m.min(rtt)));
        self.max = self.max.max(rtt);
        let ms = rtt.as_secs_f64() * 1000.0;
        self.sum_ms += ms;
        self.sum_squares_ms += ms * ms;
    }

    /// Requests sent.
    pub fn transmitted(&self) -> u64 {
        self.transmitted
    }

    /// Replies received.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The share of requests without a reply, in percent (0 when none were sent).
    pub fn loss_percent(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        let lost = self.transmitted.saturating_sub(self.received);
        lost as f64 * 100.0 / self.transmitted as f64
    }

    /// Minimum, mean, maximum and mean deviation of the round trips in
    /// milliseconds; `None` before the first reply.
    pub fn rtt_ms(&self) -> Option<[f64; 4]> {
        let min = self.min?;
        let n = self.received as f64;
        let avg = self.sum_ms / n;
        let variance = (self.sum_squares_ms / n - avg * avg).max(0.0);
        Some([
            min.as_secs_f64() * 1000.0,
            avg,
            self.max.as_secs_f64() * 1000.0,
            variance.sqrt(),
        ])
    }
}

impl fmt::Display for Statistics {
    /// `N packets transmitted, M received, X% packet loss`, then (after any
    /// reply) `rtt min/avg/max/mdev = a/b/c/d ms` on a second line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} packets transmitted, {} received, {}% packet loss",
            self.transmitted,
            self.received,
            (self.loss_percent() * 10_000.0).round() / 10_000.0
        )?;
        if let Some([min, avg, max, mdev]) = self.rtt_ms() {
            write!(
                f,
                "\nrtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_replies_means_full_loss_and_no_rtt_line() {
        let mut stats = Statistics::default();
        assert_eq!(stats.loss_percent(), 0.0);
        stats.sent();
        stats.sent();
        assert_eq!(stats.loss_percent(), 100.0);
        assert_eq!(stats.rtt_ms(), None);
        assert_eq!(
            stats.to_string(),
            "2 packets transmitted, 0 received, 100% packet loss"
        );
    }

    #[test]
    fn equal_round_trips_have_no_deviation() {
        let mut stats = Statistics::default();
        for _ in 0..4 {
            stats.sent();
            stats.replied(Duration::from_micros(500));
        }
        let [min, avg, max, mdev] = stats.rtt_ms().unwrap();
        assert_eq!((min, max), (0.5, 0.5));
        assert!((avg - 0.5).abs() < 1e-9);
        assert!(mdev < 1e-6);
        assert!(stats
            .to_string()
            .starts_with("4 packets transmitted, 4 received, 0% packet loss"));
    }
}
