//! The greedy search: run the original, find its [`Target`], then try the [`candidates`] one
//! by one, keeping each edit that still fails the same way, until a fixpoint or the budget.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;

use super::edits::{candidates, Candidate, EditKind};
use super::error::ShrinkError;
use super::output::reparse;
use super::size::Size;
use super::target::Target;
use crate::error::SimError;
use crate::harness::runner::{run_scenario, RunResult};
use crate::scenario::Scenario;

/// How a shrunk scenario's description begins.
const SHRUNK_PREFIX: &str = "shrunk by `sim shrink` from ";

/// Default of [`ShrinkOptions::runs_max`] (`sim shrink --runs-max`).
pub const RUNS_MAX_DEFAULT: usize = 400;

/// How far [`shrink`] may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShrinkOptions {
    /// The most candidate runs (each a whole simulation); the original's run is not counted.
    pub runs_max: usize,
}

impl Default for ShrinkOptions {
    fn default() -> ShrinkOptions {
        ShrinkOptions {
            runs_max: RUNS_MAX_DEFAULT,
        }
    }
}

/// The index of the first candidate of `kind` or a later kind in `list` (sorted by kind).
fn first_of_kind(list: &[Candidate], kind: EditKind) -> usize {
    list.iter()
        .position(|c| c.kind >= kind)
        .unwrap_or(list.len())
}

/// The index of the first candidate of a kind after `kind` in `list` (sorted by kind).
fn first_after_kind(list: &[Candidate], kind: EditKind) -> usize {
    list.iter()
        .position(|c| c.kind > kind)
        .unwrap_or(list.len())
}

/// How a run ended, panics caught.
enum Run {
    Done(Box<RunResult>),
    Error(SimError),
    Panicked(String),
}

fn run_caught(scenario: &Scenario, name: &str) -> Run {
    match std::panic::catch_unwind(AssertUnwindSafe(|| run_scenario(scenario, name, None))) {
        Ok(Ok(result)) => Run::Done(Box::new(result)),
        Ok(Err(error)) => Run::Error(error),
        Err(payload) => Run::Panicked(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-text panic payload".to_string()),
        ),
    }
}

/// What [`shrink`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shrunk {
    /// The smallest failing scenario found, its description rewritten (see [`shrink`]).
    pub scenario: Scenario,
    /// What it keeps failing.
    pub target: Target,
    /// Candidate runs used (the original's run not counted).
    pub runs: usize,
    /// True when a whole pass over the candidates kept nothing; false when the budget ran out
    /// first.
    pub fixpoint_reached: bool,
    /// The kept edits, in order.
    pub edits: Vec<String>,
    /// The original's size.
    pub before: Size,
    /// The shrunk scenario's size.
    pub after: Size,
}

impl Shrunk {
    /// The summary lines: runs used, whether a fixpoint was reached, then peers, faults, chain
    /// headers, `duration_s` and JSON bytes before → after.
    pub fn summary(&self, runs_max: usize) -> String {
        let (b, a) = (&self.before, &self.after);
        let end = if self.fixpoint_reached {
            "fixpoint reached: no single edit left keeps the failure".to_string()
        } else {
            format!("stopped at the budget of {runs_max} runs before a fixpoint; run it again on the output to go on")
        };
        format!(
            "{} kept edits in {} candidate runs; {end}\n  peers          {} → {}\n  faults         {} → {}\n  chain headers  {} → {}\n  duration_s     {} → {}\n  JSON bytes     {} → {}\n",
            self.edits.len(),
            self.runs,
            b.peers,
            a.peers,
            b.faults,
            a.faults,
            b.chain_headers,
            a.chain_headers,
            b.duration_s,
            a.duration_s,
            b.json_bytes,
            a.json_bytes
        )
    }
}

/// Shrinks `scenario` (called `name`, for example its file name: it names the runs and goes
/// into the new description) as the module docs describe, calling `progress` with the target
/// line (`shrinking while invariant `liveness` fails`) and one line per kept edit (`kept:
/// remove peer p3 (4 → 3 peers)`).
///
/// The shrunk scenario's description becomes `shrunk by `sim shrink` from NAME (ORIGINAL
/// DESCRIPTION); fails invariant `X` when the bug is present` (or the target's other
/// [`Target::verdict`]); a description that already begins that way (a shrunk scenario
/// shrunk again) is kept.
///
/// # Errors
/// [`ShrinkError::Passes`] when the original passes, [`ShrinkError::Harness`] or
/// [`ShrinkError::Panicked`] when its run does not complete.
pub fn shrink(
    scenario: &Scenario,
    name: &str,
    options: &ShrinkOptions,
    mut progress: impl FnMut(&str),
) -> Result<Shrunk, ShrinkError> {
    let original = match run_caught(scenario, name) {
        Run::Done(result) => result,
        Run::Error(error) => {
            return Err(ShrinkError::Harness {
                name: name.to_string(),
                error,
            })
        }
        Run::Panicked(message) => {
            return Err(ShrinkError::Panicked {
                name: name.to_string(),
                message,
            })
        }
    };
    let target = Target::of(&original).ok_or_else(|| ShrinkError::Passes {
        name: name.to_string(),
    })?;
    drop(original);
    progress(&format!("shrinking while {target}"));
    let before = Size::of(scenario);
    let mut current = scenario.clone();
    let mut runs = 0usize;
    let mut edits = Vec::new();
    // JSON of every candidate that ran and did not reproduce: an edit that recreates one is
    // not run again.
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let fixpoint_reached = 'passes: loop {
        let mut list = candidates(&current);
        let mut position = 0;
        let mut kept_in_pass = false;
        while let Some(candidate) = list.get(position) {
            position += 1;
            let Some((parsed, json)) = reparse(&candidate.scenario, name) else {
                continue;
            };
            if failed.contains(&json) {
                continue;
            }
            if runs >= options.runs_max {
                break 'passes false;
            }
            runs += 1;
            let reproduces = match run_caught(&parsed, name) {
                Run::Done(result) => target.is_met_by(&result),
                Run::Error(_) | Run::Panicked(_) => false,
            };
            if reproduces {
                progress(&format!("kept: {}", candidate.edit));
                edits.push(candidate.edit.clone());
                current = parsed;
                kept_in_pass = true;
                // Go on with the next untried edit: the kept one's offset within its kind in
                // the rebuilt list (the kept one is gone from it, so the same offset is the
                // next one), or the next kind if that kind has no more.
                let kind = candidate.kind;
                let offset = position - 1 - first_of_kind(&list, kind);
                list = candidates(&current);
                position = (first_of_kind(&list, kind) + offset).min(first_after_kind(&list, kind));
            } else {
                failed.insert(json);
            }
        }
        if !kept_in_pass {
            break true;
        }
    };
    // Shrinking a shrunk scenario again keeps its description: the origin and the failure are
    // the same.
    current.description = if scenario.description.starts_with(SHRUNK_PREFIX) {
        scenario.description.clone()
    } else {
        format!(
            "{SHRUNK_PREFIX}{name} ({}); {} when the bug is present",
            scenario.description,
            target.verdict()
        )
    };
    let after = Size::of(&current);
    Ok(Shrunk {
        scenario: current,
        target,
        runs,
        fixpoint_reached,
        edits,
        before,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::failure::{Check, Failure};
    use crate::scenario::{Fault, FaultStep, MessageAction, MessageFault};

    /// A fault on a message no peer ever sends never fires, so the run fails whatever the
    /// node does: shrinking it must leave only that fault's peer, that fault and minimal
    /// chains, duration and latencies, and still fail the same way.
    #[test]
    fn shrinking_keeps_a_fault_that_never_fires_and_removes_everything_else() {
        // Seed 38: four peers on short chains (497 headers in all) and three faults, one of
        // them a crash of the node.
        let mut s = crate::tools::generator::generate(38);
        assert!(
            s.peers.len() >= 3 && s.faults.len() >= 2,
            "seed 38 no longer generates 3+ peers and 2+ faults: pick another"
        );
        let victim = s.peers[1].name.clone();
        let never = MessageFault {
            peer: victim.clone(),
            command: "filterload".into(),
            nth: 1,
            action: MessageAction::Drop,
        };
        s.faults.push(FaultStep {
            at_ms: 0,
            for_ms: None,
            fault: Fault::Message(never),
        });
        let label = s.faults.last().map(|f| f.fault.label()).expect("pushed");
        let before = Size::of(&s);
        let mut lines = Vec::new();
        let shrunk = shrink(
            &s,
            "never_fires.json",
            &ShrinkOptions { runs_max: 120 },
            |line| {
                println!("{line}");
                lines.push(line.to_string());
            },
        )
        .expect("the original fails");
        print!("{}", shrunk.summary(120));
        assert_eq!(shrunk.target, Target::FaultNeverFired(label.clone()));
        assert_eq!(
            lines[0],
            format!("shrinking while fault `{label}` never fires")
        );
        assert_eq!(lines.len(), 1 + shrunk.edits.len());
        let after = &shrunk.scenario;
        assert_eq!(after.peers.len(), 1, "{:#?}", shrunk.edits);
        assert_eq!(after.peers[0].name, victim);
        assert_eq!(after.faults.len(), 1);
        assert_eq!(after.faults[0].fault.label(), label);
        assert!(
            shrunk.after.chain_headers < before.chain_headers && shrunk.after.chain_headers >= 1
        );
        assert!(
            shrunk.after.duration_s < before.duration_s
                && shrunk.after.json_bytes < before.json_bytes
        );
        assert_eq!(shrunk.before, before);
        assert!(shrunk.fixpoint_reached, "{} runs", shrunk.runs);
        assert!(shrunk.runs <= 120);
        assert!(after.description.starts_with("shrunk by `sim shrink` from never_fires.json (generated by `sim explore` from seed 38); fails because fault"), "{}", after.description);
        let again = run_scenario(after, "again", None).expect("runs");
        assert!(shrunk.target.is_met_by(&again), "{:?}", again.failures);
        assert!(
            again
                .failures
                .iter()
                .any(|f| matches!(f, Failure::FaultNeverFired { label, .. } if label.contains("filterload"))),
            "{:?}",
            again.failures
        );
    }

    /// An expectation no run can meet (tip height 5000 on chains of 300) is a failed check
    /// whose text changes as the chains shrink; its typed check does not. The budget stops the
    /// first attempt before a fixpoint.
    #[test]
    fn shrinking_keeps_a_failed_expectation_by_its_check_and_stops_at_the_budget() {
        let text = r#"{"description":"unreachable tip","seed":5,"duration_s":120,
            "node":{"network":"regtest","connect":["p1","p2"]},
            "peers":[{"name":"p1","chain":{"regtest":{"height":300,"seed":2}}},
                     {"name":"p2","chain":{"regtest":{"height":310,"seed":3,"fork":{"seed":2,"height":250}}}}],
            "faults":[{"at_ms":2000,"for_ms":30000,"fault":{"partition":{"a":"node","b":"p1"}}}],
            "expect":{"tip_height":5000}}"#;
        let s = Scenario::parse("tip.json", text).expect("valid");
        let short = shrink(&s, "tip.json", &ShrinkOptions { runs_max: 2 }, |_| {}).expect("fails");
        assert_eq!((short.runs, short.fixpoint_reached), (2, false));
        assert!(
            short
                .summary(2)
                .contains("stopped at the budget of 2 runs before a fixpoint"),
            "{}",
            short.summary(2)
        );
        let shrunk = shrink(&s, "tip.json", &ShrinkOptions::default(), |_| {}).expect("fails");
        let Target::Expectation { check, example } = &shrunk.target else {
            panic!("{:?}", shrunk.target)
        };
        assert_eq!(check, &Check::TipHeight);
        assert!(
            example.starts_with("tip height is ") && example.ends_with(", expected 5000"),
            "{example}"
        );
        assert!(shrunk.fixpoint_reached, "{} runs", shrunk.runs);
        assert_eq!(
            (
                shrunk.after.peers,
                shrunk.after.faults,
                shrunk.after.chain_headers,
                shrunk.after.duration_s
            ),
            (1, 0, 1, 1),
            "{:#?}",
            shrunk.edits
        );
        let again = run_scenario(&shrunk.scenario, "again", None).expect("runs");
        assert!(
            again.failures.iter().any(
                |f| matches!(f, Failure::Expectation { check: Check::TipHeight, message }
                    if message.ends_with(", expected 5000"))
            ),
            "{:?}",
            again.failures
        );
    }

    #[test]
    fn a_passing_scenario_has_nothing_to_shrink() {
        let text = r#"{"description":"d","seed":1,"duration_s":5,"node":{"network":"regtest","connect":["p"]},
            "peers":[{"name":"p","chain":{"regtest":{"height":3,"seed":1}}}],"expect":{}}"#;
        let s = Scenario::parse("pass.json", text).expect("valid");
        let error = shrink(&s, "pass.json", &ShrinkOptions::default(), |_| {}).expect_err("passes");
        assert_eq!(error.to_string(), "pass.json passes; nothing to shrink");
    }
}
