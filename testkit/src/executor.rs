//! Which executor a test run drives its async paths on. By default they
//! run under netstack's own `sockets::block_on`; setting
//! `NETSTACK_TEST_EXECUTOR` to `tokio`, `tokio-current-thread`, `smol` or
//! `futures` runs the same tests on that executor instead, where a blocking
//! call hidden inside a future shows (it stalls a current-thread runtime).
//!
//! A test file gets its `block_on` from [`executor_block_on!`](crate::executor_block_on),
//! naming netstack's own (this crate does not depend on netstack's crates).

use std::future::Future;

/// The environment variable that picks the executor.
pub const VARIABLE: &str = "NETSTACK_TEST_EXECUTOR";

/// An executor other than netstack's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// A tokio runtime with two workers and every driver.
    TokioMultiThread,
    /// A current-thread tokio runtime with every driver.
    TokioCurrentThread,
    /// smol's `block_on` (async-io's reactor).
    Smol,
    /// futures' `executor::block_on` (no reactor of its own).
    Futures,
}

/// The executor the run asks for; `None` for netstack's own (the default).
///
/// # Panics
///
/// When the variable names no executor, so a typo cannot pass silently.
pub fn foreign() -> Option<Foreign> {
    match std::env::var(VARIABLE).as_deref() {
        Err(_) | Ok("") | Ok("netstack") => None,
        Ok("tokio") => Some(Foreign::TokioMultiThread),
        Ok("tokio-current-thread") => Some(Foreign::TokioCurrentThread),
        Ok("smol") => Some(Foreign::Smol),
        Ok("futures") => Some(Foreign::Futures),
        Ok(other) => panic!(
            "{VARIABLE}={other:?} names no executor: use netstack, tokio, \
             tokio-current-thread, smol or futures"
        ),
    }
}

impl Foreign {
    /// Runs `future` to completion on this executor.
    pub fn block_on<F: Future>(self, future: F) -> F::Output {
        match self {
            Foreign::TokioMultiThread => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(future),
            Foreign::TokioCurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(future),
            Foreign::Smol => smol::block_on(future),
            Foreign::Futures => futures::executor::block_on(future),
        }
    }
}

/// Defines `fn block_on(future)` for a test file: the run's executor (see
/// the [module](crate::executor) docs), or netstack's own `block_on`, whose
/// path the caller names.
///
/// ```
/// # fn netstack_block_on<F: std::future::Future>(f: F) -> F::Output { futures::executor::block_on(f) }
/// testkit::executor_block_on!(netstack_block_on);
/// assert_eq!(block_on(async { 7 }), 7);
/// ```
#[macro_export]
macro_rules! executor_block_on {
    ($netstack:path) => {
        /// Runs `future` on the executor the test run asks for.
        #[allow(dead_code)]
        fn block_on<F: ::std::future::Future>(future: F) -> F::Output {
            match $crate::executor::foreign() {
                Some(executor) => executor.block_on(future),
                None => $netstack(future),
            }
        }
    };
}
