//! Scenarios as JSON files: written as `sim explore` writes them ([`to_json`]) and read back
//! (a candidate that does not read back the same is never run), and the shrunk scenario's
//! file name ([`sanitize_name`]) and file ([`write_scenario`]), never replacing one unless
//! forced.

use std::path::{Path, PathBuf};

use super::error::ShrinkError;
use crate::scenario::Scenario;

/// A scenario as `sim explore` writes it: pretty JSON and a trailing newline.
///
/// # Errors
/// [`ShrinkError::Serialize`] if serde_json cannot write it (it always can for a parsed
/// scenario).
pub fn to_json(scenario: &Scenario) -> Result<String, ShrinkError> {
    serde_json::to_string_pretty(scenario)
        .map(|json| json + "\n")
        .map_err(|e| ShrinkError::Serialize(e.to_string()))
}

/// The candidate as its JSON file would give it back: `None` if it does not validate or reads
/// back differently (then its file would not reproduce it).
pub(super) fn reparse(candidate: &Scenario, name: &str) -> Option<(Scenario, String)> {
    let json = serde_json::to_string(candidate).ok()?;
    let parsed = Scenario::parse(name, &json).ok()?;
    (parsed == *candidate).then_some((parsed, json))
}

/// A file stem made of `[a-z0-9_]` that is also a Rust identifier (a regression's test is
/// named after it): letters lower-cased, anything else `_`, runs of `_` joined, `_` trimmed at
/// the ends; a leading digit gets `regression_` before it; empty gives `shrunk`.
pub fn sanitize_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && name.ends_with('_')) {
            name.push(c);
        }
    }
    let name = name.trim_matches('_');
    if name.is_empty() {
        "shrunk".to_string()
    } else if name.starts_with(|c: char| c.is_ascii_digit()) || is_keyword(name) {
        format!("regression_{name}")
    } else {
        name.to_string()
    }
}

/// Rust's strict and reserved keywords in lower case (a test function cannot be named so).
fn is_keyword(name: &str) -> bool {
    const KEYWORDS: [&str; 50] = [
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    ];
    KEYWORDS.contains(&name)
}

/// Where [`write_scenario`] puts `name` in `dir`: `dir/name.json`.
pub fn output_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Writes `scenario` as [`to_json`] to [`output_path`] (creating `dir`), refusing to replace
/// an existing file unless `force`. Returns the path.
///
/// # Errors
/// [`ShrinkError::Exists`], [`ShrinkError::Io`] naming the folder or file,
/// [`ShrinkError::Serialize`].
pub fn write_scenario(
    scenario: &Scenario,
    dir: &Path,
    name: &str,
    force: bool,
) -> Result<PathBuf, ShrinkError> {
    use std::io::Write;
    let json = to_json(scenario)?;
    std::fs::create_dir_all(dir).map_err(|source| ShrinkError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let path = output_path(dir, name);
    let io = |source: std::io::Error| ShrinkError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = if force {
        std::fs::File::create(&path).map_err(io)?
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    ShrinkError::Exists {
                        path: path.display().to_string(),
                    }
                } else {
                    io(source)
                }
            })?
    };
    file.write_all(json.as_bytes()).map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::three_peers;
    use super::*;

    #[test]
    fn names_are_sanitized_to_lower_case_identifiers() {
        assert_eq!(sanitize_name("explore-4711_shrunk"), "explore_4711_shrunk");
        assert_eq!(sanitize_name("My Bug!!.v2"), "my_bug_v2");
        assert_eq!(sanitize_name("4711"), "regression_4711");
        assert_eq!(sanitize_name("--"), "shrunk");
        assert_eq!(sanitize_name("type"), "regression_type");
        assert_eq!(sanitize_name("Ünïcode"), "n_code");
    }

    #[test]
    fn writing_refuses_to_overwrite_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("regressions");
        let s = three_peers();
        let path = write_scenario(&s, &out, "x_shrunk", false).expect("first write");
        assert_eq!(path, out.join("x_shrunk.json"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.ends_with("}\n"));
        assert_eq!(Scenario::parse("x.json", &text).expect("valid"), s);
        let error = write_scenario(&s, &out, "x_shrunk", false).expect_err("exists");
        assert!(
            matches!(error, ShrinkError::Exists { .. })
                && error.to_string().contains("x_shrunk.json exists"),
            "{error}"
        );
        write_scenario(&s, &out, "x_shrunk", true).expect("forced");
    }
}
