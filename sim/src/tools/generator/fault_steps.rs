//! Faults beyond the first draw: explicit undo steps (`repair`, `repair_oneway`, `release`,
//! `restart`) in place of a drawn fault's `for_ms`; message faults on the commands a peer sends
//! after the handshake (`pong`, `headers`); header time skews; a clean stop of the node. Each
//! is drawn only where it is sure to fire, since a fault that never fires fails the run.

use super::{Draw, FAULT_WINDOW_MS};
use crate::scenario::chain::ChainSpec;
use crate::scenario::{Behaviour, Fault, FaultStep, HeaderTimeSkew, MessageFault, Scenario};

/// In about one seed in four that has a fault with a `for_ms`, that fault ends with an
/// explicit undo step at the same time instead (`partition` → `repair`, `partition_oneway` →
/// `repair_oneway`, `hold` → `release`, `crash` → `restart`). The run is the same world; what
/// changes is which fault kinds fire.
pub(super) fn explicit_undo(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(25) {
        return;
    }
    let undoable: Vec<usize> = (0..scenario.faults.len())
        .filter(|&i| {
            let step = &scenario.faults[i];
            step.for_ms.is_some()
                && matches!(
                    step.fault,
                    Fault::Partition(_)
                        | Fault::PartitionOneway(_)
                        | Fault::Hold(_)
                        | Fault::Crash(_)
                )
        })
        .collect();
    if undoable.is_empty() {
        return;
    }
    let index = undoable[draw.below(undoable.len() as u64) as usize];
    let step = &mut scenario.faults[index];
    let end_ms = step.at_ms + step.for_ms.take().expect("filtered on for_ms");
    let undo = match &step.fault {
        Fault::Partition(link) => Fault::Repair(link.clone()),
        Fault::PartitionOneway(one_way) => Fault::RepairOneway(one_way.clone()),
        Fault::Hold(link) => Fault::Release(link.clone()),
        Fault::Crash(host) => Fault::Restart(host.clone()),
        _ => unreachable!("filtered on the undoable kinds"),
    };
    scenario.faults.push(FaultStep {
        at_ms: end_ms,
        for_ms: None,
        fault: undo,
    });
}

/// Whether the first peer is sure to be asked for headers and pinged: honest, on a regtest
/// chain of at least one header, the only peer the node dials (manually, so it is redialled),
/// and named by no fault. The node then takes it as its sync peer, asks it for headers and
/// pings it.
fn first_peer_is_sure(scenario: &Scenario) -> Option<u32> {
    let first = scenario.peers.first()?;
    let height = match &first.chain {
        Some(ChainSpec::Regtest { height, .. }) if *height > 0 => *height,
        _ => return None,
    };
    let only_dialled = scenario.node.connect == [first.name.clone()]
        && scenario.node.automatic.is_empty()
        && scenario.node.addresses.is_empty();
    let named = scenario.faults.iter().any(|f| {
        f.fault
            .hosts()
            .iter()
            .any(|h| *h == &first.name || *h == "node")
    });
    (first.behaviour == Behaviour::Honest && only_dialled && !named).then_some(height)
}

/// In about one seed in five where the first peer is sure to serve (see
/// [`first_peer_is_sure`]), one fault on it after the handshake: a message fault on its first
/// `pong` or first `headers` (drop, delay, duplicate, truncate, corrupt, split, close), or a
/// skew of its header times from a drawn height (regrinding, so only the time is wrong).
pub(super) fn after_handshake(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(20) {
        return;
    }
    let Some(height) = first_peer_is_sure(scenario) else {
        return;
    };
    let peer = scenario.peers[0].name.clone();
    let fault = if draw.chance(70) {
        let action = super::message_action(draw, 30_000);
        Fault::Message(MessageFault {
            peer,
            command: if draw.chance(50) { "pong" } else { "headers" }.into(),
            nth: 1,
            action,
        })
    } else {
        // Earlier than the median time past, or later than the two-hour limit.
        let offset_s = if draw.chance(50) {
            -(draw.range(7_200, 100_000) as i64)
        } else {
            draw.range(7_200 * 50, 7_200 * 500) as i64
        };
        Fault::HeaderTimeSkew(HeaderTimeSkew {
            peer,
            offset_s,
            from_height: draw.range(1, u64::from(height)) as u32,
        })
    };
    scenario.faults.push(FaultStep {
        at_ms: 0,
        for_ms: None,
        fault,
    });
}

/// In about one seed in fifteen, a clean stop of the node (`stop`: every peer disconnected
/// with `shutdown`, the store closed) at a drawn time, restarted by its `for_ms` or by an
/// explicit `restart` step; only where nothing else stops the node or needs it running (a
/// crash of the node, an operator's ban).
pub(super) fn clean_stop(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(7) {
        return;
    }
    let in_the_way = scenario.faults.iter().any(|f| {
        matches!(&f.fault, Fault::Crash(h) | Fault::Stop(h) if h == "node")
            || matches!(f.fault, Fault::Ban(_))
    });
    if in_the_way {
        return;
    }
    let at_ms = draw.below(FAULT_WINDOW_MS / 10) * 10;
    let down_ms = draw.range(1, 30_000);
    let explicit = draw.chance(50);
    scenario.faults.push(FaultStep {
        at_ms,
        for_ms: (!explicit).then_some(down_ms),
        fault: Fault::Stop("node".into()),
    });
    if explicit {
        scenario.faults.push(FaultStep {
            at_ms: at_ms + down_ms,
            for_ms: None,
            fault: Fault::Restart("node".into()),
        });
    }
}

/// In half the seeds with an operator's ban and no stop or crash of the node, the node goes
/// down while the ban is in force and comes back within it: a clean stop (Core writes its
/// banlist at shutdown and must load the ban again with its time left; btcd forgets it) or,
/// one time in three, a crash (Core may lose a ban set since its last periodic write). Drawn
/// after everything else.
pub(super) fn restart_while_banned(draw: &mut Draw, scenario: &mut Scenario) {
    let down = scenario
        .faults
        .iter()
        .any(|f| matches!(&f.fault, Fault::Crash(h) | Fault::Stop(h) if h == "node"));
    let ban = scenario.faults.iter().find_map(|f| match &f.fault {
        Fault::Ban(b) => Some((f.at_ms, b.duration_s)),
        _ => None,
    });
    let Some((ban_at_ms, duration_s)) = ban.filter(|_| !down) else {
        return;
    };
    if !draw.chance(50) {
        return;
    }
    // Down from a second after the ban, for at most a third of its length.
    let ban_ms = duration_s * 1000;
    let at_ms = ban_at_ms + draw.range(1_000, ban_ms / 3);
    let down_ms = draw.range(1_000, ban_ms / 3);
    let host = "node".to_string();
    let fault = if draw.chance(33) {
        Fault::Crash(host)
    } else {
        Fault::Stop(host)
    };
    scenario.faults.push(FaultStep {
        at_ms,
        for_ms: Some(down_ms),
        fault,
    });
}
