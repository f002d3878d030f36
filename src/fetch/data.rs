//! The request body of `-d`, `--data-raw`, `--data-binary`,
//! `--data-urlencode` and `--json`, read and joined as curl 7.88 does: in
//! command-line order, `&` before each piece but a `--json` one; `@FILE`
//! (`@-`: standard input) reads a piece from a file, `-d` dropping its
//! carriage returns and newlines.

use netstack::protocols::fetch::FetchRequest;

use super::sequence::Sequenced;
use super::stdin::read_source;
use super::{Failure, FetchArgs};

/// The body the `-d` family built.
pub struct RequestData {
    /// The bytes, joined.
    pub bytes: Vec<u8>,
    /// True when a piece came from `--json` (then the request is JSON).
    pub json: bool,
}

/// How a flag of the family reads its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `-d`: `@FILE` without CR and LF, or the text.
    Ascii,
    /// `--data-raw`: the text, `@` included.
    Raw,
    /// `--data-binary`: `@FILE` byte for byte, or the text.
    Binary,
    /// `--data-urlencode`: one of curl's five forms, percent-encoded.
    UrlEncode,
    /// `--json`: like `--data-binary`, and joined without `&`.
    Json,
}

/// True when a flag of the family was given.
pub fn given(args: &FetchArgs) -> bool {
    let flags = &args.request;
    !(args.data.is_empty()
        && flags.data_raw.is_empty()
        && args.data_binary.is_empty()
        && flags.data_urlencode.is_empty()
        && flags.json.is_empty())
}

/// The body of the request, `None` when no flag of the family was given.
pub fn collect(args: &FetchArgs) -> Result<Option<RequestData>, Failure> {
    let flags = &args.request;
    let mut pieces: Vec<(&Sequenced, Kind)> = Vec::new();
    pieces.extend(args.data.iter().map(|v| (v, Kind::Ascii)));
    pieces.extend(flags.data_raw.iter().map(|v| (v, Kind::Raw)));
    pieces.extend(args.data_binary.iter().map(|v| (v, Kind::Binary)));
    pieces.extend(flags.data_urlencode.iter().map(|v| (v, Kind::UrlEncode)));
    pieces.extend(flags.json.iter().map(|v| (v, Kind::Json)));
    if pieces.is_empty() {
        return Ok(None);
    }
    pieces.sort_by_key(|(value, _)| value.place);
    let mut data = RequestData {
        bytes: Vec::new(),
        json: false,
    };
    for (index, (value, kind)) in pieces.into_iter().enumerate() {
        if index > 0 && kind != Kind::Json {
            data.bytes.push(b'&');
        }
        data.json |= kind == Kind::Json;
        data.bytes.extend(piece(&value.value, kind)?);
    }
    Ok(Some(data))
}

/// The `Content-Type` (and, for JSON, `Accept`) of a request with `data`,
/// unless `-H` sets it.
pub fn add_headers(
    given: &dyn Fn(&str) -> bool,
    args: &FetchArgs,
    data: Option<&RequestData>,
    mut request: FetchRequest,
) -> FetchRequest {
    let Some(data) = data else {
        return request;
    };
    if data.json {
        for name in ["Content-Type", "Accept"] {
            if !given(name) {
                request = request.header(name, "application/json");
            }
        }
    } else if !given("Content-Type") && !args.request.get {
        request = request.header("Content-Type", "application/x-www-form-urlencoded");
    }
    request
}

fn read(path: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    let shown = if path == "-" { "standard input" } else { path };
    read_source(path).map_err(|e| Failure::new(26, format!("{flag}: reading {shown}: {e}")))
}

fn piece(spec: &str, kind: Kind) -> Result<Vec<u8>, Failure> {
    match kind {
        Kind::Raw => Ok(spec.as_bytes().to_vec()),
        Kind::Ascii => match spec.strip_prefix('@') {
            Some(path) => {
                let mut bytes = read(path, "-d")?;
                bytes.retain(|b| *b != b'\n' && *b != b'\r');
                Ok(bytes)
            }
            None => Ok(spec.as_bytes().to_vec()),
        },
        Kind::Binary | Kind::Json => match spec.strip_prefix('@') {
            Some(path) => read(
                path,
                if kind == Kind::Json {
                    "--json"
                } else {
                    "--data-binary"
                },
            ),
            None => Ok(spec.as_bytes().to_vec()),
        },
        Kind::UrlEncode => url_encoded(spec),
    }
}

/// `--data-urlencode`: `content`, `=content`, `name=content`, `@file` or
/// `name@file` (the first `=` decides; else the first `@`). The content is
/// percent-encoded (all but `A-Z a-z 0-9 - . _ ~`, a space as `+`); the
/// name is sent as it is.
fn url_encoded(spec: &str) -> Result<Vec<u8>, Failure> {
    let (name, content) = match spec.split_once('=') {
        Some((name, text)) => (name, text.as_bytes().to_vec()),
        None => match spec.split_once('@') {
            Some((name, path)) => (name, read(path, "--data-urlencode")?),
            None => ("", spec.as_bytes().to_vec()),
        },
    };
    let encoded = encode(&content);
    Ok(if name.is_empty() {
        encoded.into_bytes()
    } else {
        format!("{name}={encoded}").into_bytes()
    })
}

/// Every byte but the unreserved ones percent-encoded, a space as `+`.
fn encode(bytes: &[u8]) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::percent_encode(bytes, KEEP)
        .to_string()
        .replace("%20", "+")
}

#[cfg(test)]
mod tests {
    use super::{encode, url_encoded};

    #[test]
    fn url_encoding_follows_curl() {
        assert_eq!(encode("~-._*!é/+ ".as_bytes()), "~-._%2A%21%C3%A9%2F%2B+");
        assert_eq!(url_encoded("a b").unwrap(), b"a+b");
        assert_eq!(url_encoded("=e&f").unwrap(), b"e%26f");
        assert_eq!(url_encoded("n=v w").unwrap(), b"n=v+w");
        assert_eq!(url_encoded("a@b=c").unwrap(), b"a@b=c");
    }
}
