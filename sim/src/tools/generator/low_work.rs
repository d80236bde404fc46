//! Draws of Core's minimum chain work (`-minimumchainwork`) and of NoBan beside it: the
//! low-work headers sync (PRESYNC, REDOWNLOAD), the too-little-work disconnect of automatic
//! peers, and NoBan's bypass of the anti-DoS check.

use super::Draw;
use crate::scenario::chain::ChainSpec;
use crate::scenario::{MinimumChainWork, ProfileName, Scenario};

/// Under Core, in about one seed in eight, a minimum chain work (`-minimumchainwork`) near the
/// first peer's chain: below it, at it, or above it, so the low-work headers sync (PRESYNC,
/// REDOWNLOAD) and the too-little-work disconnect of automatic peers come into play. Drawn
/// last. The liveness invariant does not apply to such a run (it states no rule for a chain
/// below the threshold).
pub(super) fn minimum_chain_work(draw: &mut Draw, scenario: &mut Scenario) {
    if scenario.node.profile != ProfileName::Core || !draw.chance(12) {
        return;
    }
    let height = match &scenario.peers[0].chain {
        Some(ChainSpec::Regtest { height, .. }) => u64::from(*height),
        _ => return,
    };
    let regtest_blocks = match draw.below(3) {
        0 => draw.range(1, height.max(1)),
        1 => height,
        _ => height + draw.range(1, 3000),
    } as u32;
    scenario.node.minimum_chain_work = Some(MinimumChainWork::Blocks { regtest_blocks });
}

/// Under Core, in about one seed in six whose first peer serves a regtest chain of 2,500
/// headers or more and that has no minimum chain work yet, a minimum chain work above the
/// first 2,000 headers and within the chain: the low-work sync then needs more than one
/// message in REDOWNLOAD, where nothing may be released before the work is proven
/// (`low_work_chains_held_back`). Drawn last.
pub(super) fn long_low_work_sync(draw: &mut Draw, scenario: &mut Scenario) {
    if scenario.node.profile != ProfileName::Core || scenario.node.minimum_chain_work.is_some() {
        return;
    }
    let height = match &scenario.peers[0].chain {
        Some(ChainSpec::Regtest { height, .. }) if *height >= 2_500 => *height,
        _ => return,
    };
    if !draw.chance(16) {
        return;
    }
    let regtest_blocks = draw.range(2_001, u64::from(height)) as u32;
    scenario.node.minimum_chain_work = Some(MinimumChainWork::Blocks { regtest_blocks });
}

/// In about one seed in two with a minimum chain work, one peer other than the first (an
/// automatic one where there is one) gets Core's NoBan permission (`noban`): its headers skip
/// the low-work sync, so a NoBan automatic peer whose whole chain is below the minimum is
/// disconnected for insufficient work (`UpdatePeerStateForReceivedHeaders`). Drawn last.
pub(super) fn noban_with_minimum_work(draw: &mut Draw, scenario: &mut Scenario) {
    if scenario.node.minimum_chain_work.is_none() || scenario.peers.len() < 2 || !draw.chance(50) {
        return;
    }
    // An automatic peer when there is one: only those are disconnected for too little work.
    let automatic: Vec<usize> = (1..scenario.peers.len())
        .filter(|&i| scenario.node.automatic.contains(&scenario.peers[i].name))
        .collect();
    let index = if automatic.is_empty() {
        draw.range(1, scenario.peers.len() as u64 - 1) as usize
    } else {
        automatic[draw.below(automatic.len() as u64) as usize]
    };
    scenario.node.noban.push(scenario.peers[index].name.clone());
}
