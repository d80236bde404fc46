//! The harness catches every deliberate node bug (`node::deliberate_bugs`, feature
//! `deliberate-bugs`; run with `cargo test --release -p sim --features deliberate-bugs --test
//! deliberate_bugs`).
//!
//! For each bug, two checks, each run once with the bug and once without:
//!
//! * the generated scenario of the first seed `sim explore --seeds 0..1000` found it with (the
//!   table in `docs/exploration.md`) fails the bug's invariant with the bug, and passes without it;
//! * its shrunk regression, `scenarios/regressions/deliberate_<bug>.json`, does the same. (The
//!   ordinary suite runs that file without the bug and compares its snapshot.)
//!
//! Each test selects its bug on its own thread, which is also how `sim explore --jobs N` selects
//! it on each worker; tests running side by side do not see each other's bug.

use std::path::PathBuf;

use node::deliberate_bugs::Bug;
use sim::{run_scenario, RunResult, Scenario};

/// Each bug, the invariant that catches it, and the first seed of 0..1000 that exposed it.
const CASES: [(Bug, &str, u64); 10] = [
    (Bug::BoundaryOffByOne, "liveness", 57),
    (Bug::StallDeadlineNeverSet, "deadlines_kept", 53),
    (Bug::RejectedBatchStored, "store_matches_best_chain", 28),
    (Bug::LocatorWithoutDoubling, "locators_well_formed", 1),
    (Bug::EqualWorkReorg, "tip_work_increases", 15),
    (Bug::PingNonceUnchecked, "deadlines_kept", 50),
    (Bug::RedialWithoutBackoff, "redials_back_off", 1),
    (Bug::IdleTimerNotReset, "deadlines_kept", 0),
    (Bug::FollowUpFromBest, "liveness", 182),
    (Bug::InboundNeverSyncPeer, "liveness", 496),
];

fn case(bug: Bug) -> (&'static str, u64) {
    let (_, invariant, seed) = CASES
        .iter()
        .find(|(b, _, _)| *b == bug)
        .copied()
        .expect("every bug has a case");
    (invariant, seed)
}

fn run_with(bug: Option<Bug>, scenario: &Scenario, name: &str) -> RunResult {
    // Generated worlds name real header sets relative to the repository root, as `sim explore`
    // runs there; every test sets the same directory.
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .expect("the repository root");
    sim::harness::bug::set_active(bug).expect("this test needs the deliberate-bugs feature");
    let result = run_scenario(scenario, name, None);
    sim::harness::bug::set_active(None).expect("clearing the bug");
    result.unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn violated(result: &RunResult) -> Vec<&'static str> {
    result
        .invariants
        .iter()
        .filter(|r| r.violation.is_some())
        .map(|r| r.name)
        .collect()
}

/// With `bug` the run violates `invariant`; without it the run passes.
fn caught(bug: Bug, scenario: &Scenario, name: &str, invariant: &str) {
    let buggy = run_with(Some(bug), scenario, name);
    assert!(
        violated(&buggy).contains(&invariant),
        "{name} with bug {bug}: expected `{invariant}` to be violated, got {:?}; failures:\n  {}",
        violated(&buggy),
        sim::harness::failure::joined(&buggy.failures, "\n  ")
    );
    let clean = run_with(None, scenario, name);
    assert!(
        clean.failures.is_empty(),
        "{name} without a bug fails:\n  {}",
        sim::harness::failure::joined(&clean.failures, "\n  ")
    );
}

fn check(bug: Bug) {
    let (invariant, seed) = case(bug);
    caught(
        bug,
        &sim::tools::generator::generate(seed),
        &format!("explore-{seed}"),
        invariant,
    );
    let name = format!("deliberate_{bug}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/regressions")
        .join(format!("{name}.json"));
    let scenario =
        Scenario::load(&path).unwrap_or_else(|e| panic!("the shrunk regression of {bug}: {e}"));
    caught(bug, &scenario, &name, invariant);
}

#[test]
fn every_bug_has_a_case() {
    for bug in Bug::ALL {
        assert!(CASES.iter().any(|(b, _, _)| *b == bug), "{bug} has no case");
    }
}

#[test]
fn boundary_off_by_one() {
    check(Bug::BoundaryOffByOne);
}

#[test]
fn stall_deadline_never_set() {
    check(Bug::StallDeadlineNeverSet);
}

#[test]
fn rejected_batch_stored() {
    check(Bug::RejectedBatchStored);
}

#[test]
fn locator_without_doubling() {
    check(Bug::LocatorWithoutDoubling);
}

#[test]
fn equal_work_reorg() {
    check(Bug::EqualWorkReorg);
}

#[test]
fn ping_nonce_unchecked() {
    check(Bug::PingNonceUnchecked);
}

#[test]
fn redial_without_backoff() {
    check(Bug::RedialWithoutBackoff);
}

#[test]
fn idle_timer_not_reset() {
    check(Bug::IdleTimerNotReset);
}

#[test]
fn follow_up_from_best() {
    check(Bug::FollowUpFromBest);
}

#[test]
fn inbound_never_sync_peer() {
    check(Bug::InboundNeverSyncPeer);
}
