//! The node's cost of two large syncs, counted in instructions and held to a budget.
//!
//! A change that leaves every outcome as it was but makes the node do far more work (a hash
//! function made constant turns every block-index lookup into a scan; a walk that forgets its
//! bound) passes every scenario and every invariant. Wall-clock time cannot catch it in a test
//! (it varies with the machine and its load), but the number of instructions the node executes
//! can: `valgrind --tool=callgrind` counts them, and for one binary and one scenario the count
//! is the same on every run (the simulation is deterministic, and callgrind counts
//! instructions, not time, whatever else the machine is doing).
//!
//! Each scenario runs once under callgrind with collection switched on only inside the node's
//! own functions (`--toggle-collect=node::*`: the node's code and everything it calls, such as
//! rust-bitcoin's hashing and the store; not the simulator, its invariants or its trace). The
//! count must stay within [`HEADROOM`] times the count measured when the budget was set. This
//! is the third kill source of the mutation measure (`docs/mutation.md`): a mutant that only
//! slows the node down is caught here or counts as a survivor.
//!
//! Setting a budget: when a deliberate change of the node moves a count past its budget, the
//! failure prints the new count; put it in [`BUDGETS`] with the commit, and say in the commit
//! message why the node now does more work.
//!
//! Needs valgrind (Debian's package; `scripts/install-valgrind.sh`, which `scripts/test` runs)
//! and a release build: a debug build executes several times the instructions, so the tests
//! are ignored there (`cargo test --release` runs them).

use std::path::Path;
use std::process::Command;

/// How far above its measured count a scenario's count may go: one and a half times. Far
/// above the drift between build settings (an incremental release build without debug
/// information, as `scripts/mutants` builds, counts 0.6% to 2.5% more) and far below what a
/// constant block-index hash costs (`BlockHashHasher::finish` returning 0: 20.6 times the
/// node's count on the mainnet sync, 7.3 times on the core one).
const HEADROOM: (u64, u64) = (3, 2);

/// One large sync and the node's instruction count measured on it.
struct Budget {
    /// The scenario file, relative to the repository root.
    scenario: &'static str,
    /// Instructions the node executed on it when the budget was set (a release build).
    instructions_measured: u64,
}

/// The syncs held to a budget: one per profile, each a long header sync through the parts
/// that do the most work per header (the block index, difficulty and median-time checks, the
/// store; Core's presync and redownload).
const BUDGETS: [Budget; 2] = [
    // btcd profile: real mainnet headers 0..=10236 from one peer, across five retargets.
    // Measured at the commit that added this gate (release build, rustc 1.95).
    Budget {
        scenario: "scenarios/real_mainnet_0_10236.json",
        instructions_measured: 324_534_696,
    },
    // core profile: a low-work sync under minimum chain work, through presync and redownload.
    // Measured at the commit that added this gate (release build, rustc 1.95).
    Budget {
        scenario: "scenarios/v11b_low_work_redownload_core.json",
        instructions_measured: 261_934_383,
    },
];

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "counts a release build's instructions: run with cargo test --release"
)]
fn btcd_mainnet_sync_within_its_instruction_budget() {
    check(&BUDGETS[0]);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "counts a release build's instructions: run with cargo test --release"
)]
fn core_low_work_sync_within_its_instruction_budget() {
    check(&BUDGETS[1]);
}

/// Runs `budget`'s scenario under callgrind and asserts the scenario passes and the node's
/// count stays within the budget.
fn check(budget: &Budget) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ has a parent: the repository root");
    let out = tempfile::tempdir().expect("a temporary folder for callgrind's profile");
    let profile = out.path().join("callgrind.out");
    let valgrind = std::env::var("HEADERSIM_VALGRIND").unwrap_or_else(|_| "valgrind".into());
    let output = Command::new(&valgrind)
        .current_dir(root)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg("--toggle-collect=node::*")
        .arg(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(budget.scenario)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{valgrind}` ({e}): the cost gate needs valgrind \
                 (scripts/install-valgrind.sh installs Debian's package; \
                 HEADERSIM_VALGRIND names another)"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} did not pass under callgrind ({}):\n{stdout}\n{stderr}",
        budget.scenario,
        output.status
    );
    let counted = collected(&stderr).unwrap_or_else(|| {
        panic!(
            "no `Collected :` line in callgrind's report for {}:\n{stderr}",
            budget.scenario
        )
    });
    let (numerator, denominator) = HEADROOM;
    let instructions_max = budget.instructions_measured * numerator / denominator;
    // Printed for people (cargo shows it with --nocapture or on failure): the count and its
    // ratio to the measured one.
    println!(
        "{}: the node executed {counted} instructions, {:.3} times the {} measured (budget {instructions_max})",
        budget.scenario,
        counted as f64 / budget.instructions_measured as f64,
        budget.instructions_measured
    );
    assert!(
        counted <= instructions_max,
        "{}: the node executed {counted} instructions, more than its budget of {instructions_max} \
         ({numerator}/{denominator} of the {} measured when the budget was set): the node does far \
         more work for the same outcome. If that is intended, set instructions_measured to \
         {counted} in sim/tests/cost_gate.rs and say why in the commit",
        budget.scenario,
        budget.instructions_measured
    );
}

/// The total callgrind reports on its `==PID== Collected : N` line, if there is one.
fn collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let (_, rest) = line.split_once("Collected :")?;
        rest.trim().parse().ok()
    })
}
