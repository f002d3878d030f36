//! RESP2 values: what a Redis server replies (and what a command is made of).

use std::fmt;

use bytes::Bytes;

/// One RESP2 value.
///
/// Bulk strings are [`Bytes`] (binary-safe: any byte, including CR, LF and
/// NUL); decoding one shares the connection's read buffer instead of copying.
///
/// ```
/// use netstack::protocols::resp::Value;
/// let reply = Value::Array(vec![Value::bulk(&b"a"[..]), Value::Null, Value::Integer(3)]);
/// let items = reply.as_array().unwrap();
/// assert_eq!(items[0].as_bytes(), Some(&b"a"[..]));
/// assert!(items[1].is_null());
/// assert_eq!(items[2].as_integer(), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A simple string (`+OK\r\n`): a short status line, no CR or LF inside.
    SimpleString(String),
    /// An error reply (`-ERR unknown command\r\n`).
    Error(ServerError),
    /// An integer (`:42\r\n`).
    Integer(i64),
    /// A bulk string (`$5\r\nhello\r\n`): binary-safe bytes.
    Bulk(Bytes),
    /// The null bulk string (`$-1\r\n`), e.g. `GET` of a missing key.
    Null,
    /// An array (`*2\r\n…`), possibly nested.
    Array(Vec<Value>),
    /// The null array (`*-1\r\n`), e.g. a `BLPOP` that timed out.
    NullArray,
}

impl Value {
    /// A bulk string holding `bytes`.
    pub fn bulk(bytes: impl Into<Bytes>) -> Value {
        Value::Bulk(bytes.into())
    }

    /// The bytes of a bulk or simple string; `None` for other values.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bulk(b) => Some(b),
            Value::SimpleString(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The value of an integer reply; `None` for other values.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The items of an array; `None` for other values (including the null array).
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// True for the null bulk string and the null array.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::NullArray)
    }

    /// `Err` for an error reply, `Ok(self)` for any other value.
    pub fn into_result(self) -> Result<Value, ServerError> {
        match self {
            Value::Error(e) => Err(e),
            other => Ok(other),
        }
    }
}

/// An error reply from the server (`-WRONGTYPE Operation against a key …`):
/// a value, not a failure of the connection, which stays usable.
///
/// ```
/// use netstack::protocols::resp::ServerError;
/// let e = ServerError::new("WRONGTYPE Operation against a key holding the wrong kind of value");
/// assert_eq!(e.kind(), "WRONGTYPE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    message: String,
}

impl ServerError {
    /// An error reply with this message (the text after `-`).
    pub fn new(message: impl Into<String>) -> ServerError {
        ServerError {
            message: message.into(),
        }
    }

    /// The whole message, e.g. `ERR value is not an integer or out of range`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error's kind by Redis convention: the message's first word
    /// (`ERR`, `WRONGTYPE`, `NOSCRIPT`, …).
    pub fn kind(&self) -> &str {
        self.message.split(' ').next().unwrap_or("")
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}
