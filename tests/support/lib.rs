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
    let dir = repo_root().join("scenarios");
    json_files(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
}

/// Every regression in `scenarios/regressions/` (shrunk scenarios, see its README), sorted, as
/// `(name, path)`; none when the folder does not exist.
pub fn regression_files() -> Vec<(String, PathBuf)> {
    let dir = repo_root().join("scenarios").join("regressions");
    match json_files(&dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    }
}

/// The `.json` files directly in `dir`, sorted, as `(stem, path)`.
fn json_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .map(|p| (stem(&p), p))
        .collect();
    files.sort();
    Ok(files)
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
