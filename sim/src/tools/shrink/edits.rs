//! The single edits [`shrink`](super::shrink) tries ([`candidates`]), those that remove most
//! first: peers, faults, behaviours, node options, fault times, weaker faults, peer delays,
//! chains, duration, latencies.

use super::simplify;
use super::size::MAINNET_FIXTURE_HEIGHT;
use crate::scenario::chain::ChainSpec;
use crate::scenario::Scenario;

/// The shortest `for_ms` a cut leaves, in milliseconds.
pub const FOR_MS_MIN: u64 = 10;

/// The kinds of edit, in the order [`candidates`] lists them (those that remove most first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EditKind {
    /// Remove a peer, with everything that names it.
    RemovePeer,
    /// Remove a fault step.
    RemoveFault,
    /// Simplify a peer's behaviour: a shorter script, an honest peer, a misbehaviour on its
    /// first batch.
    Behaviour,
    /// Drop a node option: a checkpoint, a NoBan entry, the inbound limit, the minimum chain
    /// work; make an automatic connection manual.
    NodeOption,
    /// Cut a fault's `for_ms` or `at_ms`.
    FaultTime,
    /// Weaken a fault: a smaller latency, loss, skew, ban or delay, the first message.
    WeakerFault,
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

/// Every single edit of `scenario` [`shrink`](super::shrink) tries, in its order: by [`EditKind`] (those that
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
    for (c, edit) in simplify::simpler_behaviours(scenario) {
        push(EditKind::Behaviour, c, edit);
    }
    for (c, edit) in simplify::fewer_node_options(scenario) {
        push(EditKind::NodeOption, c, edit);
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
    for (c, edit) in simplify::weaker_faults(scenario) {
        push(EditKind::WeakerFault, c, edit);
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
/// `node.automatic`, `node.addresses`, `node.noban` and `node.checkpoints` entries and its `expect.peers` entry
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
    c.node.automatic.retain(|host| host != name);
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::three_peers;
    use super::super::output::{reparse, to_json};
    use super::*;
    use crate::scenario::chain::ForkSpec;
    use crate::scenario::{Fault, FaultStep};

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
}
