//! Scaffolding shared by netstack's test suites, kept in one place instead of
//! copied into each test file:
//!
//! - [`Mode`] and [`both_modes!`]: the sync/async choice a test body runs in;
//! - [`TempDir`]: a fresh directory per test, removed on drop;
//! - [`run_example`]: runs an example program, bounded, and returns its output;
//! - [`cert`]: test certificates (self-signed, and a small CA with leaves);
//! - [`executor`]: the executor a run drives async paths on
//!   (`NETSTACK_TEST_EXECUTOR`), netstack's own by default;
//! - [`peer`]: external peer programs (servers the tests talk to) that are
//!   killed on drop and die with the test process, even when it is killed.
//! - [`network_namespace`]: programs run in a network namespace of their
//!   own, as root or as `nobody` (ping without root).
//!
//! This crate never depends on netstack's own crates: a test that used both
//! would otherwise see two copies of their types.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cert;
mod example;
pub mod executor;
pub mod network_namespace;
pub mod peer;
mod temp_dir;

pub use example::run_example;
pub use temp_dir::TempDir;

/// How a test body drives the code under test: with blocking calls, or
/// with `async` calls on an executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Blocking calls.
    Sync,
    /// `async` calls, driven by an executor.
    Async,
}

/// Both modes, in the order tests iterate over them.
pub const MODES: [Mode; 2] = [Mode::Sync, Mode::Async];

/// Turns each named function `fn name(mode: Mode)` into two tests,
/// `name::sync` and `name::async`, that call it with [`Mode::Sync`] and
/// [`Mode::Async`].
///
/// ```
/// use testkit::{both_modes, Mode};
///
/// fn adds_up(mode: Mode) {
///     assert!(matches!(mode, Mode::Sync | Mode::Async));
/// }
///
/// both_modes!(adds_up);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! both_modes {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sync() {
                    super::$name($crate::Mode::Sync)
                }
                #[test]
                fn r#async() {
                    super::$name($crate::Mode::Async)
                }
            }
        )*
    };
}
