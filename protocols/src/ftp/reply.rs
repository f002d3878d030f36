//! The sans-IO part of FTP: [`ReplyParser`] turns control-connection bytes
//! into [`Reply`] values (RFC 959 §4.2, multi-line replies included), and
//! small parsers read the values some replies carry: the 227 `PASV` and 229
//! `EPSV` data ports, the 213 `SIZE` and `MDTM` values (RFC 3659), the 257
//! directory name, and the `(N bytes)` some servers put in a 150 reply.
//!
//! Reply text is decoded as UTF-8 *lossily* (RFC 2640 makes UTF-8 the
//! norm, older servers send Latin-1 names): an invalid byte becomes U+FFFD
//! and the reply is still read, since its code is what matters.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The default longest reply line, in bytes (without the line end).
pub const DEFAULT_MAX_LINE_LENGTH: usize = 8 * 1024;
/// The default most lines in one (multi-line) reply.
pub const DEFAULT_MAX_LINES: usize = 1_000;

/// A control-connection reply: the three-digit code and its text lines.
///
/// `lines[0]` is the text after `"NNN "` or `"NNN-"` on the first line; a
/// multi-line reply has its inner lines as sent (a repeated `"NNN-"` prefix
/// removed) and, last, the text after `"NNN "` on the closing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code (100–599).
    pub code: u16,
    /// The text lines (at least one, possibly empty).
    pub lines: Vec<String>,
}

impl Reply {
    /// A reply of `code` with one line of text.
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// The text of the first line.
    pub fn text(&self) -> &str {
        self.lines.first().map_or("", String::as_str)
    }

    /// Every line's text, joined by `\n`, without empty trailing lines.
    pub fn message(&self) -> String {
        let mut message = self.lines.join("\n");
        message.truncate(message.trim_end().len());
        message
    }

    /// 1yz: the command started; another reply follows.
    pub fn is_preliminary(&self) -> bool {
        self.code / 100 == 1
    }

    /// 2yz: the command succeeded.
    pub fn is_completion(&self) -> bool {
        self.code / 100 == 2
    }

    /// 3yz: the command was accepted; the server waits for another (e.g. `PASS`).
    pub fn is_intermediate(&self) -> bool {
        self.code / 100 == 3
    }

    /// 4yz or 5yz: the command failed (transiently or permanently).
    pub fn is_negative(&self) -> bool {
        self.code >= 400
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message())
    }
}

/// Control-connection bytes or a reply value that are not valid FTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A reply line longer than the limit.
    #[error("ftp: a reply line exceeds the {limit}-byte limit")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A multi-line reply with more lines than the limit.
    #[error("ftp: a multi-line reply exceeds the {limit}-line limit")]
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// A line where a reply should start that does not begin with a code
    /// (three digits, the first 1–5) followed by a space, `-` or the line end.
    #[error("ftp: malformed reply line {0:?}")]
    InvalidLine(String),
    /// A reply whose value (port, size, time, directory) cannot be read.
    #[error("ftp: malformed {what} in reply {reply:?}")]
    InvalidValue {
        /// What was looked for ("PASV address", "EPSV port", …).
        what: &'static str,
        /// The reply, as received.
        reply: String,
    },
}

/// Turns control-connection bytes into replies, without doing any I/O:
/// [`feed`](ReplyParser::feed) what was read, then take replies with
/// [`next_reply`](ReplyParser::next_reply) until it returns `None`.
///
/// Lines end with CRLF (a bare LF is accepted too). Line length and the
/// number of lines in one reply are bounded; exceeding a bound, or a line
/// that does not start a reply where one must start, is a [`ReplyError`]
/// (the connection cannot be trusted afterwards).
///
/// ```
/// use netstack::protocols::ftp::reply::ReplyParser;
///
/// let mut parser = ReplyParser::new();
/// parser.feed(b"220-Welcome\r\n123 an inner line\r\n220-more\r\n220 ready\r\n331 Pass");
/// let greeting = parser.next_reply()?.unwrap();
/// assert_eq!(greeting.code, 220);
/// assert_eq!(greeting.lines, ["Welcome", "123 an inner line", "more", "ready"]);
/// assert!(parser.next_reply()?.is_none()); // "331 Pass" has no line end yet
/// parser.feed(b"word required\r\n");
/// assert_eq!(parser.next_reply()?.unwrap().code, 331);
/// # Ok::<(), netstack::protocols::ftp::reply::ReplyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReplyParser {
    buf: Vec<u8>,
    start: usize,
    /// A multi-line reply begun and not yet closed: its code and lines.
    open: Option<(u16, Vec<String>)>,
    max_line: usize,
    max_lines: usize,
}

impl Default for ReplyParser {
    fn default() -> ReplyParser {
        ReplyParser::new()
    }
}

impl ReplyParser {
    /// A parser with the default limits ([`DEFAULT_MAX_LINE_LENGTH`], [`DEFAULT_MAX_LINES`]).
    pub fn new() -> ReplyParser {
        ReplyParser::with_limits(DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_LINES)
    }

    /// A parser with its own limits on line length (bytes) and lines per reply.
    pub fn with_limits(max_line_length: usize, max_lines: usize) -> ReplyParser {
        ReplyParser {
            buf: Vec::new(),
            start: 0,
            open: None,
            max_line: max_line_length.max(4),
            max_lines: max_lines.max(1),
        }
    }

    /// Adds bytes read from the control connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes fed and not yet part of a returned reply.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// True when no reply is partly received.
    pub fn is_idle(&self) -> bool {
        self.open.is_none() && self.buffered() == 0
    }

    /// The next complete reply, `None` if more bytes are needed.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        loop {
            let Some(line) = self.take_line()? else {
                return Ok(None);
            };
            match self.open.take() {
                None => {
                    let (code, more, text) =
                        split_code(&line).ok_or_else(|| ReplyError::InvalidLine(shorten(&line)))?;
                    let text = text.to_string();
                    if more {
                        self.open = Some((code, vec![text]));
                    } else {
                        return Ok(Some(Reply {
                            code,
                            lines: vec![text],
                        }));
                    }
                }
                Some((code, mut lines)) => {
                    if lines.len() >= self.max_lines {
                        return Err(ReplyError::TooManyLines {
                            limit: self.max_lines,
                        });
                    }
                    match split_code(&line) {
                        // RFC 959 §4.2: the reply ends at a line with the
                        // same code followed by a space (or nothing).
                        Some((c, false, text)) if c == code => {
                            lines.push(text.to_string());
                            return Ok(Some(Reply { code, lines }));
                        }
                        Some((c, true, text)) if c == code => lines.push(text.to_string()),
                        _ => lines.push(line),
                    }
                    self.open = Some((code, lines));
                }
            }
        }
    }

    /// The next whole line (without its line end), decoded lossily.
    fn take_line(&mut self) -> Result<Option<String>, ReplyError> {
        let pending = &self.buf[self.start..];
        let Some(newline) = pending.iter().position(|&b| b == b'\n') else {
            if pending.len() > self.max_line + 1 {
                return Err(ReplyError::LineTooLong {
                    limit: self.max_line,
                });
            }
            return Ok(None);
        };
        let mut line = &pending[..newline];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.len() > self.max_line {
            return Err(ReplyError::LineTooLong {
                limit: self.max_line,
            });
        }
        let text = String::from_utf8_lossy(line).into_owned();
        self.start += newline + 1;
        Ok(Some(text))
    }
}

/// `"NNN-text"` → (NNN, true, "text"); `"NNN text"` or `"NNN"` → (NNN, false, text).
fn split_code(line: &str) -> Option<(u16, bool, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3
        || !(b'1'..=b'5').contains(&bytes[0])
        || !bytes[1].is_ascii_digit()
        || !bytes[2].is_ascii_digit()
    {
        return None;
    }
    let code = line[..3].parse().ok()?;
    match bytes.get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

fn shorten(line: &str) -> String {
    line.chars().take(120).collect()
}

fn invalid(what: &'static str, reply: &Reply) -> ReplyError {
    ReplyError::InvalidValue {
        what,
        reply: shorten(&reply.to_string()),
    }
}

/// The address of a 227 reply to `PASV`: six numbers `h1,h2,h3,h4,p1,p2`
/// anywhere in the text (with or without parentheses).
///
/// ```
/// use netstack::protocols::ftp::reply::{parse_pasv, Reply};
/// let reply = Reply::new(227, "Entering Passive Mode (127,0,0,1,195,80).");
/// assert_eq!(parse_pasv(&reply)?.to_string(), "127.0.0.1:50000");
/// # Ok::<(), netstack::protocols::ftp::reply::ReplyError>(())
/// ```
pub fn parse_pasv(reply: &Reply) -> Result<SocketAddrV4, ReplyError> {
    const WHAT: &str = "PASV address";
    if reply.code != 227 {
        return Err(invalid(WHAT, reply));
    }
    let text = reply.text();
    let bytes = text.as_bytes();
    // The first run of six comma-separated numbers.
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit() {
            if let Some(numbers) = six_numbers(&text[at..]) {
                let [h1, h2, h3, h4, p1, p2] = numbers;
                let port = u16::from(p1) << 8 | u16::from(p2);
                if port == 0 {
                    return Err(invalid(WHAT, reply));
                }
                return Ok(SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port));
            }
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
        } else {
            at += 1;
        }
    }
    Err(invalid(WHAT, reply))
}

fn six_numbers(text: &str) -> Option<[u8; 6]> {
    let mut numbers = [0u8; 6];
    let mut rest = text;
    for (i, slot) in numbers.iter_mut().enumerate() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        *slot = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        if i < 5 {
            rest = rest.strip_prefix(',')?;
        }
    }
    Some(numbers)
}

/// The port of a 229 reply to `EPSV` (RFC 2428 §3): `(<d><d><d>port<d>)`,
/// where `<d>` is one delimiter character, usually `|`.
///
/// ```
/// use netstack::protocols::ftp::reply::{parse_epsv, Reply};
/// let reply = Reply::new(229, "Entering extended passive mode (|||6446|).");
/// assert_eq!(parse_epsv(&reply)?, 6446);
/// # Ok::<(), netstack::protocols::ftp::reply::ReplyError>(())
/// ```
pub fn parse_epsv(reply: &Reply) -> Result<u16, ReplyError> {
    const WHAT: &str = "EPSV port";
    let error = || invalid(WHAT, reply);
    if reply.code != 229 {
        return Err(error());
    }
    let text = reply.text();
    let open = text.find('(').ok_or_else(error)?;
    let inner = &text[open + 1..];
    let close = inner.find(')').ok_or_else(error)?;
    let inner = &inner.as_bytes()[..close];
    // d d d port d
    if inner.len() < 5 {
        return Err(error());
    }
    let d = inner[0];
    if !(33..=126).contains(&d) || d.is_ascii_digit() {
        return Err(error());
    }
    if inner[1] != d || inner[2] != d || inner[inner.len() - 1] != d {
        return Err(error());
    }
    let digits = &inner[3..inner.len() - 1];
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(error());
    }
    let port: u32 = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(error)?;
    match u16::try_from(port) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(error()),
    }
}

/// The size of a 213 reply to `SIZE` (RFC 3659 §4): decimal digits.
pub fn parse_size(reply: &Reply) -> Result<u64, ReplyError> {
    let text = reply.text().trim();
    if reply.code != 213 || text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("SIZE value", reply));
    }
    text.parse().map_err(|_| invalid("SIZE value", reply))
}

/// The time of a 213 reply to `MDTM` (RFC 3659 §2.3): `YYYYMMDDHHMMSS`
/// with optional fraction digits `.sss`, in UTC.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use netstack::protocols::ftp::reply::{parse_mdtm, Reply};
/// let t = parse_mdtm(&Reply::new(213, "20240229123456.5"))?;
/// assert_eq!(t, UNIX_EPOCH + Duration::from_millis(1_709_210_096_500));
/// # Ok::<(), netstack::protocols::ftp::reply::ReplyError>(())
/// ```
pub fn parse_mdtm(reply: &Reply) -> Result<SystemTime, ReplyError> {
    let error = || invalid("MDTM time", reply);
    if reply.code != 213 {
        return Err(error());
    }
    let text = reply.text().trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error());
    }
    let field = |range: std::ops::Range<usize>| -> u32 { whole[range].parse().unwrap_or(0) };
    let (year, month, day) = (field(0..4), field(4..6), field(6..8));
    let (hour, minute, second) = (field(8..10), field(10..12), field(12..14));
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(error());
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: u32 = f.parse().map_err(|_| error())?;
            digits * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return Err(error()),
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    let time = if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(seconds as u64, nanos))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(seconds.unsigned_abs()))
            .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
    };
    time.ok_or_else(error)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The directory of a 257 reply (`PWD`, `MKD`): the first quoted string,
/// with `""` inside standing for one `"` (RFC 959 Appendix II).
pub fn parse_directory(reply: &Reply) -> Result<String, ReplyError> {
    let error = || invalid("directory name", reply);
    if reply.code != 257 {
        return Err(error());
    }
    let text = reply.text();
    let open = text.find('"').ok_or_else(error)?;
    let mut name = String::new();
    let mut chars = text[open + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                name.push('"');
            } else {
                return Ok(name);
            }
        } else {
            name.push(c);
        }
    }
    Err(error())
}

/// The size a server announces in its 150/125 reply to `RETR`, e.g.
/// `150 Opening BINARY mode data connection for f (1234 bytes)`; `None`
/// when the reply does not say.
pub fn announced_size(reply: &Reply) -> Option<u64> {
    let text = reply.text();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        rest = &rest[open + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && digits <= 20 {
            // `digits` counts ASCII bytes: both slices end on a char boundary.
            let after = rest[digits..].trim_start();
            let word = after.as_bytes().get(..5);
            if word.is_some_and(|word| word.eq_ignore_ascii_case(b"bytes")) {
                return rest[..digits].parse().ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
