//! Shared helpers for the integration suites in `tests/`.

use std::path::{Path, PathBuf};

pub mod real;

/// The repository root (this package's manifest folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every scenario file in `scenarios/`, sorted, as `(name, path)`.
pub fn scenario_files() -> Vec<(String, PathBuf)> {
    let dir = repo_root().join("scenarios");
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (stem(&p), p))
        .collect();
    files.sort();
    files
}

/// The file stem of `path`.
pub fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Path of a scenario by name.
pub fn scenario_path(name: &str) -> PathBuf {
    repo_root().join("scenarios").join(format!("{name}.json"))
}
