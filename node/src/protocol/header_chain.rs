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
//! period's first header may not be more than [`MAX_TIMEWARP_S`] older than its parent) and
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

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use bitcoin::block::Header;
use bitcoin::constants::genesis_block;
use bitcoin::params::Params;
use bitcoin::pow::{CompactTarget, Target, Work};
use bitcoin::{BlockHash, Network};

use crate::deliberate_bugs::{self, Bug};
use crate::trusted_start::{TrustedStart, TrustedStartError};

/// A change of the best chain, to be persisted in one store transaction.
///
/// Rows with `height >= start_height` are replaced by `headers`, the first of which sits at
/// `start_height`. An extension of the tip has `start_height = old_tip_height + 1`; a reorg
/// starts just above the fork point.
///
/// Each header travels with its hash, computed once when the header was accepted, so that the
/// store does not hash it again. The fields are private to keep the two in step: build one
/// with [`ChainUpdate::new`], which hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainUpdate {
    start_height: u32,
    headers: Vec<Header>,
    hashes: Vec<BlockHash>,
}

impl ChainUpdate {
    /// The update that puts `headers` at `start_height` upwards; hashes each header.
    pub fn new(start_height: u32, headers: Vec<Header>) -> ChainUpdate {
        let hashes = headers.iter().map(Header::block_hash).collect();
        ChainUpdate {
            start_height,
            headers,
            hashes,
        }
    }

    /// From `(hash, header)` pairs whose hashes the caller computed from those headers.
    fn from_hashed(start_height: u32, rows: Vec<(BlockHash, Header)>) -> ChainUpdate {
        let (hashes, headers) = rows.into_iter().unzip();
        ChainUpdate {
            start_height,
            headers,
            hashes,
        }
    }

    /// Height of `headers()[0]`.
    pub fn start_height(&self) -> u32 {
        self.start_height
    }

    /// The new best-chain headers from `start_height()` upwards, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// `hashes()[i]` is `headers()[i].block_hash()`.
    pub fn hashes(&self) -> &[BlockHash] {
        &self.hashes
    }
}

/// How far a header's `time` may lie ahead of the caller's clock, in seconds.
///
/// Bitcoin Core `MAX_FUTURE_BLOCK_TIME` (`src/chain.h`, checked against the local clock in
/// `validation.cpp ContextualCheckBlockHeader`); btcd `MaxTimeOffsetSeconds`
/// (`blockchain/validate.go`, checked against network-adjusted time).
pub const FUTURE_BLOCK_TIME_S_MAX: u64 = 2 * 60 * 60;

/// Number of headers (the parent and its ancestors) whose median time a new header must exceed.
///
/// Bitcoin Core `CBlockIndex::nMedianTimeSpan` (`src/chain.h`); btcd `medianTimeBlocks`
/// (`blockchain/validate.go`).
pub const MEDIAN_TIME_SPAN: usize = 11;

/// Number of consecutive hashes (tip included) at the start of a locator before the step
/// starts doubling.
///
/// Bitcoin Core `LocatorEntries` (`src/chain.cpp`: the step doubles once the locator holds more
/// than 10 entries, after the next height is computed); btcd `blockLocator`
/// (`blockchain/chainview.go`).
const LOCATOR_DENSE_ENTRIES: usize = 12;

/// One known header with its position in its own branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// The 80-byte header as received.
    pub header: Header,
    /// Height on its own branch (genesis is 0).
    pub height: u32,
    /// Total work of the branch from genesis up to and including this header (Core
    /// `CBlockIndex::nChainWork`, expected number of hashes).
    pub chainwork: Work,
}

/// The outcome of [`HeaderChain::accept_headers`] for one `headers` message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// Headers added to the index by this call. Headers that were already known are skipped
    /// and not counted.
    pub accepted: usize,
    /// The first failure, if any. Processing stopped there; headers before it that passed stay
    /// accepted, except after a whole-message failure ([`HeaderError::HighHash`] from the
    /// pre-check, [`HeaderError::NonContinuous`]) where nothing was added.
    pub error: Option<HeaderError>,
    /// `Some` if and only if the best chain changed: the rows to persist.
    pub update: Option<ChainUpdate>,
    /// How many headers of the old best chain were replaced (old tip height minus fork
    /// height); 0 for a plain extension or when the best chain did not change.
    pub reorg_depth: u32,
}

/// Why a header (or a whole `headers` message) was rejected.
///
/// Each message starts with Bitcoin Core's reject string (`validation.cpp`,
/// `net_processing.cpp`). [`HeaderError::TimeTooNew`] is the one Core does not punish
/// (`BLOCK_TIME_FUTURE`); the caller decides what each means for the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The header's hash is above the target of its `bits`, or its `bits` do not decode to a
    /// valid target (negative, zero, overflowing, or easier than the network's proof-of-work
    /// limit). Core `CheckProofOfWork` (`pow.cpp`). Its height is not known yet when the
    /// whole-message pre-check finds it, so the variant names the position in the message.
    #[error("high-hash: header {index} of the message ({hash}) does not meet the target of its bits {bits:#010x}")]
    HighHash {
        /// Position of the header in the message (0-based).
        index: usize,
        /// The header's hash.
        hash: BlockHash,
        /// The header's `bits` (consensus encoding).
        bits: u32,
    },
    /// `headers[index].prev_blockhash` is not the hash of `headers[index - 1]`.
    #[error("non-continuous headers sequence: header {index} of the message ({hash}) builds on {prev}, not on the header before it")]
    NonContinuous {
        /// Position of the first header that does not link (at least 1).
        index: usize,
        /// Its hash.
        hash: BlockHash,
        /// Its `prev_blockhash`.
        prev: BlockHash,
    },
    /// The header's parent is not in the index (Core `BLOCK_MISSING_PREV`).
    #[error("prev-blk-not-found: header does not connect: {hash} builds on unknown {prev}")]
    PrevNotFound {
        /// The header's hash.
        hash: BlockHash,
        /// Its `prev_blockhash`, which we do not know.
        prev: BlockHash,
    },
    /// `bits` differ from the required next work (Core `GetNextWorkRequired`, `pow.cpp`).
    #[error("bad-diffbits: header {hash} at height {height} has bits {got:#010x}, expected {expected:#010x}")]
    BadDiffBits {
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// Required `bits` (consensus encoding).
        expected: u32,
        /// The header's `bits` (consensus encoding).
        got: u32,
    },
    /// `time` is not after the median time past of the previous [`MEDIAN_TIME_SPAN`] headers
    /// (just above a trusted start: not after the least that median can be).
    #[error("time-too-old: header {hash} at height {height} has time {time}, not after the median time past {median_time_past}")]
    TimeTooOld {
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The header's time, seconds since the Unix epoch.
        time: u32,
        /// Median time past of its parent (or its lower bound just above a trusted start),
        /// seconds since the Unix epoch.
        median_time_past: u32,
    },
    /// `time` is more than [`FUTURE_BLOCK_TIME_S_MAX`] ahead of the caller's clock.
    #[error("time-too-new: header {hash} at height {height} has time {time}, after the limit {limit} (now + 7200 s)")]
    TimeTooNew {
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The header's time, seconds since the Unix epoch.
        time: u32,
        /// `now_s + FUTURE_BLOCK_TIME_S_MAX`, seconds since the Unix epoch.
        limit: u64,
    },
    /// A period's first header is more than [`MAX_TIMEWARP_S`] older than its parent
    /// (testnet4, BIP94; Core `ContextualCheckBlockHeader` "time-timewarp-attack").
    #[error("time-timewarp-attack: header {hash} at height {height} has time {time}, more than 600 s before its parent's {parent_time}")]
    TimewarpAttack {
        /// Height the header would have (a multiple of 2016).
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The header's time, seconds since the Unix epoch.
        time: u32,
        /// Its parent's time, seconds since the Unix epoch.
        parent_time: u32,
    },
    /// `version` is below what the soft forks active at `height` require: 2 from BIP34's
    /// activation height, 3 from BIP66's, 4 from BIP65's (Core `ContextualCheckBlockHeader`
    /// in `validation.cpp`, reject string `bad-version(0x%08x)`; the heights are rust-bitcoin's
    /// `Params::bip34_height`, `bip66_height` and `bip65_height`, except on regtest, where
    /// Core activates all three at height 1).
    #[error("bad-version({version:#010x}): header {hash} at height {height} has version {version}, below the minimum of the BIP34/66/65 soft forks active there")]
    BadVersion {
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The header's version (consensus encoding, signed as in Core's `nVersion`).
        version: i32,
    },
    /// A header at a checkpoint height is not the checkpointed header (btcd
    /// `ErrBadCheckpoint`, `blockchain/validate.go checkBlockHeaderContext`).
    #[error("bad-checkpoint: header {hash} at height {height} is not the checkpoint {expected}")]
    BadCheckpoint {
        /// The checkpoint's height.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The checkpointed hash.
        expected: BlockHash,
    },
    /// A header forks from the best chain below its latest checkpoint (btcd `ErrForkTooOld`;
    /// Bitcoin Core before #31649: "bad-fork-prior-to-checkpoint").
    #[error("bad-fork-prior-to-checkpoint: header {hash} at height {height} forks below the checkpoint at {checkpoint_height}")]
    ForkTooOld {
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// Height of the latest checkpoint on the best chain.
        checkpoint_height: u32,
    },
    /// The network's difficulty rules are not implemented (a network rust-bitcoin may add).
    #[error("unsupported network {network}: the difficulty rules for header {hash} at height {height} are not implemented")]
    UnsupportedNetwork {
        /// The chain's network.
        network: Network,
        /// Height the header would have.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
    },
}

impl HeaderError {
    /// Bitcoin Core's reject string for this error, the start of its message: the
    /// `BlockValidationState` reject reason of `validation.cpp` (`high-hash`,
    /// `prev-blk-not-found`, `bad-diffbits`, `time-too-old`, `time-too-new`,
    /// `time-timewarp-attack`, `bad-version`), or for [`HeaderError::NonContinuous`] the
    /// `Misbehaving` message of `net_processing.cpp` (`non-continuous headers sequence`).
    ///
    /// Core writes `bad-version(0x%08x)` with the version; this returns the constant part,
    /// `bad-version`. [`HeaderError::UnsupportedNetwork`] has no Core counterpart and returns
    /// `unsupported network` (the start of its message).
    pub fn reject_reason(&self) -> &'static str {
        match self {
            HeaderError::HighHash { .. } => "high-hash",
            HeaderError::NonContinuous { .. } => "non-continuous headers sequence",
            HeaderError::PrevNotFound { .. } => "prev-blk-not-found",
            HeaderError::BadDiffBits { .. } => "bad-diffbits",
            HeaderError::TimeTooOld { .. } => "time-too-old",
            HeaderError::TimeTooNew { .. } => "time-too-new",
            HeaderError::TimewarpAttack { .. } => "time-timewarp-attack",
            HeaderError::BadVersion { .. } => "bad-version",
            HeaderError::BadCheckpoint { .. } => "bad-checkpoint",
            HeaderError::ForkTooOld { .. } => "bad-fork-prior-to-checkpoint",
            HeaderError::UnsupportedNetwork { .. } => "unsupported network",
        }
    }
}

/// Why stored headers could not be loaded by [`HeaderChain::from_stored`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The trusted start is not valid (see [`HeaderChain::with_trusted_start`]).
    #[error("{0}")]
    TrustedStart(#[from] TrustedStartError),
    /// The lowest stored header is not the trusted start's header.
    #[error("stored header at height {height} is {got}, not the trusted start {expected}")]
    WrongBase {
        /// The trusted start's height.
        height: u32,
        /// The trusted header's hash.
        expected: BlockHash,
        /// The hash of the lowest stored header.
        got: BlockHash,
    },
    /// The stored header at height 0 is not the network's genesis header.
    #[error("stored header at height 0 is {got}, not the {network} genesis {expected}")]
    WrongGenesis {
        /// The network the chain was loaded for.
        network: Network,
        /// The network's genesis hash.
        expected: BlockHash,
        /// The hash of the stored header at height 0.
        got: BlockHash,
    },
    /// The stored header at `height` does not build on the one stored below it.
    #[error("stored header at height {height} ({hash}) builds on {prev}, but the header below it is {expected}")]
    BrokenLink {
        /// Height of the header whose link is broken.
        height: u32,
        /// Its hash.
        hash: BlockHash,
        /// Its `prev_blockhash`.
        prev: BlockHash,
        /// The hash of the stored header at `height - 1`.
        expected: BlockHash,
    },
    /// The stored header at `height` does not meet the target of its own `bits` (Core
    /// re-checks proof of work when it loads its block index, `LoadBlockIndexGuts`).
    #[error("stored header at height {height} ({hash}) does not meet the target of its bits {bits:#010x}")]
    HighHash {
        /// Height of the header.
        height: u32,
        /// Its hash.
        hash: BlockHash,
        /// Its `bits` (consensus encoding).
        bits: u32,
    },
}

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

/// Hashes a [`BlockHash`] key by its first 8 bytes, like Bitcoin Core's `BlockHasher`
/// (`src/util/hasher.h`, `ReadLE64` of the hash): a block hash is already uniform, so no keyed hashing is needed, and nothing
/// random makes two runs differ. Length prefixes written before the bytes are mixed in.
#[derive(Debug, Default, Clone, Copy)]
struct BlockHashHasher(u64);

impl Hasher for BlockHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
    }
}

/// Arena slot of an entry with no parent in the index (the base).
const NO_PARENT: u32 = u32::MAX;

/// Every known header: an arena of entries, each entry's parent slot, and a hash map from
/// block hash to slot. Entries are never removed (except all at once by `clear`).
#[derive(Debug, Clone, Default)]
struct BlockIndex {
    slots: HashMap<BlockHash, u32, BuildHasherDefault<BlockHashHasher>>,
    entries: Vec<IndexEntry>,
    parents: Vec<u32>,
}

impl BlockIndex {
    fn get(&self, hash: &BlockHash) -> Option<&IndexEntry> {
        self.slots
            .get(hash)
            .map(|slot| &self.entries[*slot as usize])
    }

    fn contains_key(&self, hash: &BlockHash) -> bool {
        self.slots.contains_key(hash)
    }

    fn slot(&self, hash: &BlockHash) -> Option<u32> {
        self.slots.get(hash).copied()
    }

    /// Adds `entry` under `hash` (replacing an entry already there); its parent is looked up
    /// by `prev_blockhash`.
    fn insert(&mut self, hash: BlockHash, entry: IndexEntry) {
        let parent = self.slot(&entry.header.prev_blockhash).unwrap_or(NO_PARENT);
        let next = u32::try_from(self.entries.len()).expect("fewer than 2^32 headers");
        let slot = *self.slots.entry(hash).or_insert(next) as usize;
        if slot == self.entries.len() {
            self.entries.push(entry);
            self.parents.push(parent);
        } else {
            self.entries[slot] = entry;
            self.parents[slot] = parent;
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.entries.clear();
        self.parents.clear();
    }

    fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.entries.reserve(additional);
        self.parents.reserve(additional);
    }
}

/// An in-memory header index with Bitcoin Core's header checks and best-chain selection.
///
/// Holds every accepted header (all branches) in an index keyed by hash, and the best
/// chain (most chainwork) as a vector of hashes indexed by height above the base. Always
/// contains its base: the network's genesis header, or the header of a [`TrustedStart`].
#[derive(Debug, Clone)]
pub struct HeaderChain {
    network: Network,
    params: &'static Params,
    rule: DifficultyRule,
    /// The network's proof-of-work limit (easiest allowed target).
    pow_limit: Target,
    index: BlockIndex,
    /// Best chain: `active[i]` is the hash at height `base_height + i`; `active[0]` is the base.
    active: Vec<BlockHash>,
    /// Height of the base: 0 for genesis, the trusted start's height otherwise.
    base_height: u32,
    /// The trusted start the chain is based on; `None` when the base is genesis.
    trusted_start: Option<TrustedStart>,
    /// Checkpoints by height (btcd profile only; see [`HeaderChain::set_checkpoints`]).
    checkpoints: BTreeMap<u32, BlockHash>,
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
            network,
            params: network.params(),
            rule: difficulty_rule(network),
            pow_limit: network.params().max_attainable_target,
            index,
            active: vec![hash],
            base_height: 0,
            trusted_start: None,
            checkpoints: BTreeMap::new(),
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
        let fixed_bits = matches!(
            chain.rule,
            DifficultyRule::Retarget | DifficultyRule::NoRetarget
        );
        start.check(network, chain.pow_limit, fixed_bits)?;
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
                    network: self.network,
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
                decode_bits(header.bits, chain.pow_limit).filter(|t| t.is_met_by(hash))
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
        self.checkpoints = checkpoints.into_iter().collect();
    }

    /// The network whose rules this chain applies.
    pub fn network(&self) -> Network {
        self.network
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
                && !deliberate_bugs::is(Bug::LocatorWithoutDoubling)
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
        self.check_headers_pow(headers, &hashes)?;
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
            if let Err(error) = self.check_headers_pow(headers, hashes) {
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
                if let Err(error) =
                    self.check_headers_pow(std::slice::from_ref(header), std::slice::from_ref(hash))
                {
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
            let wins = if deliberate_bugs::is(Bug::EqualWorkReorg) {
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
        let mut count = 0;
        let mut slot = self
            .index
            .slot(hash)
            .expect("hash taken from the index is indexed");
        loop {
            let entry = &self.index.entries[slot as usize];
            times[count] = entry.header.time;
            count += 1;
            if count == MEDIAN_TIME_SPAN || entry.height == self.base_height {
                break;
            }
            slot = self.index.parents[slot as usize];
            assert_ne!(
                slot, NO_PARENT,
                "every header above the base has its parent indexed"
            );
        }
        let times = &mut times[..count];
        times.sort_unstable();
        if count == MEDIAN_TIME_SPAN || self.base_height == 0 {
            return Some(times[count / 2]);
        }
        // Index 5 of 11 sorted times is the median; `11 - count` unknown times can all sort
        // below the known ones, pushing it down to known index 5 - (11 - count).
        let unknown = MEDIAN_TIME_SPAN - count;
        (MEDIAN_TIME_SPAN / 2)
            .checked_sub(unknown)
            .map(|index| times[index])
    }

    /// Core `CheckHeadersPoW`: every header meets its own target, then continuity.
    fn check_headers_pow(
        &self,
        headers: &[Header],
        hashes: &[BlockHash],
    ) -> Result<(), HeaderError> {
        for (index, (header, hash)) in headers.iter().zip(hashes).enumerate() {
            let meets =
                decode_bits(header.bits, self.pow_limit).is_some_and(|t| t.is_met_by(*hash));
            if !meets {
                return Err(HeaderError::HighHash {
                    index,
                    hash: *hash,
                    bits: header.bits.to_consensus(),
                });
            }
        }
        for index in 1..headers.len() {
            if headers[index].prev_blockhash != hashes[index - 1] {
                return Err(HeaderError::NonContinuous {
                    index,
                    hash: hashes[index],
                    prev: headers[index].prev_blockhash,
                });
            }
        }
        Ok(())
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
        if let Some(expected) = self
            .checkpoints
            .get(&height)
            .filter(|expected| **expected != hash)
        {
            return Err(HeaderError::BadCheckpoint {
                height,
                hash,
                expected: *expected,
            });
        }
        // btcd `findPreviousCheckpoint`: the latest checkpoint our best chain holds.
        let passed = self
            .checkpoints
            .iter()
            .rev()
            .find(|(h, c)| self.active_hash_at(**h) == Some(**c));
        if let Some((&checkpoint_height, _)) = passed.filter(|(h, _)| height < **h) {
            return Err(HeaderError::ForkTooOld {
                height,
                hash,
                checkpoint_height,
            });
        }

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
        let Some(target) = decode_bits(header.bits, self.pow_limit).filter(|t| t.is_met_by(hash))
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
        if self.rule == DifficultyRule::RetargetWithMinDifficultyBip94 {
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
        let heights = version_heights(self.network, self.params);
        check_version(height, header.version.to_consensus(), heights, hash)?;

        Ok(IndexEntry {
            header: *header,
            height,
            chainwork: parent.chainwork + target.to_work(),
        })
    }

    /// Core `GetNextWorkRequired` (`pow.cpp`): the `bits` a child of `parent` must carry.
    /// `header` (the child) only matters for testnet3's time-based exception; `hash` only
    /// names it in an error.
    #[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
    fn required_bits(
        &self,
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
                        return Ok(self.min_difficulty_bits(parent, header, interval));
                    }
                    return Ok(parent.header.bits);
                }
                let first_height = height - interval;
                let (first_time, first_bits) = if first_height < self.base_height {
                    // The period started below a trusted start: its first header is known
                    // only through the trusted start's period-first values.
                    let start = self
                        .trusted_start
                        .as_ref()
                        .expect("a base above genesis is a trusted start");
                    assert_eq!(
                        first_height,
                        start.period_first_height(),
                        "the base lies in the ending period"
                    );
                    (start.period_first_time, start.period_first_bits)
                } else {
                    let first_hash =
                        self.ancestor_hash(header.prev_blockhash, parent.height, first_height);
                    let first = self.entry(&first_hash).header;
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
            if entry.height == self.base_height {
                let start = self
                    .trusted_start
                    .as_ref()
                    .expect("a base above genesis is a trusted start");
                return start.period_first_bits;
            }
            entry = self.entry(&entry.header.prev_blockhash);
        }
        entry.header.bits
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

/// BIP94's timewarp limit (Core `MAX_TIMEWARP`, `consensus/consensus.h`): seconds a period's
/// first header may be older than its parent on testnet4.
pub const MAX_TIMEWARP_S: u32 = 600;

/// Core `ContextualCheckBlockHeader` "time-timewarp-attack" (testnet4 only): at a retarget
/// height, the header's time may not be more than [`MAX_TIMEWARP_S`] before its parent's.
#[allow(clippy::manual_is_multiple_of)] // u32::is_multiple_of needs Rust 1.87; MSRV is 1.85
fn check_timewarp(
    height: u32,
    time: u32,
    parent_time: u32,
    hash: BlockHash,
) -> Result<(), HeaderError> {
    let interval = 2016;
    if height % interval == 0
        && i64::from(time) < i64::from(parent_time) - i64::from(MAX_TIMEWARP_S)
    {
        return Err(HeaderError::TimewarpAttack {
            height,
            hash,
            time,
            parent_time,
        });
    }
    Ok(())
}

/// The activation heights of BIP34, BIP66 and BIP65, in that order: from each, a header's
/// version must be at least 2, 3 and 4 respectively.
///
/// rust-bitcoin's `Params::bip34_height`, `bip66_height` and `bip65_height`, except on regtest:
/// rust-bitcoin 0.32 still carries Core's old regtest values (100000000, 1251, 1351), while
/// Core since 23.0 activates all three at height 1 there (`src/kernel/chainparams.cpp`
/// `CRegTestParams`: "Always active unless overridden"). Found by the `kernel-oracle`
/// differential test: Core rejected version-1 to -3 regtest headers that we accepted.
fn version_heights(network: Network, params: &Params) -> [u32; 3] {
    match network {
        Network::Regtest => [1, 1, 1],
        _ => [
            params.bip34_height,
            params.bip66_height,
            params.bip65_height,
        ],
    }
}

/// Core `ContextualCheckBlockHeader` "bad-version" (`validation.cpp`): a header at or above
/// BIP34's activation height needs version 2 or more, at or above BIP66's 3 or more, at or
/// above BIP65's 4 or more (Core `DeploymentActiveAfter`: the header's own height against
/// `BIP34Height`, `BIP66Height`, `BIP65Height`; `heights` from [`version_heights`]). The
/// comparison is signed, as Core's on `nVersion`: versions with the top bit set are negative
/// and fail once BIP34 is active.
fn check_version(
    height: u32,
    version: i32,
    heights: [u32; 3],
    hash: BlockHash,
) -> Result<(), HeaderError> {
    let outdated = heights
        .iter()
        .zip(2..)
        .any(|(activation, minimum)| height >= *activation && version < minimum);
    if outdated {
        return Err(HeaderError::BadVersion {
            height,
            hash,
            version,
        });
    }
    Ok(())
}

/// Core `DeriveTarget` (`pow.cpp`, with `arith_uint256::SetCompact`): the target of `bits`, or
/// `None` if it is negative, zero, overflows 256 bits, or is above `pow_limit`.
///
/// Not `Target::from_compact` alone: rust-bitcoin 0.32 maps a negative mantissa to zero but does
/// not flag overflow, and its 256-bit shift masks the shift amount to 8 bits, so for example
/// `0x3c00ffff` decodes to the same target as `0x1c00ffff` instead of being rejected.
///
/// `pow_limit` is rust-bitcoin's `Params::max_attainable_target`, the compact-rounded form of
/// Core's `consensus.powLimit` (`src/kernel/chainparams.cpp`: 00000000ff…ff on mainnet and the
/// testnets, 00000377ae00…00 on signet, 7fff…ff on regtest). No compact-encoded target lies
/// between the two (the mantissa is signed, so above 0x7fffff the exponent must grow), so the
/// comparison gives Core's answer.
pub(crate) fn decode_bits(bits: CompactTarget, pow_limit: Target) -> Option<Target> {
    let compact = bits.to_consensus();
    let size = compact >> 24;
    let mut word = compact & 0x007f_ffff;
    if size <= 3 {
        word >>= 8 * (3 - size);
    }
    let negative = word != 0 && compact & 0x0080_0000 != 0;
    let overflow =
        word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if negative || overflow || word == 0 {
        return None;
    }
    // Sign bit clear and no overflow: the shift stays below 256 bits, where from_compact is exact.
    let target = Target::from_compact(bits);
    (target <= pow_limit).then_some(target)
}

/// Core `CalculateNextWorkRequired` (`pow.cpp`) for a retarget: the parent's target scaled by
/// the period's timespan (`parent_time - first_time`, clamped to a quarter and four times
/// `nPowTargetTimespan`), capped at the proof-of-work limit.
///
/// Uses rust-bitcoin's `CompactTarget::from_next_work_required`, which matches Core's integer
/// maths on every real mainnet retarget (see the tests). The timespan is computed here as a
/// signed difference because a peer can make it negative; Core then clamps to the minimum, and
/// `from_header_difficulty_adjustment` would overflow its `u32` subtraction instead.
fn retarget_bits(
    parent_bits: CompactTarget,
    parent_time: u32,
    first_time: u32,
    params: &Params,
) -> CompactTarget {
    let timespan_s = i64::from(parent_time) - i64::from(first_time);
    let timespan_s = u64::try_from(timespan_s).unwrap_or(0);
    CompactTarget::from_next_work_required(parent_bits, timespan_s, params)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::TxMerkleNode;

    use super::*;
    use crate::test_data::{decode_header, mainnet_822527_start, read_data, read_headers};

    /// A fixed "now" (2033-05-18) for every test: later than all real and mined header times.
    const NOW_S: u64 = 2_000_000_000;
    /// Regtest proof-of-work limit bits (Core `powLimit` 7fff…ff in compact form).
    const REGTEST_BITS: u32 = 0x207f_ffff;
    /// Mainnet difficulty-1 bits.
    const DIFFICULTY_1_BITS: u32 = 0x1d00_ffff;

    // ----- real data files -----

    fn hash(hex: &str) -> BlockHash {
        hex.parse().expect("a block hash in hex")
    }

    fn feed_in_batches(chain: &mut HeaderChain, headers: &[Header]) {
        for batch in headers.chunks(2000) {
            let import = chain.accept_headers(batch, NOW_S);
            assert_eq!(import.error, None);
            assert_eq!(import.accepted, batch.len());
        }
    }

    // ----- a tiny deterministic regtest miner -----

    /// A header on `prev` whose merkle root is the counter `seed`, ground until its hash meets
    /// the target rust-bitcoin derives from `bits`.
    fn mine_on(prev: &Header, seed: u64, time: u32, bits: u32) -> Header {
        let bits = CompactTarget::from_consensus(bits);
        let target = Target::from_compact(bits);
        let mut root = [0u8; 32];
        root[..8].copy_from_slice(&seed.to_le_bytes());
        let mut header = Header {
            version: Version::from_consensus(4),
            prev_blockhash: prev.block_hash(),
            merkle_root: TxMerkleNode::from_byte_array(root),
            time,
            bits,
            nonce: 0,
        };
        while !target.is_met_by(header.block_hash()) {
            header.nonce = header.nonce.checked_add(1).expect("nonce space exhausted");
        }
        header
    }

    /// `count` regtest headers on `parent`, 600 s apart; `branch` keeps branches distinct.
    fn mine_chain(parent: &Header, count: usize, branch: u64) -> Vec<Header> {
        let mut headers = Vec::with_capacity(count);
        let mut prev = *parent;
        for i in 0..count {
            let header = mine_on(
                &prev,
                branch << 32 | i as u64,
                prev.time + 600,
                REGTEST_BITS,
            );
            headers.push(header);
            prev = header;
        }
        headers
    }

    fn regtest_genesis() -> Header {
        genesis_block(Network::Regtest).header
    }

    /// A regtest chain of `tip_height` mined headers; `all[h]` is the header at height `h`.
    fn regtest_chain(tip_height: usize) -> (HeaderChain, Vec<Header>) {
        let genesis = regtest_genesis();
        let mut all = vec![genesis];
        all.extend(mine_chain(&genesis, tip_height, 1));
        let mut chain = HeaderChain::new(Network::Regtest);
        feed_in_batches(&mut chain, &all[1..]);
        assert_eq!(chain.tip_height() as usize, tip_height);
        (chain, all)
    }

    fn heights(chain: &HeaderChain, locator: &[BlockHash]) -> Vec<u32> {
        locator
            .iter()
            .map(|hash| chain.get(hash).expect("locator hashes are known").height)
            .collect()
    }

    // ----- locators -----

    #[test]
    fn locator_lists_twelve_consecutive_heights_then_doubling_steps_and_ends_at_genesis() {
        let (chain, all) = regtest_chain(4000);
        let cases: Vec<(usize, Vec<u32>)> = vec![
            (0, vec![0]),
            (1, vec![1, 0]),
            (11, (0..=11).rev().collect()),
            (12, (0..=12).rev().collect()),
            (13, (2..=13).rev().chain([0]).collect()),
            (
                100,
                (89..=100).rev().chain([87, 83, 75, 59, 27, 0]).collect(),
            ),
            (
                4000,
                (3989..=4000)
                    .rev()
                    .chain([
                        3987, 3983, 3975, 3959, 3927, 3863, 3735, 3479, 2967, 1943, 0,
                    ])
                    .collect(),
            ),
        ];
        for (tip, expected) in cases {
            let locator = chain.locator_from(&all[tip].block_hash());
            assert_eq!(
                heights(&chain, &locator),
                expected,
                "locator of height {tip}"
            );
            for (hash, height) in locator.iter().zip(&expected) {
                assert_eq!(Some(*hash), chain.active_hash_at(*height));
            }
            let distinct: BTreeSet<_> = locator.iter().collect();
            assert_eq!(
                distinct.len(),
                locator.len(),
                "no duplicates at height {tip}"
            );
            assert_eq!(
                locator.last(),
                Some(&all[0].block_hash()),
                "genesis last at height {tip}"
            );
        }
        assert_eq!(chain.locator(), chain.locator_from(&all[4000].block_hash()));
    }

    #[test]
    fn locator_of_a_side_branch_walks_its_own_ancestors_then_the_best_chain() {
        let (mut chain, all) = regtest_chain(100);
        let side = mine_chain(&all[80], 15, 2); // heights 81..=95, less work than the tip
        let import = chain.accept_headers(&side, NOW_S);
        assert_eq!((import.accepted, import.update), (15, None));

        let locator = chain.locator_from(&side[14].block_hash());
        let expected: Vec<u32> = (84..=95).rev().chain([82, 78, 70, 54, 22, 0]).collect();
        assert_eq!(heights(&chain, &locator), expected);
        for (hash, height) in locator.iter().zip(&expected) {
            if *height > 80 {
                assert_eq!(
                    *hash,
                    side[*height as usize - 81].block_hash(),
                    "side hash at {height}"
                );
                assert_eq!(chain.active_height_of(hash), None);
            } else {
                assert_eq!(
                    Some(*hash),
                    chain.active_hash_at(*height),
                    "best-chain hash at {height}"
                );
            }
        }
        assert!(chain.locator_from(&BlockHash::all_zeros()).is_empty());
    }

    // ----- real mainnet headers -----

    #[test]
    fn mainnet_headers_0_to_10236_sync_from_genesis_in_2000_header_batches() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        assert_eq!(headers.len(), 10_237);
        let mut chain = HeaderChain::new(Network::Bitcoin);
        assert_eq!(chain.tip_hash(), headers[0].block_hash());
        assert_eq!(chain.network(), Network::Bitcoin);

        let mut start_height = 1;
        for batch in headers[1..].chunks(2000) {
            let import = chain.accept_headers(batch, NOW_S);
            assert_eq!(import.error, None);
            assert_eq!(import.accepted, batch.len());
            assert_eq!(import.reorg_depth, 0);
            assert_eq!(
                import.update,
                Some(ChainUpdate::new(start_height, batch.to_vec()))
            );
            start_height += batch.len() as u32;
        }
        assert_eq!(chain.tip_height(), 10_236);
        assert_eq!(chain.tip_hash(), headers[10_236].block_hash());
        assert_eq!(chain.tip_header(), headers[10_236]);
        assert_eq!(chain.len(), 10_237);
        assert_eq!(
            chain.active_hash_at(1111),
            Some(hash(
                "00000000ca59764b4ff11d88ea67e641dba94a17520ebd10f1631b21a18d5805"
            ))
        );
        let work = headers
            .iter()
            .skip(1)
            .fold(headers[0].work(), |sum, h| sum + h.work());
        assert_eq!(chain.tip_chainwork(), work);
        assert_eq!(
            chain.get(&headers[5000].block_hash()).map(|e| e.height),
            Some(5000)
        );
        assert_eq!(
            chain.active_height_of(&headers[5000].block_hash()),
            Some(5000)
        );
    }

    #[test]
    fn mainnet_retarget_at_2016_requires_the_real_bits_and_rejects_others() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Bitcoin);
        feed_in_batches(&mut chain, &headers[1..=2015]);

        let parent = *chain
            .get(&headers[2015].block_hash())
            .expect("2015 is indexed");
        let real = headers[2016];
        // The first period took longer than two weeks, so the new target is capped at the
        // pow limit: difficulty stays 1 (the parent's bits) through the retarget.
        assert!(real.time - headers[0].time > 14 * 24 * 3600);
        assert_eq!(
            chain.required_bits(&parent, &real, real.block_hash()),
            Ok(real.bits)
        );
        assert_eq!(real.bits, parent.header.bits);

        // Other bits at the retarget height fail the bits check. (Any change to a real
        // header breaks its proof of work, so through accept_headers the whole-message
        // pre-check reports high-hash first; check_contextual runs the bits check first.)
        let mut other = real;
        other.bits = CompactTarget::from_consensus(0x1c00_ffff);
        assert_eq!(
            chain
                .check_contextual(0, &other, other.block_hash(), NOW_S)
                .map(|_| ()),
            Err(HeaderError::BadDiffBits {
                height: 2016,
                hash: other.block_hash(),
                expected: DIFFICULTY_1_BITS,
                got: 0x1c00_ffff,
            })
        );
        assert!(matches!(
            chain.accept_headers(&[other], NOW_S).error,
            Some(HeaderError::HighHash { index: 0, .. })
        ));

        let import = chain.accept_headers(&[real], NOW_S);
        assert_eq!((import.error, import.accepted), (None, 1));
    }

    #[test]
    fn every_real_mainnet_retarget_matches_from_next_work_required() {
        let Some(bytes) = read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin")
        else {
            return;
        };
        assert_eq!(bytes.len() % 84, 0);
        let by_height: BTreeMap<u32, Header> = bytes
            .chunks_exact(84)
            .map(|record| {
                let height = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
                (height, decode_header(&record[4..]))
            })
            .collect();
        let (mut checked, mut changed) = (0, 0);
        for (&height, first) in by_height.range(..).filter(|(h, _)| **h % 2016 == 0) {
            let (Some(last), Some(next)) = (
                by_height.get(&(height + 2015)),
                by_height.get(&(height + 2016)),
            ) else {
                continue;
            };
            assert_eq!(
                next.prev_blockhash,
                last.block_hash(),
                "boundary headers at {height} link"
            );
            let bits = retarget_bits(last.bits, last.time, first.time, &Params::MAINNET);
            assert_eq!(bits, next.bits, "retarget at height {}", height + 2016);
            checked += 1;
            if next.bits != last.bits {
                changed += 1;
            }
        }
        assert!(checked >= 400, "checked {checked} retargets");
        assert!(changed >= 350, "only {changed} retargets changed the bits");
    }

    /// A decimal number of up to 78 digits as 32 big-endian bytes (the electrum checkpoints
    /// file writes 256-bit targets as JSON integers, too big for `serde_json` numbers).
    fn decimal_to_be_bytes(decimal: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for digit in decimal.bytes() {
            assert!(
                digit.is_ascii_digit(),
                "not a decimal digit: {}",
                digit as char
            );
            let mut carry = u32::from(digit - b'0');
            for byte in out.iter_mut().rev() {
                let value = u32::from(*byte) * 10 + carry;
                *byte = (value & 0xff) as u8;
                carry = value >> 8;
            }
            assert_eq!(carry, 0, "{decimal} does not fit in 256 bits");
        }
        out
    }

    /// Every retarget up to 747936, recomputed from the real period boundaries, gives the
    /// target that Electrum's checkpoints file (an independent source) lists for the next
    /// period, and the boundary headers hash to its checkpoint hashes.
    #[test]
    fn every_recomputed_retarget_matches_the_electrum_checkpoints() {
        let (Some(bytes), Some(json)) = (
            read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin"),
            read_data("headers/electrum_checkpoints_mainnet.json"),
        ) else {
            return;
        };
        let by_height: BTreeMap<u32, Header> = bytes
            .chunks_exact(84)
            .map(|record| {
                (
                    u32::from_le_bytes(record[..4].try_into().expect("4 bytes")),
                    decode_header(&record[4..]),
                )
            })
            .collect();
        let text: String = String::from_utf8(json)
            .expect("UTF-8")
            .split_whitespace()
            .collect();
        let body = text
            .strip_prefix("[[")
            .and_then(|t| t.strip_suffix("]]"))
            .expect("a JSON array of pairs");
        let mut checked = 0;
        for (period, entry) in body.split("],[").enumerate() {
            let (hash, target) = entry.split_once(',').expect("a [hash, target] pair");
            let period = period as u32;
            let (first, last) = (
                &by_height[&(period * 2016)],
                &by_height[&(period * 2016 + 2015)],
            );
            assert_eq!(
                last.block_hash().to_string(),
                hash.trim_matches('"'),
                "checkpoint hash of period {period}"
            );
            let bits = retarget_bits(last.bits, last.time, first.time, &Params::MAINNET);
            assert_eq!(
                Target::from_compact(bits).to_be_bytes(),
                decimal_to_be_bytes(target),
                "target of period {} (from height {})",
                period + 1,
                (period + 1) * 2016
            );
            checked += 1;
        }
        assert_eq!(checked, 371, "one checkpoint per period up to 747935");
    }

    #[test]
    fn retarget_with_a_negative_timespan_clamps_to_a_quarter_like_core() {
        let bits = CompactTarget::from_consensus(0x1b04_04cb);
        let quarter = CompactTarget::from_next_work_required(bits, 1_209_600 / 4, &Params::MAINNET);
        assert_eq!(
            retarget_bits(bits, 1_000_000, 2_000_000, &Params::MAINNET),
            quarter
        );
        assert_eq!(
            retarget_bits(bits, 1_000_000, 1_000_000, &Params::MAINNET),
            quarter
        );
        let four_times =
            CompactTarget::from_next_work_required(bits, 4 * 1_209_600, &Params::MAINNET);
        assert_eq!(
            retarget_bits(bits, u32::MAX, 0, &Params::MAINNET),
            four_times
        );
        assert_eq!(
            retarget_bits(
                CompactTarget::from_consensus(DIFFICULTY_1_BITS),
                u32::MAX,
                0,
                &Params::MAINNET
            ),
            CompactTarget::from_consensus(DIFFICULTY_1_BITS),
            "capped at the pow limit"
        );
    }

    // ----- mutations of real mainnet headers -----

    #[test]
    fn header_missing_its_target_rejects_the_whole_message_as_high_hash() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Bitcoin);
        let mut batch = headers[1..=100].to_vec();
        let target = batch[49].target();
        while target.is_met_by(batch[49].block_hash()) {
            batch[49].nonce = batch[49].nonce.wrapping_add(1);
        }
        let import = chain.accept_headers(&batch, NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::HighHash {
                index: 49,
                hash: batch[49].block_hash(),
                bits: DIFFICULTY_1_BITS
            })
        );
        assert_eq!(
            (import.accepted, import.update, import.reorg_depth),
            (0, None, 0)
        );
        assert_eq!((chain.len(), chain.tip_height()), (1, 0));
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("high-hash"));
    }

    #[test]
    fn gap_in_the_message_is_non_continuous_and_adds_nothing() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Bitcoin);
        let mut batch = headers[1..=100].to_vec();
        batch.remove(49); // drop height 50
        let import = chain.accept_headers(&batch, NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::NonContinuous {
                index: 49,
                hash: headers[51].block_hash(),
                prev: headers[50].block_hash(),
            })
        );
        assert_eq!((import.accepted, import.update), (0, None));
        assert_eq!(chain.len(), 1);
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("non-continuous headers sequence"));
    }

    #[test]
    fn header_with_an_unknown_parent_is_prev_not_found() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Bitcoin);
        let import = chain.accept_headers(&headers[100..=200], NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::PrevNotFound {
                hash: headers[100].block_hash(),
                prev: headers[99].block_hash()
            })
        );
        assert_eq!((import.accepted, import.update), (0, None));
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("prev-blk-not-found: header does not connect"));
    }

    #[test]
    fn already_known_headers_are_skipped_and_not_counted() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Bitcoin);
        assert_eq!(chain.accept_headers(&headers[1..=100], NOW_S).accepted, 100);

        let import = chain.accept_headers(&headers[50..=150], NOW_S);
        assert_eq!(
            (import.error, import.accepted, import.reorg_depth),
            (None, 50, 0)
        );
        assert_eq!(
            import.update,
            Some(ChainUpdate::new(101, headers[101..=150].to_vec()))
        );

        let again = chain.accept_headers(&headers[50..=150], NOW_S);
        assert_eq!(again, Import::default());
        assert_eq!(chain.accept_headers(&[], NOW_S), Import::default());
        assert_eq!(chain.tip_height(), 150);
    }

    // ----- contextual checks on mined regtest headers -----

    #[test]
    fn bits_changed_mid_batch_fail_bad_diffbits_and_keep_the_prefix() {
        let genesis = regtest_genesis();
        let prefix = mine_chain(&genesis, 9, 1); // heights 1..=9
        let tail = &prefix[8];
        let odd = mine_on(tail, 99, tail.time + 600, 0x207f_fffe); // height 10, harder bits
        let rest = mine_chain(&odd, 10, 2);
        let batch: Vec<Header> = prefix.iter().chain([&odd]).chain(&rest).copied().collect();

        let mut chain = HeaderChain::new(Network::Regtest);
        let import = chain.accept_headers(&batch, NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::BadDiffBits {
                height: 10,
                hash: odd.block_hash(),
                expected: REGTEST_BITS,
                got: 0x207f_fffe,
            })
        );
        assert_eq!(import.accepted, 9);
        assert_eq!(import.update, Some(ChainUpdate::new(1, prefix.clone())));
        assert_eq!(import.reorg_depth, 0);
        assert_eq!(chain.tip_hash(), prefix[8].block_hash());
        assert!(!chain.contains(&odd.block_hash()));
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("bad-diffbits"));
    }

    #[test]
    fn time_equal_to_the_median_time_past_is_time_too_old() {
        let (mut chain, all) = regtest_chain(20);
        // Heights 10..=20 are 600 s apart: the median is height 15's time.
        let median_time_past = all[15].time;
        let tip = &all[20];
        let equal = mine_on(tip, 7, median_time_past, REGTEST_BITS);
        let import = chain.accept_headers(&[equal], NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::TimeTooOld {
                height: 21,
                hash: equal.block_hash(),
                time: median_time_past,
                median_time_past
            })
        );
        assert_eq!((import.accepted, import.update), (0, None));
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("time-too-old"));

        let later = mine_on(tip, 8, median_time_past + 1, REGTEST_BITS);
        assert_eq!(chain.accept_headers(&[later], NOW_S).accepted, 1);
    }

    #[test]
    fn median_time_past_near_genesis_is_the_upper_middle_of_the_times_that_exist() {
        let genesis = regtest_genesis();
        let mut chain = HeaderChain::new(Network::Regtest);
        let same_as_genesis = mine_on(&genesis, 1, genesis.time, REGTEST_BITS);
        assert!(matches!(
            chain.accept_headers(&[same_as_genesis], NOW_S).error,
            Some(HeaderError::TimeTooOld { height: 1, .. })
        ));
        let first = mine_on(&genesis, 2, genesis.time + 600, REGTEST_BITS);
        assert_eq!(chain.accept_headers(&[first], NOW_S).accepted, 1);
        // Two times exist (genesis, +600): Core takes the upper one, so +600 is too old.
        let second = mine_on(&first, 3, genesis.time + 600, REGTEST_BITS);
        assert_eq!(
            chain.accept_headers(&[second], NOW_S).error,
            Some(HeaderError::TimeTooOld {
                height: 2,
                hash: second.block_hash(),
                time: genesis.time + 600,
                median_time_past: genesis.time + 600,
            })
        );
        let second = mine_on(&first, 4, genesis.time + 601, REGTEST_BITS);
        assert_eq!(chain.accept_headers(&[second], NOW_S).accepted, 1);
    }

    #[test]
    fn time_more_than_two_hours_ahead_is_time_too_new_and_exactly_two_hours_is_accepted() {
        let genesis = regtest_genesis();
        let mut chain = HeaderChain::new(Network::Regtest);
        let now_s = u64::from(genesis.time) + 86_400;
        let limit = now_s + FUTURE_BLOCK_TIME_S_MAX;
        let limit_time = u32::try_from(limit).expect("fits");

        let too_new = mine_on(&genesis, 1, limit_time + 1, REGTEST_BITS);
        let import = chain.accept_headers(&[too_new], now_s);
        assert_eq!(
            import.error,
            Some(HeaderError::TimeTooNew {
                height: 1,
                hash: too_new.block_hash(),
                time: limit_time + 1,
                limit
            })
        );
        assert_eq!((import.accepted, chain.len()), (0, 1));
        assert!(import
            .error
            .expect("error")
            .to_string()
            .starts_with("time-too-new"));

        let at_limit = mine_on(&genesis, 2, limit_time, REGTEST_BITS);
        let import = chain.accept_headers(&[at_limit], now_s);
        assert_eq!((import.error, import.accepted), (None, 1));
    }

    #[test]
    fn bits_that_overflow_are_high_hash_although_rust_bitcoin_wraps_them() {
        // rust-bitcoin masks the 256-bit shift to 8 bits: 0x3c00ffff decodes like 0x1c00ffff,
        // while Core's SetCompact flags it as overflowing.
        let overflowing = CompactTarget::from_consensus(0x3c00_ffff);
        assert_eq!(
            Target::from_compact(overflowing),
            Target::from_compact(CompactTarget::from_consensus(0x1c00_ffff))
        );
        let mainnet_limit = Params::MAINNET.max_attainable_target;
        assert_eq!(decode_bits(overflowing, mainnet_limit), None);
        // Negative (sign bit set), zero, and above-limit bits are invalid.
        for bits in [
            0x1d80_ffffu32,
            0x1cff_ffff,
            0x1d00_0000,
            0x1d01_0000,
            0x0380_0001,
            0x0100_0000,
        ] {
            assert_eq!(
                decode_bits(CompactTarget::from_consensus(bits), mainnet_limit),
                None,
                "{bits:#x}"
            );
        }
        // The largest mantissa one exponent down is valid (and below the limit).
        let below = CompactTarget::from_consensus(0x1c7f_ffff);
        assert_eq!(
            decode_bits(below, mainnet_limit),
            Some(Target::from_compact(below))
        );
        let limit = CompactTarget::from_consensus(DIFFICULTY_1_BITS);
        assert_eq!(decode_bits(limit, mainnet_limit), Some(mainnet_limit));
        // Small exponents shift the mantissa right, as Core does.
        let tiny = CompactTarget::from_consensus(0x0200_8000);
        assert_eq!(
            decode_bits(tiny, mainnet_limit),
            Some(Target::from_be_bytes({
                let mut bytes = [0u8; 32];
                bytes[31] = 0x80;
                bytes
            }))
        );

        // End to end: 0x407fffff wraps to the regtest limit in rust-bitcoin, so this header
        // "meets" it, but Core rejects the bits before anything else.
        let genesis = regtest_genesis();
        let wrapped = mine_on(&genesis, 1, genesis.time + 600, 0x407f_ffff);
        let mut chain = HeaderChain::new(Network::Regtest);
        assert_eq!(
            chain.accept_headers(&[wrapped], NOW_S).error,
            Some(HeaderError::HighHash {
                index: 0,
                hash: wrapped.block_hash(),
                bits: 0x407f_ffff
            })
        );
    }

    // ----- best chain and reorgs -----

    /// A regtest chain of 300 and, ready to send, a side branch of `side_len` forking at 250.
    fn chain_and_fork(side_len: usize) -> (HeaderChain, Vec<Header>, Vec<Header>) {
        let (chain, all) = regtest_chain(300);
        let side = mine_chain(&all[250], side_len, 2);
        (chain, all, side)
    }

    #[test]
    fn fork_with_more_work_reorganises_with_an_update_from_above_the_fork() {
        let (mut chain, all, side) = chain_and_fork(60); // side heights 251..=310
        let old_work = chain.tip_chainwork();
        let import = chain.accept_headers(&side, NOW_S);
        assert_eq!(import.error, None);
        assert_eq!(import.accepted, 60);
        assert_eq!(import.update, Some(ChainUpdate::new(251, side.clone())));
        assert_eq!(import.reorg_depth, 50);
        assert_eq!(chain.tip_height(), 310);
        assert_eq!(chain.tip_hash(), side[59].block_hash());
        assert!(chain.tip_chainwork() > old_work);
        assert_eq!(chain.active_height_of(&all[300].block_hash()), None);
        assert_eq!(
            chain.get(&all[300].block_hash()).map(|e| e.height),
            Some(300)
        );
        assert_eq!(chain.active_hash_at(250), Some(all[250].block_hash()));
        assert_eq!(chain.active_hash_at(251), Some(side[0].block_hash()));
        assert_eq!(chain.len(), 301 + 60);

        // Extending the new tip is a plain extension again.
        let more = mine_chain(&side[59], 3, 3);
        let import = chain.accept_headers(&more, NOW_S);
        assert_eq!(import.update, Some(ChainUpdate::new(311, more)));
        assert_eq!(import.reorg_depth, 0);
    }

    #[test]
    fn fork_with_less_work_changes_nothing_but_is_indexed() {
        let (mut chain, all, side) = chain_and_fork(40);
        let import = chain.accept_headers(&side, NOW_S);
        assert_eq!(
            (
                import.error,
                import.accepted,
                import.update,
                import.reorg_depth
            ),
            (None, 40, None, 0)
        );
        assert_eq!(chain.tip_hash(), all[300].block_hash());
        assert_eq!(
            chain.get(&side[39].block_hash()).map(|e| e.height),
            Some(290)
        );
        assert_eq!(chain.active_height_of(&side[39].block_hash()), None);
    }

    #[test]
    fn fork_with_equal_work_keeps_the_first_seen_tip_until_it_gets_ahead() {
        let (mut chain, all, side) = chain_and_fork(51);
        let import = chain.accept_headers(&side[..50], NOW_S); // heights 251..=300
        assert_eq!((import.accepted, import.update), (50, None));
        assert_eq!(
            chain.get(&side[49].block_hash()).map(|e| e.chainwork),
            Some(chain.tip_chainwork())
        );
        assert_eq!(chain.tip_hash(), all[300].block_hash());

        let import = chain.accept_headers(&side[50..], NOW_S);
        assert_eq!(import.update, Some(ChainUpdate::new(251, side.clone())));
        assert_eq!(import.reorg_depth, 50);
        assert_eq!(chain.tip_hash(), side[50].block_hash());
    }

    #[test]
    fn headers_after_locator_start_above_the_first_locator_hash_on_the_best_chain() {
        let (mut chain, all, side) = chain_and_fork(60);
        let stale_tip = all[300].block_hash();
        chain.accept_headers(&side, NOW_S);
        let side_hashes: Vec<BlockHash> = side.iter().map(Header::block_hash).collect();

        // A stale locator: the old branch first, then the fork point and genesis.
        let locator = [
            stale_tip,
            all[290].block_hash(),
            all[260].block_hash(),
            all[250].block_hash(),
            all[0].block_hash(),
        ];
        let served = chain.headers_after_locator(&locator, BlockHash::all_zeros(), 2000);
        assert_eq!(served, side);

        // Stop at (and include) hash_stop; respect max.
        let served = chain.headers_after_locator(&locator, side_hashes[4], 2000);
        assert_eq!(served, side[..5].to_vec());
        let served = chain.headers_after_locator(&locator, side_hashes[40], 3);
        assert_eq!(served, side[..3].to_vec());
        assert!(chain
            .headers_after_locator(&locator, side_hashes[4], 0)
            .is_empty());

        // The node's own stale locator: the first best-chain entry is height 227.
        let stale_locator = chain.locator_from(&stale_tip);
        let served = chain.headers_after_locator(&stale_locator, BlockHash::all_zeros(), 2000);
        assert_eq!(served.len(), 310 - 227);
        assert_eq!(served[0], all[228]);

        // No known locator hash: start after genesis.
        let served =
            chain.headers_after_locator(&[BlockHash::all_zeros()], BlockHash::all_zeros(), 10);
        assert_eq!(served, all[1..=10].to_vec());

        // Up to date: nothing to serve.
        assert!(chain
            .headers_after_locator(&chain.locator(), BlockHash::all_zeros(), 2000)
            .is_empty());

        // An empty locator asks for hash_stop alone, if it is on the best chain.
        assert_eq!(
            chain.headers_after_locator(&[], all[7].block_hash(), 2000),
            vec![all[7]]
        );
        assert!(chain.headers_after_locator(&[], stale_tip, 2000).is_empty());
    }

    // ----- loading from the store -----

    fn best_chain_headers(chain: &HeaderChain) -> Vec<Header> {
        (0..=chain.tip_height())
            .map(|h| {
                chain
                    .get(&chain.active_hash_at(h).expect("on the best chain"))
                    .expect("indexed")
                    .header
            })
            .collect()
    }

    #[test]
    fn from_stored_round_trip_rebuilds_tip_chainwork_and_locator() {
        let (mut chain, _, side) = chain_and_fork(60);
        chain.accept_headers(&side, NOW_S);
        let stored = best_chain_headers(&chain);
        let loaded =
            HeaderChain::from_stored(Network::Regtest, stored).expect("a valid stored chain");
        assert_eq!(loaded.tip_height(), chain.tip_height());
        assert_eq!(loaded.tip_hash(), chain.tip_hash());
        assert_eq!(loaded.tip_chainwork(), chain.tip_chainwork());
        assert_eq!(loaded.locator(), chain.locator());
        assert_eq!(loaded.len(), 311, "side branches are not stored");

        let empty = HeaderChain::from_stored(Network::Regtest, Vec::new()).expect("genesis only");
        assert_eq!(
            (empty.tip_height(), empty.tip_hash()),
            (0, regtest_genesis().block_hash())
        );
    }

    #[test]
    fn from_stored_reports_the_height_of_a_broken_link_or_bad_proof_of_work() {
        let (chain, all) = regtest_chain(200);
        let mut stored = best_chain_headers(&chain);
        stored[150].prev_blockhash = all[148].block_hash();
        assert_eq!(
            HeaderChain::from_stored(Network::Regtest, stored.clone()).map(|_| ()),
            Err(LoadError::BrokenLink {
                height: 150,
                hash: stored[150].block_hash(),
                prev: all[148].block_hash(),
                expected: all[149].block_hash(),
            })
        );

        let mut stored = best_chain_headers(&chain);
        let target = stored[200].target();
        while target.is_met_by(stored[200].block_hash()) {
            stored[200].nonce = stored[200].nonce.wrapping_add(1);
        }
        assert!(matches!(
            HeaderChain::from_stored(Network::Regtest, stored),
            Err(LoadError::HighHash { height: 200, .. })
        ));

        let mut stored = best_chain_headers(&chain);
        stored[0] = genesis_block(Network::Bitcoin).header;
        let error = HeaderChain::from_stored(Network::Regtest, stored)
            .map(|_| ())
            .expect_err("wrong genesis");
        assert!(matches!(error, LoadError::WrongGenesis { .. }), "{error}");
    }

    #[test]
    fn from_stored_loads_real_mainnet_headers_with_the_same_chainwork() {
        let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
            return;
        };
        let mut synced = HeaderChain::new(Network::Bitcoin);
        feed_in_batches(&mut synced, &headers[1..]);
        let loaded =
            HeaderChain::from_stored(Network::Bitcoin, headers).expect("real headers load");
        assert_eq!(loaded.tip_height(), 10_236);
        assert_eq!(loaded.tip_chainwork(), synced.tip_chainwork());
        assert_eq!(loaded.locator(), synced.locator());
    }

    // ----- a trusted start -----

    /// Index in the 822528.. file of the header at `height`.
    fn at(height: u32) -> usize {
        (height - 822_528) as usize
    }

    #[test]
    fn mainnet_822528_to_830592_sync_from_the_trusted_822527_in_2000_header_batches() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start)
            .expect("a valid trusted start");
        assert_eq!(
            (chain.base_height(), chain.tip_height()),
            (822_527, 822_527)
        );
        assert_eq!(
            (chain.base_hash(), chain.tip_hash()),
            (start.hash(), start.hash())
        );
        assert_eq!(chain.tip_chainwork(), start.chainwork);
        assert_eq!(chain.locator(), vec![start.hash()]);
        assert_eq!(chain.active_hash_at(822_526), None);

        let mut start_height = 822_528;
        for batch in headers.chunks(2000) {
            let import = chain.accept_headers(batch, NOW_S);
            assert_eq!(import.error, None, "batch from {start_height}");
            assert_eq!((import.accepted, import.reorg_depth), (batch.len(), 0));
            assert_eq!(
                import.update,
                Some(ChainUpdate::new(start_height, batch.to_vec()))
            );
            start_height += batch.len() as u32;
        }
        assert_eq!(chain.tip_height(), 830_592);
        assert_eq!(chain.tip_hash(), headers[at(830_592)].block_hash());
        assert_eq!(chain.active_hash_at(822_527), Some(start.hash()));
        assert_eq!(
            chain.active_height_of(&headers[at(826_000)].block_hash()),
            Some(826_000)
        );
        assert_eq!(chain.len(), 8066);

        // Five retargets in the range (822528 itself, from the trusted period-first time, then
        // 824544, 826560, 828576, 830592), each one changing the bits.
        let retargets: Vec<u32> = (822_528..=830_592).filter(|h| h % 2016 == 0).collect();
        assert_eq!(retargets, [822_528, 824_544, 826_560, 828_576, 830_592]);
        for height in retargets {
            let (header, parent) = (
                headers[at(height)],
                chain
                    .get(&headers[at(height)].prev_blockhash)
                    .expect("indexed"),
            );
            assert_ne!(
                header.bits, parent.header.bits,
                "the retarget at {height} changes the bits"
            );
        }

        // Chainwork, header by header from the trusted value, equals the boundary sum at the
        // end of the last full period (830591): the two computations agree.
        let records = crate::trusted_start::parse_retarget_boundaries(
            &read_data("headers/mainnet_retarget_boundaries_0-832608.h4hdr80.bin")
                .expect("read above"),
        )
        .expect("parses");
        let at_830591 = TrustedStart::from_retarget_boundaries(Network::Bitcoin, &records, 830_591)
            .expect("derivable");
        assert_eq!(
            chain.get(&at_830591.hash()).map(|e| e.chainwork),
            Some(at_830591.chainwork)
        );
        assert_eq!(
            chain.get(&at_830591.hash()).map(|e| e.height),
            Some(830_591)
        );

        // The locator ends at the trusted header, not at genesis.
        let locator = chain.locator();
        assert_eq!(locator.last(), Some(&start.hash()));
        assert_eq!(
            heights(&chain, &locator[..14]),
            [
                830_592, 830_591, 830_590, 830_589, 830_588, 830_587, 830_586, 830_585, 830_584,
                830_583, 830_582, 830_581, 830_579, 830_575
            ]
        );
        assert!(heights(&chain, &locator).windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn each_retarget_above_the_trusted_start_requires_its_real_bits() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        for height in [822_528u32, 824_544, 826_560, 828_576, 830_592] {
            let mut chain =
                HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
            feed_in_batches(&mut chain, &headers[..at(height)]);
            let real = headers[at(height)];
            let parent = *chain.get(&real.prev_blockhash).expect("parent indexed");
            assert_eq!(
                chain.required_bits(&parent, &real, real.block_hash()),
                Ok(real.bits),
                "at {height}"
            );
            // The parent's bits (no retarget) are wrong at a retarget height.
            let mut mutated = real;
            mutated.bits = parent.header.bits;
            assert_eq!(
                chain
                    .check_contextual(0, &mutated, mutated.block_hash(), NOW_S)
                    .map(|_| ()),
                Err(HeaderError::BadDiffBits {
                    height,
                    hash: mutated.block_hash(),
                    expected: real.bits.to_consensus(),
                    got: parent.header.bits.to_consensus(),
                }),
                "at {height}"
            );
            // Through accept_headers the changed header first fails its own proof of work.
            assert!(matches!(
                chain.accept_headers(&[mutated], NOW_S).error,
                Some(HeaderError::HighHash { .. })
            ));
            assert_eq!(chain.accept_headers(&[real], NOW_S).error, None);
        }
    }

    /// The retarget at 822528 measures the period from the trusted start's period-first time:
    /// a different one gives other bits, and the real, fully valid header 822528 is then
    /// bad-diffbits.
    #[test]
    fn the_first_retarget_uses_the_trusted_period_first_time() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let skewed = TrustedStart {
            period_first_time: start.period_first_time - 3 * 24 * 3600,
            ..start
        };
        let mut chain =
            HeaderChain::with_trusted_start(Network::Bitcoin, skewed).expect("still consistent");
        let import = chain.accept_headers(&headers[..10], NOW_S);
        assert_eq!(import.accepted, 0);
        assert!(
            matches!(import.error, Some(HeaderError::BadDiffBits { height: 822_528, got, .. }) if got == headers[0].bits.to_consensus()),
            "{:?}",
            import.error
        );
        assert_eq!(chain.tip_height(), 822_527);
    }

    #[test]
    fn the_stale_823226_is_an_equal_work_branch_and_the_first_seen_tip_stays() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let Some(stale) = read_headers("headers/mainnet_stale_823226.bin") else {
            return;
        };
        let stale = stale[0];
        assert_eq!(
            stale.prev_blockhash,
            headers[at(823_225)].block_hash(),
            "the stale header builds on 823225"
        );
        let main = headers[at(823_226)];
        assert_ne!(stale.block_hash(), main.block_hash());

        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        feed_in_batches(&mut chain, &headers[..=at(823_226)]);
        assert_eq!(chain.tip_hash(), main.block_hash());

        let import = chain.accept_headers(&[stale], NOW_S);
        assert_eq!(
            (
                import.error,
                import.accepted,
                import.update,
                import.reorg_depth
            ),
            (None, 1, None, 0)
        );
        let entry = *chain
            .get(&stale.block_hash())
            .expect("the stale header is indexed");
        assert_eq!(entry.height, 823_226);
        assert_eq!(
            entry.chainwork,
            chain.tip_chainwork(),
            "equal work: same bits, same parent"
        );
        assert_eq!(
            chain.tip_hash(),
            main.block_hash(),
            "the first seen tip stays"
        );
        assert_eq!(chain.active_height_of(&stale.block_hash()), None);
        // Its locator walks its own branch, then the best chain, down to the trusted header.
        let locator = chain.locator_from(&stale.block_hash());
        assert_eq!(
            (locator[0], locator[1]),
            (stale.block_hash(), headers[at(823_225)].block_hash())
        );
        assert_eq!(locator.last(), Some(&start.hash()));

        // The main chain continues on its own tip: a plain extension.
        let import = chain.accept_headers(&headers[at(823_227)..at(825_000)], NOW_S);
        assert_eq!(import.error, None);
        assert_eq!(import.reorg_depth, 0);
        assert_eq!(import.update.map(|u| u.start_height()), Some(823_227));
        assert_eq!(chain.tip_height(), 824_999);
        assert!(chain.contains(&stale.block_hash()));
    }

    #[test]
    fn a_fork_below_the_trusted_start_does_not_connect() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        // 822529 builds on 822528, which is unknown until synced.
        let import = chain.accept_headers(&headers[1..3], NOW_S);
        assert_eq!(
            import.error,
            Some(HeaderError::PrevNotFound {
                hash: headers[1].block_hash(),
                prev: headers[0].block_hash()
            })
        );
        // A header that builds on the trusted header's parent (a fork below the trusted
        // height) is just as unknown.
        let mut below = start.header;
        below.nonce = below.nonce.wrapping_add(1);
        assert_eq!(
            chain
                .check_contextual(0, &below, below.block_hash(), NOW_S)
                .map(|_| ()),
            Err(HeaderError::PrevNotFound {
                hash: below.block_hash(),
                prev: start.header.prev_blockhash
            })
        );
    }

    #[test]
    fn serving_from_a_trusted_start_starts_after_the_base_for_an_unknown_locator() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        assert!(chain
            .headers_after_locator(&[BlockHash::all_zeros()], BlockHash::all_zeros(), 10)
            .is_empty());
        feed_in_batches(&mut chain, &headers[..100]);
        let genesis = genesis_block(Network::Bitcoin).header.block_hash();
        assert_eq!(
            chain.headers_after_locator(&[genesis], BlockHash::all_zeros(), 10),
            headers[..10].to_vec()
        );
        assert_eq!(
            chain.headers_after_locator(&[start.hash()], BlockHash::all_zeros(), 2000),
            headers[..100].to_vec()
        );
        assert_eq!(
            chain.headers_after_locator(
                &[headers[49].block_hash(), genesis],
                headers[59].block_hash(),
                2000
            ),
            headers[50..60].to_vec()
        );
        assert!(chain
            .headers_after_locator(&chain.locator(), BlockHash::all_zeros(), 2000)
            .is_empty());
    }

    /// Just above a trusted base, median time past is the least the real median can be: no
    /// bound with 5 known times or fewer, then the (k - 5)-th smallest of k known times, and the
    /// real median from 11 known times on.
    #[test]
    fn median_time_past_above_a_trusted_start_is_a_lower_bound_from_the_known_times() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        assert_eq!(
            chain.median_time_past(&start.hash()),
            None,
            "one known time"
        );
        feed_in_batches(&mut chain, &headers[..20]);
        let mut times = vec![start.header.time];
        times.extend(headers[..20].iter().map(|h| h.time));
        for (offset, header) in headers[..20].iter().enumerate() {
            let known = (offset + 2).min(11);
            let mut window = times[offset + 2 - known..offset + 2].to_vec();
            window.sort_unstable();
            let expected = match known {
                11 => Some(window[5]),
                k if k <= 5 => None,
                k => Some(window[k - 6]),
            };
            assert_eq!(
                chain.median_time_past(&header.block_hash()),
                expected,
                "{known} known times"
            );
        }
    }

    /// The bound is enforced where it exists and never rejects what Core would accept; with too
    /// few known times a header far in the past passes (the documented weakening).
    #[test]
    fn a_header_above_a_trusted_start_is_checked_against_the_median_time_past_bound() {
        let (full, all) = regtest_chain(30);
        let start = |height: usize| TrustedStart {
            height: height as u32,
            header: all[height],
            period_first_time: all[0].time,
            period_first_bits: all[0].bits,
            chainwork: full
                .get(&all[height].block_hash())
                .expect("indexed")
                .chainwork,
        };
        // Base 10 and 11..=15 known: six times, the bound is the smallest (all[10].time).
        let mut chain =
            HeaderChain::with_trusted_start(Network::Regtest, start(10)).expect("valid");
        feed_in_batches(&mut chain, &all[11..=15]);
        let at_bound = mine_on(&all[15], 90, all[10].time, REGTEST_BITS);
        assert_eq!(
            chain.accept_headers(&[at_bound], NOW_S).error,
            Some(HeaderError::TimeTooOld {
                height: 16,
                hash: at_bound.block_hash(),
                time: all[10].time,
                median_time_past: all[10].time
            })
        );
        let above = mine_on(&all[15], 91, all[10].time + 1, REGTEST_BITS);
        assert_eq!(chain.accept_headers(&[above], NOW_S).error, None);

        // Base 10 and 11..=12 known: no bound, so a header older than the real median passes,
        // which the chain from genesis rejects.
        let old = mine_on(&all[12], 92, all[5].time, REGTEST_BITS);
        let mut chain =
            HeaderChain::with_trusted_start(Network::Regtest, start(10)).expect("valid");
        feed_in_batches(&mut chain, &all[11..=12]);
        assert_eq!(chain.accept_headers(&[old], NOW_S).error, None);
        let mut from_genesis = full.clone();
        assert!(matches!(
            from_genesis.accept_headers(&[old], NOW_S).error,
            Some(HeaderError::TimeTooOld { .. })
        ));
    }

    #[test]
    fn from_stored_with_a_trusted_start_checks_the_base_and_rebuilds_the_chain() {
        let Some((start, headers)) = mainnet_822527_start() else {
            return;
        };
        let mut synced = HeaderChain::with_trusted_start(Network::Bitcoin, start).expect("valid");
        feed_in_batches(&mut synced, &headers[..3000]);
        let mut stored = vec![start.header];
        stored.extend_from_slice(&headers[..3000]);
        let loaded = HeaderChain::from_stored_with(Network::Bitcoin, Some(start), stored.clone())
            .expect("loads");
        assert_eq!(
            (
                loaded.tip_height(),
                loaded.tip_hash(),
                loaded.tip_chainwork(),
                loaded.locator()
            ),
            (
                synced.tip_height(),
                synced.tip_hash(),
                synced.tip_chainwork(),
                synced.locator()
            )
        );
        assert_eq!(loaded.trusted_start(), Some(&start));

        assert_eq!(
            HeaderChain::from_stored_with(Network::Bitcoin, Some(start), stored[1..].to_vec())
                .map(|_| ()),
            Err(LoadError::WrongBase {
                height: 822_527,
                expected: start.hash(),
                got: headers[0].block_hash()
            })
        );
        let mut broken = stored.clone();
        broken.remove(100);
        assert!(matches!(
            HeaderChain::from_stored_with(Network::Bitcoin, Some(start), broken),
            Err(LoadError::BrokenLink {
                height: 822_627,
                ..
            })
        ));
        let zero = TrustedStart { height: 0, ..start };
        assert_eq!(
            HeaderChain::from_stored_with(Network::Bitcoin, Some(zero), stored).map(|_| ()),
            Err(LoadError::TrustedStart(TrustedStartError::HeightZero))
        );
    }

    /// testnet3 from a trusted start at 4208, a minimum-difficulty header: 4209 came within
    /// 20 minutes, so its bits are found by walking back over minimum-difficulty headers, which
    /// stops at the base and takes the trusted period-first bits (those of 4032). The retarget
    /// at 6048 measures from the trusted period-first time.
    #[test]
    fn testnet3_from_a_trusted_minimum_difficulty_header_walks_back_to_the_period_first_bits() {
        let Some(headers) = read_headers("headers/testnet3_0-9999.bin") else {
            return;
        };
        let base = 4208;
        assert_eq!(headers[base].bits.to_consensus(), DIFFICULTY_1_BITS);
        assert!(headers[base + 1].time <= headers[base].time + 1200);
        assert_eq!(headers[base + 1].bits, headers[4032].bits);
        let chainwork = headers[1..=base]
            .iter()
            .fold(headers[0].work(), |sum, h| sum + h.work());
        let start = TrustedStart {
            height: base as u32,
            header: headers[base],
            period_first_time: headers[4032].time,
            period_first_bits: headers[4032].bits,
            chainwork,
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Testnet, start).expect("valid");
        feed_in_batches(&mut chain, &headers[base + 1..]);
        assert_eq!(chain.tip_hash(), headers[9999].block_hash());
        let mut full = HeaderChain::new(Network::Testnet);
        feed_in_batches(&mut full, &headers[1..]);
        assert_eq!(chain.tip_chainwork(), full.tip_chainwork());

        // Other period-first bits: header 4209 no longer has the required bits.
        let other = TrustedStart {
            period_first_bits: CompactTarget::from_consensus(0x1c7f_ffc0),
            ..start
        };
        let mut chain = HeaderChain::with_trusted_start(Network::Testnet, other).expect("valid");
        assert!(matches!(
            chain
                .accept_headers(&headers[base + 1..base + 5], NOW_S)
                .error,
            Some(HeaderError::BadDiffBits {
                height: 4209,
                expected: 0x1c7f_ffc0,
                ..
            })
        ));
    }

    // ----- other networks -----

    #[test]
    fn testnet3_headers_0_to_9999_pass_the_minimum_difficulty_rule_and_real_retargets() {
        let Some(headers) = read_headers("headers/testnet3_0-9999.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Testnet);
        assert_eq!(chain.tip_hash(), headers[0].block_hash());
        feed_in_batches(&mut chain, &headers[1..]);
        assert_eq!(chain.tip_height(), 9999);
        assert_eq!(chain.tip_hash(), headers[9999].block_hash());

        // The 4x clamp at 4032 is a real change: the parent's bits are now wrong there.
        let parent = *chain.get(&headers[4031].block_hash()).expect("indexed");
        let mut with_parent_bits = headers[4032];
        assert_ne!(with_parent_bits.bits, parent.header.bits);
        with_parent_bits.bits = parent.header.bits;
        let mut fresh = HeaderChain::new(Network::Testnet);
        feed_in_batches(&mut fresh, &headers[1..=4031]);
        assert!(matches!(
            fresh.check_contextual(0, &with_parent_bits, with_parent_bits.block_hash(), NOW_S),
            Err(HeaderError::BadDiffBits {
                height: 4032,
                expected: 0x1c3f_ffc0,
                got: DIFFICULTY_1_BITS,
                ..
            })
        ));
        // Min-difficulty headers after the retarget exercised the 20-minute rule.
        let exceptions = headers[4033..6048]
            .iter()
            .filter(|h| h.bits.to_consensus() == DIFFICULTY_1_BITS)
            .count();
        assert!(exceptions > 0);
    }

    #[test]
    fn signet_headers_0_to_2015_sync() {
        let Some(headers) = read_headers("headers/signet_0-2015.bin") else {
            return;
        };
        let mut chain = HeaderChain::new(Network::Signet);
        assert_eq!(chain.tip_hash(), headers[0].block_hash());
        feed_in_batches(&mut chain, &headers[1..]);
        assert_eq!(chain.tip_hash(), headers[2015].block_hash());
    }

    /// BIP94: the retarget at 4032 scales the bits of the period's first header (2016), not
    /// those of its last (4031, a minimum-difficulty header), unlike testnet3.
    #[test]
    fn testnet4_retargets_from_the_first_header_of_the_period() {
        let period_bits = CompactTarget::from_consensus(0x1c7f_ffff);
        let limit_bits = CompactTarget::from_consensus(DIFFICULTY_1_BITS);
        for (network, expected_base) in [
            (Network::Testnet4, period_bits),
            (Network::Testnet, limit_bits),
        ] {
            let mut chain = HeaderChain::new(network);
            let genesis = chain.tip_header();
            let mut parent = genesis;
            // Synthetic headers (no proof of work; only `required_bits` reads them).
            for height in 1..4032u32 {
                let bits = match height {
                    2016..=4030 => period_bits,
                    _ => limit_bits,
                };
                let header = Header {
                    version: Version::from_consensus(0x2000_0000),
                    prev_blockhash: parent.block_hash(),
                    merkle_root: TxMerkleNode::all_zeros(),
                    time: genesis.time + height * 600,
                    bits,
                    nonce: height,
                };
                let chainwork = chain.tip_chainwork() + Target::from_compact(bits).to_work();
                chain.index.insert(
                    header.block_hash(),
                    IndexEntry {
                        header,
                        height,
                        chainwork,
                    },
                );
                chain.active.push(header.block_hash());
                parent = header;
            }
            let last = *chain.get(&parent.block_hash()).expect("height 4031");
            let child = Header {
                prev_blockhash: parent.block_hash(),
                time: parent.time + 600,
                ..parent
            };
            let first_time = genesis.time + 2016 * 600;
            let expected = retarget_bits(expected_base, parent.time, first_time, &Params::TESTNET4);
            assert_eq!(
                chain.required_bits(&last, &child, child.block_hash()),
                Ok(expected),
                "{network:?}"
            );
        }
    }

    #[test]
    fn testnet4_rejects_a_period_start_more_than_600_s_before_its_parent() {
        let hash = BlockHash::all_zeros();
        assert_eq!(
            check_timewarp(4032, 1_000_000 - 600, 1_000_000, hash),
            Ok(())
        );
        assert_eq!(
            check_timewarp(4032, 1_000_000 - 601, 1_000_000, hash),
            Err(HeaderError::TimewarpAttack {
                height: 4032,
                hash,
                time: 999_399,
                parent_time: 1_000_000
            })
        );
        // Only at retarget heights.
        assert_eq!(check_timewarp(4033, 1, 1_000_000, hash), Ok(()));
    }

    // ----- versions (BIP34, BIP66, BIP65) -----

    #[test]
    fn versions_below_2_3_4_fail_from_the_bip34_bip66_bip65_activation_heights() {
        let hash = BlockHash::all_zeros();
        let heights = |network: Network| version_heights(network, network.params());
        let mainnet = heights(Network::Bitcoin);
        let bad = |height, version| {
            Err(HeaderError::BadVersion {
                height,
                hash,
                version,
            })
        };
        // Mainnet: BIP34 at 227931, BIP66 at 363725, BIP65 at 388381 (Core chainparams.cpp).
        assert_eq!(check_version(227_930, 1, mainnet, hash), Ok(()));
        assert_eq!(check_version(227_931, 1, mainnet, hash), bad(227_931, 1));
        assert_eq!(check_version(227_931, 2, mainnet, hash), Ok(()));
        assert_eq!(check_version(363_724, 2, mainnet, hash), Ok(()));
        assert_eq!(check_version(363_725, 2, mainnet, hash), bad(363_725, 2));
        assert_eq!(check_version(363_725, 3, mainnet, hash), Ok(()));
        assert_eq!(check_version(388_380, 3, mainnet, hash), Ok(()));
        assert_eq!(check_version(388_381, 3, mainnet, hash), bad(388_381, 3));
        assert_eq!(check_version(388_381, 4, mainnet, hash), Ok(()));
        assert_eq!(check_version(900_000, 0x2000_0000, mainnet, hash), Ok(()));
        // Signed as Core's nVersion: the top bit makes a version negative, hence too low.
        let negative = 0xe000_0000_u32 as i32;
        assert_eq!(check_version(227_930, negative, mainnet, hash), Ok(()));
        assert_eq!(
            check_version(227_931, negative, mainnet, hash),
            bad(227_931, negative)
        );
        // Signet and testnet4 activate all three at height 1; testnet3 has its own heights.
        assert_eq!(
            check_version(1, 3, heights(Network::Signet), hash),
            bad(1, 3)
        );
        assert_eq!(
            check_version(1, 3, heights(Network::Testnet4), hash),
            bad(1, 3)
        );
        assert_eq!(check_version(1, 4, heights(Network::Signet), hash), Ok(()));
        assert_eq!(heights(Network::Testnet), [21_111, 330_776, 581_885]);
    }

    /// Core 23.0+ activates BIP34/66/65 at height 1 on regtest, unlike rust-bitcoin 0.32's
    /// regtest `Params` (found by the kernel oracle's differential test).
    #[test]
    fn regtest_requires_version_4_from_height_1_as_core_does() {
        assert_eq!(
            Network::Regtest.params().bip34_height,
            100_000_000,
            "rust-bitcoin's value, overridden"
        );
        assert_eq!(
            version_heights(Network::Regtest, Network::Regtest.params()),
            [1, 1, 1]
        );
        let genesis = regtest_genesis();
        for version in [1, 2, 3, 4, 0x2000_0000] {
            let mut header = mine_on(&genesis, 9, genesis.time + 600, REGTEST_BITS);
            header.version = Version::from_consensus(version);
            while !header.target().is_met_by(header.block_hash()) {
                header.nonce += 1;
            }
            let mut chain = HeaderChain::new(Network::Regtest);
            let expected = (version < 4).then(|| HeaderError::BadVersion {
                height: 1,
                hash: header.block_hash(),
                version,
            });
            assert_eq!(
                chain.accept_headers(&[header], NOW_S).error,
                expected,
                "version {version}"
            );
        }
    }

    #[test]
    fn every_error_message_starts_with_its_core_reject_reason() {
        let hash = BlockHash::all_zeros();
        let errors = [
            HeaderError::HighHash {
                index: 0,
                hash,
                bits: 1,
            },
            HeaderError::NonContinuous {
                index: 1,
                hash,
                prev: hash,
            },
            HeaderError::PrevNotFound { hash, prev: hash },
            HeaderError::BadDiffBits {
                height: 1,
                hash,
                expected: 1,
                got: 2,
            },
            HeaderError::TimeTooOld {
                height: 1,
                hash,
                time: 1,
                median_time_past: 1,
            },
            HeaderError::TimeTooNew {
                height: 1,
                hash,
                time: 1,
                limit: 0,
            },
            HeaderError::TimewarpAttack {
                height: 2016,
                hash,
                time: 1,
                parent_time: 602,
            },
            HeaderError::BadVersion {
                height: 1,
                hash,
                version: -1,
            },
            HeaderError::UnsupportedNetwork {
                network: Network::Bitcoin,
                height: 1,
                hash,
            },
        ];
        let reasons: BTreeSet<&str> = errors.iter().map(HeaderError::reject_reason).collect();
        assert_eq!(reasons.len(), errors.len(), "one reason per variant");
        for error in &errors {
            let message = error.to_string();
            assert!(message.starts_with(error.reject_reason()), "{message}");
        }
        // Core's exact form for a version: bad-version(0x%08x), two's complement when negative.
        assert!(
            errors[7]
                .to_string()
                .starts_with("bad-version(0xffffffff): "),
            "{}",
            errors[7]
        );
    }

    #[test]
    fn btcd_order_keeps_the_prefix_before_a_bad_proof_of_work_or_a_gap_where_core_keeps_nothing() {
        let (_, all) = regtest_chain(0);
        let headers = mine_chain(&all[0], 10, 77);
        let mut spoiled = headers.clone();
        let target = spoiled[6].target();
        while target.is_met_by(spoiled[6].block_hash()) {
            spoiled[6].nonce = spoiled[6].nonce.wrapping_add(1);
        }
        let mut gap = headers.clone();
        gap.remove(4);
        for (message, in_order_accepted, in_order_error) in
            [(&spoiled, 6, "high-hash"), (&gap, 4, "prev-blk-not-found")]
        {
            let mut core = HeaderChain::new(Network::Regtest);
            let import = core.accept_headers(message, u64::MAX / 2);
            assert_eq!(import.accepted, 0, "Core refuses the whole message");
            assert_eq!(core.tip_height(), 0);
            let mut btcd = HeaderChain::new(Network::Regtest);
            let import = btcd.accept_headers_in_order(message, u64::MAX / 2);
            assert_eq!(import.accepted, in_order_accepted);
            assert_eq!(
                btcd.tip_height(),
                in_order_accepted as u32,
                "the prefix becomes the best chain"
            );
            let error = import.error.expect("the bad header fails").to_string();
            assert!(error.starts_with(in_order_error), "{error}");
        }
    }

    #[test]
    fn checkpoints_refuse_another_header_at_their_height_and_forks_below_the_latest_passed() {
        let (_, all) = regtest_chain(0);
        let main = mine_chain(&all[0], 60, 1);
        let side = mine_chain(&main[19], 40, 2); // forks after height 20
        let mut chain = HeaderChain::new(Network::Regtest);
        chain.set_checkpoints([(50, main[49].block_hash())]);
        // A branch whose header 50 is not the checkpoint: the headers before it stay.
        let mut with_side = main[..20].to_vec();
        with_side.extend_from_slice(&side);
        let import = chain.accept_headers_in_order(&with_side, u64::MAX / 2);
        assert_eq!(import.accepted, 49);
        assert!(
            matches!(
                import.error,
                Some(HeaderError::BadCheckpoint { height: 50, .. })
            ),
            "{:?}",
            import.error
        );
        // The real chain passes the checkpoint; a fork from below it is then too old.
        let import = chain.accept_headers_in_order(&main, u64::MAX / 2);
        assert_eq!(import.error, None);
        assert_eq!(chain.tip_height(), 60);
        let low_fork = mine_chain(&main[9], 3, 3);
        let import = chain.accept_headers_in_order(&low_fork, u64::MAX / 2);
        assert!(
            matches!(
                import.error,
                Some(HeaderError::ForkTooOld {
                    height: 11,
                    checkpoint_height: 50,
                    ..
                })
            ),
            "{:?}",
            import.error
        );
        assert_eq!(import.accepted, 0);
    }
}
