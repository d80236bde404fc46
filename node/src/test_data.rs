//! Real header files for unit tests, read from `../shared/data` beside the repository after
//! checking their SHA-256 against `SHA256SUMS` there. A missing file fails under `CI=true` and
//! is skipped (with a notice) elsewhere.

use std::path::PathBuf;

use bitcoin::block::Header;
use bitcoin::hashes::{sha256, Hash};

/// `<repository root>/../shared/data`.
pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// The bytes of `relative` (a path inside the data folder, as `SHA256SUMS` lists it without
/// its `./`), after checking its SHA-256; `None` (with a notice) when it is missing outside CI.
///
/// # Panics
/// Under `CI=true` when the file is missing; whenever its digest differs or it is not listed.
pub(crate) fn read_data(relative: &str) -> Option<Vec<u8>> {
    let dir = data_dir();
    let path = dir.join(relative);
    let sums_path = dir.join("SHA256SUMS");
    if !path.exists() || !sums_path.exists() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "test data {} is missing (required under CI=true)",
                path.display()
            );
        }
        eprintln!(
            "notice: test data {} not found, skipping this test",
            path.display()
        );
        return None;
    }
    let bytes = std::fs::read(&path).expect("data file is readable");
    let sums = std::fs::read_to_string(&sums_path).expect("SHA256SUMS is readable");
    let name = format!("./{relative}");
    let expected = sums
        .lines()
        .find_map(|line| {
            let (digest, listed) = line.split_once("  ")?;
            (listed == name).then(|| digest.to_owned())
        })
        .unwrap_or_else(|| panic!("{name} is not listed in SHA256SUMS"));
    assert_eq!(
        sha256::Hash::hash(&bytes).to_string(),
        expected,
        "SHA-256 of {name}"
    );
    Some(bytes)
}

/// One 80-byte consensus-serialized header.
pub(crate) fn decode_header(bytes: &[u8]) -> Header {
    bitcoin::consensus::deserialize(bytes).expect("an 80-byte header")
}

/// A file of raw 80-byte headers back to back.
pub(crate) fn read_headers(relative: &str) -> Option<Vec<Header>> {
    let bytes = read_data(relative)?;
    assert_eq!(bytes.len() % 80, 0, "{relative} holds whole headers");
    Some(bytes.chunks_exact(80).map(decode_header).collect())
}
