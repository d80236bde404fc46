//! Liveness: whether it applies to a run (an honest peer with more work reachable once faults
//! stop) and the bound within which the node must reach that peer's chainwork.

use bitcoin::block::Header;
use bitcoin::pow::Work;
use node::config::Timing;
use node::Profile;

/// A duration in whole milliseconds (saturating).
pub(super) fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whether liveness applies to a run, and what it demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// It does not apply, for this reason.
    NotApplicable(String),
    /// The node must reach `target_work` by `by_ms`.
    Check {
        /// The honest peer with the most work.
        peer: String,
        /// Its chain's work.
        target_work: Work,
        /// The deadline, in ms since the start: when faults stopped plus the bound.
        by_ms: u64,
    },
}

/// Core's per-header part of the headers download timeout at the end of the run, at its
/// largest: one `headers_download_timeout_per_header` per 600 s between the oldest header of
/// any chain and the end (the node's `core_headers_sync_allowance_ms`).
fn headers_download_allowance_ms(
    scenario: &crate::scenario::Scenario,
    chains: &[&[Header]],
    timing: &Timing,
) -> u64 {
    let oldest_s = chains
        .iter()
        .filter_map(|c| c.first())
        .map(|h| u64::from(h.time))
        .min()
        .unwrap_or(0);
    let end_s = scenario.epoch_s.saturating_add(scenario.duration_s);
    let per_header_us =
        u64::try_from(timing.headers_download_timeout_per_header.as_micros()).unwrap_or(u64::MAX);
    (per_header_us.saturating_mul(end_s.saturating_sub(oldest_s)) / 600).div_ceil(1000)
}

/// Total work of a chain from genesis (`chain[0]`).
pub fn chain_work(chain: &[Header]) -> Work {
    let mut work = Work::from_be_bytes([0; 32]);
    for header in chain {
        work = work + header.work();
    }
    work
}

/// Decides whether liveness applies to `scenario` (peers' chains given by `chains`, in the
/// order of `scenario.peers`) and what it demands, for a node with `timing`.
///
/// An honest peer: behaviour `honest`, a chain from genesis, the default `start_height`, a
/// version of at least 70015 with `NODE_NETWORK | NODE_WITNESS`, a `version_delay_ms` under
/// half the handshake timeout, no `version_fields`, no message, clock or ban fault aimed at it,
/// dialled by the node (`connect`, or `addresses` when `target_outbound` gives every address a
/// slot; `automatic`, dialled once, only when no fault
/// names it or the node) or dialling it, and at the end neither crashed, nor refusing dials,
/// nor cut off from the node, and (btcd) whose chain has no other header at a checkpoint's
/// height than the checkpoint. Under Core, a peer that dials the node does not count while
/// exactly one honest
/// peer the node dials is reachable (Core keeps that one as its initial-sync peer). Faults
/// stop at the latest fault time (`at_ms`, or `at_ms + for_ms`). The bound
/// is what the profile needs to drop every other peer that stands in the way and sync:
///
/// `retry_max + dial_timeout + handshake_timeout + (peers + 1) × give_up + transfer`
///
/// where `give_up` is the longest time the profile keeps a peer that does not serve headers
/// (btcd: the largest of the idle timeout, three stall response timeouts plus a stall tick,
/// and the sync stall limit plus a sample interval; Core: the largest of the idle timeout,
/// the ping timeout plus the ping interval, the headers download timeout (its base plus one
/// per-header allowance per 600 s from the oldest header to the end of the run), and
/// the chain-sync timeout plus the headers response time) and `transfer` is one round trip
/// at the worst latency, the peer's `headers_delay_ms` and 1 s of processing per 2000
/// headers (plus one).
pub fn liveness(
    scenario: &crate::scenario::Scenario,
    chains: &[&[Header]],
    timing: &Timing,
) -> Liveness {
    use crate::scenario::Fault;
    let not = |why: &str| Liveness::NotApplicable(why.to_string());
    if scenario.node.trusted_start.is_some() {
        return not("the node starts from a trusted header");
    }
    if scenario.node.minimum_chain_work.is_some() {
        return not("a minimum chain work is set");
    }
    // Link and host state at the end, and when faults stopped.
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    let mut settle_ms = 0;
    for (index, step) in scenario.faults.iter().enumerate() {
        events.push((step.at_ms, false, index));
        settle_ms = settle_ms.max(step.at_ms);
        if let Some(for_ms) = step.for_ms {
            events.push((step.at_ms.saturating_add(for_ms), true, index));
            settle_ms = settle_ms.max(step.at_ms.saturating_add(for_ms));
        }
    }
    events.sort();
    let pair = |a: &str, b: &str| {
        if a < b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    };
    let mut cut: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut cut_oneway: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut crashed: std::collections::BTreeSet<String> = Default::default();
    let mut refused: std::collections::BTreeSet<String> = Default::default();
    let mut targeted: std::collections::BTreeSet<String> = Default::default();
    for (_, undo, index) in events {
        match (&scenario.faults[index].fault, undo) {
            (Fault::Partition(l) | Fault::Hold(l), false) => {
                cut.insert(pair(&l.a, &l.b));
            }
            (Fault::Partition(l) | Fault::Hold(l), true)
            | (Fault::Repair(l) | Fault::Release(l), false) => {
                cut.remove(&pair(&l.a, &l.b));
            }
            (Fault::PartitionOneway(o), false) => {
                cut_oneway.insert((o.from.clone(), o.to.clone()));
            }
            (Fault::PartitionOneway(o), true) | (Fault::RepairOneway(o), false) => {
                cut_oneway.remove(&(o.from.clone(), o.to.clone()));
            }
            (Fault::Crash(h) | Fault::Stop(h), false) => {
                crashed.insert(h.clone());
            }
            (Fault::Crash(h) | Fault::Stop(h), true) | (Fault::Restart(h), false) => {
                crashed.remove(h);
            }
            (Fault::RefuseDials(h), false) => {
                refused.insert(h.clone());
            }
            (Fault::RefuseDials(h), true) => {
                refused.remove(h);
            }
            (Fault::Message(m), _) => {
                targeted.insert(m.peer.clone());
            }
            (Fault::VersionTimeSkew(v), _) => {
                targeted.insert(v.peer.clone());
            }
            (Fault::HeaderTimeSkew(h), _) => {
                targeted.insert(h.peer.clone());
            }
            (Fault::Ban(b), _) => {
                targeted.insert(b.host.clone());
            }
            (Fault::Loss(l), false) => {
                cut.insert(pair(&l.a, &l.b));
            }
            (Fault::Loss(l), true) => {
                cut.remove(&pair(&l.a, &l.b));
            }
            _ => {}
        }
    }
    if crashed.contains("node") {
        return not("the node is down at the end");
    }
    let handshake_ms = ms(timing.handshake_timeout);
    // A host dialled once (`automatic`) is never dialled again once its connection is lost, so
    // it counts only when no fault names it or the node.
    let faulted: std::collections::BTreeSet<&String> = scenario
        .faults
        .iter()
        .flat_map(|step| step.fault.hosts())
        .collect();
    // An address of the list is sure to get a slot only when there are slots for all of
    // them: with fewer, a peer that keeps its slot without serving more work (an honest peer
    // on a shorter chain) can keep the others out until Core's stale-tip check, 30 minutes on.
    let every_address_has_a_slot =
        scenario.node.target_outbound.unwrap_or(8) >= scenario.node.addresses.len();
    let dialled = |name: &str| {
        scenario.node.connect.iter().any(|h| h == name)
            || (every_address_has_a_slot && scenario.node.addresses.iter().any(|h| h == name))
            || (scenario.node.automatic.iter().any(|h| h == name)
                && !faulted.iter().any(|h| *h == name || *h == "node"))
    };
    let steady = |spec: &crate::scenario::PeerSpec| {
        let name = spec.name.as_str();
        let reachable = (dialled(name) || (spec.dials_node && scenario.node.listen))
            && !crashed.contains(name)
            && !refused.contains(name)
            && !cut.contains(&pair("node", name))
            && !cut_oneway.contains(&("node".to_string(), name.to_string()))
            && !cut_oneway.contains(&(name.to_string(), "node".to_string()));
        let honest = spec.behaviour == crate::scenario::Behaviour::Honest
            && spec.chain.as_ref().is_some_and(|c| c.first_height() == 0)
            && spec.start_height.is_none()
            && spec.version >= 70015
            && spec.services & 0x9 == 0x9
            && spec.version_delay_ms < handshake_ms / 2
            && spec.version_fields.is_empty()
            && !targeted.contains(name);
        honest && reachable
    };
    // Core asks one peer at a time for the initial headers and picks another only once that
    // one is dropped; its headers-sync timeout drops the sync peer only while another
    // outbound peer could take over. With exactly one steady outbound peer, the sync stays
    // with it for good, and a peer that dialled us is asked only once it announces a block,
    // which fake peers never do.
    let steady_outbound = scenario
        .peers
        .iter()
        .filter(|p| dialled(&p.name) && steady(p))
        .count();
    let core = scenario.node.profile.profile() == Profile::Core;
    // btcd's checkpoints (the Core profile ignores them), as the checkpointed peers' headers.
    let checkpoints: Vec<(usize, bitcoin::BlockHash)> = if core {
        Vec::new()
    } else {
        scenario
            .node
            .checkpoints
            .iter()
            .filter_map(|c| {
                let index = scenario.peers.iter().position(|p| p.name == c.peer)?;
                let header = chains.get(index)?.get(c.height as usize)?;
                Some((c.height as usize, header.block_hash()))
            })
            .collect()
    };
    let conflicts = |chain: &[Header]| {
        checkpoints
            .iter()
            .any(|(height, hash)| chain.get(*height).is_some_and(|h| h.block_hash() != *hash))
    };
    let mut best: Option<(String, Work, u64)> = None;
    for (spec, chain) in scenario.peers.iter().zip(chains.iter().copied()) {
        if !steady(spec) || (core && !dialled(&spec.name) && steady_outbound == 1) {
            continue;
        }
        // A chain through another header at a checkpoint height is refused, rightly.
        if conflicts(chain) {
            continue;
        }
        let work = chain_work(chain);
        if best.as_ref().is_none_or(|(_, w, _)| work > *w) {
            best = Some((spec.name.clone(), work, spec.headers_delay_ms));
        }
    }
    let Some((peer, target_work, headers_delay_ms)) = best else {
        return not("no honest peer is reachable at the end");
    };
    let height = chains.iter().map(|c| c.len() as u64).max().unwrap_or(1);
    let give_up = match scenario.node.profile.profile() {
        Profile::Btcd => ms(timing.idle_timeout)
            .max(3 * ms(timing.stall_response_timeout) + ms(timing.stall_tick_interval))
            .max(ms(timing.sync_stall_max) + ms(timing.sync_stall_sample_interval)),
        Profile::Core => ms(timing.idle_timeout)
            .max(ms(timing.ping_timeout) + ms(timing.ping_interval))
            .max(
                ms(timing.headers_download_timeout_base)
                    + headers_download_allowance_ms(scenario, chains, timing),
            )
            .max(ms(timing.chain_sync_timeout) + ms(timing.headers_response_time)),
    };
    let others = scenario.peers.len() as u64;
    let transfer = (height / 2000 + 1) * (2 * scenario.latency_ms_max + headers_delay_ms + 1000);
    let bound = ms(timing.retry_max)
        + ms(timing.dial_timeout)
        + handshake_ms
        + (others + 1) * give_up
        + transfer;
    let by_ms = settle_ms + bound;
    if by_ms > scenario.duration_s * 1000 {
        return not(&format!(
            "the run ends before faults stop plus the bound ({by_ms} ms)"
        ));
    }
    Liveness::Check {
        peer,
        target_work,
        by_ms,
    }
}
