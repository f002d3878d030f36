//! Bounds on everything a peer can make the HTTP core buffer (DESIGN.md rule 6).

/// Size and count limits for parsing HTTP/1.1 messages. Every buffer a peer
/// can grow is bounded by one of these.
///
/// ```
/// use netstack::protocols::http::Limits;
/// let strict = Limits::default().max_head_size(16 * 1024).max_headers(50);
/// assert_eq!(strict.head_size(), 16 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    head_size: usize,
    headers: usize,
    line: usize,
    chunk_line: usize,
    trailers: usize,
}

impl Default for Limits {
    /// 64 KiB heads, 100 header fields, 16 KiB lines, 4 KiB chunk-size
    /// lines, 16 KiB of trailers.
    fn default() -> Limits {
        Limits {
            head_size: 64 * 1024,
            headers: 100,
            line: 16 * 1024,
            chunk_line: 4 * 1024,
            trailers: 16 * 1024,
        }
    }
}

impl Limits {
    /// The largest message head (start line and headers), in bytes.
    pub fn max_head_size(mut self, bytes: usize) -> Limits {
        self.head_size = bytes;
        self
    }

    /// The most header fields.
    pub fn max_headers(mut self, count: usize) -> Limits {
        self.headers = count;
        self
    }

    /// The longest start or header line, in bytes.
    pub fn max_line(mut self, bytes: usize) -> Limits {
        self.line = bytes;
        self
    }

    /// The longest chunk-size line, extensions included, in bytes.
    pub fn max_chunk_line(mut self, bytes: usize) -> Limits {
        self.chunk_line = bytes;
        self
    }

    /// The largest trailer section, in bytes.
    pub fn max_trailers(mut self, bytes: usize) -> Limits {
        self.trailers = bytes;
        self
    }

    /// The head size limit.
    pub fn head_size(&self) -> usize {
        self.head_size
    }

    /// The header count limit.
    pub fn headers(&self) -> usize {
        self.headers
    }

    /// The line length limit.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The chunk-size line limit.
    pub fn chunk_line(&self) -> usize {
        self.chunk_line
    }

    /// The trailer size limit.
    pub fn trailers(&self) -> usize {
        self.trailers
    }
}
