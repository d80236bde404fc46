//! `sim shrink`: a failing scenario shrunk and written as a regression.

use std::path::Path;
use std::process::ExitCode;

use super::names::name_of;
use crate::harness::runner::run_scenario;
use crate::scenario::Scenario;

/// `sim shrink`: shrinks the failing scenario file at `path` ([`crate::tools::shrink::shrink`],
/// at most `runs_max` runs) and writes it as `out/NAME.json` (`name`, else the file's stem and
/// `_shrunk`; an existing file only with `force`). With a deliberate bug active, the shrunk
/// scenario is run once more without it. Exit code 0: written (and, with a bug, it passes
/// without it); 1: written, but it also fails without the bug; 2: nothing to shrink, or the
/// file cannot be read or written.
pub fn shrink(
    path: &Path,
    out: &Path,
    name: Option<&str>,
    runs_max: usize,
    force: bool,
) -> ExitCode {
    use crate::tools::shrink::{output_path, sanitize_name, ShrinkError, ShrinkOptions};
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let name = match name {
        Some(given) => {
            let name = sanitize_name(given);
            if name != given {
                println!("--name `{given}` becomes `{name}` (a regression's file stem is [a-z0-9_] and names its test)");
            }
            name
        }
        None => sanitize_name(&format!("{}_shrunk", name_of(path))),
    };
    // Refused before any run: shrinking may take many minutes.
    let target = output_path(out, &name);
    if target.exists() && !force {
        eprintln!(
            "error: {} exists; pass --force to overwrite it, or --name to choose another name",
            target.display()
        );
        return ExitCode::from(2);
    }
    let mut file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let bug = crate::harness::bug::active();
    if let Some(bug) = bug {
        // Part of the description: the regression fails only with this bug.
        file_name = format!("{file_name} with the deliberate bug `{bug}`");
    }
    let options = ShrinkOptions { runs_max };
    let shrunk = match crate::tools::shrink::shrink(&scenario, &file_name, &options, |line| {
        println!("{line}")
    }) {
        Ok(shrunk) => shrunk,
        Err(ShrinkError::Passes { .. }) => {
            eprintln!("error: {} passes; nothing to shrink", path.display());
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    print!("{}", shrunk.summary(runs_max));
    let written = match crate::tools::shrink::write_scenario(&shrunk.scenario, out, &name, force) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    println!(
        "wrote {} ({})",
        written.display(),
        shrunk.scenario.description
    );
    let next = format!(
        "run `cargo test --release --test scenarios regressions::{name}`, review snapshots/regressions/{name}.snap.new and rename it to .snap"
    );
    // `--bug`, selected for this thread in `main`.
    let Some(bug) = bug else {
        println!(
            "run it: cargo run --release -p sim -- run {}",
            written.display()
        );
        println!("once the bug is fixed and it passes: {next}");
        return ExitCode::SUCCESS;
    };
    println!(
        "run it: cargo run --release -p sim --features deliberate-bugs -- run {} --bug {bug}",
        written.display()
    );
    // A regression of a deliberate bug must pass without it: one more run, on this thread.
    let clean = crate::harness::bug::set_active(None)
        .map_err(|e| e.to_string())
        .and_then(|()| run_scenario(&shrunk.scenario, &name, None).map_err(|e| e.to_string()));
    let _ = crate::harness::bug::set_active(Some(bug));
    match clean {
        Ok(result) if result.failures.is_empty() => {
            println!("without --bug {bug} it passes: {next}");
            ExitCode::SUCCESS
        }
        Ok(result) => {
            println!(
                "warning: it fails without --bug {bug} too, so it is no regression of that bug:"
            );
            for failure in &result.failures {
                println!("    {failure}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: the run without --bug {bug}: {error}");
            ExitCode::FAILURE
        }
    }
}
