//! One comparable verdict per header, from either validator.
//!
//! Core reports a rejected header two ways: a `BlockValidationResult` class (`BLOCK_INVALID_HEADER`,
//! `BLOCK_MISSING_PREV`, ...), which `libbitcoinkernel` returns, and a reject reason string
//! (`high-hash`, `bad-diffbits`, ...), which it only writes to its validation debug log. A
//! [`Verdict`] holds both, so the node's answer and Core's can be compared class by class and
//! reason by reason.

use std::fmt;

use node::protocol::header_chain::Import;

/// Core's `BlockValidationResult` (`src/consensus/validation.h`), the classes a header can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockResult {
    /// `BLOCK_CONSENSUS`: invalid by a consensus rule not listed below.
    Consensus,
    /// `BLOCK_CACHED_INVALID`: already known and marked invalid ("duplicate-invalid").
    CachedInvalid,
    /// `BLOCK_INVALID_HEADER`: proof of work, bits, timestamp or version.
    InvalidHeader,
    /// `BLOCK_MUTATED`: the block data does not match its commitments (not for headers).
    Mutated,
    /// `BLOCK_MISSING_PREV`: the parent is unknown.
    MissingPrev,
    /// `BLOCK_INVALID_PREV`: the parent is known to be invalid.
    InvalidPrev,
    /// `BLOCK_TIME_FUTURE`: the timestamp is more than two hours ahead of the local clock.
    TimeFuture,
    /// `BLOCK_HEADER_LOW_WORK`: not added for lack of anti-DoS proof of work.
    HeaderLowWork,
    /// `BLOCK_RESULT_UNSET`: no class recorded.
    Unset,
}

impl BlockResult {
    /// The class Core's `validation.cpp` gives a header rejected with `reason` (see
    /// [`reason_class`]), or `None` for a reason Core's header validation never returns
    /// (`non-continuous headers sequence` is a `net_processing.cpp` misbehaviour message, not
    /// a validation state; `unsupported network` is the node's own).
    ///
    /// Sources: `CheckBlockHeader` ("high-hash"), `ContextualCheckBlockHeader` ("bad-diffbits",
    /// "time-too-old", "time-timewarp-attack", "bad-version": `BLOCK_INVALID_HEADER`;
    /// "time-too-new": `BLOCK_TIME_FUTURE`) and `AcceptBlockHeader` ("prev-blk-not-found":
    /// `BLOCK_MISSING_PREV`; "bad-prevblk": `BLOCK_INVALID_PREV`; "duplicate-invalid":
    /// `BLOCK_CACHED_INVALID`; "too-little-chainwork": `BLOCK_HEADER_LOW_WORK`).
    pub fn of_reason(reason: &str) -> Option<BlockResult> {
        match reason_class(reason) {
            "high-hash"
            | "bad-diffbits"
            | "time-too-old"
            | "time-timewarp-attack"
            | "bad-version" => Some(BlockResult::InvalidHeader),
            "time-too-new" => Some(BlockResult::TimeFuture),
            "prev-blk-not-found" => Some(BlockResult::MissingPrev),
            "bad-prevblk" => Some(BlockResult::InvalidPrev),
            "duplicate-invalid" => Some(BlockResult::CachedInvalid),
            "too-little-chainwork" => Some(BlockResult::HeaderLowWork),
            _ => None,
        }
    }
}

/// The constant part of a Core reject reason: everything before a `(`, so Core's
/// `bad-version(0x00000001)` compares equal to the node's `bad-version`.
pub fn reason_class(reason: &str) -> &str {
    reason.split_once('(').map_or(reason, |(class, _)| class)
}

/// A validator's answer for one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted (new, or already known as valid).
    Accepted,
    /// Rejected.
    Rejected {
        /// Core's class for it (`None`: a reason without a Core class, see
        /// [`BlockResult::of_reason`]; or, from the kernel, a class the kernel did not report).
        result: Option<BlockResult>,
        /// The reject reason's class ([`reason_class`]), e.g. `bad-diffbits`; `None` when the
        /// validator did not say (the kernel's debug log had no line for the header).
        reason: Option<String>,
    },
}

impl Verdict {
    /// Whether the header was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accepted => write!(f, "accepted"),
            Verdict::Rejected { result, reason } => write!(
                f,
                "rejected {} ({})",
                reason.as_deref().unwrap_or("<no reason>"),
                result.map_or_else(|| "no class".to_owned(), |r| format!("{r:?}"))
            ),
        }
    }
}

/// The node's verdict on a one-header `headers` message: [`Import::error`] mapped to Core's
/// reason ([`node::protocol::header_chain::HeaderError::reject_reason`]) and class.
pub fn ours(import: &Import) -> Verdict {
    match &import.error {
        None => Verdict::Accepted,
        Some(error) => {
            let reason = error.reject_reason();
            Verdict::Rejected {
                result: BlockResult::of_reason(reason),
                reason: Some(reason.to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bitcoin::constants::genesis_block;
    use bitcoin::hashes::Hash;
    use bitcoin::Network;
    use node::protocol::header_chain::HeaderChain;

    use super::*;

    #[test]
    fn reasons_map_to_the_classes_core_gives_them() {
        assert_eq!(reason_class("bad-version(0x00000001)"), "bad-version");
        assert_eq!(reason_class("high-hash"), "high-hash");
        assert_eq!(
            BlockResult::of_reason("bad-version(0xffffffff)"),
            Some(BlockResult::InvalidHeader)
        );
        assert_eq!(
            BlockResult::of_reason("time-too-new"),
            Some(BlockResult::TimeFuture)
        );
        assert_eq!(
            BlockResult::of_reason("prev-blk-not-found"),
            Some(BlockResult::MissingPrev)
        );
        assert_eq!(
            BlockResult::of_reason("non-continuous headers sequence"),
            None
        );
    }

    #[test]
    fn our_verdict_carries_the_reason_of_the_first_error() {
        let mut chain = HeaderChain::new(Network::Regtest);
        let genesis = genesis_block(Network::Regtest).header;
        assert_eq!(
            ours(&chain.accept_headers(&[genesis], 2_000_000_000)),
            Verdict::Accepted
        );
        // A header on an unknown parent: proof of work is checked first, as in Core.
        let orphan = |meets: bool| {
            let mut header = genesis;
            header.prev_blockhash = bitcoin::BlockHash::from_byte_array([0xab; 32]);
            while header.target().is_met_by(header.block_hash()) != meets {
                header.nonce = header.nonce.wrapping_add(1);
            }
            header
        };
        let rejected = |reason: &str, result| Verdict::Rejected {
            result: Some(result),
            reason: Some(reason.to_owned()),
        };
        assert_eq!(
            ours(&chain.accept_headers(&[orphan(true)], 2_000_000_000)),
            rejected("prev-blk-not-found", BlockResult::MissingPrev)
        );
        assert_eq!(
            ours(&chain.accept_headers(&[orphan(false)], 2_000_000_000)),
            rejected("high-hash", BlockResult::InvalidHeader)
        );
    }
}
