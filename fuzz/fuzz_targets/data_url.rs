//! A `data:` URL fetched through the URL fetcher (no network involved).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(response) = protocols::fetch::fetch(format!("data:{text}")) {
        let _ = response.text();
    }
});
