//! The `headers_follow_consensus` invariant: the stored chain follows the consensus rules of its
//! network, checked by a second implementation that shares no code with the node's
//! `header_chain` module (rust-bitcoin's parameters and target arithmetic, and the rules written
//! out here from Bitcoin Core), so a defect in the node's validation cannot hide itself by also
//! being the judge.
//!
//! The rules, per stored header above the base (Core `validation.cpp` `CheckBlockHeader` and
//! `ContextualCheckBlockHeader`, `pow.cpp` `GetNextWorkRequired`):
//! - it builds on the header below it (`prev_blockhash`);
//! - its hash meets the target of its `bits`;
//! - its `bits` are the required ones: at a retarget height (a multiple of 2016) the last
//!   period's timespan, clamped to a quarter and four times two weeks, scales the parent's target,
//!   capped at the network's proof-of-work limit; elsewhere the parent's `bits`, except that on
//!   networks that allow minimum-difficulty blocks (testnet3, regtest) a header more than twenty
//!   minutes after its parent may carry the limit, and otherwise carries the `bits` of the last
//!   header that was not such an exception (or sits at a retarget); regtest never retargets;
//! - its time is after the median time past of the eleven headers below it;
//! - its time is at most two hours after the end of the run (a necessary condition of Core's
//!   "time-too-new", which compares against the clock at acceptance, never later than the end);
//! - its version meets the BIP34 (2), BIP66 (3) and BIP65 (4) floors at its height;
//! - at each checkpoint height it is the checkpointed header.
//!
//! A rule that needs a header below a trusted start (the period's first header, or the last
//! non-exception header on testnet3) uses the trusted start's period-first values where they
//! are the ones needed, and is skipped otherwise; so is the median-time-past rule for the first
//! eleven headers above a trusted start.

use bitcoin::block::Header;
use bitcoin::params::Params;
use bitcoin::pow::{CompactTarget, Target};
use bitcoin::{BlockHash, Network};

/// Core `DifficultyAdjustmentInterval()` (`consensus/params.h`): headers per retarget period.
const RETARGET_INTERVAL: u32 = 2016;
/// Core `MAX_FUTURE_BLOCK_TIME` (`chain.h`): seconds a header's time may lie ahead of the clock.
const FUTURE_TIME_S_MAX: u64 = 2 * 60 * 60;
/// Core `CBlockIndex::nMedianTimeSpan` (`chain.h`): headers in the median time past.
const MEDIAN_TIME_SPAN: usize = 11;

/// What the chain below the first stored header is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainBase {
    /// Height of the first stored header (0: genesis).
    pub height: u32,
    /// For a trusted start, the time and `bits` of the first header of the base's retarget
    /// period (`TrustedStart::period_first_time` and `period_first_bits`).
    pub period_first: Option<(u32, CompactTarget)>,
}

/// The BIP34, BIP66 and BIP65 activation heights of `network`: Core's `chainparams.cpp`
/// (`BIP34Height`, `BIP66Height`, `BIP65Height`); regtest activates all three at height 1.
fn version_floor_heights(network: Network, params: &Params) -> [u32; 3] {
    match network {
        Network::Regtest => [1, 1, 1],
        _ => [
            params.bip34_height,
            params.bip66_height,
            params.bip65_height,
        ],
    }
}

/// Checks `stored` (the store's rows from the base up) against the consensus rules of
/// `network`, with `checkpoints` as `(height, hash)` and `now_s` the run's last clock reading
/// (Unix seconds). `Err` names the first broken rule, its header and height.
pub fn check_consensus(
    network: Network,
    base: ChainBase,
    checkpoints: &[(u32, BlockHash)],
    stored: &[Header],
    now_s: u64,
) -> Result<(), String> {
    let params = network.params();
    let pow_limit = params.max_attainable_target;
    let pow_limit_bits = pow_limit.to_compact_lossy();
    let floors = version_floor_heights(network, params);
    let hashes: Vec<BlockHash> = stored.iter().map(Header::block_hash).collect();
    let height_of = |i: usize| base.height + u32::try_from(i).expect("store fits in u32 heights");
    for (i, header) in stored.iter().enumerate().skip(1) {
        let height = height_of(i);
        let hash = hashes[i];
        let fail = |rule: &str| Err(format!("header {hash} at height {height}: {rule}"));
        if header.prev_blockhash != hashes[i - 1] {
            return fail(&format!(
                "builds on {}, not on the stored header below it {}",
                header.prev_blockhash,
                hashes[i - 1]
            ));
        }
        let target = Target::from_compact(header.bits);
        if target == Target::ZERO || target > pow_limit || !target.is_met_by(hash) {
            return fail(&format!(
                "its hash does not meet the target of its bits {:#010x} (limit {:#010x})",
                header.bits.to_consensus(),
                pow_limit_bits.to_consensus()
            ));
        }
        if let Some(required) = required_bits(params, base, stored, i, pow_limit_bits) {
            if header.bits != required {
                return fail(&format!(
                    "bits {:#010x}, but the difficulty rules require {:#010x}",
                    header.bits.to_consensus(),
                    required.to_consensus()
                ));
            }
        }
        if base.height == 0 || i > MEDIAN_TIME_SPAN {
            let mut times: Vec<u32> = stored[i.saturating_sub(MEDIAN_TIME_SPAN)..i]
                .iter()
                .map(|h| h.time)
                .collect();
            times.sort_unstable();
            let median = times[times.len() / 2];
            if header.time <= median {
                return fail(&format!(
                    "time {} is not after the median time past {median}",
                    header.time
                ));
            }
        }
        if u64::from(header.time) > now_s + FUTURE_TIME_S_MAX {
            return fail(&format!(
                "time {} is more than {FUTURE_TIME_S_MAX} s after the end of the run ({now_s})",
                header.time
            ));
        }
        let floor = floors
            .iter()
            .zip(2..)
            .filter(|(activation, _)| height >= **activation)
            .map(|(_, minimum)| minimum)
            .max();
        if let Some(minimum) = floor {
            if header.version.to_consensus() < minimum {
                return fail(&format!(
                    "version {} is below the soft-fork floor {minimum} at this height",
                    header.version.to_consensus()
                ));
            }
        }
    }
    for (height, expected) in checkpoints {
        let Some(index) = height.checked_sub(base.height) else {
            continue;
        };
        if let Some(hash) = hashes.get(index as usize) {
            if hash != expected {
                return Err(format!(
                    "the stored header at checkpoint height {height} is {hash}, not the checkpoint {expected}"
                ));
            }
        }
    }
    Ok(())
}

/// The `bits` Core's `GetNextWorkRequired` requires of `stored[i]`, or `None` when that needs
/// headers below the base that the trusted start does not stand in for.
#[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
fn required_bits(
    params: &Params,
    base: ChainBase,
    stored: &[Header],
    i: usize,
    pow_limit_bits: CompactTarget,
) -> Option<CompactTarget> {
    let height = base.height + i as u32;
    let parent = &stored[i - 1];
    if height % RETARGET_INTERVAL != 0 {
        if !params.allow_min_difficulty_blocks {
            return Some(parent.bits);
        }
        let spacing_s = u32::try_from(params.pow_target_spacing).expect("spacing fits in u32");
        if stored[i].time > parent.time.saturating_add(2 * spacing_s) {
            return Some(pow_limit_bits);
        }
        // The last header that is at a retarget or not a minimum-difficulty exception.
        let mut j = i - 1;
        loop {
            let h = base.height + j as u32;
            if h % RETARGET_INTERVAL == 0 || stored[j].bits != pow_limit_bits {
                return Some(stored[j].bits);
            }
            if j == 0 {
                // The walk reached the base: below it nothing is known.
                return (base.height == 0).then_some(stored[0].bits);
            }
            j -= 1;
        }
    }
    if params.no_pow_retargeting {
        return Some(parent.bits);
    }
    let first_height = height - RETARGET_INTERVAL;
    let first_time = match first_height.checked_sub(base.height) {
        Some(index) => stored[index as usize].time,
        None => {
            let (time, _) = base.period_first?;
            // The trusted start's values belong to its own period's first header.
            if base.height - base.height % RETARGET_INTERVAL != first_height {
                return None;
            }
            time
        }
    };
    let target_timespan = i64::try_from(params.pow_target_timespan).expect("timespan fits");
    let timespan = (i64::from(parent.time) - i64::from(first_time))
        .clamp(target_timespan / 4, target_timespan * 4);
    Some(CompactTarget::from_next_work_required(
        parent.bits,
        timespan as u64,
        params,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::chain::{ChainSpec, FileNetwork};
    use bitcoin::hashes::Hash;

    const GENESIS: ChainBase = ChainBase {
        height: 0,
        period_first: None,
    };

    /// A file of `../shared/data/headers` beside the repository.
    fn data(name: &str) -> String {
        format!(
            "{}/../../shared/data/headers/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    /// Grinds the nonce until the header meets the target of its bits.
    fn remine(header: &mut Header) {
        while !header.target().is_met_by(header.block_hash()) {
            header.nonce = header.nonce.wrapping_add(1);
        }
    }

    fn regtest(height: u32) -> Vec<Header> {
        ChainSpec::Regtest {
            height,
            seed: 7,
            fork: None,
        }
        .build()
        .unwrap()
    }

    fn file(
        network: FileNetwork,
        name: &str,
        sha256: &str,
        first_height: Option<u32>,
    ) -> Vec<Header> {
        ChainSpec::File {
            network,
            path: data(name),
            sha256: sha256.into(),
            height_max: None,
            first_height,
        }
        .build()
        .unwrap()
    }

    #[test]
    fn a_mined_regtest_chain_follows_consensus_and_each_broken_rule_is_named() {
        let chain = regtest(30);
        let now_s = u64::from(chain.last().unwrap().time);
        assert_eq!(
            check_consensus(Network::Regtest, GENESIS, &[], &chain, now_s),
            Ok(())
        );
        // Each edit breaks one rule of the last of 21 headers, re-mined where it needs to be.
        let broken = |edit: &dyn Fn(&mut Header), mine: bool| {
            let mut headers = chain[..21].to_vec();
            edit(&mut headers[20]);
            if mine {
                remine(&mut headers[20]);
            }
            check_consensus(Network::Regtest, GENESIS, &[], &headers, now_s).unwrap_err()
        };
        let mtp = {
            let mut t: Vec<u32> = chain[9..20].iter().map(|h| h.time).collect();
            t.sort_unstable();
            t[5]
        };
        assert!(broken(
            &|h| h.prev_blockhash = BlockHash::from_byte_array([1; 32]),
            true
        )
        .contains("builds on"));
        assert!(broken(
            &|h| h.bits = CompactTarget::from_consensus(0x2100ffff),
            true
        )
        .contains("does not meet the target"));
        assert!(broken(
            &|h| h.bits = CompactTarget::from_consensus(0x1f7fffff),
            true
        )
        .contains("the difficulty rules require 0x207fffff"));
        assert!(broken(&|h| h.time = mtp, true).contains("not after the median time past"));
        assert!(broken(&|h| h.version = bitcoin::block::Version::ONE, true)
            .contains("below the soft-fork floor 4"));
        // An unmined change to the header almost surely loses its proof of work... unless the
        // grind happens to hold; so check with a target far below regtest's limit.
        let mut hard = chain[..21].to_vec();
        hard[20].bits = CompactTarget::from_consensus(0x1d00ffff);
        assert!(
            check_consensus(Network::Regtest, GENESIS, &[], &hard, now_s)
                .unwrap_err()
                .contains("does not meet the target")
        );
        let checkpoint = [(10, BlockHash::from_byte_array([2; 32]))];
        assert!(
            check_consensus(Network::Regtest, GENESIS, &checkpoint, &chain, now_s)
                .unwrap_err()
                .contains("checkpoint height 10")
        );
        assert!(
            check_consensus(Network::Regtest, GENESIS, &[], &chain, now_s - 7201)
                .unwrap_err()
                .contains("after the end of the run")
        );
    }

    #[test]
    fn real_chains_follow_consensus_across_retargets_and_testnet3_minimum_difficulty() {
        let far_future_s = 2_000_000_000;
        let mainnet = file(
            FileNetwork::Mainnet,
            "mainnet_0-10236.bin",
            "1bf509a2bd465d4dd736f335200e08c34ea865d7b9929dfcd6475f6ca19485c9",
            None,
        );
        assert_eq!(
            check_consensus(Network::Bitcoin, GENESIS, &[], &mainnet, far_future_s),
            Ok(())
        );
        let testnet = file(
            FileNetwork::Testnet,
            "testnet3_0-9999.bin",
            "4802a41d04efa20cd25066295df18210cca7f444fcca9423c9c8f5cfdb2644f7",
            None,
        );
        assert_eq!(
            check_consensus(Network::Testnet, GENESIS, &[], &testnet, far_future_s),
            Ok(())
        );
        let signet = file(
            FileNetwork::Signet,
            "signet_0-2015.bin",
            "c4660317f900e07c30aa91787560df53a64b76db447370ef964fbf913ceca925",
            None,
        );
        assert_eq!(
            check_consensus(Network::Signet, GENESIS, &[], &signet, far_future_s),
            Ok(())
        );
    }

    #[test]
    fn testnet3_minimum_difficulty_exception_and_the_walk_back_past_it() {
        let params = Network::Testnet.params();
        let limit = params.max_attainable_target.to_compact_lossy();
        let hard = CompactTarget::from_consensus(0x1c0f_ffff);
        let header = |time: u32, bits: CompactTarget| Header {
            version: bitcoin::block::Version::from_consensus(4),
            prev_blockhash: BlockHash::from_byte_array([0; 32]),
            merkle_root: bitcoin::TxMerkleNode::from_byte_array([0; 32]),
            time,
            bits,
            nonce: 0,
        };
        // A retarget header at 2016, an exception 21 minutes later, then two more.
        let stored = vec![
            header(1000, hard),
            header(1000 + 1201, limit),
            header(1000 + 1201 + 60, hard),
            header(1000 + 1201 + 60 + 1300, limit),
        ];
        let base = ChainBase {
            height: 2016,
            period_first: None,
        };
        // More than twenty minutes after its parent: the limit.
        assert_eq!(required_bits(params, base, &stored, 1, limit), Some(limit));
        assert_eq!(required_bits(params, base, &stored, 3, limit), Some(limit));
        // Within twenty minutes: the bits of the last header that was no exception.
        assert_eq!(required_bits(params, base, &stored, 2, limit), Some(hard));
        let mut quick = stored.clone();
        quick[3].time = quick[2].time + 60;
        quick[2].bits = limit;
        quick[2].time = quick[1].time + 60;
        assert_eq!(required_bits(params, base, &quick, 3, limit), Some(hard));
        // Mainnet has no exception: the parent's bits.
        let main = Network::Bitcoin.params();
        assert_eq!(required_bits(main, base, &stored, 1, limit), Some(hard));
    }

    #[test]
    fn a_trusted_start_stands_in_for_the_period_first_header_at_the_first_retarget() {
        let spec = crate::scenario::TrustedStartSpec::Boundaries {
            path: data("mainnet_retarget_boundaries_0-832608.h4hdr80.bin"),
            sha256: "738df13de2adff6e8b5ddd76e8e5a1ce218e3578b6ad22fd417d31f6fee03a93".into(),
            height: 822527,
        };
        let start = spec.build(Network::Bitcoin).unwrap();
        let mut stored = vec![start.header];
        stored.extend(file(
            FileNetwork::Mainnet,
            "mainnet_822528-830592.bin",
            "695b1d0bfa7b5dd12b509e3c961068046e863cf4d0bc32231072b31243f5b858",
            Some(822528),
        ));
        let base = ChainBase {
            height: start.height,
            period_first: Some((start.period_first_time, start.period_first_bits)),
        };
        assert_eq!(
            check_consensus(Network::Bitcoin, base, &[], &stored, 2_000_000_000),
            Ok(())
        );
        // 822528 is a retarget whose period began below the base: with a wrong period-first
        // time the required bits change and the real header no longer matches them.
        let wrong = ChainBase {
            period_first: Some((start.period_first_time - 100_000, start.period_first_bits)),
            ..base
        };
        let error =
            check_consensus(Network::Bitcoin, wrong, &[], &stored, 2_000_000_000).unwrap_err();
        assert!(
            error.contains("at height 822528") && error.contains("difficulty rules"),
            "{error}"
        );
    }
}
