//! Header validation, chainwork and best-chain selection (sans-IO).
//!
//! [`HeaderChain`] is an in-memory index of every header we accepted (best chain and side
//! branches alike), keyed by block hash, plus the best chain as a vector of hashes by height.
//! [`HeaderChain::accept_headers`] applies Bitcoin Core's header rules to one `headers` message:
//!
//! 1. whole-message checks before anything is stored (Core `CheckHeadersPoW` in
//!    `net_processing.cpp`): every header meets the target of its own `bits`, and the message
//!    is continuous;
//! 2. then header by header (Core `AcceptBlockHeader` / `ContextualCheckBlockHeader` in
//!    `validation.cpp`): the parent is known, `bits` equal the required next bits (Core
//!    `GetNextWorkRequired`, `pow.cpp`), `time` is after the median time past of the parent and
//!    not more than two hours ahead of the caller's clock. The first failure stops the message;
//!    the headers before it stay accepted (reference D15);
//! 3. chainwork is the parent's plus the header's own work; the best chain is the one with the
//!    most chainwork, ties keeping the tip seen first (Core `pindexBestHeader`).
//!
//! Time only enters as the `now_s` argument (seconds since the Unix epoch): this module reads no
//! clock, spawns nothing and iterates only `BTreeMap`s. The hash index is a `HashMap` keyed by
//! the hash's first 8 bytes, as Bitcoin Core's `BlockHasher` (`src/util/hasher.h`, the hasher
//! of `BlockMap` in `src/node/blockstorage.h`):
//! deterministic (no random state), and never iterated, so its order never shows.
//!
//! # Speed
//!
//! Headers live in an arena (`Vec`) with each entry's parent as an arena index, so the walks
//! every header needs (the 11 times of its median time past) follow indices instead of
//! hashing; the hash map is only the way in. `sim bench` measures the import against
//! hashing plus a bare SQLite append.
//!
//! Scope: mainnet, signet, testnet3 (with its 20-minute minimum-difficulty rule), testnet4
//! (the same rule plus BIP94: retargets scale the bits of the period's first header, and a
//! period's first header may not be more than [`TIMEWARP_S_MAX`] older than its parent) and
//! regtest. Version checks follow Core too: from the BIP34, BIP66 and BIP65 activation heights
//! a header's version must be at least 2, 3 and 4 ("bad-version", [`HeaderError::BadVersion`]).
//!
//! # Starting from a trusted header
//!
//! [`HeaderChain::with_trusted_start`] builds a chain whose base is a [`TrustedStart`] instead
//! of genesis: the best chain is indexed from the base height, and nothing below the base is
//! known. Every walk over ancestors stops at the base:
//!
//! * the retarget at the end of the base's period takes the period's first `time` (and, on
//!   testnet4, its `bits`) from the trusted start; testnet3's minimum-difficulty walk-back
//!   returns the trusted start's period-first bits when it would pass below the base;
//! * **median time past is only bounded from below** within the first 10 headers above a
//!   trusted base, where fewer than [`MEDIAN_TIME_SPAN`] times are known. Taking the median of
//!   the known times (as Core does near genesis) would be wrong in both directions: it can be
//!   above the real median and reject a valid header (real testnet3 header 4209, whose time is
//!   before its parent's, would be "time-too-old" from a base at 4208). So with `k` known
//!   times, a header must only be later than the `(k - 5)`-th smallest of them, the least the
//!   real median (the 6th smallest of 11) can be whatever the `11 - k` unknown times are, and
//!   for `k <= 5` nothing is checked. This never rejects a header Core accepts, and is weaker
//!   than Core for the 10 headers just above the base. Supplying the trusted header's 10
//!   ancestor times would make it exact;
//! * **locators end at the base** instead of genesis (Core `LocatorEntries` always ends at
//!   genesis). A peer that does not know the base cannot find a common point in them, so its
//!   answer starts after genesis and does not connect ("prev-blk-not-found");
//! * a header whose parent is below the base (a fork below the trusted height) is unknown to
//!   us and rejected as "prev-blk-not-found";
//! * serving `getheaders`: a locator with no hash we know starts after the base (where a
//!   genesis chain starts after genesis), so a peer gets what we have.
//!
//! # Files
//!
//! This file holds [`HeaderChain`]: loading, the best chain and reorgs, locators, serving, and
//! the order of the checks. The others are leaves it uses and none of them uses it back:
//! `index` (the arena block index), `checks` (the checks that need nothing but their
//! arguments), `difficulty` (the required `bits` per network), `checkpoints` (btcd's),
//! `error` ([`HeaderError`], [`LoadError`]) and `outcome` ([`Import`], [`ChainUpdate`]). The
//! tests are in `tests/`, one file per topic.

mod checkpoints;
mod checks;
mod difficulty;
mod error;
mod index;
mod outcome;

use bitcoin::block::Header;
use bitcoin::constants::genesis_block;
use bitcoin::pow::{CompactTarget, Work};
use bitcoin::{BlockHash, Network};

use checkpoints::Checkpoints;
use checks::{
    check_headers_pow, check_timewarp, check_version, median_time_past_of, version_heights,
};
pub use checks::{FUTURE_BLOCK_TIME_S_MAX, MEDIAN_TIME_SPAN, TIMEWARP_S_MAX};
use difficulty::{Ancestry, Difficulty};
pub use error::{HeaderError, HeaderErrorKind, LoadError};
use index::BlockIndex;
pub use index::IndexEntry;
pub use outcome::{ChainUpdate, Import};

use crate::deliberate_bugs::{self, Bug};
use crate::pow::decode_bits;
use crate::trusted_start::{TrustedStart, TrustedStartError};

/// Number of consecutive hashes (tip included) at the start of a locator before the step
/// starts doubling.
///
/// Bitcoin Core `LocatorEntries` (`src/chain.cpp`: the step doubles once the locator holds more
/// than 10 entries, after the next height is computed); btcd `blockLocator`
/// (`blockchain/chainview.go`).
const LOCATOR_DENSE_ENTRIES: usize = 12;

/// An in-memory header index with Bitcoin Core's header checks and best-chain selection.
///
/// Holds every accepted header (all branches) in an index keyed by hash, and the best
/// chain (most chainwork) as a vector of hashes indexed by height above the base. Always
/// contains its base: the network's genesis header, or the header of a [`TrustedStart`].
#[derive(Debug, Clone)]
pub struct HeaderChain {
    /// The network's proof-of-work rules.
    difficulty: Difficulty,
    index: BlockIndex,
    /// Best chain: `active[i]` is the hash at height `base_height + i`; `active[0]` is the base.
    active: Vec<BlockHash>,
    /// Height of the base: 0 for genesis, the trusted start's height otherwise.
    base_height: u32,
    /// The trusted start the chain is based on; `None` when the base is genesis.
    trusted_start: Option<TrustedStart>,
    /// Checkpoints by height (btcd profile only; see [`HeaderChain::set_checkpoints`]).
    checkpoints: Checkpoints,
    /// The node's deliberate bug, if any ([`crate::Config::deliberate_bug()`]).
    deliberate_bug: Option<Bug>,
}

impl HeaderChain {
    /// A chain holding only the network's genesis header.
    pub fn new(network: Network) -> Self {
        let genesis = genesis_block(network).header;
        let hash = genesis.block_hash();
        let mut index = BlockIndex::default();
        index.insert(
            hash,
            IndexEntry {
                header: genesis,
                height: 0,
                chainwork: genesis.work(),
            },
        );
        HeaderChain {
            difficulty: Difficulty::new(network),
            index,
            active: vec![hash],
            base_height: 0,
            trusted_start: None,
            checkpoints: Checkpoints::default(),
            deliberate_bug: None,
        }
    }

    /// A chain holding only the trusted header of `start`, as its base at `start.height` with
    /// `start.chainwork`.
    ///
    /// # Errors
    /// [`TrustedStartError`] if `start` is inconsistent: height 0 or above
    /// [`crate::trusted_start::TRUSTED_START_HEIGHT_MAX`], a header that misses the
    /// target of its own bits, period-first values that are not the header's own when it is the
    /// first of its period, period-first bits that differ from the header's on a network whose
    /// bits change only at retargets (mainnet, signet, regtest), or a chainwork below `height
    /// + 1` headers at the proof-of-work limit.
    pub fn with_trusted_start(
        network: Network,
        start: TrustedStart,
    ) -> Result<Self, TrustedStartError> {
        let mut chain = HeaderChain::new(network);
        let fixed_bits = chain.difficulty.bits_fixed_within_period();
        start.check(network, chain.difficulty.pow_limit, fixed_bits)?;
        let hash = start.hash();
        chain.index.clear();
        chain.index.insert(
            hash,
            IndexEntry {
                header: start.header,
                height: start.height,
                chainwork: start.chainwork,
            },
        );
        chain.active = vec![hash];
        chain.base_height = start.height;
        chain.trusted_start = Some(start);
        Ok(chain)
    }

    /// [`HeaderChain::from_stored`] for a chain based on `trusted_start` (genesis if `None`):
    /// `headers[0]` must then be the trusted header, at `trusted_start.height`.
    ///
    /// # Errors
    /// As [`HeaderChain::from_stored`], plus [`LoadError::TrustedStart`] for an inconsistent
    /// trusted start and [`LoadError::WrongBase`] when the lowest stored header is not it.
    pub fn from_stored_with(
        network: Network,
        trusted_start: Option<TrustedStart>,
        headers: Vec<Header>,
    ) -> Result<Self, LoadError> {
        let Some(start) = trusted_start else {
            return HeaderChain::from_stored(network, headers);
        };
        let chain = HeaderChain::with_trusted_start(network, start)?;
        chain.extend_stored(headers)
    }

    /// Rebuilds the chain from stored best-chain headers, `headers[h]` being the header at
    /// height `h`.
    ///
    /// `headers[0]` must be the network's genesis header and each header must build on the one
    /// before it and meet the target of its own `bits`; chainwork is recomputed. An empty
    /// vector gives the genesis-only chain. Contextual rules (required bits, times) are not
    /// re-checked: the headers passed them when they were accepted.
    ///
    /// # Errors
    ///
    /// [`LoadError::WrongGenesis`], or [`LoadError::BrokenLink`] / [`LoadError::HighHash`]
    /// naming the first bad height.
    pub fn from_stored(network: Network, headers: Vec<Header>) -> Result<Self, LoadError> {
        HeaderChain::new(network).extend_stored(headers)
    }

    /// Appends stored best-chain headers to a chain that holds only its base; `headers[0]` must
    /// be the base itself.
    fn extend_stored(self, headers: Vec<Header>) -> Result<Self, LoadError> {
        let Some(first) = headers.first() else {
            return Ok(self);
        };
        let base_hash = self.active[0];
        let got = first.block_hash();
        if got != base_hash {
            return Err(match self.trusted_start {
                None => LoadError::WrongGenesis {
                    network: self.difficulty.network,
                    expected: base_hash,
                    got,
                },
                Some(_) => LoadError::WrongBase {
                    height: self.base_height,
                    expected: base_hash,
                    got,
                },
            });
        }
        let mut chain = self;
        chain.active.reserve(headers.len() - 1);
        chain.index.reserve(headers.len() - 1);
        let mut prev_hash = base_hash;
        let mut prev_work = chain.tip_chainwork();
        for (offset, header) in headers.iter().enumerate().skip(1) {
            let height = u32::try_from(offset)
                .ok()
                .and_then(|offset| chain.base_height.checked_add(offset))
                .expect("stored heights fit in u32 (the store checks them)");
            let hash = header.block_hash();
            if header.prev_blockhash != prev_hash {
                return Err(LoadError::BrokenLink {
                    height,
                    hash,
                    prev: header.prev_blockhash,
                    expected: prev_hash,
                });
            }
            let Some(target) =
                decode_bits(header.bits, chain.difficulty.pow_limit).filter(|t| t.is_met_by(hash))
            else {
                return Err(LoadError::HighHash {
                    height,
                    hash,
                    bits: header.bits.to_consensus(),
                });
            };
            let chainwork = prev_work + target.to_work();
            chain.index.insert(
                hash,
                IndexEntry {
                    header: *header,
                    height,
                    chainwork,
                },
            );
            chain.active.push(hash);
            prev_hash = hash;
            prev_work = chainwork;
        }
        Ok(chain)
    }

    /// Enforces btcd's checkpoints from now on: a header at a checkpoint height must be the
    /// checkpointed one ([`HeaderError::BadCheckpoint`]), and a header below the latest
    /// checkpoint on the best chain is refused ([`HeaderError::ForkTooOld`]). btcd
    /// (`chaincfg.Params.Checkpoints`, `checkBlockHeaderContext`); Bitcoin Core removed
    /// checkpoints (#31649), so the Core profile sets none.
    pub fn set_checkpoints(&mut self, checkpoints: impl IntoIterator<Item = (u32, BlockHash)>) {
        self.checkpoints = Checkpoints::new(checkpoints);
    }

    /// Runs with the node's deliberate bug `bug` ([`crate::Config::deliberate_bug()`]).
    pub(crate) fn set_deliberate_bug(&mut self, bug: Option<Bug>) {
        self.deliberate_bug = bug;
    }

    /// The network whose rules this chain applies.
    pub fn network(&self) -> Network {
        self.difficulty.network
    }

    /// Height of the base: 0 for genesis, the trusted start's height otherwise.
    pub fn base_height(&self) -> u32 {
        self.base_height
    }

    /// Hash of the base (genesis or the trusted header).
    pub fn base_hash(&self) -> BlockHash {
        self.active[0]
    }

    /// The trusted start the chain is based on; `None` when the base is genesis.
    pub fn trusted_start(&self) -> Option<&TrustedStart> {
        self.trusted_start.as_ref()
    }

    /// Height of the best tip (the base's height when nothing above it is known).
    pub fn tip_height(&self) -> u32 {
        let above_base =
            u32::try_from(self.active.len() - 1).expect("best chain shorter than 2^32");
        self.base_height + above_base
    }

    /// Hash of the best tip.
    pub fn tip_hash(&self) -> BlockHash {
        *self
            .active
            .last()
            .expect("the best chain always holds genesis")
    }

    /// Chainwork of the best tip (genesis included).
    pub fn tip_chainwork(&self) -> Work {
        self.entry(&self.tip_hash()).chainwork
    }

    /// Header of the best tip.
    pub fn tip_header(&self) -> Header {
        self.entry(&self.tip_hash()).header
    }

    /// Any known header, on the best chain or on a side branch.
    pub fn get(&self, hash: &BlockHash) -> Option<&IndexEntry> {
        self.index.get(hash)
    }

    /// Whether the header is known (any branch).
    pub fn contains(&self, hash: &BlockHash) -> bool {
        self.index.contains_key(hash)
    }

    /// Hash of the best-chain header at `height`, if the best chain is that long and `height`
    /// is not below the base.
    pub fn active_hash_at(&self, height: u32) -> Option<BlockHash> {
        let offset = height.checked_sub(self.base_height)?;
        self.active.get(offset as usize).copied()
    }

    /// Height of `hash` if it is on the best chain; `None` for side branches and unknown
    /// hashes.
    pub fn active_height_of(&self, hash: &BlockHash) -> Option<u32> {
        let entry = self.index.get(hash)?;
        self.is_active(hash, entry.height).then_some(entry.height)
    }

    /// Block locator of the best tip (see [`HeaderChain::locator_from`]).
    pub fn locator(&self) -> Vec<BlockHash> {
        self.locator_from(&self.tip_hash())
    }

    /// Block locator of any known header, walking its own branch: the hash itself and its 11
    /// predecessors (T, T-1 … T-11), then steps that double (T-13, T-17, T-25, T-41, …), always
    /// ending with the base exactly once: genesis, or the trusted header of a chain built with
    /// [`HeaderChain::with_trusted_start`] (where Core would end at genesis, which such a chain
    /// does not know). Empty if `hash` is unknown.
    ///
    /// Same algorithm as Bitcoin Core `LocatorEntries` (`src/chain.cpp`) and btcd
    /// `blockLocator` (`blockchain/chainview.go`). Fewer than 50 entries for any `u32` height.
    pub fn locator_from(&self, hash: &BlockHash) -> Vec<BlockHash> {
        let Some(entry) = self.index.get(hash) else {
            return Vec::new();
        };
        let mut locator = Vec::with_capacity(LOCATOR_DENSE_ENTRIES + 32);
        let mut current = *hash;
        let mut height = entry.height;
        let mut step = 1u32;
        loop {
            locator.push(current);
            if height == self.base_height {
                break;
            }
            let next = height.saturating_sub(step).max(self.base_height);
            current = self.ancestor_hash(current, height, next);
            height = next;
            // Core doubles once the locator holds more than 10 entries, after computing the
            // next height: that height (T-11) is the 12th and last dense entry.
            if locator.len() >= LOCATOR_DENSE_ENTRIES - 1
                && !deliberate_bugs::is(self.deliberate_bug, Bug::LocatorWithoutDoubling)
            {
                step = step.saturating_mul(2);
            }
        }
        locator
    }

    /// Best-chain headers to serve a `getheaders` request.
    ///
    /// Starts just above the first locator hash that is on the best chain (btcd
    /// `locateInventory`, Core `FindForkInGlobalIndex`), or just above the base when none is
    /// (height 1 from genesis; above the trusted header of a trusted start, since nothing below
    /// it is known: the peer gets what we have). Returns
    /// up to `max` consecutive best-chain headers, stopping after the one whose hash is
    /// `hash_stop` (inclusive). An empty locator asks for the `hash_stop` header alone: it is
    /// returned if it is on the best chain (Core `ProcessMessage` GETHEADERS with a null
    /// locator; Core also requires the header to be on the active chain or a fully validated
    /// recent stale block, which a header-only node never has).
    pub fn headers_after_locator(
        &self,
        locator: &[BlockHash],
        hash_stop: BlockHash,
        max: usize,
    ) -> Vec<Header> {
        if max == 0 {
            return Vec::new();
        }
        if locator.is_empty() {
            return match self.active_height_of(&hash_stop) {
                Some(_) => vec![self.entry(&hash_stop).header],
                None => Vec::new(),
            };
        }
        let start_height = locator
            .iter()
            .find_map(|hash| self.active_height_of(hash))
            .unwrap_or(self.base_height)
            .saturating_add(1);
        let mut headers = Vec::new();
        for hash in self
            .active
            .iter()
            .skip((start_height - self.base_height) as usize)
        {
            headers.push(self.entry(hash).header);
            if *hash == hash_stop || headers.len() >= max {
                break;
            }
        }
        headers
    }

    /// Validates one `headers` message and adds the headers that pass, following Bitcoin Core
    /// (`net_processing.cpp ProcessHeadersMessage`, `validation.cpp AcceptBlockHeader`).
    ///
    /// `now_s` is the caller's clock in seconds since the Unix epoch (for the
    /// [`FUTURE_BLOCK_TIME_S_MAX`] limit). Whole-message failures (proof of work against each
    /// header's own `bits`, continuity) add nothing. Otherwise headers are processed in order:
    /// already-known ones are skipped, and the first failure stops processing while keeping
    /// the headers accepted before it. If the new headers give a branch with strictly more
    /// chainwork than the current tip, it becomes the best chain and [`Import::update`] holds
    /// the rows to persist.
    pub fn accept_headers(&mut self, headers: &[Header], now_s: u64) -> Import {
        let hashes: Vec<BlockHash> = headers.iter().map(Header::block_hash).collect();
        self.accept(headers, &hashes, now_s, true)
    }

    /// [`HeaderChain::accept_headers`] with each header's hash already computed (by
    /// [`HeaderChain::check_headers_message`]): `hashes[i]` must be `headers[i].block_hash()`.
    ///
    /// # Panics
    /// If the two slices differ in length (a caller bug).
    pub fn accept_hashed_headers(
        &mut self,
        headers: &[Header],
        hashes: &[BlockHash],
        now_s: u64,
    ) -> Import {
        assert_eq!(headers.len(), hashes.len(), "one hash per header");
        self.accept(headers, hashes, now_s, true)
    }

    /// Core `CheckHeadersPoW` on a whole message before anything else looks at it: every header
    /// meets the target of its own `bits` (within the proof-of-work limit), and each links to
    /// the one before.
    ///
    /// Returns the headers' hashes (`hashes[i]` is `headers[i].block_hash()`), computed once
    /// here for the steps after it.
    ///
    /// # Errors
    /// [`HeaderError::HighHash`] or [`HeaderError::NonContinuous`] for the first failure.
    pub fn check_headers_message(&self, headers: &[Header]) -> Result<Vec<BlockHash>, HeaderError> {
        let hashes: Vec<BlockHash> = headers.iter().map(Header::block_hash).collect();
        check_headers_pow(headers, &hashes, self.difficulty.pow_limit)?;
        Ok(hashes)
    }

    /// btcd's order of checks for one `headers` message (B26 `handleHeadersMsg` calling
    /// `ProcessBlockHeader` header by header): no whole-message pre-check; each header's proof
    /// of work is checked when it is reached, and a gap shows up as an unknown parent. The
    /// headers before the first failure stay accepted (reference D15: for a bad proof of work
    /// or a gap Core keeps nothing, btcd keeps the prefix). Otherwise as
    /// [`HeaderChain::accept_headers`].
    pub fn accept_headers_in_order(&mut self, headers: &[Header], now_s: u64) -> Import {
        let hashes: Vec<BlockHash> = headers.iter().map(Header::block_hash).collect();
        self.accept(headers, &hashes, now_s, false)
    }

    /// [`HeaderChain::accept_headers_in_order`] with each header's hash already computed:
    /// `hashes[i]` must be `headers[i].block_hash()`.
    ///
    /// # Panics
    /// If the two slices differ in length (a caller bug).
    pub fn accept_hashed_headers_in_order(
        &mut self,
        headers: &[Header],
        hashes: &[BlockHash],
        now_s: u64,
    ) -> Import {
        assert_eq!(headers.len(), hashes.len(), "one hash per header");
        self.accept(headers, hashes, now_s, false)
    }

    fn accept(
        &mut self,
        headers: &[Header],
        hashes: &[BlockHash],
        now_s: u64,
        whole_message_precheck: bool,
    ) -> Import {
        let mut import = Import::default();
        if headers.is_empty() {
            return import;
        }
        if whole_message_precheck {
            if let Err(error) = check_headers_pow(headers, hashes, self.difficulty.pow_limit) {
                import.error = Some(error);
                return import;
            }
        }

        let old_tip_work = self.tip_chainwork();
        let mut best_added: Option<(BlockHash, Work)> = None;
        for (index, (header, hash)) in headers.iter().zip(hashes).enumerate() {
            if self.index.contains_key(hash) {
                continue;
            }
            if !whole_message_precheck {
                if let Err(error) = check_headers_pow(
                    std::slice::from_ref(header),
                    std::slice::from_ref(hash),
                    self.difficulty.pow_limit,
                ) {
                    import.error = Some(match error {
                        HeaderError::HighHash { hash, bits, .. } => {
                            HeaderError::HighHash { index, hash, bits }
                        }
                        other => other,
                    });
                    break;
                }
            }
            match self.check_contextual(index, header, *hash, now_s) {
                Ok(entry) => {
                    if best_added.is_none_or(|(_, work)| entry.chainwork > work) {
                        best_added = Some((*hash, entry.chainwork));
                    }
                    self.index.insert(*hash, entry);
                    import.accepted += 1;
                }
                Err(error) => {
                    import.error = Some(error);
                    break;
                }
            }
        }

        // The added header with the most chainwork is the candidate tip (for a continuous
        // message, the last one added).
        if let Some((candidate, _)) = best_added {
            let candidate_work = self.entry(&candidate).chainwork;
            let wins = if deliberate_bugs::is(self.deliberate_bug, Bug::EqualWorkReorg) {
                candidate_work >= old_tip_work
            } else {
                candidate_work > old_tip_work
            };
            if wins {
                let (update, reorg_depth) = self.activate(candidate);
                import.update = Some(update);
                import.reorg_depth = reorg_depth;
            }
        }
        import
    }

    /// Number of index entries (all branches, the base included); never zero.
    #[allow(clippy::len_without_is_empty)] // the base is always present
    pub fn len(&self) -> usize {
        self.index.len()
    }

    // ----- internals -----

    /// The entry of a hash we know is indexed (our own invariant, not peer data).
    fn entry(&self, hash: &BlockHash) -> &IndexEntry {
        self.index
            .get(hash)
            .expect("hash taken from the index or the best chain is indexed")
    }

    fn is_active(&self, hash: &BlockHash, height: u32) -> bool {
        self.active_hash_at(height).as_ref() == Some(hash)
    }

    /// The ancestor at `target_height` of `hash` (which sits at `height`), on its own branch.
    /// Walks parent links until the branch joins the best chain, then indexes `active`. Every
    /// branch joins the best chain at the base at the latest, so `target_height` must not be
    /// below the base.
    fn ancestor_hash(&self, hash: BlockHash, height: u32, target_height: u32) -> BlockHash {
        assert!(target_height <= height, "ancestor above the header");
        assert!(target_height >= self.base_height, "ancestor below the base");
        let mut current = hash;
        let mut current_height = height;
        loop {
            if current_height == target_height {
                return current;
            }
            if self.is_active(&current, current_height) {
                return self.active[(target_height - self.base_height) as usize];
            }
            current = self.entry(&current).header.prev_blockhash;
            current_height -= 1;
        }
    }

    /// Core `CBlockIndex::GetMedianTimePast` where it can be computed, else a lower bound of it.
    ///
    /// The median of the times of `hash` and up to [`MEDIAN_TIME_SPAN`] - 1 of its ancestors
    /// (fewer near genesis, as in Core); for an even count the upper middle element. When the
    /// walk stops at a trusted base with `k < 11` times known, the `11 - k` unknown times
    /// could be anything, so this returns the `(k - 5)`-th smallest known time (the least the
    /// real median can be), or `None` for `k <= 5` (no bound: the check is skipped). See the
    /// module docs.
    pub(crate) fn median_time_past(&self, hash: &BlockHash) -> Option<u32> {
        let mut times = [0u32; MEDIAN_TIME_SPAN];
        let count = self
            .index
            .times_back_from(hash, self.base_height, &mut times);
        median_time_past_of(&mut times[..count], self.base_height == 0)
    }

    /// Core `AcceptBlockHeader` for a header not yet in the index: parent known, then
    /// `ContextualCheckBlockHeader` (bits, proof of work, median time past, future limit, version).
    fn check_contextual(
        &self,
        index: usize,
        header: &Header,
        hash: BlockHash,
        now_s: u64,
    ) -> Result<IndexEntry, HeaderError> {
        let parent = self
            .index
            .get(&header.prev_blockhash)
            .ok_or(HeaderError::PrevNotFound {
                hash,
                prev: header.prev_blockhash,
            })?;
        let height = parent
            .height
            .checked_add(1)
            .expect("heights stay below 2^32");
        self.checkpoints
            .check(height, hash, |h| self.active_hash_at(h))?;

        let expected = self.required_bits(parent, header, hash)?;
        if header.bits != expected {
            return Err(HeaderError::BadDiffBits {
                height,
                hash,
                expected: expected.to_consensus(),
                got: header.bits.to_consensus(),
            });
        }
        // Already checked by the whole-message pre-check; kept as Core's CheckBlockHeader does.
        let Some(target) =
            decode_bits(header.bits, self.difficulty.pow_limit).filter(|t| t.is_met_by(hash))
        else {
            return Err(HeaderError::HighHash {
                index,
                hash,
                bits: header.bits.to_consensus(),
            });
        };

        let median_time_past = self.median_time_past(&header.prev_blockhash);
        if let Some(median_time_past) = median_time_past.filter(|mtp| header.time <= *mtp) {
            return Err(HeaderError::TimeTooOld {
                height,
                hash,
                time: header.time,
                median_time_past,
            });
        }
        if self.difficulty.bip94() {
            check_timewarp(height, header.time, parent.header.time, hash)?;
        }
        let limit = now_s.saturating_add(FUTURE_BLOCK_TIME_S_MAX);
        if u64::from(header.time) > limit {
            return Err(HeaderError::TimeTooNew {
                height,
                hash,
                time: header.time,
                limit,
            });
        }
        let heights = version_heights(self.difficulty.network, self.difficulty.params);
        check_version(height, header.version.to_consensus(), heights, hash)?;

        Ok(IndexEntry {
            header: *header,
            height,
            chainwork: parent.chainwork + target.to_work(),
        })
    }

    /// Core `GetNextWorkRequired` (`pow.cpp`): the `bits` a child of `parent` must carry
    /// (see [`Difficulty::required_bits`]).
    fn required_bits(
        &self,
        parent: &IndexEntry,
        header: &Header,
        hash: BlockHash,
    ) -> Result<CompactTarget, HeaderError> {
        self.difficulty.required_bits(self, parent, header, hash)
    }

    /// Makes `new_tip` the best tip. Returns the rows to persist and the reorg depth.
    fn activate(&mut self, new_tip: BlockHash) -> (ChainUpdate, u32) {
        let mut branch: Vec<(BlockHash, Header)> = Vec::new();
        let mut current = new_tip;
        let fork_height = loop {
            let entry = self.entry(&current);
            if self.is_active(&current, entry.height) {
                break entry.height;
            }
            branch.push((current, entry.header));
            current = entry.header.prev_blockhash;
        };
        branch.reverse();
        let old_tip_height = self.tip_height();
        let reorg_depth = old_tip_height - fork_height;
        self.active
            .truncate((fork_height - self.base_height) as usize + 1);
        self.active.extend(branch.iter().map(|(hash, _)| *hash));
        if reorg_depth > 0 {
            tracing::debug!(
                fork_height,
                old_tip_height,
                new_tip_height = self.tip_height(),
                reorg_depth,
                "best header chain reorganised"
            );
        }
        (
            ChainUpdate::from_hashed(fork_height + 1, branch),
            reorg_depth,
        )
    }
}

impl Ancestry for HeaderChain {
    fn base_height(&self) -> u32 {
        self.base_height
    }

    fn trusted_start(&self) -> Option<&TrustedStart> {
        self.trusted_start.as_ref()
    }

    fn entry(&self, hash: &BlockHash) -> &IndexEntry {
        HeaderChain::entry(self, hash)
    }

    fn ancestor_hash(&self, hash: BlockHash, height: u32, target_height: u32) -> BlockHash {
        HeaderChain::ancestor_hash(self, hash, height, target_height)
    }
}

#[cfg(test)]
mod tests;
