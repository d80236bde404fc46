//! `sim suite`: every scenario and regression, twice each, against its reviewed snapshot; the
//! table and the totals.

use std::path::Path;
use std::process::ExitCode;

use super::names::reproduce;
use crate::harness::outcome::Outcome;
use crate::scenario::Scenario;

/// Compares an outcome with its reviewed snapshot. `None`: equal; `Some(why)`: differs or is
/// missing; the JSON after the insta header is compared as a value, not as text.
fn snapshot_mismatch(snapshots: &Path, outcome: &Outcome) -> Option<String> {
    let path = snapshots.join(format!("{}.snap", outcome.scenario));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Some(format!("no reviewed snapshot {}", path.display()));
    };
    let body = text.splitn(3, "---\n").nth(2).unwrap_or_default();
    let expected: serde_json::Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(error) => {
            return Some(format!(
                "{}: not an insta JSON snapshot: {error}",
                path.display()
            ))
        }
    };
    let actual = serde_json::to_value(outcome).unwrap_or_default();
    if actual == expected {
        return None;
    }
    let field = match (&actual, &expected) {
        (serde_json::Value::Object(a), serde_json::Value::Object(e)) => a
            .keys()
            .chain(e.keys())
            .find(|k| a.get(*k) != e.get(*k))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(format!(
        "outcome differs from {} (first field: `{field}`); review with `cargo test --release --test scenarios`",
        path.display()
    ))
}

/// `sim suite`: runs every scenario file of `dir`, then of `dir/regressions`, twice each
/// ([`crate::harness::suite::check`]), compares each outcome with its reviewed snapshot in
/// `snapshots`, and prints a table and the totals. Exit code 0: all passed; 1: some failed (the
/// reproducing commands are printed); 2: no scenario files.
pub fn suite(dir: &Path, snapshots: &Path) -> ExitCode {
    // The scenarios, then the regressions (`regressions/NAME` in the table, snapshot
    // `SNAPSHOTS/regressions/NAME.snap`). The outcome's name is the file stem either way.
    let files = match crate::harness::suite::discover(dir) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        eprintln!("error: no scenario files in {}", dir.display());
        return ExitCode::from(2);
    }
    println!(
        "{:<48} {:<7} {:>6} {:>11} {:>9} {:>9}",
        "scenario", "profile", "result", "simulated_s", "wall_s", "sim/wall"
    );
    let mut failed = Vec::new();
    let (mut simulated_total_ms, mut wall_total_ms) = (0u64, 0u64);
    for file in &files {
        let (name, path) = (file.qualified_name("/"), &file.path);
        let scenario = Scenario::load(path);
        let profile = scenario
            .as_ref()
            .map_or("?", |s| s.node.profile.profile().as_str());
        match scenario.and_then(|s| crate::harness::suite::check(&s, &file.name)) {
            Ok(checked) => {
                let mut failures = checked.failures();
                let result = checked.result;
                simulated_total_ms += result.simulated_ms;
                wall_total_ms += result.wall_ms;
                failures.extend(
                    snapshot_mismatch(&file.snapshot_dir(snapshots), &result.outcome).map(
                        |message| crate::harness::failure::Failure::SnapshotDiffers { message },
                    ),
                );
                let verdict = if failures.is_empty() { "pass" } else { "FAIL" };
                println!(
                    "{name:<48} {profile:<7} {verdict:>6} {:>11.1} {:>9.2} {:>9.0}",
                    result.simulated_ms as f64 / 1000.0,
                    result.wall_ms as f64 / 1000.0,
                    result.simulated_ms as f64 / (result.wall_ms.max(1) as f64)
                );
                if !failures.is_empty() {
                    for failure in &failures {
                        println!("    {failure}");
                    }
                    failed.push(reproduce(path, result.outcome.seed));
                }
            }
            Err(error) => {
                println!("{name:<48} {profile:<7} {:>6}", "ERROR");
                println!("    {error}");
                failed.push(reproduce(path, Scenario::load(path).map_or(0, |s| s.seed)));
            }
        }
    }
    println!(
        "{} passed, {} failed; {:.1} simulated s in {:.2} wall s ({:.0}x)",
        files.len() - failed.len(),
        failed.len(),
        simulated_total_ms as f64 / 1000.0,
        wall_total_ms as f64 / 1000.0,
        simulated_total_ms as f64 / (wall_total_ms.max(1) as f64)
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("reproduce the failures with:");
        for command in failed {
            println!("  {command}");
        }
        ExitCode::FAILURE
    }
}
