//! `-w FORMAT`: curl's `--write-out` variables, printed after a transfer.

use std::time::Duration;

/// What a finished transfer reports to `-w`.
#[derive(Debug, Default, Clone)]
pub struct Transfer {
    pub http_code: Option<u16>,
    pub size_download: u64,
    pub size_upload: u64,
    pub time_total: Duration,
    pub time_connect: Option<Duration>,
    pub time_starttransfer: Option<Duration>,
    pub url_effective: String,
    pub content_type: Option<String>,
    pub num_redirects: usize,
    pub exitcode: u8,
}

/// `format` with `%{name}` replaced and `\n`, `\r`, `\t`, `\\` unescaped; an
/// unknown variable is left as written (curl prints a warning and skips it).
pub fn render(format: &str, t: &Transfer) -> String {
    let secs = |d: Option<Duration>| format!("{:.6}", d.unwrap_or_default().as_secs_f64());
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some(end) = after.find('}') {
                let name = &after[..end];
                let value = match name {
                    "http_code" | "response_code" => {
                        Some(format!("{:03}", t.http_code.unwrap_or(0)))
                    }
                    "size_download" => Some(t.size_download.to_string()),
                    "size_upload" => Some(t.size_upload.to_string()),
                    "time_total" => Some(secs(Some(t.time_total))),
                    "time_connect" => Some(secs(t.time_connect)),
                    "time_starttransfer" => Some(secs(t.time_starttransfer)),
                    "url_effective" => Some(t.url_effective.clone()),
                    "content_type" => Some(t.content_type.clone().unwrap_or_default()),
                    "num_redirects" => Some(t.num_redirects.to_string()),
                    "exitcode" => Some(t.exitcode.to_string()),
                    _ => None,
                };
                if let Some(value) = value {
                    out.push_str(&value);
                    rest = &after[end + 1..];
                    continue;
                }
            }
        }
        if let Some(after) = rest.strip_prefix('\\') {
            let unescaped = match after.chars().next() {
                Some('n') => Some('\n'),
                Some('r') => Some('\r'),
                Some('t') => Some('\t'),
                Some('\\') => Some('\\'),
                _ => None,
            };
            if let Some(ch) = unescaped {
                out.push(ch);
                rest = &after[1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{render, Transfer};
    use std::time::Duration;

    #[test]
    fn variables_and_escapes_are_replaced() {
        let t = Transfer {
            http_code: Some(204),
            size_download: 1234,
            time_total: Duration::from_millis(1500),
            url_effective: "http://127.0.0.1/x".to_string(),
            ..Transfer::default()
        };
        assert_eq!(
            render(
                "%{http_code} %{size_download} %{time_total} %{url_effective}\\n",
                &t
            ),
            "204 1234 1.500000 http://127.0.0.1/x\n"
        );
        assert_eq!(render("%{http_code}", &Transfer::default()), "000");
        assert_eq!(render("%{nope} 100% \\q é", &t), "%{nope} 100% \\q é");
        assert_eq!(render("%{http_code", &t), "%{http_code");
    }
}
