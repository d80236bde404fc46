//! The real header sets beside the repository (`../shared/data/`, see its `README.md`).
//!
//! Each file is looked up in `../shared/data/SHA256SUMS` and read through the simulator's loaders
//! ([`sim::scenario::chain::headers_from_file`],
//! [`sim::scenario::chain::headers_from_block_file`]), which check its SHA-256
//! (`bitcoin::hashes::sha256`) before decoding it. A missing file is an error when the environment
//! variable `CI` is `true` and `Ok(None)` (with a notice on standard error) elsewhere, the
//! project's rule for real test data.

use std::path::PathBuf;

use bitcoin::block::Header;
use bitcoin::Network;

/// Why a data file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file or `SHA256SUMS` is missing and `CI=true`.
    #[error("test data {0} is missing (required under CI=true; ../shared/data sits beside the repository)")]
    MissingUnderCi(PathBuf),
    /// `SHA256SUMS` could not be read.
    #[error("{path}: {source}")]
    Sums {
        /// The `SHA256SUMS` file.
        path: PathBuf,
        /// The read error.
        source: std::io::Error,
    },
    /// The file is not listed in `SHA256SUMS` (as `./<relative path>`).
    #[error("{0} is not listed in SHA256SUMS")]
    Unlisted(String),
    /// The file's digest, format, genesis or links are wrong (the simulator loader's message).
    #[error(transparent)]
    Load(#[from] sim::SimError),
}

/// `<repository root>/../shared/data`, from this crate's manifest folder.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// Whether a missing data file must fail: the environment variable `CI` is `true`.
pub fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The path of `relative` under [`data_dir`] and its SHA-256 (hex) from `SHA256SUMS`, or
/// `Ok(None)` if either file is missing outside CI.
///
/// # Errors
///
/// [`DataError::MissingUnderCi`], [`DataError::Sums`] or [`DataError::Unlisted`].
pub fn locate(relative: &str) -> Result<Option<(String, String)>, DataError> {
    let dir = data_dir();
    let path = dir.join(relative);
    let sums_path = dir.join("SHA256SUMS");
    for needed in [&path, &sums_path] {
        if !needed.exists() {
            if required() {
                return Err(DataError::MissingUnderCi(needed.clone()));
            }
            eprintln!("notice: test data {} not found, skipping", needed.display());
            return Ok(None);
        }
    }
    let sums = std::fs::read_to_string(&sums_path).map_err(|source| DataError::Sums {
        path: sums_path,
        source,
    })?;
    let listed = format!("./{relative}");
    let digest = sums
        .lines()
        .find_map(|line| {
            let (digest, name) = line.split_once("  ")?;
            (name == listed).then(|| digest.to_owned())
        })
        .ok_or(DataError::Unlisted(listed))?;
    Ok(Some((path.to_string_lossy().into_owned(), digest)))
}

/// Raw 80-byte headers from genesis (`headers/*.bin`), digest, genesis and links checked.
///
/// # Errors
///
/// See [`locate`]; [`DataError::Load`] if the file is not `network`'s chain from genesis.
pub fn header_file(relative: &str, network: Network) -> Result<Option<Vec<Header>>, DataError> {
    let Some((path, digest)) = locate(relative)? else {
        return Ok(None);
    };
    Ok(Some(sim::scenario::chain::headers_from_file(
        &path, &digest, network,
    )?))
}

/// The headers of the blocks in a block file (records `magic ‖ u32 LE length ‖ block`, as in
/// `blocks/btcd-fork/`), digest and every record's magic checked, in file order.
///
/// # Errors
///
/// See [`locate`]; [`DataError::Load`] if a record is malformed.
pub fn block_file_headers(
    relative: &str,
    network: Network,
) -> Result<Option<Vec<Header>>, DataError> {
    let Some((path, digest)) = locate(relative)? else {
        return Ok(None);
    };
    Ok(Some(sim::scenario::chain::headers_from_block_file(
        &path, &digest, network,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlisted_name_is_an_error_and_a_missing_file_follows_the_ci_rule() {
        if !data_dir().join("SHA256SUMS").exists() {
            assert!(!required(), "SHA256SUMS is missing under CI=true");
            return;
        }
        // Present in SHA256SUMS's folder but not listed: the sums file itself.
        assert!(
            matches!(locate("SHA256SUMS"), Err(DataError::Unlisted(name)) if name == "./SHA256SUMS")
        );
        let missing = locate("headers/no-such-file.bin");
        if required() {
            assert!(matches!(missing, Err(DataError::MissingUnderCi(_))));
        } else {
            assert!(matches!(missing, Ok(None)));
        }
    }
}
