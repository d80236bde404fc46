//! How the commands name things: a scenario file by its stem, and the command that reproduces
//! a run.

use std::path::Path;

/// The file stem of `path` (the whole path if it has none): a run's name.
pub fn name_of(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// The `cargo run` command that reruns the scenario file at `path` with `seed` and its trace.
pub fn reproduce(path: &Path, seed: u64) -> String {
    format!(
        "cargo run --release -p sim -- run {} --seed {seed} --trace",
        path.display()
    )
}
