//! `-D FILE`: the response heads of each transfer, exactly as received,
//! redirects included, as the fetcher's trace reports them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

use netstack::protocols::http::client::TraceEvent;

use super::Failure;

/// The heads received since it was last taken, per thread: the fetcher's
/// trace hook runs on the thread that makes the request, and with -Z each
/// transfer has a thread of its own.
#[derive(Clone, Default)]
pub struct HeadLog(Arc<Mutex<HashMap<ThreadId, Vec<u8>>>>);

impl HeadLog {
    /// Keeps the head of a `ResponseHead` event.
    pub fn record(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::ResponseHead { raw, .. } = event {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(std::thread::current().id())
                .or_default()
                .extend_from_slice(raw);
        }
    }

    /// The heads this thread received so far, leaving its log empty.
    pub fn take(&self) -> Vec<u8> {
        let mut logs = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        logs.remove(&std::thread::current().id())
            .unwrap_or_default()
    }
}

/// Where `-D` writes.
pub enum HeadSink {
    /// `-D -`.
    Stdout,
    /// `-D FILE`, created once for all the URLs.
    File(File),
}

impl HeadSink {
    /// Opens `path` (`-`: stdout).
    pub fn open(path: &Path) -> Result<HeadSink, Failure> {
        if path == Path::new("-") {
            return Ok(HeadSink::Stdout);
        }
        File::create(path)
            .map(HeadSink::File)
            .map_err(|e| Failure::new(23, format!("-D: cannot write {}: {e}", path.display())))
    }

    /// Writes `heads`.
    pub fn write(&mut self, heads: &[u8]) -> Result<(), Failure> {
        let written = match self {
            HeadSink::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(heads).and_then(|()| out.flush())
            }
            HeadSink::File(file) => file.write_all(heads),
        };
        written.map_err(|e| Failure::new(23, format!("-D: writing the heads: {e}")))
    }
}
