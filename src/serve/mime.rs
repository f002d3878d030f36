//! `Content-Type` by file extension, from mime_guess's table (the one
//! actix-files and warp use), text types marked UTF-8.

/// The media type for a file name, by its extension (case-insensitive);
/// `application/octet-stream` when unknown. Text types say UTF-8.
pub fn content_type(file_name: &str) -> String {
    let named = matches!(file_name.rsplit_once('.'), Some((stem, _)) if !stem.is_empty());
    let guess = named
        .then(|| mime_guess::from_path(file_name).first_raw())
        .flatten();
    match guess {
        Some(kind) if kind.starts_with("text/") => format!("{kind}; charset=utf-8"),
        Some(kind) => kind.to_string(),
        None => "application/octet-stream".to_string(),
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
        // Beyond the table this replaced.
        assert_eq!(content_type("font.ttf"), "font/ttf");
        assert_eq!(content_type("image.avif"), "image/avif");
        assert_eq!(content_type("clip.mov"), "video/quicktime");
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_streams() {
        for name in ["Makefile", "archive.qqqz", ".bashrc", "trailing.", ""] {
            assert_eq!(content_type(name), "application/octet-stream", "{name:?}");
        }
    }
}
