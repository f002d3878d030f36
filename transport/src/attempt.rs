//! The record of one connection attempt (where, when, how it ended), kept by
//! a Happy Eyeballs race and carried by the error of a connect that failed.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use sockets::SocketError;

/// How one connection attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// This attempt connected and its socket is the result.
    Connected,
    /// This attempt failed.
    Failed(SocketError, String),
    /// Another attempt won (or the race timed out) while this one was pending; its socket was closed.
    Abandoned,
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptOutcome::Connected => f.write_str("connected"),
            AttemptOutcome::Failed(_, message) => write!(f, "failed: {message}"),
            AttemptOutcome::Abandoned => f.write_str("abandoned and closed"),
        }
    }
}

/// One connection attempt of a race: where, when it started (from the start
/// of the race), and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAttempt {
    /// The address tried.
    pub address: SocketAddr,
    /// When the attempt started, measured from the start of the race.
    pub started_after: Duration,
    /// How long the attempt lasted.
    pub duration: Duration,
    /// How it ended.
    pub outcome: AttemptOutcome,
}
