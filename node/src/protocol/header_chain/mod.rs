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
mod tests;
