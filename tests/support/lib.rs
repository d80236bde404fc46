//! Shared helpers for the integration suites in `tests/`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub mod real;

/// The repository root (this package's manifest folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every scenario file in `scenarios/`, sorted, as `(name, path)` (the regressions in its
/// subfolder are not among them: see [`regression_files`]).
pub fn scenario_files() -> Vec<(String, PathBuf)> {
    suite_files(false)
}

/// Every regression in `scenarios/regressions/` (shrunk scenarios, see its README), sorted, as
/// `(name, path)`; none when the folder does not exist.
pub fn regression_files() -> Vec<(String, PathBuf)> {
    suite_files(true)
}

/// The suite's files ([`sim::harness::suite::discover`]) that are regressions or not, as
/// `(stem, path)`.
fn suite_files(regressions: bool) -> Vec<(String, PathBuf)> {
    let dir = repo_root().join("scenarios");
    sim::harness::suite::discover(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|f| f.regression == regressions)
        .map(|f| (f.name, f.path))
        .collect()
}

/// The file stem of `path`.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Path of a scenario by name.
pub fn scenario_path(name: &str) -> PathBuf {
    repo_root().join("scenarios").join(format!("{name}.json"))
}

/// Path of a regression by name (`scenarios/regressions/NAME.json`).
pub fn regression_path(name: &str) -> PathBuf {
    repo_root()
        .join("scenarios")
        .join("regressions")
        .join(format!("{name}.json"))
}
