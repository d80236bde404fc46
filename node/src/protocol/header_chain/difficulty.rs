//! Which `bits` the next header must carry: Bitcoin Core `GetNextWorkRequired` (`pow.cpp`) per
//! network. Mainnet and signet retarget every 2016 headers; testnet3 adds the 20-minute
//! minimum-difficulty exception, testnet4 also BIP94 (a retarget scales the bits of the
//! period's first header); regtest keeps its bits. Above a trusted base, the trusted start's
//! period-first values stand in for the headers below it.

use bitcoin::block::Header;
use bitcoin::params::Params;
use bitcoin::pow::{CompactTarget, Target};
use bitcoin::{BlockHash, Network};

use super::error::HeaderError;
use super::index::IndexEntry;
use crate::trusted_start::TrustedStart;

/// How the required `bits` of the next header are computed (Core `GetNextWorkRequired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DifficultyRule {
    /// Retarget every 2016 headers, parent's bits otherwise (mainnet, signet).
    Retarget,
    /// As `Retarget`, plus the testnet3 rule: a header more than 20 minutes after its parent
    /// may use the proof-of-work limit, and otherwise inherits the bits of the last header
    /// that did not use that exception.
    RetargetWithMinDifficulty,
    /// As `RetargetWithMinDifficulty`, plus BIP94 (testnet4, Core `enforce_BIP94`): a
    /// retarget scales the bits of the period's first header (which cannot use the
    /// minimum-difficulty exception) instead of its last, and the timewarp check applies.
    RetargetWithMinDifficultyBip94,
    /// Always the parent's bits (regtest: `fPowNoRetargeting`).
    NoRetarget,
    /// Not implemented (a network this module does not know).
    Unsupported,
}

/// What the difficulty rules read of the chain a new header builds on.
/// [`HeaderChain`](super::HeaderChain) implements it.
pub(super) trait Ancestry {
    /// Height of the base (genesis or a trusted start): nothing below it is known.
    fn base_height(&self) -> u32;
    /// The trusted start the chain is based on; `None` when the base is genesis.
    fn trusted_start(&self) -> Option<&TrustedStart>;
    /// The entry of a hash known to be indexed.
    fn entry(&self, hash: &BlockHash) -> &IndexEntry;
    /// The ancestor at `target_height` (not below the base) of `hash`, which sits at `height`,
    /// on its own branch.
    fn ancestor_hash(&self, hash: BlockHash, height: u32, target_height: u32) -> BlockHash;
}

/// One network's proof-of-work rules: its parameters, its proof-of-work limit and the variant
/// of Core's `GetNextWorkRequired` it follows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Difficulty {
    /// The network whose rules these are.
    pub(super) network: Network,
    /// Its consensus parameters (rust-bitcoin's).
    pub(super) params: &'static Params,
    /// The network's proof-of-work limit (easiest allowed target).
    pub(super) pow_limit: Target,
    /// Which variant of the rules applies.
    rule: DifficultyRule,
}

impl Difficulty {
    /// The rules of `network`.
    pub(super) fn new(network: Network) -> Difficulty {
        Difficulty {
            network,
            params: network.params(),
            pow_limit: network.params().max_attainable_target,
            rule: difficulty_rule(network),
        }
    }

    /// Whether `bits` change only at retargets (mainnet, signet, regtest), so that every header
    /// of a period carries the bits of its first.
    pub(super) fn bits_fixed_within_period(&self) -> bool {
        matches!(
            self.rule,
            DifficultyRule::Retarget | DifficultyRule::NoRetarget
        )
    }

    /// Whether BIP94 applies (testnet4): retargets from the period's first bits, and the
    /// timewarp check ([`super::checks::check_timewarp`]).
    pub(super) fn bip94(&self) -> bool {
        self.rule == DifficultyRule::RetargetWithMinDifficultyBip94
    }

    /// Core `GetNextWorkRequired` (`pow.cpp`): the `bits` a child of `parent` must carry.
    /// `header` (the child) only matters for testnet3's time-based exception; `hash` only
    /// names it in an error.
    #[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
    pub(super) fn required_bits(
        &self,
        chain: &impl Ancestry,
        parent: &IndexEntry,
        header: &Header,
        hash: BlockHash,
    ) -> Result<CompactTarget, HeaderError> {
        let height = parent.height + 1;
        let interval = u32::try_from(self.params.difficulty_adjustment_interval())
            .expect("difficulty adjustment interval fits in u32");
        match self.rule {
            DifficultyRule::Unsupported => Err(HeaderError::UnsupportedNetwork {
                network: self.network,
                height,
                hash,
            }),
            // Core keeps fPowAllowMinDifficultyBlocks on regtest too, but every regtest header
            // then carries the pow-limit bits (genesis does, and neither branch of the rule can
            // produce anything else), so the result is always the parent's bits.
            DifficultyRule::NoRetarget => Ok(parent.header.bits),
            DifficultyRule::Retarget
            | DifficultyRule::RetargetWithMinDifficulty
            | DifficultyRule::RetargetWithMinDifficultyBip94 => {
                if height % interval != 0 {
                    if self.rule != DifficultyRule::Retarget {
                        return Ok(self.min_difficulty_bits(chain, parent, header, interval));
                    }
                    return Ok(parent.header.bits);
                }
                let first_height = height - interval;
                let (first_time, first_bits) = if first_height < chain.base_height() {
                    // The period started below a trusted start: its first header is known
                    // only through the trusted start's period-first values.
                    let start = chain
                        .trusted_start()
                        .expect("a base above genesis is a trusted start");
                    assert_eq!(
                        first_height,
                        start.period_first_height(),
                        "the base lies in the ending period"
                    );
                    (start.period_first_time, start.period_first_bits)
                } else {
                    let first_hash =
                        chain.ancestor_hash(header.prev_blockhash, parent.height, first_height);
                    let first = chain.entry(&first_hash).header;
                    (first.time, first.bits)
                };
                // Core `CalculateNextWorkRequired`: BIP94 scales the first header's bits.
                let base_bits = if self.rule == DifficultyRule::RetargetWithMinDifficultyBip94 {
                    first_bits
                } else {
                    parent.header.bits
                };
                Ok(retarget_bits(
                    base_bits,
                    parent.header.time,
                    first_time,
                    self.params,
                ))
            }
        }
    }

    /// The testnet3 part of Core `GetNextWorkRequired` at a non-retarget height: the pow-limit
    /// bits if the header is more than two target spacings after its parent, otherwise the
    /// bits of the last ancestor that is at a retarget height or does not carry the pow-limit
    /// bits. The walk is bounded by one retarget interval, and by the base: reaching a trusted
    /// start without an answer gives its period-first bits (the period's first header's bits,
    /// which every header of the period that does not use the exception carries).
    #[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
    fn min_difficulty_bits(
        &self,
        chain: &impl Ancestry,
        parent: &IndexEntry,
        header: &Header,
        interval: u32,
    ) -> CompactTarget {
        let limit_bits = self.pow_limit.to_compact_lossy();
        let spacing_s = self.params.pow_target_spacing;
        if u64::from(header.time) > u64::from(parent.header.time) + 2 * spacing_s {
            return limit_bits;
        }
        let mut entry = parent;
        while entry.height % interval != 0 && entry.header.bits == limit_bits {
            if entry.height == chain.base_height() {
                let start = chain
                    .trusted_start()
                    .expect("a base above genesis is a trusted start");
                return start.period_first_bits;
            }
            entry = chain.entry(&entry.header.prev_blockhash);
        }
        entry.header.bits
    }
}

/// The variant of the rules `network` follows.
fn difficulty_rule(network: Network) -> DifficultyRule {
    match network {
        Network::Bitcoin | Network::Signet => DifficultyRule::Retarget,
        Network::Testnet => DifficultyRule::RetargetWithMinDifficulty,
        Network::Testnet4 => DifficultyRule::RetargetWithMinDifficultyBip94,
        Network::Regtest => DifficultyRule::NoRetarget,
        #[allow(unreachable_patterns)] // `Network` is non-exhaustive
        _ => DifficultyRule::Unsupported,
    }
}

/// Core `CalculateNextWorkRequired` (`pow.cpp`) for a retarget: the parent's target scaled by
/// the period's timespan (`parent_time - first_time`, clamped to a quarter and four times
/// `nPowTargetTimespan`), capped at the proof-of-work limit.
///
/// Uses rust-bitcoin's `CompactTarget::from_next_work_required`, which matches Core's integer
/// maths on every real mainnet retarget (see the tests). The timespan is computed here as a
/// signed difference because a peer can make it negative; Core then clamps to the minimum, and
/// `from_header_difficulty_adjustment` would overflow its `u32` subtraction instead.
pub(super) fn retarget_bits(
    parent_bits: CompactTarget,
    parent_time: u32,
    first_time: u32,
    params: &Params,
) -> CompactTarget {
    let timespan_s = i64::from(parent_time) - i64::from(first_time);
    let timespan_s = u64::try_from(timespan_s).unwrap_or(0);
    CompactTarget::from_next_work_required(parent_bits, timespan_s, params)
}
