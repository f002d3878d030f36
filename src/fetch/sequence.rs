//! Values tagged with their place on the command line: flags of different
//! names that build one thing (the `-d` family's body, the URLs) keep the
//! order they were given in, as curl's do.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The place the next value parsed gets (clap parses values left to right).
static NEXT_PLACE: AtomicUsize = AtomicUsize::new(0);

/// A command-line value and its place among all the sequenced ones.
#[derive(Debug, Clone)]
pub struct Sequenced {
    /// The place on the command line (smaller is earlier).
    pub place: usize,
    /// The value as given.
    pub value: String,
}

impl Sequenced {
    /// clap's value parser: tags `value` with the next place.
    pub fn parse(value: &str) -> Result<Sequenced, Infallible> {
        Ok(Sequenced {
            place: NEXT_PLACE.fetch_add(1, Ordering::Relaxed),
            value: value.to_string(),
        })
    }
}
