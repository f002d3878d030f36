//! `-w FORMAT` (`-w @FILE`, `@-`: standard input): curl's `--write-out`
//! variables, printed after each transfer, with the values the fetcher
//! measured (its [`Timings`](netstack::protocols::http::client::Timings)).

use std::net::SocketAddr;
use std::time::Duration;

use http::HeaderMap;
use netstack::protocols::fetch::FetchResponse;

use super::stdin::read_source;
use super::Failure;

/// What a finished transfer reports to `-w`.
#[derive(Debug, Default, Clone)]
pub struct Transfer {
    pub http_code: Option<u16>,
    pub http_version: Option<&'static str>,
    pub size_download: u64,
    pub size_upload: u64,
    pub size_header: u64,
    pub time_total: Duration,
    pub time_namelookup: Option<Duration>,
    pub time_connect: Option<Duration>,
    pub time_appconnect: Option<Duration>,
    pub time_pretransfer: Option<Duration>,
    pub time_starttransfer: Option<Duration>,
    pub remote: Option<SocketAddr>,
    pub url: String,
    pub urlnum: usize,
    pub url_effective: String,
    pub scheme: Option<String>,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
    pub num_redirects: usize,
    pub exitcode: u8,
    pub errormsg: Option<String>,
}

impl Transfer {
    /// What the response tells once its head is in.
    pub fn record_head(&mut self, response: &FetchResponse) {
        self.http_code = response
            .status()
            .map(|s| s.as_u16())
            .filter(|_| response.http().is_some());
        self.url_effective = response.url().to_string();
        self.scheme = Some(response.url().scheme().to_ascii_uppercase());
        self.content_type = response.content_type().map(str::to_string);
        if let Some(http) = response.http() {
            let t = http.timings();
            self.time_namelookup = t.resolve_done;
            self.time_connect = t.connect_done;
            self.time_appconnect = t.tls_done;
            self.time_pretransfer = t.tls_done.or(t.connect_done);
            self.time_starttransfer = t.first_byte;
            self.remote = t.remote;
            self.num_redirects = t.redirects;
            self.size_header = t.head_bytes;
            self.size_upload = t.body_bytes_sent;
            self.headers = http.headers().clone();
            self.http_version = Some(match http.version() {
                http::Version::HTTP_09 => "0.9",
                http::Version::HTTP_10 => "1",
                http::Version::HTTP_2 => "2",
                http::Version::HTTP_3 => "3",
                _ => "1.1",
            });
        }
    }

    /// The total time once the body was read, as the fetcher measured it
    /// (HTTP only: for other schemes the command measures the transfer).
    pub fn record_end(&mut self, response: &FetchResponse) {
        if let Some(total) = response.http().and_then(|h| h.timings().total) {
            self.time_total = total;
        }
    }

    fn per_second(&self, bytes: u64) -> u64 {
        let secs = self.time_total.as_secs_f64();
        if secs > 0.0 {
            (bytes as f64 / secs) as u64
        } else {
            0
        }
    }

    /// The value of the variable `name`, `None` for an unknown one.
    fn value(&self, name: &str) -> Option<Value> {
        let text = |s: &Option<String>| Value::Text(s.clone());
        Some(match name {
            "http_code" | "response_code" => {
                Value::Raw(format!("{:03}", self.http_code.unwrap_or(0)))
            }
            "http_version" => Value::Text(Some(self.http_version.unwrap_or("0").to_string())),
            "size_download" => Value::Number(self.size_download),
            "size_upload" => Value::Number(self.size_upload),
            "size_header" => Value::Number(self.size_header),
            "speed_download" => Value::Number(self.per_second(self.size_download)),
            "speed_upload" => Value::Number(self.per_second(self.size_upload)),
            "time_total" => Value::Seconds(self.time_total),
            "time_namelookup" => Value::Seconds(self.time_namelookup.unwrap_or_default()),
            "time_connect" => Value::Seconds(self.time_connect.unwrap_or_default()),
            "time_appconnect" => Value::Seconds(self.time_appconnect.unwrap_or_default()),
            "time_pretransfer" => Value::Seconds(self.time_pretransfer.unwrap_or_default()),
            "time_starttransfer" => Value::Seconds(self.time_starttransfer.unwrap_or_default()),
            "remote_ip" => Value::Text(Some(
                self.remote.map(|r| r.ip().to_string()).unwrap_or_default(),
            )),
            "remote_port" => Value::Number(self.remote.map_or(0, |r| u64::from(r.port()))),
            "url" => Value::Text(Some(self.url.clone())),
            "urlnum" => Value::Number(self.urlnum as u64),
            "url_effective" => Value::Text(Some(self.url_effective.clone())),
            "scheme" => text(&self.scheme),
            "content_type" => text(&self.content_type),
            "num_headers" => Value::Number(self.headers.len() as u64),
            "num_redirects" => Value::Number(self.num_redirects as u64),
            "exitcode" => Value::Number(u64::from(self.exitcode)),
            "errormsg" => text(&self.errormsg),
            _ => return None,
        })
    }

    /// curl's `%{json}`: every variable above, sorted by name.
    fn json(&self) -> String {
        let mut fields: Vec<String> = JSON_NAMES
            .iter()
            .filter_map(|name| Some(format!("\"{name}\":{}", self.value(name)?.json())))
            .collect();
        fields.sort();
        format!("{{{}}}", fields.join(","))
    }
}

/// The variables `%{json}` reports.
const JSON_NAMES: &[&str] = &[
    "content_type",
    "errormsg",
    "exitcode",
    "http_code",
    "http_version",
    "num_headers",
    "num_redirects",
    "remote_ip",
    "remote_port",
    "response_code",
    "scheme",
    "size_download",
    "size_header",
    "size_upload",
    "speed_download",
    "speed_upload",
    "time_appconnect",
    "time_connect",
    "time_namelookup",
    "time_pretransfer",
    "time_starttransfer",
    "time_total",
    "url",
    "url_effective",
    "urlnum",
];

/// A variable's value.
enum Value {
    /// Text (`None`: empty, `null` in JSON).
    Text(Option<String>),
    Number(u64),
    Seconds(Duration),
    /// Printed as it is, a number in JSON (`http_code`'s three digits).
    Raw(String),
}

impl Value {
    fn plain(self) -> String {
        match self {
            Value::Text(text) => text.unwrap_or_default(),
            Value::Number(n) => n.to_string(),
            Value::Seconds(d) => format!("{:.6}", d.as_secs_f64()),
            Value::Raw(raw) => raw,
        }
    }

    fn json(self) -> String {
        match self {
            Value::Text(None) => "null".to_string(),
            Value::Text(Some(text)) => {
                serde_json::to_string(&text).unwrap_or_else(|_| "null".to_string())
            }
            Value::Raw(raw) => raw
                .trim_start_matches('0')
                .parse::<u64>()
                .unwrap_or(0)
                .to_string(),
            other => other.plain(),
        }
    }
}

/// The format of `-w`: as given, or read from the file after `@` (`@-`: standard input).
pub fn format_of(spec: &str) -> Result<String, Failure> {
    match spec.strip_prefix('@') {
        Some(path) => read_source(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| Failure::new(26, format!("-w: reading {path}: {e}"))),
        None => Ok(spec.to_string()),
    }
}

/// `format` with `%{name}` and `%header{name}` replaced and `\n`, `\r`,
/// `\t`, `\\` unescaped. An unknown variable prints nothing and is passed
/// to `unknown` (curl warns about it).
pub fn render(format: &str, t: &Transfer, unknown: &mut dyn FnMut(&str)) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some(end) = after.find('}') {
                let name = &after[..end];
                match name {
                    "json" => out.push_str(&t.json()),
                    _ => match t.value(name) {
                        Some(value) => out.push_str(&value.plain()),
                        None => unknown(name),
                    },
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("%header{") {
            if let Some(end) = after.find('}') {
                let values: Vec<&str> = t
                    .headers
                    .get_all(&after[..end])
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                out.push_str(&values.join(", "));
                rest = &after[end + 1..];
                continue;
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
        let mut t = Transfer {
            http_code: Some(204),
            size_download: 1234,
            time_total: Duration::from_millis(1500),
            url_effective: "http://127.0.0.1/x".to_string(),
            remote: Some("[::1]:8080".parse().unwrap()),
            ..Transfer::default()
        };
        t.headers.insert("x-a", "1".parse().unwrap());
        let mut unknown = Vec::new();
        let mut warn = |name: &str| unknown.push(name.to_string());
        assert_eq!(
            render(
                "%{http_code} %{size_download} %{time_total} %{url_effective}\\n",
                &t,
                &mut warn
            ),
            "204 1234 1.500000 http://127.0.0.1/x\n"
        );
        assert_eq!(
            render("%{http_code}", &Transfer::default(), &mut warn),
            "000"
        );
        assert_eq!(
            render(
                "%{remote_ip} %{remote_port} %{speed_download}",
                &t,
                &mut warn
            ),
            "::1 8080 822"
        );
        assert_eq!(render("%header{X-A}|%header{b}|", &t, &mut warn), "1||");
        assert_eq!(render("%{nope} 100% \\q é", &t, &mut warn), " 100% \\q é");
        assert_eq!(render("%{http_code", &t, &mut warn), "%{http_code");
        assert_eq!(unknown, ["nope"]);
    }

    #[test]
    fn json_holds_every_variable_sorted() {
        let t = Transfer {
            http_code: Some(200),
            content_type: Some("text/\"x\"".to_string()),
            ..Transfer::default()
        };
        let json = render("%{json}", &t, &mut |_| {});
        assert!(
            json.starts_with("{\"content_type\":\"text/\\\"x\\\"\",\"errormsg\":null,"),
            "{json}"
        );
        assert!(json.contains(",\"http_code\":200,"), "{json}");
        assert!(json.contains(",\"time_total\":0.000000,"), "{json}");
        assert!(json.ends_with(",\"urlnum\":0}"), "{json}");
    }
}
