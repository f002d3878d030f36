//! `ftp:` URLs on the FTP client: a file is downloaded (from an offset
//! with `REST` for resumed fetches; a `HEAD` asks for its metadata only), a directory (a trailing `/`, or
//! `;type=d` for names only) is listed, and a body is uploaded with `STOR`.
//! The size and modification time (`SIZE`, `MDTM`) become `Content-Length`
//! and `Last-Modified` when the server gives them.

use std::io::Cursor;
use std::time::SystemTime;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LAST_MODIFIED};

use crate::fetch::error::{Error, Result};
use crate::fetch::request::{form_refused, FetchParts, UploadBody};
use crate::fetch::response::{AsyncFetchResponse, FetchResponse};
use crate::fetch::{blocking_reader, open_upload, waiting_reader, FtpSettings};
use crate::ftp::{self, AsyncFtpClient, FtpClient, FtpOptions, FtpUrl};

/// A refused `STOR` is an upload failure, not a missing file.
fn upload_error(err: ftp::Error) -> Error {
    match err {
        ftp::Error::FileUnavailable { code, message }
        | ftp::Error::Rejected { code, message, .. } => Error::UploadRefused(format!(
            "ftp: the server refused the upload: {code} {message}"
        )),
        other => other.into(),
    }
}

/// The URL to act on (the request's credentials win over the URL's) and the client options.
fn target(settings: &FtpSettings, parts: &FetchParts) -> Result<(FtpUrl, FtpOptions)> {
    let mut url = FtpUrl::parse(&parts.url)?;
    if let Some(credentials) = &parts.credentials {
        url.user = Some(credentials.user.clone());
        url.password = credentials.password.clone();
    }
    // The FTP client bounds each wait; an overall limit tightens those waits.
    let per_wait = match (settings.read_timeout, parts.timeout) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let options = FtpOptions::new()
        .connect_timeout(settings.connect_timeout)
        .timeout(per_wait);
    Ok((url, options))
}

fn listing_response(parts: FetchParts, lines: Vec<String>) -> FetchResponse {
    let mut body = lines.join("\n").into_bytes();
    if !body.is_empty() {
        body.push(b'\n');
    }
    let length = body.len();
    FetchResponse::new(parts.url, Cursor::new(body))
        .with_header(CONTENT_LENGTH, HeaderValue::from(length))
        .with_header(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )
}

fn uploaded_response(parts: FetchParts) -> FetchResponse {
    FetchResponse::new(parts.url, Cursor::new(Vec::new()))
        .with_header(CONTENT_LENGTH, HeaderValue::from(0))
}

/// The metadata of a download: its remaining length and modification time.
fn with_metadata<R>(
    mut response: R,
    add: impl Fn(R, http::HeaderName, HeaderValue) -> R,
    size: Option<u64>,
    offset: u64,
    modified: Option<SystemTime>,
) -> R {
    if let Some(size) = size {
        response = add(
            response,
            CONTENT_LENGTH,
            HeaderValue::from(size.saturating_sub(offset)),
        );
    }
    if let Some(time) = modified {
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(time)) {
            response = add(response, LAST_MODIFIED, value);
        }
    }
    response
}

/// The answer to a `HEAD`: the metadata, no body.
fn metadata_only(
    parts: FetchParts,
    size: Option<u64>,
    offset: u64,
    modified: Option<SystemTime>,
) -> FetchResponse {
    let response = FetchResponse::new(parts.url, Cursor::new(Vec::new()));
    with_metadata(response, FetchResponse::with_header, size, offset, modified)
}

fn directory(url: &FtpUrl) -> Option<&str> {
    let path = url.path.trim_end_matches('/');
    (!path.is_empty()).then_some(path)
}

pub(crate) fn fetch(settings: &FtpSettings, mut parts: FetchParts) -> Result<FetchResponse> {
    let (url, options) = target(settings, &parts)?;
    let mut client = FtpClient::connect_url(&url, &options)?;
    if let Some(body) = parts.body.take() {
        match body {
            UploadBody::Bytes(bytes) => client.stor(&url.path, &mut &bytes[..]),
            UploadBody::File(path) => client.stor(&url.path, &mut open_upload(&path)?.0),
            UploadBody::Reader(reader) => client.stor(&url.path, &mut reader.take()?),
            UploadBody::Form(_) => return Err(form_refused("ftp")),
        }
        .map_err(upload_error)?;
        let _ = client.quit();
        return Ok(uploaded_response(parts));
    }
    if url.is_directory() {
        let lines = if url.typecode == Some('d') {
            client.nlst(directory(&url))?
        } else {
            client.list(directory(&url))?
        };
        let _ = client.quit();
        return Ok(listing_response(parts, lines));
    }
    let size = client.size(&url.path).ok();
    let modified = client.modified(&url.path).ok();
    let offset = parts.resume_from.unwrap_or(0);
    if parts.method == http::Method::HEAD {
        let _ = client.quit();
        return Ok(metadata_only(parts, size, offset, modified));
    }
    let download = client.into_retr(&url.path, offset)?;
    let size = size.or(download
        .expected_len()
        .and_then(|len| len.checked_add(offset)));
    let response = FetchResponse::new(parts.url, download)
        .with_resumed_from(parts.resume_from.filter(|o| *o > 0));
    Ok(with_metadata(
        response,
        FetchResponse::with_header,
        size,
        offset,
        modified,
    ))
}

pub(crate) async fn fetch_async(
    settings: &FtpSettings,
    mut parts: FetchParts,
) -> Result<AsyncFetchResponse> {
    let (url, options) = target(settings, &parts)?;
    let mut client = AsyncFtpClient::connect_url(&url, &options).await?;
    if let Some(body) = parts.body.take() {
        match body {
            UploadBody::Bytes(bytes) => client.stor(&url.path, &mut &bytes[..]).await,
            UploadBody::Form(_) => return Err(form_refused("ftp")),
            UploadBody::File(path) => {
                let mut file = blocking_reader(Box::new(open_upload(&path)?.0));
                client.stor(&url.path, &mut file).await
            }
            UploadBody::Reader(reader) => {
                let mut reader = waiting_reader(reader.take()?);
                client.stor(&url.path, &mut reader).await
            }
        }
        .map_err(upload_error)?;
        let _ = client.quit().await;
        return Ok(uploaded_response(parts).into_async_in_place());
    }
    if url.is_directory() {
        let lines = if url.typecode == Some('d') {
            client.nlst(directory(&url)).await?
        } else {
            client.list(directory(&url)).await?
        };
        let _ = client.quit().await;
        return Ok(listing_response(parts, lines).into_async_in_place());
    }
    let size = client.size(&url.path).await.ok();
    let modified = client.modified(&url.path).await.ok();
    let offset = parts.resume_from.unwrap_or(0);
    if parts.method == http::Method::HEAD {
        let _ = client.quit().await;
        return Ok(metadata_only(parts, size, offset, modified).into_async_in_place());
    }
    let download = client.into_retr(&url.path, offset).await?;
    let size = size.or(download
        .expected_len()
        .and_then(|len| len.checked_add(offset)));
    let response = AsyncFetchResponse::new(parts.url, download)
        .with_resumed_from(parts.resume_from.filter(|o| *o > 0));
    Ok(with_metadata(
        response,
        AsyncFetchResponse::with_header,
        size,
        offset,
        modified,
    ))
}
