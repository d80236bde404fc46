//! `sim explore`: the generated scenarios of a seed range, and the failing seeds.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use node::deliberate_bugs::Bug;

/// `sim explore`: runs the generated scenario of every seed of `range` (of `partition`) on
/// `jobs` workers (default: the available cores), writes each failing seed's scenario to
/// `out_dir` and prints the report. Exit code 0: every seed passed; 1: some failed; 2: an I/O
/// error.
pub fn explore(
    range: crate::tools::explore::SeedRange,
    jobs: Option<NonZeroUsize>,
    partition: Option<crate::tools::explore::Partition>,
    out_dir: PathBuf,
    stop_after_failures: Option<NonZeroUsize>,
    bug: Option<Bug>,
) -> ExitCode {
    use crate::tools::explore::{ExploreOptions, Partition, Sweep};
    let jobs =
        jobs.unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let sweep = Sweep {
        range,
        partition: partition.unwrap_or(Partition::WHOLE),
    };
    if sweep.is_empty() {
        println!("explore {sweep}: this partition holds no seed of the range");
        return ExitCode::SUCCESS;
    }
    let options = ExploreOptions {
        sweep,
        jobs,
        out_dir,
        stop_after_failures,
        bug,
    };
    match crate::tools::explore::explore(&options) {
        Ok(report) => {
            print!("{}", report.render());
            if report.result.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
