//! What every subcommand shares: interleaved rounds, medians, and the report.
//!
//! A case compares netstack with one peer (std, tokio, and later ureq, …).
//! Each contender runs once as a warm-up (not counted), then the two run in
//! turn, peer first, for the given number of rounds, so that drift in the
//! machine's load touches both alike. Most samples are rates (higher is
//! better); a few are costs, such as memory per connection, whose [`Unit`]
//! says that lower is better. The report gives each sample, the medians and
//! the ratio netstack/peer, and then any pass/fail [`Check`]s.

use std::fmt::Write as _;
use std::fs;
use std::time::Duration;

/// Any failure inside a benchmark: it names the contender and the step.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The result type of every measuring function.
pub type BenchResult<T> = Result<T, BoxError>;

/// Options that every subcommand takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Counted rounds per contender (after one warm-up run of each).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// Read and write timeout, in seconds, on every socket: no run can hang longer.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
}

impl Common {
    /// The socket timeout as a `Duration`.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// How a case reports its rate.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    /// Shown after each number, e.g. `"MiB/s"`.
    pub label: &'static str,
    /// Digits after the decimal point.
    pub decimals: usize,
    /// True for a cost (e.g. bytes per connection): a ratio netstack/peer
    /// below 1.0 is then better for netstack. False for a rate.
    pub lower_is_better: bool,
}

impl Unit {
    /// A rate: higher is better.
    pub const fn rate(label: &'static str, decimals: usize) -> Unit {
        Unit {
            label,
            decimals,
            lower_is_better: false,
        }
    }

    /// A cost: lower is better.
    pub const fn cost(label: &'static str, decimals: usize) -> Unit {
        Unit {
            label,
            decimals,
            lower_is_better: true,
        }
    }

    /// Formats a rate in this unit.
    pub fn format(&self, value: f64) -> String {
        format!("{value:.prec$} {}", self.label, prec = self.decimals)
    }
}

/// The measured outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Short name for the table, e.g. `"TCP bulk 1 GiB, 64 KiB buffers"`.
    pub case: String,
    /// The unit of every sample.
    pub unit: Unit,
    /// The comparison peer, e.g. `"std"`.
    pub peer_name: &'static str,
    /// The peer's warm-up run (not counted).
    pub peer_warmup: f64,
    /// netstack's warm-up run (not counted).
    pub netstack_warmup: f64,
    /// The peer's counted samples, in order.
    pub peer: Vec<f64>,
    /// netstack's counted samples, in order.
    pub netstack: Vec<f64>,
    /// The command line that runs this case alone.
    pub command: String,
}

impl CaseResult {
    /// The median of netstack's samples.
    pub fn netstack_median(&self) -> f64 {
        median(&self.netstack)
    }

    /// The median of the peer's samples.
    pub fn peer_median(&self) -> f64 {
        median(&self.peer)
    }

    /// netstack's median over the peer's median (for a rate, higher is better
    /// for netstack; for a cost, lower).
    pub fn ratio(&self) -> f64 {
        self.netstack_median() / self.peer_median()
    }
}

/// Runs one case: one warm-up of each contender, then `rounds` interleaved
/// rounds (peer, netstack, peer, netstack, …). Each closure runs the workload
/// once and returns its rate; the first error stops the case.
pub fn run_interleaved(
    case: String,
    unit: Unit,
    peer_name: &'static str,
    rounds: u32,
    command: String,
    mut peer: impl FnMut() -> BenchResult<f64>,
    mut netstack: impl FnMut() -> BenchResult<f64>,
) -> BenchResult<CaseResult> {
    let run = |who: &str, label: &str, f: &mut dyn FnMut() -> BenchResult<f64>| {
        let value = f().map_err(|e| format!("{case}: {who} ({label}): {e}"))?;
        eprintln!("  {case}: {who:<8} {label:<9} {}", unit.format(value));
        Ok::<f64, BoxError>(value)
    };
    eprintln!("{case}: 1 warm-up + {rounds} rounds each, {peer_name} and netstack interleaved");
    let peer_warmup = run(peer_name, "warm-up", &mut peer)?;
    let netstack_warmup = run("netstack", "warm-up", &mut netstack)?;
    let mut peer_samples = Vec::with_capacity(rounds as usize);
    let mut netstack_samples = Vec::with_capacity(rounds as usize);
    for round in 1..=rounds {
        let label = format!("round {round}");
        peer_samples.push(run(peer_name, &label, &mut peer)?);
        netstack_samples.push(run("netstack", &label, &mut netstack)?);
    }
    Ok(CaseResult {
        case,
        unit,
        peer_name,
        peer_warmup,
        netstack_warmup,
        peer: peer_samples,
        netstack: netstack_samples,
        command,
    })
}

/// The one contender a hidden `--solo` run measures (for `perf` and
/// `strace -c -f`: one contender's system calls and switches alone).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solo {
    /// netstack only.
    Netstack,
    /// The peer only.
    Peer,
}

/// One case: [`run_interleaved`], or with `solo`, one contender's warm-up
/// and samples, printed only (no result to compare).
#[allow(clippy::too_many_arguments)]
pub fn measure(
    solo: Option<Solo>,
    case: String,
    unit: Unit,
    peer_name: &'static str,
    rounds: u32,
    command: String,
    peer: impl FnMut() -> BenchResult<f64>,
    netstack: impl FnMut() -> BenchResult<f64>,
) -> BenchResult<Option<CaseResult>> {
    let (who, mut work): (&str, Box<dyn FnMut() -> BenchResult<f64> + '_>) = match solo {
        None => {
            return run_interleaved(case, unit, peer_name, rounds, command, peer, netstack)
                .map(Some)
        }
        Some(Solo::Netstack) => ("netstack", Box::new(netstack)),
        Some(Solo::Peer) => (peer_name, Box::new(peer)),
    };
    eprintln!("{case}: {who} alone (--solo), 1 warm-up + {rounds} rounds");
    for round in 0..=rounds {
        let value = work().map_err(|e| format!("{case}: {who}: {e}"))?;
        eprintln!("  {case}: {who:<8} {round:>3} {}", unit.format(value));
    }
    Ok(None)
}

/// A pass/fail observation that is not a measurement (e.g. "no reactor
/// thread before the first async call").
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// What was seen.
    pub outcome: String,
    /// Whether it is what was expected.
    pub passed: bool,
    /// The command line that runs this check alone.
    pub command: String,
}

/// Everything one subcommand measured and checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The measured cases, in order.
    pub cases: Vec<CaseResult>,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// A report of cases only.
    pub fn from_cases(cases: Vec<CaseResult>) -> Report {
        Report {
            cases,
            checks: Vec::new(),
        }
    }

    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// The median of a non-empty list (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    assert!(!samples.is_empty(), "median of no samples");
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Every sample of every case, as plain text.
pub fn samples_report(results: &[CaseResult]) -> String {
    let mut out = String::new();
    for r in results {
        let list = |values: &[f64]| {
            values
                .iter()
                .map(|v| format!("{v:.prec$}", prec = r.unit.decimals))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "{} ({}):", r.case, r.unit.label);
        let _ = writeln!(
            out,
            "  warm-up (not counted): {} {}, netstack {}",
            r.peer_name,
            r.unit.format(r.peer_warmup),
            r.unit.format(r.netstack_warmup)
        );
        let _ = writeln!(out, "  {:<8} [{}]", r.peer_name, list(&r.peer));
        let _ = writeln!(out, "  {:<8} [{}]", "netstack", list(&r.netstack));
    }
    out
}

/// The markdown table: case | netstack (median) | peer (median) | ratio | command.
///
/// The peer column is named after the first case's peer; cases with another
/// peer say so in their cell, and costs say that lower is better.
pub fn markdown_table(results: &[CaseResult]) -> String {
    let peer = results.first().map_or("peer", |r| r.peer_name);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| case | netstack (median) | {peer} (median) | ratio netstack/{peer} | command |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for r in results {
        let peer_cell = if r.peer_name == peer {
            r.unit.format(r.peer_median())
        } else {
            format!("{} ({})", r.unit.format(r.peer_median()), r.peer_name)
        };
        let better = if r.unit.lower_is_better {
            " (lower is better)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3}{better} | `{}` |",
            r.case,
            r.unit.format(r.netstack_median()),
            peer_cell,
            r.ratio(),
            r.command
        );
    }
    out
}

/// The checks as a markdown table: check | outcome | result | command.
pub fn checks_table(checks: &[Check]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| check | outcome | result | command |");
    let _ = writeln!(out, "|---|---|---|---|");
    for c in checks {
        let result = if c.passed { "as expected" } else { "FAILED" };
        let _ = writeln!(
            out,
            "| {} | {} | {result} | `{}` |",
            c.name, c.outcome, c.command
        );
    }
    out
}

/// This process's resident set size, in KiB (`VmRSS` in `/proc/self/status`).
pub fn rss_kib() -> BenchResult<i64> {
    let status = fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS in /proc/self/status")?;
    let kib = line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib)
}

/// Fails early, with the reason, when the open-files limit is below `needed`.
pub fn check_open_files(needed: u64) -> BenchResult<()> {
    let limits = fs::read_to_string("/proc/self/limits")?;
    let soft = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse::<u64>().ok());
    match soft {
        Some(soft) if soft < needed => Err(format!(
            "this needs {needed} open files but the limit (ulimit -n) is {soft}: \
             lower the case's connection count or raise the limit"
        )
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
    }

    #[test]
    fn interleaves_peer_first_after_one_warm_up_each() {
        let order = std::cell::RefCell::new(Vec::new());
        let result = run_interleaved(
            "case".into(),
            Unit::rate("x/s", 0),
            "std",
            2,
            "cmd".into(),
            || {
                order.borrow_mut().push("std");
                Ok(10.0)
            },
            || {
                order.borrow_mut().push("netstack");
                Ok(9.0)
            },
        )
        .unwrap();
        assert_eq!(
            *order.borrow(),
            ["std", "netstack", "std", "netstack", "std", "netstack"]
        );
        assert_eq!(result.peer, [10.0, 10.0]);
        assert!((result.ratio() - 0.9).abs() < 1e-12);
        let table = markdown_table(&[result]);
        assert!(
            table.contains("| case | 9 x/s | 10 x/s | 0.900 | `cmd` |"),
            "{table}"
        );
    }

    #[test]
    fn a_cost_says_lower_is_better() {
        let result = CaseResult {
            case: "memory".into(),
            unit: Unit::cost("B/conn", 0),
            peer_name: "tokio",
            peer_warmup: 100.0,
            netstack_warmup: 80.0,
            peer: vec![100.0],
            netstack: vec![80.0],
            command: "cmd".into(),
        };
        let table = markdown_table(&[result]);
        assert!(
            table.contains("| memory | 80 B/conn | 100 B/conn | 0.800 (lower is better) | `cmd` |"),
            "{table}"
        );
    }
}
