//! `-F/--form` and `--form-string`: a `multipart/form-data` POST, its
//! fields written as curl 7.88 reads them: `NAME=TEXT`, `NAME=@FILE` (a
//! file, `@-`: standard input), `NAME=<FILE` (a text field read from a
//! file), each with `;type=` and `;filename=`, and `"…"` quoting.

use clap::Args;
use netstack::protocols::http::client::{Multipart, Part};

use super::sequence::Sequenced;
use super::stdin::read_source;
use super::Failure;

/// The form flags.
#[derive(Args, Debug, Default)]
pub struct FormFlags {
    /// Add a multipart/form-data field and POST: `NAME=TEXT`,
    /// `NAME=@FILE` (a file upload; `@-`: stdin), `NAME=<FILE` (a text
    /// field read from FILE), each with `;type=MIME` and
    /// `;filename=NAME`; `"…"` quotes a value holding `;` (repeatable).
    #[arg(short = 'F', long = "form", value_name = "NAME=CONTENT", value_parser = Sequenced::parse)]
    form: Vec<Sequenced>,
    /// Add a form field whose value is taken as is (no `@`, `<` or `;type=`).
    #[arg(long = "form-string", value_name = "NAME=STRING", value_parser = Sequenced::parse)]
    form_string: Vec<Sequenced>,
}

impl FormFlags {
    /// True when a form was given.
    pub fn given(&self) -> bool {
        !self.form.is_empty() || !self.form_string.is_empty()
    }
}

/// The form, fields in command-line order; `None` without `-F`. Files are
/// read when the request is sent; standard input is read here, once.
/// An unknown modifier is skipped with a warning, unless `silent`.
pub fn collect(flags: &FormFlags, silent: bool) -> Result<Option<Multipart>, Failure> {
    let mut fields: Vec<(&Sequenced, bool)> = flags.form.iter().map(|f| (f, false)).collect();
    fields.extend(flags.form_string.iter().map(|f| (f, true)));
    if fields.is_empty() {
        return Ok(None);
    }
    fields.sort_by_key(|(field, _)| field.place);
    let mut form = Multipart::new();
    for (field, literal) in fields {
        let (name, part) = parse(&field.value, literal, silent)?;
        form = form.part(name, part);
    }
    Ok(Some(form))
}

/// One field: its name and part.
fn parse(field: &str, literal: bool, silent: bool) -> Result<(String, Part), Failure> {
    let flag = if literal { "--form-string" } else { "-F" };
    let Some((name, content)) = field.split_once('=') else {
        return Err(Failure::new(
            2,
            format!("{flag} {field:?}: a form field is NAME=CONTENT"),
        ));
    };
    if literal {
        return Ok((name.to_string(), Part::bytes(content.to_string())));
    }
    let (kind, rest) = match content.as_bytes().first() {
        Some(b'@') => (Kind::File, &content[1..]),
        Some(b'<') => (Kind::TextFile, &content[1..]),
        _ => (Kind::Text, content),
    };
    let Modified {
        value,
        content_type,
        file_name,
    } = modified(rest, kind, silent)?;
    let mut part = match kind {
        Kind::Text => Part::bytes(value),
        Kind::TextFile => Part::bytes(read(&value, flag)?),
        Kind::File if value == "-" => Part::bytes(read(&value, flag)?).file_name("-"),
        Kind::File => {
            if let Err(e) = std::fs::metadata(&value) {
                return Err(Failure::new(
                    26,
                    format!("{flag}: cannot read {value}: {e}"),
                ));
            }
            Part::file(&value)
        }
    };
    if let Some(content_type) = content_type {
        part = part.content_type(content_type);
    }
    if let Some(file_name) = file_name {
        part = part.file_name(file_name);
    }
    Ok((name.to_string(), part))
}

fn read(source: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    read_source(source).map_err(|e| {
        let what = if source == "-" {
            "standard input"
        } else {
            source
        };
        Failure::new(26, format!("{flag}: cannot read {what}: {e}"))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    File,
    TextFile,
}

/// A value and its modifiers.
#[derive(Debug, PartialEq, Eq)]
struct Modified {
    value: String,
    content_type: Option<String>,
    file_name: Option<String>,
}

/// Reads `VALUE[;type=T][;filename=N]…` as curl does: leading spaces
/// skipped, an unquoted value's trailing spaces dropped, unknown
/// modifiers skipped with a warning.
fn modified(text: &str, kind: Kind, silent: bool) -> Result<Modified, Failure> {
    // A file list (`@a,b`) would be a multipart/mixed part: not supported.
    let end = if kind == Kind::File { Some(',') } else { None };
    let (value, mut rest) = word(text, end);
    if rest.starts_with(',') {
        return Err(Failure::new(
            2,
            format!("-F {text:?}: several files in one field (multipart/mixed) are not supported"),
        ));
    }
    let mut out = Modified {
        value,
        content_type: None,
        file_name: None,
    };
    while let Some(after) = rest.strip_prefix(';') {
        let after = after.trim_start();
        let lower = after.to_ascii_lowercase();
        if lower.starts_with("type=") {
            let value = &after[5..];
            let stop = value.find(';').unwrap_or(value.len());
            out.content_type = Some(value[..stop].trim().to_string());
            rest = &value[stop..];
        } else if lower.starts_with("filename=") {
            let (name, next) = word(&after[9..], end);
            out.file_name = Some(name);
            rest = next;
        } else if lower.starts_with("headers=") || lower.starts_with("encoder=") {
            return Err(Failure::new(
                2,
                format!("-F: the {} modifier is not supported", &after[..7]),
            ));
        } else {
            let (unknown, next) = word(after, end);
            if !unknown.is_empty() && !silent {
                eprintln!("netstack fetch: warning: skipping the unknown form field modifier {unknown:?}.");
            }
            rest = next;
        }
    }
    Ok(out)
}

/// A word up to `;` (or `end`), or a `"…"` string with `\"` and `\\`
/// escapes (what follows its closing quote up to `;` is dropped); and
/// the rest, from that `;` on.
fn word(text: &str, end: Option<char>) -> (String, &str) {
    let text = text.trim_start();
    let stops = |c: char| c == ';' || Some(c) == end;
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => value.push('\\'),
                },
                '"' => {
                    let after = &quoted[at + 1..];
                    let stop = after.find(stops).unwrap_or(after.len());
                    return (value, &after[stop..]);
                }
                c => value.push(c),
            }
        }
        // No closing quote: the word is taken unquoted, as curl takes it.
    }
    let stop = text.find(stops).unwrap_or(text.len());
    (text[..stop].trim_end().to_string(), &text[stop..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, kind: Kind) -> Modified {
        modified(text, kind, true).unwrap()
    }

    #[test]
    fn values_and_modifiers_are_read_as_curl_reads_them() {
        let m = read("hi;type=text/x;filename=n.txt", Kind::Text);
        assert_eq!(m.value, "hi");
        assert_eq!(m.content_type.as_deref(), Some("text/x"));
        assert_eq!(m.file_name.as_deref(), Some("n.txt"));
        let m = read(r#""x;y\"z";type=t/u"#, Kind::Text);
        assert_eq!(m.value, "x;y\"z");
        assert_eq!(m.content_type.as_deref(), Some("t/u"));
        let m = read("  spaced  ;filename=\"a b\"", Kind::File);
        assert_eq!(m.value, "spaced");
        assert_eq!(m.file_name.as_deref(), Some("a b"));
        assert_eq!(read("v;foo=bar", Kind::Text).value, "v");
        assert_eq!(read("\"unclosed", Kind::Text).value, "\"unclosed");
    }

    #[test]
    fn what_is_not_supported_is_refused() {
        assert!(modified("a.txt,b.txt", Kind::File, true).is_err());
        assert!(modified("v;headers=X-A: 1", Kind::Text, true).is_err());
        assert_eq!(
            parse("no-equals", false, true).err().map(|f| f.code),
            Some(2)
        );
        assert_eq!(
            parse("f=@/no/such/file", false, true).err().map(|f| f.code),
            Some(26)
        );
    }
}
