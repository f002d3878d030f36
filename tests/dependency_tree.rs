//! What `Cargo.lock` must keep selected: `url`'s IDNA on the unicode-rs
//! tables (`idna_adapter` 1.1.x) rather than ICU4X (1.2.x), which would add
//! eighteen crates and a newer minimum Rust. `cargo update` without
//! `--precise` moves it back to 1.2; this test notices.

#[test]
fn idna_stays_on_the_unicode_rs_tables() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock at the workspace root");
    let versions: Vec<&str> = lock
        .split("[[package]]")
        .filter(|package| package.contains("\nname = \"idna_adapter\"\n"))
        .filter_map(|package| package.lines().find_map(|l| l.strip_prefix("version = ")))
        .collect();
    assert_eq!(
        versions,
        ["\"1.1.0\""],
        "idna_adapter moved: run `cargo update -p idna_adapter --precise 1.1.0`"
    );
    assert!(
        !lock.contains("\nname = \"icu_normalizer\"\n"),
        "ICU4X came back into Cargo.lock"
    );
}
