//! `RespCodec`: the sans-IO RESP2 codec.

use bytes::{BufMut, Bytes, BytesMut};

use super::value::{ServerError, Value};
use crate::framing::{Decoder, Encoder, Error, Result};

/// The default limit on one bulk string (64 MiB).
pub const DEFAULT_MAX_BULK_LENGTH: usize = 64 * 1024 * 1024;
/// The default limit on one array's element count (1 Mi elements).
pub const DEFAULT_MAX_ARRAY_LENGTH: usize = 1024 * 1024;
/// The default limit on a whole value, headers included (256 MiB).
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 256 * 1024 * 1024;
/// The default limit on a simple string, error or length line (64 KiB).
pub const DEFAULT_MAX_LINE_LENGTH: usize = 64 * 1024;
/// The default limit on array nesting (32 levels).
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// The default limit on the values in one whole value, nested ones
/// included (4 Mi). Each takes about 40 bytes in memory however few it
/// took on the wire (3), so the frame length alone would let a 256 MiB
/// frame become gigabytes.
pub const DEFAULT_MAX_VALUES: usize = 4 * 1024 * 1024;

/// The RESP2 codec: decodes [`Value`]s (every RESP2 type: simple string,
/// error, integer, bulk and null bulk, array and null array, nested) and
/// encodes commands (an array of bulk strings) or any [`Value`].
///
/// It never does I/O: drive it with [`Framed`](crate::framing::Framed), or
/// with [`RespClient`](super::RespClient), which does.
///
/// Every size a peer controls is bounded (bulk length, array length, line
/// length, nesting depth, values in one value, whole value), each with a
/// default and a setter.
/// Bad input is an error value ([`Error::FrameTooLong`],
/// [`Error::LineTooLong`], [`Error::InvalidLength`], [`Error::InvalidFrame`]);
/// after a decoding error the byte stream is out of step (RESP cannot be
/// resynchronised), so the connection should be dropped.
///
/// ```
/// use bytes::BytesMut;
/// use netstack::protocols::framing::{Decoder, Encoder};
/// use netstack::protocols::resp::{RespCodec, Value};
///
/// let mut codec = RespCodec::new();
///
/// // A command is an array of bulk strings.
/// let mut out = BytesMut::new();
/// codec.encode(&["SET", "key", "hello"][..], &mut out).unwrap();
/// assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n");
///
/// // Replies arrive in pieces; a value is decoded once it is whole.
/// let mut buf = BytesMut::from(&b"+OK\r\n*3\r\n$3\r\nb\0c\r\n$-1\r\n:-7"[..]);
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Value::SimpleString("OK".into())));
/// assert_eq!(codec.decode(&mut buf).unwrap(), None);
/// buf.extend_from_slice(b"\r\n");
/// assert_eq!(
///     codec.decode(&mut buf).unwrap(),
///     Some(Value::Array(vec![Value::bulk(&b"b\0c"[..]), Value::Null, Value::Integer(-7)]))
/// );
///
/// // An error reply is a value, too.
/// let mut buf = BytesMut::from(&b"-ERR no such key\r\n"[..]);
/// let Some(Value::Error(e)) = codec.decode(&mut buf).unwrap() else { panic!() };
/// assert_eq!((e.kind(), e.message()), ("ERR", "ERR no such key"));
///
/// // Limits: an announced bulk over the limit is refused before it arrives.
/// let mut codec = RespCodec::new().max_bulk_length(4);
/// let mut buf = BytesMut::from(&b"$5\r\n"[..]);
/// assert!(codec.decode(&mut buf).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct RespCodec {
    max_bulk: usize,
    max_array: usize,
    max_frame: usize,
    max_line: usize,
    max_depth: usize,
    max_values: usize,
    /// How long the buffer must be before the value it starts can be
    /// whole (learnt from the last scan): a frame arriving in many reads
    /// is not scanned from its start after every one of them.
    need: usize,
}

/// What a scan found of the value starting at a position.
enum Scanned {
    /// It is whole and ends here.
    Whole(usize),
    /// It cannot be whole before the buffer is at least this long.
    Short(usize),
}

/// The fewest bytes a value takes (`+` and CRLF: an empty simple string).
const SMALLEST_VALUE: usize = 3;

impl Default for RespCodec {
    fn default() -> RespCodec {
        RespCodec::new()
    }
}

impl RespCodec {
    /// A codec with the default limits.
    pub fn new() -> RespCodec {
        RespCodec {
            max_bulk: DEFAULT_MAX_BULK_LENGTH,
            max_array: DEFAULT_MAX_ARRAY_LENGTH,
            max_frame: DEFAULT_MAX_FRAME_LENGTH,
            max_line: DEFAULT_MAX_LINE_LENGTH,
            max_depth: DEFAULT_MAX_DEPTH,
            max_values: DEFAULT_MAX_VALUES,
            need: 0,
        }
    }

    /// Sets the largest bulk string accepted ([`DEFAULT_MAX_BULK_LENGTH`]).
    pub fn max_bulk_length(mut self, limit: usize) -> RespCodec {
        self.max_bulk = limit;
        self
    }

    /// Sets the most elements an array may have ([`DEFAULT_MAX_ARRAY_LENGTH`]).
    pub fn max_array_length(mut self, limit: usize) -> RespCodec {
        self.max_array = limit;
        self
    }

    /// Sets the largest whole value, in encoded bytes ([`DEFAULT_MAX_FRAME_LENGTH`]).
    pub fn max_frame_length(mut self, limit: usize) -> RespCodec {
        self.max_frame = limit;
        self
    }

    /// Sets the longest simple string, error or header line, CRLF not
    /// counted ([`DEFAULT_MAX_LINE_LENGTH`]).
    pub fn max_line_length(mut self, limit: usize) -> RespCodec {
        self.max_line = limit;
        self
    }

    /// Sets how deeply arrays may nest ([`DEFAULT_MAX_DEPTH`]).
    pub fn max_depth(mut self, limit: usize) -> RespCodec {
        self.max_depth = limit;
        self
    }

    /// Sets the most values one whole value may hold, nested ones and
    /// itself included ([`DEFAULT_MAX_VALUES`]).
    pub fn max_values(mut self, limit: usize) -> RespCodec {
        self.max_values = limit;
        self
    }

    /// The line starting at `pos` (without its CRLF) and where the next begins.
    fn line<'b>(&self, buf: &'b [u8], pos: usize) -> Result<Option<(&'b [u8], usize)>> {
        let window = &buf[pos..buf.len().min(pos + self.max_line + 2)];
        match window.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && window[i - 1] == b'\r' => Ok(Some((&window[..i - 1], pos + i + 1))),
            Some(_) => Err(Error::InvalidFrame(
                "RESP line ends in a bare LF (CRLF expected)".into(),
            )),
            None if window.len() >= self.max_line + 2 => Err(Error::LineTooLong {
                length: buf.len() - pos,
                limit: self.max_line,
            }),
            None => Ok(None),
        }
    }

    /// Checks that a whole value starts at `pos`: where it ends, or how
    /// long the buffer must grow before it can be whole. Allocates nothing.
    /// `values` counts the values met so far in the whole value.
    fn scan(&self, buf: &[u8], pos: usize, depth: usize, values: &mut usize) -> Result<Scanned> {
        *values += 1;
        if *values > self.max_values {
            return Err(Error::InvalidLength(format!(
                "a value of more than {} values (nested ones counted)",
                self.max_values
            )));
        }
        let Some(&kind) = buf.get(pos) else {
            return Ok(Scanned::Short(pos + SMALLEST_VALUE));
        };
        if !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
            return Err(Error::InvalidFrame(format!(
                "unknown RESP type byte {kind:#04x}"
            )));
        }
        let Some((line, after)) = self.line(buf, pos + 1)? else {
            return Ok(Scanned::Short(buf.len() + 1));
        };
        match kind {
            b'+' | b'-' => {
                std::str::from_utf8(line).map_err(Error::InvalidUtf8)?;
                Ok(Scanned::Whole(after))
            }
            b':' => parse_integer(line).map(|_| Scanned::Whole(after)),
            b'$' => match parse_integer(line)? {
                -1 => Ok(Scanned::Whole(after)),
                n if n < 0 => Err(Error::InvalidLength(format!("bulk length {n}"))),
                n if n as u64 > self.max_bulk as u64 => Err(Error::FrameTooLong {
                    length: n as u64,
                    limit: self.max_bulk,
                }),
                n => {
                    let end = after + n as usize + 2;
                    if end > self.max_frame {
                        return Err(Error::FrameTooLong {
                            length: end as u64,
                            limit: self.max_frame,
                        });
                    }
                    if buf.len() < end {
                        return Ok(Scanned::Short(end));
                    }
                    if &buf[end - 2..end] != b"\r\n" {
                        return Err(Error::InvalidFrame(
                            "bulk string not followed by CRLF".into(),
                        ));
                    }
                    Ok(Scanned::Whole(end))
                }
            },
            _ => match parse_integer(line)? {
                -1 => Ok(Scanned::Whole(after)),
                n if n < 0 => Err(Error::InvalidLength(format!("array length {n}"))),
                n if n as u64 > self.max_array as u64 => Err(Error::InvalidLength(format!(
                    "array of {n} elements exceeds the limit of {}",
                    self.max_array
                ))),
                n => {
                    if depth >= self.max_depth {
                        return Err(Error::InvalidFrame(format!(
                            "arrays nested deeper than {} levels",
                            self.max_depth
                        )));
                    }
                    let n = n as usize;
                    let mut at = after;
                    for done in 0..n {
                        match self.scan(buf, at, depth + 1, values)? {
                            Scanned::Whole(end) => at = end,
                            // The elements after this one take their bytes too.
                            Scanned::Short(need) => {
                                let rest = (n - done - 1).saturating_mul(SMALLEST_VALUE);
                                return Ok(Scanned::Short(need.saturating_add(rest)));
                            }
                        }
                    }
                    Ok(Scanned::Whole(at))
                }
            },
        }
    }
}

/// A RESP integer (or length): optional minus sign, decimal digits, fits `i64`.
fn parse_integer(line: &[u8]) -> Result<i64> {
    let digits = line.strip_prefix(b"-").unwrap_or(line);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::InvalidFrame(format!(
            "invalid RESP integer {:?}",
            String::from_utf8_lossy(line)
        )));
    }
    // Only ASCII digits and '-': valid UTF-8; `parse` reports overflow.
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Error::InvalidFrame(format!(
                "RESP integer {:?} out of range",
                String::from_utf8_lossy(line)
            ))
        })
}

/// Where the CRLF after `pos` is (the value was scanned: it is there).
fn crlf(frame: &[u8], pos: usize) -> Result<usize> {
    frame[pos..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| pos + i)
        .ok_or_else(|| Error::InvalidFrame("RESP line without CRLF".into()))
}

/// Builds the value at `*pos` of a frame that [`RespCodec::scan`] accepted;
/// bulk strings share the frame's memory.
fn build(frame: &Bytes, pos: &mut usize) -> Result<Value> {
    let kind = frame[*pos];
    let end = crlf(frame, *pos + 1)?;
    let line = &frame[*pos + 1..end];
    *pos = end + 2;
    let text = || String::from_utf8(line.to_vec()).map_err(|e| Error::InvalidUtf8(e.utf8_error()));
    Ok(match kind {
        b'+' => Value::SimpleString(text()?),
        b'-' => Value::Error(ServerError::new(text()?)),
        b':' => Value::Integer(parse_integer(line)?),
        b'$' => match parse_integer(line)? {
            n if n < 0 => Value::Null,
            n => {
                let start = *pos;
                *pos += n as usize + 2;
                Value::Bulk(frame.slice(start..start + n as usize))
            }
        },
        _ => match parse_integer(line)? {
            n if n < 0 => Value::NullArray,
            n => {
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(build(frame, pos)?);
                }
                Value::Array(items)
            }
        },
    })
}

impl Decoder for RespCodec {
    type Item = Value;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Value>> {
        if src.len() < self.need {
            return Ok(None);
        }
        let scanned = self.scan(src, 0, 0, &mut 0);
        if scanned.is_err() {
            self.need = 0;
        }
        match scanned? {
            Scanned::Whole(end) => {
                self.need = 0;
                let frame = src.split_to(end).freeze();
                build(&frame, &mut 0).map(Some)
            }
            Scanned::Short(need) if need > self.max_frame || src.len() > self.max_frame => {
                Err(Error::FrameTooLong {
                    length: need.max(src.len()) as u64,
                    limit: self.max_frame,
                })
            }
            Scanned::Short(need) => {
                self.need = need;
                Ok(None)
            }
        }
    }
}

/// Appends `n` in decimal.
fn put_decimal(dst: &mut BytesMut, n: i64) {
    dst.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn put_header(dst: &mut BytesMut, kind: u8, n: i64) {
    dst.put_u8(kind);
    put_decimal(dst, n);
    dst.extend_from_slice(b"\r\n");
}

fn put_bulk(dst: &mut BytesMut, bytes: &[u8]) {
    put_header(dst, b'$', bytes.len() as i64);
    dst.extend_from_slice(bytes);
    dst.extend_from_slice(b"\r\n");
}

/// A command: its arguments as an array of bulk strings (binary-safe). An
/// empty command is refused ([`Error::InvalidFrame`]).
impl<A: AsRef<[u8]>> Encoder<&[A]> for RespCodec {
    fn encode(&mut self, args: &[A], dst: &mut BytesMut) -> Result<()> {
        if args.is_empty() {
            return Err(Error::InvalidFrame("an empty RESP command".into()));
        }
        let size: usize = args.iter().map(|a| a.as_ref().len() + 16).sum();
        dst.reserve(size + 16);
        put_header(dst, b'*', args.len() as i64);
        for arg in args {
            put_bulk(dst, arg.as_ref());
        }
        Ok(())
    }
}

/// Any value (what a server sends). A simple string or error containing CR
/// or LF is refused ([`Error::InvalidFrame`]), since it would break the framing.
impl Encoder<&Value> for RespCodec {
    fn encode(&mut self, value: &Value, dst: &mut BytesMut) -> Result<()> {
        let before = dst.len();
        let result = encode_value(value, dst);
        if result.is_err() {
            dst.truncate(before);
        }
        result
    }
}

/// Any value, by value (see the `&Value` encoder).
impl Encoder<Value> for RespCodec {
    fn encode(&mut self, value: Value, dst: &mut BytesMut) -> Result<()> {
        self.encode(&value, dst)
    }
}

fn encode_value(value: &Value, dst: &mut BytesMut) -> Result<()> {
    let line = |kind: u8, text: &str, dst: &mut BytesMut| {
        if text.contains(['\r', '\n']) {
            return Err(Error::InvalidFrame(format!(
                "a RESP simple string or error cannot contain CR or LF: {text:?}"
            )));
        }
        dst.put_u8(kind);
        dst.extend_from_slice(text.as_bytes());
        dst.extend_from_slice(b"\r\n");
        Ok(())
    };
    match value {
        Value::SimpleString(s) => line(b'+', s, dst)?,
        Value::Error(e) => line(b'-', e.message(), dst)?,
        Value::Integer(n) => put_header(dst, b':', *n),
        Value::Bulk(b) => put_bulk(dst, b),
        Value::Null => dst.extend_from_slice(b"$-1\r\n"),
        Value::NullArray => dst.extend_from_slice(b"*-1\r\n"),
        Value::Array(items) => {
            put_header(dst, b'*', items.len() as i64);
            for item in items {
                encode_value(item, dst)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_in_many_reads_is_not_rescanned_from_its_start_each_time() {
        // 10,000 one-character strings in one array, arriving 1 KiB at a time.
        let mut frame = b"*10000\r\n".to_vec();
        frame.extend(b"+a\r\n".repeat(10_000));
        let mut codec = RespCodec::new();
        let mut src = BytesMut::new();
        let mut scans_skipped = 0;
        for piece in frame.chunks(1024) {
            src.extend_from_slice(piece);
            let before = codec.need;
            match codec.decode(&mut src).unwrap() {
                Some(Value::Array(items)) => assert_eq!(items.len(), 10_000),
                Some(other) => panic!("{other:?}"),
                None => {
                    // The remaining elements are counted in, so the next
                    // scan waits for at least their smallest size.
                    assert!(codec.need >= src.len().min(frame.len()), "{}", codec.need);
                    if src.len() < before {
                        scans_skipped += 1;
                    }
                }
            }
        }
        assert!(src.is_empty());
        assert_eq!(codec.need, 0);
        // Most reads are passed over without a scan (a 3-byte lower bound per
        // element against 4 bytes each: about a quarter of the frame rescans).
        assert!(scans_skipped > frame.len() / 1024 / 2, "{scans_skipped}");
    }

    fn decode_all(codec: &mut RespCodec, bytes: &[u8]) -> Result<Vec<Value>> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(v) = codec.decode(&mut buf)? {
            out.push(v);
        }
        assert!(buf.is_empty(), "leftover {buf:?}");
        Ok(out)
    }

    #[test]
    fn round_trips_every_type_byte_by_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let value = Value::Array(vec![
            Value::SimpleString("OK".into()),
            Value::Error(ServerError::new("ERR bad")),
            Value::Integer(i64::MIN),
            Value::Integer(i64::MAX),
            Value::bulk(all),
            Value::bulk(Bytes::new()),
            Value::Null,
            Value::NullArray,
            Value::Array(vec![]),
            Value::Array(vec![Value::Array(vec![Value::Integer(0)])]),
        ]);
        let mut codec = RespCodec::new();
        let mut encoded = BytesMut::new();
        codec.encode(&value, &mut encoded).unwrap();
        // Fed one byte at a time: no value until the last byte.
        let mut buf = BytesMut::new();
        for (i, b) in encoded.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let got = codec.decode(&mut buf).unwrap();
            if i + 1 < encoded.len() {
                assert_eq!(got, None, "at byte {i}");
            } else {
                assert_eq!(got.as_ref(), Some(&value));
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let cases: &[(&[u8], &str)] = &[
            (b"?x\r\n", "unknown RESP type"),
            (b":12a\r\n", "invalid RESP integer"),
            (b":99999999999999999999\r\n", "out of range"),
            (b"$-2\r\n", "invalid length"),
            (b"*-5\r\n", "invalid length"),
            (b"$3\r\nabcd\r\n", "not followed by CRLF"),
            (b"+OK\n", "bare LF"),
            (b"$\r\n", "invalid RESP integer"),
        ];
        for (input, expected) in cases {
            let err = decode_all(&mut RespCodec::new(), input).unwrap_err();
            assert!(err.to_string().contains(expected), "{input:?}: {err}");
        }
    }

    #[test]
    fn limits() {
        let err = decode_all(&mut RespCodec::new().max_bulk_length(3), b"$4\r\n").unwrap_err();
        assert!(
            matches!(
                err,
                Error::FrameTooLong {
                    length: 4,
                    limit: 3
                }
            ),
            "{err}"
        );
        let err = decode_all(&mut RespCodec::new().max_array_length(2), b"*3\r\n").unwrap_err();
        assert!(matches!(err, Error::InvalidLength(_)), "{err}");
        let err = decode_all(&mut RespCodec::new().max_line_length(4), b"+OKOKOK").unwrap_err();
        assert!(matches!(err, Error::LineTooLong { limit: 4, .. }), "{err}");
        let err =
            decode_all(&mut RespCodec::new().max_depth(2), b"*1\r\n*1\r\n*1\r\n").unwrap_err();
        assert!(err.to_string().contains("nested"), "{err}");
        let err = decode_all(
            &mut RespCodec::new().max_frame_length(8),
            b"$5\r\nhello\r\n",
        )
        .unwrap_err();
        assert!(matches!(err, Error::FrameTooLong { limit: 8, .. }), "{err}");
        // An array of two arrays of two, each within the array limit:
        // seven values in all, one more than allowed.
        let nested = b"*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n";
        let err = decode_all(&mut RespCodec::new().max_values(6), nested).unwrap_err();
        assert!(err.to_string().contains("more than 6 values"), "{err}");
        assert_eq!(
            decode_all(&mut RespCodec::new().max_values(7), nested)
                .unwrap()
                .len(),
            1
        );
        // Within the limits, fine.
        let ok = decode_all(&mut RespCodec::new().max_depth(2), b"*1\r\n*1\r\n:1\r\n").unwrap();
        assert_eq!(ok.len(), 1);
    }

    #[test]
    fn refuses_unframeable_output() {
        let mut dst = BytesMut::from(&b"keep"[..]);
        let mut codec = RespCodec::new();
        assert!(codec.encode(&[] as &[&[u8]], &mut dst).is_err());
        let bad = Value::Array(vec![
            Value::Integer(1),
            Value::SimpleString("a\r\nb".into()),
        ]);
        assert!(codec.encode(&bad, &mut dst).is_err());
        assert_eq!(&dst[..], b"keep");
    }
}
