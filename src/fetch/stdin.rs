//! `@-` and `-T -`: data read from standard input, as curl reads it.

use std::io::{self, Read};
use std::path::Path;

/// The bytes of `source`: standard input for `-`, otherwise the file.
pub fn read_source(source: &str) -> io::Result<Vec<u8>> {
    if source == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(Path::new(source))
    }
}
