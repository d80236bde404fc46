//! Why headers are rejected ([`HeaderError`], each starting with Bitcoin Core's reject string)
//! and why stored headers do not load ([`LoadError`]).

use bitcoin::{BlockHash, Network};

use crate::trusted_start::TrustedStartError;

/// Why a header (or a whole `headers` message) was rejected.
///
/// Each message starts with Bitcoin Core's reject string (`validation.cpp`,
/// `net_processing.cpp`). [`HeaderError::TimeTooNew`] is the one Core does not punish
/// (`BLOCK_TIME_FUTURE`); the caller decides what each means for the peer.
///
/// [`HeaderErrorKind`] is its variant without the details (every kind listed by
/// `HeaderErrorKind::iter()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(HeaderErrorKind),
    derive(PartialOrd, Ord, Hash, strum::EnumIter, strum::IntoStaticStr),
    strum(serialize_all = "kebab-case"),
    doc = "The kind of a [`HeaderError`]: its variant without the details."
)]
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
    ///
    /// [`MEDIAN_TIME_SPAN`]: super::MEDIAN_TIME_SPAN
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
    ///
    /// [`FUTURE_BLOCK_TIME_S_MAX`]: super::FUTURE_BLOCK_TIME_S_MAX
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
    /// A period's first header is more than [`TIMEWARP_S_MAX`] older than its parent
    /// (testnet4, BIP94; Core `ContextualCheckBlockHeader` "time-timewarp-attack").
    ///
    /// [`TIMEWARP_S_MAX`]: super::TIMEWARP_S_MAX
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
///
/// [`HeaderChain::from_stored`]: super::HeaderChain::from_stored
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The trusted start is not valid (see [`HeaderChain::with_trusted_start`]).
    ///
    /// [`HeaderChain::with_trusted_start`]: super::HeaderChain::with_trusted_start
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
