//! `sim check-determinism`: one scenario in several processes, traces compared.

use std::num::NonZeroUsize;
use std::path::Path;
use std::process::ExitCode;

use node::deliberate_bugs::Bug;

use crate::scenario::Scenario;

/// `sim check-determinism`: runs the scenario file at `path` in `runs` processes of this
/// executable (with `bug` active in each) and compares their traces. Exit code 0: identical;
/// 1: they differ; 2: the file is unusable or a run could not be started or crashed.
pub fn check_determinism(path: &Path, runs: u32, seed: Option<u64>, bug: Option<Bug>) -> ExitCode {
    // A clear error for a bad file before any process starts.
    if let Err(error) = Scenario::load(path) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("error: cannot find this executable to re-run it: {error}");
            return ExitCode::from(2);
        }
    };
    let parallel = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    match crate::tools::determinism::check(&exe, path, runs as usize, seed, bug, parallel) {
        Ok(report) => {
            print!("{}", report.render());
            match report.comparison {
                crate::tools::determinism::Comparison::Identical { .. } => ExitCode::SUCCESS,
                crate::tools::determinism::Comparison::Diverges { .. } => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
