//! `--retry` and its companions, as curl reads them: which failures are
//! worth another try, how long to wait before it, and when to stop.

use std::time::Duration;

use clap::Args;
use http::HeaderMap;

use super::Failure;

/// The retry flags (flattened into `FetchArgs`).
#[derive(Args, Debug)]
pub struct RetryFlags {
    /// Try a transfer up to N more times after a transient failure: a
    /// timeout, a failed name lookup, or HTTP 408, 429, 500, 502, 503, 504.
    #[arg(long = "retry", value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Wait this long before each retry (seconds; 0: start at 1 s and
    /// double each time, up to 10 min). A `Retry-After` in seconds from the
    /// server takes precedence.
    #[arg(
        long = "retry-delay",
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub retry_delay: Option<f64>,
    /// Retry only while this much time has not passed since the first
    /// try (seconds; 0: no limit).
    #[arg(
        long = "retry-max-time",
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub retry_max_time: Option<f64>,
    /// With --retry, a refused connection is transient too.
    #[arg(long = "retry-connrefused")]
    pub connection_refused: bool,
    /// With --retry, retry after any failure.
    #[arg(long = "retry-all-errors")]
    pub all_errors: bool,
}

/// The statuses curl retries: the server may answer differently soon.
const TRANSIENT_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// The longest wait of the doubling backoff, as curl's.
const BACKOFF_MAX: Duration = Duration::from_secs(600);

/// What the retry flags decide, checked once.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    retries: u32,
    delay: Option<Duration>,
    max_time: Option<Duration>,
    connection_refused: bool,
    all_errors: bool,
}

impl Policy {
    /// Checks the flags: the times must be numbers of seconds, 0 or more.
    pub fn new(flags: &RetryFlags) -> Result<Policy, Failure> {
        let seconds = |value: Option<f64>, flag: &str| {
            value
                .map(|s| {
                    Duration::try_from_secs_f64(s).map_err(|_| {
                        Failure::new(2, format!("{flag} needs a number of seconds, 0 or more"))
                    })
                })
                .transpose()
                .map(|d| d.filter(|d| !d.is_zero()))
        };
        Ok(Policy {
            retries: flags.retries,
            delay: seconds(flags.retry_delay, "--retry-delay")?,
            max_time: seconds(flags.retry_max_time, "--retry-max-time")?,
            connection_refused: flags.connection_refused,
            all_errors: flags.all_errors,
        })
    }

    /// True when a try that failed after `tries_made` tries may be made again.
    pub fn has_tries_left(&self, tries_made: u32) -> bool {
        tries_made <= self.retries
    }

    /// The retries not yet made once `tries_made` tries have been.
    pub fn retries_left(&self, tries_made: u32) -> u32 {
        (self.retries + 1).saturating_sub(tries_made)
    }

    /// The wait before the next try, or `None` when `failure` is not to be
    /// retried: not transient, no retries left, or past --retry-max-time
    /// (`elapsed` since the first try, the wait included).
    pub fn wait_before_retry(
        &self,
        failure: &Failure,
        tries_made: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if !self.has_tries_left(tries_made) || failure.output_started {
            return None;
        }
        let transient = failure.transient_status.is_some()
            || matches!(failure.code, 6 | 28)
            || (self.connection_refused && failure.code == 7)
            || self.all_errors;
        if !transient {
            return None;
        }
        let backoff = || {
            let doubled = Duration::from_secs(1).saturating_mul(1 << (tries_made - 1).min(10));
            doubled.min(BACKOFF_MAX)
        };
        let wait = failure.retry_after.or(self.delay).unwrap_or_else(backoff);
        match self.max_time {
            Some(max) if elapsed + wait > max => None,
            _ => Some(wait),
        }
    }
}

/// The status if the server's answer is one worth retrying.
pub fn transient_status(status: Option<u16>) -> Option<u16> {
    status.filter(|s| TRANSIENT_STATUSES.contains(s))
}

/// The server's `Retry-After` when it is a number of seconds (a date is
/// not read: the flags' delay applies then).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The warning printed before a retry, as a sentence.
pub fn warning(failure: &Failure, wait: Duration, retries_left: u32) -> String {
    let problem = match failure.transient_status {
        Some(status) => format!("the server answered {status}, a transient error"),
        None => format!("({}) {}", failure.code, failure.message),
    };
    let plural = if retries_left == 1 {
        "retry"
    } else {
        "retries"
    };
    format!(
        "netstack fetch: warning: {problem}; retrying in {} ({retries_left} {plural} left).",
        describe(wait)
    )
}

fn describe(wait: Duration) -> String {
    if wait.subsec_millis() == 0 {
        format!("{} s", wait.as_secs())
    } else {
        format!("{:.3} s", wait.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retries: u32) -> Policy {
        Policy {
            retries,
            delay: None,
            max_time: None,
            connection_refused: false,
            all_errors: false,
        }
    }

    #[test]
    fn transient_failures_wait_with_a_doubling_backoff_until_the_retries_are_spent() {
        let timeout = Failure::new(28, "timed out");
        let policy = policy(3);
        let waits: Vec<_> = (1..=4)
            .map(|tries| policy.wait_before_retry(&timeout, tries, Duration::ZERO))
            .collect();
        assert_eq!(
            waits,
            [
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                None
            ]
        );
        assert_eq!(
            policy.wait_before_retry(&Failure::new(7, "refused"), 1, Duration::ZERO),
            None
        );
        let refused = Policy {
            connection_refused: true,
            ..policy
        };
        assert!(refused
            .wait_before_retry(&Failure::new(7, "refused"), 1, Duration::ZERO)
            .is_some());
    }

    #[test]
    fn retry_after_comes_first_and_max_time_stops_the_retries() {
        let mut busy = Failure::new(22, "busy");
        busy.transient_status = Some(503);
        busy.retry_after = Some(Duration::from_secs(5));
        let policy = Policy {
            delay: Some(Duration::from_millis(50)),
            max_time: Some(Duration::from_secs(6)),
            ..policy(5)
        };
        assert_eq!(
            policy.wait_before_retry(&busy, 1, Duration::ZERO),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            policy.wait_before_retry(&busy, 1, Duration::from_secs(2)),
            None
        );
        busy.output_started = true;
        assert_eq!(policy.wait_before_retry(&busy, 1, Duration::ZERO), None);
    }
}
