//! The exploration commands of the built `sim` binary (README "Exploration"):
//!
//! * `sim check-determinism` runs a scenario in two processes and finds their traces identical;
//!   a missing scenario file is a usage error (exit code 2).
//! * `sim explore` rejects a bad seed range before running anything, and on a small range
//!   reports every seed and leaves a reproducing scenario file for each failing one.

use std::process::{Command, Output};

use headersim_tests::real::workspace_binary;
use headersim_tests::repo_root;

fn sim(args: &[&str]) -> Output {
    Command::new(workspace_binary("sim")).current_dir(repo_root()).args(args).output().expect("run the sim binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_determinism_finds_two_processes_traces_identical() {
    let output = sim(&["check-determinism", "scenarios/b01_short_batch_btcd.json", "--runs", "2"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status.code());
    let line = stdout.lines().find(|l| l.starts_with("deterministic: ")).unwrap_or_else(|| panic!("no verdict in:\n{stdout}"));
    // deterministic: 2 runs, L trace lines, digest <64 hex>
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 8, "{line}");
    assert_eq!(&words[1..3], ["2", "runs,"], "{line}");
    let lines: usize = words[3].parse().unwrap_or_else(|_| panic!("no line count in {line}"));
    assert!(lines > 10, "a 500-header sync traces more than 10 lines: {line}");
    assert_eq!(&words[4..7], ["trace", "lines,", "digest"], "{line}");
    assert!(words[7].len() == 64 && words[7].chars().all(|c| c.is_ascii_hexdigit()), "{line}");
}

#[test]
fn check_determinism_of_a_missing_file_is_a_usage_error() {
    let output = sim(&["check-determinism", "scenarios/no_such_scenario.json", "--runs", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("scenarios/no_such_scenario.json"), "{}", text(&output.stderr));
}

#[test]
fn explore_rejects_a_bad_seed_range_and_partition() {
    for (args, needle) in [
        (["explore", "--seeds", "9..3"], "holds no seed"),
        (["explore", "--seeds", "1-5"], "is not a seed range"),
    ] {
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(text(&output.stderr).contains(needle), "{args:?}: {}", text(&output.stderr));
    }
    let output = sim(&["explore", "--seeds", "0..10", "--partition", "9/8"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("K must be at least 1 and at most N"), "{}", text(&output.stderr));
}

#[test]
fn explore_reports_every_seed_and_a_file_for_each_failure() {
    let out = tempfile::tempdir().expect("temporary folder");
    let out_dir = out.path().to_string_lossy().into_owned();
    let output = sim(&["explore", "--seeds", "0..=1", "--jobs", "2", "--out", &out_dir]);
    let stdout = text(&output.stdout);
    let failed = stdout.lines().filter(|l| l.starts_with("FAIL seed ")).count();
    let summary = format!("explore seeds 0..2: 2 seeds run, {failed} failed, ");
    assert!(stdout.contains(&summary), "no `{summary}` in:\n{stdout}\nstderr:\n{}", text(&output.stderr));
    assert_eq!(output.status.code(), Some(if failed == 0 { 0 } else { 1 }), "{stdout}");
    for seed in 0..=1u64 {
        let path = out.path().join(format!("explore-{seed}.json"));
        let failing = stdout.contains(&format!("FAIL seed {seed}: "));
        assert_eq!(path.exists(), failing, "seed {seed}: a file exactly for a failing seed\n{stdout}");
        if failing {
            assert!(stdout.contains(&format!("reproduce: cargo run --release -p sim -- run {}", path.display())), "{stdout}");
        }
    }
}
