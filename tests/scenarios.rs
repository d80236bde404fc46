//! Every scenario file: its expectations hold, two runs in this process give byte-identical
//! traces, and its outcome equals the reviewed insta snapshot in `snapshots/` (under `CI=true`
//! insta writes nothing, so a missing or changed snapshot fails).
//!
//! The files are found when the test runs (`sim::harness::suite::discover`), one trial each, so a
//! new file is a new trial with no list to keep. The regressions in `scenarios/regressions/`
//! (shrunk by `sim shrink`) are checked the same way, as trials `regressions::NAME`, against
//! `snapshots/regressions/NAME.snap`; the outcome names them by their file stem, as `sim suite`
//! does. A harness of its own (libtest-mimic): `cargo test --release --test scenarios [FILTER]`
//! takes libtest's arguments and ends with libtest's `test result:` line.

use std::path::Path;

use headersim_tests::repo_root;
use libtest_mimic::{Arguments, Failed, Trial};
use sim::harness::suite::SuiteFile;
use sim::Scenario;

/// Runs the scenario file twice (`sim::harness::suite::check`), then compares its outcome with its
/// snapshot under `snapshots`.
fn check(file: &SuiteFile, snapshots: &Path) -> Result<(), Failed> {
    let name = &file.name;
    let scenario = Scenario::load(&file.path)?;
    let checked =
        sim::harness::suite::check(&scenario, name).map_err(|e| format!("{name}: {e}"))?;
    if !checked.result.failures.is_empty() {
        return Err(format!(
            "{name} failed:\n  {}\nreproduce: cargo run --release -p sim -- run {} --trace",
            sim::harness::failure::joined(&checked.result.failures, "\n  "),
            file.path.display()
        )
        .into());
    }
    if let Some(divergence) = &checked.divergence {
        return Err(format!("{name}: {divergence}").into());
    }
    insta::with_settings!({
        snapshot_path => file.snapshot_dir(snapshots),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => scenario.description.clone(),
    }, {
        insta::assert_json_snapshot!(name.as_str(), checked.result.outcome);
    });
    Ok(())
}

fn main() {
    let arguments = Arguments::from_args();
    let root = repo_root();
    let files =
        sim::harness::suite::discover(&root.join("scenarios")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!files.is_empty(), "no scenario files in scenarios/");
    let snapshots = root.join("snapshots");
    let trials = files
        .into_iter()
        .map(|file| {
            let snapshots = snapshots.clone();
            Trial::test(file.qualified_name("::"), move || check(&file, &snapshots))
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit();
}
