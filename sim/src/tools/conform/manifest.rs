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

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_committed_manifest_accounts_for_every_core_scenario_once() {
        let root = repo();
        let manifest = Manifest::load(
            &root.join("scenarios/conformance/manifest.json"),
            &root.join("scenarios"),
        )
        .expect("the manifest loads and is complete");
        assert!(
            manifest.checked.len() > manifest.excluded.len(),
            "most core scenarios are checked: {} checked, {} excluded",
            manifest.checked.len(),
            manifest.excluded.len()
        );
        assert!(manifest
            .excluded
            .values()
            .all(|reason| !reason.trim().is_empty()));
    }

    #[test]
    fn a_missing_or_unknown_scenario_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a_core.json"), "{}").expect("write");
        std::fs::write(dir.path().join("b_core.json"), "{}").expect("write");
        let manifest = dir.path().join("manifest.json");
        std::fs::write(
            &manifest,
            r#"{"description": "d", "checked": ["a_core", "z_core"], "excluded": {}}"#,
        )
        .expect("write");
        let error = Manifest::load(&manifest, dir.path()).expect_err("incomplete");
        let text = error.to_string();
        assert!(
            text.contains("`b_core` is neither checked nor excluded"),
            "{text}"
        );
        assert!(text.contains("`z_core` is not a core scenario"), "{text}");
        std::fs::write(
            &manifest,
            r#"{"description": "d", "checked": [], "extra": 1}"#,
        )
        .expect("write");
        let error = Manifest::load(&manifest, dir.path()).expect_err("unknown field");
        assert!(error.to_string().contains("extra"), "{error}");
    }
}
