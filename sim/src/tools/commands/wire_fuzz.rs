//! `sim wire-fuzz`: the differential wire fuzzer against a real bitcoind.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::tools::wire_fuzz::{self, FuzzOptions};

/// `sim wire-fuzz`: runs cases `0..cases` of `seed` (or only case `case`) against bitcoind
/// and the node, prints the report (with `show_cases`, first a line per case). Exit code 0: every case agreed; 1: some
/// disagreed; 2: the run could not compare (a missing executable, bitcoind did not start, a
/// handshake failed).
pub fn wire_fuzz(
    seed: u64,
    cases: u64,
    case: Option<u64>,
    jobs: usize,
    bitcoind: Option<PathBuf>,
    node: Option<PathBuf>,
    show_cases: bool,
) -> ExitCode {
    let repo = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let range = match case {
        Some(index) => index..index + 1,
        None => 0..cases,
    };
    let options = FuzzOptions {
        seed,
        cases: range.clone(),
        jobs,
        bitcoind_exe: bitcoind.unwrap_or_else(|| crate::real::core_bitcoind_path(&repo)),
        node_exe: node.unwrap_or_else(|| crate::real::node_binary_path(&repo)),
    };
    println!(
        "wire-fuzz: seed {seed}, cases {}..{}, {jobs} jobs, bitcoind {}, node {}",
        range.start,
        range.end,
        options.bitcoind_exe.display(),
        options.node_exe.display()
    );
    let total = range.end - range.start;
    let step = (total / 10).max(1);
    let progress = |done: u64| {
        if done.is_multiple_of(step) || done == total {
            eprintln!("  {done}/{total} cases");
        }
    };
    match wire_fuzz::run(&options, &progress) {
        Ok(report) => {
            if show_cases {
                print!("{}", report.case_lines());
            }
            println!("{report}");
            if report.agreed() {
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
