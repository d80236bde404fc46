//! Bitcoin Core's low-work headers sync (`headerssync.cpp` `HeadersSyncState`, used by
//! `net_processing.cpp` `TryLowWorkHeadersSync`): a chain whose claimed work is below the
//! anti-DoS threshold is first downloaded without being stored (PRESYNC), keeping only a 1-bit
//! salted commitment every [`HEADER_COMMITMENT_PERIOD`] headers, until its work reaches the
//! threshold. It is then downloaded again from its start (REDOWNLOAD), checked against the
//! commitments, and released to normal validation [`REDOWNLOAD_BUFFER_SIZE`] headers behind
//! the newest one, or all at once once the redownloaded work reaches the threshold.
//!
//! A peer that stops, serves a different chain or breaks a difficulty transition just ends the
//! sync: Core punishes nothing here. The state machine is sans-IO like the rest of
//! [`crate::protocol`]: the caller sends the `getheaders` for [`HeadersPresync::next_locator`]
//! and validates the released headers.

use std::collections::VecDeque;
use std::fmt;

use bitcoin::block::Header;
use bitcoin::hashes::{siphash24, Hash};
use bitcoin::pow::{CompactTarget, Target, Work};
use bitcoin::{BlockHash, Network};
use rand_chacha::rand_core::RngCore;

use super::header_chain::FUTURE_BLOCK_TIME_S_MAX;

/// One commitment bit is stored per this many headers: Bitcoin Core v28 `headerssync.cpp`
/// `HEADER_COMMITMENT_PERIOD`.
pub const HEADER_COMMITMENT_PERIOD: u32 = 606;

/// Redownloaded headers are released to validation once this many more have been checked
/// against commitments: Bitcoin Core v28 `headerssync.cpp` `REDOWNLOAD_BUFFER_SIZE`.
pub const REDOWNLOAD_BUFFER_SIZE: usize = 14_441;

/// Fastest block rate a valid chain can have, per second, given the median-time-past rule:
/// the `6` of `HeadersSyncState`'s `m_max_commitments` bound.
const BLOCKS_PER_SECOND_MAX: u64 = 6;

/// Which download the sync is in (`HeadersSyncState::State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Headers are checked minimally and counted for work; commitments are stored.
    Presync,
    /// The chain is downloaded again from its start and checked against the commitments.
    Redownload,
    /// Done (finished or aborted); the state must be dropped.
    Final,
}

/// Why a low-work headers sync ended early (Core `HeadersSyncState` log lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresyncAbort {
    /// A message shorter than a full batch before the work was reached.
    IncompleteMessage,
    /// A header that does not build on the previous one.
    NonContinuous,
    /// A difficulty change the network's rules do not permit.
    InvalidDifficultyTransition,
    /// More commitments than the chain's time allows (`m_max_commitments`).
    CommitmentsExceeded,
    /// A redownloaded header past the last stored commitment.
    CommitmentOverrun,
    /// A redownloaded header whose commitment bit differs from the stored one.
    CommitmentMismatch,
}

impl fmt::Display for PresyncAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PresyncAbort::IncompleteMessage => "incomplete headers message",
            PresyncAbort::NonContinuous => "non-continuous headers",
            PresyncAbort::InvalidDifficultyTransition => "invalid difficulty transition",
            PresyncAbort::CommitmentsExceeded => "exceeded max commitments",
            PresyncAbort::CommitmentOverrun => "commitment overrun",
            PresyncAbort::CommitmentMismatch => "commitment mismatch",
        })
    }
}

/// What a `headers` message made of the sync when it was notable: an early end, or a phase
/// reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresyncNote {
    /// PRESYNC reached the work threshold; REDOWNLOAD starts from the chain's start.
    ReachedSufficientWork {
        /// Height reached in PRESYNC.
        height: u32,
        /// Height REDOWNLOAD starts from.
        redownload_from_height: u32,
    },
    /// REDOWNLOAD reached the work threshold: every remaining header is released.
    Complete {
        /// Height redownloaded.
        height: u32,
    },
    /// The sync ended early.
    Aborted {
        /// Why.
        reason: PresyncAbort,
        /// The height it concerned.
        height: u32,
        /// The phase it was in ([`Phase::Presync`] or [`Phase::Redownload`]).
        phase: Phase,
    },
}

impl fmt::Display for PresyncNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresyncNote::ReachedSufficientWork {
                height,
                redownload_from_height,
            } => write!(
                f,
                "reached sufficient work at height={height}, redownloading from \
                 height={redownload_from_height}"
            ),
            PresyncNote::Complete { height } => write!(
                f,
                "complete: releasing all at height={height} (redownload phase)"
            ),
            PresyncNote::Aborted {
                reason,
                height,
                phase,
            } => {
                let phase = match phase {
                    Phase::Presync => "presync",
                    Phase::Redownload => "redownload",
                    Phase::Final => "final",
                };
                write!(f, "aborted: {reason} at height={height} ({phase} phase)")
            }
        }
    }
}

/// Where the sync starts: the known header the peer's chain branches from.
#[derive(Debug, Clone, Copy)]
pub struct ChainStart {
    /// The header.
    pub header: Header,
    /// Its height.
    pub height: u32,
    /// Its chainwork.
    pub chainwork: Work,
    /// Its median time past, seconds since the Unix epoch.
    pub median_time_past_s: u32,
}

/// What one `headers` message did to the sync (`HeadersSyncState::ProcessingResult`).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The message was a valid continuation.
    pub success: bool,
    /// Ask the peer for more with [`HeadersPresync::next_locator`].
    pub request_more: bool,
    /// Headers that passed the commitment checks, in order, for normal validation.
    pub released: Vec<Header>,
    /// Why the sync ended, or what it reached (`None` when nothing notable).
    pub note: Option<PresyncNote>,
}

/// How much a [`HeadersPresync`] holds, against its bounds (for fuzzers and tests that check
/// them; Core's `headers_sync_state` fuzz target asserts the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresyncSizes {
    /// Commitment bits stored (PRESYNC adds them, REDOWNLOAD takes them off the front).
    pub commitments: usize,
    /// Most commitment bits a valid chain can need (`m_max_commitments`); one more ends the
    /// sync with [`PresyncAbort::CommitmentsExceeded`].
    pub commitments_max: u64,
    /// Redownloaded headers held back from release; at most [`REDOWNLOAD_BUFFER_SIZE`] once a
    /// `headers` message has been processed.
    pub redownloaded: usize,
}

/// One peer's low-work headers sync (Core `HeadersSyncState`).
#[derive(Debug, Clone)]
pub struct HeadersPresync {
    phase: Phase,
    network: Network,
    start: ChainStart,
    /// The start's locator, appended to every request.
    start_locator: Vec<BlockHash>,
    minimum_required_work: Work,
    /// Salt of the commitment hash (Core's `SaltedUint256Hasher`), from the node's rng.
    salt: (u64, u64),
    /// Heights `h` with `h % HEADER_COMMITMENT_PERIOD == commit_offset` carry a commitment.
    commit_offset: u32,
    commitments: VecDeque<bool>,
    commitments_max: u64,
    // PRESYNC
    current_chain_work: Work,
    last_header_received: Header,
    current_height: u32,
    // REDOWNLOAD
    redownloaded: VecDeque<Header>,
    redownload_last_height: u32,
    redownload_last_hash: BlockHash,
    redownload_last_bits: CompactTarget,
    redownload_chain_work: Work,
    process_all_remaining: bool,
}

impl HeadersPresync {
    /// A sync of a chain branching from `start` (whose locator is `start_locator`) that must
    /// reach `minimum_required_work`. The commitment salt and offset are drawn from `rng` (the
    /// node's seeded rng, where Core uses fresh randomness); `now_s` bounds how many
    /// commitments a valid chain can need (six blocks a second since the start's median time
    /// past, plus the two-hour future limit).
    pub fn new(
        network: Network,
        start: ChainStart,
        start_locator: Vec<BlockHash>,
        minimum_required_work: Work,
        rng: &mut impl RngCore,
        now_s: u64,
    ) -> HeadersPresync {
        let salt = (rng.next_u64(), rng.next_u64());
        let commit_offset_seed = rng.next_u64();
        let start_hash = start.header.block_hash();
        let seconds =
            now_s.saturating_sub(u64::from(start.median_time_past_s)) + FUTURE_BLOCK_TIME_S_MAX;
        HeadersPresync {
            phase: Phase::Presync,
            network,
            start,
            start_locator,
            minimum_required_work,
            salt,
            commit_offset: u32::try_from(commit_offset_seed % u64::from(HEADER_COMMITMENT_PERIOD))
                .unwrap_or(0),
            commitments: VecDeque::new(),
            commitments_max: BLOCKS_PER_SECOND_MAX * seconds / u64::from(HEADER_COMMITMENT_PERIOD),
            current_chain_work: start.chainwork,
            last_header_received: start.header,
            current_height: start.height,
            redownloaded: VecDeque::new(),
            redownload_last_height: start.height,
            redownload_last_hash: start_hash,
            redownload_last_bits: start.header.bits,
            redownload_chain_work: start.chainwork,
            process_all_remaining: false,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// What the sync holds now, against its bounds.
    pub fn sizes(&self) -> PresyncSizes {
        PresyncSizes {
            commitments: self.commitments.len(),
            commitments_max: self.commitments_max,
            redownloaded: self.redownloaded.len(),
        }
    }

    /// Height reached in PRESYNC (Core's `presynced_headers` in `getpeerinfo`).
    pub fn presync_height(&self) -> u32 {
        self.current_height
    }

    /// Core `ProcessNextHeaders`: one non-empty `headers` message, `full` if it held 2000.
    pub fn process(&mut self, headers: &[Header], full: bool) -> Outcome {
        let mut outcome = Outcome::default();
        if headers.is_empty() || self.phase == Phase::Final {
            return outcome;
        }
        match self.phase {
            Phase::Presync => match self.presync(headers) {
                Err(note) => outcome.note = Some(note),
                Ok(()) => {
                    outcome.success = true;
                    if full || self.phase == Phase::Redownload {
                        outcome.request_more = true;
                        if self.phase == Phase::Redownload {
                            outcome.note = Some(PresyncNote::ReachedSufficientWork {
                                height: self.current_height,
                                redownload_from_height: self.redownload_last_height,
                            });
                        }
                    } else {
                        outcome.note = Some(PresyncNote::Aborted {
                            reason: PresyncAbort::IncompleteMessage,
                            height: self.current_height,
                            phase: Phase::Presync,
                        });
                    }
                }
            },
            Phase::Redownload => {
                outcome.success = true;
                for header in headers {
                    if let Err(note) = self.redownload(header) {
                        outcome.success = false;
                        outcome.note = Some(note);
                        break;
                    }
                }
                if outcome.success {
                    outcome.released = self.pop_ready();
                    if self.redownloaded.is_empty() && self.process_all_remaining {
                        outcome.note = Some(PresyncNote::Complete {
                            height: self.redownload_last_height,
                        });
                    } else if full {
                        outcome.request_more = true;
                    } else {
                        outcome.note = Some(PresyncNote::Aborted {
                            reason: PresyncAbort::IncompleteMessage,
                            height: self.redownload_last_height,
                            phase: Phase::Redownload,
                        });
                    }
                }
            }
            Phase::Final => {}
        }
        if !(outcome.success && outcome.request_more) {
            self.finalize();
        }
        outcome
    }

    /// Core `NextHeadersRequestLocator`: the last header received (PRESYNC) or redownloaded
    /// (REDOWNLOAD), then the start's locator. Empty once final.
    pub fn next_locator(&self) -> Vec<BlockHash> {
        let first = match self.phase {
            Phase::Presync => self.last_header_received.block_hash(),
            Phase::Redownload => self.redownload_last_hash,
            Phase::Final => return Vec::new(),
        };
        let mut locator = Vec::with_capacity(self.start_locator.len() + 1);
        locator.push(first);
        locator.extend_from_slice(&self.start_locator);
        locator
    }

    fn finalize(&mut self) {
        self.commitments.clear();
        self.redownloaded.clear();
        self.phase = Phase::Final;
    }

    fn commitment(&self, hash: &BlockHash) -> bool {
        siphash24::Hash::hash_to_u64_with_keys(self.salt.0, self.salt.1, hash.as_byte_array()) & 1
            == 1
    }

    fn carries_commitment(&self, height: u32) -> bool {
        height % HEADER_COMMITMENT_PERIOD == self.commit_offset
    }

    /// Core `ValidateAndStoreHeadersCommitments`.
    fn presync(&mut self, headers: &[Header]) -> Result<(), PresyncNote> {
        if headers[0].prev_blockhash != self.last_header_received.block_hash() {
            return Err(PresyncNote::Aborted {
                reason: PresyncAbort::NonContinuous,
                height: self.current_height,
                phase: Phase::Presync,
            });
        }
        for header in headers {
            let height = self.current_height + 1;
            if !permitted_difficulty_transition(
                self.network,
                height,
                self.last_header_received.bits,
                header.bits,
            ) {
                return Err(PresyncNote::Aborted {
                    reason: PresyncAbort::InvalidDifficultyTransition,
                    height,
                    phase: Phase::Presync,
                });
            }
            if self.carries_commitment(height) {
                let bit = self.commitment(&header.block_hash());
                self.commitments.push_back(bit);
                if self.commitments.len() as u64 > self.commitments_max {
                    return Err(PresyncNote::Aborted {
                        reason: PresyncAbort::CommitmentsExceeded,
                        height,
                        phase: Phase::Presync,
                    });
                }
            }
            self.current_chain_work = add_claimed_work(self.current_chain_work, header.work());
            self.last_header_received = *header;
            self.current_height = height;
        }
        if self.current_chain_work >= self.minimum_required_work {
            self.redownloaded.clear();
            self.redownload_last_height = self.start.height;
            self.redownload_last_hash = self.start.header.block_hash();
            self.redownload_last_bits = self.start.header.bits;
            self.redownload_chain_work = self.start.chainwork;
            self.phase = Phase::Redownload;
        }
        Ok(())
    }

    /// Core `ValidateAndStoreRedownloadedHeader`.
    fn redownload(&mut self, header: &Header) -> Result<(), PresyncNote> {
        let height = self.redownload_last_height + 1;
        if header.prev_blockhash != self.redownload_last_hash {
            return Err(PresyncNote::Aborted {
                reason: PresyncAbort::NonContinuous,
                height,
                phase: Phase::Redownload,
            });
        }
        if !permitted_difficulty_transition(
            self.network,
            height,
            self.redownload_last_bits,
            header.bits,
        ) {
            return Err(PresyncNote::Aborted {
                reason: PresyncAbort::InvalidDifficultyTransition,
                height,
                phase: Phase::Redownload,
            });
        }
        self.redownload_chain_work = add_claimed_work(self.redownload_chain_work, header.work());
        if self.redownload_chain_work >= self.minimum_required_work {
            self.process_all_remaining = true;
        }
        let hash = header.block_hash();
        if !self.process_all_remaining && self.carries_commitment(height) {
            let Some(expected) = self.commitments.pop_front() else {
                return Err(PresyncNote::Aborted {
                    reason: PresyncAbort::CommitmentOverrun,
                    height,
                    phase: Phase::Redownload,
                });
            };
            if self.commitment(&hash) != expected {
                return Err(PresyncNote::Aborted {
                    reason: PresyncAbort::CommitmentMismatch,
                    height,
                    phase: Phase::Redownload,
                });
            }
        }
        self.redownloaded.push_back(*header);
        self.redownload_last_height = height;
        self.redownload_last_hash = hash;
        self.redownload_last_bits = header.bits;
        Ok(())
    }

    /// Core `PopHeadersReadyForAcceptance`.
    fn pop_ready(&mut self) -> Vec<Header> {
        let mut ready = Vec::new();
        while self.redownloaded.len() > REDOWNLOAD_BUFFER_SIZE
            || (!self.redownloaded.is_empty() && self.process_all_remaining)
        {
            if let Some(header) = self.redownloaded.pop_front() {
                ready.push(header);
            }
        }
        ready
    }
}

/// `total + claimed`, held at the largest 256-bit value instead of overflowing.
///
/// A header's claimed work comes from its `bits` alone; the sync counts it before anything
/// checks that the header's hash meets those bits (the node's `headers` handling checks it
/// first, Core's `CheckHeadersPoW` too, but the state machine itself must not rely on that).
/// Bits claiming a target near zero claim nearly 2^256 work, and two such headers overflow the
/// sum: rust-bitcoin's `Work` addition panics on that in builds with debug assertions (found by
/// the `headers_presync` fuzz target) and wraps otherwise, as Core's `arith_uint256` does. Held
/// at the maximum, such a chain counts as having reached any threshold, and its headers then
/// fail the proof-of-work check when they are released.
pub fn add_claimed_work(total: Work, claimed: Work) -> Work {
    let max = Work::from_be_bytes([0xff; 32]);
    if claimed > max - total {
        max
    } else {
        total + claimed
    }
}

/// Core `PermittedDifficultyTransition` (`pow.cpp`): on networks without minimum-difficulty
/// blocks, `bits` may change only at a retarget height, and there only within a factor of four
/// of the old target (capped at the proof-of-work limit), both bounds rounded through the
/// compact encoding. Networks that allow minimum-difficulty blocks (testnets, regtest) permit
/// anything.
pub fn permitted_difficulty_transition(
    network: Network,
    height: u32,
    old_bits: CompactTarget,
    new_bits: CompactTarget,
) -> bool {
    let params = network.params();
    if params.allow_min_difficulty_blocks {
        return true;
    }
    let interval = u32::try_from(params.difficulty_adjustment_interval())
        .unwrap_or(u32::MAX)
        .max(1);
    if !height.is_multiple_of(interval) {
        return old_bits == new_bits;
    }
    let old = Target::from_compact(old_bits);
    let observed = Target::from_compact(new_bits);
    let round = |target: Target| Target::from_compact(target.to_compact_lossy());
    let largest = round(old.max_transition_threshold(params));
    let smallest = round(old.min_transition_threshold());
    observed <= largest && observed >= smallest
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::blockdata::constants::genesis_block;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn mine_on(prev: &Header, nonce_seed: u32) -> Header {
        let mut header = Header {
            version: bitcoin::block::Version::from_consensus(4),
            prev_blockhash: prev.block_hash(),
            merkle_root: bitcoin::TxMerkleNode::from_byte_array([nonce_seed as u8; 32]),
            time: prev.time + 600,
            bits: prev.bits,
            nonce: nonce_seed.wrapping_mul(1_000_003),
        };
        while header.validate_pow(header.target()).is_err() {
            header.nonce = header.nonce.wrapping_add(1);
        }
        header
    }

    fn chain(from: &Header, count: usize, branch: u32) -> Vec<Header> {
        let mut out: Vec<Header> = Vec::with_capacity(count);
        let mut prev = *from;
        for i in 0..count {
            let next = mine_on(&prev, branch.wrapping_mul(100_000) + i as u32);
            out.push(next);
            prev = next;
        }
        out
    }

    fn sync(minimum_blocks: u64, seed: u64) -> (HeadersPresync, Header) {
        let genesis = genesis_block(Network::Regtest).header;
        let start = ChainStart {
            header: genesis,
            height: 0,
            chainwork: genesis.work(),
            median_time_past_s: genesis.time,
        };
        let mut minimum = genesis.work();
        for _ in 0..minimum_blocks {
            minimum = minimum + genesis.work();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let presync = HeadersPresync::new(
            Network::Regtest,
            start,
            vec![genesis.block_hash()],
            minimum,
            &mut rng,
            2_000_000_000,
        );
        (presync, genesis)
    }

    /// Regression (the `headers_presync` fuzz target): two headers whose bits claim a target
    /// of 1 claim about 2^255 work each; their sum overflowed 256 bits and panicked with debug
    /// assertions. The sum is held at the maximum, which reaches any threshold.
    #[test]
    fn headers_claiming_more_than_256_bits_of_work_do_not_overflow_the_sum() {
        let (mut presync, genesis) = sync(10, 1);
        let mut first = genesis;
        first.prev_blockhash = genesis.block_hash();
        first.bits = bitcoin::CompactTarget::from_consensus(0x0300_0001);
        let mut second = first;
        second.prev_blockhash = first.block_hash();
        let claimed = [first, second];
        let outcome = presync.process(&claimed, false);
        assert!(outcome.success && outcome.request_more);
        assert_eq!(presync.phase(), Phase::Redownload);
        let again = presync.process(&claimed, false);
        assert_eq!(again.released, claimed.to_vec());
        assert_eq!(presync.phase(), Phase::Final);
        let max = Work::from_be_bytes([0xff; 32]);
        assert_eq!(add_claimed_work(max, first.work()), max);
        assert_eq!(
            add_claimed_work(genesis.work(), genesis.work()),
            genesis.work() + genesis.work()
        );
    }

    #[test]
    fn a_chain_reaching_the_threshold_is_redownloaded_and_released_whole() {
        let (mut presync, genesis) = sync(2500, 1);
        let headers = chain(&genesis, 3000, 1);
        let first = presync.process(&headers[..2000], true);
        assert!(first.success && first.request_more && first.released.is_empty());
        assert_eq!(presync.phase(), Phase::Presync);
        assert_eq!(
            presync.next_locator(),
            vec![headers[1999].block_hash(), genesis.block_hash()]
        );
        let second = presync.process(&headers[2000..], false);
        assert!(
            second.success && second.request_more,
            "switching to REDOWNLOAD asks again: {second:?}"
        );
        assert_eq!(presync.phase(), Phase::Redownload);
        assert_eq!(
            presync.next_locator(),
            vec![genesis.block_hash(), genesis.block_hash()]
        );
        let third = presync.process(&headers[..2000], true);
        assert!(third.success && third.request_more && third.released.is_empty());
        let fourth = presync.process(&headers[2000..], false);
        assert!(fourth.success, "{fourth:?}");
        assert_eq!(
            fourth.released, headers,
            "everything is released once the work is reached"
        );
        assert_eq!(presync.phase(), Phase::Final);
    }

    #[test]
    fn a_short_message_in_presync_ends_the_sync_without_releasing_anything() {
        let (mut presync, genesis) = sync(5000, 2);
        let headers = chain(&genesis, 2100, 2);
        assert!(presync.process(&headers[..2000], true).request_more);
        let end = presync.process(&headers[2000..], false);
        assert!(end.success && !end.request_more && end.released.is_empty());
        assert_eq!(
            end.note,
            Some(PresyncNote::Aborted {
                reason: PresyncAbort::IncompleteMessage,
                height: 2100,
                phase: Phase::Presync,
            })
        );
        assert_eq!(
            end.note.unwrap().to_string(),
            "aborted: incomplete headers message at height=2100 (presync phase)"
        );
        assert_eq!(presync.phase(), Phase::Final);
        assert_eq!(presync.presync_height(), 2100);
    }

    #[test]
    fn a_different_chain_in_redownload_fails_a_commitment_or_continuity() {
        let genesis = genesis_block(Network::Regtest).header;
        let honest = chain(&genesis, 1300, 3);
        let other = chain(&genesis, 1300, 4);
        // Over many seeds, a different chain must be caught at a commitment height at least
        // sometimes, and a caught one releases nothing.
        let mut mismatches = 0;
        for seed in 0..16u64 {
            let (mut presync, _) = sync(1200, seed);
            assert!(presync.process(&honest, false).request_more);
            let outcome = presync.process(&other, false);
            if let Some(PresyncNote::Aborted {
                reason: PresyncAbort::CommitmentMismatch,
                ..
            }) = outcome.note
            {
                mismatches += 1;
                assert!(outcome.released.is_empty() && !outcome.success);
            }
        }
        assert!(
            mismatches > 0,
            "a 1-bit commitment must catch a different chain for some salt"
        );
        let (mut presync, _) = sync(1200, 99);
        assert!(presync.process(&honest, false).request_more);
        let mut gap = honest[..10].to_vec();
        gap.remove(5);
        let outcome = presync.process(&gap, true);
        assert!(!outcome.success);
        assert_eq!(
            outcome.note,
            Some(PresyncNote::Aborted {
                reason: PresyncAbort::NonContinuous,
                height: 6,
                phase: Phase::Redownload,
            })
        );
    }

    #[test]
    fn mainnet_difficulty_may_only_change_at_retargets_and_within_a_factor_of_four() {
        let bits = CompactTarget::from_consensus(0x1b0404cb);
        assert!(permitted_difficulty_transition(
            Network::Bitcoin,
            2015,
            bits,
            bits
        ));
        assert!(!permitted_difficulty_transition(
            Network::Bitcoin,
            2015,
            bits,
            CompactTarget::from_consensus(0x1b0404cc)
        ));
        let old = Target::from_compact(bits);
        let four_times =
            Target::from_compact(old.max_transition_threshold_unchecked().to_compact_lossy());
        assert!(permitted_difficulty_transition(
            Network::Bitcoin,
            4032,
            bits,
            four_times.to_compact_lossy()
        ));
        assert!(!permitted_difficulty_transition(
            Network::Bitcoin,
            4032,
            bits,
            CompactTarget::from_consensus(0x1b1013a0)
        ));
        assert!(!permitted_difficulty_transition(
            Network::Bitcoin,
            4032,
            bits,
            CompactTarget::from_consensus(0x1b00ffff)
        ));
        assert!(permitted_difficulty_transition(
            Network::Regtest,
            7,
            bits,
            CompactTarget::from_consensus(0x207fffff)
        ));
    }
}
