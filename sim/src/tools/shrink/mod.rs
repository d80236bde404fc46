//! `sim shrink`: reduces a failing scenario to a smaller one that still fails the same way,
//! ready to be kept in `scenarios/regressions/` once the bug is fixed.
//!
//! * **Target.** The original is run once ([`run_scenario`]); what must keep failing is its
//!   [`Target`]: the earliest violated invariant
//!   ([`crate::tools::explore::first_violated_invariant`]) if there is one, else a configured fault
//!   that never fired (by its label) if that is the first failure, else the first failure's
//!   expectation, a typed [`Check`] (so a tip height that moves as chains shrink still
//!   matches `expect.tip_height`). A candidate keeps the target when *some* violated invariant
//!   (or failure) matches it, not necessarily the first.
//! * **Greedy reduction.** [`candidates`] lists single edits of the current scenario, those
//!   that remove most first ([`EditKind`]): remove a peer (with its faults, its `connect`,
//!   `addresses`, `noban` and checkpoint entries and its expectations; never the last peer),
//!   remove a fault step, cut a fault's `for_ms` (to [`FOR_MS_MIN`], else by half) or its
//!   `at_ms` (to 0, else by half), zero a peer's `headers_delay_ms` or `version_delay_ms`, let
//!   the node dial a peer that dialled it, shorten a regtest or mainnet chain (to its lowest
//!   height, else half, −500, −100, −1 and cuts of a quarter, an eighth, ... of the way down,
//!   shortest first; never below height 1 nor down to its fork point) or
//!   drop its fork or move the fork point down (half, −1), shorten `duration_s` (to 1 s, else
//!   half, else −10 %), and narrow the latencies (`latency_ms_max` to `latency_ms_min`,
//!   `latency_ms_min` to 1). The most drastic cut of each kind comes first: when it keeps the
//!   failure, the halvings are skipped. A peer's behaviour is never changed (a misbehaving peer
//!   made honest would be another bug) and neither are the node's timers. Each candidate is
//!   written as JSON and read back ([`Scenario::parse`]); one that does not validate or reads
//!   back differently is skipped without a run, and one identical to a candidate that already
//!   ran and failed to reproduce is not run again. A candidate is kept if its run meets the
//!   target; a run that returns a harness error or panics does not reproduce. After a kept
//!   edit the list is rebuilt from the new scenario and the pass goes on with the next untried
//!   edit (the kept one's offset within its kind, or the next kind when that kind has no more
//!   edits); a whole pass that keeps nothing is a fixpoint.
//! * **Budget.** At most [`ShrinkOptions::runs_max`] candidate runs (the original's run not
//!   counted); [`Shrunk::fixpoint_reached`] says whether the reduction finished.
//! * **One thread.** Every run happens on the calling thread, one after another, so state the
//!   caller set in thread-locals applies to all of them: a deliberate node bug selected with
//!   [`node::deliberate_bugs::set_active`] is active in every run. Nothing here reads the wall
//!   clock or iterates a hash map: the same scenario gives the same shrunk scenario.

use std::collections::BTreeSet;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use crate::error::SimError;
use crate::harness::failure::{Check, Failure};
use crate::harness::runner::{run_scenario, RunResult};
use crate::scenario::chain::ChainSpec;
use crate::scenario::Scenario;

/// Default of [`ShrinkOptions::runs_max`] (`sim shrink --runs-max`).
pub const RUNS_MAX_DEFAULT: usize = 400;

/// The shortest `for_ms` a cut leaves, in milliseconds.
pub const FOR_MS_MIN: u64 = 10;

/// Height a mainnet chain without `height_max` ends at (the carried fixture's tip).
const MAINNET_FIXTURE_HEIGHT: u32 = 1111;

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

/// What a shrunk scenario must keep failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This invariant is violated ([`crate::harness::invariants::InvariantReport::name`]).
    Invariant(String),
    /// The configured fault with this label ([`crate::scenario::Fault::label`]) never fires.
    FaultNeverFired(String),
    /// An expectation fails: a failure of this [`Check`] is reported; `example` is the
    /// original run's sentence of it.
    Expectation {
        /// The expectation.
        check: Check,
        /// The original failure's sentence.
        example: String,
    },
}

impl Target {
    /// The target of a run: its earliest violated invariant; else, when its first failure is
    /// a fault that never fired, that fault; else its first failure's expectation. `None` when
    /// the run passed.
    pub fn of(result: &RunResult) -> Option<Target> {
        if let Some(name) = crate::tools::explore::first_violated_invariant(result) {
            return Some(Target::Invariant(name.to_string()));
        }
        let first = result.failures.first()?;
        match first {
            Failure::FaultNeverFired { label, .. } => Some(Target::FaultNeverFired(label.clone())),
            Failure::Expectation { check, .. } => Some(Target::Expectation {
                check: check.clone(),
                example: first.to_string(),
            }),
            Failure::Invariant(violation) => {
                Some(Target::Invariant(violation.invariant.to_string()))
            }
            Failure::SnapshotDiffers { .. } | Failure::NotDeterministic(_) => None,
        }
    }

    /// Whether `result` still fails this way (among any other failures).
    pub fn is_met_by(&self, result: &RunResult) -> bool {
        match self {
            Target::Invariant(name) => result
                .invariants
                .iter()
                .any(|r| r.name == name && r.violation.is_some()),
            Target::FaultNeverFired(label) => result
                .faults
                .iter()
                .any(|report| &report.label == label && report.fired_at_ms.is_none()),
            Target::Expectation { check, .. } => result
                .failures
                .iter()
                .any(|f| matches!(f, Failure::Expectation { check: other, .. } if other == check)),
        }
    }

    /// What the shrunk scenario does while the bug is present, as a verb phrase: `fails
    /// invariant `liveness``, `fails because fault `crash p1` never fires`, `fails the check
    /// `expect.tip_height``.
    pub fn verdict(&self) -> String {
        match self {
            Target::Invariant(name) => format!("fails invariant `{name}`"),
            Target::FaultNeverFired(label) => format!("fails because fault `{label}` never fires"),
            Target::Expectation { check, .. } => format!("fails the check `{check}`"),
        }
    }
}

impl fmt::Display for Target {
    /// The condition kept while shrinking: `invariant `liveness` fails`, `fault `crash p1`
    /// never fires`, `the check `...` fails`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Invariant(name) => write!(f, "invariant `{name}` fails"),
            Target::FaultNeverFired(label) => write!(f, "fault `{label}` never fires"),
            Target::Expectation { check, .. } => write!(f, "the check `{check}` fails"),
        }
    }
}

/// How big a scenario is, for the before/after summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Fake peers.
    pub peers: usize,
    /// Fault steps.
    pub faults: usize,
    /// The peers' chain tip heights, summed (a `replay` peer without a chain counts 0; a file
    /// chain whose file cannot be read counts 0).
    pub chain_headers: u64,
    /// Simulated seconds.
    pub duration_s: u64,
    /// Bytes of its pretty JSON file ([`to_json`]), trailing newline included.
    pub json_bytes: usize,
}

impl Size {
    /// The size of `scenario`.
    pub fn of(scenario: &Scenario) -> Size {
        Size {
            peers: scenario.peers.len(),
            faults: scenario.faults.len(),
            chain_headers: scenario
                .peers
                .iter()
                .filter_map(|p| p.chain.as_ref())
                .map(chain_tip_height)
                .sum(),
            duration_s: scenario.duration_s,
            json_bytes: to_json(scenario).map_or(0, |json| json.len()),
        }
    }
}

/// The tip height of a chain: from the spec for regtest and mainnet, by building it otherwise.
fn chain_tip_height(spec: &ChainSpec) -> u64 {
    match spec {
        ChainSpec::Regtest { height, .. } => u64::from(*height),
        ChainSpec::Mainnet { height_max } => {
            u64::from(height_max.unwrap_or(MAINNET_FIXTURE_HEIGHT))
        }
        _ => spec.build().map_or(0, |chain| {
            (u64::from(spec.first_height()) + chain.len() as u64).saturating_sub(1)
        }),
    }
}

/// A scenario as `sim explore` writes it: pretty JSON and a trailing newline.
///
/// # Errors
/// [`ShrinkError::Serialize`] if serde_json cannot write it (it always can for a parsed
/// scenario).
pub fn to_json(scenario: &Scenario) -> Result<String, ShrinkError> {
    serde_json::to_string_pretty(scenario)
        .map(|json| json + "\n")
        .map_err(|e| ShrinkError::Serialize(e.to_string()))
}

/// The kinds of edit, in the order [`candidates`] lists them (those that remove most first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EditKind {
    /// Remove a peer, with everything that names it.
    RemovePeer,
    /// Remove a fault step.
    RemoveFault,
    /// Cut a fault's `for_ms` or `at_ms`.
    FaultTime,
    /// Zero a peer's `headers_delay_ms` or `version_delay_ms`, or let the node dial it.
    PeerTiming,
    /// Shorten a chain or move its fork point down.
    Chain,
    /// Shorten `duration_s`.
    Duration,
    /// Narrow the latencies.
    Latency,
}

/// One single-edit variant of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The edited scenario (not yet validated).
    pub scenario: Scenario,
    /// Which kind of edit.
    pub kind: EditKind,
    /// What changed, for the progress line: `remove peer p3 (4 → 3 peers)`.
    pub edit: String,
}

/// Every single edit of `scenario` [`shrink`] tries, in its order: by [`EditKind`] (those that
/// remove most first; see the module docs), then by peer or fault index. Edits that would
/// change nothing or repeat an earlier one are left out; the list may hold candidates that do
/// not validate (the caller checks each).
pub fn candidates(scenario: &Scenario) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |kind: EditKind, scenario: Scenario, edit: String| {
        out.push(Candidate {
            scenario,
            kind,
            edit,
        })
    };
    for i in 0..scenario.peers.len() {
        if let Some(c) = remove_peer(scenario, i) {
            let edit = format!(
                "remove peer {} ({} → {} peers)",
                scenario.peers[i].name,
                scenario.peers.len(),
                c.peers.len()
            );
            push(EditKind::RemovePeer, c, edit);
        }
    }
    for (j, step) in scenario.faults.iter().enumerate() {
        let mut c = scenario.clone();
        c.faults.remove(j);
        let edit = format!(
            "remove fault `{}` at {} ms ({} → {} faults)",
            step.fault.label(),
            step.at_ms,
            scenario.faults.len(),
            c.faults.len()
        );
        push(EditKind::RemoveFault, c, edit);
    }
    for (j, step) in scenario.faults.iter().enumerate() {
        if let Some(for_ms) = step.for_ms.filter(|&f| f > FOR_MS_MIN) {
            for shorter in [FOR_MS_MIN, (for_ms / 2).max(FOR_MS_MIN)] {
                let mut c = scenario.clone();
                c.faults[j].for_ms = Some(shorter);
                push(
                    EditKind::FaultTime,
                    c,
                    format!(
                        "for_ms of fault `{}` {for_ms} → {shorter}",
                        step.fault.label()
                    ),
                );
            }
        }
        if step.at_ms > 0 {
            for earlier in [0, step.at_ms / 2] {
                let mut c = scenario.clone();
                c.faults[j].at_ms = earlier;
                push(
                    EditKind::FaultTime,
                    c,
                    format!(
                        "at_ms of fault `{}` {} → {earlier}",
                        step.fault.label(),
                        step.at_ms
                    ),
                );
            }
        }
    }
    for (i, peer) in scenario.peers.iter().enumerate() {
        if peer.headers_delay_ms > 0 {
            let mut c = scenario.clone();
            c.peers[i].headers_delay_ms = 0;
            push(
                EditKind::PeerTiming,
                c,
                format!(
                    "peer {} headers_delay_ms {} → 0",
                    peer.name, peer.headers_delay_ms
                ),
            );
        }
        if peer.version_delay_ms > 0 {
            let mut c = scenario.clone();
            c.peers[i].version_delay_ms = 0;
            push(
                EditKind::PeerTiming,
                c,
                format!(
                    "peer {} version_delay_ms {} → 0",
                    peer.name, peer.version_delay_ms
                ),
            );
        }
        if let Some(c) = node_dials_instead(scenario, i) {
            push(
                EditKind::PeerTiming,
                c,
                format!(
                    "the node dials peer {} instead of being dialled by it",
                    peer.name
                ),
            );
        }
    }
    for (c, edit) in all_chains_shorter(scenario) {
        push(EditKind::Chain, c, edit);
    }
    for (i, peer) in scenario.peers.iter().enumerate() {
        for (c, edit) in shorter_chains(scenario, i) {
            push(EditKind::Chain, c, format!("peer {} {edit}", peer.name));
        }
    }
    let d = scenario.duration_s;
    for shorter in [1, d / 2, d.saturating_sub((d / 10).max(1))] {
        if shorter >= 1 && shorter < d {
            let mut c = scenario.clone();
            c.duration_s = shorter;
            push(EditKind::Duration, c, format!("duration_s {d} → {shorter}"));
        }
    }
    if scenario.latency_ms_max > scenario.latency_ms_min {
        let mut c = scenario.clone();
        c.latency_ms_max = c.latency_ms_min;
        push(
            EditKind::Latency,
            c,
            format!(
                "latency_ms_max {} → {}",
                scenario.latency_ms_max, scenario.latency_ms_min
            ),
        );
    }
    if scenario.latency_ms_min > 1 {
        let mut c = scenario.clone();
        c.latency_ms_min = 1;
        push(
            EditKind::Latency,
            c,
            format!("latency_ms_min {} → 1", scenario.latency_ms_min),
        );
    }
    // Two edits may give the same scenario (for a chain of height 2, its lowest height, half
    // and −1 are all 1); keep the first.
    let mut seen: Vec<&Scenario> = Vec::new();
    let mut unique = Vec::with_capacity(out.len());
    for (k, candidate) in out.iter().enumerate() {
        if candidate.scenario != *scenario && !seen.contains(&&candidate.scenario) {
            seen.push(&candidate.scenario);
            unique.push(k);
        }
    }
    unique.into_iter().map(|k| out[k].clone()).collect()
}

/// `scenario` without peer `index`: its faults (every step naming it), its `node.connect`,
/// `node.addresses`, `node.noban` and `node.checkpoints` entries and its `expect.peers` entry
/// go with it, and `node.listen` is cleared when it was the last peer dialling the node (and
/// the node makes no self-connection). `None` for the last remaining peer or an index out of
/// range.
pub fn remove_peer(scenario: &Scenario, index: usize) -> Option<Scenario> {
    if scenario.peers.len() <= 1 || index >= scenario.peers.len() {
        return None;
    }
    let mut c = scenario.clone();
    let removed = c.peers.remove(index);
    let name = &removed.name;
    c.faults
        .retain(|step| !step.fault.hosts().into_iter().any(|host| host == name));
    c.node.connect.retain(|host| host != name);
    c.node.addresses.retain(|host| host != name);
    c.node.noban.retain(|host| host != name);
    c.node
        .checkpoints
        .retain(|checkpoint| &checkpoint.peer != name);
    c.expect.peers.remove(name);
    if removed.dials_node {
        clear_listen_if_unused(&mut c);
    }
    Some(c)
}

/// `scenario` with peer `index` dialled by the node instead of dialling it: added to
/// `node.connect` (or to `node.addresses` when the node uses automatic connections), and
/// `node.listen` cleared when no other peer dials the node. `None` unless the peer dials the
/// node.
fn node_dials_instead(scenario: &Scenario, index: usize) -> Option<Scenario> {
    let peer = scenario.peers.get(index).filter(|p| p.dials_node)?;
    let mut c = scenario.clone();
    c.peers[index].dials_node = false;
    if c.node.connect.is_empty() && !c.node.addresses.is_empty() {
        c.node.addresses.push(peer.name.clone());
    } else {
        c.node.connect.push(peer.name.clone());
    }
    clear_listen_if_unused(&mut c);
    Some(c)
}

/// Clears `node.listen` when no peer dials the node and the node does not dial itself.
fn clear_listen_if_unused(scenario: &mut Scenario) {
    if !scenario.peers.iter().any(|p| p.dials_node)
        && !scenario.node.connect.iter().any(|h| h == "node")
    {
        scenario.node.listen = false;
    }
}

/// Shorter chains for peer `index`, each with its edit text (`chain height 4500 → 2250`), the
/// shortest first: a regtest chain at its lowest height (1, or one above its fork point), at
/// half its height, 500, 100 and 1 below it, and a quarter, an eighth, ... of the way down to
/// its lowest height (never below 1 and always above its fork point); its fork
/// dropped (the same as a fork point at 0), its fork point at half and 1 below; a mainnet
/// chain's `height_max` the same way. Other chains are left alone.
pub fn shorter_chains(scenario: &Scenario, index: usize) -> Vec<(Scenario, String)> {
    let Some(peer) = scenario.peers.get(index) else {
        return Vec::new();
    };
    // The lowest height, half, −500, −100 and −1, and between them cuts of a quarter, an
    // eighth, ... of the way down to the lowest height: after a kept cut the next candidate at
    // the same position is a cut of about the same share, so a boundary (2000 headers, say)
    // is found in tens of runs rather than one run per header.
    let lower = |height: u32, floor: u32| -> Vec<u32> {
        let mut heights: Vec<u32> = vec![
            floor,
            height / 2,
            height.saturating_sub(500),
            height.saturating_sub(100),
            height.saturating_sub(1),
        ];
        let span = height.saturating_sub(floor);
        heights.extend(
            (2..u32::BITS)
                .map(|k| span >> k)
                .filter(|&cut| cut > 0)
                .map(|cut| height - cut),
        );
        heights.retain(|&h| h >= floor && h < height);
        heights.sort_unstable();
        heights.dedup();
        heights
    };
    let mut out = Vec::new();
    match &peer.chain {
        Some(ChainSpec::Regtest { height, seed, fork }) => {
            let floor = fork
                .as_ref()
                .map_or(1, |f| f.height.saturating_add(1))
                .max(1);
            for h in lower(*height, floor) {
                let mut c = scenario.clone();
                c.peers[index].chain = Some(ChainSpec::Regtest {
                    height: h,
                    seed: *seed,
                    fork: fork.clone(),
                });
                out.push((c, format!("chain height {height} → {h}")));
            }
            if let Some(f) = fork {
                // A fork at height 0 shares only genesis: the same chain as no fork.
                let mut c = scenario.clone();
                c.peers[index].chain = Some(ChainSpec::Regtest {
                    height: *height,
                    seed: *seed,
                    fork: None,
                });
                out.push((
                    c,
                    format!(
                        "fork at {} dropped (the chain is mined from its own seed from genesis)",
                        f.height
                    ),
                ));
                let mut points: Vec<u32> = Vec::new();
                for p in [f.height / 2, f.height.saturating_sub(1)] {
                    if p > 0 && p < f.height && !points.contains(&p) {
                        points.push(p);
                    }
                }
                for p in points {
                    let mut c = scenario.clone();
                    let moved = crate::scenario::chain::ForkSpec {
                        seed: f.seed,
                        height: p,
                    };
                    c.peers[index].chain = Some(ChainSpec::Regtest {
                        height: *height,
                        seed: *seed,
                        fork: Some(moved),
                    });
                    out.push((
                        c,
                        format!(
                            "fork point {} → {p} (its chain still ends at {height})",
                            f.height
                        ),
                    ));
                }
            }
        }
        Some(ChainSpec::Mainnet { height_max }) => {
            let height = height_max.unwrap_or(MAINNET_FIXTURE_HEIGHT);
            for h in lower(height, 1) {
                let mut c = scenario.clone();
                c.peers[index].chain = Some(ChainSpec::Mainnet {
                    height_max: Some(h),
                });
                out.push((c, format!("mainnet height_max {height} → {h}")));
            }
        }
        _ => {}
    }
    out
}

/// Every regtest chain shortened by the same number of headers at once (half the smallest
/// room any of them has above its fork point, 500 and 100), so chains whose relation is the
/// point (a fork with equal work, a prefix one header short) keep it while they shrink. A
/// chain never goes below one above its fork point. Empty with fewer than two regtest chains.
pub fn all_chains_shorter(scenario: &Scenario) -> Vec<(Scenario, String)> {
    let chains: Vec<(usize, u32, u32)> = scenario
        .peers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.chain {
            Some(ChainSpec::Regtest { height, fork, .. }) => Some((
                i,
                *height,
                fork.as_ref()
                    .map_or(1, |f| f.height.saturating_add(1))
                    .max(1),
            )),
            _ => None,
        })
        .collect();
    if chains.len() < 2 {
        return Vec::new();
    }
    let room = chains
        .iter()
        .map(|(_, height, floor)| height.saturating_sub(*floor))
        .min()
        .unwrap_or(0);
    let mut out = Vec::new();
    let mut cuts: Vec<u32> = Vec::new();
    for cut in [room / 2, 500, 100] {
        if cut > 0 && cut <= room && !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    for cut in cuts {
        let mut c = scenario.clone();
        for (i, height, _) in &chains {
            if let Some(ChainSpec::Regtest { height: h, .. }) = c.peers[*i].chain.as_mut() {
                *h = height - cut;
            }
        }
        out.push((c, format!("every regtest chain {cut} headers shorter")));
    }
    out
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

/// The candidate as its JSON file would give it back: `None` if it does not validate or reads
/// back differently (then its file would not reproduce it).
fn reparse(candidate: &Scenario, name: &str) -> Option<(Scenario, String)> {
    let json = serde_json::to_string(candidate).ok()?;
    let parsed = Scenario::parse(name, &json).ok()?;
    (parsed == *candidate).then_some((parsed, json))
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

/// Errors of [`shrink`] and [`write_scenario`].
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The original passes every check: there is no failure to keep.
    #[error("{name} passes; nothing to shrink")]
    Passes {
        /// The original's name.
        name: String,
    },
    /// The original's run stopped with a harness error instead of failing a check.
    #[error("{name}: the run ended with a harness error, not a failed check, so there is no failure to keep: {error}")]
    Harness {
        /// The original's name.
        name: String,
        /// The error.
        error: SimError,
    },
    /// The original's run panicked.
    #[error("{name}: the run panicked ({message}), so there is no failed check to keep")]
    Panicked {
        /// The original's name.
        name: String,
        /// The panic's message.
        message: String,
    },
    /// The scenario could not be written as JSON.
    #[error("scenario JSON: {0}")]
    Serialize(String),
    /// The output file exists and overwriting was not asked for.
    #[error("{path} exists; pass --force to overwrite it, or --name to choose another name")]
    Exists {
        /// The file.
        path: String,
    },
    /// The output folder or file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Shrinks `scenario` (called `name`, for example its file name: it names the runs and goes
/// into the new description) as the module docs describe, calling `progress` with the target
/// line (`shrinking while invariant `liveness` fails`) and one line per kept edit (`kept:
/// remove peer p3 (4 → 3 peers)`).
///
/// The shrunk scenario's description becomes `shrunk by `sim shrink` from NAME (ORIGINAL
/// DESCRIPTION); fails invariant `X` when the bug is present` (or the target's other
/// [`Target::verdict`]).
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
    current.description = format!(
        "shrunk by `sim shrink` from {name} ({}); {} when the bug is present",
        scenario.description,
        target.verdict()
    );
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

/// A file stem made of `[a-z0-9_]` that is also a Rust identifier (a regression's test is
/// named after it): letters lower-cased, anything else `_`, runs of `_` joined, `_` trimmed at
/// the ends; a leading digit gets `regression_` before it; empty gives `shrunk`.
pub fn sanitize_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && name.ends_with('_')) {
            name.push(c);
        }
    }
    let name = name.trim_matches('_');
    if name.is_empty() {
        "shrunk".to_string()
    } else if name.starts_with(|c: char| c.is_ascii_digit()) || is_keyword(name) {
        format!("regression_{name}")
    } else {
        name.to_string()
    }
}

/// Rust's strict and reserved keywords in lower case (a test function cannot be named so).
fn is_keyword(name: &str) -> bool {
    const KEYWORDS: [&str; 50] = [
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    ];
    KEYWORDS.contains(&name)
}

/// Where [`write_scenario`] puts `name` in `dir`: `dir/name.json`.
pub fn output_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Writes `scenario` as [`to_json`] to [`output_path`] (creating `dir`), refusing to replace
/// an existing file unless `force`. Returns the path.
///
/// # Errors
/// [`ShrinkError::Exists`], [`ShrinkError::Io`] naming the folder or file,
/// [`ShrinkError::Serialize`].
pub fn write_scenario(
    scenario: &Scenario,
    dir: &Path,
    name: &str,
    force: bool,
) -> Result<PathBuf, ShrinkError> {
    use std::io::Write;
    let json = to_json(scenario)?;
    std::fs::create_dir_all(dir).map_err(|source| ShrinkError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let path = output_path(dir, name);
    let io = |source: std::io::Error| ShrinkError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = if force {
        std::fs::File::create(&path).map_err(io)?
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    ShrinkError::Exists {
                        path: path.display().to_string(),
                    }
                } else {
                    io(source)
                }
            })?
    };
    file.write_all(json.as_bytes()).map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::chain::ForkSpec;
    use crate::scenario::{Fault, FaultStep, MessageAction, MessageFault};

    /// Three regtest peers: `p1` honest (dialled), `p2` on a fork (dialled, NoBan, with
    /// expectations and a checkpoint), `p3` dialling the node; a partition of `p2`, a crash of
    /// `p3` and a message fault on `p1`.
    fn three_peers() -> Scenario {
        let text = r#"{"description":"three peers","seed":4,"duration_s":600,"latency_ms_min":5,"latency_ms_max":40,
            "node":{"network":"regtest","connect":["p1","p2"],"listen":true,"noban":["p2"],
                    "checkpoints":[{"height":10,"peer":"p2"}]},
            "peers":[{"name":"p1","chain":{"regtest":{"height":1200,"seed":9}},"headers_delay_ms":300},
                     {"name":"p2","chain":{"regtest":{"height":900,"seed":11,"fork":{"seed":9,"height":800}}}},
                     {"name":"p3","chain":{"regtest":{"height":1,"seed":9}},"dials_node":true,"version_delay_ms":50}],
            "faults":[{"at_ms":3000,"for_ms":40000,"fault":{"partition":{"a":"node","b":"p2"}}},
                      {"at_ms":0,"for_ms":5,"fault":{"crash":"p3"}},
                      {"at_ms":0,"fault":{"message":{"peer":"p1","command":"verack","nth":1,"action":"duplicate"}}}],
            "expect":{"peers":{"p2":{"handshake":true},"p1":{"handshake":true}}}}"#;
        Scenario::parse("three.json", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn removing_a_peer_takes_its_faults_connect_noban_checkpoint_and_expectations_with_it() {
        let s = three_peers();
        let without_p2 = remove_peer(&s, 1).expect("not the last peer");
        assert_eq!(
            without_p2
                .peers
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["p1", "p3"]
        );
        assert_eq!(without_p2.node.connect, ["p1"]);
        assert!(without_p2.node.noban.is_empty() && without_p2.node.checkpoints.is_empty());
        assert_eq!(without_p2.faults.len(), 2, "the partition of p2 goes");
        assert!(without_p2
            .faults
            .iter()
            .all(|f| !f.fault.hosts().iter().any(|h| *h == "p2")));
        assert!(
            !without_p2.expect.peers.contains_key("p2")
                && without_p2.expect.peers.contains_key("p1")
        );
        assert!(without_p2.node.listen, "p3 still dials the node");
        let without_p3 = remove_peer(&s, 2).expect("not the last peer");
        assert!(!without_p3.node.listen, "no peer dials the node any more");
        assert!(matches!(
            without_p3.faults[..],
            [
                FaultStep {
                    fault: Fault::Partition(_),
                    ..
                },
                FaultStep {
                    fault: Fault::Message(_),
                    ..
                }
            ]
        ));
        assert!(Scenario::parse("x.json", &to_json(&without_p2).expect("json")).is_ok());
    }

    #[test]
    fn the_last_peer_is_never_removed() {
        let mut s = three_peers();
        s = remove_peer(&s, 2)
            .and_then(|s| remove_peer(&s, 1))
            .expect("two removals");
        assert_eq!(s.peers.len(), 1);
        assert_eq!(remove_peer(&s, 0), None);
        assert!(
            candidates(&s).iter().all(|c| c.scenario.peers.len() == 1),
            "no candidate removes the last peer"
        );
        assert_eq!(remove_peer(&s, 5), None, "an index out of range is no edit");
    }

    #[test]
    fn a_peer_that_dialled_the_node_is_dialled_instead_and_listen_goes_when_unused() {
        let s = three_peers();
        let c = node_dials_instead(&s, 2).expect("p3 dials the node");
        assert!(!c.peers[2].dials_node);
        assert_eq!(c.node.connect, ["p1", "p2", "p3"]);
        assert!(!c.node.listen);
        assert_eq!(node_dials_instead(&s, 0), None, "p1 is dialled already");
    }

    #[test]
    fn shorter_chains_stay_above_the_fork_point_and_at_least_1() {
        let s = three_peers();
        for i in 0..s.peers.len() {
            for (c, edit) in shorter_chains(&s, i) {
                let Some(ChainSpec::Regtest { height, fork, .. }) = &c.peers[i].chain else {
                    panic!("{edit}: still regtest")
                };
                assert!(*height >= 1, "{edit}");
                if let Some(fork) = fork {
                    assert!(
                        fork.height < *height,
                        "{edit}: fork point {} not below height {height}",
                        fork.height
                    );
                }
                assert!(
                    Scenario::parse("x.json", &to_json(&c).expect("json")).is_ok(),
                    "{edit}"
                );
            }
        }
        let heights = |i: usize| -> Vec<String> {
            shorter_chains(&s, i).into_iter().map(|(_, e)| e).collect()
        };
        // Cuts of 1199/4 = 299, 149, 74, 37, 18, 9, 4, 2, 1 between the fixed ones.
        let to = |heights: &[u32], from: u32| {
            heights
                .iter()
                .map(|h| format!("chain height {from} → {h}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            heights(0),
            to(
                &[1, 600, 700, 901, 1051, 1100, 1126, 1163, 1182, 1191, 1196, 1198, 1199],
                1200
            )
        );
        // p2 forks at 800 and ends at 900: half, -500 and -100 would reach the fork point, so
        // 801 (just above it), cuts of 99/4 = 24, 12, 6, 3, 1 and 899 are left; the fork goes,
        // or its point moves to 400 or 799.
        let mut expected = to(&[801, 876, 888, 894, 897, 899], 900);
        expected.extend(
            [
                "fork at 800 dropped (the chain is mined from its own seed from genesis)",
                "fork point 800 → 400 (its chain still ends at 900)",
                "fork point 800 → 799 (its chain still ends at 900)",
            ]
            .map(String::from),
        );
        assert_eq!(heights(1), expected);
        assert!(
            heights(2).is_empty(),
            "a chain of height 1 is as short as it gets"
        );
        let mut fork_at_zero = s.clone();
        fork_at_zero.peers[1].chain = Some(ChainSpec::Regtest {
            height: 2,
            seed: 11,
            fork: Some(ForkSpec { seed: 9, height: 0 }),
        });
        let edits: Vec<String> = shorter_chains(&fork_at_zero, 1)
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        assert_eq!(
            edits,
            [
                "chain height 2 → 1",
                "fork at 0 dropped (the chain is mined from its own seed from genesis)"
            ]
        );
        let Some(ChainSpec::Regtest { fork: None, .. }) =
            &shorter_chains(&fork_at_zero, 1)[1].0.peers[1].chain
        else {
            panic!("no fork")
        };
    }

    #[test]
    fn fault_times_halve_down_to_the_minimum_and_duration_and_latency_shrink() {
        let s = three_peers();
        let edits: Vec<String> = candidates(&s).into_iter().map(|c| c.edit).collect();
        let position = |edit: &str| {
            edits
                .iter()
                .position(|e| e == edit)
                .unwrap_or_else(|| panic!("no `{edit}` in {edits:#?}"))
        };
        assert!(
            position("for_ms of fault `partition node p2` 40000 → 10")
                < position("for_ms of fault `partition node p2` 40000 → 20000")
        );
        assert!(
            position("at_ms of fault `partition node p2` 3000 → 0")
                < position("at_ms of fault `partition node p2` 3000 → 1500")
        );
        assert!(
            !edits
                .iter()
                .any(|e| e.contains("for_ms of fault `crash p3`")),
            "for_ms 5 is under the minimum already"
        );
        assert!(
            !edits
                .iter()
                .any(|e| e.starts_with("at_ms of fault `message")),
            "at_ms 0 cannot move earlier"
        );
        assert!(position("duration_s 600 → 1") < position("duration_s 600 → 300"));
        assert!(position("duration_s 600 → 300") < position("duration_s 600 → 540"));
        assert!(
            edits.contains(&"latency_ms_max 40 → 5".to_string())
                && edits.contains(&"latency_ms_min 5 → 1".to_string())
        );
        assert!(
            edits.contains(&"peer p1 headers_delay_ms 300 → 0".to_string())
                && edits.contains(&"peer p3 version_delay_ms 50 → 0".to_string())
        );
        assert_eq!(
            edits[0], "remove peer p1 (3 → 2 peers)",
            "removals come first"
        );
        let kinds: Vec<EditKind> = candidates(&s).into_iter().map(|c| c.kind).collect();
        assert!(
            kinds.windows(2).all(|w| w[0] <= w[1]),
            "sorted by kind: {kinds:?}"
        );
        assert_eq!(kinds.last(), Some(&EditKind::Latency));
        let mut one_second = s.clone();
        one_second.duration_s = 1;
        assert!(!candidates(&one_second)
            .iter()
            .any(|c| c.scenario.duration_s < 1));
    }

    #[test]
    fn every_candidate_of_generated_scenarios_reads_back_or_is_refused_with_a_reason() {
        let mut checked = 0;
        for seed in 0..20 {
            let s = crate::tools::generator::generate(seed);
            for candidate in candidates(&s) {
                assert_ne!(
                    candidate.scenario, s,
                    "seed {seed}: `{}` changes nothing",
                    candidate.edit
                );
                let json = to_json(&candidate.scenario).expect("json");
                match Scenario::parse("candidate.json", &json) {
                    Ok(back) => {
                        assert_eq!(
                            back, candidate.scenario,
                            "seed {seed}: `{}` reads back differently",
                            candidate.edit
                        );
                        assert!(reparse(&candidate.scenario, "candidate.json").is_some());
                        checked += 1;
                    }
                    // Only a shorter duration may put a fault after the end.
                    Err(error) => {
                        assert!(
                            candidate.edit.starts_with("duration_s"),
                            "seed {seed}: `{}`: {error}",
                            candidate.edit
                        );
                        assert!(
                            error.to_string().contains("after the end of the scenario"),
                            "{error}"
                        );
                        assert!(reparse(&candidate.scenario, "candidate.json").is_none());
                    }
                }
            }
        }
        assert!(checked > 200, "{checked} candidates");
    }

    #[test]
    fn names_are_sanitized_to_lower_case_identifiers() {
        assert_eq!(sanitize_name("explore-4711_shrunk"), "explore_4711_shrunk");
        assert_eq!(sanitize_name("My Bug!!.v2"), "my_bug_v2");
        assert_eq!(sanitize_name("4711"), "regression_4711");
        assert_eq!(sanitize_name("--"), "shrunk");
        assert_eq!(sanitize_name("type"), "regression_type");
        assert_eq!(sanitize_name("Ünïcode"), "n_code");
    }

    #[test]
    fn writing_refuses_to_overwrite_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("regressions");
        let s = three_peers();
        let path = write_scenario(&s, &out, "x_shrunk", false).expect("first write");
        assert_eq!(path, out.join("x_shrunk.json"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.ends_with("}\n"));
        assert_eq!(Scenario::parse("x.json", &text).expect("valid"), s);
        let error = write_scenario(&s, &out, "x_shrunk", false).expect_err("exists");
        assert!(
            matches!(error, ShrinkError::Exists { .. })
                && error.to_string().contains("x_shrunk.json exists"),
            "{error}"
        );
        write_scenario(&s, &out, "x_shrunk", true).expect("forced");
    }

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
