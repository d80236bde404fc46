//! The suite: which scenario files it holds and the check each one gets. `sim suite` and the
//! `scenarios` integration test both run it; each then compares the outcome with the reviewed
//! snapshot its own way (`sim suite` reads the `.snap` file, the test asserts with insta).
//!
//! The files are the `.json` files directly in the scenario folder, then those of its
//! `regressions/` subfolder (shrunk scenarios that failed before a fix), each sorted by path.
//! A file's outcome is named by its file stem either way; a regression's snapshot lives in the
//! snapshot folder's `regressions/` subfolder.

use std::path::{Path, PathBuf};

use crate::error::SimError;
pub use crate::harness::failure::Divergence;
use crate::harness::failure::Failure;
use crate::harness::runner::{run_scenario, RunResult};
use crate::scenario::Scenario;

/// The subfolder of the scenario folder holding regressions, and of the snapshot folder
/// holding their snapshots.
pub const REGRESSIONS: &str = "regressions";

/// One scenario file of the suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteFile {
    /// Its file stem: the outcome's scenario name and the snapshot's file name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Whether it is a regression (in `regressions/`).
    pub regression: bool,
}

impl SuiteFile {
    /// Its name with the folder for a regression: `regressions{separator}NAME` (`sim suite`
    /// writes `regressions/NAME`, the test `regressions::NAME`), else `NAME`.
    pub fn qualified_name(&self, separator: &str) -> String {
        if self.regression {
            format!("{REGRESSIONS}{separator}{}", self.name)
        } else {
            self.name.clone()
        }
    }

    /// The folder of its snapshot, given the snapshot folder of the scenarios.
    pub fn snapshot_dir(&self, snapshots: &Path) -> PathBuf {
        if self.regression {
            snapshots.join(REGRESSIONS)
        } else {
            snapshots.to_path_buf()
        }
    }
}

/// A scenario folder that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", dir.display())]
pub struct DiscoverError {
    /// The folder.
    pub dir: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// The suite's files in `dir`: its scenarios, then its regressions (none when `dir` has no
/// `regressions/` subfolder).
///
/// # Errors
/// `dir`, or its `regressions/` subfolder when it exists, cannot be read.
pub fn discover(dir: &Path) -> Result<Vec<SuiteFile>, DiscoverError> {
    let files = |dir: &Path, regression: bool| {
        crate::scenario::json_files(dir).map(|paths| {
            paths
                .into_iter()
                .map(|path| SuiteFile {
                    name: stem(&path),
                    path,
                    regression,
                })
                .collect::<Vec<_>>()
        })
    };
    let mut all = files(dir, false).map_err(|source| DiscoverError {
        dir: dir.to_path_buf(),
        source,
    })?;
    let regressions = dir.join(REGRESSIONS);
    match files(&regressions, true) {
        Ok(found) => all.extend(found),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(DiscoverError {
                dir: regressions,
                source,
            })
        }
    }
    Ok(all)
}

/// The file stem of `path` (the whole path when it has none).
fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// What the suite's check found for one scenario.
#[derive(Debug)]
pub struct Checked {
    /// The first run.
    pub result: RunResult,
    /// Where a second run's trace differed from the first's, if it did.
    pub divergence: Option<Divergence>,
}

impl Checked {
    /// Every failure: the failed expectations, invariants and faults of the first run, then a
    /// divergence of the second.
    pub fn failures(&self) -> Vec<Failure> {
        let mut failures = self.result.failures.clone();
        failures.extend(self.divergence.clone().map(Failure::NotDeterministic));
        failures
    }

    /// Whether the scenario passed the check.
    pub fn passed(&self) -> bool {
        self.result.failures.is_empty() && self.divergence.is_none()
    }
}

/// Runs `scenario` as `name` twice with its own seed: the first run's result, and where the
/// second's trace differs from it, if it does.
///
/// # Errors
/// Either run's harness error ([`SimError`]).
pub fn check(scenario: &Scenario, name: &str) -> Result<Checked, SimError> {
    let result = run_scenario(scenario, name, None)?;
    let again = run_scenario(scenario, name, None)?;
    let (a, b) = (result.recorder.text(), again.recorder.text());
    let divergence = (a != b).then(|| {
        let line = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(a.lines().count().min(b.lines().count()));
        Divergence {
            seed: scenario.seed,
            line,
            first: a.lines().nth(line).map(str::to_string),
            second: b.lines().nth(line).map(str::to_string),
        }
    });
    Ok(Checked { result, divergence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_lists_scenarios_then_regressions_and_names_them_by_stem() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["b.json", "a.json", "notes.md"] {
            std::fs::write(dir.path().join(name), "{}").expect("write");
        }
        let files = discover(dir.path()).expect("readable");
        let names: Vec<String> = files.iter().map(|f| f.qualified_name("/")).collect();
        assert_eq!(names, ["a", "b"], "no regressions folder: none");
        std::fs::create_dir(dir.path().join(REGRESSIONS)).expect("mkdir");
        std::fs::write(dir.path().join(REGRESSIONS).join("a.json"), "{}").expect("write");
        let files = discover(dir.path()).expect("readable");
        let names: Vec<String> = files.iter().map(|f| f.qualified_name("::")).collect();
        assert_eq!(names, ["a", "b", "regressions::a"]);
        let snapshots = Path::new("snaps");
        assert_eq!(files[0].snapshot_dir(snapshots), Path::new("snaps"));
        assert_eq!(
            files[2].snapshot_dir(snapshots),
            Path::new("snaps/regressions")
        );
        let missing = dir.path().join("nowhere");
        let error = discover(&missing).expect_err("no folder").to_string();
        assert!(
            error.starts_with(&format!("cannot read {}: ", missing.display())),
            "{error}"
        );
    }
}
