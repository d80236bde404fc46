//! Worlds of real headers: in some seeds the generated regtest world moves onto a real network
//! (mainnet from genesis, mainnet from a trusted start in 2023 with a real stale branch,
//! testnet3, signet), its peers serving prefixes of the real header sets in
//! `../shared/data/headers`, so the difficulty rules of every network the node supports
//! (retargets and their clamps, testnet3's minimum-difficulty exception) meet real data; and in
//! some btcd seeds the node gets checkpoints on the first peer's chain, which forks below them
//! then meet.

use super::Draw;
use crate::scenario::chain::{BlockFileSpec, ChainSpec, FileNetwork};
use crate::scenario::{
    Behaviour, CheckpointSpec, NetworkName, ProfileName, Scenario, SendSpec, Step, TrustedStartSpec,
};

/// Where the real header sets live, relative to the repository root (the working directory of
/// `sim explore`).
const HEADERS_DIR: &str = "../shared/data/headers";

/// One real header set: a file of raw 80-byte headers and what it holds.
struct RealSet {
    network: NetworkName,
    file_network: FileNetwork,
    file: &'static str,
    /// Its SHA-256, as `../shared/data/SHA256SUMS` lists it.
    sha256: &'static str,
    /// Height of its first header.
    first_height: u32,
    /// Height of its last header.
    last_height: u32,
    /// The latest time of any of its headers (Unix seconds; testnet3's are not in order): the
    /// run's clock starts after it, so no header is from the future.
    time_max_s: u64,
}

/// The sets a world is drawn from (heights and times read from the files).
const SETS: [RealSet; 4] = [
    RealSet {
        network: NetworkName::Mainnet,
        file_network: FileNetwork::Mainnet,
        file: "mainnet_0-10236.bin",
        sha256: "1bf509a2bd465d4dd736f335200e08c34ea865d7b9929dfcd6475f6ca19485c9",
        first_height: 0,
        last_height: 10236,
        time_max_s: 1_239_186_796,
    },
    RealSet {
        network: NetworkName::Mainnet,
        file_network: FileNetwork::Mainnet,
        file: "mainnet_822528-830592.bin",
        sha256: "695b1d0bfa7b5dd12b509e3c961068046e863cf4d0bc32231072b31243f5b858",
        first_height: 822_528,
        last_height: 830_592,
        time_max_s: 1_708_008_110,
    },
    RealSet {
        network: NetworkName::Testnet,
        file_network: FileNetwork::Testnet,
        file: "testnet3_0-9999.bin",
        sha256: "4802a41d04efa20cd25066295df18210cca7f444fcca9423c9c8f5cfdb2644f7",
        first_height: 0,
        last_height: 9999,
        time_max_s: 1_343_019_003,
    },
    RealSet {
        network: NetworkName::Signet,
        file_network: FileNetwork::Signet,
        file: "signet_0-2015.bin",
        sha256: "c4660317f900e07c30aa91787560df53a64b76db447370ef964fbf913ceca925",
        first_height: 0,
        last_height: 2015,
        time_max_s: 1_599_332_177,
    },
];

/// The real stale mainnet header at 823226, a sibling of the main chain's header there.
const STALE_823226: (&str, &str) = (
    "mainnet_stale_823226.bin",
    "54d729828deba1f6d2df436294d8853342ddbd8283644159feab3bf9b15e66e8",
);

/// The retarget-boundaries file the 2023 trusted start is derived from.
const BOUNDARIES: (&str, &str) = (
    "mainnet_retarget_boundaries_0-832608.h4hdr80.bin",
    "738df13de2adff6e8b5ddd76e8e5a1ce218e3578b6ad22fd417d31f6fee03a93",
);

fn path(file: &str) -> String {
    format!("{HEADERS_DIR}/{file}")
}

/// In about one seed in eight, moves the world onto a real network: every peer with a chain
/// serves a prefix of one real set (the first peer the longest), forks become prefixes (the
/// 2023 set also offers its real stale branch), the clock starts a drawn while after the set's
/// latest header, a minimum chain work (regtest-sized) is dropped, and so are crafted headers
/// in step programs. Drawn last: the seeds
/// that stay on regtest are unchanged.
pub(super) fn real_world(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(12) {
        return;
    }
    let set = &SETS[draw.below(SETS.len() as u64) as usize];
    let span = set.last_height - set.first_height;
    let tip = if draw.chance(50) {
        set.last_height
    } else {
        set.first_height + draw.range(1, u64::from(span)) as u32
    };
    scenario.node.network = set.network;
    scenario.node.minimum_chain_work = None;
    if set.first_height > 0 {
        scenario.node.trusted_start = Some(TrustedStartSpec::Boundaries {
            path: path(BOUNDARIES.0),
            sha256: BOUNDARIES.1.into(),
            height: set.first_height - 1,
        });
    }
    // Within two days of the set's end: sometimes a recent tip (Core then syncs from several
    // peers at once), sometimes an old one.
    scenario.epoch_s = set.time_max_s + draw.range(60, 2 * 24 * 3600);
    let file = |height_max: u32| ChainSpec::File {
        network: set.file_network,
        path: path(set.file),
        sha256: set.sha256.into(),
        height_max: Some(height_max),
        first_height: (set.first_height > 0).then_some(set.first_height),
    };
    for (i, peer) in scenario.peers.iter_mut().enumerate() {
        let Some(chain) = &peer.chain else {
            continue;
        };
        // Crafted headers are ground again, which only regtest's proof of work allows.
        if let Behaviour::Script(steps) = &mut peer.behaviour {
            steps.retain(|step| !matches!(step, Step::Send(SendSpec::Crafted { .. })));
        }
        let forked = matches!(chain, ChainSpec::Regtest { fork: Some(_), .. });
        peer.chain = Some(if i == 0 {
            file(tip)
        } else if forked && set.first_height == 822_528 && tip > 823_226 && draw.chance(50) {
            // The real stale branch: the main chain to 823225, then the stale 823226.
            ChainSpec::HeaderFiles {
                network: set.file_network,
                first_height: Some(set.first_height),
                files: vec![
                    BlockFileSpec {
                        path: path(set.file),
                        sha256: set.sha256.into(),
                        count: Some((823_226 - set.first_height) as usize),
                    },
                    BlockFileSpec {
                        path: path(STALE_823226.0),
                        sha256: STALE_823226.1.into(),
                        count: None,
                    },
                ],
            }
        } else if draw.chance(50) {
            file(tip)
        } else {
            file(set.first_height + draw.range(1, u64::from(tip - set.first_height).max(1)) as u32)
        });
    }
}

/// In about one btcd seed in ten, a checkpoint (btcd's; the Core profile ignores them) on the
/// first peer's chain at a drawn height: a peer whose fork branches off below it is then
/// refused (`bad-fork-prior-to-checkpoint`, or `bad-checkpoint` at the checkpoint's height).
pub(super) fn checkpoints(draw: &mut Draw, scenario: &mut Scenario) {
    if scenario.node.profile != ProfileName::Btcd || !draw.chance(10) {
        return;
    }
    let (first, last) = match &scenario.peers[0].chain {
        Some(ChainSpec::Regtest { height, .. }) => (0, *height),
        Some(ChainSpec::File {
            height_max: Some(h),
            first_height,
            ..
        }) => (first_height.unwrap_or(0), *h),
        _ => return,
    };
    if last <= first + 1 {
        return;
    }
    for _ in 0..draw.range(1, 2) {
        let height = first + 1 + draw.below(u64::from(last - first - 1)) as u32;
        scenario.node.checkpoints.push(CheckpointSpec {
            height,
            peer: scenario.peers[0].name.clone(),
        });
    }
    scenario.node.checkpoints.sort_by_key(|c| c.height);
    scenario.node.checkpoints.dedup_by_key(|c| c.height);
}

/// Drawn last of all: in half the worlds where a peer serves the real stale branch, that peer
/// and the first trade chains, so that the node (which dials the first peer first) most often
/// takes the stale 823226 as its tip and then reorganises onto the main chain above a trusted
/// start, as `real_mainnet_stale_823226_competing_branch` does.
pub(super) fn stale_branch_first(draw: &mut Draw, scenario: &mut Scenario) {
    let stale = |chain: &Option<ChainSpec>| {
        matches!(chain, Some(ChainSpec::HeaderFiles { files, .. })
            if files.iter().any(|f| f.path == path(STALE_823226.0)))
    };
    let Some(index) = scenario.peers.iter().position(|p| stale(&p.chain)) else {
        return;
    };
    if index == 0 || !draw.chance(50) {
        return;
    }
    let first = scenario.peers[0].chain.take();
    scenario.peers[0].chain = scenario.peers[index].chain.take();
    scenario.peers[index].chain = first;
}
