//! Determinism across processes and robustness across seeds.
//!
//! * The same scenario and seed give the same trace digest in two separate processes (this
//!   test binary re-runs itself as a child with `HEADERSIM_DIGEST_OF` set).
//! * A different seed may change timings, never the expected outcome: every scenario passes
//!   its expectations under three other seeds, and so does every regression in
//!   `scenarios/regressions/` (shrunk scenarios are small, so they add little time).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use headersim_tests::{regression_files, scenario_files, scenario_path};
use sim::{run_scenario, Scenario};

const CHILD_ENV: &str = "HEADERSIM_DIGEST_OF";
const CHILD_TEST: &str = "same_seed_gives_the_same_trace_digest_in_two_processes";

fn digest_of(name: &str) -> String {
    let scenario = Scenario::load(&scenario_path(name)).unwrap_or_else(|e| panic!("{e}"));
    run_scenario(&scenario, name, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .outcome
        .trace_digest
}

#[test]
fn same_seed_gives_the_same_trace_digest_in_two_processes() {
    if let Ok(name) = std::env::var(CHILD_ENV) {
        println!("DIGEST={}", digest_of(&name));
        return;
    }
    let name = "stalled_sync_peer_is_replaced";
    let exe = std::env::current_exe().expect("test binary path");
    let child_digest = || {
        let output = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, name)
            .output()
            .expect("run the child process");
        assert!(
            output.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        stdout
            .lines()
            .find_map(|l| l.split("DIGEST=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no digest in child output:\n{stdout}"))
    };
    let (first, second) = (child_digest(), child_digest());
    assert_eq!(first, second, "two processes disagree");
    assert_eq!(
        first,
        digest_of(name),
        "a child process and this process disagree"
    );
}

#[test]
fn other_seeds_change_timings_but_not_the_expected_outcome() {
    // 3 seeds of every scenario: the longest test here, so its runs are spread over the cores.
    // Each run is one simulation on one thread (as `sim explore --jobs N` runs them), so the
    // verdicts do not depend on how they are spread; the failures are sorted afterwards.
    let runs: Vec<(String, PathBuf, u64)> = scenario_files()
        .into_iter()
        .chain(regression_files())
        .flat_map(|(name, path)| (1..=3u64).map(move |offset| (name.clone(), path.clone(), offset)))
        .collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(runs.len().max(1));
    let mut failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    while let Some((name, path, offset)) =
                        runs.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
                        let seed = scenario.seed.wrapping_add(offset * 1000);
                        let result = run_scenario(&scenario, name, Some(seed))
                            .unwrap_or_else(|e| panic!("{name}: {e}"));
                        if !result.failures.is_empty() {
                            failures.push(format!(
                                "{name} --seed {seed}: {}",
                                sim::harness::failure::joined(&result.failures, "; ")
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker panicked"))
            .collect()
    });
    failures.sort();
    assert!(
        failures.is_empty(),
        "expectations broke under other seeds:\n{}",
        failures.join("\n")
    );
}
