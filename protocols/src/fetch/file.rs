//! `file:` URLs: a local file (seekable, for resumed fetches), a
//! directory's listing, or an upload written to the path.

use std::fs;
use std::io::{Cursor, Seek, SeekFrom};
use std::path::Path;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LAST_MODIFIED};

use crate::fetch::error::{Error, Result};
use crate::fetch::request::{form_refused, FetchParts, UploadBody};
use crate::fetch::response::FetchResponse;

fn file_error(path: &Path, source: std::io::Error) -> Error {
    Error::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens, lists or writes the file of `parts.url`.
pub(crate) fn open(parts: FetchParts) -> Result<FetchResponse> {
    let path = parts.url.to_file_path().map_err(|()| {
        Error::invalid_url(
            parts.url.as_str(),
            "a file: URL must name an absolute local path (no remote host)",
        )
    })?;
    if let Some(body) = parts.body {
        upload(&path, body)?;
        return Ok(FetchResponse::new(parts.url, Cursor::new(Vec::new()))
            .with_header(CONTENT_LENGTH, HeaderValue::from(0)));
    }
    let metadata = fs::metadata(&path).map_err(|e| file_error(&path, e))?;
    if metadata.is_dir() {
        let listing = listing(&path)?;
        return Ok(FetchResponse::new(parts.url, Cursor::new(listing.clone()))
            .with_header(CONTENT_LENGTH, HeaderValue::from(listing.len()))
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ));
    }
    let mut file = fs::File::open(&path).map_err(|e| file_error(&path, e))?;
    let offset = parts.resume_from.unwrap_or(0).min(metadata.len());
    let body: Box<dyn std::io::Read + Send> = if parts.method == http::Method::HEAD {
        // Metadata only: the file was opened to check that it can be read.
        Box::new(Cursor::new(Vec::new()))
    } else {
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| file_error(&path, e))?;
        }
        Box::new(file)
    };
    let mut response = FetchResponse::new(parts.url, body)
        .with_header(CONTENT_LENGTH, HeaderValue::from(metadata.len() - offset))
        .with_resumed_from(parts.resume_from.map(|_| offset));
    if let Ok(modified) = metadata.modified() {
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
            response = response.with_header(LAST_MODIFIED, value);
        }
    }
    Ok(response)
}

/// One name per line, sorted, directories with a trailing `/`.
fn listing(dir: &Path) -> Result<Vec<u8>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| file_error(dir, e))? {
        let entry = entry.map_err(|e| file_error(dir, e))?;
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    let mut out = String::new();
    for name in names {
        out.push_str(&name);
        out.push('\n');
    }
    Ok(out.into_bytes())
}

fn upload(path: &Path, body: UploadBody) -> Result<u64> {
    let context = || format!("writing {}", path.display());
    match body {
        UploadBody::Bytes(bytes) => {
            fs::write(path, &bytes).map_err(|e| Error::io(context(), e))?;
            Ok(bytes.len() as u64)
        }
        UploadBody::File(source) => fs::copy(&source, path).map_err(|e| Error::io(context(), e)),
        UploadBody::Reader(reader) => {
            let mut reader = reader.take()?;
            let mut file = fs::File::create(path).map_err(|e| Error::io(context(), e))?;
            let mut buf = vec![0u8; 64 * 1024];
            let mut copied = 0u64;
            loop {
                let n = match std::io::Read::read(&mut reader, &mut buf) {
                    Ok(0) => return Ok(copied),
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io("reading the upload's reader", e)),
                };
                std::io::Write::write_all(&mut file, &buf[..n])
                    .map_err(|e| Error::io(context(), e))?;
                copied += n as u64;
            }
        }
        UploadBody::Form(_) => Err(form_refused("file")),
    }
}
