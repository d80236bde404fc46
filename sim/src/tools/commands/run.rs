//! `sim run`: one scenario, its outcome, optionally its trace and its HTML page.

use std::path::Path;
use std::process::ExitCode;

use super::names::{name_of, reproduce};
use crate::harness::runner::run_scenario;
use crate::scenario::Scenario;

/// `sim run`: runs the scenario file at `path` (with `seed` instead of its own, if given) and
/// prints its outcome, after the trace (text, or JSON lines with `json`) when `trace`; writes the
/// whole trace as JSON lines to `trace_out` and the HTML page to `html` when given. Exit code 0:
/// it passes; 1: it fails (each failure and the reproducing command are printed); 2: the file
/// or the run is unusable, or a file could not be written.
pub fn run_one(
    path: &Path,
    seed: Option<u64>,
    trace: bool,
    json: bool,
    trace_out: Option<&Path>,
    html: Option<&Path>,
) -> ExitCode {
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let result = match run_scenario(&scenario, &name_of(path), seed) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(out) = trace_out {
        if let Err(error) = std::fs::write(out, result.recorder.json_lines()) {
            eprintln!("error: --trace-out {}: {error}", out.display());
            return ExitCode::from(2);
        }
    }
    if trace {
        if json {
            print!("{}", result.recorder.json_lines());
        } else {
            print!("{}", result.recorder.text());
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&result.outcome).unwrap_or_default()
    );
    let mut html_failed = false;
    if let Some(out) = html {
        let page = crate::tools::report::html(&scenario, &name_of(path), &result);
        match std::fs::write(out, page) {
            Ok(()) => println!("wrote {}", out.display()),
            Err(error) => {
                eprintln!(
                    "error: cannot write the HTML report to {}: {error}",
                    out.display()
                );
                html_failed = true;
            }
        }
    }
    let status = if result.failures.is_empty() {
        println!(
            "PASS {} (seed {})",
            result.outcome.scenario, result.outcome.seed
        );
        ExitCode::SUCCESS
    } else {
        for failure in &result.failures {
            println!("FAIL: {failure}");
        }
        println!("reproduce: {}", reproduce(path, result.outcome.seed));
        ExitCode::FAILURE
    };
    // The run is reported either way; a report that could not be written is a usage error.
    if html_failed {
        ExitCode::from(2)
    } else {
        status
    }
}
