//! `-H` as curl reads it: `Name: value` sends a field, `Name:` with no
//! value leaves the field out (the client's default too), `Name;` sends it
//! empty, and `@FILE` reads such lines from a file (`@-`: stdin).

use std::io::{BufRead, BufReader, Read};

use netstack::protocols::fetch::FetchRequest;

use super::Failure;

/// What one `-H` line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HeaderLine {
    /// `Name: value`: send this field.
    Set {
        /// The field name.
        name: String,
        /// Its value, without the whitespace around it.
        value: String,
    },
    /// `Name;`: send the field with an empty value.
    Empty {
        /// The field name.
        name: String,
    },
    /// `Name:`: send no field of this name, not even the client's default.
    Omit {
        /// The field name.
        name: String,
    },
    /// A line curl does not send (no name, no `:` or `;`, text after `;`,
    /// a blank line).
    Ignored {
        /// The line as given.
        line: String,
    },
}

impl HeaderLine {
    /// Reads one line by curl's rules.
    pub(super) fn parse(line: &str) -> HeaderLine {
        let ignored = || HeaderLine::Ignored {
            line: line.to_string(),
        };
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            return match (name.is_empty(), value.is_empty()) {
                (true, _) => ignored(),
                (false, true) => HeaderLine::Omit {
                    name: name.to_string(),
                },
                (false, false) => HeaderLine::Set {
                    name: name.to_string(),
                    value: value.to_string(),
                },
            };
        }
        match line.split_once(';') {
            Some((name, rest)) if !name.trim().is_empty() && rest.trim().is_empty() => {
                HeaderLine::Empty {
                    name: name.trim().to_string(),
                }
            }
            _ => ignored(),
        }
    }

    /// The field name this line is about, if any.
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            HeaderLine::Set { name, .. }
            | HeaderLine::Empty { name }
            | HeaderLine::Omit { name } => Some(name),
            HeaderLine::Ignored { .. } => None,
        }
    }

    /// Adds what this line asks for to `request`.
    pub(super) fn apply(&self, request: FetchRequest) -> FetchRequest {
        match self {
            HeaderLine::Set { name, value } => request.header(name, value),
            HeaderLine::Empty { name } => request.header(name, ""),
            HeaderLine::Omit { name } => request.without_header(name),
            HeaderLine::Ignored { .. } => request,
        }
    }
}

/// The lines of every `-H`, in order, a `@FILE` replaced by its lines.
pub(super) fn read_all(args: &[String]) -> Result<Vec<HeaderLine>, Failure> {
    let mut lines = Vec::new();
    for arg in args {
        match arg.strip_prefix('@') {
            Some(path) => {
                let source: Box<dyn Read> = if path == "-" {
                    Box::new(std::io::stdin())
                } else {
                    Box::new(std::fs::File::open(path).map_err(|e| {
                        Failure::new(26, format!("-H @{path}: cannot read the file: {e}"))
                    })?)
                };
                lines.extend(from_reader(source).map_err(|e| {
                    Failure::new(26, format!("-H @{path}: reading the file failed: {e}"))
                })?);
            }
            None => lines.push(HeaderLine::parse(arg)),
        }
    }
    Ok(lines)
}

/// The header lines of a file: one per line, LF or CRLF; blank lines (and
/// anything else curl would not send) come back as `Ignored`.
fn from_reader(source: impl Read) -> std::io::Result<Vec<HeaderLine>> {
    let mut lines = Vec::new();
    for line in BufReader::new(source).split(b'\n') {
        let line = line?;
        let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(&line)).into_owned();
        lines.push(HeaderLine::parse(&line));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> HeaderLine {
        HeaderLine::Set {
            name: name.to_string(),
            value: value.to_string(),
        }
    }

    #[test]
    fn lines_read_as_curl_reads_them() {
        assert_eq!(HeaderLine::parse("X-Test: a b "), set("X-Test", "a b"));
        assert_eq!(HeaderLine::parse("X-Test:a:b"), set("X-Test", "a:b"));
        for omit in ["Accept:", "Accept:   "] {
            assert_eq!(
                HeaderLine::parse(omit),
                HeaderLine::Omit {
                    name: "Accept".to_string()
                }
            );
        }
        for empty in ["X-Empty;", "X-Empty;  "] {
            assert_eq!(
                HeaderLine::parse(empty),
                HeaderLine::Empty {
                    name: "X-Empty".to_string()
                }
            );
        }
        for ignored in ["", "no colon", ":value", "X-Semi; value", ";", "é"] {
            assert!(
                matches!(HeaderLine::parse(ignored), HeaderLine::Ignored { .. }),
                "{ignored:?}"
            );
        }
    }

    #[test]
    fn a_file_has_one_header_a_line_crlf_or_lf() {
        let file = b"X-A: 1\r\n\r\nX-B:2\n\nX-C;\nAccept:\nX-Last: no newline";
        let lines = from_reader(&file[..]).unwrap();
        let named: Vec<&HeaderLine> = lines.iter().filter(|l| l.name().is_some()).collect();
        assert_eq!(
            named,
            [
                &set("X-A", "1"),
                &set("X-B", "2"),
                &HeaderLine::Empty {
                    name: "X-C".to_string()
                },
                &HeaderLine::Omit {
                    name: "Accept".to_string()
                },
                &set("X-Last", "no newline"),
            ]
        );
    }
}
