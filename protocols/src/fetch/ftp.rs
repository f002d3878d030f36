//! `ftp:` URLs on the FTP client (joined when the FTP client lands).

use crate::fetch::error::{FetchError, Result};
use crate::fetch::request::FetchParts;
use crate::fetch::response::{AsyncFetchResponse, FetchResponse};
use crate::fetch::FtpSettings;

pub(crate) fn fetch(_settings: &FtpSettings, _parts: FetchParts) -> Result<FetchResponse> {
    Err(FetchError::UnsupportedScheme {
        scheme: "ftp".to_string(),
    })
}

pub(crate) async fn fetch_async(
    settings: &FtpSettings,
    parts: FetchParts,
) -> Result<AsyncFetchResponse> {
    fetch(settings, parts).map(FetchResponse::into_async_blocking)
}
