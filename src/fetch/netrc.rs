//! `-n/--netrc`, `--netrc-file` and `--netrc-optional`: a login and
//! password for a host from a `.netrc` file, as curl reads it (`machine`,
//! `default`, `login`, `password`, `account`, `macdef`, `"…"` quoting).

use std::path::PathBuf;

use clap::Args;

/// The netrc flags.
#[derive(Args, Debug, Default)]
pub struct NetrcFlags {
    /// Take the login and password for a URL's host from ~/.netrc (when
    /// neither -u nor the URL names a user; a missing file is no error).
    #[arg(short = 'n', long = "netrc")]
    netrc: bool,
    /// Like -n, with ~/.netrc if it exists (curl's wording of the same).
    #[arg(long = "netrc-optional")]
    netrc_optional: bool,
    /// Like -n, from FILE instead of ~/.netrc.
    #[arg(long = "netrc-file", value_name = "FILE")]
    netrc_file: Option<PathBuf>,
}

/// The entries of the netrc file, read once.
#[derive(Debug, Default)]
pub struct Netrc {
    entries: Vec<Entry>,
}

#[derive(Debug, Default, Clone)]
struct Entry {
    /// `None` for `default`.
    machine: Option<String>,
    login: Option<String>,
    password: Option<String>,
}

impl Netrc {
    /// Reads the file the flags name; none, unreadable or missing: no entries.
    pub fn load(flags: &NetrcFlags) -> Netrc {
        let path = match &flags.netrc_file {
            Some(path) => Some(path.clone()),
            None if flags.netrc || flags.netrc_optional => {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".netrc"))
            }
            None => None,
        };
        match path.and_then(|p| std::fs::read_to_string(p).ok()) {
            Some(text) => Netrc::parse(&text),
            None => Netrc::default(),
        }
    }

    fn parse(text: &str) -> Netrc {
        let mut entries = Vec::new();
        let mut current: Option<Entry> = None;
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let mut tokens = tokens(line).into_iter();
            while let Some(token) = tokens.next() {
                match token.as_str() {
                    "machine" | "default" => {
                        entries.extend(current.take());
                        let machine = match token.as_str() {
                            "machine" => Some(tokens.next().unwrap_or_default()),
                            _ => None,
                        };
                        current = Some(Entry {
                            machine,
                            ..Entry::default()
                        });
                    }
                    "login" | "password" | "account" => {
                        let value = tokens.next();
                        if let Some(entry) = &mut current {
                            match token.as_str() {
                                "login" => entry.login = value,
                                "password" => entry.password = value,
                                _ => {}
                            }
                        }
                    }
                    "macdef" => {
                        // A macro runs to the next empty line.
                        for line in lines.by_ref() {
                            if line.trim().is_empty() {
                                break;
                            }
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
        entries.extend(current);
        Netrc { entries }
    }

    /// The login and password for `host`: its `machine` entry, else `default`.
    pub fn credentials(&self, host: &str) -> Option<(String, Option<String>)> {
        let entry = self
            .entries
            .iter()
            .find(|e| {
                e.machine
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(host))
            })
            .or_else(|| self.entries.iter().find(|e| e.machine.is_none()))?;
        Some((entry.login.clone()?, entry.password.clone()))
    }
}

/// A line's tokens: separated by white space, or `"…"` with `\` escapes.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut token = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => token.extend(chars.next()),
                    c => token.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        out.push(token);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_default_quoting_and_macros_are_read_as_curl_reads_them() {
        let netrc = Netrc::parse(
            "machine example.com login alice password s3cret\n\
             macdef init\ncd /\nmachine inside.macro login no password no\n\n\
             machine q.example\n  login \"q u\" password \"p\\\"w\"\n\
             default login bob password pw\n",
        );
        let get = |host| netrc.credentials(host);
        assert_eq!(
            get("EXAMPLE.com"),
            Some(("alice".into(), Some("s3cret".into())))
        );
        assert_eq!(get("q.example"), Some(("q u".into(), Some("p\"w".into()))));
        assert_eq!(get("inside.macro"), Some(("bob".into(), Some("pw".into()))));
        assert_eq!(get("other"), Some(("bob".into(), Some("pw".into()))));
        assert_eq!(Netrc::parse("machine a login x").credentials("b"), None);
    }
}
