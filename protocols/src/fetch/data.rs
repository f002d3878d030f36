//! `data:` URLs (RFC 2397, processed as the WHATWG Fetch Standard says):
//! the media type and the decoded bytes, base64 or percent-encoded.

use crate::fetch::error::{Error, Result};

/// The media type (`text/plain;charset=US-ASCII` when none is given) and the bytes of `url`.
pub(crate) fn decode(url: &str) -> Result<(String, Vec<u8>)> {
    let data = data_url::DataUrl::process(url).map_err(|e| {
        let why = match e {
            data_url::DataUrlError::NoComma => {
                "it has no comma between the media type and the data (data:[<media type>][;base64],<data>)"
            }
            _ => "it is not a data: URL (data:[<media type>][;base64],<data>)",
        };
        Error::invalid_url(url, format!("data: URL: {why}"))
    })?;
    let (body, _fragment) = data
        .decode_to_vec()
        .map_err(|_| Error::invalid_url(url, "data: URL: invalid base64"))?;
    Ok((data.mime_type().to_string(), body))
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::fetch::ErrorKind;

    #[test]
    fn percent_encoded_and_base64_bodies_decode() {
        let (mime, body) = decode("data:,Hello%2C%20World!").unwrap();
        assert_eq!(mime, "text/plain;charset=US-ASCII");
        assert_eq!(body, b"Hello, World!");
        let (mime, body) = decode("data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==").unwrap();
        assert_eq!(mime, "text/plain");
        assert_eq!(body, b"Hello, World!");
        let (mime, body) = decode("data:application/octet-stream;base64,AAEC/w==").unwrap();
        assert_eq!(mime, "application/octet-stream");
        assert_eq!(body, [0, 1, 2, 255]);
    }

    #[test]
    fn malformed_data_urls_are_invalid_urls() {
        for bad in ["data:text/plain", "data:;base64,%%%", "data:;base64,A"] {
            let err = decode(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{bad}: {err}");
            assert!(err.to_string().starts_with("fetch: invalid URL"), "{err}");
        }
    }
}
