//! Exploration alone, as a test: `sim explore` over a fixed seed range finds nothing on the
//! node as it is. Every generated world's invariants hold and every fault it planned fired; no
//! snapshot, no scenario expectation is consulted.
//!
//! This is also the second kill source of the mutation measure (`docs/mutation.md`,
//! `scripts/mutants`): a mutant of the node that this test does not fail is one exploration
//! missed. The range is seeds 0..1000 (about 35 s on two cores; rare draws, one seed in a
//! hundred, need that many to show up);
//! `HEADERSIM_EXPLORE_SEEDS=FIRST..END` runs another.

use std::num::NonZeroUsize;

use sim::tools::explore::{explore, ExploreOptions, Partition, SeedRange, Sweep};

/// The seeds explored unless `HEADERSIM_EXPLORE_SEEDS` says otherwise.
const SEEDS: &str = "0..1000";

#[test]
fn exploration_over_a_fixed_seed_range_finds_no_failure() {
    // Generated worlds name real header sets as `../shared/data/...`, relative to the
    // repository root, where `sim explore` runs.
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .expect("the repository root");
    let text = std::env::var("HEADERSIM_EXPLORE_SEEDS").unwrap_or_else(|_| SEEDS.to_string());
    let range: SeedRange = text
        .parse()
        .unwrap_or_else(|e| panic!("HEADERSIM_EXPLORE_SEEDS={text}: {e}"));
    let seeds = range.len;
    let out = tempfile::tempdir().expect("a temporary folder for failing seeds' scenarios");
    let options = ExploreOptions {
        sweep: Sweep {
            range,
            partition: Partition::WHOLE,
        },
        jobs: NonZeroUsize::new(2).expect("two"),
        out_dir: out.path().to_path_buf(),
        stop_after_failures: NonZeroUsize::new(1),
        bug: None,
    };
    let report = explore(&options).expect("the sweep runs");
    assert!(
        report.result.failures.is_empty(),
        "exploration found a failure:\n{}",
        report.render()
    );
    assert!(
        report.result.seeds_run >= seeds,
        "every seed ran: {} of {seeds}",
        report.result.seeds_run
    );
}
