//! The conformance manifest (`scenarios/conformance/manifest.json`): every `core` scenario of
//! the catalog, either checked against bitcoind by `sim conform` or excluded with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The manifest's content.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// What the file is (for people).
    pub description: String,
    /// Scenario names (file stems) checked against bitcoind.
    pub checked: Vec<String>,
    /// Scenario names left out, each with why.
    pub excluded: BTreeMap<String, String>,
}

/// Why a manifest is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// It cannot be read or parsed.
    #[error("{path}: {problem}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong, with the place in the file.
        problem: String,
    },
    /// It does not account for every `core` scenario exactly once.
    #[error("{path}: {problem}")]
    Incomplete {
        /// The file.
        path: PathBuf,
        /// Which scenarios are missing, listed twice or unknown.
        problem: String,
    },
}

impl Manifest {
    /// Reads `path` and checks it against the `*_core.json` files of `scenarios`: each must be
    /// listed exactly once, as checked or excluded, and nothing else.
    ///
    /// # Errors
    /// [`ManifestError`] naming the file and what is wrong.
    pub fn load(path: &Path, scenarios: &Path) -> Result<Manifest, ManifestError> {
        let unreadable = |problem: String| ManifestError::Unreadable {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
        let mut core: Vec<String> = std::fs::read_dir(scenarios)
            .map_err(|e| unreadable(format!("{}: {e}", scenarios.display())))?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter_map(|file| file.strip_suffix("_core.json").map(|s| format!("{s}_core")))
            .collect();
        core.sort();
        let mut listed: Vec<&String> = manifest
            .checked
            .iter()
            .chain(manifest.excluded.keys())
            .collect();
        listed.sort();
        let mut problems = Vec::new();
        for pair in listed.windows(2) {
            if pair[0] == pair[1] {
                problems.push(format!("`{}` is listed twice", pair[0]));
            }
        }
        for name in &core {
            if !listed.contains(&name) {
                problems.push(format!("`{name}` is neither checked nor excluded"));
            }
        }
        for name in &listed {
            if !core.iter().any(|c| c == *name) {
                problems.push(format!(
                    "`{name}` is not a core scenario in {}",
                    scenarios.display()
                ));
            }
        }
        if problems.is_empty() {
            Ok(manifest)
        } else {
            Err(ManifestError::Incomplete {
                path: path.to_path_buf(),
                problem: problems.join("; "),
            })
        }
    }
}
