//! `--limit-rate`: the body is read no faster than a rate, as curl does it:
//! after each piece, the transfer sleeps until the bytes so far fit the
//! rate, so the kernel's receive window fills and TCP slows the sender.

use std::time::{Duration, Instant};

use super::Failure;

/// A rate in bytes per second, read from curl's form: a number with an
/// optional `k`, `m` or `g` (powers of 1024, either case).
pub fn parse(value: &str) -> Result<u64, Failure> {
    let bad = || {
        Failure::new(
            2,
            format!("--limit-rate {value:?} is not a rate: a number of bytes per second, with k, m or g after it for KiB, MiB or GiB"),
        )
    };
    let (number, unit) = match value.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&value[..at], c.to_ascii_lowercase()),
        _ => (value, 'b'),
    };
    let scale: u64 = match unit {
        'b' => 1,
        'k' => 1 << 10,
        'm' => 1 << 20,
        'g' => 1 << 30,
        _ => return Err(bad()),
    };
    let number: f64 = number.parse().map_err(|_| bad())?;
    let rate = number * scale as f64;
    if !rate.is_finite() || rate < 1.0 {
        return Err(bad());
    }
    Ok(rate as u64)
}

/// Paces a transfer that started now.
pub struct Pace {
    rate: u64,
    started: Instant,
}

impl Pace {
    pub fn new(rate: u64) -> Pace {
        Pace {
            rate,
            started: Instant::now(),
        }
    }

    /// Sleeps until `bytes` (so far) fit the rate.
    pub fn after(&self, bytes: u64) {
        let due = Duration::from_secs_f64(bytes as f64 / self.rate as f64);
        if let Some(ahead) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn rates_read_as_curl_reads_them() {
        assert_eq!(parse("2000").ok(), Some(2000));
        assert_eq!(parse("100k").ok(), Some(102_400));
        assert_eq!(parse("1.5M").ok(), Some(1_572_864));
        assert_eq!(parse("1G").ok(), Some(1 << 30));
        for bad in ["", "k", "fast", "10x", "0", "-5k", "ü"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
