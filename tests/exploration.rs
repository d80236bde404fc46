//! The exploration commands of the built `sim` binary (`docs/exploration.md`):
//!
//! * `sim check-determinism` runs a scenario in two processes and finds their traces identical;
//!   a missing scenario file is a usage error (exit code 2).
//! * `sim explore` rejects a bad seed range before running anything, and on a small range
//!   reports every seed and leaves a reproducing scenario file for each failing one.
//! * `sim shrink` refuses a passing scenario, writes a smaller failing one, and will not
//!   overwrite it without `--force`.
//! * `sim suite` runs `DIR/regressions/*.json` against `SNAPSHOTS/regressions/NAME.snap`.

use std::process::{Command, Output};

use headersim_tests::real::workspace_binary;
use headersim_tests::repo_root;

fn sim(args: &[&str]) -> Output {
    Command::new(workspace_binary("sim"))
        .current_dir(repo_root())
        .args(args)
        .output()
        .expect("run the sim binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_determinism_finds_two_processes_traces_identical() {
    let output = sim(&[
        "check-determinism",
        "scenarios/b01_short_batch_btcd.json",
        "--runs",
        "2",
    ]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("deterministic: "))
        .unwrap_or_else(|| panic!("no verdict in:\n{stdout}"));
    // deterministic: 2 runs, L trace lines, digest <64 hex>
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 8, "{line}");
    assert_eq!(&words[1..3], ["2", "runs,"], "{line}");
    let lines: usize = words[3]
        .parse()
        .unwrap_or_else(|_| panic!("no line count in {line}"));
    assert!(
        lines > 10,
        "a 500-header sync traces more than 10 lines: {line}"
    );
    assert_eq!(&words[4..7], ["trace", "lines,", "digest"], "{line}");
    assert!(
        words[7].len() == 64 && words[7].chars().all(|c| c.is_ascii_hexdigit()),
        "{line}"
    );
}

#[test]
fn check_determinism_of_a_missing_file_is_a_usage_error() {
    let output = sim(&[
        "check-determinism",
        "scenarios/no_such_scenario.json",
        "--runs",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("scenarios/no_such_scenario.json"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn explore_rejects_a_bad_seed_range_and_partition() {
    for (args, needle) in [
        (["explore", "--seeds", "9..3"], "holds no seed"),
        (["explore", "--seeds", "1-5"], "is not a seed range"),
    ] {
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(needle),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let output = sim(&["explore", "--seeds", "0..10", "--partition", "9/8"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("K must be at least 1 and at most N"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn explore_reports_every_seed_and_a_file_for_each_failure() {
    let out = tempfile::tempdir().expect("temporary folder");
    let out_dir = out.path().to_string_lossy().into_owned();
    let output = sim(&[
        "explore", "--seeds", "0..=1", "--jobs", "2", "--out", &out_dir,
    ]);
    let stdout = text(&output.stdout);
    let failed = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL seed "))
        .count();
    let summary = format!("explore seeds 0..2: 2 seeds run, {failed} failed, ");
    assert!(
        stdout.contains(&summary),
        "no `{summary}` in:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert_eq!(
        output.status.code(),
        Some(if failed == 0 { 0 } else { 1 }),
        "{stdout}"
    );
    for seed in 0..=1u64 {
        let path = out.path().join(format!("explore-{seed}.json"));
        let failing = stdout.contains(&format!("FAIL seed {seed}: "));
        assert_eq!(
            path.exists(),
            failing,
            "seed {seed}: a file exactly for a failing seed\n{stdout}"
        );
        if failing {
            assert!(
                stdout.contains(&format!(
                    "reproduce: cargo run --release -p sim -- run {}",
                    path.display()
                )),
                "{stdout}"
            );
        }
    }
}

/// A scenario that fails on its own: its fault is on a message (`filterload`) no fake peer
/// sends, so it never fires. Three peers, two faults, chains of thousands of headers.
fn never_fires() -> sim::Scenario {
    use sim::scenario::builder::{chain, fault, NodeBuilder, PeerBuilder};
    use sim::scenario::MessageAction;
    sim::Scenario::builder()
        .description("a filterload fault that never fires")
        .seed(5)
        .duration_s(300)
        .node(NodeBuilder::regtest().connect("p1").connect("p2").listen())
        .peer(PeerBuilder::new("p1", chain::regtest(2300, 2)))
        .peer(PeerBuilder::new("p2", chain::regtest_fork(2310, 3, 2, 2250)).headers_delay_ms(400))
        .peer(PeerBuilder::new("p3", chain::regtest(20, 2)).dials_node())
        .fault_for_ms(2000, 30_000, fault::partition("node", "p1"))
        .fault_at_ms(
            1000,
            fault::message("p2", "filterload", 1, MessageAction::Drop),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shrink_refuses_a_passing_scenario_and_writes_a_smaller_failing_one_once() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("regressions");
    let out_dir = out.to_string_lossy().into_owned();
    let passing = sim(&[
        "shrink",
        "scenarios/b01_short_batch_btcd.json",
        "--out",
        &out_dir,
    ]);
    assert_eq!(passing.status.code(), Some(2), "{}", text(&passing.stdout));
    assert!(
        text(&passing.stderr)
            .contains("scenarios/b01_short_batch_btcd.json passes; nothing to shrink"),
        "{}",
        text(&passing.stderr)
    );
    assert!(!out.exists(), "nothing written for a passing scenario");

    let input = dir.path().join("never-fires.json");
    let json = serde_json::to_string_pretty(&never_fires()).expect("scenario JSON");
    std::fs::write(&input, json).expect("write the scenario");
    let input = input.to_string_lossy().into_owned();
    let output = sim(&["shrink", &input, "--out", &out_dir, "--runs-max", "40"]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.starts_with("shrinking while fault `message p2 filterload #1 drop` never fires\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kept: remove peer p1 (3 → 2 peers)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  peers          3 → 1\n") && stdout.contains("  faults         2 → 1\n"),
        "{stdout}"
    );
    let written = out.join("never_fires_shrunk.json");
    assert!(
        stdout.contains(&format!(
            "run it: cargo run --release -p sim -- run {}\n",
            written.display()
        )),
        "{stdout}"
    );
    let shrunk = sim::Scenario::load(&written).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shrunk.peers.len(), 1);
    assert!(
        shrunk.description.starts_with(
            "shrunk by `sim shrink` from never-fires.json (a filterload fault that never fires); "
        ),
        "{}",
        shrunk.description
    );
    let rerun = sim(&["run", &written.to_string_lossy()]);
    assert_eq!(
        rerun.status.code(),
        Some(1),
        "the shrunk scenario still fails"
    );
    assert!(
        text(&rerun.stdout).contains("`message p2 filterload #1 drop` (at 0 ms) never fired"),
        "{}",
        text(&rerun.stdout)
    );

    // A second shrink to the same name stops before running anything; --force overwrites.
    let again = sim(&["shrink", &input, "--out", &out_dir]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("never_fires_shrunk.json exists; pass --force"),
        "{}",
        text(&again.stderr)
    );
    assert!(
        text(&again.stdout).is_empty(),
        "no run before the refusal: {}",
        text(&again.stdout)
    );
    let forced = sim(&[
        "shrink",
        &input,
        "--out",
        &out_dir,
        "--runs-max",
        "1",
        "--force",
        "--name",
        "Forced-Name",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(
        text(&forced.stdout).contains("stopped at the budget of 1 runs before a fixpoint"),
        "{}",
        text(&forced.stdout)
    );
    assert!(out.join("forced_name.json").exists());
}

#[test]
fn suite_runs_the_regressions_against_their_own_snapshots() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (scenarios, snapshots) = (dir.path().join("scenarios"), dir.path().join("snapshots"));
    std::fs::create_dir_all(scenarios.join("regressions")).expect("folders");
    std::fs::create_dir_all(&snapshots).expect("folders");
    let root = repo_root();
    let copy = |from: &str, to: &std::path::Path| {
        std::fs::copy(root.join(from), to)
            .map(|_| ())
            .expect("copy")
    };
    copy(
        "scenarios/b01_short_batch_btcd.json",
        &scenarios.join("b01_short_batch_btcd.json"),
    );
    copy(
        "snapshots/b01_short_batch_btcd.snap",
        &snapshots.join("b01_short_batch_btcd.snap"),
    );
    // A regression that is the same scenario under another name.
    copy(
        "scenarios/b01_short_batch_btcd.json",
        &scenarios.join("regressions").join("again.json"),
    );
    let (scenarios_dir, snapshots_dir) = (
        scenarios.to_string_lossy().into_owned(),
        snapshots.to_string_lossy().into_owned(),
    );
    let run = || {
        sim(&[
            "suite",
            "--dir",
            &scenarios_dir,
            "--snapshots",
            &snapshots_dir,
        ])
    };

    let without = run();
    let stdout = text(&without.stdout);
    assert_eq!(without.status.code(), Some(1), "{stdout}");
    let missing = snapshots.join("regressions").join("again.snap");
    assert!(
        stdout.contains("regressions/again ")
            && stdout.contains(&format!("no reviewed snapshot {}", missing.display())),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");

    // Its reviewed snapshot: b01's outcome, named by the regression's file stem.
    let snap =
        std::fs::read_to_string(root.join("snapshots/b01_short_batch_btcd.snap")).expect("read");
    let renamed = snap.replace(
        "\"scenario\": \"b01_short_batch_btcd\"",
        "\"scenario\": \"again\"",
    );
    assert_ne!(renamed, snap, "the snapshot names its scenario");
    std::fs::create_dir_all(snapshots.join("regressions")).expect("folder");
    std::fs::write(&missing, renamed).expect("write");
    let with = run();
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stdout));
    assert!(
        text(&with.stdout).contains("2 passed, 0 failed"),
        "{}",
        text(&with.stdout)
    );

    // No regressions folder at all is fine too.
    std::fs::remove_dir_all(scenarios.join("regressions")).expect("remove");
    let none = run();
    assert_eq!(none.status.code(), Some(0), "{}", text(&none.stdout));
    assert!(
        text(&none.stdout).contains("1 passed, 0 failed"),
        "{}",
        text(&none.stdout)
    );
}
