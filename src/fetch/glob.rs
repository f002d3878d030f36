//! URL globbing as curl does it: `{one,two}` sets and `[1-10]`, `[01-10]`,
//! `[a-z]`, `[1-100:10]` ranges, each URL of the product fetched in turn
//! (the last glob changing fastest), and `#N` in `-o` replaced by the Nth
//! glob's text. A backslash takes the next character as it is; brackets
//! around an IPv6 address (`http://[::1]/`) are no range. The URLs are made
//! one at a time, so `[1-1000000]` costs nothing up front.

/// A malformed glob: what is wrong and where (1-based, in characters), as
/// curl reports it (exit code 3).
#[derive(Debug, PartialEq)]
pub struct BadGlob {
    pub message: &'static str,
    pub position: usize,
}

impl BadGlob {
    /// curl's report: the message, the URL, and a caret under the place.
    pub fn report(&self, url: &str) -> String {
        let caret = " ".repeat(self.position.saturating_sub(1));
        format!(
            "{} in URL position {}:\n{url}\n{caret}^",
            self.message, self.position
        )
    }
}

/// A URL with its globs.
#[derive(Debug)]
pub struct Pattern {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Set(Vec<String>),
    Numbers {
        start: u64,
        step: u64,
        count: u64,
        /// Zero-padded to this many digits (`[01-10]`).
        width: usize,
    },
    Letters {
        start: u8,
        step: u8,
        count: u64,
    },
}

/// One URL of a pattern, and the text each glob gave it (for `#N`).
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub url: String,
    pub globbed: Vec<String>,
}

impl Pattern {
    /// Parses `url`'s globs.
    pub fn parse(url: &str) -> Result<Pattern, BadGlob> {
        let chars: Vec<char> = url.chars().collect();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut at = 0;
        while at < chars.len() {
            let c = chars[at];
            match c {
                '\\' if at + 1 < chars.len() => {
                    text.push(chars[at + 1]);
                    at += 2;
                    continue;
                }
                '{' => {
                    let (set, next) = parse_set(&chars, at)?;
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(set);
                    at = next;
                    continue;
                }
                '[' if !is_literal_bracket(&chars[at + 1..]) => {
                    let (range, next) = parse_range(&chars, at)?;
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(range);
                    at = next;
                    continue;
                }
                '[' => {
                    // An IPv6 address or `[]`: copied up to its `]`.
                    let end = at + chars[at..].iter().position(|&c| c == ']').unwrap_or(0);
                    text.extend(&chars[at..=end]);
                    at = end + 1;
                    continue;
                }
                '}' | ']' => {
                    return Err(BadGlob {
                        message: "unmatched close brace/bracket",
                        position: at + 1,
                    })
                }
                c => text.push(c),
            }
            at += 1;
        }
        parts.push(Part::Text(text));
        parts.retain(|part| !matches!(part, Part::Text(text) if text.is_empty()));
        Ok(Pattern { parts })
    }

    /// A URL given as it is (`-g`): no globs.
    pub fn literal(url: &str) -> Pattern {
        Pattern {
            parts: vec![Part::Text(url.to_string())],
        }
    }

    /// Every URL of the pattern, in curl's order.
    pub fn expand(&self) -> impl Iterator<Item = Expanded> + '_ {
        let sizes: Vec<u64> = self.parts.iter().map(Part::count).collect();
        let mut odometer = vec![0u64; self.parts.len()];
        let mut done = sizes.contains(&0);
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let mut expanded = Expanded {
                url: String::new(),
                globbed: Vec::new(),
            };
            for (part, &index) in self.parts.iter().zip(&odometer) {
                let piece = part.nth(index);
                expanded.url.push_str(&piece);
                if !matches!(part, Part::Text(_)) {
                    expanded.globbed.push(piece);
                }
            }
            // The last glob turns fastest.
            done = true;
            for (digit, &size) in odometer.iter_mut().zip(&sizes).rev() {
                *digit += 1;
                if *digit < size {
                    done = false;
                    break;
                }
                *digit = 0;
            }
            Some(expanded)
        })
    }
}

impl Part {
    fn count(&self) -> u64 {
        match self {
            Part::Text(_) => 1,
            Part::Set(items) => items.len() as u64,
            Part::Numbers { count, .. } | Part::Letters { count, .. } => *count,
        }
    }

    fn nth(&self, index: u64) -> String {
        match self {
            Part::Text(text) => text.clone(),
            Part::Set(items) => items[index as usize].clone(),
            Part::Numbers {
                start, step, width, ..
            } => format!("{:0width$}", start + index * step),
            Part::Letters { start, step, .. } => {
                char::from(start + (index as u8) * step).to_string()
            }
        }
    }
}

/// `{a,b,…}` from `chars[open]`: the set and the index after its `}`.
fn parse_set(chars: &[char], open: usize) -> Result<(Part, usize), BadGlob> {
    let mut items = vec![String::new()];
    let mut at = open + 1;
    while at < chars.len() {
        let bad = |message| {
            Err(BadGlob {
                message,
                position: at + 1,
            })
        };
        match chars[at] {
            '\\' if at + 1 < chars.len() => {
                if let Some(item) = items.last_mut() {
                    item.push(chars[at + 1]);
                }
                at += 1;
            }
            ',' => items.push(String::new()),
            '}' => {
                if items.len() == 1 && items[0].is_empty() {
                    return bad("empty string within braces");
                }
                return Ok((Part::Set(items), at + 1));
            }
            '{' => return bad("nested brace"),
            ']' => return bad("unexpected close bracket"),
            c => {
                if let Some(item) = items.last_mut() {
                    item.push(c);
                }
            }
        }
        at += 1;
    }
    Err(BadGlob {
        message: "unmatched brace",
        position: open + 1,
    })
}

/// `[X-Y]` or `[X-Y:S]` from `chars[open]`: the range and the index after its `]`.
fn parse_range(chars: &[char], open: usize) -> Result<(Part, usize), BadGlob> {
    let close = chars[open..]
        .iter()
        .position(|&c| c == ']')
        .map(|n| open + n);
    let bad = |position| BadGlob {
        message: "bad range",
        position,
    };
    let Some(close) = close else {
        return Err(bad(chars.len()));
    };
    let inside: String = chars[open + 1..close].iter().collect();
    let (span, step) = match inside.split_once(':') {
        Some((span, step)) => (span, Some(step)),
        None => (inside.as_str(), None),
    };
    let step: u64 = match step {
        None => 1,
        Some(step) => step.parse().ok().filter(|&s| s > 0).ok_or(bad(close + 2))?,
    };
    let (first, last) = span.split_once('-').ok_or(bad(close + 2))?;
    let letter = |s: &str| {
        let mut letters = s.chars();
        match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(c as u8),
            _ => None,
        }
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let part = match (letter(first), letter(last), number(first), number(last)) {
        (Some(start), Some(end), _, _)
            if start <= end
                && start.is_ascii_lowercase() == end.is_ascii_lowercase()
                && step <= 25 =>
        {
            Part::Letters {
                start,
                step: step as u8,
                count: u64::from(end - start) / step + 1,
            }
        }
        (_, _, Some(start), Some(end)) if start <= end => Part::Numbers {
            start,
            step,
            count: ((end - start) / step).saturating_add(1),
            width: if first.starts_with('0') {
                first.len()
            } else {
                0
            },
        },
        _ => return Err(bad(close + 2)),
    };
    Ok((part, close + 1))
}

/// True when the text after a `[` is an IPv6 address (or nothing) up to a
/// `]`, not a range: hex digits, `:` and `.`, with at least one `:`, and a
/// zone after `%`.
fn is_literal_bracket(after: &[char]) -> bool {
    let Some(end) = after.iter().position(|&c| c == ']') else {
        return false;
    };
    let inside = &after[..end];
    let address = inside
        .iter()
        .position(|&c| c == '%')
        .map_or(inside, |zone| &inside[..zone]);
    inside.is_empty()
        || (address.contains(&':')
            && address
                .iter()
                .all(|c| c.is_ascii_hexdigit() || *c == ':' || *c == '.'))
}

/// `template` (an `-o` name) with `#N` replaced by the Nth glob's text;
/// a `#` not followed by a glob's number stays as it is.
pub fn output_name(template: &str, globbed: &[String]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(hash) = rest.find('#') {
        out.push_str(&rest[..hash]);
        let after = &rest[hash + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let glob = after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| globbed.get(n));
        match glob {
            Some(text) => {
                out.push_str(text);
                rest = &after[digits..];
            }
            None => {
                out.push('#');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(pattern: &str) -> Vec<String> {
        Pattern::parse(pattern)
            .unwrap()
            .expand()
            .map(|e| e.url)
            .collect()
    }

    fn error(pattern: &str) -> BadGlob {
        Pattern::parse(pattern).unwrap_err()
    }

    #[test]
    fn sets_and_ranges_expand_in_curls_order() {
        assert_eq!(urls("h/{a,b}[1-2]"), ["h/a1", "h/a2", "h/b1", "h/b2"]);
        assert_eq!(urls("h/[08-10]"), ["h/08", "h/09", "h/10"]);
        assert_eq!(urls("h/[9-11]"), ["h/9", "h/10", "h/11"]);
        assert_eq!(urls("h/[a-e:2]"), ["h/a", "h/c", "h/e"]);
        assert_eq!(urls("h/[1-10:4]"), ["h/1", "h/5", "h/9"]);
        assert_eq!(urls("h/{a,}x"), ["h/ax", "h/x"]);
        assert_eq!(urls(r"h/{a\,b,c}"), ["h/a,b", "h/c"]);
        assert_eq!(urls(r"h/\{a\}"), ["h/{a}"]);
        assert_eq!(
            urls("http://[::1]:80/[1-2]"),
            ["http://[::1]:80/1", "http://[::1]:80/2"]
        );
        assert_eq!(
            urls("http://[fe80::1%25eth0]/"),
            ["http://[fe80::1%25eth0]/"]
        );
        assert_eq!(urls("h/[]"), ["h/[]"]);
        assert_eq!(urls("plain"), ["plain"]);
    }

    #[test]
    fn a_huge_range_is_made_one_url_at_a_time() {
        let pattern = Pattern::parse("h/[1-99999999999][1-99999999999]").unwrap();
        let first: Vec<String> = pattern.expand().take(2).map(|e| e.url).collect();
        assert_eq!(first, ["h/11", "h/12"]);
    }

    #[test]
    fn malformed_globs_are_reported_where_curl_reports_them() {
        let cases = [
            ("h/{a,b", "unmatched brace", 3),
            ("h/a}", "unmatched close brace/bracket", 4),
            ("h/{a,{b}}", "nested brace", 6),
            ("h/{}", "empty string within braces", 4),
            ("h/{a]b}", "unexpected close bracket", 5),
            ("h/[3-1]", "bad range", 8),
            ("h/[1-3:0]", "bad range", 10),
            ("h/[a-5]", "bad range", 8),
            ("h/[a-Z]", "bad range", 8),
        ];
        for (pattern, message, position) in cases {
            assert_eq!(error(pattern), BadGlob { message, position }, "{pattern}");
        }
        assert_eq!(
            error("h/{a").report("h/{a"),
            "unmatched brace in URL position 3:\nh/{a\n  ^"
        );
    }

    #[test]
    fn output_names_take_the_globs_text() {
        let globbed = ["a".to_string(), "1".to_string()];
        assert_eq!(output_name("o_#2_#1_#3_#x#", &globbed), "o_1_a_#3_#x#");
        assert_eq!(output_name("plain", &globbed), "plain");
    }
}
