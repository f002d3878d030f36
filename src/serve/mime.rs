//! `Content-Type` by file extension: a table of the common types.

/// The media type for a file name, by its extension (case-insensitive);
/// `application/octet-stream` when unknown. Text types say UTF-8.
pub fn content_type(file_name: &str) -> &'static str {
    let extension = match file_name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => extension.to_ascii_lowercase(),
        _ => return "application/octet-stream",
    };
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "txt" | "text" | "log" | "md" | "rs" | "toml" | "c" | "h" | "py" | "sh" => {
            "text/plain; charset=utf-8"
        }
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn common_extensions_have_their_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("notes.TXT"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a.b.json"), "application/json");
        assert_eq!(content_type("photo.JPeG"), "image/jpeg");
        assert_eq!(content_type("app.wasm"), "application/wasm");
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_streams() {
        for name in ["Makefile", "archive.xyz", ".bashrc", "trailing.", ""] {
            assert_eq!(content_type(name), "application/octet-stream", "{name:?}");
        }
    }
}
