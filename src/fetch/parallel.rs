//! `-Z/--parallel`: the URLs fetched at the same time, at most
//! `--parallel-max` at once, each on a thread of its own that runs the same
//! transfer as a serial run (retries, `-o`, `-w` and all) through the one
//! shared fetcher and its connection pool.

use std::sync::{Mutex, PoisonError};

use clap::Args;

/// The flags of parallel transfers.
#[derive(Args, Debug)]
pub struct ParallelFlags {
    /// Fetch the URLs at the same time, at most --parallel-max at once;
    /// the exit code is that of the last transfer to fail.
    #[arg(short = 'Z', long = "parallel")]
    pub parallel: bool,
    /// With -Z, how many transfers run at once (1 to 300; default 50).
    #[arg(
        long = "parallel-max",
        value_name = "N",
        default_value_t = DEFAULT,
        allow_negative_numbers = true
    )]
    pub max: i64,
}

const DEFAULT: i64 = 50;
const MOST: i64 = 300;

impl ParallelFlags {
    /// How many transfers may run at once, as curl reads --parallel-max
    /// (below 1: the default; above 300: 300).
    pub fn at_once(&self) -> usize {
        match self.max {
            max if max < 1 => DEFAULT as usize,
            max => max.min(MOST) as usize,
        }
    }
}

/// Runs `transfer` for every target, `at_once` at a time; the exit code of
/// the last one to fail (0 when none failed).
pub fn run<T: Send>(
    targets: impl Iterator<Item = T> + Send,
    at_once: usize,
    transfer: impl Fn(T) -> Result<(), u8> + Sync,
) -> u8 {
    let targets = Mutex::new(targets);
    let last_failure = Mutex::new(0);
    let next = || {
        targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next()
    };
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| {
                while let Some(target) = next() {
                    if let Err(code) = transfer(target) {
                        *last_failure.lock().unwrap_or_else(PoisonError::into_inner) = code;
                    }
                }
            });
        }
    });
    last_failure
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn no_more_than_the_limit_run_at_once_and_every_target_runs() {
        let (running, most, done) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let code = run(0..40, 4, |n: u32| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            done.fetch_add(1, Ordering::SeqCst);
            if n == 7 {
                Err(22)
            } else {
                Ok(())
            }
        });
        assert_eq!(code, 22);
        assert_eq!(done.load(Ordering::SeqCst), 40);
        let most = most.load(Ordering::SeqCst);
        assert!((1..=4).contains(&most), "{most} at once");
    }

    #[test]
    fn parallel_max_is_read_as_curl_reads_it() {
        let at_once = |max| {
            ParallelFlags {
                parallel: true,
                max,
            }
            .at_once()
        };
        assert_eq!(
            (at_once(0), at_once(-3), at_once(7), at_once(1000)),
            (50, 50, 7, 300)
        );
    }
}
