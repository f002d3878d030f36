//! HTML directory listings: names escaped, links percent-encoded.

use std::fmt::Write;
use std::io;
use std::path::Path;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is encoded in a link.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The listing of `dir`, titled with the decoded URL path `shown` (which
/// ends with `/`). Entries are sorted by name, directories marked with `/`.
pub fn render(dir: &Path, shown: &str) -> io::Result<String> {
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| {
            let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            (entry.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    entries.sort();
    let title = escape_html(&format!("Index of {shown}"));
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body>\n<h1>{title}</h1>\n<ul>\n"
    );
    if shown != "/" {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, is_dir) in entries {
        let slash = if is_dir { "/" } else { "" };
        let _ = writeln!(
            html,
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>",
            utf8_percent_encode(&name, SEGMENT),
            escape_html(&name)
        );
    }
    html.push_str("</ul>\n</body>\n</html>\n");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_links_encoded() {
        let dir = std::env::temp_dir().join(format!("netstack-listing-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub dir")).unwrap();
        std::fs::write(dir.join("<b>&\"x\".txt"), b"").unwrap();
        std::fs::write(dir.join("a#b?c%.txt"), b"").unwrap();
        let html = render(&dir, "/files/<i>/").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            html.contains("<title>Index of /files/&lt;i&gt;/</title>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"../\">"));
        assert!(
            html.contains("<a href=\"%3Cb%3E%26%22x%22.txt\">&lt;b&gt;&amp;&quot;x&quot;.txt</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"a%23b%3Fc%25.txt\">a#b?c%.txt</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"sub%20dir/\">sub dir/</a>"),
            "{html}"
        );
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn the_root_has_no_parent_link() {
        let dir = std::env::temp_dir();
        assert!(!render(&dir, "/").unwrap().contains("href=\"../\""));
    }
}
