//! `-K/--config FILE`: options read from a file as curl reads its config
//! files, put in place of the `-K` on the command line before the command
//! line is parsed.
//!
//! A line holds one option, its leading dashes optional for a long name
//! (`url = "http://…"`, `--silent`, `-o out.txt`). A name without dashes
//! ends at whitespace, `=` or `:`, a dashed one at whitespace. A parameter
//! in double quotes may hold spaces and the escapes `\"`, `\\`, `\t`, `\n`,
//! `\r`, `\v`; an unquoted one ends at whitespace. `#` starts a comment
//! line. `-K -` reads standard input; a config file may name another.
//! As in curl, an unknown option or a missing parameter is a warning that
//! names the file and line, and the rest is read; a file that cannot be
//! read ends the run with exit code 26. curl's default `~/.curlrc` is not
//! read: netstack reads only the files it is given.

use std::ffi::{OsStr, OsString};

use clap::{Arg, Args, Command};

use super::FetchArgs;

/// How deep config files may name other config files.
const MAX_DEPTH: usize = 8;

/// A config file that could not be read: the message, for exit code 26.
pub struct Unreadable(pub String);

/// `args` (the whole command line) with every `-K FILE` of `netstack
/// fetch` replaced by the options FILE holds.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>, Unreadable> {
    if args.get(1).map(OsString::as_os_str) != Some(OsStr::new("fetch")) {
        return Ok(args);
    }
    let mut command = FetchArgs::augment_args(Command::new("fetch"));
    command.build();
    let mut expansion = Expansion {
        command: &command,
        muted: false,
    };
    let mut out = args[..2].to_vec();
    let mut rest = args[2..].iter().cloned();
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            out.push(arg);
            out.extend(rest.by_ref());
            break;
        }
        if let Some(path) = expansion.config_path(text, &mut rest, &mut out) {
            expansion.read(&path, 0, &mut out)?;
        }
    }
    Ok(out)
}

struct Expansion<'a> {
    command: &'a Command,
    /// `-s` came before: warnings are not printed (curl's order).
    muted: bool,
}

impl<'a> Expansion<'a> {
    /// The config file a command-line word names (`-K F`, `-KF`, `--config
    /// F`, `--config=F`, `-sK F`), or `None` after passing the word on to
    /// `out`, with the value it takes when that is the next word (so that
    /// a value is never taken for a `-K`).
    fn config_path(
        &mut self,
        text: &str,
        rest: &mut impl Iterator<Item = OsString>,
        out: &mut Vec<OsString>,
    ) -> Option<String> {
        let value_follows = match self.option_of(text) {
            Word::Config { flags, path } => {
                if let Some(flags) = flags {
                    out.push(flags.into());
                }
                return path.or_else(|| next_word(rest, out));
            }
            Word::Other { value_follows } => value_follows,
        };
        out.push(text.into());
        if value_follows {
            out.extend(rest.next());
        }
        None
    }

    /// What a command-line word is, as clap will read it.
    fn option_of(&mut self, text: &str) -> Word {
        let command: &'a Command = self.command;
        let other = |value_follows| Word::Other { value_follows };
        if let Some(long) = text.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            let Some(arg) = command.get_arguments().find(|a| a.get_long() == Some(name)) else {
                return other(false);
            };
            self.note(arg);
            if name == "config" {
                return Word::Config {
                    flags: None,
                    path: attached,
                };
            }
            return other(takes_value(arg) && attached.is_none());
        }
        let Some(shorts) = text.strip_prefix('-').filter(|s| !s.is_empty()) else {
            return other(false);
        };
        for (at, short) in shorts.char_indices() {
            let Some(arg) = command
                .get_arguments()
                .find(|a| a.get_short() == Some(short))
            else {
                return other(false);
            };
            self.note(arg);
            if !takes_value(arg) {
                continue;
            }
            let attached = &shorts[at + short.len_utf8()..];
            if short == 'K' {
                return Word::Config {
                    flags: (at > 0).then(|| format!("-{}", &shorts[..at])),
                    path: (!attached.is_empty()).then(|| attached.to_string()),
                };
            }
            return other(attached.is_empty());
        }
        other(false)
    }

    fn note(&mut self, arg: &Arg) {
        if arg.get_id() == "silent" {
            self.muted = true;
        }
    }

    fn warn(&self, message: String) {
        if !self.muted {
            eprintln!("netstack fetch: warning: {message}");
        }
    }

    /// Appends the options of config file `path` (`-`: standard input) to `out`.
    fn read(
        &mut self,
        path: &str,
        depth: usize,
        out: &mut Vec<OsString>,
    ) -> Result<(), Unreadable> {
        if depth == MAX_DEPTH {
            return Err(Unreadable(format!(
                "cannot read config from '{path}': config files name each other more than {MAX_DEPTH} deep"
            )));
        }
        let text = super::stdin::read_source(path)
            .map_err(|e| Unreadable(format!("cannot read config from '{path}': {e}")))?;
        let text = String::from_utf8_lossy(&text);
        let shown = if path == "-" { "<stdin>" } else { path };
        for (number, line) in (1..).zip(text.lines()) {
            let Some(option) = Line::parse(line) else {
                continue;
            };
            let place = format!("{shown}:{number}");
            if option.trailing {
                self.warn(format!(
                    "{place}: '{}' has an unquoted parameter followed by more text; only its first word is used",
                    option.name
                ));
            }
            let Some(arg) = self.find(&option) else {
                self.warn(format!("{place}: '{}' is unknown", option.name));
                continue;
            };
            self.note(arg);
            let long = arg.get_long().unwrap_or_default();
            if !takes_value(arg) {
                if option.parameter.is_some() {
                    self.warn(format!(
                        "{place}: '{}' takes no parameter; the one given is ignored",
                        option.name
                    ));
                }
                out.push(format!("--{long}").into());
                continue;
            }
            let Some(parameter) = option.parameter else {
                self.warn(format!("{place}: '{}' needs a parameter", option.name));
                continue;
            };
            if long == "config" {
                self.read(&parameter, depth + 1, out)?;
                continue;
            }
            out.push(format!("--{long}={parameter}").into());
        }
        Ok(())
    }

    fn find(&self, option: &Line) -> Option<&'a Arg> {
        let command: &'a Command = self.command;
        let mut arguments = command.get_arguments();
        match option.name.strip_prefix("--") {
            Some(long) => arguments.find(|a| a.get_long() == Some(long)),
            None => match option.name.strip_prefix('-') {
                Some(short) => {
                    let mut chars = short.chars();
                    let (Some(short), None) = (chars.next(), chars.next()) else {
                        return None;
                    };
                    arguments.find(|a| a.get_short() == Some(short))
                }
                None => arguments.find(|a| a.get_long() == Some(option.name)),
            },
        }
    }
}

/// A command-line word.
enum Word {
    /// `-K`: the flags clustered before it (`-s` of `-sK`), and the path
    /// when it is in the same word.
    Config {
        flags: Option<String>,
        path: Option<String>,
    },
    /// Anything else; `value_follows`: an option whose value is the next word.
    Other { value_follows: bool },
}

/// The next command-line word as text (one that is not text is passed on).
fn next_word(rest: &mut impl Iterator<Item = OsString>, out: &mut Vec<OsString>) -> Option<String> {
    match rest.next()?.into_string() {
        Ok(word) => Some(word),
        Err(word) => {
            out.push(word);
            None
        }
    }
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// One option line of a config file.
struct Line<'a> {
    name: &'a str,
    parameter: Option<String>,
    /// An unquoted parameter had more text after it.
    trailing: bool,
}

impl<'a> Line<'a> {
    /// `None` for a blank line or a comment.
    fn parse(line: &'a str) -> Option<Line<'a>> {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let dashed = line.starts_with('-');
        let separator = |c: char| c.is_whitespace() || (!dashed && (c == '=' || c == ':'));
        let end = line.find(separator).unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        let rest = rest.trim_start_matches(separator);
        let (parameter, trailing) = match rest.strip_prefix('"') {
            Some(quoted) => (Some(unquote(quoted)), false),
            None => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let (word, after) = rest.split_at(end);
                let after = after.trim_start();
                let trailing = !after.is_empty() && !after.starts_with('#');
                ((!word.is_empty()).then(|| word.to_string()), trailing)
            }
        };
        Some(Line {
            name,
            parameter,
            trailing,
        })
    }
}

/// The text of a quoted parameter up to its closing quote, escapes undone.
fn unquote(quoted: &str) -> String {
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('v') => out.push('\u{b}'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        let Ok(out) = expand(args) else {
            panic!("unreadable");
        };
        out.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn lines_are_read_as_curl_reads_them() {
        let line = Line::parse(r#"  user-agent: "a \"b\"\tc\\d" # not a comment here"#).unwrap();
        assert_eq!(line.name, "user-agent");
        assert_eq!(line.parameter.as_deref(), Some("a \"b\"\tc\\d"));
        assert!(!line.trailing);
        let line = Line::parse("url=http://x/ y").unwrap();
        assert_eq!(
            (line.name, line.parameter.as_deref()),
            ("url", Some("http://x/"))
        );
        assert!(line.trailing);
        let line = Line::parse("--url=http://x/").unwrap();
        assert_eq!(
            line.name, "--url=http://x/",
            "a dashed name ends at whitespace only"
        );
        let line = Line::parse("-o  out.txt").unwrap();
        assert_eq!(
            (line.name, line.parameter.as_deref()),
            ("-o", Some("out.txt"))
        );
        assert!(Line::parse("   # comment").is_none());
        assert!(Line::parse("").is_none());
        let line = Line::parse("silent").unwrap();
        assert_eq!((line.name, line.parameter), ("silent", None));
    }

    #[test]
    fn only_a_config_flag_is_taken_for_one() {
        // `-K` as the value of another option stays that value.
        let args = [
            "netstack",
            "fetch",
            "-H",
            "-K",
            "-d",
            "--config",
            "http://x/",
        ];
        assert_eq!(expanded(&args), args);
        // Other subcommands are left alone.
        assert_eq!(
            expanded(&["netstack", "serve", "-K", "x"]),
            ["netstack", "serve", "-K", "x"]
        );
    }

    #[test]
    fn a_missing_file_is_unreadable() {
        let args = ["netstack", "fetch", "-sK", "/nonexistent/netstack.cfg"];
        let Err(Unreadable(message)) = expand(args.iter().map(OsString::from).collect()) else {
            panic!("read a file that does not exist");
        };
        assert!(
            message.starts_with("cannot read config from '/nonexistent/netstack.cfg': "),
            "{message}"
        );
    }
}
