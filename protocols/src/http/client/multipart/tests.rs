use super::*;
use crate::http::client::body::{BodyKind, BodyReader};

/// The content type and the bytes the body sends, read in small pieces.
fn sent(form: Multipart) -> (String, Vec<u8>) {
    let (body, content_type) = form.into_parts().unwrap();
    let length = body.len().unwrap();
    let mut bytes = Vec::new();
    match BodyReader::of(body.kind) {
        None => panic!("in-memory bodies are tested through a file-backed one"),
        Some(mut reader) => {
            let mut buf = [0u8; 7];
            loop {
                let n = reader.read_blocking(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&buf[..n]);
            }
        }
    }
    assert_eq!(
        bytes.len() as u64,
        length,
        "the length announced is the length sent"
    );
    (content_type.to_str().unwrap().to_string(), bytes)
}

fn file_with(dir: &testkit::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn fields_and_files_are_encoded_as_curl_encodes_them() {
    let dir = testkit::TempDir::new("multipart");
    let path = file_with(&dir, "notes.txt", b"line one\nline two\n");
    let form = Multipart::new()
        .text("name", "Ada \"the\" first")
        .file("upload", &path)
        .part(
            "raw",
            Part::bytes(&b"\x00\x01"[..]).content_type("application/x-raw"),
        );
    let boundary = form.boundary().to_string();
    let (content_type, body) = sent(form);
    assert_eq!(
        content_type,
        format!("multipart/form-data; boundary={boundary}")
    );
    assert_eq!(boundary.len(), 40);
    assert!(boundary.starts_with(&"-".repeat(24)));
    let expected = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda \"the\" first\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nline one\nline two\n\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"raw\"\r\n\
         Content-Type: application/x-raw\r\n\r\n\x00\x01\r\n\
         --{b}--\r\n",
        b = boundary
    );
    assert_eq!(body, expected.as_bytes());
}

#[test]
fn quotes_and_line_breaks_in_names_are_percent_encoded() {
    let form = Multipart::new().part("a\"b\r\nc", Part::bytes("v").file_name("x\"y"));
    let (body, _) = form.into_parts().unwrap();
    let BodyKind::Bytes(bytes) = body.kind else {
        panic!("an in-memory form is bytes");
    };
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("name=\"a%22b%0D%0Ac\"; filename=\"x%22y\""),
        "{text}"
    );
}

#[test]
fn a_boundary_found_in_a_part_is_drawn_again() {
    let first = Multipart::new();
    let taken = first.boundary().to_string();
    let dir = testkit::TempDir::new("multipart-boundary");
    // The boundary line across two 64 KiB read pieces of the file.
    let mut contents = vec![b'x'; 64 * 1024 - 10];
    contents.extend_from_slice(format!("--{taken}").as_bytes());
    let path = file_with(&dir, "data.bin", &contents);
    let (content_type, body) = sent(first.file("f", &path));
    assert!(!content_type.contains(&taken), "{content_type}");
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let line = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(line.as_bytes());
    assert_eq!(
        finder.find_iter(&body).count(),
        2,
        "the opening and the closing line"
    );
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_naming_it() {
    let err = Multipart::new()
        .file("f", "/no/such/file.txt")
        .into_parts()
        .expect_err("an error");
    assert!(err.to_string().contains("/no/such/file.txt"), "{err}");
}

#[test]
fn content_types_are_guessed_from_the_extension_as_curl_does() {
    assert_eq!(content_type_of(Path::new("a.PNG")), "image/png");
    assert_eq!(content_type_of(Path::new("a.jpeg")), "image/jpeg");
    assert_eq!(
        content_type_of(Path::new("a.tar.gz")),
        "application/octet-stream"
    );
    assert_eq!(
        content_type_of(Path::new("Makefile")),
        "application/octet-stream"
    );
}

#[test]
fn in_memory_forms_are_replayable_and_forms_with_files_are_not() {
    let (body, _) = Multipart::new().text("a", "1").into_parts().unwrap();
    assert!(body.is_replayable());
    let dir = testkit::TempDir::new("multipart-replay");
    let path = file_with(&dir, "f", b"x");
    let (body, _) = Multipart::new().file("f", &path).into_parts().unwrap();
    assert!(!body.is_replayable());
}

#[test]
fn the_content_length_is_the_length_of_the_body_made() {
    let dir = testkit::TempDir::new("multipart-length");
    let path = file_with(&dir, "f.txt", &[b'z'; 70_000]);
    let form = Multipart::new()
        .text("a", "1")
        .part("b", Part::bytes("two").file_name("b.bin"))
        .file("f", &path);
    let announced = form.content_length().unwrap();
    let (body, _) = form.into_parts().unwrap();
    assert_eq!(body.len(), Some(announced));
    let (body, _) = Multipart::new().into_parts().unwrap();
    assert_eq!(body.len(), Some(Multipart::new().content_length().unwrap()));
}
