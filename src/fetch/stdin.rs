//! `@-` and `-T -`: data read from standard input, as curl reads it.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use netstack::protocols::fetch::FetchResponse;

use super::Failure;

/// The bytes of `source`: standard input for `-`, otherwise the file.
pub fn read_source(source: &str) -> io::Result<Vec<u8>> {
    if source == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(Path::new(source))
    }
}

/// Standard input uploaded as it is read (`-T -`), shared by the URLs and
/// attempts of a run. Once a request has read a byte of it, no later one
/// may take it: what was read is gone, and sending the rest would be a
/// silently truncated upload.
#[derive(Clone, Default)]
pub struct StreamedStdin(Arc<Shared>);

#[derive(Default)]
struct Shared {
    read: AtomicU64,
    /// Read calls made, the one that found the end included.
    calls: AtomicU64,
    held: AtomicBool,
}

/// Where standard input stood before a request.
#[derive(Clone, Copy)]
pub struct Mark {
    read: u64,
    calls: u64,
}

/// Why standard input cannot be uploaded again.
pub enum Taken {
    /// Another transfer (`-Z`) is sending it.
    InUse,
    /// An earlier request sent this many bytes of it.
    Spent(u64),
}

impl StreamedStdin {
    /// A reader of standard input for one request, unless another request
    /// holds it or has read from it.
    pub fn reader(&self) -> Result<impl Read + Send + 'static, Taken> {
        // Held first, then read: a holder that read and let go is seen.
        if self.0.held.swap(true, Ordering::SeqCst) {
            return Err(Taken::InUse);
        }
        let read = self.0.read.load(Ordering::SeqCst);
        if read > 0 {
            self.0.held.store(false, Ordering::SeqCst);
            return Err(Taken::Spent(read));
        }
        Ok(Counting(Arc::clone(&self.0)))
    }

    /// How many bytes requests have read so far.
    pub fn bytes_read(&self) -> u64 {
        self.0.read.load(Ordering::SeqCst)
    }

    /// Where it stands now, for [`Self::bytes_since`] and [`Self::read_since`].
    pub fn mark(&self) -> Mark {
        Mark {
            read: self.bytes_read(),
            calls: self.0.calls.load(Ordering::SeqCst),
        }
    }

    /// The bytes read since `mark`.
    pub fn bytes_since(&self, mark: Mark) -> u64 {
        self.bytes_read() - mark.read
    }

    /// True when a request read from it since `mark`, if only its end.
    pub fn read_since(&self, mark: Mark) -> bool {
        self.0.calls.load(Ordering::SeqCst) > mark.calls
    }

    /// True once a request has read from it: a retry could not send it again.
    pub fn spent(&self) -> bool {
        self.bytes_read() > 0
    }
}

/// The reader for one request's `-T -`, or the failure (curl's exit 65)
/// that says why standard input cannot be sent for `url`.
pub fn reader_for(stdin: &StreamedStdin, url: &str) -> Result<impl Read + Send + 'static, Failure> {
    stdin.reader().map_err(|taken| {
        let why = match taken {
            Taken::InUse => "is being sent by another transfer".to_string(),
            Taken::Spent(n) => format!("was sent already ({n} bytes) and cannot be read again"),
        };
        Failure::new(
            65,
            format!("-T -: standard input {why}, so it is not sent to {url}"),
        )
    })
}

/// Exit 65 when `-L` (`following`) left a redirect of an upload from
/// standard input unfollowed: the client does not send a streamed body
/// twice. Called only when this request read standard input (a redirect
/// that came before `100 Continue` took it along unread).
pub fn unfollowed_redirect(following: bool, response: &FetchResponse) -> Result<(), Failure> {
    let status = response.status().map(|s| s.as_u16());
    if !following || !matches!(status, Some(301 | 302 | 307 | 308)) {
        return Ok(());
    }
    let Some(location) = response.headers().get(http::header::LOCATION) else {
        return Ok(());
    };
    let location = String::from_utf8_lossy(location.as_bytes());
    Err(Failure::new(
        65,
        format!(
            "-T -: the server redirected the upload to {location}; standard input was streamed \
             to the first address and cannot be sent again"
        ),
    ))
}

struct Counting(Arc<Shared>);

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        let n = io::stdin().lock().read(buf)?;
        self.0.read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.0.held.store(false, Ordering::SeqCst);
    }
}
