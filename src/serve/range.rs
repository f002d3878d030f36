//! The `Range` request header, for one range of bytes (RFC 9110 §14).

/// What a `Range` header asks of a representation of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// Serve the whole representation: no header, a unit other than
    /// bytes, a malformed header (ignored, as RFC 9110 allows), or several
    /// ranges (answered in full rather than as multipart).
    Full,
    /// Serve bytes `start..=end` (inclusive, within the length).
    Partial {
        /// The first byte.
        start: u64,
        /// The last byte.
        end: u64,
    },
    /// No byte of the range exists: `416`.
    Unsatisfiable,
}

/// Parses `header` (`bytes=a-b`, `bytes=a-`, `bytes=-n`) against a
/// representation of `length` bytes.
pub fn parse(header: &str, length: u64) -> RangeRequest {
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return RangeRequest::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => RangeRequest::Full,
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if length == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial {
                start: length.saturating_sub(n),
                end: length - 1,
            },
        },
        (first, last) => {
            let Some(start) = number(first) else {
                return RangeRequest::Full;
            };
            let end = if last.is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    Some(end) if end >= start => end,
                    _ => return RangeRequest::Full,
                }
            };
            if start >= length {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Partial {
                    start,
                    end: end.min(length - 1),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn the_three_forms_of_one_range() {
        assert_eq!(parse("bytes=0-9", 100), Partial { start: 0, end: 9 });
        assert_eq!(parse("bytes=10-", 100), Partial { start: 10, end: 99 });
        assert_eq!(parse("bytes=-5", 100), Partial { start: 95, end: 99 });
        assert_eq!(parse("bytes=5-5", 100), Partial { start: 5, end: 5 });
        // An end past the last byte is clipped; a suffix longer than the file is all of it.
        assert_eq!(parse("bytes=90-1000", 100), Partial { start: 90, end: 99 });
        assert_eq!(parse("bytes=-500", 100), Partial { start: 0, end: 99 });
        // Case and spaces.
        assert_eq!(parse(" Bytes = 1 - 2 ", 100), Partial { start: 1, end: 2 });
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse("bytes=-1", 0), Unsatisfiable);
    }

    #[test]
    fn malformed_or_multiple_ranges_get_the_whole_file() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=5-1",
            "bytes=1-2-3",
            "bytes=+1-2",
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(parse(header, 100), Full, "{header:?}");
        }
    }
}
